//! What codecs produce and its conversion into exact stored values.

use crate::color;
use crate::error::{CodecError, Result};
use crate::{Frame, FrameColor, ImageDescription, PhotometricInterpretation, Samples};

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

/// Stored values from signed 32-bit codec output (OpenJPEG), in one pass: the lane and
/// masking of [`to_lane`].
pub(crate) fn lane_from_i32(v: &[i32], desc: &ImageDescription, signed: bool) -> Samples {
    let bs = u32::from(desc.bits_stored).clamp(1, 32);
    let shift = u32::from(desc.high_bit) + 1 - bs;
    let mask = u32::MAX >> (32 - bs);
    let wide = desc.bits_allocated == 32 && desc.bits_stored > 16;
    let up = 32 - bs;
    let unsigned = |x: &i32| ((*x as u32) >> shift) & mask;
    let extended = |x: &i32| ((((*x as u32) >> shift) << up) as i32) >> up;
    match (desc.bits_allocated, signed, wide) {
        (1 | 8, false, _) => Samples::U8(v.iter().map(|x| unsigned(x) as u8).collect()),
        (1 | 8, true, _) => Samples::I16(v.iter().map(|x| extended(x) as i16).collect()),
        (_, false, false) => Samples::U16(v.iter().map(|x| unsigned(x) as u16).collect()),
        (_, true, false) => Samples::I16(v.iter().map(|x| extended(x) as i16).collect()),
        (_, false, true) => Samples::U32(v.iter().map(unsigned).collect()),
        (_, true, true) => Samples::I32(v.iter().map(extended).collect()),
    }
}

/// Applies `f` to every sample seen as its raw bits (u32), collecting the results.
fn collect<D>(s: &Samples, f: impl Fn(u32) -> D) -> Vec<D> {
    match s {
        Samples::U8(v) => v.iter().map(|&x| f(u32::from(x))).collect(),
        Samples::I16(v) => v.iter().map(|&x| f(u32::from(x as u16))).collect(),
        Samples::U16(v) => v.iter().map(|&x| f(u32::from(x))).collect(),
        Samples::U32(v) => v.iter().map(|&x| f(x)).collect(),
        Samples::I32(v) => v.iter().map(|&x| f(x as u32)).collect(),
        Samples::F32(_) | Samples::F64(_) => Vec::new(),
    }
}

/// Re-expresses `samples` as stored values (PS3.5 8.1.1): the Bits Stored bits ending at
/// High Bit, sign-extended for two's complement data, in the lane Bits Allocated calls
/// for (8 → u8 or i16, 16 → u16 or i16, 32 → u32 or i32, or 16-bit lanes when at most 16
/// bits are stored).
fn to_lane(samples: Samples, desc: &ImageDescription, signed: bool) -> Samples {
    let bs = u32::from(desc.bits_stored).clamp(1, 32);
    let shift = u32::from(desc.high_bit) + 1 - bs;
    let mask = u32::MAX >> (32 - bs);
    let unsigned = move |r: u32| (r >> shift) & mask;
    let extended = move |r: u32| (((r >> shift) << (32 - bs)) as i32) >> (32 - bs);
    let identity = shift == 0;
    let wide = desc.bits_allocated == 32 && desc.bits_stored > 16;
    match (samples, desc.bits_allocated, signed, wide) {
        (s @ (Samples::F32(_) | Samples::F64(_)), ..) => s,
        // Same lane: mask in place (nothing to do when the bits are all stored bits).
        (Samples::U8(mut v), 1 | 8, false, _) => {
            if !(identity && bs == 8) && desc.bits_allocated != 1 {
                let (s8, m8) = (shift.min(7) as u8, mask as u8);
                v.iter_mut().for_each(|x| *x = (*x >> s8) & m8);
            }
            Samples::U8(v)
        }
        (Samples::U16(mut v), 16 | 32, false, false) => {
            if !(identity && bs == 16) {
                // In 16-bit arithmetic, which vectorises without widening.
                let (s16, m16) = (shift.min(15) as u16, mask as u16);
                v.iter_mut().for_each(|x| *x = (*x >> s16) & m16);
            }
            Samples::U16(v)
        }
        (Samples::U32(mut v), 32, false, true) => {
            if !(identity && bs == 32) {
                v.iter_mut().for_each(|x| *x = unsigned(*x));
            }
            Samples::U32(v)
        }
        (s, 1 | 8, false, _) => Samples::U8(collect(&s, |r| unsigned(r) as u8)),
        (s, 1 | 8, true, _) => Samples::I16(collect(&s, |r| extended(r) as i16)),
        (s, _, false, false) => Samples::U16(collect(&s, |r| unsigned(r) as u16)),
        (Samples::U16(v), _, true, false) => {
            // Sign extension from bit bs-1 of the shifted value, in 16-bit arithmetic.
            let (s16, up) = (shift.min(15) as u16, (16 - bs.min(16)) as u16);
            Samples::I16(
                v.into_iter()
                    .map(|x| (((x >> s16) << up) as i16) >> up)
                    .collect(),
            )
        }
        (s, _, true, false) => Samples::I16(collect(&s, |r| extended(r) as i16)),
        (s, _, false, true) => Samples::U32(collect(&s, unsigned)),
        (s, _, true, true) => Samples::I32(collect(&s, extended)),
    }
}

/// Turns a codec's output into the model's frame.
pub(crate) fn finish(raw: RawFrame, desc: &ImageDescription) -> Result<Frame> {
    let expected = desc.pixels() as usize * desc.samples_per_pixel as usize;
    if raw.samples.len() != expected || raw.components != desc.samples_per_pixel as usize {
        return Err(CodecError::Unsupported(format!(
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
