//! `hounsfield bench`: benchmarks that print tables (never pass/fail).

use clap::Subcommand;
use hounsfield_core::pipeline::{GreyPipeline, RenderOptions, render_view};
use hounsfield_core::view::View;
use hounsfield_core::{DicomFile, DisplayParameters, Frame, FrameColor, Samples};
use hounsfield_render::DrawState;
use hounsfield_render::headless::Headless;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const PYDICOM_BENCH: &str = include_str!("bench_pydicom.py");
const NUMPY_WINDOW: &str = include_str!("bench_numpy.py");
const VOLUME_PY: &str = include_str!("bench_volume.py");

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
    /// Time to re-render after a window change (render + submit + wait) on the GPU, against
    /// the CPU reference and a NumPy windowing at the same output size.
    Window {
        /// Images to time (default: a 512 x 512 CT of ../shared/data, the largest file of
        /// the corpus and a synthetic 4096 x 4096 image).
        files: Vec<PathBuf>,
        /// Output size.
        #[arg(long, default_value = "1280x1024", value_parser = crate::render::parse_size_arg)]
        size: (u32, u32),
        /// Window changes per image (the median is reported).
        #[arg(long, default_value_t = 30)]
        repeats: usize,
        /// Python with NumPy (default: $HOUNSFIELD_PYTHON, target/venv/bin/python, python3).
        #[arg(long)]
        python: Option<PathBuf>,
    },
    /// A series folder to a volume: time to the first slice, to the whole volume, and peak
    /// memory, against pydicom + NumPy reading and stacking the same folder in the same run.
    Volume {
        /// The series folder (default: a 512 x 512 CT series of --slices slices built under
        /// target/bench from ../shared/data/ct-philips-brain).
        folder: Option<PathBuf>,
        /// Slices of the built series.
        #[arg(long, default_value_t = 141)]
        slices: usize,
        /// Runs of each side, each in a fresh process (medians are reported, after one
        /// run that warms the page cache).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Python with pydicom and NumPy (default: $HOUNSFIELD_PYTHON, target/venv/bin/python, python3).
        #[arg(long)]
        python: Option<PathBuf>,
    },
    /// A series over DICOMweb (ROOT/studies/UID/series/UID): time to the first image and
    /// to the whole series decoded, against Python's dicomweb-client + pydicom in the same
    /// run.
    Dicomweb {
        url: String,
        /// Runs of each side (medians are reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Python with dicomweb-client, pydicom and pylibjpeg (default: $HOUNSFIELD_PYTHON,
        /// target/venv/bin/python, python3).
        #[arg(long)]
        python: Option<PathBuf>,
    },
    /// The native viewer in a real window (its own Xvfb), driven by xdotool: time to the
    /// first image and to all slices, redraw times of a window/level drag, of a wheel
    /// scroll and of a drag in the planes layout (median, 95th percentile), the scroll
    /// rate, and peak resident memory beside the series' decoded pixel bytes.
    Viewer {
        /// The series folder (default: a 512 x 512 CT series of --slices slices built under
        /// target/bench from ../shared/data/ct-philips-brain, new positions and UIDs).
        folder: Option<PathBuf>,
        /// Slices of the built series.
        #[arg(long, default_value_t = 1000)]
        slices: usize,
        /// Window size.
        #[arg(long, default_value = "1280x1024", value_parser = crate::render::parse_size_arg)]
        size: (u32, u32),
        /// Pointer moves of each drag and wheel clicks of the scroll.
        #[arg(long, default_value_t = 120)]
        steps: usize,
        /// What draws the images in the viewer: gpu, cpu or auto.
        #[arg(long, default_value = "auto")]
        renderer: String,
        /// The viewer's --volume-budget (MiB): the planes' volume is cut at a reduced
        /// resolution to fit.
        #[arg(long, value_name = "MIB")]
        volume_budget: Option<u64>,
        /// Python with pydicom and NumPy, to build the series (default: $HOUNSFIELD_PYTHON,
        /// target/venv/bin/python, python3).
        #[arg(long)]
        python: Option<PathBuf>,
    },
    /// What a segment's change of style (hidden, faded) costs over frame 1 of IMAGE: the
    /// masks restyled on the GPU from their placed upload, beside painting the layer on
    /// the CPU and uploading it, and the once-per-frame placing and upload of the masks.
    Layers {
        /// The image.
        image: PathBuf,
        /// A DICOM Segmentation with segments over it (repeat for several).
        #[arg(long, required = true)]
        segmentation: Vec<PathBuf>,
        /// Also time moving a sagittal plane through this series folder with the
        /// segments over it.
        #[arg(long)]
        folder: Option<PathBuf>,
        /// Changes timed (the median is reported).
        #[arg(long, default_value_t = 20)]
        repeats: usize,
    },
    /// What a plane costs on the GPU by how the series' volume is split into textures
    /// (one; 2D arrays in 2 and 4 bricks; 3D textures in 2, on a device capped to make
    /// them): median times of thin planes and slabs.
    Planes {
        /// The series folder (default: a 512 x 512 CT series of --slices slices built under
        /// target/bench from ../shared/data/ct-philips-brain).
        folder: Option<PathBuf>,
        /// Slices of the built series.
        #[arg(long, default_value_t = 1000)]
        slices: usize,
        /// Resamples of each plane (the median is reported).
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Python with pydicom and NumPy, to build the series (default: $HOUNSFIELD_PYTHON,
        /// target/venv/bin/python, python3).
        #[arg(long)]
        python: Option<PathBuf>,
    },
    /// One measured load of `bench volume`, in its own process; prints JSON.
    #[command(hide = true)]
    VolumeRun { folder: PathBuf },
    /// Builds (once) the 512 x 512 CT series of --slices slices that `bench viewer` and
    /// the page's series bench open (from ../shared/data/ct-philips-brain, new positions
    /// and UIDs, under target/bench) and prints its folder.
    Series {
        /// Slices of the series.
        #[arg(long, default_value_t = 1000)]
        slices: usize,
        /// Python with pydicom and NumPy (default: $HOUNSFIELD_PYTHON,
        /// target/venv/bin/python, python3).
        #[arg(long)]
        python: Option<PathBuf>,
    },
}

pub fn run(cmd: BenchCommand) -> Result<ExitCode, String> {
    match cmd {
        BenchCommand::Layers {
            image,
            segmentation,
            folder,
            repeats,
        } => crate::bench_layers::layers(&image, &segmentation, folder.as_deref(), repeats.max(1)),
        BenchCommand::Decode {
            files,
            repeats,
            python,
        } => decode(&files, repeats.max(1), python),
        BenchCommand::Window {
            files,
            size,
            repeats,
            python,
        } => window(&files, size, repeats.max(3), python),
        BenchCommand::Volume {
            folder,
            slices,
            runs,
            python,
        } => volume(folder, slices.max(2), runs.max(1), python),
        BenchCommand::VolumeRun { folder } => volume_run(&folder),
        BenchCommand::Planes {
            folder,
            slices,
            repeats,
            python,
        } => crate::bench_planes::planes(
            &bench_series(folder, slices.max(3), &find_python(python))?,
            repeats.max(1),
        ),
        BenchCommand::Series { slices, python } => {
            let folder = bench_series(None, slices.max(2), &find_python(python))?;
            println!("{}", folder.display());
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Viewer {
            folder,
            slices,
            size,
            steps,
            renderer,
            volume_budget,
            python,
        } => crate::bench_viewer::run(&crate::bench_viewer::ViewerBench {
            folder: bench_series(folder, slices.max(2), &find_python(python))?,
            size,
            steps,
            viewer_args: ["--renderer".to_string(), renderer]
                .into_iter()
                .chain(volume_budget.map(|m| format!("--volume-budget={m}")))
                .collect(),
        }),
        BenchCommand::Dicomweb { url, runs, python } => {
            crate::bench_dicomweb::run(&url, runs.max(1), &find_python(python))
        }
    }
}

/// Peak resident memory of this process so far (VmHWM), KiB; 0 where unknown.
fn peak_rss_kb() -> u64 {
    process_memory_kb("self", "VmHWM")
}

/// A memory figure of process `pid` ("self" for this one) from Linux's
/// `/proc/PID/status` (`VmHWM`: peak resident, `VmRSS`: resident now), KiB; 0 where
/// unknown.
pub fn process_memory_kb(pid: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn volume_run(folder: &Path) -> Result<ExitCode, String> {
    use hounsfield_core::folder::{Catalog, expand, open_if_dicom};
    let base = peak_rss_kb();
    let start = Instant::now();
    // The first slice as the viewer shows it: the first DICOM file by name, decoded.
    let (files, _) = expand(&[folder.to_path_buf()]);
    let first = files
        .iter()
        .find_map(|p| open_if_dicom(p).ok())
        .ok_or_else(|| format!("{}: no DICOM file", folder.display()))?;
    let frame = first.decode_frame(0).map_err(|e| e.to_string())?;
    let first_ms = start.elapsed().as_secs_f64() * 1e3;
    drop((frame, first));
    let catalog = Catalog::scan(&[folder.to_path_buf()]);
    let volume = catalog.volume(0)?;
    let volume_ms = start.elapsed().as_secs_f64() * 1e3;
    println!(
        "{}",
        serde_json::json!({
            "first_ms": first_ms,
            "volume_ms": volume_ms,
            "rss_base_kb": base,
            "rss_peak_kb": peak_rss_kb(),
            "volume_bytes": volume.data.bytes(),
            "slices": volume.stack.slices.len(),
            "threads": rayon::current_num_threads(),
        })
    );
    Ok(ExitCode::SUCCESS)
}

fn json_of(out: std::process::Output, who: &str) -> Result<serde_json::Value, String> {
    if !out.status.success() {
        return Err(format!(
            "{who} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| format!("{who}: {e}: {line}"))
}

fn volume(
    folder: Option<PathBuf>,
    slices: usize,
    runs: usize,
    python: Option<PathBuf>,
) -> Result<ExitCode, String> {
    let python = find_python(python);
    let folder = bench_series(folder, slices, &python)?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let ours = || {
        Command::new(&exe)
            .args(["bench", "volume-run"])
            .arg(&folder)
            .output()
            .map_err(|e| e.to_string())
            .and_then(|o| json_of(o, "hounsfield"))
    };
    let theirs = || {
        Command::new(&python)
            .arg("-c")
            .arg(VOLUME_PY)
            .arg("read")
            .arg(&folder)
            .output()
            .map_err(|e| e.to_string())
            .and_then(|o| json_of(o, "pydicom"))
    };
    // Warm the page cache for both.
    let first = ours()?;
    let py_ok = theirs();
    let mut us = Vec::new();
    let mut py = Vec::new();
    for _ in 0..runs {
        us.push(ours()?);
        if py_ok.is_ok() {
            py.push(theirs()?);
        }
    }
    let med = |v: &[serde_json::Value], key: &str| {
        median(v.iter().filter_map(|x| x[key].as_f64()).collect())
    };
    let volume_mb = first["volume_bytes"].as_f64().unwrap_or(0.0) / 1048576.0;
    println!(
        "{}: {} slices, volume {volume_mb:.1} MiB; {runs} runs each in a fresh process, warm page cache, medians; {} decoding threads\n",
        folder.display(),
        first["slices"],
        first["threads"]
    );
    println!(
        "{:<16} {:>14} {:>14} {:>16} {:>18}",
        "", "first slice", "full volume", "peak RSS", "peak - baseline"
    );
    let row = |name: &str, v: &[serde_json::Value]| {
        let peak = med(v, "rss_peak_kb") / 1024.0;
        let base = med(v, "rss_base_kb") / 1024.0;
        println!(
            "{name:<16} {:>11.1} ms {:>11.1} ms {:>12.1} MiB {:>9.1} MiB {:>4.2}x",
            med(v, "first_ms"),
            med(v, "volume_ms"),
            peak,
            peak - base,
            (peak - base) / volume_mb.max(1e-9)
        );
    };
    row("hounsfield", &us);
    match &py_ok {
        Ok(_) => {
            row("pydicom+NumPy", &py);
            println!(
                "\nspeed-up: first slice {:.1}x, full volume {:.1}x (pydicom + NumPy import time, {:.0} ms, not counted)",
                med(&py, "first_ms") / med(&us, "first_ms"),
                med(&py, "volume_ms") / med(&us, "volume_ms"),
                med(&py, "imports_ms")
            );
        }
        Err(e) => println!("pydicom + NumPy: not measured ({e})"),
    }
    println!(
        "targets: first slice <= 150 ms, 141 slices <= 1 s, peak memory <= 1.3x the volume plus a fixed overhead (the baseline)"
    );
    Ok(ExitCode::SUCCESS)
}

pub fn median(mut v: Vec<f64>) -> f64 {
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

/// A grey image to time: a name, the frame and its display parameters.
fn window_inputs(files: &[PathBuf]) -> Result<Vec<(String, Frame, DisplayParameters)>, String> {
    let mut out = Vec::new();
    let defaults = [
        PathBuf::from("../shared/data/ct-philips-brain/I100"),
        PathBuf::from("target/testdata/pydicom-data-1.0.0/data_store/data/RG1_UNCR.dcm"),
    ];
    let paths: Vec<PathBuf> = if files.is_empty() {
        defaults.to_vec()
    } else {
        files.to_vec()
    };
    for p in &paths {
        let f = DicomFile::open(p).map_err(|e| e.to_string())?;
        let frame = f.decode_frame(0).map_err(|e| e.to_string())?;
        let params = f.display_parameters(0).map_err(|e| e.to_string())?;
        let name = p
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, frame, params));
    }
    if files.is_empty() {
        // Synthetic 4096 x 4096 unsigned 16-bit: a ramp with structure.
        let n = 4096usize;
        let samples: Vec<u16> = (0..n * n)
            .map(|i| {
                let (x, y) = (i % n, i / n);
                ((x * 7 + y * 3 + (x ^ y) % 97) % 4096) as u16
            })
            .collect();
        let frame = Frame {
            width: n as u32,
            height: n as u32,
            color: FrameColor::Monochrome,
            samples: Samples::U16(samples),
            bits_stored: 12,
            signed: false,
        };
        let params = out
            .first()
            .map(|(_, _, p)| DisplayParameters {
                modality_lut: hounsfield_core::ModalityLut::Identity,
                windows: Vec::new(),
                voi_luts: Vec::new(),
                palette: None,
                supplemental_palette: false,
                bits_stored: 12,
                signed: false,
                pixel_padding: None,
                photometric_interpretation: hounsfield_core::PhotometricInterpretation::Monochrome2,
                ..p.clone()
            })
            .ok_or("no reference parameters")?;
        out.push(("synthetic 4096x4096".into(), frame, params));
    }
    Ok(out)
}

fn numpy_ms(
    python: &Path,
    frame: &Frame,
    pipe: &GreyPipeline,
    size: (u32, u32),
    repeats: usize,
) -> Option<f64> {
    use std::io::Write;
    let (center, width) = pipe.window()?;
    let mut child = Command::new(python)
        .arg("-c")
        .arg(NUMPY_WINDOW)
        .args([
            frame.width.to_string(),
            frame.height.to_string(),
            size.0.to_string(),
            size.1.to_string(),
            center.to_string(),
            width.to_string(),
            repeats.to_string(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let bytes: Vec<u8> = (0..frame.samples.len())
        .flat_map(|i| (frame.samples.get_f64(i) as i32).to_le_bytes())
        .collect();
    child.stdin.take()?.write_all(&bytes).ok()?;
    let out = child.wait_with_output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn window(
    files: &[PathBuf],
    size: (u32, u32),
    repeats: usize,
    python: Option<PathBuf>,
) -> Result<ExitCode, String> {
    let python = find_python(python);
    let mut gpu = Headless::new().map_err(|e| e.to_string())?;
    println!(
        "GPU: {} ({:?}); output {} x {}; {repeats} window changes per image\n",
        gpu.adapter_info().name,
        gpu.adapter_info().device_type,
        size.0,
        size.1
    );
    println!(
        "{:<24} {:>11} {:>10} {:>10} {:>8} {:>11} {:>10} {:>9}",
        "image", "size", "upload", "GPU", "GPU fps", "CPU ref", "NumPy", "vs NumPy"
    );
    println!("{}", "-".repeat(100));
    for (name, frame, params) in window_inputs(files)? {
        let pipe = GreyPipeline::resolve(&params, &frame, &RenderOptions::default())
            .map_err(|e| e.to_string())?;
        let t = Instant::now();
        let mut image = gpu
            .renderer()
            .upload(std::slice::from_ref(&frame), None)
            .map_err(|e| e.to_string())?;
        let mut state = DrawState {
            pipeline: Some(pipe.clone()),
            ..DrawState::new(View::fit(size.0, size.1))
        };
        gpu.render(&mut image, &state).map_err(|e| e.to_string())?;
        let upload_ms = t.elapsed().as_secs_f64() * 1e3;
        let (c0, w0) = pipe.window().unwrap_or((0.0, 1.0));
        let mut times = Vec::with_capacity(repeats);
        for i in 0..repeats {
            if let Some(p) = state.pipeline.as_mut() {
                p.voi = hounsfield_core::pipeline::Voi::Window {
                    center: c0 + i as f64,
                    width: w0,
                    function: hounsfield_core::VoiLutFunction::Linear,
                };
            }
            let t = Instant::now();
            gpu.render(&mut image, &state).map_err(|e| e.to_string())?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let gpu_ms = median(times);
        let cpu_ms = time_ms(3, || {
            render_view(
                &frame,
                &params,
                &RenderOptions::default(),
                &View::fit(size.0, size.1),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        })?;
        let np = numpy_ms(&python, &frame, &pipe, size, repeats.min(10));
        println!(
            "{:<24} {:>11} {:>8.1}ms {:>8.2}ms {:>8.0} {:>9.1}ms {:>10} {:>9}",
            name.chars().take(24).collect::<String>(),
            format!("{}x{}", frame.width, frame.height),
            upload_ms,
            gpu_ms,
            1000.0 / gpu_ms,
            cpu_ms,
            np.map(|m| format!("{m:.1}ms"))
                .unwrap_or_else(|| "-".into()),
            np.map(|m| format!("{:.1}x", m / gpu_ms))
                .unwrap_or_else(|| "-".into()),
        );
    }
    println!(
        "\nGPU = render + submit + wait after a window change (no re-upload); upload = first upload and draw."
    );
    Ok(ExitCode::SUCCESS)
}

/// The series folder of a bench: `folder`, else a 512 x 512 CT series of `slices` slices
/// built (once) under target/bench from ../shared/data/ct-philips-brain.
fn bench_series(folder: Option<PathBuf>, slices: usize, python: &Path) -> Result<PathBuf, String> {
    if let Some(f) = folder {
        return Ok(f);
    }
    let dst = PathBuf::from("target/bench").join(format!("ct-philips-{slices}"));
    if !dst.is_dir() {
        let src = std::env::var_os("HOUNSFIELD_SHARED_DATA")
            .map_or_else(|| PathBuf::from("../shared/data"), PathBuf::from)
            .join("ct-philips-brain");
        eprintln!(
            "building a {slices}-slice series from {} in {} ...",
            src.display(),
            dst.display()
        );
        let out = Command::new(python)
            .arg("-c")
            .arg(VOLUME_PY)
            .arg("build")
            .arg(&src)
            .arg(&dst)
            .arg(slices.to_string())
            .output()
            .map_err(|e| format!("{}: {e}", python.display()))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&dst);
            return Err(format!(
                "cannot build the series: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(dst)
}
