//! Decode time per frame for one file of each transfer syntax, printed as a table (no
//! pass/fail). Used to weigh overflow checks in release builds:
//!
//! ```text
//! cargo bench -p hounsfield-dicom --bench decode [-- FILE...]
//! CARGO_PROFILE_BENCH_OVERFLOW_CHECKS=true cargo bench -p hounsfield-dicom --bench decode
//! ```
//!
//! Default files: the nine transfer syntaxes of one MR (`../shared/data/mr-transfer-syntaxes`),
//! and from pydicom-data a colour JPEG baseline, a 16-bit radiograph and a JPEG 2000
//! ultrasound (`target/testdata`, unpacked by `scripts/setup-test-env.sh`).

use hounsfield_dicom::DicomFile;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Each file is decoded for at least this long; the median frame time is reported.
const PER_FILE: Duration = Duration::from_millis(1500);

fn default_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = (1..=9)
        .map(|i| root.join(format!("../shared/data/mr-transfer-syntaxes/{i}.dcm")))
        .collect();
    let data = root.join("target/testdata/pydicom-data-1.0.0/data_store/data");
    for name in ["color3d_jpeg_baseline.dcm", "RG1_UNCR.dcm", "US1_J2KR.dcm"] {
        files.push(data.join(name));
    }
    files
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let args: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    let files = if args.is_empty() {
        default_files(&root)
    } else {
        args
    };
    let checks = if cfg!(debug_assertions) || overflow_checks_on() {
        "on"
    } else {
        "off"
    };
    println!("decode, overflow checks {checks}; median of repeated whole-frame decodes");
    println!("| file | transfer syntax | frame | ms/frame | Mpixel/s |");
    println!("| --- | --- | --- | ---: | ---: |");
    let mut failed = false;
    for path in files {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let file = match DicomFile::open(&path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{e}");
                failed = true;
                continue;
            }
        };
        let syntax = file.meta().transfer_syntax_uid.clone().unwrap_or_default();
        let (frames, size) = match file.image() {
            Ok(d) => (d.number_of_frames as usize, (d.columns, d.rows)),
            Err(e) => {
                eprintln!("{e}");
                failed = true;
                continue;
            }
        };
        let mut times = Vec::new();
        let start = Instant::now();
        'outer: while start.elapsed() < PER_FILE || times.len() < 5 {
            for i in 0..frames.min(8) {
                let t = Instant::now();
                if let Err(e) = file.decode_frame(i) {
                    eprintln!("{e}");
                    failed = true;
                    break 'outer;
                }
                times.push(t.elapsed().as_secs_f64());
            }
        }
        if times.is_empty() {
            continue;
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let mpix = f64::from(size.0) * f64::from(size.1) / median / 1e6;
        println!(
            "| {name} | {syntax} | {}x{} | {:.3} | {mpix:.1} |",
            size.0,
            size.1,
            median * 1e3
        );
    }
    if failed {
        std::process::exit(1);
    }
}

/// Whether arithmetic overflow traps in this build (probed at run time, so that the
/// table says which build it measured).
fn overflow_checks_on() -> bool {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let x = std::hint::black_box(u8::MAX);
    let on = std::panic::catch_unwind(|| std::hint::black_box(x) + 1).is_err();
    std::panic::set_hook(hook);
    on
}
