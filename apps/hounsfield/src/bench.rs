//! `hounsfield bench`: benchmarks that print tables (never pass/fail).

use clap::Subcommand;
use hounsfield_core::DicomFile;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const PYDICOM_BENCH: &str = include_str!("bench_pydicom.py");

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Decode time per file against pydicom's fastest plugin, measured in the same run.
    Decode {
        /// Files to decode.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Repetitions per file (the median is reported).
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Python with pydicom and the pylibjpeg plugins (default: $HOUNSFIELD_PYTHON,
        /// target/venv/bin/python, python3).
        #[arg(long)]
        python: Option<PathBuf>,
    },
}

pub fn run(cmd: BenchCommand) -> Result<ExitCode, String> {
    match cmd {
        BenchCommand::Decode {
            files,
            repeats,
            python,
        } => decode(&files, repeats.max(1), python),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time_ms(repeats: usize, mut f: impl FnMut() -> Result<(), String>) -> Result<f64, String> {
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(median(times))
}

fn find_python(explicit: Option<PathBuf>) -> PathBuf {
    explicit
        .or_else(|| std::env::var_os("HOUNSFIELD_PYTHON").map(PathBuf::from))
        .or_else(|| Some(PathBuf::from("target/venv/bin/python")).filter(|p| p.exists()))
        .unwrap_or_else(|| PathBuf::from("python3"))
}

struct PyResult {
    ms: Option<f64>,
    plugin: String,
}

fn pydicom_times(python: &Path, files: &[PathBuf], repeats: usize) -> Vec<PyResult> {
    let out = Command::new(python)
        .arg("-c")
        .arg(PYDICOM_BENCH)
        .arg(repeats.to_string())
        .args(files)
        .output();
    let mut results: Vec<PyResult> = files
        .iter()
        .map(|_| PyResult {
            ms: None,
            plugin: "pydicom unavailable".into(),
        })
        .collect();
    let Ok(out) = out else { return results };
    let text = String::from_utf8_lossy(&out.stdout);
    for (line, r) in text.lines().zip(results.iter_mut()) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            r.ms = v["ms"].as_f64();
            r.plugin = v["plugin"]
                .as_str()
                .map(String::from)
                .or_else(|| v["error"].as_str().map(|e| format!("error: {e}")))
                .unwrap_or_default();
        }
    }
    results
}

fn decode(files: &[PathBuf], repeats: usize, python: Option<PathBuf>) -> Result<ExitCode, String> {
    let python = find_python(python);
    eprintln!("timing pydicom with {} ...", python.display());
    let py = pydicom_times(&python, files, repeats);
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| e.to_string())?;
    println!(
        "{:<44} {:<24} {:>6} {:>11} {:>11} {:>11} {:>7}  pydicom plugin",
        "file", "syntax", "frames", "ours 1 thr", "ours all", "pydicom", "ratio"
    );
    println!("{}", "-".repeat(140));
    let mut ratios = Vec::new();
    for (path, p) in files.iter().zip(&py) {
        let name = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = match DicomFile::open(path) {
            Ok(f) => f,
            Err(e) => {
                println!("{name:<44} {}", e.kind);
                continue;
            }
        };
        let frames = match file.image() {
            Ok(d) => d.number_of_frames,
            Err(e) => {
                println!("{name:<44} {}", e.kind);
                continue;
            }
        };
        let decode_all = || {
            file.decode_all_frames()
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let one = single.install(|| time_ms(repeats, decode_all));
        let all = time_ms(repeats, decode_all);
        let syntax: String = file.transfer_syntax().name.chars().take(24).collect();
        match (one, all) {
            (Ok(one), Ok(all)) => {
                let ratio = p.ms.map(|py| py / one);
                if let Some(r) = ratio {
                    ratios.push(r);
                }
                println!(
                    "{name:<44} {syntax:<24} {frames:>6} {one:>9.2}ms {all:>9.2}ms {:>11} {:>7}  {}",
                    p.ms.map(|m| format!("{m:.2}ms"))
                        .unwrap_or_else(|| "-".into()),
                    ratio
                        .map(|r| format!("{r:.2}x"))
                        .unwrap_or_else(|| "-".into()),
                    p.plugin
                );
            }
            (Err(e), _) | (_, Err(e)) => println!("{name:<44} {syntax:<24} {e}"),
        }
    }
    if !ratios.is_empty() {
        let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let geo = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
        println!(
            "\nratio = pydicom ms / ours (1 thread); geometric mean {geo:.2}x, worst {min:.2}x"
        );
    }
    Ok(ExitCode::SUCCESS)
}
