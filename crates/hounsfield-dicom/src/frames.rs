//! Which fragments of encapsulated pixel data make up which frame (PS3.5 A.4).

use crate::error::{ErrorKind, KResult};
use crate::transfer_syntax::Codec;
use std::ops::Range;

/// For each frame, the fragment indices it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameMap {
    pub frames: Vec<Range<usize>>,
    /// How the mapping was found (for `info`).
    pub method: &'static str,
}

fn starts_frame(codec: Codec, bytes: &[u8]) -> bool {
    match codec {
        Codec::Jpeg | Codec::JpegLs => bytes.starts_with(&[0xFF, 0xD8]),
        Codec::Jpeg2000 => {
            bytes.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
                || bytes.starts_with(&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20])
        }
        _ => false,
    }
}

/// Maps fragments to frames.
///
/// `offsets` are the frame offsets from the Extended Offset Table or the Basic Offset
/// Table, measured from the first byte of the first fragment's item tag.
pub(crate) fn map_frames(
    data: &[u8],
    fragments: &[Range<usize>],
    offsets: &[u64],
    number_of_frames: u32,
    codec: Codec,
) -> KResult<FrameMap> {
    let n = number_of_frames as usize;
    if fragments.is_empty() {
        return Err(ErrorKind::PixelDataSize {
            expected: 1,
            actual: 0,
            what: "encapsulated pixel data (no fragments)".into(),
        });
    }
    if fragments.len() < n {
        return Err(ErrorKind::InvalidAttribute {
            name: "Number of Frames",
            value: number_of_frames.to_string(),
            reason: format!(
                "the encapsulated pixel data has only {} fragments",
                fragments.len()
            ),
        });
    }
    // Offsets of each fragment's item tag, relative to the first.
    let base = fragments[0].start - 8;
    let frag_pos: Vec<u64> = fragments
        .iter()
        .map(|f| (f.start - 8 - base) as u64)
        .collect();
    if offsets.len() == n && n > 0 && offsets[0] == 0 && offsets.windows(2).all(|w| w[0] < w[1]) {
        let mut frames = Vec::with_capacity(n);
        let mut ok = true;
        for (i, &off) in offsets.iter().enumerate() {
            let end = offsets.get(i + 1).copied().unwrap_or(u64::MAX);
            let first = frag_pos.iter().position(|&p| p == off);
            let last = frag_pos.iter().rposition(|&p| p < end);
            match (first, last) {
                (Some(a), Some(b)) if b >= a => frames.push(a..b + 1),
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return Ok(FrameMap {
                frames,
                method: "offset table",
            });
        }
    }
    if n == 1 {
        return Ok(FrameMap {
            frames: std::iter::once(0..fragments.len()).collect(),
            method: "single frame",
        });
    }
    if fragments.len() == n {
        return Ok(FrameMap {
            frames: (0..n).map(|i| i..i + 1).collect(),
            method: "one fragment per frame",
        });
    }
    // More fragments than frames and no usable offset table: find each frame's start.
    let starts: Vec<usize> = fragments
        .iter()
        .enumerate()
        .filter(|(_, f)| starts_frame(codec, &data[(*f).clone()]))
        .map(|(i, _)| i)
        .collect();
    if starts.len() == n && starts[0] == 0 {
        let frames = (0..n)
            .map(|i| starts[i]..starts.get(i + 1).copied().unwrap_or(fragments.len()))
            .collect();
        return Ok(FrameMap {
            frames,
            method: "frame start markers",
        });
    }
    Err(ErrorKind::Unsupported(format!(
        "cannot tell which of the {} fragments form each of the {n} frames (no usable offset table, {} frame starts found)",
        fragments.len(),
        starts.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frags(lens: &[usize]) -> (Vec<u8>, Vec<Range<usize>>) {
        let mut data = Vec::new();
        let mut out = Vec::new();
        for (i, &l) in lens.iter().enumerate() {
            data.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
            data.extend_from_slice(&(l as u32).to_le_bytes());
            let start = data.len();
            let mut body = vec![i as u8; l];
            if i % 2 == 0 {
                body[0] = 0xFF;
                body[1] = 0xD8;
            }
            data.extend_from_slice(&body);
            out.push(start..start + l);
        }
        (data, out)
    }

    #[test]
    fn offset_table_groups_fragments() {
        let (data, f) = frags(&[4, 6, 4, 2]);
        // Frame 0 = fragments 0,1; frame 1 = fragments 2,3.
        let offsets = [0, (8 + 4 + 8 + 6) as u64];
        let m = map_frames(&data, &f, &offsets, 2, Codec::Jpeg).unwrap();
        assert_eq!(m.frames, vec![0..2, 2..4]);
        // Without the table the JPEG start markers give the same answer.
        let m = map_frames(&data, &f, &[], 2, Codec::Jpeg).unwrap();
        assert_eq!(m.frames, vec![0..2, 2..4]);
        assert_eq!(m.method, "frame start markers");
    }

    #[test]
    fn too_few_fragments_is_an_error() {
        let (data, f) = frags(&[4, 4]);
        assert!(map_frames(&data, &f, &[], 3, Codec::Jpeg).is_err());
    }
}
