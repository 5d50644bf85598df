//! Bad input: every malformed file gives a typed error naming the file and the problem;
//! nothing panics; absurd headers are refused before anything large is allocated.
//!
//! A counting global allocator records the peak heap use of each case.

use hounsfield_conformance::heap::{Counting, MEASURE, peak_of};
use hounsfield_conformance::{corpus, missing, testdata_dir};
use hounsfield_core::{DicomFile, ErrorKind};
use std::panic::{AssertUnwindSafe, catch_unwind};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Opens and decodes every frame; returns the first error.
fn open_and_decode(name: &str, bytes: Vec<u8>) -> Result<usize, hounsfield_core::Error> {
    let f = DicomFile::from_bytes(name, bytes)?;
    let n = f.image()?.number_of_frames as usize;
    for i in 0..n.min(4) {
        f.decode_frame(i)?;
        let _ = f.display_parameters(i)?;
    }
    Ok(n)
}

// A minimal explicit VR little endian writer for synthetic files.
fn el(group: u16, element: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&group.to_le_bytes());
    v.extend_from_slice(&element.to_le_bytes());
    v.extend_from_slice(vr);
    let mut value = value.to_vec();
    if value.len() % 2 == 1 {
        value.push(if vr == b"UI" || vr == b"OB" { 0 } else { b' ' });
    }
    if matches!(vr, b"OB" | b"OW" | b"SQ" | b"UN" | b"UT") {
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&(value.len() as u32).to_le_bytes());
    } else {
        v.extend_from_slice(&(value.len() as u16).to_le_bytes());
    }
    v.extend_from_slice(&value);
    v
}

fn us(group: u16, element: u16, v: u16) -> Vec<u8> {
    el(group, element, b"US", &v.to_le_bytes())
}

fn file(ts: &str, body: &[Vec<u8>]) -> Vec<u8> {
    let mut meta = el(0x0002, 0x0010, b"UI", ts.as_bytes());
    meta.extend(el(0x0002, 0x0002, b"UI", b"1.2.840.10008.5.1.4.1.1.7"));
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    out.extend(el(
        0x0002,
        0x0000,
        b"UL",
        &(meta.len() as u32).to_le_bytes(),
    ));
    out.extend(meta);
    for b in body {
        out.extend_from_slice(b);
    }
    out
}

struct Image<'a> {
    rows: u16,
    columns: u16,
    frames: &'a str,
    bits: u16,
    include_rows: bool,
}

fn image_elements(i: &Image) -> Vec<Vec<u8>> {
    let mut v = vec![
        us(0x0028, 0x0002, 1),
        el(0x0028, 0x0004, b"CS", b"MONOCHROME2"),
        el(0x0028, 0x0008, b"IS", i.frames.as_bytes()),
    ];
    if i.include_rows {
        v.push(us(0x0028, 0x0010, i.rows));
    }
    v.push(us(0x0028, 0x0011, i.columns));
    v.push(us(0x0028, 0x0100, i.bits));
    v.push(us(0x0028, 0x0101, i.bits));
    v.push(us(0x0028, 0x0102, i.bits - 1));
    v.push(us(0x0028, 0x0103, 0));
    v
}

fn native(i: &Image, pixel_bytes: usize) -> Vec<u8> {
    native_with(i, Vec::new(), pixel_bytes)
}

/// [`native`] with more elements (before Pixel Data, in tag order).
fn native_with(i: &Image, more: Vec<Vec<u8>>, pixel_bytes: usize) -> Vec<u8> {
    let mut body = image_elements(i);
    body.extend(more);
    body.push(el(0x7FE0, 0x0010, b"OW", &vec![7u8; pixel_bytes]));
    file("1.2.840.10008.1.2.1", &body)
}

fn encapsulated(ts: &str, i: &Image, fragment: &[u8]) -> Vec<u8> {
    let mut body = image_elements(i);
    let mut px = vec![
        0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
    ];
    px.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
    let mut frag = fragment.to_vec();
    if frag.len() % 2 == 1 {
        frag.push(0);
    }
    px.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
    px.extend_from_slice(&(frag.len() as u32).to_le_bytes());
    px.extend_from_slice(&frag);
    px.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    body.push(px);
    file(ts, &body)
}

fn expect_error(name: &str, bytes: Vec<u8>, check: impl Fn(&ErrorKind) -> bool, budget: usize) {
    let _guard = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    let len = bytes.len();
    let (result, peak) =
        peak_of(|| catch_unwind(AssertUnwindSafe(|| open_and_decode(name, bytes))));
    let result = result.unwrap_or_else(|_| panic!("{name}: panicked"));
    let err = match result {
        Ok(_) => panic!("{name}: accepted"),
        Err(e) => e,
    };
    let text = err.to_string();
    println!("{name} ({len} bytes, peak heap {peak} bytes): {text}");
    assert!(
        text.starts_with(&format!("{name}: ")),
        "the error names the file: {text}"
    );
    assert!(
        check(&err.kind),
        "{name}: unexpected error kind {:?}",
        err.kind
    );
    assert!(
        peak <= budget,
        "{name}: peak heap {peak} bytes exceeds {budget}"
    );
}

const SMALL: usize = 4 << 20;

#[test]
fn number_of_frames_1a_is_named() {
    let i = Image {
        rows: 4,
        columns: 4,
        frames: "1A",
        bits: 16,
        include_rows: true,
    };
    expect_error(
        "frames-1A.dcm",
        native(&i, 32),
        |k| matches!(k, ErrorKind::InvalidAttribute { name, .. } if name.contains("Number of Frames")),
        SMALL,
    );
}

#[test]
fn missing_rows_is_named() {
    let i = Image {
        rows: 4,
        columns: 4,
        frames: "1",
        bits: 16,
        include_rows: false,
    };
    expect_error(
        "no-rows.dcm",
        native(&i, 32),
        |k| matches!(k, ErrorKind::MissingAttribute(a) if a.contains("Rows")),
        SMALL,
    );
}

#[test]
fn rescale_slope_of_zero_is_named() {
    let i = Image {
        rows: 4,
        columns: 4,
        frames: "1",
        bits: 16,
        include_rows: true,
    };
    let rescale = vec![
        el(0x0028, 0x1052, b"DS", b"-1024"),
        el(0x0028, 0x1053, b"DS", b"0"),
    ];
    expect_error(
        "slope-0.dcm",
        native_with(&i, rescale, 32),
        |k| matches!(k, ErrorKind::InvalidAttribute { name, .. } if *name == "Rescale Slope"),
        SMALL,
    );
}

#[test]
fn frames_that_disagree_with_the_data() {
    let i = Image {
        rows: 64,
        columns: 64,
        frames: "10",
        bits: 16,
        include_rows: true,
    };
    expect_error(
        "short-data.dcm",
        native(&i, 64 * 64 * 2),
        |k| matches!(k, ErrorKind::PixelDataSize { expected, actual, .. } if *expected == 81920 && *actual == 8192),
        SMALL,
    );
}

#[test]
fn absurd_native_header_allocates_nothing_large() {
    let i = Image {
        rows: 65535,
        columns: 65535,
        frames: "10000",
        bits: 16,
        include_rows: true,
    };
    expect_error(
        "absurd-native.dcm",
        native(&i, 1024),
        |k| matches!(k, ErrorKind::PixelDataSize { .. } | ErrorKind::TooLarge(_)),
        SMALL,
    );
    let i = Image {
        rows: 4000,
        columns: 4000,
        frames: "10000",
        bits: 16,
        include_rows: true,
    };
    expect_error(
        "many-frames.dcm",
        native(&i, 1024),
        |k| matches!(k, ErrorKind::PixelDataSize { .. }),
        SMALL,
    );
}

#[test]
fn absurd_encapsulated_header_allocates_nothing_large() {
    let i = Image {
        rows: 65535,
        columns: 65535,
        frames: "1",
        bits: 16,
        include_rows: true,
    };
    for ts in [
        "1.2.840.10008.1.2.4.80",
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.70",
        "1.2.840.10008.1.2.5",
    ] {
        expect_error(
            &format!("absurd-{ts}.dcm"),
            encapsulated(ts, &i, &[0xFF, 0xD8, 0xFF, 0xD9]),
            |k| matches!(k, ErrorKind::TooLarge(_)),
            SMALL,
        );
    }
    // Frames announced beyond the fragments present.
    let i = Image {
        rows: 16,
        columns: 16,
        frames: "10000",
        bits: 16,
        include_rows: true,
    };
    expect_error(
        "absurd-frames.dcm",
        encapsulated("1.2.840.10008.1.2.5", &i, &[0u8; 64]),
        |k| matches!(k, ErrorKind::InvalidAttribute { name, .. } if name.contains("Number of Frames")),
        SMALL,
    );
}

#[test]
fn codec_stream_disagreeing_with_the_header_is_refused_before_allocation() {
    // A JPEG-LS frame header claiming 60000 x 60000 in a 16 x 16 image.
    let mut jls = vec![
        0xFF, 0xD8, 0xFF, 0xF7, 0x00, 0x0B, 0x08, 0xEA, 0x60, 0xEA, 0x60, 0x01, 0x01, 0x11, 0x00,
    ];
    jls.extend_from_slice(&[
        0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xD9,
    ]);
    let i = Image {
        rows: 16,
        columns: 16,
        frames: "1",
        bits: 8,
        include_rows: true,
    };
    expect_error(
        "jls-size-mismatch.dcm",
        encapsulated("1.2.840.10008.1.2.4.80", &i, &jls),
        |k| matches!(k, ErrorKind::Codec { message, .. } if message.contains("60000")),
        SMALL,
    );
    // A JPEG 2000 SIZ claiming 60000 x 60000 in one-pixel tiles.
    let mut j2k = vec![0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00];
    for v in [60000u32, 60000, 0, 0, 1, 1, 0, 0] {
        j2k.extend_from_slice(&v.to_be_bytes());
    }
    j2k.extend_from_slice(&[0x00, 0x01, 0x07, 0x01, 0x01]);
    let i = Image {
        rows: 16,
        columns: 16,
        frames: "1",
        bits: 8,
        include_rows: true,
    };
    expect_error(
        "j2k-tiles.dcm",
        encapsulated("1.2.840.10008.1.2.4.90", &i, &j2k),
        |k| matches!(k, ErrorKind::Codec { message, .. } if message.contains("tiles")),
        SMALL,
    );
}

#[test]
fn lengths_beyond_the_data_are_refused() {
    let i = Image {
        rows: 4,
        columns: 4,
        frames: "1",
        bits: 16,
        include_rows: true,
    };
    let mut bytes = native(&i, 32);
    // Make the Pixel Data length claim 4 GiB - 2.
    let n = bytes.len();
    bytes[n - 32 - 4..n - 32].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    expect_error(
        "huge-length.dcm",
        bytes,
        |k| matches!(k, ErrorKind::Truncated { .. }),
        SMALL,
    );
    expect_error(
        "garbage.dcm",
        b"this is not a DICOM file at all".to_vec(),
        |k| matches!(k, ErrorKind::NotDicom(_)),
        SMALL,
    );
    expect_error(
        "empty.dcm",
        Vec::new(),
        |k| matches!(k, ErrorKind::NotDicom(_)),
        SMALL,
    );
}

/// The malformed files of the corpus give clear errors.
#[test]
fn malformed_corpus_files() {
    let td = testdata_dir();
    if !td.is_dir() {
        return missing("the test corpus");
    }
    let t = td.join("pydicom-3.0.2/pydicom/data/test_files");
    let d = td.join("pydicom-data-1.0.0/data_store/data");
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (t.join("MR_truncated.dcm"), "truncated"),
        (t.join("badVR.dcm"), "Number of Frames"),
        (t.join("meta_missing_tsyntax.dcm"), "Rows"),
        (t.join("nested_priv_SQ.dcm"), "Rows"),
        (t.join("no_meta.dcm"), "no DICM prefix"),
        (t.join("rtplan_truncated.dcm"), "truncated"),
        (t.join("JPEG2000-embedded-sequence-delimiter.dcm"), "tiles"),
        (
            d.join("emri_small_jpeg_2k_lossless_too_short.dcm"),
            "truncated",
        ),
    ];
    for (path, words) in cases {
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = catch_unwind(AssertUnwindSafe(|| open_and_decode(&name, bytes)));
        let err = r
            .unwrap_or_else(|_| panic!("{name}: panicked"))
            .expect_err(&name);
        let text = err.to_string();
        println!("{text}");
        assert!(
            text.starts_with(&name) && text.contains(words),
            "{name}: {text} (expected to mention {words:?})"
        );
    }
}

/// Deterministic xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Truncations and byte flips of real files of every codec: errors, never panics.
#[test]
fn mutated_real_files_never_panic() {
    let Some(files) = corpus() else {
        return missing("the test corpus");
    };
    let picks = [
        "pydicom/CT_small.dcm",
        "pydicom/MR_small_RLE.dcm",
        "pydicom/MR_small_jpeg_ls_lossless.dcm",
        "pydicom/SC_rgb_jls_lossy_sample.dcm",
        "pydicom/MR_small_jp2klossless.dcm",
        "pydicom/JPGExtended.dcm",
        "pydicom/SC_rgb_jpeg_dcmtk.dcm",
        "pydicom/image_dfl.dcm",
        "pydicom/SC_rgb_rle_32bit.dcm",
        "pydicom-data/JPGLosslessP14SV1_1s_1f_8b.dcm",
        "pydicom-data/emri_small_jpeg_ls_lossless.dcm",
        "pydicom/examples_palette.dcm",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    let mut errors = 0;
    for pick in picks {
        let f = files
            .iter()
            .find(|f| f.label == pick)
            .unwrap_or_else(|| panic!("{pick} missing from the corpus"));
        let original = std::fs::read(&f.path).expect("read");
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for k in 1..40 {
            variants.push(original[..original.len() * k / 40].to_vec());
        }
        for _ in 0..120 {
            let mut v = original.clone();
            for _ in 0..(1 + rng.next() % 4) {
                let at = (rng.next() % v.len() as u64) as usize;
                v[at] = (rng.next() & 0xFF) as u8;
            }
            variants.push(v);
        }
        for v in variants {
            runs += 1;
            let r = catch_unwind(AssertUnwindSafe(|| open_and_decode(pick, v)));
            match r {
                Err(_) => panic!("{pick}: a mutation panicked (run {runs})"),
                Ok(Err(e)) => {
                    errors += 1;
                    assert!(e.to_string().starts_with(pick), "error names the file: {e}");
                }
                Ok(Ok(_)) => {}
            }
        }
    }
    println!("{runs} mutated files, {errors} refused with an error, none panicked");
}
