//! `hounsfield info FOLDER` and `hounsfield render FOLDER --plane ...` as users run them:
//! the JSON report against the scanner's own tags, the GPU plane against `--cpu`, and
//! clear errors for impossible requests.

use hounsfield_conformance::{gpu, read_png_rgb, shared};
use hounsfield_core::{DicomFile, tags};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hounsfield(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hounsfield"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("run hounsfield")
}

/// A grey PNG's pixels (one channel of the RGB rows).
fn grey_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let (w, h, rgb) = read_png_rgb(path);
    (w, h, rgb.chunks_exact(3).map(|p| p[0]).collect())
}

#[test]
fn info_folder_json_reports_order_spacing_and_tilt() {
    let Some(dir) = shared("ct-ge-tilt") else {
        return;
    };
    let out = hounsfield(&["info", dir.to_str().unwrap_or_default(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let series = doc["series"].as_array().expect("series array");
    assert_eq!(series.len(), 1, "one series in ct-ge-tilt");
    let s = &series[0];
    let files: Vec<PathBuf> = s["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| PathBuf::from(f.as_str().unwrap_or_default()))
        .collect();
    assert_eq!(s["slices"], 28);
    // The scanner's Slice Location increases along the sorted positions, and the
    // positions are strictly increasing.
    let positions: Vec<f64> = s["positions"]
        .as_array()
        .expect("positions")
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert_eq!(positions.len(), 28);
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let first = DicomFile::open(&files[0]).expect("open");
    let gantry = first
        .attributes()
        .float(tags::GANTRY_DETECTOR_TILT, "Gantry/Detector Tilt")
        .ok()
        .flatten()
        .expect("Gantry/Detector Tilt");
    let tilt = s["tilt_degrees"].as_f64().expect("tilt");
    assert!(
        (tilt - gantry.abs()).abs() < 0.05,
        "tilt {tilt} vs tag {gantry}"
    );
    let warnings = s["warnings"].to_string();
    assert!(warnings.contains("gantry tilt"), "{warnings}");
    assert!(warnings.contains("variable slice spacing"), "{warnings}");
    let (lo, hi) = (
        s["spacing"]["min"].as_f64().expect("min"),
        s["spacing"]["max"].as_f64().expect("max"),
    );
    let steps: Vec<f64> = positions.windows(2).map(|w| w[1] - w[0]).collect();
    let (slo, shi) = steps
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!((lo - slo).abs() < 1e-9 && (hi - shi).abs() < 1e-9);
    // The scanner's own word: steps of Slice Location (along the table) times the cosine
    // of the gantry tilt are the steps along the slice normal.
    let cos = gantry.to_radians().cos();
    let locations: Vec<f64> = files
        .iter()
        .map(|f| {
            DicomFile::open(f)
                .expect("open")
                .attributes()
                .float(tags::SLICE_LOCATION, "Slice Location")
                .ok()
                .flatten()
                .expect("Slice Location")
        })
        .collect();
    let tag_steps: Vec<f64> = locations.windows(2).map(|w| (w[1] - w[0]) * cos).collect();
    let (tlo, thi) = tag_steps
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(
        (lo - tlo).abs() < 0.01 && (hi - thi).abs() < 0.01,
        "spacing {lo}..{hi} mm, the tags say {tlo}..{thi} mm"
    );
}

#[test]
fn render_folder_plane_gpu_equals_cpu() {
    let (Some(tilt), Some(pacman)) = (shared("ct-ge-tilt"), shared("synthetic-pacman")) else {
        return;
    };
    if gpu().is_none() {
        return;
    }
    let tmp = std::env::temp_dir().join(format!("hounsfield-cli-volume-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let tilt_budget = tilt.clone();
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            tilt.clone(),
            vec!["--plane", "sagittal", "--window", "40,400"],
        ),
        (
            tilt.clone(),
            vec!["--plane", "coronal", "--slice", "200", "--preset", "bone"],
        ),
        (
            tilt,
            vec![
                "--plane",
                "axial",
                "--position",
                "20",
                "--slab",
                "8",
                "--mode",
                "mean",
            ],
        ),
        (
            pacman,
            vec![
                "--plane", "coronal", "--slab", "12", "--mode", "mip", "--size", "301x203",
            ],
        ),
        // 14 MiB of voxels in a 4 MiB budget: both paths cut the same reduced volume.
        (
            tilt_budget,
            vec!["--plane", "sagittal", "--volume-budget", "4"],
        ),
    ];
    for (k, (dir, extra)) in cases.iter().enumerate() {
        let mut outputs = Vec::new();
        for cpu in [false, true] {
            let out_path = tmp.join(format!("{k}-{cpu}.png"));
            let mut args = vec![
                "render",
                dir.to_str().unwrap_or_default(),
                "-o",
                out_path.to_str().unwrap_or_default(),
            ];
            args.extend(extra.iter());
            args.push(if cpu { "--cpu" } else { "--renderer=gpu" });
            let out = hounsfield(&args);
            let said = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{args:?}: {said}");
            assert_eq!(
                said.contains("at a reduced resolution: 256 x 256 x 28 of 512 x 512 x 28"),
                extra.contains(&"--volume-budget"),
                "{args:?}: {said}"
            );
            outputs.push(grey_png(&out_path));
        }
        let (g, c) = (&outputs[0], &outputs[1]);
        assert_eq!((g.0, g.1), (c.0, c.1), "case {k}: sizes differ");
        let max =
            g.2.iter()
                .zip(&c.2)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap_or(0);
        let lit = c.2.iter().filter(|&&v| v > 0).count();
        println!(
            "case {k} {extra:?}: {} x {}, max |GPU - CPU| = {max}, {lit} lit pixels",
            g.0, g.1
        );
        assert!(max <= 1, "case {k} {extra:?}: max |GPU - CPU| = {max}");
        assert!(
            lit > (g.0 * g.1 / 20) as usize,
            "case {k}: nearly empty image"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn render_folder_rejects_impossible_requests_clearly() {
    let Some(dir) = shared("ct-ge-tilt") else {
        return;
    };
    let d = dir.to_str().unwrap_or_default();
    let tmp = std::env::temp_dir().join("hounsfield-cli-volume-never-written.png");
    let _ = std::fs::remove_file(&tmp);
    let o = tmp.to_str().unwrap_or_default();
    for (args, expect) in [
        (vec!["--plane", "diagonal"], "unknown plane"),
        (
            vec!["--plane", "axial", "--slice", "100000"],
            "--slice 100000",
        ),
        (
            vec!["--plane", "axial", "--slice", "3", "--position", "1"],
            "--slice or --position",
        ),
        (
            vec!["--plane", "axial", "--mode", "mip"],
            "--mode needs --slab",
        ),
        (
            vec!["--plane", "axial", "--slab", "5", "--mode", "median"],
            "unknown --mode",
        ),
        (vec!["--series", "7"], "--series 7"),
    ] {
        let mut all = vec!["render", d, "-o", o, "--cpu"];
        all.extend(args.iter());
        let out = hounsfield(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{all:?} succeeded");
        assert!(err.contains(expect), "{all:?}: {err}");
        assert!(!err.contains("panicked"), "{all:?}: {err}");
    }
    assert!(!tmp.exists());
}

/// `render --renderer`: `cpu` is the CPU reference byte for byte (as `--cpu`), `gpu` the GPU
/// (within 1 of it), and `auto` takes the CPU for an image on every machine, and for a slab
/// exactly when the machine's only adapters are CPU devices; it says so and gives that
/// path's PNG. Prints the paths' times.
#[test]
fn renderer_choice_for_one_shot_renders() {
    let (Some(file), Some(folder)) = (shared("ct-philips-brain/I100"), shared("ct-philips-brain"))
    else {
        return;
    };
    if gpu().is_none() {
        return;
    }
    let dir = hounsfield_conformance::root().join("target/cli-renderer");
    std::fs::create_dir_all(&dir).expect("output folder");
    let run = |input: &Path, name: &str, extra: &[&str]| -> (Vec<u8>, String, f64) {
        let out = dir.join(format!("{name}.png"));
        let mut args = vec![
            "render",
            input.to_str().unwrap_or_default(),
            "-o",
            out.to_str().unwrap_or_default(),
            "--size",
            "700x600",
            "--filter",
            "linear",
        ];
        args.extend(extra);
        let t = std::time::Instant::now();
        let o = hounsfield(&args);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let bytes = std::fs::read(&out).expect("the PNG");
        (bytes, String::from_utf8_lossy(&o.stderr).into_owned(), ms)
    };
    let (cpu_flag, _, _) = run(&file, "cpu-flag", &["--cpu"]);
    let (cpu, _, cpu_ms) = run(&file, "cpu", &["--renderer", "cpu"]);
    assert_eq!(cpu, cpu_flag, "--renderer cpu differs from --cpu");
    let (_, _, gpu_ms) = run(&file, "gpu", &["--renderer", "gpu"]);
    let (_, _, g) = grey_png(&dir.join("gpu.png"));
    let (_, _, c) = grey_png(&dir.join("cpu.png"));
    let worst = g.iter().zip(&c).map(|(a, b)| a.abs_diff(*b)).max();
    assert_eq!(g.len(), c.len());
    assert!(worst <= Some(1), "GPU vs CPU reference: {worst:?}");
    let (auto, stderr, auto_ms) = run(&file, "auto", &[]);
    assert!(
        stderr.contains("--renderer auto: the CPU reference pipeline (an image"),
        "auto did not take the CPU for an image: {stderr}"
    );
    assert_eq!(auto, cpu, "auto (CPU) differs from --renderer cpu");
    println!(
        "one 700 x 600 render of a 512 x 512 CT, whole process: CPU {cpu_ms:.0} ms, GPU {gpu_ms:.0} ms, auto (CPU) {auto_ms:.0} ms"
    );
    // A slab: the GPU, unless the machine's only adapters are CPU devices.
    let slab = ["--plane", "sagittal", "--slab", "20", "--mode", "mip"];
    let with = |r: &'static str| {
        let mut a = slab.to_vec();
        a.extend(["--renderer", r]);
        a
    };
    let (slab_cpu, _, slab_cpu_ms) = run(&folder, "slab-cpu", &with("cpu"));
    let (slab_gpu, _, slab_gpu_ms) = run(&folder, "slab-gpu", &with("gpu"));
    let (slab_auto, stderr, slab_auto_ms) = run(&folder, "slab-auto", &slab);
    let only_cpu = hounsfield_render::headless::Headless::only_cpu_adapters();
    let (chose, want) = if only_cpu {
        ("the CPU reference pipeline", &slab_cpu)
    } else {
        ("the GPU", &slab_gpu)
    };
    assert!(
        stderr.contains(&format!("--renderer auto: {chose} (a slab")),
        "auto did not take {chose} for a slab: {stderr}"
    );
    assert_eq!(&slab_auto, want, "auto differs from the path it named");
    println!(
        "a 20 mm sagittal MIP of a 28-slice CT, whole process: CPU {slab_cpu_ms:.0} ms, GPU {slab_gpu_ms:.0} ms, auto ({chose}) {slab_auto_ms:.0} ms"
    );
}

/// A headless GPU render on a server (no display, no XDG_RUNTIME_DIR) succeeds without
/// printing any error: neither Mesa's complaint about the runtime directory nor wgpu's
/// failed OpenGL probe reaches the user.
#[test]
fn headless_gpu_render_prints_no_error_without_a_session() {
    let Some(file) = shared("ct-philips-brain/I100") else {
        return;
    };
    if gpu().is_none() {
        return;
    }
    let dir = hounsfield_conformance::root().join("target/cli-headless");
    std::fs::create_dir_all(&dir).expect("output folder");
    let out = dir.join("render.png");
    let o = Command::new(env!("CARGO_BIN_EXE_hounsfield"))
        .args(["render", file.to_str().unwrap_or_default(), "-o"])
        .arg(&out)
        .arg("--renderer=gpu")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run hounsfield");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        !err.to_lowercase().contains("error"),
        "a successful render printed: {err}"
    );
    assert!(out.exists());
}
