//! Pixel data codecs and the conversion of their output into the image model.

pub(crate) mod j2k;
pub(crate) mod jpeg;
pub(crate) mod jpeg_own;
pub(crate) mod jpegls;
pub(crate) mod native;
pub(crate) mod rle;

use crate::color;
use crate::error::{ErrorKind, KResult};
use crate::image::{Frame, FrameColor, ImageDescription, PhotometricInterpretation, Samples};

/// What a codec produces: integer samples, interleaved when there are several, with no
/// masking applied yet.
#[derive(Debug)]
pub(crate) struct RawFrame {
    pub samples: Samples,
    pub components: usize,
    /// For colour: the YBR space the samples are in, or None when they are RGB already
    /// (RGB data, or a codec that applied its own inverse transform).
    pub ybr: Option<PhotometricInterpretation>,
}

/// The YBR space of samples coded as the Photometric Interpretation says.
pub(crate) fn declared_ybr(desc: &ImageDescription) -> Option<PhotometricInterpretation> {
    let pi = &desc.photometric_interpretation;
    pi.is_ybr().then(|| pi.clone())
}

/// Interleaves planar samples (R plane, G plane, B plane) into RGB triples.
pub(crate) fn interleave_planes(samples: Samples) -> Samples {
    fn il<T: Copy + Default>(v: &[T]) -> Vec<T> {
        let n = v.len() / 3;
        let mut out = vec![T::default(); 3 * n];
        for i in 0..n {
            out[3 * i] = v[i];
            out[3 * i + 1] = v[n + i];
            out[3 * i + 2] = v[2 * n + i];
        }
        out
    }
    match samples {
        Samples::U8(v) => Samples::U8(il(&v)),
        Samples::U16(v) => Samples::U16(il(&v)),
        Samples::U32(v) => Samples::U32(il(&v)),
        Samples::I16(v) => Samples::I16(il(&v)),
        Samples::I32(v) => Samples::I32(il(&v)),
        Samples::F32(v) => Samples::F32(il(&v)),
        Samples::F64(v) => Samples::F64(il(&v)),
    }
}

/// Masks to Bits Stored (taken from High Bit down) and sign-extends two's complement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredValue {
    shift: u32,
    mask: i64,
    sign: Option<i64>,
}

impl StoredValue {
    pub fn new(desc: &ImageDescription, signed: bool) -> Self {
        let bs = u32::from(desc.bits_stored);
        StoredValue {
            shift: u32::from(desc.high_bit) + 1 - bs,
            mask: (1i64 << bs) - 1,
            sign: signed.then(|| 1i64 << bs),
        }
    }

    /// Whether values of `bits` bits, unsigned, pass through unchanged.
    fn is_identity_for(&self, bits: u32, signed_lane: bool) -> bool {
        self.shift == 0 && self.mask == (1i64 << bits) - 1 && self.sign.is_some() == signed_lane
    }

    #[inline]
    pub fn apply(&self, raw: i64) -> i64 {
        let v = (raw >> self.shift) & self.mask;
        match self.sign {
            Some(s) if v >= s >> 1 => v - s,
            _ => v,
        }
    }
}

fn map<T: Copy>(v: &[T], f: fn(T) -> i64, sv: StoredValue) -> impl Iterator<Item = i64> + '_ {
    v.iter().map(move |&x| sv.apply(f(x)))
}

/// Re-expresses `samples` as stored values in the lane Bits Allocated calls for.
fn to_lane(samples: Samples, desc: &ImageDescription, signed: bool) -> Samples {
    let sv = StoredValue::new(desc, signed);
    // Fast paths: the codec's lane is already the model's lane and masking is a no-op.
    match (&samples, desc.bits_allocated, signed) {
        (Samples::U8(_), 1 | 8, false)
            if sv.is_identity_for(8, false) || desc.bits_allocated == 1 =>
        {
            return samples;
        }
        (Samples::U16(_), 16, false) if sv.is_identity_for(16, false) => return samples,
        (Samples::U32(_), 32, false) if sv.is_identity_for(32, false) && desc.bits_stored > 16 => {
            return samples;
        }
        _ => {}
    }
    let values: Box<dyn Iterator<Item = i64> + '_> = match &samples {
        Samples::U8(v) => Box::new(map(v, i64::from, sv)),
        Samples::I16(v) => Box::new(map(v, i64::from, sv)),
        Samples::U16(v) => Box::new(map(v, i64::from, sv)),
        Samples::U32(v) => Box::new(map(v, i64::from, sv)),
        Samples::I32(v) => Box::new(map(v, i64::from, sv)),
        Samples::F32(_) | Samples::F64(_) => return samples,
    };
    let wide = desc.bits_allocated == 32 && desc.bits_stored > 16;
    match (desc.bits_allocated, signed, wide) {
        (1 | 8, false, _) => Samples::U8(values.map(|x| x as u8).collect()),
        (1 | 8, true, _) => Samples::I16(values.map(|x| x as i16).collect()),
        (_, false, false) => Samples::U16(values.map(|x| x as u16).collect()),
        (_, true, false) => Samples::I16(values.map(|x| x as i16).collect()),
        (_, false, true) => Samples::U32(values.map(|x| x as u32).collect()),
        (_, true, true) => Samples::I32(values.map(|x| x as i32).collect()),
    }
}

/// Turns a codec's output into the model's frame.
pub(crate) fn finish(raw: RawFrame, desc: &ImageDescription) -> KResult<Frame> {
    let expected = desc.pixels() as usize * desc.samples_per_pixel as usize;
    if raw.samples.len() != expected || raw.components != desc.samples_per_pixel as usize {
        return Err(ErrorKind::Unsupported(format!(
            "decoded {} samples in {} components, {expected} expected",
            raw.samples.len(),
            raw.components
        )));
    }
    let pi = &desc.photometric_interpretation;
    let (color, signed) = match pi {
        PhotometricInterpretation::Monochrome1 | PhotometricInterpretation::Monochrome2 => {
            (FrameColor::Monochrome, desc.signed)
        }
        PhotometricInterpretation::PaletteColor => (FrameColor::PaletteIndex, false),
        _ => (FrameColor::Rgb, false),
    };
    let mut samples = to_lane(raw.samples, desc, signed);
    if color == FrameColor::Rgb
        && let Some(ybr) = &raw.ybr
    {
        samples = color::ybr_to_rgb(samples, ybr, desc.bits_stored);
    }
    Ok(Frame {
        width: desc.columns,
        height: desc.rows,
        color,
        samples,
        bits_stored: desc.bits_stored,
        signed,
    })
}
