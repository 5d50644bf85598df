//! The viewer end to end, in a real window: the test starts its own Xvfb, runs
//! `hounsfield` on real files of `../shared/data`, drives it with xdotool, captures the
//! screen with ImageMagick's `import`, and compares the image area with the headless GPU
//! render and the CPU reference of the same file, window and view (within ±2, overlay
//! text excluded). The viewer reports what it shows through `--status-file`.
//!
//! Needs `Xvfb`, `xdotool` and `import` (Debian: xvfb, xdotool, imagemagick; installed by
//! `scripts/setup-test-env.sh`) and a Vulkan device (lavapipe).

use hounsfield_conformance::xvfb::{Xvfb, tools_present};
use hounsfield_conformance::{read_png_rgb, shared};
use hounsfield_core::pipeline::{RenderOptions, VoiSelection, modality_range, render_view};
use hounsfield_core::presets::window_drag_sensitivity;
use hounsfield_core::view::{Filter, View};
use hounsfield_core::{DicomFile, Frame};
use hounsfield_render::DrawState;
use hounsfield_render::headless::Headless;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One viewer at a time: the machine has few cores and each test starts an X server.
static SERIAL: Mutex<()> = Mutex::new(());

const SCREEN: (u32, u32) = (1280, 1024);
/// Generous: a debug build on a busy 2-core machine.
const TIMEOUT: Duration = Duration::from_secs(90);

/// The viewer's window title, for `Xvfb::focus` (there is no window manager to give it
/// the keyboard).
const VIEWER_WINDOW: &str = "^Hounsfield$";

struct Viewer {
    child: Child,
    dir: PathBuf,
}

impl Viewer {
    fn start(x: &Xvfb, name: &str, paths: &[PathBuf]) -> Viewer {
        Self::start_with(x, name, paths, &[])
    }

    /// [`start`](Self::start) with more command-line options.
    fn start_with(x: &Xvfb, name: &str, paths: &[PathBuf], options: &[&str]) -> Viewer {
        let dir =
            std::env::temp_dir().join(format!("hounsfield-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(env!("CARGO_BIN_EXE_hounsfield"))
            .args(paths)
            .args(options)
            .arg("--size")
            .arg(format!("{}x{}", SCREEN.0, SCREEN.1))
            .arg("--status-file")
            .arg(dir.join("status.json"))
            .arg("--frame-log")
            .arg(dir.join("frames.log"))
            .arg("--save-dir")
            .arg(&dir)
            .env("DISPLAY", &x.display)
            .env("XDG_RUNTIME_DIR", &dir)
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("viewer.log")).unwrap_or_else(|e| panic!("{e}")))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the viewer: {e}"));
        Viewer { child, dir }
    }

    fn status(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.dir.join("status.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Waits until the status satisfies `ok` and the screen has caught up with it.
    fn wait(&mut self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let t = Instant::now();
        loop {
            if let Some(s) = self.status()
                && ok(&s)
            {
                // Let the frame that wrote this status reach the screen.
                std::thread::sleep(Duration::from_millis(300));
                if let Some(s2) = self.status()
                    && ok(&s2)
                {
                    return s2;
                }
            }
            if let Ok(Some(code)) = self.child.try_wait() {
                panic!(
                    "the viewer exited ({code}) waiting for {what}:\n{}",
                    self.log()
                );
            }
            assert!(
                t.elapsed() < TIMEOUT,
                "timed out waiting for {what}; status: {:?}\n{}",
                self.status(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Presses `key` in the focused viewer until the status satisfies `ok` (a key sent
    /// while the window is still taking the focus can be lost: it is sent again, at most
    /// five times, after two seconds without effect), then waits as [`wait`](Self::wait).
    fn key_until(&mut self, x: &Xvfb, key: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..5 {
            x.focus(VIEWER_WINDOW);
            x.xdotool(&["key", key]);
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(2) {
                if self.status().is_some_and(|s| ok(&s)) {
                    return self.wait(what, ok);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.wait(what, ok)
    }

    /// Ctrl+S, then the status once it says so and the PNG saved in the viewer's folder.
    fn save(&mut self, x: &Xvfb) -> (Value, PathBuf) {
        x.xdotool(&["key", "ctrl+s"]);
        let s = self.wait("the saved view", |s| {
            s["messages"].as_array().is_some_and(|m| {
                m.iter()
                    .any(|m| m.as_str().is_some_and(|m| m.contains("saved the view")))
            })
        });
        let saved = std::fs::read_dir(&self.dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.extension().is_some_and(|e| e == "png")
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("hounsfield-"))
            })
            .unwrap_or_else(|| panic!("no saved PNG"));
        (s, saved)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("viewer.log")).unwrap_or_default()
    }

    fn frame_times(&self) -> Vec<f64> {
        std::fs::read_to_string(self.dir.join("frames.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect()
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A rectangle `[x, y, width, height]` of the status, `what` naming it in the failure.
fn rect_of(v: &Value, what: &dyn std::fmt::Display) -> [u32; 4] {
    let r: Vec<u32> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_u64().map(|x| x as u32))
                .collect()
        })
        .unwrap_or_default();
    r.try_into()
        .unwrap_or_else(|_| panic!("no rectangle in {what}"))
}

fn viewport(s: &Value) -> [u32; 4] {
    rect_of(&s["viewport"], s)
}

fn window(s: &Value) -> (f64, f64) {
    let w = &s["window"];
    (
        w[0].as_f64().unwrap_or(f64::NAN),
        w[1].as_f64().unwrap_or(f64::NAN),
    )
}

fn overlays(s: &Value) -> Vec<[f64; 4]> {
    s["overlays"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    let r: Vec<f64> = r.as_array()?.iter().filter_map(Value::as_f64).collect();
                    r.try_into().ok()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The view the viewer uses for `file` in a viewport of `w` x `h`: fitted, bilinear,
/// rows scaled by Pixel Spacing.
fn view_of(file: &DicomFile, w: u32, h: u32) -> View {
    let g = file.geometry(0);
    let aspect = g
        .pixel_spacing
        .filter(|s| s[0] > 0.0 && s[1] > 0.0)
        .map_or(1.0, |s| s[0] / s[1]);
    View {
        pixel_aspect: aspect,
        filter: Filter::Linear,
        ..View::fit(w, h)
    }
}

/// Compares the image area of `screen` with `reference` (RGB or grey, viewport-sized),
/// skipping overlay text; returns the largest difference and how many pixels compared.
fn compare(screen: &[u8], s: &Value, reference: &[u8], ref_channels: usize) -> (u8, usize) {
    compare_region(screen, s, viewport(s), reference, ref_channels, 0, false)
}

/// Compares `rect` of `screen` (pixels; `margin` pixels in from its edges) with
/// `reference` (RGB or grey rows of the rectangle's size), skipping overlay text and,
/// with `grey_only`, coloured pixels (crosshair lines); returns the largest difference
/// and how many pixels compared.
fn compare_region(
    screen: &[u8],
    s: &Value,
    rect: [u32; 4],
    reference: &[u8],
    ref_channels: usize,
    margin: u32,
    grey_only: bool,
) -> (u8, usize) {
    let [x0, y0, w, h] = rect;
    let skip = overlays(s);
    let (mut worst, mut n) = (0u8, 0usize);
    for y in margin..h.saturating_sub(margin) {
        for x in margin..w.saturating_sub(margin) {
            let (sx, sy) = (x0 + x, y0 + y);
            let (fx, fy) = (f64::from(sx), f64::from(sy));
            if skip.iter().any(|r| {
                fx >= r[0] - 2.0
                    && fx < r[0] + r[2] + 2.0
                    && fy >= r[1] - 2.0
                    && fy < r[1] + r[3] + 2.0
            }) {
                continue;
            }
            let si = ((sy * SCREEN.0 + sx) * 3) as usize;
            let px = &screen[si..si + 3];
            if grey_only && (px[0] != px[1] || px[1] != px[2]) {
                continue;
            }
            let ri = ((y * w + x) as usize) * ref_channels;
            for (c, &p) in px.iter().enumerate() {
                let r = reference[ri + if ref_channels == 1 { 0 } else { c }];
                worst = worst.max(p.abs_diff(r));
            }
            n += 1;
        }
    }
    (worst, n)
}

/// The viewer started on folder `dir` (`name` names its files), once its series is loaded
/// and an image drawn; prints how long that took, saying `what` loaded.
fn open_folder(x: &Xvfb, name: &str, dir: &Path, what: &str) -> (Viewer, Value) {
    let started = Instant::now();
    let mut viewer = Viewer::start(x, name, &[dir.to_path_buf()]);
    let s = viewer.wait("the series", |s| {
        s["loaded"] == true && s["image_drawn"] == true
    });
    println!(
        "{what} loaded and shown after {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    (viewer, s)
}

/// The image area on screen (status `s`) against the headless GPU render of `file`'s
/// first frame at its own window, which the viewer must show: within 2 grey levels.
fn screen_shows_file(x: &Xvfb, viewer: &Viewer, s: &Value, file: &DicomFile, what: &str) {
    let [_, _, w, h] = viewport(s);
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
    let (c, wdt) = (params.windows[0].center, params.windows[0].width);
    assert_eq!(window(s), (c, wdt), "{what}: the file's window");
    let screen = x.capture(&viewer.dir);
    let reference = gpu_reference(file, &frame, c, wdt, view_of(file, w, h));
    let (worst, n) = compare(&screen, s, &reference, 3);
    println!("{what}: screen vs headless GPU max diff {worst} over {n} pixels");
    assert!(
        n > (w * h / 2) as usize,
        "{what}: too few pixels compared ({n})"
    );
    assert!(
        worst <= 2,
        "{what} differs from the headless render by {worst}"
    );
}

fn gpu_reference(file: &DicomFile, frame: &Frame, center: f64, width: f64, view: View) -> Vec<u8> {
    let mut gpu = Headless::new().unwrap_or_else(|e| panic!("no GPU for the reference: {e}"));
    let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
    let mut image = gpu
        .renderer()
        .upload(std::slice::from_ref(frame), params.palette.as_ref())
        .unwrap_or_else(|e| panic!("{e}"));
    let options = RenderOptions {
        voi: VoiSelection::Window { center, width },
        ..RenderOptions::default()
    };
    let state = DrawState {
        pipeline: Some(
            hounsfield_core::pipeline::GreyPipeline::resolve(&params, frame, &options)
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        ..DrawState::new(view)
    };
    gpu.render_rgba(&mut image, &state)
        .unwrap_or_else(|e| panic!("{e}"))
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// The CPU reference of the image on screen (status `s`): plain, and with `paint` applied
/// to a copy through the view the screen shows.
fn reference_painted(
    file: &DicomFile,
    frame: &Frame,
    s: &Value,
    paint: impl FnOnce(&mut hounsfield_core::pipeline::RenderedImage, &View),
) -> (Vec<u8>, Vec<u8>) {
    let (c, w) = window(s);
    let [_, _, vw, vh] = viewport(s);
    let view = view_of(file, vw, vh);
    let plain = cpu_reference(file, frame, c, w, view);
    let mut with = hounsfield_core::pipeline::RenderedImage {
        width: vw,
        height: vh,
        channels: 1,
        pixels: plain.clone(),
        pipeline: None,
    };
    paint(&mut with, &view);
    (plain, with.pixels)
}

/// [`reference_painted`] with `layer` (on the image's pixel grid) laid over it through
/// the nearest-sample view.
fn reference_with_layer(
    file: &DicomFile,
    frame: &Frame,
    s: &Value,
    layer: &hounsfield_core::layers::composite::LayerImage,
) -> (Vec<u8>, Vec<u8>) {
    reference_painted(file, frame, s, |with, view| {
        let nearest = View {
            filter: Filter::Nearest,
            ..*view
        };
        hounsfield_core::layers::composite::composite(with, &nearest, layer);
    })
}

/// Per pixel of the pane of status `s`, the one of `references` (RGB, the pane's size)
/// nearest the screen's pixel: a reference that allows each pixel any of them.
fn nearest_level(screen: &[u8], s: &Value, references: &[Vec<u8>]) -> Vec<u8> {
    let [x0, y0, w, _] = viewport(s);
    let mut out = references[0].clone();
    for (k, px) in out.chunks_exact_mut(3).enumerate() {
        let (i, j) = ((k % w as usize) as u32, (k / w as usize) as u32);
        let at = (((y0 + j) * SCREEN.0 + x0 + i) * 3) as usize;
        let Some(seen) = screen.get(at..at + 3) else {
            continue;
        };
        let distance = |r: &[u8]| (0..3).map(|c| r[c].abs_diff(seen[c])).max().unwrap_or(255);
        if let Some(best) = references
            .iter()
            .map(|r| &r[3 * k..3 * k + 3])
            .min_by_key(|r| distance(r))
        {
            px.copy_from_slice(best);
        }
    }
    out
}

fn cpu_reference(file: &DicomFile, frame: &Frame, center: f64, width: f64, view: View) -> Vec<u8> {
    let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
    let options = RenderOptions {
        voi: VoiSelection::Window { center, width },
        ..RenderOptions::default()
    };
    render_view(frame, &params, &options, &view)
        .unwrap_or_else(|e| panic!("{e}"))
        .pixels
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

/// The rectangle `[x, y, w, h]` (pixels) of the pane `name` ("Stack", or plane 0-2).
fn pane(s: &Value, plane: Option<usize>) -> [u32; 4] {
    let want = match plane {
        Some(k) => serde_json::json!({ "Plane": k }),
        None => serde_json::json!("Stack"),
    };
    let p = s["panes"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["pane"] == want))
        .unwrap_or_else(|| panic!("no pane {want} in {}", s["panes"]));
    rect_of(&p["viewport"], p)
}

/// Compares the pane `rect` of `screen` with a grey `reference` of the pane's size,
/// skipping overlay text and coloured pixels (crosshair lines); returns the largest
/// difference and how many pixels compared.
fn compare_pane(screen: &[u8], s: &Value, rect: [u32; 4], reference: &[u8]) -> (u8, usize) {
    // Pane borders are painted over the image's outermost pixels.
    compare_region(screen, s, rect, reference, 1, 1, true)
}

/// The CPU reference of a plane pane: the CPU resampling of `plane` through `volume`
/// (with `slab`), displayed with the first slice's parameters and the volume's Modality
/// LUT at window (`center`, `width`), fitted into `w` x `h` with bilinear sampling.
#[allow(clippy::too_many_arguments)]
fn plane_reference(
    volume: &hounsfield_core::volume::Volume,
    first: &DicomFile,
    plane: &hounsfield_core::volume::Plane,
    slab: Option<hounsfield_core::volume::Slab>,
    (center, width): (f64, f64),
    w: u32,
    h: u32,
) -> Vec<u8> {
    let frame = hounsfield_core::volume::resample(volume, plane, slab);
    let mut params = first
        .display_parameters(0)
        .unwrap_or_else(|e| panic!("{e}"));
    params.modality_lut = volume.modality.clone();
    let options = RenderOptions {
        voi: VoiSelection::Window { center, width },
        ..RenderOptions::default()
    };
    let view = View {
        filter: Filter::Linear,
        ..View::fit(w, h)
    };
    render_view(&frame, &params, &options, &view)
        .unwrap_or_else(|e| panic!("{e}"))
        .pixels
}

fn crosshair(s: &Value) -> [f64; 3] {
    let c: Vec<f64> = s["mpr"]["crosshair"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    c.try_into()
        .unwrap_or_else(|_| panic!("no crosshair in {}", s["mpr"]))
}

mod e2e;
