//! Acceptance checks on `../shared/data`:
//! - the nine files of `mr-transfer-syntaxes` (one MR image in nine transfer syntaxes)
//!   decode to identical pixels;
//! - the three files of `mr-12bit` render as `expected-appearance.png` shows: the 0x0F0F
//!   stripes (0x0F0F and 0xFFFF words) appear white in the unsigned file and black in the
//!   signed one, whose values
//!   from 2048 up turn negative and are clipped to black, while the garbage-free unsigned
//!   file shows neither.

use hounsfield_conformance::{missing, shared_data_dir};
use hounsfield_core::pipeline::{RenderOptions, render_frame};
use hounsfield_core::{DicomFile, Frame};

fn decode(path: &std::path::Path) -> Frame {
    let f = DicomFile::open(path).unwrap_or_else(|e| panic!("{e}"));
    f.decode_frame(0).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn mr_transfer_syntaxes_decode_identically() {
    let dir = shared_data_dir().join("mr-transfer-syntaxes");
    if !dir.is_dir() {
        return missing("../shared/data/mr-transfer-syntaxes");
    }
    let reference = decode(&dir.join("1.dcm"));
    let mut syntaxes = Vec::new();
    for i in 1..=9 {
        let path = dir.join(format!("{i}.dcm"));
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        syntaxes.push(file.transfer_syntax().name);
        let frame = decode(&path);
        assert_eq!(
            frame,
            reference,
            "{i}.dcm ({}) differs from 1.dcm",
            file.transfer_syntax().name
        );
    }
    syntaxes.sort();
    syntaxes.dedup();
    assert!(
        syntaxes.len() >= 6,
        "expected several syntaxes, got {syntaxes:?}"
    );
    println!("identical pixels in: {syntaxes:?}");
}

fn render(path: &std::path::Path) -> (Frame, Vec<u8>) {
    let file = DicomFile::open(path).unwrap_or_else(|e| panic!("{e}"));
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !params.windows.is_empty(),
        "{} has a window",
        path.display()
    );
    let image =
        render_frame(&frame, &params, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    (frame, image.pixels)
}

#[test]
fn mr_12bit_masking_and_sign_extension() {
    let dir = shared_data_dir().join("mr-12bit");
    if !dir.is_dir() {
        return missing("../shared/data/mr-12bit");
    }
    let (clean, clean_px) = render(&dir.join("12bitUnsigned.dcm"));
    let (striped, striped_px) = render(&dir.join("12bitUnsigned_0x0F0F.dcm"));
    let (signed, signed_px) = render(&dir.join("12bitSigned_0x0F0F.dcm"));
    let n = clean.samples.len();
    // Stripes: where the garbage-carrying file differs from the clean one.
    let stripes: Vec<usize> = (0..n)
        .filter(|&i| clean.samples.get_i64(i) != striped.samples.get_i64(i))
        .collect();
    assert!(
        stripes.len() > 20,
        "the 0x0F0F file shows stripes ({} pixels)",
        stripes.len()
    );
    assert!(
        stripes.len() < n / 20,
        "stripes are thin lines, not the image ({} pixels)",
        stripes.len()
    );
    // All values stay within 12 bits: nothing of the high nibble leaks through.
    let (lo, hi) = striped.samples.min_max().unwrap_or_default();
    assert!(
        lo >= 0.0 && hi < 4096.0,
        "unsigned 12-bit range, got {lo}..{hi}"
    );
    let (lo, hi) = signed.samples.min_max().unwrap_or_default();
    assert!(
        lo >= -2048.0 && hi < 2048.0,
        "signed 12-bit range, got {lo}..{hi}"
    );
    for &i in &stripes {
        assert_eq!(striped_px[i], 255, "stripes are white in the unsigned file");
        // 0x0F0F and 0xFFFF sign-extend to -241 and -1: below or at the bottom of the
        // window (764/1646 reaches down to -59), so black or nearly so.
        assert!(
            signed_px[i] < 16,
            "stripes are black in the signed file, got {}",
            signed_px[i]
        );
    }
    let mut clipped = 0;
    for i in 0..n {
        if stripes.binary_search(&i).is_ok() {
            continue;
        }
        assert_eq!(
            striped_px[i], clean_px[i],
            "outside the stripes the two unsigned files agree"
        );
        let unsigned = striped.samples.get_i64(i);
        // Signed: the same bits, sign-extended from bit 11.
        let expected = if unsigned >= 2048 {
            unsigned - 4096
        } else {
            unsigned
        };
        assert_eq!(
            signed.samples.get_i64(i),
            expected,
            "sign extension at pixel {i}"
        );
        if unsigned >= 2048 {
            clipped += 1;
            assert_eq!(
                signed_px[i], 0,
                "values from 2048 up are negative in the signed file"
            );
        } else {
            assert_eq!(signed_px[i], clean_px[i]);
        }
    }
    assert!(clipped > 0, "the signed file clips its brightest values");
}
