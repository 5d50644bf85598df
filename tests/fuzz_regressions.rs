//! Replays `fuzz/regressions/TARGET/*` through the fuzz targets' own bodies
//! (`fuzz/src/lib.rs`): inputs that once made a target panic, hang or overflow, and
//! hand-made hostile inputs for the risks the fuzzing was built to find. Each must now
//! run to completion within the fuzzing's memory limit (libFuzzer's `-rss_limit_mb=2048`
//! in `scripts/fuzz.sh`; here the peak heap growth, counted by the global allocator, must
//! stay under [`HEAP_LIMIT`]); a panic or a larger heap fails the test and names the input.
//!
//! Every target has at least one input (the test fails otherwise), so that this replay
//! never passes by finding nothing to replay.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod targets;

use hounsfield_conformance::heap::{Counting, peak_of};
use std::path::Path;

#[global_allocator]
static ALLOC: Counting = Counting;

/// The most heap one input may grow while it runs. The harness caps frames at 4 MiB, so
/// no legitimate input comes near; the out-of-memory findings allocated gigabytes.
const HEAP_LIMIT: usize = 256 << 20;

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
    let mut largest = (0, String::new());
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
            let (outcome, peak) = peak_of(|| std::panic::catch_unwind(|| target(&data)));
            if outcome.is_err() {
                failures.push(format!("{}: panicked", input.display()));
            } else if peak > HEAP_LIMIT {
                failures.push(format!("{}: heap grew by {peak} bytes", input.display()));
            }
            if peak > largest.0 {
                largest = (peak, input.display().to_string());
            }
        }
    }
    println!(
        "fuzz regressions: {count} inputs replayed, {} failed; largest heap growth {} KiB ({})",
        failures.len(),
        largest.0 >> 10,
        largest.1
    );
    assert!(failures.is_empty(), "inputs that still fail: {failures:#?}");
}
