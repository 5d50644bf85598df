//! Replays `fuzz/regressions/TARGET/*` through the fuzz targets' own bodies
//! (`fuzz/src/lib.rs`): inputs that once made a target panic, hang or overflow, and
//! hand-made hostile inputs for the risks the fuzzing was built to find. Each must now
//! run to completion; a panic fails the test and names the input.
//!
//! Every target has at least one input (the test fails otherwise), so that this replay
//! never passes by finding nothing to replay.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 9] = [
    ("decode_file", targets::decode_file),
    ("codec_native", targets::codec_native),
    ("codec_rle", targets::codec_rle),
    ("codec_jpeg", targets::codec_jpeg),
    ("codec_jpegls", targets::codec_jpegls),
    ("codec_jpeg2000", targets::codec_jpeg2000),
    ("palette_segmented", targets::palette_segmented),
    ("series_headers", targets::series_headers),
    ("dicomweb_multipart", targets::dicomweb_multipart),
];

#[test]
fn fuzz_regressions_run_to_completion() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, target) in TARGETS {
        let dir = root.join(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{}: no inputs to replay", dir.display());
        for input in inputs {
            let data = std::fs::read(&input).expect("readable input");
            count += 1;
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                failures.push(input.display().to_string());
            }
        }
    }
    println!(
        "fuzz regressions: {count} inputs replayed, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "inputs that still fail: {failures:#?}");
}
