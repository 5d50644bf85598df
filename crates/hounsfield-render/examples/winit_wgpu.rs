//! The smallest windowed app: your own winit window, wgpu device and surface, with a
//! DICOM image drawn by the renderer into your render pass. Dragging with the left button
//! changes the window (right/left: centre, down/up: width), as in radiology viewers.
//!
//! ```sh
//! cargo run -p hounsfield-render --example winit_wgpu -- [FILE]
//! ```
//!
//! Without FILE it shows a sample CT. Each window change is
//! printed as `window CENTER WIDTH`.

use hounsfield_core::pipeline::{GreyPipeline, RenderOptions, Voi, VoiSelection, modality_range};
use hounsfield_core::presets::window_drag_sensitivity;
use hounsfield_core::view::View;
use hounsfield_core::{DicomFile, DisplayParameters, Frame};
use hounsfield_render::{DrawState, GpuImage, Renderer};
use std::sync::Arc;
use winit::application::ApplicationHandler;
use winit::event::{ElementState, MouseButton, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::window::{Window, WindowId};

/// What the app holds once its window exists.
struct Gpu {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: wgpu::SurfaceConfiguration,
    renderer: Renderer,
    image: GpuImage,
}

struct App {
    file: DicomFile,
    frame: Frame,
    params: DisplayParameters,
    /// Window centre and width, and how many modality units one pixel of drag moves them.
    window: (f64, f64),
    sensitivity: f64,
    drag: Option<(f64, f64)>,
    gpu: Option<Gpu>,
}

impl App {
    fn state(&self, width: u32, height: u32) -> Result<DrawState, Box<dyn std::error::Error>> {
        let (center, width_) = self.window;
        let options = RenderOptions {
            voi: VoiSelection::Window {
                center,
                width: width_,
            },
            ..RenderOptions::default()
        };
        let pipeline = GreyPipeline::resolve(&self.params, &self.frame, &options)?;
        Ok(DrawState {
            pipeline: Some(pipeline),
            ..DrawState::new(View::fit(width, height))
        })
    }

    fn redraw(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        let Some(gpu) = self.gpu.as_ref() else {
            return Ok(());
        };
        let (w, h) = (gpu.config.width, gpu.config.height);
        let state = self.state(w, h)?;
        let gpu = self.gpu.as_mut().ok_or("no window")?;
        let output = match gpu.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            _ => {
                gpu.surface.configure(&gpu.device, &gpu.config);
                return Ok(());
            }
        };
        let target = output.texture.create_view(&Default::default());
        // The renderer draws into a view of your choice; here the whole surface.
        gpu.renderer
            .render_to_view(&mut gpu.image, &state, &target, [0, 0, w, h])?;
        gpu.window.pre_present_notify();
        gpu.queue.present(output);
        Ok(())
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.gpu.is_some() {
            return;
        }
        let attributes = Window::default_attributes()
            .with_title("hounsfield winit_wgpu")
            .with_inner_size(winit::dpi::PhysicalSize::new(
                self.frame.width,
                self.frame.height,
            ));
        let window = Arc::new(event_loop.create_window(attributes).expect("a window"));
        // Your device and surface: the renderer only needs the device, queue and format.
        let instance = wgpu::Instance::default();
        let surface = instance.create_surface(window.clone()).expect("a surface");
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            compatible_surface: Some(&surface),
            ..Default::default()
        }))
        .expect("a GPU adapter");
        let descriptor = hounsfield_render::device_descriptor(&adapter.limits(), "winit_wgpu");
        let (device, queue) =
            pollster::block_on(adapter.request_device(&descriptor)).expect("a device");
        let size = window.inner_size();
        let config = hounsfield_render::surface_config(
            &surface.get_capabilities(&adapter),
            size.width,
            size.height,
        )
        .expect("a surface format");
        surface.configure(&device, &config);
        let renderer = Renderer::new(&device, &queue, config.format);
        // One upload; drawing with another window uploads nothing.
        let image = renderer
            .upload(
                std::slice::from_ref(&self.frame),
                self.params.palette.as_ref(),
            )
            .expect("the image fits the device");
        self.gpu = Some(Gpu {
            window,
            surface,
            device,
            queue,
            config,
            renderer,
            image,
        });
        println!("ready {}", self.file.name());
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                if let Some(gpu) = self.gpu.as_mut() {
                    gpu.config.width = size.width.max(1);
                    gpu.config.height = size.height.max(1);
                    gpu.surface.configure(&gpu.device, &gpu.config);
                    gpu.window.request_redraw();
                }
            }
            WindowEvent::RedrawRequested => {
                if let Err(e) = self.redraw() {
                    eprintln!("winit_wgpu: {e}");
                    event_loop.exit();
                }
            }
            WindowEvent::MouseInput {
                state,
                button: MouseButton::Left,
                ..
            } => {
                if state == ElementState::Released {
                    self.drag = None;
                    let (c, w) = self.window;
                    println!("window {c} {w}");
                } else {
                    self.drag = Some((f64::NAN, f64::NAN));
                }
            }
            WindowEvent::CursorMoved { position, .. } => {
                if let Some((x0, y0)) = self.drag {
                    if x0.is_finite() {
                        let (c, w) = self.window;
                        let s = self.sensitivity;
                        self.window = (
                            c + (position.x - x0) * s,
                            (w + (position.y - y0) * s).max(1.0),
                        );
                        if let Some(gpu) = &self.gpu {
                            gpu.window.request_redraw();
                        }
                    }
                    self.drag = Some((position.x, position.y));
                }
            }
            _ => {}
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = match std::env::args().nth(1) {
        Some(path) => DicomFile::open(&path)?,
        None => DicomFile::from_bytes("CT_small.dcm", SAMPLE.to_vec())?,
    };
    let frame = file.decode_frame(0)?;
    let params = file.display_parameters(0)?;
    // The file's window, else the data range.
    let pipeline = GreyPipeline::resolve(&params, &frame, &RenderOptions::default())?;
    let (lo, hi) = modality_range(&params.modality_lut, &frame);
    let window = match pipeline.voi {
        Voi::Window { center, width, .. } => (center, width),
        Voi::Table(_) => ((lo + hi) / 2.0, (hi - lo).max(1.0)),
    };
    let mut app = App {
        file,
        frame,
        params,
        window,
        sensitivity: window_drag_sensitivity(lo, hi),
        drag: None,
        gpu: None,
    };
    EventLoop::new()?.run_app(&mut app)?;
    Ok(())
}

/// pydicom's `CT_small.dcm` (MIT licence, `assets/LICENSE-pydicom.txt`).
const SAMPLE: &[u8] = include_bytes!("../assets/CT_small.dcm");
