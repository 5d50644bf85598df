//! The core in a real browser: `cargo test --target wasm32-unknown-unknown -p
//! hounsfield-core --test browser` runs these in headless Chromium through
//! wasm-bindgen-test-runner and chromedriver (`scripts/test.sh` sets them up).
//!
//! The real embedded sample (pydicom's `CT_small.dcm`) is parsed and decoded in the
//! browser, written again by dicom-object in other transfer syntaxes (RLE Lossless,
//! encoded here; Deflated Explicit VR Little Endian) and decoded back: every variant
//! must give the same stored values. Broken variants must give errors, not panics.
//! (The page's end-to-end test covers JPEG, JPEG-LS and JPEG 2000 in the browser against
//! native renders.)
#![cfg(target_arch = "wasm32")]

use dicom_core::value::PixelFragmentSequence;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_object::meta::FileMetaTableBuilder;
use hounsfield_core::pipeline::{RenderOptions, render_view};
use hounsfield_core::view::View;
use hounsfield_core::{DicomFile, Frame, tags};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const SAMPLE: &[u8] = include_bytes!("../../hounsfield-viewer/assets/CT_small.dcm");

fn sample() -> (DicomFile, Frame) {
    let file = DicomFile::from_bytes("CT_small.dcm", SAMPLE.to_vec()).expect("parse the sample");
    let frame = file.decode_frame(0).expect("decode the sample");
    (file, frame)
}

/// PackBits literal runs (at most 128 bytes each), padded to an even length.
fn rle_segment(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in bytes.chunks(128) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
    if out.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// The sample's dataset with `pixel_data`, written as a Part 10 file in `transfer_syntax`.
fn rewrite(
    file: &DicomFile,
    transfer_syntax: &str,
    pixel_data: DataElement<dicom_object::InMemDicomObject>,
) -> Vec<u8> {
    let mut dataset = file.dataset().clone();
    dataset.put(pixel_data);
    let sop_class = file
        .attributes()
        .string(tags::SOP_CLASS_UID)
        .expect("SOP Class UID");
    let sop_instance = file
        .attributes()
        .string(tags::SOP_INSTANCE_UID)
        .expect("SOP Instance UID");
    let object = dataset
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(transfer_syntax)
                .media_storage_sop_class_uid(sop_class)
                .media_storage_sop_instance_uid(sop_instance),
        )
        .expect("file meta");
    let mut out = Vec::new();
    object.write_all(&mut out).expect("write");
    out
}

fn little_endian_words(frame: &Frame) -> Vec<u8> {
    frame.samples.to_le_bytes()
}

#[wasm_bindgen_test]
fn the_sample_decodes_and_renders_in_the_browser() {
    let (file, frame) = sample();
    let image = file.image().expect("image description");
    assert_eq!((frame.width, frame.height), (image.columns, image.rows));
    assert_eq!(frame.samples.len(), (image.columns * image.rows) as usize);
    let params = file.display_parameters(0).expect("display parameters");
    let rendered = render_view(
        &frame,
        &params,
        &RenderOptions::default(),
        &View::native(frame.width, frame.height),
    )
    .expect("render");
    let mut levels: Vec<u8> = rendered.pixels.clone();
    levels.sort_unstable();
    levels.dedup();
    assert!(
        levels.len() > 16,
        "a CT slice shows many grey levels, got {}",
        levels.len()
    );
}

#[wasm_bindgen_test]
fn rle_written_in_the_browser_decodes_to_the_same_values() {
    let (file, frame) = sample();
    // 16-bit samples: a segment of high bytes, then one of low bytes (PS3.5 G.2).
    let words = little_endian_words(&frame);
    let high: Vec<u8> = words.chunks_exact(2).map(|w| w[1]).collect();
    let low: Vec<u8> = words.chunks_exact(2).map(|w| w[0]).collect();
    let (s1, s2) = (rle_segment(&high), rle_segment(&low));
    let mut fragment = vec![0u8; 64];
    fragment[0..4].copy_from_slice(&2u32.to_le_bytes());
    fragment[4..8].copy_from_slice(&64u32.to_le_bytes());
    fragment[8..12].copy_from_slice(&(64 + s1.len() as u32).to_le_bytes());
    fragment.extend_from_slice(&s1);
    fragment.extend_from_slice(&s2);
    let pixel_data = DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PixelFragmentSequence::new(Vec::<u32>::new(), vec![fragment]),
    );
    let bytes = rewrite(&file, "1.2.840.10008.1.2.5", pixel_data);
    let rle = DicomFile::from_bytes("rle.dcm", bytes).expect("parse the RLE variant");
    assert_eq!(rle.transfer_syntax().uid, "1.2.840.10008.1.2.5");
    let decoded = rle.decode_frame(0).expect("decode the RLE variant");
    assert_eq!(decoded, frame);
}

#[wasm_bindgen_test]
fn deflated_written_in_the_browser_decodes_to_the_same_values() {
    let (file, frame) = sample();
    let pixel_data = DataElement::new(
        tags::PIXEL_DATA,
        VR::OW,
        PrimitiveValue::from(little_endian_words(&frame)),
    );
    let bytes = rewrite(&file, "1.2.840.10008.1.2.1.99", pixel_data);
    let deflated =
        DicomFile::from_bytes("deflated.dcm", bytes).expect("parse the deflated variant");
    assert_eq!(deflated.transfer_syntax().uid, "1.2.840.10008.1.2.1.99");
    assert_eq!(
        deflated
            .decode_frame(0)
            .expect("decode the deflated variant"),
        frame
    );
}

#[wasm_bindgen_test]
fn broken_files_give_errors_in_the_browser() {
    for cut in [0, 10, 132, 400, SAMPLE.len() / 2, SAMPLE.len() - 3] {
        let result = DicomFile::from_bytes("cut.dcm", SAMPLE[..cut].to_vec())
            .and_then(|f| f.decode_frame(0));
        let err = result.expect_err("a truncated file must not decode");
        assert!(err.to_string().contains("cut.dcm"), "{err}");
    }
}
