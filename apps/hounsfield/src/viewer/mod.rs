//! The native viewer: a winit window, the GPU renderer of `hounsfield-render` drawing the
//! image, egui (egui-winit + egui-wgpu, on the same wgpu device and render pass) for
//! panels and overlays. Loading runs on other threads; the window redraws only when
//! something changed.

pub use hounsfield_viewer::{input, model, mpr};
mod browser;
mod draw_cpu;
mod fusion_ui;
pub mod loader;
mod measure_ui;
mod segments_ui;
mod status;
mod ui;

use hounsfield_core::budget::DecodeLimits;
use hounsfield_dicomweb::Cancel;
use hounsfield_render::Renderer;
use hounsfield_viewer::scene::Scene;
use loader::{LoadEvent, Source};
use model::{Effect, Model};
use mpr::Pane;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy};
use winit::window::{Window, WindowId};

/// How the viewer starts.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Files and folders to open; empty opens the embedded sample.
    pub paths: Vec<PathBuf>,
    /// Inner window size in physical pixels.
    pub size: Option<(u32, u32)>,
    /// Write one line per drawn frame, in milliseconds: the whole redraw (input, UI,
    /// GPU work waited for, presentation), then its parts: input and UI, acquiring the
    /// swapchain image, recording + GPU execution, presentation; then whether an image
    /// was drawn, and the kinds of the actions the frame performed (comma-separated, "-"
    /// for none), so each interaction's frame times can be told apart. (With this set,
    /// each frame waits for the GPU to finish.)
    pub frame_log: Option<PathBuf>,
    /// Keep a JSON description of what is on screen in this file (for automation).
    pub status_file: Option<PathBuf>,
    /// Where Ctrl+S saves.
    pub save_dir: PathBuf,
    /// Draw the images with the CPU reference pipeline (uploaded as one RGB image a
    /// frame) instead of the GPU pipeline.
    pub cpu_images: bool,
    /// How many bytes of decoded frames one file, and one load, may take.
    pub decode_limits: hounsfield_core::budget::DecodeLimits,
    /// The most bytes the planes' volume may take; a larger series is cut at a reduced
    /// resolution ([`Model::set_volume_budget`]).
    pub volume_budget: Option<u64>,
}

enum UserEvent {
    Load(LoadEvent),
    Browser(browser::Reply),
    DialogPicked(Vec<PathBuf>),
}

struct Gfx {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: wgpu::SurfaceConfiguration,
    renderer: Renderer,
    egui_renderer: egui_wgpu::Renderer,
    egui_state: egui_winit::State,
    lost: Arc<Mutex<Option<String>>>,
}

struct App {
    options: Options,
    proxy: Arc<Mutex<EventLoopProxy<UserEvent>>>,
    gfx: Option<Gfx>,
    egui: egui::Context,
    ui: ui::UiState,
    model: Model,
    /// What is on the GPU, and how panes are drawn.
    scene: Scene,
    next_batch: u64,
    pending: Vec<Source>,
    frame_log: Option<std::io::BufWriter<std::fs::File>>,
    /// The kinds of the actions performed since the last frame logged.
    frame_actions: Vec<String>,
    frames_drawn: u64,
    next_cine: Option<Instant>,
    repaint_at: Option<Instant>,
    failure: Option<String>,
    dialog_open: bool,
    /// Cancels the load from a DICOMweb server in progress.
    remote_load: Option<Cancel>,
    /// The instance on screen, for the loads: they decode from it outward.
    focus: loader::Focus,
    /// The DICOMweb study browser.
    browser: browser::Browser,
    /// The CPU drawing of the images (`--renderer cpu`).
    cpu: Option<draw_cpu::CpuDrawing>,
}

/// Large blocks (file bytes, frames, upload staging: 128 KiB and more) are mapped and
/// returned to the system when freed. glibc otherwise raises its mapping threshold after
/// the first such block is freed and serves the next ones from its heaps, which keep the
/// freed memory: a 3,000-slice load kept about 400 MiB of freed file bytes resident.
fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Runs the viewer until its window closes.
/// The decode limits of the command line (MiB), defaults where not given: 16 GiB per
/// file, and per load three quarters of the machine's memory (at most 64 GiB).
pub fn decode_limits(file_mib: Option<u64>, load_mib: Option<u64>) -> DecodeLimits {
    let default = DecodeLimits::default();
    let load = physical_memory().map_or(default.per_load, |m| (m / 4 * 3).min(default.per_load));
    DecodeLimits {
        per_file: file_mib.map_or(default.per_file, |m| m.saturating_mul(1 << 20)),
        per_load: load_mib.map_or(load, |m| m.saturating_mul(1 << 20)),
    }
}

/// The machine's memory in bytes, where the system says (Linux: `/proc/meminfo`).
fn physical_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

pub fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    return_large_blocks();
    let event_loop = EventLoop::<UserEvent>::with_user_event().build()?;
    event_loop.set_control_flow(ControlFlow::Wait);
    let proxy = Arc::new(Mutex::new(event_loop.create_proxy()));
    let frame_log = match &options.frame_log {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p).map_err(
            |e| format!("cannot write the frame log {}: {e}", p.display()),
        )?)),
        None => None,
    };
    // Paths, DICOMweb studies and series to open; a service root alone opens the browser.
    let mut browser = browser::Browser::default();
    let mut pending = Vec::new();
    for p in &options.paths {
        match p.to_str().filter(|s| hounsfield_dicomweb::is_url(s)) {
            Some(url) => match hounsfield_dicomweb::DicomWebUrl::parse(url) {
                Ok(u) if u.study.is_none() => {
                    browser = browser::Browser::on(url);
                }
                Ok(_) => pending.push(Source::DicomWeb {
                    url: url.to_string(),
                    options: hounsfield_dicomweb::Options::from_env(),
                }),
                Err(e) => return Err(e.to_string().into()),
            },
            None => pending.push(Source::Path(p.clone())),
        }
    }
    if options.paths.is_empty() {
        pending.push(Source::Bytes {
            name: "CT_small.dcm (embedded sample)".into(),
            data: Arc::from(crate::SAMPLE),
        });
    }
    let mut model = Model::new();
    model.set_volume_budget(options.volume_budget);
    let mut app = App {
        options,
        proxy,
        gfx: None,
        egui: egui::Context::default(),
        ui: ui::UiState::default(),
        model,
        scene: Scene::default(),
        next_batch: 0,
        pending,
        frame_log,
        frame_actions: Vec::new(),
        frames_drawn: 0,
        next_cine: None,
        repaint_at: None,
        failure: None,
        dialog_open: false,
        remote_load: None,
        focus: loader::Focus::default(),
        browser,
        cpu: None,
    };
    if app.options.cpu_images {
        app.cpu = Some(draw_cpu::CpuDrawing::default());
    }
    if app.options.paths.is_empty() {
        app.model.message(
            "Showing the embedded sample (pydicom's CT_small.dcm). Open your own with Ctrl+O, by dropping files or folders on the window, or `hounsfield PATH...`.",
        );
    }
    event_loop.run_app(&mut app)?;
    match app.failure {
        Some(f) => Err(f.into()),
        None => Ok(()),
    }
}

impl App {
    /// Notes `action` for the frame log's line of this frame.
    fn log_action(&mut self, action: &hounsfield_viewer::input::Action) {
        if self.frame_log.is_some() {
            let kind = action.kind();
            if !self.frame_actions.contains(&kind) {
                self.frame_actions.push(kind);
            }
        }
    }

    fn open(&mut self, sources: Vec<Source>) {
        if sources.is_empty() {
            return;
        }
        let batch = self.next_batch;
        self.next_batch += 1;
        self.model.begin_load(batch);
        // Opening something from a server stops what is still coming from one.
        let cancel = if sources.iter().any(|s| matches!(s, Source::DicomWeb { .. })) {
            if let Some(previous) = self.remote_load.replace(Cancel::default()) {
                previous.cancel();
            }
            self.remote_load.clone().unwrap_or_default()
        } else {
            Cancel::default()
        };
        let proxy = self.proxy.clone();
        loader::spawn(
            batch,
            sources,
            self.options.decode_limits,
            cancel,
            self.focus.clone(),
            move |e| {
                if let Ok(p) = proxy.lock() {
                    let _ = p.send_event(UserEvent::Load(e));
                }
            },
        );
    }

    fn init_gfx(&mut self, event_loop: &ActiveEventLoop) -> Result<(), String> {
        let (w, h) = self.options.size.unwrap_or((1280, 900));
        let attributes = Window::default_attributes()
            .with_title("Hounsfield")
            .with_inner_size(winit::dpi::PhysicalSize::new(w, h));
        let window = Arc::new(
            event_loop
                .create_window(attributes)
                .map_err(|e| format!("cannot create a window: {e}"))?,
        );
        let instance = wgpu::Instance::new(
            wgpu::InstanceDescriptor::new_with_display_handle_from_env(Box::new(window.clone())),
        );
        let surface = instance
            .create_surface(window.clone())
            .map_err(|e| format!("cannot draw into the window: {e}"))?;
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: Some(&surface),
            apply_limit_buckets: false,
        }))
        .map_err(|e| {
            format!(
                "no GPU adapter for the window ({e}); on machines without a GPU install Mesa's lavapipe (Debian: mesa-vulkan-drivers)"
            )
        })?;
        let info = adapter.get_info();
        tracing::info!("rendering on {} ({:?})", info.name, info.backend);
        // A CPU rasteriser (lavapipe, SwiftShader) pays for every triangle: the panels'
        // anti-aliasing fringes (as many triangles again for every rounded shape) cost a
        // window/level drag in the planes layout about 2 ms a frame there. Real GPUs keep
        // them.
        let software = info.device_type == wgpu::DeviceType::Cpu;
        self.egui
            .tessellation_options_mut(|o| o.feathering = !software);
        let (device, queue) = pollster::block_on(adapter.request_device(
            &hounsfield_render::device_descriptor(&adapter.limits(), "hounsfield viewer"),
        ))
        .map_err(|e| format!("cannot open the GPU device: {e}"))?;
        let lost = Arc::new(Mutex::new(None));
        let flag = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut l) = flag.lock() {
                *l = Some(format!("{reason:?}: {message}"));
            }
        });
        let caps = surface.get_capabilities(&adapter);
        // The display pipeline writes display values; a non-sRGB target shows them as they
        // are (an sRGB one would re-encode them).
        let size = window.inner_size();
        let config = hounsfield_render::surface_config(&caps, size.width, size.height)
            .ok_or("the window surface offers no format")?;
        let format = config.format;
        surface.configure(&device, &config);
        let renderer = Renderer::new(&device, &queue, format);
        let egui_renderer = egui_wgpu::Renderer::new(
            &device,
            format,
            egui_wgpu::RendererOptions {
                dithering: false,
                ..Default::default()
            },
        );
        self.egui.set_visuals(egui::Visuals::dark());
        let egui_state = egui_winit::State::new(
            self.egui.clone(),
            egui::ViewportId::ROOT,
            &window,
            Some(window.scale_factor() as f32),
            None,
            Some(device.limits().max_texture_dimension_2d as usize),
        );
        self.gfx = Some(Gfx {
            window,
            surface,
            device,
            queue,
            config,
            renderer,
            egui_renderer,
            egui_state,
            lost,
        });
        Ok(())
    }

    fn request_redraw(&self) {
        if let Some(g) = &self.gfx {
            g.window.request_redraw();
        }
    }

    fn on_load(&mut self, event: LoadEvent) {
        let m = &mut self.model;
        match event {
            LoadEvent::Found { files, .. } => m.files_found(files),
            LoadEvent::Skipped { reason, .. } => m.file_skipped(reason),
            LoadEvent::Report { file } => m.report_file(&file),
            LoadEvent::PresentationState { file } => m.presentation_file(&file),
            LoadEvent::Layer { file } => m.layer_file(file),
            LoadEvent::Parsed { batch, instances } => m.files_parsed(batch, instances),
            LoadEvent::Decoded { id, result } => m.file_decoded(id, result),
            LoadEvent::Cancelled { ids, reason } => m.instances_cancelled(&ids, Some(reason)),
            LoadEvent::Credentials { root, reason } => {
                m.message(reason.clone());
                self.browser.ask_credentials(&root, reason);
            }
            LoadEvent::Finished { batch, elapsed } => m.load_finished(batch, elapsed.as_secs_f64()),
        }
        self.request_redraw();
    }

    /// Runs a request of the study browser; opens what it names.
    fn browser_request(&mut self, request: browser::Request) {
        let proxy = self.proxy.clone();
        let send = move |reply| {
            if let Ok(p) = proxy.lock() {
                let _ = p.send_event(UserEvent::Browser(reply));
            }
        };
        if let Some(url) = self.browser.start(request, send) {
            let options = self.browser.options();
            self.open(vec![Source::DicomWeb { url, options }]);
        }
        self.request_redraw();
    }

    fn open_dialog(&mut self) {
        if self.dialog_open {
            return;
        }
        self.dialog_open = true;
        let proxy = self.proxy.clone();
        // The dialog blocks; it runs on a thread of its own so the window keeps drawing.
        let spawned = std::thread::Builder::new()
            .name("hounsfield file dialog".into())
            .spawn(move || {
                let picked = rfd::FileDialog::new()
                    .set_title("Open DICOM files")
                    .pick_files()
                    .unwrap_or_default();
                if let Ok(p) = proxy.lock() {
                    let _ = p.send_event(UserEvent::DialogPicked(picked));
                }
            });
        if let Err(e) = spawned {
            self.dialog_open = false;
            self.model.message(format!(
                "cannot show a file dialog ({e}); drop files on the window"
            ));
        }
    }

    /// Saves the measurements in the save folder: a DICOM SR (TID 1500) per study and the
    /// JSON of them all. Never over an existing file, never into the images.
    fn save_measurements(&mut self) {
        let dir = self.options.save_dir.clone();
        let result = (|| -> Result<Vec<PathBuf>, String> {
            use hounsfield_core::measure::sr;
            let seconds = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let reports = self
                .model
                .measurement_reports(sr::utc_date_time(seconds), &mut sr::new_uid)?;
            let free = |name: &str, ext: &str| {
                let mut path = dir.join(format!("{name}.{ext}"));
                let mut k = 2;
                while path.exists() {
                    path = dir.join(format!("{name}-{k}.{ext}"));
                    k += 1;
                }
                path
            };
            let mut written = Vec::new();
            for (_, bytes) in reports {
                let path = free("hounsfield-measurements", "dcm");
                std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
                written.push(path);
            }
            let path = free("hounsfield-measurements", "json");
            std::fs::write(&path, self.model.measurements_json())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            written.push(path);
            Ok(written)
        })();
        match result {
            Ok(paths) => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                self.model.message(format!(
                    "saved the measurements (DICOM SR and JSON): {}",
                    names.join(", ")
                ));
            }
            Err(e) => self
                .model
                .message(format!("could not save the measurements: {e}")),
        }
    }

    /// Saves what the pane under the pointer (else the first) shows, at its size, as PNG
    /// in the save folder.
    fn save(&mut self, panes: &[(Pane, [u32; 4])]) {
        let result = (|| -> Result<PathBuf, String> {
            let &(pane, viewport) = panes
                .iter()
                .find(|(p, _)| *p == self.model.active_pane)
                .or(panes.first())
                .ok_or("no image area")?;
            let series = self
                .model
                .current_image()
                .and_then(|(i, _, _)| i.info.series_number)
                .map_or_else(|| "x".to_string(), |n| n.to_string());
            let gfx = self.gfx.as_ref().ok_or("no window")?;
            let (state, name) = match pane {
                Pane::Stack => {
                    let (pos, _) = self.model.slice_position();
                    (
                        Scene::stack_state(&self.model, viewport).ok_or("no image on screen")?,
                        format!("hounsfield-series{series}-image{}", pos + 1),
                    )
                }
                Pane::Plane(k) => {
                    let state = self
                        .scene
                        .prepare_plane(&gfx.renderer, &mut self.model, k, viewport)
                        .ok_or("no plane on screen")?;
                    let slice = self.model.mpr.as_ref().map_or(0, |m| m.slices(k).1 + 1);
                    let orientation = format!("{:?}", mpr::ORIENTATIONS[k]).to_lowercase();
                    (
                        state,
                        format!("hounsfield-series{series}-{orientation}{slice}"),
                    )
                }
            };
            let image = self
                .scene
                .image(&self.model, pane)
                .ok_or("the image is not on the GPU yet")?;
            let rgba = hounsfield_render::headless::render_rgba(&gfx.renderer, image, &state)
                .map_err(|e| e.to_string())?;
            let dir = &self.options.save_dir;
            let mut path = dir.join(format!("{name}.png"));
            let mut k = 2;
            while path.exists() {
                path = dir.join(format!("{name}-{k}.png"));
                k += 1;
            }
            let rgb: Vec<u8> = rgba
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect();
            let mut image = hounsfield_core::pipeline::RenderedImage {
                width: state.view.width,
                height: state.view.height,
                channels: 3,
                pixels: rgb,
                pipeline: None,
            };
            // The overlay planes, as the pane shows them (the GPU draws them exactly so).
            if pane == Pane::Stack
                && let Some(over) = Scene::overlay_state(&self.model, viewport)
                && let Some((_, decoded, frame)) = self.model.current_image()
                && let Some(Some(mask)) = decoded.overlays.get(frame)
            {
                hounsfield_core::pipeline::overlay::paint_overlay(&mut image, mask, &over.view);
            }
            // The segments, as the pane shows them.
            if pane == Pane::Stack
                && let Some(over) = Scene::segments_state(&self.model, viewport)
                && let Some(c) = self.model.current
                && let Some((layer, _)) = self.model.segment_layer_of(c.id, c.frame)
            {
                hounsfield_core::layers::composite::composite(&mut image, &over.view, &layer);
            }
            crate::render::write_png(&path, &image)?;
            Ok(path)
        })();
        match result {
            Ok(p) => self
                .model
                .message(format!("saved the view to {}", p.display())),
            Err(e) => self.model.message(format!("cannot save the view: {e}")),
        }
    }

    fn redraw(&mut self, event_loop: &ActiveEventLoop) {
        let start = Instant::now();
        // What is on screen now (or will be: see `decode_focus`) decodes first.
        let on_screen = self.model.decode_focus().unwrap_or(0);
        self.focus
            .store(on_screen, std::sync::atomic::Ordering::Relaxed);
        let Some(gfx) = self.gfx.as_mut() else {
            return;
        };
        if let Some(why) = gfx.lost.lock().ok().and_then(|l| l.clone()) {
            // Recreate the device and every upload.
            tracing::error!("GPU device lost ({why}); recreating it");
            self.gfx = None;
            self.scene.clear();
            if let Some(cpu) = &mut self.cpu {
                cpu.forget_upload();
            }
            if let Err(e) = self.init_gfx(event_loop) {
                self.failure = Some(e);
                event_loop.exit();
            }
            self.request_redraw();
            return;
        }
        let raw = gfx.egui_state.take_egui_input(&gfx.window);
        // Input over the image first, once per frame; then the UI pass paints the result.
        let mut effects = Vec::new();
        for (input, pane) in ui::inputs_from_raw(&raw, &self.egui, &mut self.ui) {
            if let Some(pane) = pane {
                self.model.active_pane = pane;
            }
            if let Some(action) = self.model.action_for(&input) {
                self.log_action(&action);
                if let Some(effect) = self.model.apply(action) {
                    effects.push(effect);
                }
            }
        }
        let mut out = ui::UiOutput::default();
        let mut requests = Vec::new();
        let mut full = self.egui.run_ui(raw, |ui| {
            out = ui::build(ui, &self.model, &mut self.ui);
            requests = self.browser.show(ui.ctx());
        });
        if out.toggle_browser {
            self.browser.open = !self.browser.open;
            self.request_redraw();
        }
        for request in requests {
            self.browser_request(request);
        }
        let panel_changes = !out.actions.is_empty() || out.select_series.is_some();
        for action in std::mem::take(&mut out.actions) {
            self.log_action(&action);
            if let Some(effect) = self.model.apply(action) {
                effects.push(effect);
            }
        }
        if let Some(i) = out.select_series {
            self.model.select_series(i);
        }
        if panel_changes {
            self.request_redraw();
        }
        let ppp = full.pixels_per_point;
        let Some(gfx) = self.gfx.as_mut() else {
            return;
        };
        gfx.egui_state
            .handle_platform_output(&gfx.window, full.platform_output);
        let (sw, sh) = (gfx.config.width, gfx.config.height);
        let clamp = |v: [u32; 4]| {
            let x0 = v[0].min(sw);
            let y0 = v[1].min(sh);
            let x1 = (v[0] + v[2]).clamp(x0, sw);
            let y1 = (v[1] + v[3]).clamp(y0, sh);
            [x0, y0, x1 - x0, y1 - y0]
        };
        let viewport = clamp(ui::pixels_of(out.viewport, ppp));
        let panes: Vec<(Pane, [u32; 4])> = out
            .panes
            .iter()
            .map(|(p, r)| (*p, clamp(ui::pixels_of(*r, ppp))))
            .collect();
        self.model.set_panes(&panes);
        for effect in effects.drain(..) {
            match effect {
                Effect::OpenDialog => self.open_dialog(),
                Effect::Save => {
                    if let Some(gfx) = &self.gfx {
                        self.scene.ensure_uploaded(&gfx.renderer, &mut self.model);
                    }
                    self.save(&panes);
                }
                Effect::Open(paths) => {
                    self.open(paths.into_iter().map(Source::Path).collect());
                }
                Effect::SaveMeasurements => self.save_measurements(),
            }
        }
        let (draws, cpu_image) = match (&self.gfx, &mut self.cpu) {
            (Some(gfx), Some(cpu)) => (
                Vec::new(),
                draw_cpu::cpu_frame(&gfx.renderer, cpu, &mut self.model, &panes, viewport),
            ),
            (Some(gfx), None) => (
                self.scene.prepare(&gfx.renderer, &mut self.model, &panes),
                None,
            ),
            (None, _) => (Vec::new(), None),
        };
        let drawn_image = match &cpu_image {
            Some((_, _, drawn)) => *drawn,
            None => self
                .model
                .layout
                .drawn(&panes, |p| draws.iter().any(|d| d.pane == p)),
        };
        let Some(gfx) = self.gfx.as_mut() else {
            return;
        };
        let primitives = self.egui.tessellate(full.shapes, ppp);
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: [sw, sh],
            pixels_per_point: ppp,
        };
        for (id, deltas) in full.textures_delta.set.drain() {
            for delta in &deltas {
                gfx.egui_renderer
                    .update_texture(&gfx.device, &gfx.queue, id, delta);
            }
        }
        // Freed after painting (or at once when this frame is skipped).
        let free: Vec<egui::TextureId> = full.textures_delta.free.drain().collect();
        let t_ui = start.elapsed();
        let frame = match gfx.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(f)
            | wgpu::CurrentSurfaceTexture::Suboptimal(f) => f,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                for id in &free {
                    gfx.egui_renderer.free_texture(id);
                }
                gfx.surface.configure(&gfx.device, &gfx.config);
                gfx.window.request_redraw();
                return;
            }
            other => {
                for id in &free {
                    gfx.egui_renderer.free_texture(id);
                }
                tracing::warn!("skipping a frame: {other:?}");
                gfx.window.request_redraw();
                return;
            }
        };
        let t_acquired = start.elapsed();
        let target = frame
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = gfx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("hounsfield frame"),
            });
        let user_buffers = gfx.egui_renderer.update_buffers(
            &gfx.device,
            &gfx.queue,
            &mut encoder,
            &primitives,
            &screen,
        );
        {
            // Panels paint no fill (see `ui::panel_frame`): the clear colour is theirs, and
            // the renderer paints the image area's background itself.
            let [r, g, b, a] = ui::panel_color(&self.egui);
            let pass = hounsfield_render::clear_pass(
                &mut encoder,
                &target,
                [r, g, b, a],
                "hounsfield frame",
            );
            let mut pass = pass.forget_lifetime();
            match &cpu_image {
                Some((image, state, _)) => gfx.renderer.draw(&mut pass, image, state, viewport),
                None => self
                    .scene
                    .draw(&gfx.renderer, &mut pass, &self.model, &draws),
            }
            gfx.egui_renderer.render(&mut pass, &primitives, &screen);
        }
        let index = gfx
            .queue
            .submit(user_buffers.into_iter().chain([encoder.finish()]));
        if self.frame_log.is_some() {
            let _ = gfx.device.poll(wgpu::PollType::Wait {
                submission_index: Some(index),
                timeout: Some(Duration::from_secs(5)),
            });
        }
        let t_gpu = start.elapsed();
        gfx.window.pre_present_notify();
        gfx.queue.present(frame);
        for id in &free {
            gfx.egui_renderer.free_texture(id);
        }
        self.frames_drawn += 1;
        let elapsed = start.elapsed();
        if let Some(log) = &mut self.frame_log {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let actions = if self.frame_actions.is_empty() {
                "-".to_string()
            } else {
                self.frame_actions.join(",")
            };
            self.frame_actions.clear();
            let _ = writeln!(
                log,
                "{:.3} {:.3} {:.3} {:.3} {:.3} {} {actions}",
                ms(elapsed),
                ms(t_ui),
                ms(t_acquired - t_ui),
                ms(t_gpu - t_acquired),
                ms(elapsed - t_gpu),
                drawn_image
            );
            let _ = log.flush();
        }
        self.write_status(viewport, &panes, &out, ppp, drawn_image);
        // What comes next: egui animations, cine.
        let repaint = full
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .map_or(Duration::MAX, |v| v.repaint_delay);
        self.repaint_at = if repaint == Duration::ZERO {
            self.request_redraw();
            None
        } else if repaint < Duration::from_secs(3600) {
            Some(Instant::now() + repaint)
        } else {
            None
        };
        // The planes draw again by themselves: their volume goes to the GPU a part per
        // frame, a still plane of a reduced volume is refined (the model says when).
        match self.model.planes_redraw_after_ms() {
            Some(0) => self.request_redraw(),
            Some(ms) => {
                let at = Instant::now() + Duration::from_millis(ms);
                self.repaint_at = Some(self.repaint_at.map_or(at, |t| t.min(at)));
            }
            None => {}
        }
        if self.model.cine {
            if self.next_cine.is_none() {
                self.next_cine = Some(
                    Instant::now()
                        + Duration::from_secs_f64(self.model.cine_interval_ms() / 1000.0),
                );
            }
        } else {
            self.next_cine = None;
        }
    }
}

impl ApplicationHandler<UserEvent> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.gfx.is_some() {
            return;
        }
        if let Err(e) = self.init_gfx(event_loop) {
            self.failure = Some(e);
            event_loop.exit();
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        self.open(pending);
        if self.browser.open && !self.browser.root.is_empty() {
            self.browser_request(browser::Request::Search);
        }
        self.request_redraw();
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        let Some(gfx) = self.gfx.as_mut() else {
            return;
        };
        let response = gfx.egui_state.on_window_event(&gfx.window, &event);
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                gfx.config.width = size.width.max(1);
                gfx.config.height = size.height.max(1);
                gfx.surface.configure(&gfx.device, &gfx.config);
                gfx.window.request_redraw();
            }
            WindowEvent::RedrawRequested => self.redraw(event_loop),
            _ => {
                if response.repaint {
                    gfx.window.request_redraw();
                }
            }
        }
    }

    fn user_event(&mut self, _event_loop: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::Load(e) => self.on_load(e),
            UserEvent::Browser(reply) => {
                self.browser.on_reply(&self.egui, reply);
                self.request_redraw();
            }
            UserEvent::DialogPicked(paths) => {
                self.dialog_open = false;
                if paths.is_empty() {
                    self.model.message(
                        "no files chosen (without a desktop file dialog, i.e. no xdg-desktop-portal or zenity, drop files on the window or pass them on the command line)",
                    );
                }
                self.open(paths.into_iter().map(Source::Path).collect());
                self.request_redraw();
            }
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let now = Instant::now();
        if let Some(t) = self.next_cine
            && now >= t
        {
            self.model.cine_step();
            self.next_cine =
                Some(now + Duration::from_secs_f64(self.model.cine_interval_ms() / 1000.0));
            self.request_redraw();
        }
        if let Some(t) = self.repaint_at
            && now >= t
        {
            self.repaint_at = None;
            self.request_redraw();
        }
        let wake = [self.next_cine, self.repaint_at]
            .into_iter()
            .flatten()
            .min();
        event_loop.set_control_flow(match wake {
            Some(t) => ControlFlow::WaitUntil(t),
            None => ControlFlow::Wait,
        });
    }
}
