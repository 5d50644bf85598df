//! Native (uncompressed) pixel data, PS3.5 section 8.1 and 8.2.

use crate::error::{CodecError, Result};
use crate::frame::RawFrame;
use crate::{ImageDescription, PhotometricInterpretation, Samples};

/// How native samples are laid out in the encoded bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NativeLayout {
    /// Big Endian transfer syntax (retired).
    pub big_endian: bool,
    /// 8-bit samples encoded as OW in big endian: bytes are swapped pairwise.
    pub swap_ow8: bool,
}

/// Bits of one native frame, accounting for 4:2:2 subsampled YBR_FULL_422.
pub fn native_frame_bits(desc: &ImageDescription) -> u64 {
    if desc.photometric_interpretation == PhotometricInterpretation::YbrFull422
        && desc.samples_per_pixel == 3
    {
        // Two luminance and two chrominance samples for every two pixels.
        desc.pixels() * 2 * u64::from(desc.bits_allocated)
    } else {
        desc.frame_bits()
    }
}

/// Extracts frame `index` (0-based) from the whole native Pixel Data value `value` of
/// an image described by `desc`, as exact stored values.
///
/// ```
/// use hounsfield_codecs::{ImageDescription, Samples, native};
/// let desc = ImageDescription::grey(2, 1, 16, true);
/// let frame = native::decode(&[0xff, 0xff, 2, 0], &desc, 0, &native::NativeLayout::default())?;
/// assert_eq!(frame.samples, Samples::I16(vec![-1, 2]));
/// # Ok::<(), hounsfield_codecs::CodecError>(())
/// ```
pub fn decode(
    value: &[u8],
    desc: &ImageDescription,
    index: usize,
    layout: &NativeLayout,
) -> Result<crate::Frame> {
    desc.check()?;
    crate::frame::finish(decode_raw(value, desc, index, layout)?, desc)
}

/// Extracts frame `index` from the whole native Pixel Data value.
pub(crate) fn decode_raw(
    value: &[u8],
    desc: &ImageDescription,
    index: usize,
    layout: &NativeLayout,
) -> Result<RawFrame> {
    let frame_bits = native_frame_bits(desc);
    let too_large = || {
        CodecError::TooLarge(format!(
            "frame {index} lies beyond any addressable pixel data"
        ))
    };
    let start_bit = frame_bits.checked_mul(index as u64).ok_or_else(too_large)?;
    let end_bit = start_bit.checked_add(frame_bits).ok_or_else(too_large)?;
    let available_bits = value.len() as u64 * 8;
    if end_bit > available_bits {
        return Err(CodecError::PixelDataSize {
            expected: end_bit.div_ceil(8),
            actual: value.len() as u64,
            what: format!(
                "frame {} of {} ({} x {} x {} samples of {} bits)",
                index + 1,
                desc.number_of_frames,
                desc.rows,
                desc.columns,
                desc.samples_per_pixel,
                desc.bits_allocated
            ),
        });
    }
    let n = (frame_bits / u64::from(desc.bits_allocated)) as usize;
    let samples = match desc.bits_allocated {
        1 => {
            // Bit-packed, least significant bit first; frames need not be byte aligned.
            let first = start_bit as usize;
            Samples::U8(
                (first..first + n)
                    .map(|bit| (value[bit >> 3] >> (bit & 7)) & 1)
                    .collect(),
            )
        }
        8 => {
            let start = (start_bit / 8) as usize;
            if layout.swap_ow8 {
                Samples::U8(
                    (start..start + n)
                        .map(|p| value.get(p ^ 1).copied().unwrap_or(0))
                        .collect(),
                )
            } else {
                Samples::U8(value[start..start + n].to_vec())
            }
        }
        16 => {
            let start = (start_bit / 8) as usize;
            let mut v = vec![0u16; n];
            bytemuck::cast_slice_mut::<u16, u8>(&mut v)
                .copy_from_slice(&value[start..start + 2 * n]);
            if layout.big_endian != cfg!(target_endian = "big") {
                v.iter_mut().for_each(|x| *x = x.swap_bytes());
            }
            Samples::U16(v)
        }
        32 => {
            let start = (start_bit / 8) as usize;
            let mut v = vec![0u32; n];
            bytemuck::cast_slice_mut::<u32, u8>(&mut v)
                .copy_from_slice(&value[start..start + 4 * n]);
            if layout.big_endian != cfg!(target_endian = "big") {
                v.iter_mut().for_each(|x| *x = x.swap_bytes());
            }
            if desc.float {
                Samples::F32(v.into_iter().map(f32::from_bits).collect())
            } else {
                Samples::U32(v)
            }
        }
        64 => {
            let start = (start_bit / 8) as usize;
            let b = &value[start..start + 8 * n];
            Samples::F64(
                b.chunks_exact(8)
                    .map(|c| {
                        let a = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
                        f64::from_bits(if layout.big_endian {
                            u64::from_be_bytes(a)
                        } else {
                            u64::from_le_bytes(a)
                        })
                    })
                    .collect(),
            )
        }
        b => {
            return Err(CodecError::Unsupported(format!(
                "native data with {b} bits allocated"
            )));
        }
    };
    let samples = if desc.samples_per_pixel == 3
        && desc.photometric_interpretation == PhotometricInterpretation::YbrFull422
    {
        upsample_422(samples)
    } else if desc.samples_per_pixel == 3 && desc.planar_configuration == 1 {
        crate::frame::interleave_planes(samples)
    } else {
        samples
    };
    Ok(RawFrame {
        samples,
        components: desc.samples_per_pixel as usize,
        ybr: crate::frame::declared_ybr(desc),
    })
}

/// YBR_FULL_422 native data stores Y1 Y2 Cb Cr for each pair of pixels; the chrominance
/// of the pair is repeated for both (PS3.3 C.7.6.3.1.2).
fn upsample_422(samples: Samples) -> Samples {
    fn up<T: Copy>(v: &[T]) -> Vec<T> {
        let mut out = Vec::with_capacity(v.len() / 2 * 3);
        for q in v.chunks_exact(4) {
            out.extend_from_slice(&[q[0], q[2], q[3], q[1], q[2], q[3]]);
        }
        out
    }
    match samples {
        Samples::U8(v) => Samples::U8(up(&v)),
        Samples::U16(v) => Samples::U16(up(&v)),
        Samples::U32(v) => Samples::U32(up(&v)),
        other => other,
    }
}
