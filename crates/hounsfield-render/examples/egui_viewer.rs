//! A DICOM image inside an egui panel, next to ordinary egui widgets, drawn by the renderer
//! through an `egui_wgpu` paint callback on egui's own device (eframe's wgpu backend).
//!
//! ```sh
//! cargo run -p hounsfield-render --example egui_viewer -- [FILE]
//! ```
//!
//! Sliders set the window centre and width and the frame; the image is uploaded once, and
//! each change rewrites the renderer's uniforms only. Each change is printed as
//! `window CENTER WIDTH frame N`.

use eframe::egui;
use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait};
use hounsfield_core::pipeline::{GreyPipeline, RenderOptions, Voi, VoiSelection, modality_range};
use hounsfield_core::view::View;
use hounsfield_core::{DicomFile, DisplayParameters, Frame};
use hounsfield_render::{DrawState, GpuImage, Renderer};

/// What lives in egui's callback resources: the renderer and the uploaded frames.
struct Resources {
    renderer: Renderer,
    image: GpuImage,
}

/// One paint of the image: the draw state of this egui frame and where it goes on the
/// screen (physical pixels).
struct ImageCallback {
    state: DrawState,
    viewport: [u32; 4],
}

impl CallbackTrait for ImageCallback {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        _queue: &wgpu::Queue,
        _screen: &egui_wgpu::ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(r) = resources.get_mut::<Resources>()
            && let Err(e) = r.renderer.prepare(&mut r.image, &self.state, self.viewport)
        {
            eprintln!("egui_viewer: {e}");
        }
        Vec::new()
    }

    fn paint(
        &self,
        info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        if let Some(r) = resources.get::<Resources>() {
            // Inside egui's clip rectangle (the panel), wherever the image lies.
            let c = info.clip_rect_in_pixels();
            let clip = [c.left_px, c.top_px, c.width_px, c.height_px].map(|x| x.max(0) as u32);
            r.renderer
                .draw_clipped(pass, &r.image, &self.state, self.viewport, clip);
        }
    }
}

struct App {
    frames: Vec<Frame>,
    params: DisplayParameters,
    center: f64,
    width: f64,
    range: (f64, f64),
    frame: usize,
    printed: Option<(f64, f64, usize)>,
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::Panel::left("controls").show(ui, |ui| {
            ui.heading("Window");
            let (lo, hi) = self.range;
            ui.add(egui::Slider::new(&mut self.center, lo..=hi).text("centre"));
            ui.add(egui::Slider::new(&mut self.width, 1.0..=(hi - lo).max(2.0)).text("width"));
            if self.frames.len() > 1 {
                ui.add(egui::Slider::new(&mut self.frame, 0..=self.frames.len() - 1).text("frame"));
            }
        });
        egui::CentralPanel::default().show(ui, |ui| {
            let frame = &self.frames[self.frame];
            let options = RenderOptions {
                voi: VoiSelection::Window {
                    center: self.center,
                    width: self.width,
                },
                ..RenderOptions::default()
            };
            let pipeline = GreyPipeline::resolve(&self.params, frame, &options).ok();
            // One image pixel per screen pixel, at the panel's top left.
            let ppp = ui.ctx().pixels_per_point();
            let size = egui::vec2(frame.width as f32, frame.height as f32) / ppp;
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            let px = |v: f32| (v * ppp).round().max(0.0) as u32;
            let viewport = [px(rect.min.x), px(rect.min.y), frame.width, frame.height];
            let state = DrawState {
                frame: self.frame,
                pipeline,
                ..DrawState::new(View::native(frame.width, frame.height))
            };
            let callback = ImageCallback { state, viewport };
            ui.painter()
                .add(egui_wgpu::Callback::new_paint_callback(rect, callback));
        });
        let now = (self.center, self.width, self.frame);
        if self.printed != Some(now) {
            println!("window {} {} frame {}", now.0, now.1, now.2);
            self.printed = Some(now);
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = match std::env::args().nth(1) {
        Some(path) => DicomFile::open(&path)?,
        None => DicomFile::from_bytes("CT_small.dcm", SAMPLE.to_vec())?,
    };
    let frames = file.decode_all_frames()?;
    let params = file.display_parameters(0)?;
    let pipeline = GreyPipeline::resolve(&params, &frames[0], &RenderOptions::default())?;
    let range = modality_range(&params.modality_lut, &frames[0]);
    let (center, width) = match pipeline.voi {
        Voi::Window { center, width, .. } => (center, width),
        Voi::Table(_) => ((range.0 + range.1) / 2.0, (range.1 - range.0).max(1.0)),
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("hounsfield egui_viewer")
            .with_inner_size([
                frames[0].width as f32 + 260.0,
                frames[0].height as f32 + 40.0,
            ]),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native(
        "hounsfield egui_viewer",
        options,
        Box::new(move |cc| {
            // Share egui's device: the renderer and the upload go into its callback resources.
            let rs = cc.wgpu_render_state.as_ref().ok_or("eframe without wgpu")?;
            let renderer = Renderer::new(&rs.device, &rs.queue, rs.target_format);
            let palette = params.palette.as_ref();
            let image = renderer.upload(&frames, palette)?;
            rs.renderer
                .write()
                .callback_resources
                .insert(Resources { renderer, image });
            Ok(Box::new(App {
                frames,
                params,
                center,
                width,
                range,
                frame: 0,
                printed: None,
            }))
        }),
    )?;
    Ok(())
}

/// pydicom's `CT_small.dcm` (MIT licence, `assets/LICENSE-pydicom.txt`).
const SAMPLE: &[u8] = include_bytes!("../assets/CT_small.dcm");
