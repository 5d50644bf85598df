//! The renderer's examples run as a developer runs them, against `hounsfield` itself:
//! - `headless FILE OUT.png [--window C,W]` writes the PNG that `hounsfield render` writes
//!   for the same file and window on the GPU (exactly) and on the CPU (within 1);
//! - `plane FOLDER OUT.png sagittal` writes the plane `hounsfield render FOLDER --plane
//!   sagittal --cpu` writes (within 1);
//! - in a window (Xvfb, module `e2e`, run by the end-to-end step): `egui_viewer` shows the
//!   image in its panel equal, within 1, to the headless render at the window it reports,
//!   and its window slider (driven from the keyboard) changes it; `winit_wgpu` draws the
//!   image and a drag changes its window.
//!
//! The example binaries are the ones `cargo test --workspace` (or `cargo test -p
//! hounsfield-render`) builds into `target/<profile>/examples`.

use hounsfield_conformance::{read_png_rgb, shared};
use hounsfield_core::DicomFile;
use hounsfield_core::pipeline::{RenderOptions, VoiSelection};
use hounsfield_render::headless::Headless;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `target/<profile>/examples/NAME`, next to this test's `deps` folder.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: `cargo test --workspace` (or `cargo test -p hounsfield-render`) builds it",
        path.display()
    );
    path
}

fn out_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("hounsfield-examples-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn max_diff(a: &[u8], b: &[u8]) -> u8 {
    assert_eq!(a.len(), b.len(), "the images differ in size");
    a.iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

#[test]
fn headless_example_equals_hounsfield_render() {
    let Some(ct) = shared("ct-philips-brain/I100") else {
        return;
    };
    let dir = out_dir("headless");
    for window in [None, Some("-600,1500")] {
        let png = dir.join("example.png");
        let mut cmd = Command::new(example("headless"));
        cmd.arg(&ct).arg(&png);
        if let Some(w) = window {
            cmd.arg("--window").arg(w);
        }
        run(&mut cmd);
        let (w, h, got) = read_png_rgb(&png);
        for (renderer, tolerance) in [("gpu", 0), ("cpu", 1)] {
            let reference = dir.join(format!("render-{renderer}.png"));
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_hounsfield"));
            cmd.arg("render")
                .arg(&ct)
                .arg("-o")
                .arg(&reference)
                .arg(format!("--renderer={renderer}"));
            if let Some(w) = window {
                cmd.arg(format!("--window={w}"));
            }
            run(&mut cmd);
            let (rw, rh, want) = read_png_rgb(&reference);
            assert_eq!((w, h), (rw, rh));
            let d = max_diff(&got, &want);
            println!(
                "headless example, window {window:?}: max diff {d} vs render --renderer={renderer}"
            );
            assert!(
                d <= tolerance,
                "window {window:?}: {d} > {tolerance} vs {renderer}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plane_example_equals_hounsfield_render_plane() {
    let Some(folder) = shared("ct-philips-brain") else {
        return;
    };
    let dir = out_dir("plane");
    let png = dir.join("example.png");
    let out = run(Command::new(example("plane"))
        .arg(&folder)
        .arg(&png)
        .arg("sagittal"));
    let reference = dir.join("render.png");
    run(Command::new(env!("CARGO_BIN_EXE_hounsfield"))
        .arg("render")
        .arg(&folder)
        .arg("-o")
        .arg(&reference)
        .args(["--plane", "sagittal", "--cpu"]));
    let (w, h, got) = read_png_rgb(&png);
    let (rw, rh, want) = read_png_rgb(&reference);
    assert_eq!((w, h), (rw, rh), "{}", String::from_utf8_lossy(&out.stdout));
    let d = max_diff(&got, &want);
    println!("plane example {w} x {h}: max diff {d} vs render --plane sagittal --cpu");
    assert!(d <= 1, "plane: {d}");
    // Not a blank image: the head spans many grey levels.
    let levels: std::collections::BTreeSet<u8> = got.iter().copied().collect();
    assert!(levels.len() > 50, "only {} grey levels", levels.len());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The headless GPU render of `file`'s first frame at its own size and a window, RGB.
fn reference(gpu: &mut Headless, file: &DicomFile, (center, width): (f64, f64)) -> Vec<u8> {
    let options = RenderOptions {
        voi: VoiSelection::Window { center, width },
        ..RenderOptions::default()
    };
    let (_, _, rgba) = gpu
        .render_frame(file, 0, &options)
        .unwrap_or_else(|e| panic!("{e}"));
    rgba.chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// Where `image` (RGB, `w` x `h`) lies on `screen` (RGB, `sw` wide): the position whose
/// pixels are all within `tolerance` of it, with that largest difference; None when no
/// position matches.
fn locate(
    screen: &[u8],
    sw: u32,
    image: &[u8],
    (w, h): (u32, u32),
    tolerance: u8,
) -> Option<([u32; 2], u8)> {
    let sh = screen.len() as u32 / 3 / sw;
    let px = |buf: &[u8], stride: u32, x: u32, y: u32| {
        let i = ((y * stride + x) * 3) as usize;
        [buf[i], buf[i + 1], buf[i + 2]]
    };
    // A few probe pixels spread over the image (not all equal), checked first.
    let probes: Vec<(u32, u32)> = (0..64)
        .map(|k| ((k * 37 + 11) % w, (k * 53 + 7) % h))
        .collect();
    for oy in 0..=sh.saturating_sub(h) {
        'next: for ox in 0..=sw.saturating_sub(w) {
            for &(x, y) in &probes {
                let (a, b) = (px(screen, sw, ox + x, oy + y), px(image, w, x, y));
                if a.iter().zip(&b).any(|(p, q)| p.abs_diff(*q) > tolerance) {
                    continue 'next;
                }
            }
            let mut worst = 0u8;
            for y in 0..h {
                for x in 0..w {
                    let (a, b) = (px(screen, sw, ox + x, oy + y), px(image, w, x, y));
                    for (p, q) in a.iter().zip(&b) {
                        worst = worst.max(p.abs_diff(*q));
                    }
                    if worst > tolerance {
                        continue 'next;
                    }
                }
            }
            return Some(([ox, oy], worst));
        }
    }
    None
}

/// Only in the end-to-end step (`-- e2e::`, one test at a time): these open windows.
mod e2e {
    use super::*;
    use hounsfield_conformance::xvfb::{Xvfb, tools_present};
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Stdio};
    use std::sync::mpsc::{Receiver, channel};
    use std::time::Duration;

    const SCREEN: (u32, u32) = (1280, 1024);
    const TIMEOUT: Duration = Duration::from_secs(90);

    /// An example in a window, its stdout lines read as they come.
    struct Running {
        child: Child,
        lines: Receiver<String>,
    }

    impl Running {
        fn start(x: &Xvfb, name: &str, args: &[&Path]) -> Running {
            let mut child = Command::new(example(name))
                .args(args)
                .env("DISPLAY", &x.display)
                .env("XDG_RUNTIME_DIR", std::env::temp_dir())
                .env_remove("WAYLAND_DISPLAY")
                .stdout(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let stdout = child.stdout.take().expect("piped stdout");
            let (tx, lines) = channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            Running { child, lines }
        }

        /// The next line that starts with `prefix`.
        fn line(&mut self, prefix: &str) -> String {
            loop {
                match self.lines.recv_timeout(TIMEOUT) {
                    Ok(l) if l.starts_with(prefix) => return l,
                    Ok(_) => {}
                    Err(e) => panic!(
                        "no line `{prefix} …` from the example ({e}); exited: {:?}",
                        self.child.try_wait()
                    ),
                }
            }
        }

        /// The next line that starts with `prefix` within `wait`, if one comes.
        fn line_within(&mut self, prefix: &str, wait: Duration) -> Option<String> {
            let end = std::time::Instant::now() + wait;
            loop {
                let left = end.saturating_duration_since(std::time::Instant::now());
                match self.lines.recv_timeout(left) {
                    Ok(l) if l.starts_with(prefix) => return Some(l),
                    Ok(_) => {}
                    Err(_) => return None,
                }
            }
        }

        /// The settled window after `input` (keys or a drag): input the window does not
        /// see (sent before it has the focus or is mapped) is sent again, up to four
        /// times, until a `window` line says it changed.
        fn window_after(&mut self, mut input: impl FnMut()) -> (f64, f64) {
            for _ in 0..4 {
                input();
                if let Some(moved) = self.line_within("window ", Duration::from_secs(10)) {
                    return self.settled_window_after(Some(moved));
                }
            }
            panic!("the window never saw the input");
        }

        /// The latest `window C W …` line once no other arrives for a moment.
        fn settled_window(&mut self) -> (f64, f64) {
            self.settled_window_after(None)
        }

        /// The latest `window C W …` line, `first` or a later one, once no other arrives
        /// for a moment.
        fn settled_window_after(&mut self, first: Option<String>) -> (f64, f64) {
            let mut last = first.unwrap_or_else(|| self.line("window "));
            while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(1500)) {
                if l.starts_with("window ") {
                    last = l;
                }
            }
            let v: Vec<f64> = last
                .split_whitespace()
                .skip(1)
                .take(2)
                .map(|x| x.parse().unwrap_or_else(|e| panic!("{last}: {e}")))
                .collect();
            (v[0], v[1])
        }
    }

    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Where the 512 x 512 CT at `window` is on the screen (within 1 of `reference`),
    /// waiting up to `tries` captures for it; fails the test when it never shows.
    fn shown_at(
        x: &Xvfb,
        dir: &Path,
        reference: &[u8],
        window: (f64, f64),
        tries: usize,
    ) -> [u32; 2] {
        let found = (0..tries).find_map(|k| {
            if k > 0 {
                std::thread::sleep(Duration::from_millis(300));
            }
            locate(&x.capture(dir), SCREEN.0, reference, (512, 512), 1)
        });
        let (at, d) =
            found.unwrap_or_else(|| panic!("the image at window {window:?} is not on the screen"));
        println!("image at {at:?}, window {window:?}, max diff {d}");
        at
    }

    fn ct() -> Option<(PathBuf, DicomFile)> {
        let path = shared("ct-philips-brain/I100")?;
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        Some((path, file))
    }

    #[test]
    fn egui_viewer_shows_the_image_in_its_panel_and_its_slider_changes_it() {
        if !tools_present() {
            return;
        }
        let Some((path, file)) = ct() else {
            return;
        };
        let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
        let mut gpu = Headless::new().unwrap_or_else(|e| panic!("no GPU for the reference: {e}"));
        let x = Xvfb::start(SCREEN);
        let dir = out_dir("egui");
        let mut app = Running::start(&x, "egui_viewer", &[&path]);

        // 1. The file's window, in the panel, equal to the headless render.
        let first = app.settled_window();
        assert_eq!(first, (params.windows[0].center, params.windows[0].width));
        let before = reference(&mut gpu, &file, first);
        let at = shown_at(&x, &dir, &before, first, 1);
        assert!(
            at[0] > 100,
            "the image is in the panel right of the sliders: {at:?}"
        );

        // 2. The centre slider, from the keyboard (Tab to it, then one arrow: one step,
        //    so that no later key can change the screen after the window is read). Keys
        //    sent before the window takes the focus are lost: then Escape (which clears
        //    egui's focus, so Tab reaches the centre slider again) and once more.
        let second = app.window_after(|| {
            x.focus("^hounsfield egui_viewer$");
            std::thread::sleep(Duration::from_millis(300));
            x.xdotool(&["key", "Escape"]);
            x.xdotool(&["key", "Tab"]);
            x.xdotool(&["key", "Right"]);
        });
        assert!(
            second.0 > first.0 && second.1 == first.1,
            "{first:?} -> {second:?}"
        );
        let after = reference(&mut gpu, &file, second);
        assert_eq!(shown_at(&x, &dir, &after, second, 1), at);
        // The screen matched each within 1; they differ by far more: the image changed.
        assert!(
            max_diff(&before, &after) > 50,
            "the slider did not change the image"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn winit_wgpu_draws_the_image_and_a_drag_changes_the_window() {
        if !tools_present() {
            return;
        }
        let Some((path, file)) = ct() else {
            return;
        };
        let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
        let mut gpu = Headless::new().unwrap_or_else(|e| panic!("no GPU for the reference: {e}"));
        let x = Xvfb::start(SCREEN);
        let dir = out_dir("winit");
        let mut app = Running::start(&x, "winit_wgpu", &[&path]);
        app.line("ready");
        // The window is the image's size: the image fills it, one pixel per pixel.
        let first = (params.windows[0].center, params.windows[0].width);
        let at = shown_at(&x, &dir, &reference(&mut gpu, &file, first), first, 100);

        // A left drag right and down: the window changes and the image follows. A drag
        // the window does not see (events sent while it is still mapping) is made again.
        let (cx, cy) = (at[0] + 256, at[1] + 256);
        let second = app.window_after(|| {
            x.xdotool(&["mousemove", &cx.to_string(), &cy.to_string()]);
            x.xdotool(&["mousedown", "1"]);
            for k in 1..=10 {
                x.xdotool(&[
                    "mousemove",
                    &(cx + 8 * k).to_string(),
                    &(cy + 4 * k).to_string(),
                ]);
            }
            x.xdotool(&["mouseup", "1"]);
        });
        assert!(
            second.0 > first.0 && second.1 > first.1,
            "{first:?} -> {second:?}"
        );
        let after = reference(&mut gpu, &file, second);
        assert_eq!(shown_at(&x, &dir, &after, second, 10), at);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
