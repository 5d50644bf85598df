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
use std::path::PathBuf;
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
        let dir =
            std::env::temp_dir().join(format!("hounsfield-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(env!("CARGO_BIN_EXE_hounsfield"))
            .args(paths)
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

fn viewport(s: &Value) -> [u32; 4] {
    let v: Vec<u32> = s["viewport"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_u64().map(|x| x as u32))
                .collect()
        })
        .unwrap_or_default();
    v.try_into()
        .unwrap_or_else(|_| panic!("no viewport in {s}"))
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

/// The CPU reference of the image on screen (status `s`): plain, and with `layer` (on the
/// image's pixel grid) laid over it through the nearest-sample view.
fn reference_with_layer(
    file: &DicomFile,
    frame: &Frame,
    s: &Value,
    layer: &hounsfield_core::layers::composite::LayerImage,
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
    let nearest = View {
        filter: Filter::Nearest,
        ..view
    };
    hounsfield_core::layers::composite::composite(&mut with, &nearest, layer);
    (plain, with.pixels)
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
    let v: Vec<u32> = p["viewport"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_u64().map(|x| x as u32))
                .collect()
        })
        .unwrap_or_default();
    v.try_into().unwrap_or_else(|_| panic!("bad pane {p}"))
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

/// The tests (named `e2e::...` so that the unit-test run can skip them: they run in a
/// step of their own).
mod e2e {
    use super::*;

    #[test]
    fn window_level_drag_and_preset_in_a_real_window() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let Some(path) = shared("ct-philips-brain/I100") else {
            return;
        };
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
        let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
        let x = Xvfb::start(SCREEN);
        let started = Instant::now();
        let mut viewer = Viewer::start(&x, "drag", std::slice::from_ref(&path));

        // 1. The first image, with the file's window, equals the headless GPU render.
        let s = viewer.wait("the first image", |s| s["image_drawn"] == true);
        let first = started.elapsed();
        let file_window = (params.windows[0].center, params.windows[0].width);
        assert_eq!(window(&s), file_window);
        let [x0, y0, w, h] = viewport(&s);
        assert!(w > 400 && h > 400, "image area {w} x {h}");
        let view = view_of(&file, w, h);
        let screen = x.capture(&viewer.dir);
        let reference = gpu_reference(&file, &frame, file_window.0, file_window.1, view);
        let (worst, n) = compare(&screen, &s, &reference, 3);
        println!(
            "first image after {:.0} ms; screen vs headless GPU: max diff {worst} over {n} pixels",
            first.as_secs_f64() * 1000.0
        );
        assert!(n > (w * h / 2) as usize, "too few pixels compared");
        assert!(
            worst <= 2,
            "screen differs from the headless render by {worst}"
        );

        // 2. A left drag of (+120, +60) points widens the window by 120 s and raises the
        //    centre by 60 s, s = the data range over 1024 points; the screen follows.
        let (lo, hi) = modality_range(&params.modality_lut, &frame);
        let sens = window_drag_sensitivity(lo, hi);
        let expected = (file_window.0 + 60.0 * sens, file_window.1 + 120.0 * sens);
        let frames_before = viewer.frame_times().len();
        let (cx, cy) = (x0 + w / 2, y0 + h / 2);
        x.xdotool(&["mousemove", &cx.to_string(), &cy.to_string()]);
        x.xdotool(&["mousedown", "1"]);
        for _ in 0..30 {
            x.xdotool(&["mousemove_relative", "--", "4", "2"]);
            std::thread::sleep(Duration::from_millis(15));
        }
        x.xdotool(&["mouseup", "1"]);
        // Move the pointer off the image so that the value overlay does not hide pixels.
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let s = viewer.wait("the dragged window", |s| {
            let (c, w) = window(s);
            (c - expected.0).abs() < 1e-6 && (w - expected.1).abs() < 1e-6
        });
        let mut drag_frames: Vec<f64> = viewer.frame_times()[frames_before..].to_vec();
        let screen = x.capture(&viewer.dir);
        let reference = cpu_reference(&file, &frame, expected.0, expected.1, view);
        let (worst, n) = compare(&screen, &s, &reference, 1);
        println!(
            "after the drag: window {:?}; screen vs CPU reference: max diff {worst} over {n} pixels",
            window(&s)
        );
        assert!(worst <= 2, "after the drag the screen differs by {worst}");
        println!(
            "window/level drag at {w} x {h} ({} frames): median frame time {:.2} ms",
            drag_frames.len(),
            median(&mut drag_frames)
        );

        // 3. Preset 4 is the CT lung window.
        x.focus(VIEWER_WINDOW);
        x.xdotool(&["key", "4"]);
        let s = viewer.wait("the lung preset", |s| window(s) == (-600.0, 1500.0));
        let screen = x.capture(&viewer.dir);
        let reference = cpu_reference(&file, &frame, -600.0, 1500.0, view);
        let (worst, _) = compare(&screen, &s, &reference, 1);
        assert!(worst <= 2, "lung preset: screen differs by {worst}");

        // 4. Ctrl+S saves exactly the image area (without overlays).
        let (s, saved) = viewer.save(&x);
        let (sw, sh, rgb) = read_png_rgb(&saved);
        assert_eq!((sw, sh), (w, h));
        let (worst, _) = compare(&screen, &s, &rgb, 3);
        assert!(
            worst <= 2,
            "the saved view differs from the screen by {worst}"
        );
    }

    #[test]
    fn a_folder_opens_as_a_series_and_the_wheel_scrolls_slices() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let Some(dir) = shared("ct-philips-brain") else {
            return;
        };
        let x = Xvfb::start(SCREEN);
        let started = Instant::now();
        let mut viewer = Viewer::start(&x, "folder", std::slice::from_ref(&dir));
        let s = viewer.wait("the series", |s| {
            s["loaded"] == true && s["image_drawn"] == true
        });
        println!(
            "28 slices loaded and shown after {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        // One series of 28 images; DIRFILE skipped with a message naming it.
        let series = s["series"].as_array().cloned().unwrap_or_default();
        assert_eq!(series.len(), 1, "{series:?}");
        assert_eq!(series[0]["instances"], 28, "{series:?}");
        let names: Vec<String> = s["series_files"][0]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(names.len(), 28);
        assert_eq!(s["slices"], 28);
        assert!(
            s["messages"].as_array().is_some_and(|m| m
                .iter()
                .any(|m| m.as_str().is_some_and(|m| m.contains("DIRFILE")))),
            "no message about DIRFILE: {}",
            s["messages"]
        );
        // Slices in order of position along the normal (z here: axial, no tilt).
        let z: Vec<f64> = names
            .iter()
            .map(|n| {
                let f = DicomFile::open(n).unwrap_or_else(|e| panic!("{e}"));
                f.geometry(0)
                    .image_position_patient
                    .map_or(f64::NAN, |p| p[2])
            })
            .collect();
        assert!(
            z.windows(2).all(|p| p[0] < p[1]),
            "not sorted by position: {z:?}"
        );

        // Down three times: three slices on.
        let [x0, y0, w, h] = viewport(&s);
        let first = s["slice"].as_u64().unwrap_or(u64::MAX);
        x.focus(VIEWER_WINDOW);
        x.xdotool(&[
            "mousemove",
            &(x0 + w / 2).to_string(),
            &(y0 + h / 2).to_string(),
        ]);
        for _ in 0..3 {
            x.xdotool(&["key", "Down"]);
        }
        let target = first + 3;
        viewer.wait("three slices on", |s| s["slice"].as_u64() == Some(target));
        // The wheel: towards the user goes on, away goes back by as much. (Under Xvfb a
        // synthetic wheel click reaches winit twice, press and release, so the test checks
        // direction and symmetry rather than a count.)
        x.xdotool(&["click", "5"]);
        let on = viewer.wait("the wheel to go on", |s| {
            s["slice"].as_u64().is_some_and(|k| k > target)
        });
        x.xdotool(&["click", "4"]);
        let s = viewer.wait("the wheel to come back", |s| {
            s["slice"].as_u64() == Some(target)
        });
        println!(
            "wheel: one notch moved from slice {target} to {}",
            on["slice"]
        );
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let s = viewer.wait("the pointer off the image", |s2| {
            s2["slice"] == s["slice"] && s2["hover_value"] == false
        });
        let shown = s["file"].as_str().unwrap_or_default().to_string();
        assert_eq!(shown, names[target as usize]);
        let file = DicomFile::open(&shown).unwrap_or_else(|e| panic!("{e}"));
        let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
        let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
        let (c, wdt) = (params.windows[0].center, params.windows[0].width);
        assert_eq!(window(&s), (c, wdt));
        let screen = x.capture(&viewer.dir);
        let reference = gpu_reference(&file, &frame, c, wdt, view_of(&file, w, h));
        let (worst, n) = compare(&screen, &s, &reference, 3);
        println!("slice {target}: screen vs headless GPU max diff {worst} over {n} pixels");
        assert!(
            worst <= 2,
            "slice {target} differs from the headless render by {worst}"
        );
    }

    #[test]
    fn a_4d_series_steps_and_plays_its_time_points_at_the_same_slice() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let out = hounsfield_conformance::root().join("target/tmp/viewer-4d");
        let Some(expected) = hounsfield_conformance::make_4d(&out) else {
            return;
        };
        // 8 positions x 3 time points (Temporal Position Identifier), one file each.
        let times = &expected["classic-temporal"][0];
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(&x, "4d", &[out.join("classic-temporal")]);
        let s = viewer.wait("the series", |s| {
            s["loaded"] == true && s["image_drawn"] == true
        });
        let series = s["series"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            series.len(),
            1,
            "one series, not one per time point: {series:?}"
        );
        assert_eq!(series[0]["time_points"], 3, "{series:?}");
        assert_eq!(series[0]["time_axis"], "Temporal Position Identifier");
        assert_eq!(
            (s["slices"].clone(), s["time_point"].clone()),
            (8.into(), 0.into())
        );
        let file_at = |t: usize, k: usize| times[t][k][0].as_str().unwrap_or_default().to_string();
        let name = |s: &Value| {
            let f = s["file"].as_str().unwrap_or_default();
            std::path::Path::new(f)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        assert_eq!(name(&s), file_at(0, 0), "it opens at time point 1, slice 1");
        // Two slices on, then N: the next time point at the same slice.
        let [x0, y0, w, h] = viewport(&s);
        x.focus(VIEWER_WINDOW);
        x.xdotool(&[
            "mousemove",
            &(x0 + w / 2).to_string(),
            &(y0 + h / 2).to_string(),
        ]);
        x.xdotool(&["key", "Down", "Down"]);
        viewer.wait("two slices on", |s| s["slice"] == 2);
        x.xdotool(&["key", "n"]);
        viewer.wait("time point 2", |s| s["time_point"] == 1 && s["slice"] == 2);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let s = viewer.wait("the pointer off the image", |s| s["hover_value"] == false);
        assert_eq!(name(&s), file_at(1, 2));
        let path = out.join("classic-temporal").join(file_at(1, 2));
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
        let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
        let (c, wdt) = (params.windows[0].center, params.windows[0].width);
        let screen = x.capture(&viewer.dir);
        let reference = gpu_reference(&file, &frame, c, wdt, view_of(&file, w, h));
        let (worst, n) = compare(&screen, &s, &reference, 3);
        println!(
            "4D: time point 2, slice 3 ({}): screen vs headless GPU max diff {worst} over {n} pixels",
            file_at(1, 2)
        );
        assert!(
            worst <= 2,
            "time point 2 differs from the headless render by {worst}"
        );
        // Space plays the time points (wrapping), not the slices.
        x.focus(VIEWER_WINDOW);
        x.xdotool(&["key", "space"]);
        viewer.wait("cine through time point 3", |s| {
            s["time_point"] == 2 && s["slice"] == 2
        });
        viewer.wait("cine wrapping to time point 1", |s| {
            s["time_point"] == 0 && s["slice"] == 2
        });
        x.xdotool(&["key", "space"]);
        let s = viewer.wait("cine stopped", |s| s["cine"] == false);
        assert_eq!(s["slice"], 2, "cine kept the slice");
    }

    #[test]
    fn overlays_show_over_the_image_and_o_hides_them() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let path = hounsfield_conformance::testdata_dir()
            .join("pydicom-data-1.0.0/data_store/data/MR-SIEMENS-DICOM-WithOverlays.dcm");
        if !path.exists() {
            return hounsfield_conformance::missing(&path.display().to_string());
        }
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
        let mask = file
            .overlay_mask(0)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the file has an overlay"));
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(&x, "overlays", std::slice::from_ref(&path));
        viewer.wait("the image", |s| s["image_drawn"] == true);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let s = viewer.wait("the pointer off the image", |s| s["hover_value"] == false);
        assert_eq!(s["overlay_planes"], true, "overlays are on by default");
        let (c, w) = window(&s);
        let [_, _, vw, vh] = viewport(&s);
        let view = view_of(&file, vw, vh);
        let plain = cpu_reference(&file, &frame, c, w, view);
        let mut with = hounsfield_core::pipeline::RenderedImage {
            width: vw,
            height: vh,
            channels: 1,
            pixels: plain.clone(),
            pipeline: None,
        };
        hounsfield_core::pipeline::overlay::paint_overlay(&mut with, &mask, &view);
        let screen = x.capture(&viewer.dir);
        let (worst, n) = compare(&screen, &s, &with.pixels, 1);
        println!(
            "overlays on: screen vs CPU reference with the overlay painted: max diff {worst} over {n} pixels"
        );
        assert!(worst <= 2, "the overlay on screen differs by {worst}");
        let (without, _) = compare(&screen, &s, &plain, 1);
        assert!(
            without > 100,
            "the screen shows no overlay (max diff {without} to the plain image)"
        );
        // Ctrl+S saves them with the image, as shown.
        x.focus(VIEWER_WINDOW);
        let (_, saved) = viewer.save(&x);
        let (sw, sh, rgb) = read_png_rgb(&saved);
        assert_eq!((sw, sh), (vw, vh));
        let grey: Vec<u8> = rgb.chunks_exact(3).map(|p| p[0]).collect();
        let worst = grey
            .iter()
            .zip(&with.pixels)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap_or(255);
        assert!(
            worst <= 1,
            "the saved view differs from the reference with overlays by {worst}"
        );
        // O hides them.
        x.xdotool(&["key", "o"]);
        let s = viewer.wait("overlays off", |s| s["overlay_planes"] == false);
        let screen = x.capture(&viewer.dir);
        let (worst, _) = compare(&screen, &s, &plain, 1);
        println!("overlays off: screen vs plain CPU reference: max diff {worst}");
        assert!(
            worst <= 2,
            "with overlays off the screen differs by {worst}"
        );
    }

    #[test]
    fn structure_sets_show_over_their_images_and_j_hides_them() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("hounsfield-e2e-rt-{}", std::process::id()));
        let Some(made) = hounsfield_conformance::made_from_ct("make_rtstruct.py", "pydicom", &dir)
        else {
            return;
        };
        // The slice with the circle and the line, and the structure set.
        let path = PathBuf::from(made["slices"][0].as_str().unwrap_or_default());
        let rt_path = PathBuf::from(made["path"].as_str().unwrap_or_default());
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(&x, "structures", &[path.clone(), rt_path.clone()]);
        viewer.wait("the image", |s| s["image_drawn"] == true);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let s = viewer.wait("the contours over the image", |s| {
            s["hover_value"] == false && s["contours"].as_array().is_some_and(|a| !a.is_empty())
        });
        assert_eq!(s["contours"], serde_json::json!(["circle", "line"]));
        // The reference: the CPU render with the contours laid over it.
        let set = hounsfield_core::layers::structures::StructureSet::read(
            DicomFile::open(&rt_path).unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let layer = set
            .layer_on(&file, 0, |_| true)
            .unwrap_or_else(|| panic!("no contour on the slice"));
        let (plain, with) = reference_with_layer(&file, &frame, &s, &layer);
        layer_shown(&x, &viewer, &s, &plain, &with, "contours");
        x.focus(VIEWER_WINDOW);
        j_hides_the_layer(&x, &mut viewer, &plain, "contours");
    }

    #[test]
    fn segmentations_show_over_their_images_and_j_hides_them() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("hounsfield-e2e-seg-{}", std::process::id()));
        let Some(made) = hounsfield_conformance::make_segmentations(&dir) else {
            return;
        };
        // One slice and the binary segmentation (three segments, one over the others).
        let path = PathBuf::from(made["slices"][1]["path"].as_str().unwrap_or_default());
        let seg_path = dir.join("binary.seg.dcm");
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(&x, "segments", &[path.clone(), seg_path.clone()]);
        viewer.wait("the image", |s| s["image_drawn"] == true);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let s = viewer.wait("the segments over the image", |s| {
            s["hover_value"] == false && s["segments"].as_array().is_some_and(|a| !a.is_empty())
        });
        assert_eq!(
            s["segments"],
            serde_json::json!(["soft tissue", "bone", "disc"]),
            "the segments whose frames belong to the image"
        );
        // The reference: the CPU render with the same layer laid over it.
        let seg = hounsfield_core::layers::segmentation::Segmentation::read(
            DicomFile::open(&seg_path).unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let layers = seg.layers_for(&file, 0).unwrap_or_else(|e| panic!("{e}"));
        let layer = hounsfield_core::layers::segmentation::SegmentLayer::paint_all(
            frame.width,
            frame.height,
            &layers,
            hounsfield_core::layers::composite::Style::default(),
        );
        let (plain, with) = reference_with_layer(&file, &frame, &s, &layer);
        layer_shown(&x, &viewer, &s, &plain, &with, "segments");
        // Ctrl+S saves them with the image, as shown.
        x.focus(VIEWER_WINDOW);
        let (_, saved) = viewer.save(&x);
        let (_, _, rgb) = read_png_rgb(&saved);
        let worst = rgb
            .iter()
            .zip(&with)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap_or(255);
        assert!(worst <= 2, "the saved view differs by {worst}");
        j_hides_the_layer(&x, &mut viewer, &plain, "segments");
    }

    #[test]
    fn colour_maps_and_a_fused_series_show_over_the_image() {
        use hounsfield_core::layers::colormap::ColorMap;
        use hounsfield_core::layers::fusion::{Fusion, image_plane};
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("hounsfield-e2e-fuse-{}", std::process::id()));
        let Some(made) = hounsfield_conformance::made_from_ct("make_fusion.py", "pydicom", &dir)
        else {
            return;
        };
        // A CT slice inside the map, and the map.
        let path = PathBuf::from(made["slices"][13].as_str().unwrap_or_default());
        let map = PathBuf::from(made["map"].as_str().unwrap_or_default());
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(&x, "fusion", &[path.clone(), map.clone()]);
        let s = viewer.wait("both series", |s| {
            s["loaded"] == true && s["series"].as_array().is_some_and(|a| a.len() == 2)
        });
        // Tab goes from one series to the other and back; the panel's widgets (lists,
        // colour maps) never keep the keys from the image.
        let ct = |s: &Value| {
            s["fusion"]["candidates"]
                .as_array()
                .is_some_and(|a| a.len() == 1)
        };
        let first = ct(&s);
        viewer.key_until(&x, "Tab", "the other series", |s| ct(s) != first);
        viewer.key_until(&x, "Tab", "the first series again", |s| ct(s) == first);
        if !first {
            viewer.key_until(&x, "Tab", "the CT slice", ct);
        }
        viewer.wait("the CT slice with the map to fuse", |s| {
            ct(s) && s["image_drawn"] == true
        });
        // Shift+I: the CT in hot iron: the colour map of the CPU reference's levels (of
        // its level or the next, as the grey tests allow a level's difference).
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        viewer.key_until(&x, "shift+i", "the CT in hot iron", |s| {
            s["colormap"] == "hot-iron"
        });
        let s = viewer.wait("hot iron on screen", |s| {
            s["image_drawn"] == true && s["hover_value"] == false
        });
        let [_, _, vw, vh] = viewport(&s);
        let (grey, _) = reference_with_layer(
            &file,
            &frame,
            &s,
            &hounsfield_core::layers::composite::LayerImage::blank(frame.width, frame.height),
        );
        let coloured: Vec<Vec<u8>> = [-1i16, 0, 1]
            .iter()
            .map(|d| {
                let mut image = hounsfield_core::pipeline::RenderedImage {
                    width: vw,
                    height: vh,
                    channels: 1,
                    pixels: grey
                        .iter()
                        .map(|&g| (i16::from(g) + d).clamp(0, 255) as u8)
                        .collect(),
                    pipeline: None,
                };
                ColorMap::HotIron.apply(&mut image, &view_of(&file, vw, vh), &frame);
                image.pixels
            })
            .collect();
        let screen = x.capture(&viewer.dir);
        let nearest = nearest_level(&screen, &s, &coloured);
        layer_shown(&x, &viewer, &s, &grey, &nearest, "hot iron colour map");
        // Three more: jet, viridis, grey again.
        for map in ["jet", "viridis"] {
            viewer.key_until(&x, "shift+i", map, |s| s["colormap"] == map);
        }
        viewer.key_until(&x, "shift+i", "grey again", |s| s["colormap"].is_null());
        viewer.key_until(&x, "z", "the map fused", |s| s["fusion"]["series"].is_u64());
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let s = viewer.wait("the map fused on screen", |s| {
            s["image_drawn"] == true && s["hover_value"] == false
        });
        let window = |s: &Value| -> (f64, f64) {
            let w = &s["fusion"]["style"]["window"];
            (
                w[0].as_f64().unwrap_or(f64::NAN),
                w[1].as_f64().unwrap_or(f64::NAN),
            )
        };
        // The reference: the map resampled onto the slice's pixels by the library, at the
        // window the status reports, over the CPU render.
        let volume = std::sync::Arc::new(
            hounsfield_core::folder::Catalog::scan(std::slice::from_ref(&map))
                .volume(0)
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let reference = |s: &Value, colormap: ColorMap, opacity: f64| {
            let (center, width) = window(s);
            let fusion = Fusion {
                pipeline: hounsfield_core::pipeline::GreyPipeline {
                    modality: volume.modality.clone(),
                    voi: hounsfield_core::pipeline::Voi::Window {
                        center,
                        width,
                        function: hounsfield_core::VoiLutFunction::Linear,
                    },
                    inverse: false,
                    presentation_lut: None,
                },
                volume: volume.clone(),
                colormap,
                opacity,
                frame_of_reference: None,
            };
            let plane = image_plane(&file.geometry(0), frame.width, frame.height)
                .unwrap_or_else(|e| panic!("{e}"));
            reference_with_layer(&file, &frame, s, &fusion.layer(&plane))
        };
        assert_eq!(s["fusion"]["style"]["colormap"], "hot-iron");
        let (plain, with) = reference(&s, ColorMap::HotIron, 0.5);
        layer_shown(&x, &viewer, &s, &plain, &with, "fused map");
        // Shift+Z: the next colour map.
        let s = viewer.key_until(&x, "shift+z", "jet", |s| {
            s["fusion"]["style"]["colormap"] == "jet"
        });
        let (_, with) = reference(&s, ColorMap::Jet, 0.5);
        layer_shown(&x, &viewer, &s, &plain, &with, "fused map in jet");
        // Z again: no other candidate, fusion off.
        let s = viewer.key_until(&x, "z", "fusion off", |s| s["fusion"]["series"].is_null());
        let screen = x.capture(&viewer.dir);
        let (worst, _) = compare(&screen, &s, &plain, 1);
        assert!(worst <= 2, "with fusion off the screen differs by {worst}");
    }

    /// The screen (status `s`) is the CPU reference with the layer laid over (`with`),
    /// within 2, and differs from the plain reference: `what` is on screen.
    fn layer_shown(x: &Xvfb, viewer: &Viewer, s: &Value, plain: &[u8], with: &[u8], what: &str) {
        let screen = x.capture(&viewer.dir);
        let (worst, n) = compare(&screen, s, with, 3);
        println!(
            "{what} on: screen vs CPU reference with the {what} laid over: max diff {worst} over {n} pixels"
        );
        assert!(worst <= 2, "the {what} on screen differ by {worst}");
        let (without, _) = compare(&screen, s, plain, 1);
        assert!(
            without > 100,
            "the screen shows no {what} (max diff {without})"
        );
    }

    /// J (to the focused viewer) hides the layer: status `what` (`segments`, `contours`)
    /// empties and the screen is the plain CPU reference, within 2.
    fn j_hides_the_layer(x: &Xvfb, viewer: &mut Viewer, plain: &[u8], what: &str) {
        x.xdotool(&["key", "j"]);
        let s = viewer.wait(&format!("{what} off"), |s| {
            s[what].as_array().is_some_and(Vec::is_empty)
        });
        let screen = x.capture(&viewer.dir);
        let (worst, _) = compare(&screen, &s, plain, 1);
        println!("{what} off: screen vs plain CPU reference: max diff {worst}");
        assert!(worst <= 2, "with {what} off the screen differs by {worst}");
    }

    #[test]
    fn segmentations_and_structures_show_over_the_planes() {
        use hounsfield_core::folder::Catalog;
        use hounsfield_core::layers::composite::{Style, composite};
        use hounsfield_core::layers::segmentation::Segmentation;
        use hounsfield_core::volume::{Convention, Orientation};
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let Some(folder) = shared("ct-philips-brain") else {
            return;
        };
        let dir = std::env::temp_dir().join(format!("hounsfield-e2e-segp-{}", std::process::id()));
        if hounsfield_conformance::make_segmentations(&dir).is_none() {
            return;
        }
        let seg_path = dir.join("binary.seg.dcm");
        let seg = Segmentation::read(DicomFile::open(&seg_path).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        // A structure set too: its circle and square cross the middle planes.
        let Some(made) = hounsfield_conformance::made_from_ct(
            "make_rtstruct.py",
            "pydicom",
            &dir.join("structures"),
        ) else {
            return;
        };
        let rt_path = std::path::PathBuf::from(made["path"].as_str().expect("path"));
        let structures = hounsfield_core::layers::structures::StructureSet::read(
            DicomFile::open(&rt_path).unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let catalog = Catalog::scan(std::slice::from_ref(&folder));
        let volume = catalog.volume(0).unwrap_or_else(|e| panic!("{e}"));
        let first = catalog
            .open(volume.stack.slices[0].instance)
            .unwrap_or_else(|e| panic!("{e}"));
        let reference_uid = first
            .attributes()
            .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID);
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(&x, "segment-planes", &[folder.clone(), seg_path, rt_path]);
        viewer.wait("the series", |s| {
            s["loaded"] == true && s["image_drawn"] == true
        });
        x.focus(VIEWER_WINDOW);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        x.xdotool(&["key", "m"]);
        let s = viewer.wait("three planes", |s| {
            s["layout"] == "Planes"
                && s["mpr"]["planes_drawn"] == serde_json::json!([true, true, true])
                && s["hover_value"] == false
        });
        let window = (
            s["plane_window"][0].as_f64().unwrap_or(f64::NAN),
            s["plane_window"][1].as_f64().unwrap_or(f64::NAN),
        );
        let center = volume.stack.center();
        let screen = x.capture(&viewer.dir);
        let orientations = [
            Orientation::Axial,
            Orientation::Sagittal,
            Orientation::Coronal,
        ];
        let mut painted = 0;
        for (k, o) in orientations.iter().enumerate() {
            let plane = volume
                .stack
                .standard_plane(*o, Convention::Radiological, center);
            let rect = pane(&s, Some(k));
            let [_, _, w, h] = rect;
            let grey = plane_reference(&volume, &first, &plane, None, window, w, h);
            let layers = seg
                .plane_layers(&plane, reference_uid.as_deref())
                .unwrap_or_else(|e| panic!("{e}"));
            let mut layer = hounsfield_core::layers::segmentation::SegmentLayer::paint_all(
                plane.columns,
                plane.rows,
                &layers,
                Style::default(),
            );
            if let Some(contours) =
                structures.plane_layer(&plane, reference_uid.as_deref(), |_| true)
            {
                layer.over(&contours);
            }
            let mut with = hounsfield_core::pipeline::RenderedImage {
                width: w,
                height: h,
                channels: 1,
                pixels: grey,
                pipeline: None,
            };
            composite(&mut with, &View::fit(w, h), &layer);
            // The painted pixels off the crosshair, then the rest (grey pixels; coloured
            // ones are the crosshair's).
            let (mut coloured, mut same) = (0usize, 0usize);
            for y in 1..h - 1 {
                for x0 in 1..w - 1 {
                    let r = &with.pixels[((y * w + x0) * 3) as usize..][..3];
                    // The crosshair (at the volume's centre: the pane's middle) is drawn
                    // over the planes.
                    let on_crosshair = (i64::from(x0) - i64::from(w / 2)).abs() <= 2
                        || (i64::from(y) - i64::from(h / 2)).abs() <= 2;
                    if r[0] == r[1] && r[1] == r[2] || on_crosshair {
                        continue;
                    }
                    coloured += 1;
                    let si = (((rect[1] + y) * SCREEN.0 + rect[0] + x0) * 3) as usize;
                    if screen[si..si + 3]
                        .iter()
                        .zip(r)
                        .all(|(a, b)| a.abs_diff(*b) <= 2)
                    {
                        same += 1;
                    }
                }
            }
            let grey_ref: Vec<u8> = with.pixels.chunks(3).map(|p| p[0]).collect();
            let masked: Vec<u8> = with
                .pixels
                .chunks(3)
                .zip(&grey_ref)
                .map(|(p, g)| if p[0] == p[1] && p[1] == p[2] { *g } else { 0 })
                .collect();
            let (worst, n) = compare_region(&screen, &s, rect, &masked, 1, 1, true);
            println!(
                "{o:?} pane: {same} of {coloured} segment and contour pixels as the CPU reference; grey pixels max diff {worst} over {n}"
            );
            assert!(
                coloured == 0 || same * 100 >= coloured * 99,
                "{o:?}: only {same} of {coloured} segment and contour pixels match"
            );
            assert!(worst <= 2 || n == 0, "{o:?}: grey pixels differ by {worst}");
            painted += coloured;
        }
        assert!(
            painted > 1000,
            "hardly any segment on the planes: {painted}"
        );
    }

    /// `hounsfield measure FILE --roi ROI --json`: the one measurement it prints.
    fn measure_cli(path: &std::path::Path, roi: &str) -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_hounsfield"))
            .arg("measure")
            .arg(path)
            .args(["--roi", roi, "--json"])
            .output()
            .unwrap_or_else(|e| panic!("hounsfield measure: {e}"));
        assert!(
            out.status.success(),
            "hounsfield measure --roi {roi}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
        doc["measurements"][0].clone()
    }

    #[test]
    fn a_length_and_an_ellipse_drawn_with_the_mouse_measure_as_the_command_line() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let Some(path) = shared("ct-philips-brain/I100") else {
            return;
        };
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(&x, "measure", std::slice::from_ref(&path));
        let s = viewer.wait("the image", |s| s["image_drawn"] == true);
        let [x0, y0, w, h] = viewport(&s);
        let image = file.image().unwrap_or_else(|e| panic!("{e}"));
        let mapping = view_of(&file, w, h).mapping(image.columns, image.rows);
        // The image position (pixel centres at integers) under screen pixel (px, py).
        let image_at = |px: u32, py: u32| {
            let q = mapping.image_at((px - x0) as f32 + 0.5, (py - y0) as f32 + 0.5);
            let bias = hounsfield_core::view::SAMPLE_BIAS;
            [f64::from(q[0]) - 0.5 - bias, f64::from(q[1]) - 0.5 - bias]
        };
        let drag = |from: (u32, u32), to: (u32, u32)| {
            x.xdotool(&["mousemove", &from.0.to_string(), &from.1.to_string()]);
            x.xdotool(&["mousedown", "1"]);
            for i in 1..=12 {
                let t = f64::from(i) / 12.0;
                let p = |a: u32, b: u32| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round();
                x.xdotool(&[
                    "mousemove",
                    &p(from.0, to.0).to_string(),
                    &p(from.1, to.1).to_string(),
                ]);
                std::thread::sleep(Duration::from_millis(15));
            }
            x.xdotool(&["mouseup", "1"]);
        };
        let (cx, cy) = (x0 + w / 2, y0 + h / 2);
        let count = |n: usize| {
            move |s: &Value| {
                s["measurements"]
                    .as_array()
                    .is_some_and(|m| m.len() == n && m.iter().all(|m| m["complete"] == true))
            }
        };
        // L, then a drag: a length.
        x.focus(VIEWER_WINDOW);
        x.xdotool(&["key", "l"]);
        viewer.wait("the length tool", |s| s["tool"] == "length");
        let (a, b) = ((cx - 120, cy - 10), (cx + 90, cy + 70));
        drag(a, b);
        viewer.wait("the length", count(1));
        // C, then a drag: an ellipse.
        x.xdotool(&["key", "c"]);
        viewer.wait("the ellipse tool", |s| s["tool"] == "ellipse");
        let (c, d) = ((cx - 70, cy - 150), (cx + 40, cy - 60));
        drag(c, d);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let s = viewer.wait("the ellipse", count(2));
        let m = &s["measurements"];
        assert_eq!(
            (m[0]["tool"].as_str(), m[1]["tool"].as_str()),
            (Some("length"), Some("ellipse"))
        );
        // Where the pointer went, in image coordinates.
        let numbers = |roi: &Value| -> Vec<f64> {
            let text = roi.as_str().unwrap_or_default();
            let (_, v) = text.split_once(':').unwrap_or_default();
            v.split(',').filter_map(|x| x.parse().ok()).collect()
        };
        let (pa, pb) = (image_at(a.0, a.1), image_at(b.0, b.1));
        let (pc, pd) = (image_at(c.0, c.1), image_at(d.0, d.1));
        let expected_line = [pa[0], pa[1], pb[0], pb[1]];
        let expected_ellipse = [
            (pc[0] + pd[0]) / 2.0,
            (pc[1] + pd[1]) / 2.0,
            (pd[0] - pc[0]).abs() / 2.0,
            (pd[1] - pc[1]).abs() / 2.0,
        ];
        for (roi, expected) in [
            (&m[0]["roi"], &expected_line[..]),
            (&m[1]["roi"], &expected_ellipse[..]),
        ] {
            let got = numbers(roi);
            assert_eq!(got.len(), 4, "{roi}");
            for (g, e) in got.iter().zip(expected) {
                assert!(
                    (g - e).abs() < 0.01,
                    "{roi}: expected {expected:?} from the pointer"
                );
            }
        }
        // The numbers the viewer shows are the command line's.
        for (k, keys) in [
            (0, &["length_mm"][..]),
            (1, &["mean", "sd", "min", "max", "area_mm2", "pixels"][..]),
        ] {
            let roi = m[k]["roi"].as_str().unwrap_or_default();
            let cli = measure_cli(&path, roi);
            for key in keys {
                assert!(m[k][key].is_number(), "{roi}: no {key} in {}", m[k]);
                assert_eq!(
                    m[k][key], cli[key],
                    "{roi}: {key} in the viewer and on the command line"
                );
            }
            println!("{roi}: {} (as hounsfield measure)", m[k]["label"]);
        }
        let label = m[0]["label"][0].as_str().unwrap_or_default();
        let length = m[0]["length_mm"].as_f64().unwrap_or(f64::NAN);
        assert_eq!(label, format!("{length:.2} mm"));
        // The length is drawn on screen: the measurement colour near its middle.
        let screen = x.capture(&viewer.dir);
        let mid = ((a.0 + b.0) / 2, (a.1 + b.1) / 2);
        let drawn = (mid.1 - 2..=mid.1 + 2).any(|y| {
            (mid.0 - 2..=mid.0 + 2).any(|x| {
                let i = ((y * SCREEN.0 + x) * 3) as usize;
                let p = &screen[i..i + 3];
                p[0] < 160 && p[1] > 170 && p[2] > 200
            })
        });
        assert!(drawn, "no measurement line on screen near {mid:?}");
        // Delete removes the selected (last) one; Ctrl+Z brings it back.
        x.focus(VIEWER_WINDOW);
        x.xdotool(&["key", "Delete"]);
        viewer.wait("the ellipse deleted", count(1));
        x.xdotool(&["key", "ctrl+z"]);
        viewer.wait("the ellipse back", count(2));
        // Ctrl+Shift+S saves them as a DICOM SR (and JSON); opened with the image, the
        // report puts the same measurements back.
        x.xdotool(&["key", "ctrl+shift+s"]);
        viewer.wait("the measurements saved", |s| {
            s["messages"].as_array().is_some_and(|m| {
                m.iter().any(|m| {
                    m.as_str()
                        .is_some_and(|m| m.contains("saved the measurements"))
                })
            })
        });
        let report = std::fs::read_dir(&viewer.dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|e| e == "dcm"))
            .unwrap_or_else(|| panic!("no report saved"));
        let kept =
            std::env::temp_dir().join(format!("hounsfield-e2e-{}.sr.dcm", std::process::id()));
        std::fs::copy(&report, &kept).unwrap_or_else(|e| panic!("{e}"));
        drop(viewer);
        let mut viewer = Viewer::start(&x, "measure-again", &[path.clone(), kept.clone()]);
        let again = viewer.wait("the measurements from the report", count(2));
        let _ = std::fs::remove_file(&kept);
        for k in 0..2 {
            let (a, b) = (&m[k], &again["measurements"][k]);
            for key in [
                "tool",
                "roi",
                "length_mm",
                "mean",
                "sd",
                "min",
                "max",
                "area_mm2",
                "pixels",
            ] {
                assert_eq!(a[key], b[key], "{key} of measurement {k} after the report");
            }
        }
    }

    #[test]
    fn dicomweb_study_browser_opens_a_series_equal_to_the_files() {
        use hounsfield_conformance::orthanc::Orthanc;
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let Some(dir) = shared("ct-philips-brain") else {
            return;
        };
        let Some(orthanc) = Orthanc::start(None) else {
            return;
        };
        let (files, _) = hounsfield_core::folder::expand(std::slice::from_ref(&dir));
        let mut by_sop = std::collections::HashMap::new();
        for f in &files {
            if let Ok(d) = DicomFile::open(f)
                && d.has_pixel_data()
            {
                orthanc.upload(f);
                if let Some(uid) = d.identification().sop_instance_uid {
                    by_sop.insert(uid, f.clone());
                }
            }
        }
        assert_eq!(by_sop.len(), 28);
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(&x, "dicomweb", &[PathBuf::from(orthanc.root())]);
        let click = |r: &Value| {
            let r: Vec<f64> = r
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            assert_eq!(r.len(), 4, "a rectangle: {r:?}");
            let (cx, cy) = ((r[0] + r[2] / 2.0) as u32, (r[1] + r[3] / 2.0) as u32);
            x.xdotool(&["mousemove", &cx.to_string(), &cy.to_string()]);
            x.xdotool(&["click", "1"]);
        };

        // 1. `hounsfield ROOT` starts with the browser, which searches at once.
        let s = viewer.wait("the study list", |s| {
            s["browser"]["studies"] == 1 && s["browser"]["study_rows"][0].is_array()
        });
        assert_eq!(s["browser"]["open"], true);
        // 2. A click on the study lists its series, with a thumbnail.
        click(&s["browser"]["study_rows"][0]);
        let s = viewer.wait("the series list", |s| {
            s["browser"]["series"] == 1
                && s["browser"]["thumbnails"] == 1
                && s["browser"]["series_open"][0].is_array()
        });
        // 3. Open: the series loads, shown from its first slice, like the folder.
        click(&s["browser"]["series_open"][0]);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let s = viewer.wait("the series from the server", |s| {
            s["loaded"] == true
                && s["image_drawn"] == true
                && s["slices"] == 28
                && s["browser"]["open"] == false
        });
        assert_eq!(s["series"].as_array().map(Vec::len), Some(1), "{s}");
        assert_eq!(s["slice"], 0);
        let url = s["file"]
            .as_str()
            .unwrap_or_else(|| panic!("no file in {s}"));
        assert!(url.starts_with(&orthanc.root()), "{url}");
        let sop = url.rsplit('/').next().unwrap_or_default();
        let path = by_sop
            .get(sop)
            .unwrap_or_else(|| panic!("{sop} is not one of the uploaded files"));
        // The first slice in stack order, as the core orders the folder.
        let catalog = hounsfield_core::folder::Catalog::scan(std::slice::from_ref(&dir));
        let stack = catalog.stack(0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(catalog.path(stack.slices[0].instance), Some(path.as_path()));
        let file = DicomFile::open(path).unwrap_or_else(|e| panic!("{e}"));
        let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
        let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
        let file_window = (params.windows[0].center, params.windows[0].width);
        assert_eq!(window(&s), file_window);
        let [_, _, w, h] = viewport(&s);
        let screen = x.capture(&viewer.dir);
        let reference = gpu_reference(
            &file,
            &frame,
            file_window.0,
            file_window.1,
            view_of(&file, w, h),
        );
        let (worst, n) = compare(&screen, &s, &reference, 3);
        println!(
            "series over DICOMweb: first slice vs headless GPU render of the file: max diff {worst} over {n} pixels"
        );
        assert!(n > (w * h / 2) as usize, "too few pixels compared");
        assert!(worst <= 2, "the slice from the server differs by {worst}");

        // 4. Faults: a series the server does not have, opened with the one it has: a
        //    message naming the server and the status, the viewer stays up, and the good
        //    series loads whole.
        drop(viewer);
        let good = url
            .rsplit_once("/instances/")
            .map_or(url, |(series, _)| series);
        let missing = format!(
            "{}/series/1.2.3.4.5.6.7.8.9",
            good.rsplit_once("/series/")
                .map_or(good, |(study, _)| study)
        );
        let mut viewer = Viewer::start(
            &x,
            "dicomweb-faults",
            &[PathBuf::from(&missing), PathBuf::from(good)],
        );
        let s = viewer.wait("the good series beside the missing one", |s| {
            s["loaded"] == true && s["image_drawn"] == true && s["slices"] == 28
        });
        let messages: Vec<&str> = s["messages"]
            .as_array()
            .map(|m| m.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&orthanc.root()) && m.contains("404")),
            "no message names the server and the 404: {messages:?}"
        );
        assert!(
            viewer.child.try_wait().ok().flatten().is_none(),
            "the viewer exited"
        );
    }

    #[test]
    fn cpu_renderer_shows_the_cpu_reference() {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let Some(path) = shared("ct-philips-brain/I100") else {
            return;
        };
        let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(
            &x,
            "cpu",
            &[
                path.clone(),
                PathBuf::from("--renderer"),
                PathBuf::from("cpu"),
            ],
        );
        // The file's window, then the lung preset: the screen is the CPU reference.
        let s = viewer.wait("the first image", |s| s["image_drawn"] == true);
        assert_eq!(s["renderer"], "cpu");
        let [_, _, w, h] = viewport(&s);
        let view = view_of(&file, w, h);
        let (c, wd) = window(&s);
        let screen = x.capture(&viewer.dir);
        let (worst, n) = compare(&screen, &s, &cpu_reference(&file, &frame, c, wd, view), 1);
        println!("--renderer cpu: screen vs CPU reference: max diff {worst} over {n} pixels");
        assert!(n > (w * h / 2) as usize, "too few pixels compared");
        assert!(
            worst <= 1,
            "--renderer cpu differs from the CPU reference by {worst}"
        );
        x.focus(VIEWER_WINDOW);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        x.xdotool(&["key", "4"]);
        let s = viewer.wait("the lung preset", |s| window(s) == (-600.0, 1500.0));
        let screen = x.capture(&viewer.dir);
        let (worst, _) = compare(
            &screen,
            &s,
            &cpu_reference(&file, &frame, -600.0, 1500.0, view),
            1,
        );
        assert!(worst <= 1, "lung preset on the CPU differs by {worst}");
    }

    #[test]
    fn planes_of_a_tilted_series_follow_the_cpu_resampling_and_the_crosshair() {
        use hounsfield_core::folder::Catalog;
        use hounsfield_core::volume::{Convention, Orientation, Slab, SlabMode};
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        if !tools_present() {
            return;
        }
        let Some(dir) = shared("ct-ge-tilt") else {
            return;
        };
        // The volume as the core assembles it from the folder, independently of the viewer.
        let catalog = Catalog::scan(std::slice::from_ref(&dir));
        let volume = catalog.volume(0).unwrap_or_else(|e| panic!("{e}"));
        let first_slice = &volume.stack.slices[0];
        let first = catalog
            .open(first_slice.instance)
            .unwrap_or_else(|e| panic!("{e}"));
        let orientations = [
            Orientation::Axial,
            Orientation::Sagittal,
            Orientation::Coronal,
        ];
        let x = Xvfb::start(SCREEN);
        let mut viewer = Viewer::start(&x, "planes", std::slice::from_ref(&dir));
        let s = viewer.wait("the series", |s| {
            s["loaded"] == true && s["image_drawn"] == true
        });
        // Planes take the window of the volume's middle slice (the stack shows the first
        // slice, with its own).
        let middle = &volume.stack.slices[volume.stack.slices.len() / 2];
        let middle_window = catalog
            .open(middle.instance)
            .unwrap_or_else(|e| panic!("{e}"))
            .display_parameters(middle.frame)
            .unwrap_or_else(|e| panic!("{e}"))
            .windows
            .first()
            .map(|w| (w.center, w.width))
            .expect("the middle slice has a window");
        assert_eq!(window(&s), {
            let w = &first
                .display_parameters(0)
                .unwrap_or_else(|e| panic!("{e}"))
                .windows[0];
            (w.center, w.width)
        });
        let file_window = middle_window;

        // 1. M: axial, sagittal and coronal panes through the centre of the volume, each
        //    equal to the CPU resampling of the sorted, sheared stack.
        x.focus(VIEWER_WINDOW);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        x.xdotool(&["key", "m"]);
        let s = viewer.wait("three planes", |s| {
            s["layout"] == "Planes"
                && s["mpr"]["planes_drawn"] == serde_json::json!([true, true, true])
                && s["hover_value"] == false
        });
        assert_eq!(s["mpr"]["volume_slices"], 28);
        assert_eq!(
            (s["plane_window"][0].as_f64(), s["plane_window"][1].as_f64()),
            (Some(file_window.0), Some(file_window.1)),
            "the planes' window is the middle slice's"
        );
        let center = volume.stack.center();
        let got = crosshair(&s);
        assert!(
            (0..3).all(|i| (got[i] - center[i]).abs() < 1e-6),
            "crosshair {got:?}, volume centre {center:?}"
        );
        let screen = x.capture(&viewer.dir);
        for (k, o) in orientations.iter().enumerate() {
            let plane = volume
                .stack
                .standard_plane(*o, Convention::Radiological, center);
            let [_, _, w, h] = pane(&s, Some(k));
            let reference = plane_reference(&volume, &first, &plane, None, file_window, w, h);
            let (worst, n) = compare_pane(&screen, &s, pane(&s, Some(k)), &reference);
            println!(
                "{o:?} pane {w} x {h}: screen vs CPU resampling max diff {worst} over {n} pixels"
            );
            assert!(
                n > (w * h / 2) as usize,
                "{o:?}: too few pixels compared ({n})"
            );
            assert!(
                worst <= 2,
                "{o:?}: screen differs from the CPU resampling by {worst}"
            );
        }

        // 2. A click in the axial pane moves the crosshair there; the sagittal and coronal
        //    planes move through it.
        let [ax, ay, aw, ah] = pane(&s, Some(0));
        let (px, py) = (aw / 2 + 70, ah / 2 - 50);
        x.xdotool(&["mousemove", &(ax + px).to_string(), &(ay + py).to_string()]);
        x.xdotool(&["click", "1"]);
        x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
        let axial =
            volume
                .stack
                .standard_plane(Orientation::Axial, Convention::Radiological, center);
        let view = View {
            filter: Filter::Linear,
            ..View::fit(aw, ah)
        };
        // The click lands at the pixel centre under the pointer.
        let img = view
            .mapping(axial.columns, axial.rows)
            .image_at(px as f32 + 0.5, py as f32 + 0.5);
        let want = axial.position(f64::from(img[0]) - 0.5, f64::from(img[1]) - 0.5);
        let s = viewer.wait("the crosshair to move", |s| {
            let c = crosshair(s);
            (c[0] - center[0]).abs() > 1.0 && s["hover_value"] == false
        });
        let got = crosshair(&s);
        println!("click: crosshair {got:?}, expected {want:?}");
        assert!(
            (0..3).all(|i| (got[i] - want[i]).abs() < 0.01),
            "crosshair {got:?}, expected {want:?}"
        );
        let screen = x.capture(&viewer.dir);
        for k in [1, 2] {
            let plane = volume
                .stack
                .standard_plane(orientations[k], Convention::Radiological, got);
            let [_, _, w, h] = pane(&s, Some(k));
            let reference = plane_reference(&volume, &first, &plane, None, file_window, w, h);
            let (worst, n) = compare_pane(&screen, &s, pane(&s, Some(k)), &reference);
            println!(
                "after the click, {:?}: max diff {worst} over {n} pixels",
                orientations[k]
            );
            assert!(
                worst <= 2,
                "{:?} after the click differs by {worst}",
                orientations[k]
            );
        }

        // 3. B: a 10 mm MIP slab in every plane, equal to the CPU MIP of the same slab.
        x.xdotool(&["key", "b"]);
        let s = viewer.wait("the MIP slab", |s| {
            s["mpr"]["slab"]["mode"] == "Mip" && s["hover_value"] == false
        });
        let slab = Slab {
            thickness: s["mpr"]["slab"]["thickness"].as_f64().unwrap_or(f64::NAN),
            mode: SlabMode::Mip,
        };
        let screen = x.capture(&viewer.dir);
        let plane =
            volume
                .stack
                .standard_plane(Orientation::Coronal, Convention::Radiological, got);
        let [_, _, w, h] = pane(&s, Some(2));
        let reference = plane_reference(&volume, &first, &plane, Some(slab), file_window, w, h);
        let (worst, n) = compare_pane(&screen, &s, pane(&s, Some(2)), &reference);
        println!(
            "coronal {} mm MIP: max diff {worst} over {n} pixels",
            slab.thickness
        );
        assert!(worst <= 2, "coronal MIP differs by {worst}");

        // 4. The wheel over the sagittal pane moves only the sagittal plane.
        let [sx, sy, sw, sh] = pane(&s, Some(1));
        let before = s["mpr"]["planes"].clone();
        x.xdotool(&[
            "mousemove",
            &(sx + sw / 2).to_string(),
            &(sy + sh / 2).to_string(),
        ]);
        x.xdotool(&["click", "5"]);
        let s = viewer.wait("the sagittal plane to move", |s| {
            s["mpr"]["planes"][1]["slice"] != before[1]["slice"]
        });
        assert_eq!(s["mpr"]["planes"][0]["slice"], before[0]["slice"]);
        assert_eq!(s["mpr"]["planes"][2]["slice"], before[2]["slice"]);
        let moved = crosshair(&s);
        assert!((moved[1] - got[1]).abs() < 1e-9 && (moved[2] - got[2]).abs() < 1e-9);

        // 5. M again: the 2 x 2 layout with the series' own images.
        x.xdotool(&["key", "m"]);
        let s = viewer.wait("the 2 x 2 layout", |s| {
            s["layout"] == "Grid" && s["image_drawn"] == true
        });
        assert_eq!(s["panes"].as_array().map(Vec::len), Some(4));
    }
}
