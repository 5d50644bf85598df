//! `hounsfield bench viewer`: the native viewer in a real window (its own Xvfb), driven
//! like a reader drives it (xdotool: a window/level drag, a wheel scroll through the
//! stack, the planes layout and a drag there), timed from its frame log and status file:
//! time to the first image and to all slices, redraw times per interaction (median, 95th
//! percentile), scroll rate, and the viewer's peak resident memory beside the series'
//! pixel bytes. Prints a table; never a test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// How long the viewer may take to show something before the bench gives up.
const PATIENCE: Duration = Duration::from_secs(600);

/// What `bench viewer` is asked.
pub struct ViewerBench {
    /// The series folder.
    pub folder: PathBuf,
    /// Window size (the X screen's too).
    pub size: (u32, u32),
    /// Pointer moves of each drag, and wheel clicks of the scroll.
    pub steps: usize,
    /// Extra arguments for the viewer (`--renderer cpu`, ...).
    pub viewer_args: Vec<String>,
}

/// An X server of its own, stopped when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start(size: (u32, u32)) -> Result<Xvfb, String> {
        for n in 140..240 {
            let (lock, socket) = (format!("/tmp/.X{n}-lock"), format!("/tmp/.X11-unix/X{n}"));
            if Path::new(&lock).exists() || Path::new(&socket).exists() {
                continue;
            }
            let display = format!(":{n}");
            let child = Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    &format!("{}x{}x24", size.0, size.1),
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start Xvfb (Debian package xvfb): {e}"))?;
            let mut x = Xvfb { child, display };
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(10) {
                if Path::new(&socket).exists() {
                    return Ok(x);
                }
                if let Ok(Some(_)) = x.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = x.child.kill();
        }
        Err("no free X display for Xvfb".into())
    }

    fn xdotool(&self, args: &[&str]) -> Result<(), String> {
        let ok = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .map_err(|e| format!("xdotool (Debian package xdotool): {e}"))?
            .success();
        if ok {
            Ok(())
        } else {
            Err(format!("xdotool {args:?} failed"))
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The viewer under test, killed when dropped.
struct Viewer {
    child: Child,
    dir: PathBuf,
}

impl Drop for Viewer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Viewer {
    fn status(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.join("status.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Polls the status until `ok`; the time it took from `since`.
    fn until(
        &mut self,
        what: &str,
        since: Instant,
        ok: impl Fn(&serde_json::Value) -> bool,
    ) -> Result<(Duration, serde_json::Value), String> {
        loop {
            if let Some(s) = self.status()
                && ok(&s)
            {
                return Ok((since.elapsed(), s));
            }
            if let Ok(Some(code)) = self.child.try_wait() {
                return Err(format!(
                    "the viewer exited ({code}) before {what}: {}",
                    std::fs::read_to_string(self.dir.join("viewer.log")).unwrap_or_default()
                ));
            }
            if since.elapsed() > PATIENCE {
                return Err(format!("no {what} after {} s", PATIENCE.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The redraw times (ms) of the frames logged so far.
    fn frames(&self) -> Vec<f64> {
        std::fs::read_to_string(self.dir.join("frames.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect()
    }

    /// The redraw times (ms) of the frames logged so far, by the kind of action they
    /// performed (frames of several kinds count for each; frames of none are left out).
    fn frames_by_action(&self) -> std::collections::BTreeMap<String, Vec<f64>> {
        let mut by = std::collections::BTreeMap::<String, Vec<f64>>::new();
        let log = std::fs::read_to_string(self.dir.join("frames.log")).unwrap_or_default();
        for line in log.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(ms), Some(actions)) = (fields.first(), fields.get(6)) else {
                continue;
            };
            let Ok(ms) = ms.parse::<f64>() else {
                continue;
            };
            for kind in actions.split(',').filter(|k| *k != "-") {
                by.entry(kind.to_string()).or_default().push(ms);
            }
        }
        by
    }

    /// A memory figure of the viewer's process (`VmHWM`: peak resident, `VmRSS`: resident
    /// now), bytes.
    fn memory(&self, key: &str) -> u64 {
        crate::bench::process_memory_kb(&self.child.id().to_string(), key) * 1024
    }
}

/// The `p` quantile (0 to 1, nearest rank) of `v`.
fn quantile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() as f64 * p).ceil() as usize).clamp(1, s.len()) - 1]
}

/// The decoded pixel bytes of the series in `folder`: per image, columns x rows x samples
/// x frames x bytes per sample (Bits Allocated).
fn pixel_bytes(folder: &Path) -> u64 {
    let (files, _) = hounsfield_core::folder::expand(&[folder.to_path_buf()]);
    files
        .iter()
        .filter_map(|p| hounsfield_core::folder::open_if_dicom(p).ok())
        .filter_map(|f| {
            let i = f.image().ok()?;
            Some(
                u64::from(i.columns)
                    * u64::from(i.rows)
                    * u64::from(i.samples_per_pixel)
                    * i.number_of_frames as u64
                    * u64::from(i.bits_allocated.div_ceil(8)),
            )
        })
        .sum()
}

/// Drags with the left (`button` 1) or another button from the centre of `rect`
/// ([x, y, w, h]) in `steps` pointer moves back and forth; the redraw times of the frames
/// drawn meanwhile.
fn drag(
    x: &Xvfb,
    viewer: &Viewer,
    rect: [f64; 4],
    button: &str,
    steps: usize,
) -> Result<Vec<f64>, String> {
    let (cx, cy) = (rect[0] + rect[2] / 2.0, rect[1] + rect[3] / 2.0);
    let at = |dx: f64, dy: f64| [format!("{:.0}", cx + dx), format!("{:.0}", cy + dy)];
    let [px, py] = at(0.0, 0.0);
    x.xdotool(&["mousemove", &px, &py])?;
    let before = viewer.frames().len();
    x.xdotool(&["mousedown", button])?;
    for k in 0..steps {
        // Out and back, 4 pixels a step: the window changes every step.
        let phase = (k % 40) as f64;
        let d = if phase < 20.0 { phase } else { 40.0 - phase } * 4.0;
        let [px, py] = at(d, d / 2.0);
        x.xdotool(&["mousemove", &px, &py])?;
        std::thread::sleep(Duration::from_millis(8));
    }
    x.xdotool(&["mouseup", button])?;
    std::thread::sleep(Duration::from_millis(300));
    Ok(viewer.frames()[before..].to_vec())
}

/// Runs the viewer bench and prints its table.
pub fn run(bench: &ViewerBench) -> Result<ExitCode, String> {
    let pixels = pixel_bytes(&bench.folder);
    let x = Xvfb::start(bench.size)?;
    let dir = std::env::temp_dir().join(format!("hounsfield-bench-viewer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("viewer.log")).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let child = Command::new(exe)
        .arg(&bench.folder)
        .args(&bench.viewer_args)
        .arg("--size")
        .arg(format!("{}x{}", bench.size.0, bench.size.1))
        .arg("--status-file")
        .arg(dir.join("status.json"))
        .arg("--frame-log")
        .arg(dir.join("frames.log"))
        .env("DISPLAY", &x.display)
        .env("XDG_RUNTIME_DIR", &dir)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start the viewer: {e}"))?;
    let mut viewer = Viewer { child, dir };
    let (first, _) = viewer.until("first image", start, |s| s["image_drawn"] == true)?;
    let (all, s) = viewer.until("all slices", start, |s| s["loaded"] == true)?;
    let slices = s["slices"].as_u64().unwrap_or(0);
    // Settled after the load: the stack view's memory, before any plane.
    std::thread::sleep(Duration::from_millis(500));
    let stack_peak = viewer.memory("VmHWM");
    let stack_now = viewer.memory("VmRSS");
    x.xdotool(&["search", "--sync", "--name", "^Hounsfield$", "windowfocus"])?;
    let viewport = |s: &serde_json::Value| -> [f64; 4] {
        std::array::from_fn(|k| s["viewport"][k].as_f64().unwrap_or(0.0))
    };
    let image = viewport(&s);
    let steps = bench.steps.max(2);
    let window_drag = drag(&x, &viewer, image, "1", steps)?;
    if viewer
        .status()
        .is_some_and(|now| now["window"] == s["window"])
    {
        return Err("the drag did not change the window: the viewer did not get it".into());
    }

    // The wheel through the stack, a click every 16 ms (60 a second): the rate the slices
    // actually changed on screen, and the redraws.
    let (cx, cy) = (
        format!("{:.0}", image[0] + image[2] / 2.0),
        format!("{:.0}", image[1] + image[3] / 2.0),
    );
    x.xdotool(&["mousemove", &cx, &cy])?;
    let clicks = steps.min(slices.saturating_sub(1) as usize).max(1);
    let from = viewer
        .status()
        .and_then(|s| s["slice"].as_u64())
        .unwrap_or(0);
    let before = viewer.frames().len();
    let t = Instant::now();
    x.xdotool(&[
        "click",
        "--repeat",
        &clicks.to_string(),
        "--delay",
        "16",
        "5",
    ])?;
    let target = from + clicks as u64;
    let (scrolled, s) = viewer.until("the scroll", t, |s| {
        s["slice"]
            .as_u64()
            .is_some_and(|k| k >= target || k + 1 >= slices)
    })?;
    let moved = s["slice"].as_u64().unwrap_or(from).saturating_sub(from);
    let scroll_frames = viewer.frames()[before..].to_vec();

    // The planes layout (M): time to its three planes, then a drag in the first.
    let t = Instant::now();
    x.xdotool(&["key", "m"])?;
    let (planes_time, s) = viewer.until("the planes", t, |s| {
        s["layout"] == "Planes" && s["mpr"]["planes_drawn"] == serde_json::json!([true, true, true])
    })?;
    // Planes of a reduced volume are refined from every voxel once they stay still.
    let refined = if s["mpr_reduction"].is_string() {
        let t = Instant::now();
        let before = viewer.frames().len();
        let (d, _) = viewer.until("the planes refined", t, |s| {
            s["mpr_refined"] == serde_json::json!([true, true, true])
        })?;
        Some((d, viewer.frames()[before..].to_vec()))
    } else {
        None
    };
    let pane = s["panes"]
        .as_array()
        .and_then(|p| p.first())
        .map(|p| std::array::from_fn(|k| p["viewport"][k].as_f64().unwrap_or(0.0)))
        .unwrap_or(image);
    let before = viewer.status().map(|s| s["plane_window"].clone());
    let planes_drag = drag(&x, &viewer, pane, "1", steps)?;
    if viewer.status().map(|s| s["plane_window"].clone()) == before {
        return Err("the drag did not change the planes' window".into());
    }
    let peak = viewer.memory("VmHWM");
    let planes_now = viewer.memory("VmRSS");
    let by_action = viewer.frames_by_action();

    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let times = |v: &[f64]| {
        format!(
            "{:.1} ms / {:.1} ms ({} frames)",
            quantile(v, 0.5),
            quantile(v, 0.95),
            v.len()
        )
    };
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "viewer bench: {} ({slices} slices), {} x {} window, {} {}",
        bench.folder.display(),
        bench.size.0,
        bench.size.1,
        s["renderer"].as_str().unwrap_or("?"),
        bench.viewer_args.join(" ")
    );
    println!();
    println!("| measure | value |");
    println!("| --- | --- |");
    println!("| first image | {} |", ms(first));
    println!("| all slices loaded | {} |", ms(all));
    println!(
        "| window/level drag, 1 x 1: redraw median / 95th | {} |",
        times(&window_drag)
    );
    println!(
        "| wheel scroll: slices a second | {:.1} ({moved} slices in {}) |",
        moved as f64 / scrolled.as_secs_f64().max(1e-9),
        ms(scrolled)
    );
    println!(
        "| wheel scroll: redraw median / 95th | {} |",
        times(&scroll_frames)
    );
    println!(
        "| planes layout (M): three planes drawn | {} |",
        ms(planes_time)
    );
    println!(
        "| planes' volume | {} |",
        s["mpr_reduction"]
            .as_str()
            .map_or("full resolution".to_string(), |r| format!("reduced: {r}"))
    );
    if let Some((d, frames)) = refined {
        println!(
            "| planes refined from every voxel, after they were drawn | {} (of it {} ms still) |",
            ms(d),
            hounsfield_viewer::model::REFINE_AFTER_MS
        );
        println!(
            "| frames meanwhile, a band of rows each: redraw median / 95th | {} |",
            times(&frames)
        );
    }
    println!(
        "| window/level drag, planes: redraw median / 95th | {} |",
        times(&planes_drag)
    );
    println!(
        "| peak resident memory, stack view (after the load) | {:.1} MiB ({:.2} x the pixels) |",
        mib(stack_peak),
        stack_peak as f64 / pixels.max(1) as f64
    );
    println!(
        "| peak resident memory, with the planes | {:.1} MiB ({:.2} x the pixels) |",
        mib(peak),
        peak as f64 / pixels.max(1) as f64
    );
    println!(
        "| resident memory now, stack view / with the planes | {:.1} MiB / {:.1} MiB |",
        mib(stack_now),
        mib(planes_now)
    );
    println!("| series pixel bytes (decoded) | {:.1} MiB |", mib(pixels));
    println!();
    println!("Redraws by the action they performed (the frame log's last column):");
    println!();
    println!("| action | frames | median | 95th |");
    println!("| --- | ---: | ---: | ---: |");
    for (kind, v) in &by_action {
        println!(
            "| {kind} | {} | {:.1} ms | {:.1} ms |",
            v.len(),
            quantile(v, 0.5),
            quantile(v, 0.95)
        );
    }
    let _ = std::fs::remove_dir_all(&viewer.dir);
    Ok(ExitCode::SUCCESS)
}
