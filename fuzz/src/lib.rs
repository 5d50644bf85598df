//! The bodies of the fuzz targets, one function per target of `fuzz_targets/`. Each takes
//! the fuzzer's bytes and drives one public API of the Hounsfield crates the way the
//! viewers do; any panic, overflow (debug assertions are on under `cargo fuzz`),
//! sanitizer report, timeout or runaway allocation is a finding.
//!
//! The same functions replay `fuzz/regressions/` in the test suite
//! (`tests/fuzz_regressions.rs`), so every finding stays fixed, and again built for
//! wasm32 (`tests/wasm`, 32-bit `usize`), where the DICOMweb target is left out (feature
//! `dicomweb`: the client's HTTP stack needs a browser there).
//!
//! Codec targets read an image description from their first [`DESCRIPTION_BYTES`] bytes
//! (see [`description`]) and decode the rest; `scripts/fuzz.sh` seeds them with the
//! frames of real files in that layout.

use hounsfield_codecs::{ImageDescription, PhotometricInterpretation};
use hounsfield_core::DicomFile;
use hounsfield_core::pipeline::{RenderOptions, render_frame};

/// Bytes of the description that precedes a codec target's data.
pub const DESCRIPTION_BYTES: usize = 8;

/// The largest decoded frame a target lets through: small frames keep executions fast
/// (thousands a second); the code paths do not depend on the size, and the bad-input
/// tests cover the limits of large ones.
const HARNESS_FRAME_BYTES: u64 = 4 << 20;

const INTERPRETATIONS: [PhotometricInterpretation; 10] = [
    PhotometricInterpretation::Monochrome2,
    PhotometricInterpretation::Monochrome1,
    PhotometricInterpretation::PaletteColor,
    PhotometricInterpretation::Rgb,
    PhotometricInterpretation::YbrFull,
    PhotometricInterpretation::YbrFull422,
    PhotometricInterpretation::YbrPartial422,
    PhotometricInterpretation::YbrPartial420,
    PhotometricInterpretation::YbrIct,
    PhotometricInterpretation::YbrRct,
];

/// Reads a description from the first [`DESCRIPTION_BYTES`] bytes: columns and rows (u16
/// little endian), Bits Allocated (index into 1, 8, 16, 32, 64), Bits Stored, the High
/// Bit's offset above Bits Stored - 1, and a byte whose low 4 bits pick the Photometric
/// Interpretation and whose high bits are Pixel Representation, Planar Configuration,
/// float samples and two frames instead of one. Values are folded into their ranges so
/// that most inputs describe a valid image; [`ImageDescription::check`] sees the rest.
pub fn description(data: &[u8]) -> Option<(ImageDescription, &[u8])> {
    let (head, rest) = data.split_at_checked(DESCRIPTION_BYTES)?;
    let bits_allocated = [1u16, 8, 16, 32, 64][usize::from(head[4]) % 5];
    let bits_stored = 1 + u16::from(head[5]) % bits_allocated;
    let high_bit = bits_stored - 1 + u16::from(head[6]) % (bits_allocated - bits_stored + 1);
    let pi = INTERPRETATIONS[usize::from(head[7] & 15) % INTERPRETATIONS.len()].clone();
    let samples_per_pixel = if pi.is_monochrome() || pi == PhotometricInterpretation::PaletteColor {
        1
    } else {
        3
    };
    let desc = ImageDescription {
        columns: u32::from(u16::from_le_bytes([head[0], head[1]])),
        rows: u32::from(u16::from_le_bytes([head[2], head[3]])),
        number_of_frames: if head[7] & 128 != 0 { 2 } else { 1 },
        samples_per_pixel,
        photometric_interpretation: pi,
        planar_configuration: u16::from(head[7] >> 5 & 1),
        bits_allocated,
        bits_stored,
        high_bit,
        signed: head[7] & 16 != 0,
        float: head[7] & 64 != 0,
    };
    (desc.decoded_frame_bytes() <= HARNESS_FRAME_BYTES).then_some((desc, rest))
}

/// A whole file from bytes, as the viewers open one: parse, summarise, then decode and
/// display every frame (the first four) at its own window with its overlay planes, and
/// sort its frames into stacks and time points.
pub fn decode_file(data: &[u8]) {
    let Ok(file) = DicomFile::from_bytes("fuzz.dcm", data.to_vec()) else {
        return;
    };
    let _ = file.summary();
    let _ = hounsfield_core::series::InstanceInfo::from_file(&file);
    let Ok(desc) = file.image() else {
        return;
    };
    if desc.decoded_frame_bytes() > HARNESS_FRAME_BYTES {
        return;
    }
    for index in 0..desc.number_of_frames.min(4) as usize {
        let Ok(frame) = file.decode_frame(index) else {
            continue;
        };
        if let Ok(params) = file.display_parameters(index) {
            let _ = render_frame(&frame, &params, &RenderOptions::default());
        }
        // Overlay planes: sizes, origins and frame counts from the header, bits from
        // Overlay Data or the Pixel Data words.
        let _ = file.overlay_mask(index);
    }
    // The frames' stacks and time points (Dimension Organization, time attributes).
    let inputs = hounsfield_core::volume::StackInput::from_file(0, &file);
    let _ = hounsfield_core::dimensions::Dimensions::organize(&inputs);
}

/// Native (uncompressed) frames, little and big endian, the last frame of one or two.
pub fn codec_native(data: &[u8]) {
    let Some((desc, rest)) = description(data) else {
        return;
    };
    let layout = hounsfield_codecs::native::NativeLayout {
        big_endian: desc.columns % 2 == 1,
        swap_ow8: desc.rows % 2 == 1,
    };
    let last = desc.number_of_frames as usize - 1;
    let _ = hounsfield_codecs::native::decode(rest, &desc, last, &layout);
}

/// One RLE Lossless frame.
pub fn codec_rle(data: &[u8]) {
    if let Some((desc, rest)) = description(data) {
        let _ = hounsfield_codecs::rle::decode(rest, &desc, 0);
    }
}

/// One JPEG frame (any process).
pub fn codec_jpeg(data: &[u8]) {
    if let Some((desc, rest)) = description(data) {
        let _ = hounsfield_codecs::jpeg::decode(rest, &desc, 0);
    }
}

/// One JPEG-LS frame.
pub fn codec_jpegls(data: &[u8]) {
    if let Some((desc, rest)) = description(data) {
        let _ = hounsfield_codecs::jpegls::decode(rest, &desc, 0);
    }
}

/// One JPEG 2000 / HTJ2K frame (codestream or JP2).
pub fn codec_jpeg2000(data: &[u8]) {
    if let Some((desc, rest)) = description(data) {
        let _ = hounsfield_codecs::jpeg2000::decode(rest, &desc, 0);
    }
}

/// Segmented palette expansion (PS3.3 C.7.9.2): the first two bytes give the number of
/// entries (0 means 65536), the third whether the palette is 8-bit (a byte stream) or
/// 16-bit (a word stream); the rest is the segment stream.
pub fn palette_segmented(data: &[u8]) {
    let Some((head, rest)) = data.split_at_checked(3) else {
        return;
    };
    let entries = match u16::from_le_bytes([head[0], head[1]]) {
        0 => 65536,
        n => usize::from(n),
    };
    let eight_bit = head[2] & 1 == 1;
    let stream: Vec<u16> = if eight_bit {
        rest.iter().map(|&b| u16::from(b)).collect()
    } else {
        rest.chunks_exact(2)
            .map(|w| u16::from_le_bytes([w[0], w[1]]))
            .collect()
    };
    if let Ok(lut) = hounsfield_core::expand_segmented_palette(&stream, entries, eight_bit) {
        assert_eq!(lut.len(), entries, "a palette of the announced size");
    }
}

/// Series assembly from a set of headers: the input is split into files at every
/// `"FUZZ"` separator; each one that opens joins the set, which is grouped into series
/// and assembled into stacks as a folder would be.
pub fn series_headers(data: &[u8]) {
    let files: Vec<DicomFile> = split(data, b"FUZZ")
        .take(16)
        .enumerate()
        .filter_map(|(i, bytes)| DicomFile::from_bytes(format!("{i}.dcm"), bytes.to_vec()).ok())
        .collect();
    let infos: Vec<_> = files
        .iter()
        .map(hounsfield_core::series::InstanceInfo::from_file)
        .collect();
    for series in hounsfield_core::series::group_series(&infos) {
        let inputs: Vec<_> = series
            .instances
            .iter()
            .flat_map(|&i| hounsfield_core::volume::StackInput::from_file(i, &files[i]))
            .collect();
        if let Ok(stack) = hounsfield_core::volume::Stack::assemble(&inputs) {
            let _ = stack.center();
            let _ = stack.min_spacing();
        }
    }
}

/// A multipart/related body (WADO-RS): the first byte gives the length of the boundary,
/// which follows; the rest is the body, parsed whole and again in chunks of the sizes
/// the body's own bytes suggest, which must agree.
#[cfg(feature = "dicomweb")]
pub fn dicomweb_multipart(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let Some((boundary, body)) = rest.split_at_checked(usize::from(n % 80)) else {
        return;
    };
    let Ok(boundary) = std::str::from_utf8(boundary) else {
        return;
    };
    let whole = hounsfield_dicomweb::multipart::parse(body, boundary);
    let Ok(mut splitter) = hounsfield_dicomweb::multipart::Splitter::new(boundary) else {
        return;
    };
    let mut parts = Vec::new();
    let mut at = 0;
    let mut streamed = Ok(());
    while at < body.len() {
        let step = 1 + usize::from(body[at]) % 64;
        let end = (at + step).min(body.len());
        match splitter.push(&body[at..end]) {
            Ok(p) => parts.extend(p),
            Err(e) => {
                streamed = Err(e);
                break;
            }
        }
        at = end;
    }
    if streamed.is_ok() {
        streamed = splitter.finish();
    }
    if let (Ok(whole), Ok(())) = (&whole, &streamed) {
        let bodies = |ps: &[hounsfield_dicomweb::multipart::Part]| -> Vec<Vec<u8>> {
            ps.iter().map(|p| p.body.clone()).collect()
        };
        assert_eq!(
            bodies(whole),
            bodies(&parts),
            "whole and streamed parsing agree"
        );
    }
}

fn split<'a>(data: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(sep.len()).position(|w| w == sep) {
            Some(p) => {
                rest = Some(&r[p + sep.len()..]);
                Some(&r[..p])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}
