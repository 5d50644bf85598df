//! RLE Lossless (PS3.5 Annex G), for 8, 16 and 32 bits allocated, 1 or 3 samples.
//!
//! Written here because dicom-pixeldata's RLE decoder stops at 16 bits allocated. Each
//! frame is one fragment: a 64-byte header of up to 15 segment offsets, then one PackBits
//! segment per byte plane, most significant byte first, sample after sample.

use crate::error::{Result, codec_error};
use crate::frame::RawFrame;
use crate::{ImageDescription, Samples};

const CODEC: &str = "RLE";

/// Decodes frame `frame` (0-based, for messages) of an image described by `desc` from
/// its RLE Lossless bytes into exact stored values (see [`Samples`]).
///
/// The description is checked first ([`ImageDescription::check`], and integer samples); nothing is allocated
/// for a frame that the data cannot fill.
pub fn decode(data: &[u8], desc: &ImageDescription, frame: usize) -> Result<crate::Frame> {
    desc.check_compressed()?;
    crate::frame::finish(decode_raw(data, desc, frame)?, desc)
}

/// Decodes one frame into the codec's raw output.
pub(crate) fn decode_raw(data: &[u8], desc: &ImageDescription, frame: usize) -> Result<RawFrame> {
    let err = |m: String| codec_error(CODEC, frame, m);
    if data.len() < 64 {
        return Err(err(format!(
            "the frame has {} bytes, less than the 64-byte RLE header",
            data.len()
        )));
    }
    let word = |i: usize| {
        u32::from_le_bytes([
            data[4 * i],
            data[4 * i + 1],
            data[4 * i + 2],
            data[4 * i + 3],
        ]) as usize
    };
    let segments = word(0);
    let bytes_per_sample = match desc.bits_allocated {
        8 => 1,
        16 => 2,
        32 => 4,
        b => return Err(err(format!("RLE with {b} bits allocated is not defined"))),
    };
    let spp = desc.samples_per_pixel as usize;
    let expected = bytes_per_sample * spp;
    if segments != expected {
        return Err(err(format!(
            "the header announces {segments} segments, {expected} are needed for {spp} samples of {} bits",
            desc.bits_allocated
        )));
    }
    let pixels = desc.pixels() as usize;
    let offsets: Vec<usize> = (1..=segments).map(word).collect();
    let range = |s: usize| {
        (
            offsets[s],
            offsets.get(s + 1).copied().unwrap_or(data.len()),
        )
    };
    // Before anything is allocated: every segment lies in the data and can fill its
    // plane (a two-byte PackBits run yields at most 128 bytes).
    for s in 0..segments {
        let (start, end) = range(s);
        if start < 64 || start > end || end > data.len() {
            return Err(err(format!("segment {s} has an invalid offset {start}")));
        }
        if (end - start).saturating_mul(64) < pixels {
            return Err(err(format!(
                "segment {s} holds {} bytes, too few for the {pixels} bytes of its plane",
                end - start
            )));
        }
    }
    // Each segment is one byte plane (most significant first, sample after sample).
    let decode_segment = |s: usize, plane: &mut [u8]| -> Result<()> {
        let (start, end) = range(s);
        let produced = unpack_bits(&data[start..end], plane);
        if produced < pixels {
            return Err(err(format!(
                "segment {s} decodes to {produced} bytes, {pixels} expected"
            )));
        }
        Ok(())
    };
    let mut plane = vec![0u8; pixels];
    let samples = match bytes_per_sample {
        1 if spp == 1 => {
            decode_segment(0, &mut plane)?;
            Samples::U8(plane)
        }
        1 => {
            let mut out = vec![0u8; pixels * spp];
            for s in 0..spp {
                decode_segment(s, &mut plane)?;
                for (o, &b) in out[s..].iter_mut().step_by(spp).zip(&plane) {
                    *o = b;
                }
            }
            Samples::U8(out)
        }
        2 => {
            let mut out = vec![0u16; pixels * spp];
            for s in 0..2 * spp {
                decode_segment(s, &mut plane)?;
                let shift = if s % 2 == 0 { 8 } else { 0 };
                for (o, &b) in out[s / 2..].iter_mut().step_by(spp).zip(&plane) {
                    *o |= u16::from(b) << shift;
                }
            }
            Samples::U16(out)
        }
        _ => {
            let mut out = vec![0u32; pixels * spp];
            for s in 0..4 * spp {
                decode_segment(s, &mut plane)?;
                let shift = 8 * (3 - s % 4);
                for (o, &b) in out[s / 4..].iter_mut().step_by(spp).zip(&plane) {
                    *o |= u32::from(b) << shift;
                }
            }
            Samples::U32(out)
        }
    };
    Ok(RawFrame {
        samples,
        components: spp,
        ybr: crate::frame::declared_ybr(desc),
    })
}

/// PackBits: a header byte n in 0..=127 copies n+1 literal bytes, -1..=-127 repeats the
/// next byte 1-n times, -128 is ignored. Fills `out` and returns the bytes produced
/// (excess output is dropped, as segments may be padded).
fn unpack_bits(src: &[u8], out: &mut [u8]) -> usize {
    let mut i = 0;
    let mut o = 0;
    while i < src.len() && o < out.len() {
        let n = src[i] as i8;
        i += 1;
        if n >= 0 {
            let count = n as usize + 1;
            let avail = count.min(src.len() - i).min(out.len() - o);
            out[o..o + avail].copy_from_slice(&src[i..i + avail]);
            i += count;
            o += avail;
        } else if n != -128 {
            let Some(&b) = src.get(i) else { break };
            i += 1;
            let count = (1 - n as isize) as usize;
            let avail = count.min(out.len() - o);
            out[o..o + avail].fill(b);
            o += avail;
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::unpack_bits;

    #[test]
    fn packbits_literal_and_run() {
        // Literal "abc", then a run of five 'z', then a no-op.
        let src = [2, b'a', b'b', b'c', (-4i8) as u8, b'z', 0x80];
        let mut out = [0u8; 8];
        assert_eq!(unpack_bits(&src, &mut out), 8);
        assert_eq!(&out, b"abczzzzz");
        let mut short = [0u8; 10];
        assert_eq!(unpack_bits(&src, &mut short), 8);
    }
}
