//! Hounsfield in the browser: the core, the renderer and the viewer state of the native
//! viewer, compiled to WebAssembly and drawing with WebGPU into the page's canvas.
//!
//! The page (`web/app.js`) owns the DOM: it feeds the start of each file to
//! [`WebViewer::add_header`] (every header of a load before any pixel), asks
//! [`WebViewer::next_to_decode`] which file to decode next (the slice on screen first,
//! then outward), sends their bytes to Web Workers that call [`decode_frames`] (decoding
//! off the page's thread, buffers transferred, not copied), hands the frames back with
//! [`WebViewer::set_frames`], forwards mouse, touch and keyboard events, and paints the
//! overlay text of [`WebViewer::overlay`] as DOM text (never HTML).
//!
//! Built for `wasm32-unknown-unknown` only (`apps/hounsfield-web/build.sh`); natively the
//! crate is empty.
#![cfg(target_arch = "wasm32")]

use hounsfield_core::budget::{DecodeLimits, LoadBudget};
use hounsfield_core::{DicomFile, Frame};
use hounsfield_render::Renderer;
use hounsfield_viewer::cpu_scene::CpuScene;
use hounsfield_viewer::decode_order::{DecodeQueue, ParsedInstance};
use hounsfield_viewer::frame_key::{FrameKey, Shown};
use hounsfield_viewer::gesture::{Gesture, Gestures, PaneAt, TouchPhase};
use hounsfield_viewer::input::{Action, Button, Input, Key, Modifiers};
use hounsfield_viewer::model::{DecodedImage, Effect, Model};
use hounsfield_viewer::mpr::{Layout, Pane};
use hounsfield_viewer::overlay;
use hounsfield_viewer::scene::Scene;
use hounsfield_viewer::status::{Drawing, DrawingPath, SeriesStatus, Status};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

mod frames;
mod input;
mod loading;
mod remote;
use frames::frame_of;
pub use frames::{decode_frames, use_jpeg2000_decoder};
pub use remote::{DicomWeb, RemoteLoad};

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

/// The embedded sample (pydicom's `CT_small.dcm`, MIT licence).
#[wasm_bindgen]
pub fn sample() -> Vec<u8> {
    hounsfield_viewer::SAMPLE.to_vec()
}

/// What draws: WebGPU, or the CPU reference pipeline into a 2D canvas.
enum Backend {
    Gpu(Box<Gpu>),
    Cpu(Box<Cpu>),
}

struct Gpu {
    scene: Scene,
    surface: wgpu::Surface<'static>,
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: wgpu::SurfaceConfiguration,
    renderer: Renderer,
    /// What the canvas shows, when a frame can show the same again, and whether it drew
    /// the layout's images: a frame that would show the same is not drawn (a WebGPU
    /// canvas keeps what it presented last).
    shown: Shown,
}

struct Cpu {
    scene: CpuScene,
    context: web_sys::CanvasRenderingContext2d,
    /// The RGBA frame, kept between frames.
    rgba: Vec<u8>,
}

impl Cpu {
    /// Puts the RGBA frame (`width` x `height`) on the canvas through an ImageData over the
    /// module's memory, made for this frame alone (the memory's buffer is replaced when it
    /// grows): the canvas copies the pixels once, nothing else does.
    fn put(&mut self, width: u32, height: u32) -> Result<(), JsValue> {
        let data = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
            wasm_bindgen::Clamped(&self.rgba[..]),
            width,
            height,
        )?;
        self.context.put_image_data(&data, 0.0, 0.0)
    }
}

/// The largest canvas side drawn (the CPU path has no texture limit of its own).
const MAX_CANVAS: u32 = 8192;

/// The viewer of one canvas.
#[wasm_bindgen]
pub struct WebViewer {
    model: Model,
    backend: Backend,
    /// The canvas size in device pixels.
    width: u32,
    height: u32,
    adapter: String,
    /// Device pixels per CSS pixel.
    dpr: f32,
    next_id: u64,
    next_batch: u64,
    /// Drags, clicks, double clicks and wheel notches (CSS pixels; the viewer crate's
    /// gesture model, shared with the native viewer).
    gestures: Gestures,
    frames_drawn: u64,
    image_drawn: bool,
    /// Whether the canvas was drawn at all: until an image is open it is left as the page
    /// made it (transparent over the stage's black), so that an empty viewer's frames cost
    /// nothing while its first file loads.
    canvas_drawn: bool,
    /// What a file and a load may decode to.
    decode_limits: DecodeLimits,
    /// The decode budget of each load running.
    budgets: HashMap<u64, LoadBudget>,
    /// Instances announced by a server whose pixels are not decoded: over budget.
    over_budget: HashSet<u64>,
    /// The image headers read by each load and not yet given to the model
    /// ([`headers_read`](Self::headers_read)).
    headers: HashMap<u64, Vec<ParsedInstance>>,
    /// The image headers each load gave the model, and its images' decoding order
    /// (nearest the one on screen first).
    queues: HashMap<u64, (Vec<ParsedInstance>, DecodeQueue)>,
}

/// Creates the viewer on `canvas` with WebGPU. Fails with a message naming what is
/// missing when the browser offers no WebGPU adapter.
#[wasm_bindgen]
pub async fn create_viewer(canvas: web_sys::HtmlCanvasElement) -> Result<WebViewer, JsValue> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::BROWSER_WEBGPU,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let (width, height) = (canvas.width().max(1), canvas.height().max(1));
    let surface = instance
        .create_surface(wgpu::SurfaceTarget::Canvas(canvas))
        .map_err(|e| js_err(format!("cannot use the canvas for WebGPU: {e}")))?;
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            compatible_surface: Some(&surface),
            ..Default::default()
        })
        .await
        .map_err(|e| js_err(format!("this browser offers no WebGPU adapter ({e})")))?;
    let (device, queue) = adapter
        .request_device(&hounsfield_render::device_descriptor(
            &adapter.limits(),
            "hounsfield web",
        ))
        .await
        .map_err(|e| js_err(format!("cannot open the WebGPU device: {e}")))?;
    let caps = surface.get_capabilities(&adapter);
    let config = hounsfield_render::surface_config(&caps, width, height)
        .ok_or_else(|| js_err("the canvas offers no texture format"))?;
    let format = config.format;
    surface.configure(&device, &config);
    let renderer = Renderer::new(&device, &queue, format);
    let info = adapter.get_info();
    // Each frame clears the canvas to the panes' background first.
    let mut scene = Scene::default();
    scene.target_cleared = true;
    Ok(WebViewer::with(
        Backend::Gpu(Box::new(Gpu {
            scene,
            surface,
            device,
            queue,
            config,
            renderer,
            shown: Shown::default(),
        })),
        width,
        height,
        format!("{} ({:?})", info.name, info.backend),
    ))
}

/// Creates the viewer on `canvas` drawing on the CPU (the core's reference pipeline
/// into a 2D canvas): for browsers without WebGPU, or whose WebGPU runs in software.
#[wasm_bindgen]
pub fn create_cpu_viewer(canvas: web_sys::HtmlCanvasElement) -> Result<WebViewer, JsValue> {
    let (width, height) = (canvas.width().max(1), canvas.height().max(1));
    // Opaque (every pixel drawn has alpha 255): the compositor neither blends the canvas
    // nor keeps its alpha, which on a software GPU (SwiftShader) triples the frame rate.
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"alpha".into(), &false.into())?;
    let context = canvas
        .get_context_with_context_options("2d", &options)
        .map_err(|_| js_err("the canvas offers no 2D context"))?
        .ok_or_else(|| js_err("the canvas offers no 2D context (it draws with WebGPU already)"))?
        .dyn_into::<web_sys::CanvasRenderingContext2d>()
        .map_err(|_| js_err("the canvas offers no 2D context"))?;
    warm_up_cpu_pipeline();
    Ok(WebViewer::with(
        Backend::Cpu(Box::new(Cpu {
            scene: CpuScene::default(),
            context,
            rgba: Vec::new(),
        })),
        width,
        height,
        "CPU (reference pipeline)".into(),
    ))
}

/// Runs the CPU pipeline once on small frames of the common sample types, so that the
/// browser compiles its code while the first file is still being fetched and decoded
/// (the first real frame otherwise pays for it: up to a few hundred milliseconds here).
fn warm_up_cpu_pipeline() {
    use hounsfield_core::Samples;
    use hounsfield_core::pipeline::{GreyPipeline, Voi, render_view_with};
    use hounsfield_core::view::{Filter, View};
    use hounsfield_core::{ModalityLut, VoiLutFunction};
    let pipe = GreyPipeline {
        modality: ModalityLut::Rescale {
            slope: 1.0,
            intercept: -1024.0,
            rescale_type: None,
        },
        voi: Voi::Window {
            center: 40.0,
            width: 400.0,
            function: VoiLutFunction::Linear,
        },
        inverse: false,
        presentation_lut: None,
    };
    let values = (0..64u16).map(|v| v * 40);
    for samples in [
        Samples::I16(values.clone().map(|v| v as i16).collect()),
        Samples::U16(values.collect()),
    ] {
        let frame = Frame {
            width: 8,
            height: 8,
            color: hounsfield_core::FrameColor::Monochrome,
            samples,
            bits_stored: 12,
            signed: true,
        };
        for filter in [Filter::Linear, Filter::Nearest] {
            let view = View {
                filter,
                ..View::fit(24, 24)
            };
            let _ = render_view_with(&frame, Some(&pipe), None, false, false, &view);
        }
    }
}

fn key_of(key: &str) -> Option<Key> {
    Some(match key {
        "ArrowUp" => Key::Up,
        "ArrowDown" => Key::Down,
        "ArrowLeft" => Key::Left,
        "ArrowRight" => Key::Right,
        "PageUp" => Key::PageUp,
        "PageDown" => Key::PageDown,
        "Home" => Key::Home,
        "End" => Key::End,
        "Tab" => Key::Tab,
        "Escape" => Key::Escape,
        "F1" => Key::F1,
        "Delete" => Key::Delete,
        "Backspace" => Key::Backspace,
        " " => Key::Space,
        k => {
            let mut chars = k.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_digit() => Key::Digit(c as u8 - b'0'),
                (Some(c), None) if c.is_ascii_alphabetic() => Key::Letter(c.to_ascii_lowercase()),
                _ => return None,
            }
        }
    })
}

fn button_of(b: i32) -> Option<Button> {
    match b {
        0 => Some(Button::Left),
        1 => Some(Button::Middle),
        2 => Some(Button::Right),
        _ => None,
    }
}

fn effect_name(e: Option<Effect>) -> String {
    match e {
        Some(Effect::OpenDialog) => "open".into(),
        Some(Effect::Save) => "save".into(),
        Some(Effect::SaveMeasurements) => "save-measurements".into(),
        Some(Effect::Open(_)) | None => String::new(),
    }
}

/// The planes' volume budget of a page unless it sets another (`setVolumeBudget`).
const PAGE_VOLUME_BUDGET: u64 = 1 << 30;

impl WebViewer {
    fn with(backend: Backend, width: u32, height: u32, adapter: String) -> WebViewer {
        let mut model = Model::new();
        // A page's memory stops at 4 GiB (wasm32), which the decoded images share.
        model.set_volume_budget(Some(PAGE_VOLUME_BUDGET));
        WebViewer {
            model,
            backend,
            width,
            height,
            adapter,
            dpr: 1.0,
            next_id: 1,
            next_batch: 0,
            gestures: Gestures::default(),
            frames_drawn: 0,
            image_drawn: false,
            canvas_drawn: false,
            decode_limits: DecodeLimits::default(),
            budgets: HashMap::new(),
            over_budget: HashSet::new(),
            headers: HashMap::new(),
            queues: HashMap::new(),
        }
    }

    /// Reserves the decoded size of `file` (instance `id`) in the budget of `batch`; when
    /// there is no room, the instance fails with the reason and false is returned.
    fn reserve(&mut self, batch: u64, id: u64, file: &DicomFile) -> bool {
        let Some(budget) = self.budgets.get(&batch) else {
            return true;
        };
        match budget.reserve(file) {
            Ok(_) => true,
            Err(e) => {
                self.model.file_decoded(id, Err(e.to_string()));
                false
            }
        }
    }

    /// The panes of the canvas, in device pixels.
    fn panes(&self) -> Vec<(Pane, [u32; 4])> {
        let (w, h) = (self.width as f32, self.height as f32);
        self.model
            .layout
            .panes([0.0, 0.0, w, h])
            .into_iter()
            .map(|(p, [x, y, w, h])| (p, [x as u32, y as u32, w as u32, h as u32]))
            .collect()
    }

    /// The pane under CSS position `p`, and its rectangle in device pixels.
    fn pane_at(&self, p: [f32; 2]) -> Option<(Pane, [u32; 4])> {
        let (x, y) = (p[0] * self.dpr, p[1] * self.dpr);
        self.panes().into_iter().find(|(_, r)| {
            x >= r[0] as f32
                && y >= r[1] as f32
                && x < (r[0] + r[2]) as f32
                && y < (r[1] + r[3]) as f32
        })
    }

    /// Applies what a run of pointer events amounted to.
    fn gesture(&mut self, gesture: Option<Gesture>) {
        let dpr = self.dpr;
        // A click's position: the centre of the device pixel under the pointer.
        let pane_pixel = |at: [f32; 2]| {
            self.pane_at(at).map(|(_, r)| PaneAt {
                pixel: [
                    at[0] * dpr - r[0] as f32 + 0.5,
                    at[1] * dpr - r[1] as f32 + 0.5,
                ],
                size: [r[2], r[3]],
                center: [
                    (r[0] as f32 + r[2] as f32 / 2.0) / dpr,
                    (r[1] as f32 + r[3] as f32 / 2.0) / dpr,
                ],
                scale: dpr,
            })
        };
        if let Some((input, at)) = gesture.and_then(|g| g.input(pane_pixel)) {
            self.input(input, at);
        }
    }

    /// Applies one input that happened at CSS position `at` (if any); returns the
    /// effect's name for the page ("open", "save" or "").
    fn input(&mut self, input: Input, at: Option<[f32; 2]>) -> String {
        if let Some((pane, _)) = at.and_then(|p| self.pane_at(p)) {
            self.model.active_pane = pane;
        }
        let effect = self
            .model
            .action_for(&input)
            .and_then(|a| self.model.apply(a));
        effect_name(effect)
    }
}

#[wasm_bindgen]
impl WebViewer {
    /// The adapter in use, in words.
    pub fn adapter(&self) -> String {
        self.adapter.clone()
    }

    /// What draws: "webgpu" or "cpu".
    pub fn renderer(&self) -> String {
        match self.backend {
            Backend::Gpu(_) => "webgpu".into(),
            Backend::Cpu(_) => "cpu".into(),
        }
    }

    /// The canvas now has `width` x `height` device pixels, `dpr` per CSS pixel.
    pub fn resize(&mut self, width: u32, height: u32, dpr: f32) {
        self.dpr = if dpr > 0.0 { dpr } else { 1.0 };
        let max = match &self.backend {
            Backend::Gpu(g) => g.device.limits().max_texture_dimension_2d,
            Backend::Cpu(_) => MAX_CANVAS,
        };
        self.width = width.clamp(1, max);
        self.height = height.clamp(1, max);
        match &mut self.backend {
            Backend::Gpu(g) => {
                g.config.width = self.width;
                g.config.height = self.height;
                g.surface.configure(&g.device, &g.config);
                g.shown.forget();
            }
            // Sizing a canvas clears it: the next frame is put whole, even if it shows
            // what the last one showed.
            Backend::Cpu(c) => c.rgba.clear(),
        }
    }

    /// Sets the window (centre, width) in modality units.
    pub fn set_window(&mut self, center: f64, width: f64) {
        if width > 0.0 && center.is_finite() {
            self.model.view.window = Some((center, width));
            self.model.view.window_label = None;
        }
    }

    /// Shows grey images through colour map `name` ("grey", "hot-iron", "jet",
    /// "viridis"; "" for none); false for an unknown name.
    pub fn set_colormap(&mut self, name: &str) -> bool {
        let map = match name {
            "" => None,
            n => match hounsfield_core::layers::colormap::ColorMap::parse(n) {
                Some(m) => Some(m),
                None => return false,
            },
        };
        self.model.apply(Action::Colormap(map));
        true
    }

    /// Takes a measuring tool: "length", "angle", "cobb", "rectangle", "ellipse",
    /// "freehand", "probe", or "windowlevel" (none); false for another name.
    pub fn set_tool(&mut self, name: &str) -> bool {
        use hounsfield_viewer::annotate::Tool;
        let tool = match name {
            "windowlevel" => Tool::WindowLevel,
            "length" => Tool::Length,
            "angle" => Tool::Angle,
            "cobb" => Tool::Cobb,
            "rectangle" => Tool::Rectangle,
            "ellipse" => Tool::Ellipse,
            "freehand" => Tool::Freehand,
            "probe" => Tool::Probe,
            _ => return false,
        };
        // Taken as named: the angle's key toggles to Cobb, a name does not.
        self.model.apply(Action::Tool(Tool::WindowLevel));
        self.model.apply(Action::Tool(tool));
        true
    }

    /// The measurements as DICOM Structured Reports (TID 1500 Measurement Report), one
    /// `Uint8Array` per study. `seed`: random bytes (`crypto.getRandomValues`) the new UIDs
    /// come from; `seconds`: the time (`Date.now() / 1000`).
    pub fn measurement_reports(&self, seed: &[u8], seconds: f64) -> Result<js_sys::Array, JsValue> {
        use hounsfield_core::measure::sr;
        use std::hash::{Hash, Hasher};
        let mut count = 0u64;
        let mut uid = || {
            count += 1;
            let half = |salt: u8| {
                let mut h = std::hash::DefaultHasher::new();
                (seed, count, salt).hash(&mut h);
                h.finish().to_be_bytes()
            };
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&half(1));
            bytes[8..].copy_from_slice(&half(2));
            sr::uid_from_random(bytes)
        };
        if seed.len() < 16 {
            return Err(JsValue::from_str(
                "measurement_reports: 16 or more random bytes expected",
            ));
        }
        let reports = self
            .model
            .measurement_reports(sr::utc_date_time(seconds.max(0.0) as u64), &mut uid)
            .map_err(|e| JsValue::from_str(&e))?;
        Ok(reports
            .into_iter()
            .map(|(_, bytes)| JsValue::from(js_sys::Uint8Array::from(&bytes[..])))
            .collect())
    }

    /// Every measurement as JSON (`status().measurements`).
    pub fn measurements_json(&self) -> String {
        self.model.measurements_json()
    }

    /// Shows (1) or hides (0) segment `index` of the segment list, and sets its fill
    /// opacity (0-1); -1 leaves either as it is. False when there is no such segment.
    pub fn set_segment(&mut self, index: u32, visible: i32, opacity: f64) -> bool {
        self.model.set_segment(
            index as usize,
            (visible >= 0).then_some(visible > 0),
            (opacity >= 0.0).then_some(opacity),
        )
    }

    /// Fuses series `series` (an index in the series list) over the one on screen, or
    /// none (-1): "" when done, else why not.
    pub fn set_fusion(&mut self, series: i32) -> String {
        let series = usize::try_from(series).ok();
        match self.model.set_fusion(series) {
            Ok(()) => String::new(),
            Err(e) => e,
        }
    }

    /// How the fused series is shown: colour map `colormap` ("" leaves it), opacity (-1
    /// leaves it), window `center`/`width` (NaN leaves it; a width of 0 or less: its
    /// default window). False for an unknown colour map.
    pub fn set_fusion_style(
        &mut self,
        colormap: &str,
        opacity: f64,
        center: f64,
        width: f64,
    ) -> bool {
        use hounsfield_core::layers::colormap::ColorMap;
        let map = match colormap {
            "" => None,
            name => match ColorMap::parse(name) {
                Some(m) => Some(m),
                None => return false,
            },
        };
        let window = match (center.is_nan() || width.is_nan(), width > 0.0) {
            (true, _) => None,
            (false, true) => Some(Some((center, width))),
            (false, false) => Some(None),
        };
        self.model
            .set_fusion_style(map, (opacity >= 0.0).then_some(opacity), window);
        true
    }

    /// The 256 colours of colour map `name` as RGB bytes (empty for an unknown name): the
    /// colour bar's.
    pub fn colormap_table(name: &str) -> Vec<u8> {
        hounsfield_core::layers::colormap::ColorMap::parse(name)
            .map(|m| m.table().concat())
            .unwrap_or_default()
    }

    /// Selects measurement `id` and shows the image it was drawn on.
    pub fn select_measurement(&mut self, id: f64) {
        self.model.apply(Action::SelectMeasurement(id as u64));
    }

    /// Deletes measurement `id` (Ctrl+Z brings it back).
    pub fn delete_measurement(&mut self, id: f64) {
        let id = id as u64;
        if self.model.annotations.delete(id) {
            self.model.annotations.selected = None;
        }
    }

    /// Shows series `index` (in the order of [`series`](Self::series)).
    pub fn select_series(&mut self, index: u32) {
        self.model.select_series(index as usize);
    }

    /// Layout 0 (images), 1 (three planes) or 2 (both).
    pub fn set_layout(&mut self, layout: u32) {
        let layout = match layout {
            1 => Layout::Planes,
            2 => Layout::Grid,
            _ => Layout::Stack,
        };
        self.model.apply(Action::Layout(Some(layout)));
    }

    /// Advances cine by one slice; returns the time to the next step (ms), or -1 when
    /// cine is off.
    pub fn cine_step(&mut self) -> f64 {
        if !self.model.cine {
            return -1.0;
        }
        self.model.cine_step();
        self.model.cine_interval_ms()
    }

    /// The time between cine steps (ms) when cine is on, else -1.
    pub fn cine_interval(&self) -> f64 {
        if self.model.cine {
            self.model.cine_interval_ms()
        } else {
            -1.0
        }
    }

    /// Draws the whole frame again, even when it shows what the canvas shows already
    /// (which [`render`](Self::render) leaves as it is).
    pub fn redraw(&mut self) -> Result<(), JsValue> {
        self.canvas_drawn = true;
        match &mut self.backend {
            Backend::Gpu(g) => g.shown.forget(),
            Backend::Cpu(c) => c.rgba.clear(),
        }
        self.render()
    }

    /// Draws the panes into the canvas, unless the frame would show what the canvas
    /// shows already (a load's progress elsewhere, a message).
    pub fn render(&mut self) -> Result<(), JsValue> {
        if !self.canvas_drawn && self.model.current.is_none() {
            return Ok(());
        }
        self.canvas_drawn = true;
        let panes = self.panes();
        self.model.set_panes(&panes);
        let drawn = match &mut self.backend {
            Backend::Gpu(g) => {
                let key = FrameKey::of(&self.model, &panes, self.width, self.height);
                match g.shown.again(key.as_ref()) {
                    Some(drawn) => drawn,
                    None => {
                        g.shown.forget();
                        let drawn = match Self::render_gpu(g, &mut self.model, &panes) {
                            Some(drawn) => drawn,
                            None => return Ok(()),
                        };
                        g.shown.drawn(key, drawn);
                        drawn
                    }
                }
            }
            Backend::Cpu(c) => {
                let frame = c.scene.render(
                    &mut self.model,
                    &panes,
                    self.width,
                    self.height,
                    &mut c.rgba,
                );
                // An unchanged frame is on the canvas already (a load's progress, a message).
                if frame.changed {
                    c.put(self.width, self.height)?;
                }
                frame.image_drawn
            }
        };
        self.frames_drawn += 1;
        self.image_drawn = drawn;
        Ok(())
    }

    /// One WebGPU frame; whether an image was drawn (None when the surface was not
    /// ready and nothing was drawn).
    fn render_gpu(g: &mut Gpu, model: &mut Model, panes: &[(Pane, [u32; 4])]) -> Option<bool> {
        let draws = g.scene.prepare(&g.renderer, model, panes);
        let frame = match g.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(f)
            | wgpu::CurrentSurfaceTexture::Suboptimal(f) => f,
            _ => {
                g.surface.configure(&g.device, &g.config);
                return None;
            }
        };
        let target = frame
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = g
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("hounsfield web frame"),
            });
        {
            let pass = hounsfield_render::clear_pass(
                &mut encoder,
                &target,
                hounsfield_viewer::scene::BACKGROUND,
                "hounsfield web frame",
            );
            let mut pass = pass.forget_lifetime();
            g.scene.draw(&g.renderer, &mut pass, model, &draws);
        }
        g.queue.submit([encoder.finish()]);
        g.queue.present(frame);
        Some(
            model
                .layout
                .drawn(panes, |p| draws.iter().any(|d| d.pane == p)),
        )
    }

    /// What is on screen, as JSON: the keys of `hounsfield_viewer::status::Status`
    /// (shared with the native viewer's status file), plus `canvas` (device pixels) and
    /// `adapter` (the WebGPU adapter, when drawing with WebGPU).
    pub fn status(&self) -> String {
        let drawing = Drawing {
            renderer: match self.backend {
                Backend::Gpu(_) => DrawingPath::Webgpu,
                Backend::Cpu(_) => DrawingPath::Cpu,
            },
            frames_drawn: self.frames_drawn,
            image_drawn: self.image_drawn,
        };
        let mut status = match serde_json::to_value(Status::of(&self.model, drawing)) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return "{}".into(),
        };
        status.insert(
            "canvas".into(),
            serde_json::json!([self.width, self.height]),
        );
        status.insert("adapter".into(), serde_json::json!(self.adapter));
        serde_json::Value::Object(status).to_string()
    }

    /// The overlay of every pane, as JSON: its rectangle in CSS pixels, its text
    /// (`hounsfield_viewer::overlay::PaneOverlay`) and crosshair lines.
    pub fn overlay(&self) -> String {
        let pointer = self.gestures.pointer();
        let panes: Vec<serde_json::Value> = self
            .panes()
            .into_iter()
            .map(|(pane, r)| {
                let size = [r[2], r[3]];
                let local = pointer
                    .map(|p| {
                        [
                            p[0] * self.dpr - r[0] as f32 + 0.5,
                            p[1] * self.dpr - r[1] as f32 + 0.5,
                        ]
                    })
                    .filter(|p| {
                        p[0] >= 0.0 && p[1] >= 0.0 && p[0] < r[2] as f32 && p[1] < r[3] as f32
                    });
                // Measurements in CSS pixels from the pane's top left.
                let css_point = |p: [f32; 2]| [(p[0] - 0.5) / self.dpr, (p[1] - 0.5) / self.dpr];
                let measurements: Vec<serde_json::Value> = self
                        .model
                        .drawn_in(pane, size)
                        .into_iter()
                        .map(|d| {
                            serde_json::json!({
                                "id": d.id,
                                "selected": d.selected,
                                "lines": d.lines.iter().map(|l| l.iter().map(|p| css_point(*p)).collect::<Vec<_>>()).collect::<Vec<_>>(),
                                "handles": d.handles.iter().map(|p| css_point(*p)).collect::<Vec<_>>(),
                                "label": d.label,
                                "label_at": css_point(d.label_at),
                                "presentation": d.presentation,
                            })
                        })
                        .collect();
                let (text, lines) = match pane {
                    Pane::Stack => (
                        overlay::stack_overlay(&self.model, size, local, false),
                        Vec::new(),
                    ),
                    Pane::Plane(k) => (
                        overlay::plane_overlay(&self.model, k, size, local),
                        overlay::crosshair_lines(&self.model, k, size),
                    ),
                };
                let css = |v: u32| v as f32 / self.dpr;
                serde_json::json!({
                    "pane": pane,
                    "rect": [css(r[0]), css(r[1]), css(r[2]), css(r[3])],
                    "text": text,
                    "measurements": measurements,
                    "lines": lines.iter().map(|(c, a, b)| serde_json::json!({
                        "color": c,
                        "from": [a[0] / self.dpr, a[1] / self.dpr],
                        "to": [b[0] / self.dpr, b[1] / self.dpr],
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({ "panes": panes }).to_string()
    }

    /// The series, as JSON: `status().series` alone
    /// (`[{label, series_instance_uid, instances, decoded, current}]`).
    pub fn series(&self) -> String {
        serde_json::to_string(&SeriesStatus::list(&self.model)).unwrap_or_else(|_| "[]".into())
    }

    /// Every element of the instance on screen, sequences nested, as JSON.
    pub fn tags(&self) -> String {
        let Some(c) = self.model.current else {
            return "[]".into();
        };
        let Some(inst) = self.model.instance(c.id) else {
            return "[]".into();
        };
        serde_json::to_string(&inst.file.elements()).unwrap_or_else(|_| "[]".into())
    }

    /// The help table: `[[input, action], ...]`.
    pub fn help() -> String {
        serde_json::to_string(hounsfield_viewer::input::HELP).unwrap_or_else(|_| "[]".into())
    }
}
