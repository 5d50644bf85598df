//! # hounsfield-render
//!
//! The GPU renderer of Hounsfield. Decoded frames go to the GPU once, raw: grey stored
//! values in integer textures (`R8Uint`, `R16Uint`, `R16Sint`, `R32Uint`, `R32Sint`, or
//! `R32Float` for float pixel data), multi-frame objects as texture arrays, colour as
//! `Rgba8Unorm` after the exact conversion, palette colour as indices with the palette in a
//! small texture. The display pipeline of `shaders/display.wgsl` then runs per pixel with
//! the stage names of the CPU reference in `hounsfield_core::pipeline`: window, VOI
//! function, tables, inversion, zoom, pan, flips, rotation and frame are uniforms; changing
//! them uploads nothing.
//!
//! The renderer is created from the caller's `wgpu::Device` and `Queue` for a target format,
//! draws into any render pass (or texture view) in a viewport rectangle, holds no globals,
//! never blocks, and builds for wasm32. Images larger than the device's largest texture
//! are split into tiles; frames beyond its array-layer limit into several arrays.
//!
//! ```no_run
//! # async fn demo(device: wgpu::Device, queue: wgpu::Queue, view: wgpu::TextureView) -> Result<(), Box<dyn std::error::Error>> {
//! use hounsfield_core::{DicomFile, pipeline::{GreyPipeline, RenderOptions}, view::View};
//! use hounsfield_render::{DrawState, Renderer};
//! let file = DicomFile::open("CT_small.dcm")?;
//! let frame = file.decode_frame(0)?;
//! let params = file.display_parameters(0)?;
//! let renderer = Renderer::new(&device, &queue, wgpu::TextureFormat::Rgba8Unorm);
//! let mut image = renderer.upload(std::slice::from_ref(&frame), params.palette.as_ref())?;
//! let state = DrawState {
//!     pipeline: Some(GreyPipeline::resolve(&params, &frame, &RenderOptions::default())?),
//!     ..DrawState::new(View::fit(512, 512))
//! };
//! renderer.render_to_view(&mut image, &state, &view, [0, 0, 512, 512])?;
//! # Ok(()) }
//! ```
//!
//! Without a window, [`headless::Headless::render_frame`] does the same in one call. The
//! examples of the crate show the rest: `winit_wgpu` (your own window, device and surface),
//! `egui_viewer` (an image in an egui panel through an `egui_wgpu` paint callback, on
//! egui's device) and `plane` (a plane through a series volume).
//!
//! ## What it costs
//! - One upload per image: the stored values at their own width (a 512 x 512 16-bit frame
//!   is 512 KiB of texture), colour as RGBA8; a volume is one 3D texture of its voxels.
//! - A draw writes one 256-byte uniform block per tile; a table (Modality or VOI LUT) is
//!   uploaded when it changes. Pipelines are built once per kind of image and stage set.
//! - No CPU copy is kept: the caller owns the decoded frames.
//!
//! ## What it does not do
//! - Decode files (`hounsfield-core` does), own a window, a device or an event loop, or
//!   handle input (`hounsfield-viewer` holds the viewer state and the gestures).
//! - Draw annotations or text: the caller draws them over the image (the viewers use egui
//!   and the DOM).

#![warn(missing_docs)]

#[cfg(not(target_arch = "wasm32"))]
pub mod headless;
mod params;
pub mod volume;

use params::{Params, display_shader};

use hounsfield_core::pipeline::{GreyPipeline, Voi};
use hounsfield_core::view::{Filter, View};
use hounsfield_core::{
    Frame, FrameColor, Lut, ModalityLut, PaletteColorLut, Samples, VoiLutFunction,
};

/// Errors of the renderer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The frames cannot be shown as uploaded (no frames, mixed sizes or kinds).
    #[error("cannot upload these frames: {0}")]
    Frames(String),
    /// The image needs more GPU memory or texture space than the device offers.
    #[error("the image does not fit the device: {0}")]
    TooLarge(String),
    /// A frame index outside the uploaded image.
    #[error("frame {0} was not uploaded")]
    FrameIndex(usize),
    /// A grey image drawn without a grey pipeline.
    #[error("a grey image needs a GreyPipeline in the draw state")]
    MissingPipeline,
    /// The GPU device was lost; recreate the device and the renderer.
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
    /// Reading back a rendered image failed.
    #[error("reading the rendered image back failed: {0}")]
    Readback(String),
    /// No GPU adapter or device could be created.
    #[error("no GPU available: {0}")]
    NoAdapter(String),
    /// The DICOM object could not be decoded or has no displayable image.
    #[error("{0}")]
    Dicom(String),
}

impl From<hounsfield_core::Error> for RenderError {
    fn from(e: hounsfield_core::Error) -> RenderError {
        RenderError::Dicom(e.to_string())
    }
}

/// The kind of image texture, which selects the pipeline variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TexKind {
    Uint,
    Sint,
    Float,
    Color,
    Palette,
}

impl TexKind {
    const ALL: [TexKind; 5] = [
        TexKind::Uint,
        TexKind::Sint,
        TexKind::Float,
        TexKind::Color,
        TexKind::Palette,
    ];

    fn shader(self) -> (&'static str, u32) {
        match self {
            TexKind::Uint => ("u32", 0),
            TexKind::Sint => ("i32", 0),
            TexKind::Float => ("f32", 0),
            TexKind::Color => ("f32", 1),
            TexKind::Palette => ("u32", 2),
        }
    }

    fn sample_type(self) -> wgpu::TextureSampleType {
        match self {
            TexKind::Uint | TexKind::Palette => wgpu::TextureSampleType::Uint,
            TexKind::Sint => wgpu::TextureSampleType::Sint,
            TexKind::Float | TexKind::Color => wgpu::TextureSampleType::Float { filterable: false },
        }
    }
}

struct Variant {
    layout: wgpu::BindGroupLayout,
    module: wgpu::ShaderModule,
    pipeline_layout: wgpu::PipelineLayout,
}

/// The stages a pipeline contains (the shader's override constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PipelineKey {
    kind: TexKind,
    filter: u32,
    modality: u32,
    voi: u32,
    supplemental: u32,
    /// The background pipeline instead of the image one.
    background: bool,
}

/// The renderer: pipelines for one target format on one device.
pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    format: wgpu::TextureFormat,
    variants: Vec<(TexKind, Variant)>,
    pipelines: std::sync::Mutex<std::collections::HashMap<PipelineKey, wgpu::RenderPipeline>>,
    empty_table: wgpu::TextureView,
    empty_palette: wgpu::TextureView,
    mpr: volume::MprPipelines,
}

/// The device Hounsfield asks an adapter for: no optional features, wgpu's downlevel
/// limits (which browsers and small GPUs meet) with the largest textures of `limits`
/// (the adapter's, for big images and volumes).
///
/// ```no_run
/// # async fn open(adapter: wgpu::Adapter) -> Result<(), wgpu::RequestDeviceError> {
/// let descriptor = hounsfield_render::device_descriptor(&adapter.limits(), "my app");
/// let (device, queue) = adapter.request_device(&descriptor).await?;
/// # Ok(()) }
/// ```
pub fn device_descriptor<'a>(limits: &wgpu::Limits, label: &'a str) -> wgpu::DeviceDescriptor<'a> {
    wgpu::DeviceDescriptor {
        label: Some(label),
        required_features: wgpu::Features::empty(),
        required_limits: wgpu::Limits {
            max_texture_dimension_2d: limits.max_texture_dimension_2d,
            max_texture_array_layers: limits.max_texture_array_layers,
            max_texture_dimension_3d: limits.max_texture_dimension_3d,
            ..wgpu::Limits::downlevel_defaults()
        },
        experimental_features: wgpu::ExperimentalFeatures::disabled(),
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    }
}

/// A surface configuration for a `width` x `height` window or canvas whose grey levels
/// reach the screen as the pipeline computed them: an 8-bit non-sRGB format (an sRGB one
/// would encode the output a second time). None when the surface offers no format.
pub fn surface_config(
    caps: &wgpu::SurfaceCapabilities,
    width: u32,
    height: u32,
) -> Option<wgpu::SurfaceConfiguration> {
    let format = caps
        .formats
        .iter()
        .copied()
        .find(|f| {
            matches!(
                f,
                wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Rgba8Unorm
            )
        })
        .or_else(|| caps.formats.first().map(|f| f.remove_srgb_suffix()))?;
    let alpha_mode = if caps.alpha_modes.contains(&wgpu::CompositeAlphaMode::Opaque) {
        wgpu::CompositeAlphaMode::Opaque
    } else {
        caps.alpha_modes
            .first()
            .copied()
            .unwrap_or(wgpu::CompositeAlphaMode::Auto)
    };
    Some(wgpu::SurfaceConfiguration {
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        format,
        color_space: wgpu::SurfaceColorSpace::Auto,
        width: width.max(1),
        height: height.max(1),
        present_mode: wgpu::PresentMode::AutoVsync,
        desired_maximum_frame_latency: 1,
        alpha_mode,
        view_formats: vec![],
    })
}

/// Begins a render pass into `target` that first clears it to `clear` (linear RGBA).
pub fn clear_pass<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    target: &wgpu::TextureView,
    clear: [f32; 4],
    label: &str,
) -> wgpu::RenderPass<'e> {
    let [r, g, b, a] = clear.map(f64::from);
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some(label),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view: target,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations {
                load: wgpu::LoadOp::Clear(wgpu::Color { r, g, b, a }),
                store: wgpu::StoreOp::Store,
            },
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    })
}

/// What to draw: the frame, the grey pipeline (modality, VOI, presentation) resolved
/// exactly as for the CPU reference, colour inversion, the view and the background.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawState {
    /// The frame of a multi-frame image (0 for single frames).
    pub frame: usize,
    /// The grey pipeline (Modality LUT, VOI, presentation) of grey images, resolved with
    /// [`GreyPipeline::resolve`] as the CPU reference does; None for colour and palette
    /// images.
    pub pipeline: Option<GreyPipeline>,
    /// Inverts colour and palette images (grey images invert through the pipeline).
    pub invert: bool,
    /// Where the image lies in the viewport: zoom, pan, flips, rotation, pixel aspect and
    /// filter (the viewport's size comes from `prepare`).
    pub view: View,
    /// Linear RGBA of the area outside the image.
    pub background: [f32; 4],
    /// Whether [`Renderer::draw`] paints the background of the viewport first (when the
    /// caller's pass did not clear it).
    pub paint_background: bool,
}

impl DrawState {
    /// Frame 0 through `view`, no pipeline, black background.
    pub fn new(view: View) -> DrawState {
        DrawState {
            frame: 0,
            pipeline: None,
            invert: false,
            view,
            background: [0.0, 0.0, 0.0, 1.0],
            paint_background: true,
        }
    }
}

/// One uploaded texture: a tile of every frame of a chunk of frames.
struct Tile {
    view: wgpu::TextureView,
    /// The image pixels this tile draws: [min, max).
    owned_min: [u32; 2],
    owned_max: [u32; 2],
    /// The image position of texel (0, 0).
    texture_origin: [u32; 2],
    uniforms: wgpu::Buffer,
    bind_group: Option<wgpu::BindGroup>,
}

struct Chunk {
    first_frame: usize,
    frames: usize,
    tiles: Vec<Tile>,
}

struct Table {
    lut: Lut,
    view: wgpu::TextureView,
}

/// Frames on the GPU, with the tables the draw state needs.
pub struct GpuImage {
    kind: TexKind,
    width: u32,
    height: u32,
    frames: usize,
    chunks: Vec<Chunk>,
    palette: Option<(PaletteColorLut, wgpu::TextureView)>,
    modality_table: Option<Table>,
    voi_table: Option<Table>,
    /// Bind groups must be rebuilt (tables changed).
    stale: bool,
    /// The pipelines of the last `prepare`: the image, and the background.
    pipeline: Option<(wgpu::RenderPipeline, wgpu::RenderPipeline)>,
    /// Bytes uploaded (image texels), for reports.
    pub uploaded_bytes: u64,
    /// The texture of an image rendered on the GPU (a resampled plane).
    render_target: Option<wgpu::Texture>,
}

impl GpuImage {
    /// Columns and rows.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Number of frames uploaded.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Number of textures the image was split into (tiles x frame chunks).
    pub fn texture_count(&self) -> usize {
        self.chunks.iter().map(|c| c.tiles.len()).sum()
    }
}

fn table_texture(device: &wgpu::Device, queue: &wgpu::Queue, data: &[u16]) -> wgpu::TextureView {
    let rows = data.len().div_ceil(256).max(1);
    let mut padded = vec![0u16; rows * 256];
    padded[..data.len()].copy_from_slice(data);
    let size = wgpu::Extent3d {
        width: 256,
        height: rows as u32,
        depth_or_array_layers: 1,
    };
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("hounsfield table"),
        size,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::R16Uint,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    queue.write_texture(
        texture.as_image_copy(),
        bytemuck::cast_slice(&padded),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(512),
            rows_per_image: Some(rows as u32),
        },
        size,
    );
    texture.create_view(&wgpu::TextureViewDescriptor::default())
}

fn palette_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    palette: Option<&PaletteColorLut>,
) -> wgpu::TextureView {
    let (first, n) = palette.map_or((0, 1), |p| (p.red.first_mapped, p.red.len()));
    let rows = n.div_ceil(256).max(1);
    let mut rgba = vec![0u8; rows * 256 * 4];
    if let Some(p) = palette {
        for i in 0..n {
            let c = p.rgb8(first + i as i64);
            rgba[4 * i..4 * i + 3].copy_from_slice(&c);
            rgba[4 * i + 3] = 255;
        }
    }
    let size = wgpu::Extent3d {
        width: 256,
        height: rows as u32,
        depth_or_array_layers: 1,
    };
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("hounsfield palette"),
        size,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    queue.write_texture(
        texture.as_image_copy(),
        &rgba,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(1024),
            rows_per_image: Some(rows as u32),
        },
        size,
    );
    texture.create_view(&wgpu::TextureViewDescriptor::default())
}

/// How a frame's samples become texels: format, kind, bytes per texel, and the bytes.
fn texels(frame: &Frame) -> (wgpu::TextureFormat, TexKind, u32, Vec<u8>) {
    use wgpu::TextureFormat as F;
    match frame.color {
        FrameColor::Rgb => {
            // 8 bits per sample; deeper colour is reduced exactly as the CPU reference does.
            let n = frame.width as usize * frame.height as usize;
            let max = ((1u64 << frame.bits_stored.min(32)) - 1) as f64;
            let mut rgba = vec![255u8; n * 4];
            for i in 0..n {
                for c in 0..3 {
                    rgba[4 * i + c] = match &frame.samples {
                        Samples::U8(v) if frame.bits_stored == 8 => v[3 * i + c],
                        s => hounsfield_core::pipeline::output_encode(s.get_f64(3 * i + c) / max),
                    };
                }
            }
            (F::Rgba8Unorm, TexKind::Color, 4, rgba)
        }
        _ => {
            let palette = frame.color == FrameColor::PaletteIndex;
            let kind_u = if palette {
                TexKind::Palette
            } else {
                TexKind::Uint
            };
            match &frame.samples {
                Samples::U8(v) => (F::R8Uint, kind_u, 1, v.clone()),
                Samples::U16(v) => (F::R16Uint, kind_u, 2, bytemuck::cast_slice(v).to_vec()),
                Samples::I16(v) => (
                    F::R16Sint,
                    TexKind::Sint,
                    2,
                    bytemuck::cast_slice(v).to_vec(),
                ),
                Samples::U32(v) => (F::R32Uint, kind_u, 4, bytemuck::cast_slice(v).to_vec()),
                Samples::I32(v) => (
                    F::R32Sint,
                    TexKind::Sint,
                    4,
                    bytemuck::cast_slice(v).to_vec(),
                ),
                Samples::F32(v) => (
                    F::R32Float,
                    TexKind::Float,
                    4,
                    bytemuck::cast_slice(v).to_vec(),
                ),
                Samples::F64(v) => {
                    let f: Vec<f32> = v.iter().map(|&x| x as f32).collect();
                    (
                        F::R32Float,
                        TexKind::Float,
                        4,
                        bytemuck::cast_slice(&f).to_vec(),
                    )
                }
            }
        }
    }
}

impl Renderer {
    /// Creates the pipelines for drawing into `format` targets with the caller's device.
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        format: wgpu::TextureFormat,
    ) -> Renderer {
        let variants = TexKind::ALL
            .iter()
            .map(|&kind| (kind, Self::variant(device, kind)))
            .collect();
        Renderer {
            device: device.clone(),
            queue: queue.clone(),
            format,
            variants,
            pipelines: std::sync::Mutex::new(std::collections::HashMap::new()),
            empty_table: table_texture(device, queue, &[0]),
            empty_palette: palette_texture(device, queue, None),
            mpr: volume::MprPipelines::new(device),
        }
    }

    /// The target format the pipelines draw into.
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    fn variant(device: &wgpu::Device, kind: TexKind) -> Variant {
        let (sample_type, k) = kind.shader();
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("hounsfield display"),
            source: wgpu::ShaderSource::Wgsl(display_shader(sample_type, k).into()),
        });
        let texture = |binding, sample_type, dim| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type,
                view_dimension: dim,
                multisampled: false,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("hounsfield display"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: wgpu::BufferSize::new(
                            std::mem::size_of::<Params>() as u64
                        ),
                    },
                    count: None,
                },
                texture(1, kind.sample_type(), wgpu::TextureViewDimension::D2Array),
                texture(
                    2,
                    wgpu::TextureSampleType::Uint,
                    wgpu::TextureViewDimension::D2,
                ),
                texture(
                    3,
                    wgpu::TextureSampleType::Uint,
                    wgpu::TextureViewDimension::D2,
                ),
                texture(
                    4,
                    wgpu::TextureSampleType::Float { filterable: false },
                    wgpu::TextureViewDimension::D2,
                ),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("hounsfield display"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        Variant {
            layout,
            module,
            pipeline_layout,
        }
    }

    /// The pipeline with exactly the stages `key` names, created on first use.
    fn pipeline(&self, key: PipelineKey) -> wgpu::RenderPipeline {
        let mut cache = self.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.get(&key) {
            return p.clone();
        }
        let variant = self.variant_for(key.kind);
        let constants = [
            ("FILTER_MODE", f64::from(key.filter)),
            ("MODALITY_KIND", f64::from(key.modality)),
            ("VOI_KIND", f64::from(key.voi)),
            ("SUPPLEMENTAL", f64::from(key.supplemental)),
        ];
        let pipeline = self
            .device
            .create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some("hounsfield display"),
                layout: Some(&variant.pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &variant.module,
                    entry_point: Some(if key.background {
                        "vs_background"
                    } else {
                        "vs_main"
                    }),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &variant.module,
                    entry_point: Some(if key.background {
                        "fs_background"
                    } else {
                        "fs_main"
                    }),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants: &constants,
                        ..Default::default()
                    },
                    targets: &[Some(wgpu::ColorTargetState {
                        format: self.format,
                        blend: None,
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            });
        cache.insert(key, pipeline.clone());
        pipeline
    }

    fn variant_for(&self, kind: TexKind) -> &Variant {
        &self
            .variants
            .iter()
            .find(|(k, _)| *k == kind)
            .unwrap_or(&self.variants[0])
            .1
    }

    /// Uploads frames (all of one size and kind) once. `palette` is the Palette Color LUT
    /// of palette colour images, or a supplemental palette.
    pub fn upload(
        &self,
        frames: &[Frame],
        palette: Option<&PaletteColorLut>,
    ) -> Result<GpuImage, RenderError> {
        let first = frames
            .first()
            .ok_or_else(|| RenderError::Frames("no frames".into()))?;
        let (width, height) = (first.width, first.height);
        let (format, kind, bpp, _) = texels(first);
        let limits = self.device.limits();
        let max_dim = limits.max_texture_dimension_2d;
        let max_layers = limits.max_texture_array_layers.max(1) as usize;
        if max_dim < 3 {
            return Err(RenderError::TooLarge(
                "the device's largest texture is too small".into(),
            ));
        }
        // Tiles own (max_dim - 2) pixels and keep one pixel of margin for interpolation.
        let step = max_dim - 2;
        let tiles_x = width.div_ceil(step);
        let tiles_y = height.div_ceil(step);
        let mut chunks = Vec::new();
        let mut uploaded = 0u64;
        for (c, group) in frames.chunks(max_layers).enumerate() {
            let mut tiles = Vec::new();
            for ty in 0..tiles_y {
                for tx in 0..tiles_x {
                    let owned_min = [tx * step, ty * step];
                    let owned_max = [((tx + 1) * step).min(width), ((ty + 1) * step).min(height)];
                    let t0 = [
                        owned_min[0].saturating_sub(1),
                        owned_min[1].saturating_sub(1),
                    ];
                    let t1 = [
                        (owned_max[0] + 1).min(width),
                        (owned_max[1] + 1).min(height),
                    ];
                    let (tw, th) = (t1[0] - t0[0], t1[1] - t0[1]);
                    let size = wgpu::Extent3d {
                        width: tw,
                        height: th,
                        depth_or_array_layers: group.len() as u32,
                    };
                    let texture = self.device.create_texture(&wgpu::TextureDescriptor {
                        label: Some("hounsfield image"),
                        size,
                        mip_level_count: 1,
                        sample_count: 1,
                        dimension: wgpu::TextureDimension::D2,
                        format,
                        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                        view_formats: &[],
                    });
                    for (layer, frame) in group.iter().enumerate() {
                        if frame.width != width || frame.height != height {
                            return Err(RenderError::Frames(format!(
                                "frame {} is {} x {}, frame 1 is {width} x {height}",
                                c * max_layers + layer + 1,
                                frame.width,
                                frame.height
                            )));
                        }
                        let (f, k, _, bytes) = texels(frame);
                        if f != format || k != kind {
                            return Err(RenderError::Frames("frames of different kinds".into()));
                        }
                        let row = (width * bpp) as usize;
                        let data: std::borrow::Cow<[u8]> = if tw == width && th == height {
                            std::borrow::Cow::Owned(bytes)
                        } else {
                            let mut d = Vec::with_capacity((tw * th * bpp) as usize);
                            for y in t0[1]..t1[1] {
                                let start = y as usize * row + (t0[0] * bpp) as usize;
                                d.extend_from_slice(&bytes[start..start + (tw * bpp) as usize]);
                            }
                            std::borrow::Cow::Owned(d)
                        };
                        uploaded += data.len() as u64;
                        self.queue.write_texture(
                            wgpu::TexelCopyTextureInfo {
                                texture: &texture,
                                mip_level: 0,
                                origin: wgpu::Origin3d {
                                    x: 0,
                                    y: 0,
                                    z: layer as u32,
                                },
                                aspect: wgpu::TextureAspect::All,
                            },
                            &data,
                            wgpu::TexelCopyBufferLayout {
                                offset: 0,
                                bytes_per_row: Some(tw * bpp),
                                rows_per_image: Some(th),
                            },
                            wgpu::Extent3d {
                                width: tw,
                                height: th,
                                depth_or_array_layers: 1,
                            },
                        );
                    }
                    let view = texture.create_view(&wgpu::TextureViewDescriptor {
                        dimension: Some(wgpu::TextureViewDimension::D2Array),
                        ..Default::default()
                    });
                    let uniforms = self.device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("hounsfield params"),
                        size: std::mem::size_of::<Params>() as u64,
                        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    });
                    tiles.push(Tile {
                        view,
                        owned_min,
                        owned_max,
                        texture_origin: t0,
                        uniforms,
                        bind_group: None,
                    });
                }
            }
            chunks.push(Chunk {
                first_frame: c * max_layers,
                frames: group.len(),
                tiles,
            });
        }
        let palette = palette.map(|p| {
            (
                p.clone(),
                palette_texture(&self.device, &self.queue, Some(p)),
            )
        });
        Ok(GpuImage {
            kind,
            width,
            height,
            frames: frames.len(),
            chunks,
            palette,
            modality_table: None,
            voi_table: None,
            stale: true,
            pipeline: None,
            uploaded_bytes: uploaded,
            render_target: None,
        })
    }

    /// A `width` x `height` float image the GPU renders into (one frame, one tile).
    fn float_target(&self, width: u32, height: u32) -> GpuImage {
        let texture = self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("hounsfield plane"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::R32Float,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::RENDER_ATTACHMENT,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            ..Default::default()
        });
        let uniforms = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hounsfield params"),
            size: std::mem::size_of::<Params>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        GpuImage {
            kind: TexKind::Float,
            width,
            height,
            frames: 1,
            chunks: vec![Chunk {
                first_frame: 0,
                frames: 1,
                tiles: vec![Tile {
                    view,
                    owned_min: [0, 0],
                    owned_max: [width, height],
                    texture_origin: [0, 0],
                    uniforms,
                    bind_group: None,
                }],
            }],
            palette: None,
            modality_table: None,
            voi_table: None,
            stale: true,
            pipeline: None,
            uploaded_bytes: 0,
            render_target: Some(texture),
        }
    }

    /// Uploads the modality and VOI tables `state` uses when they changed, and rebuilds
    /// the bind groups then.
    fn update_tables(&self, image: &mut GpuImage, state: &DrawState) {
        let wanted_modality = match state.pipeline.as_ref().map(|p| &p.modality) {
            Some(ModalityLut::Table { lut, .. }) => Some(lut),
            _ => None,
        };
        let wanted_voi = match state.pipeline.as_ref().map(|p| &p.voi) {
            Some(Voi::Table(lut)) => Some(lut),
            _ => None,
        };
        for (slot, wanted) in [
            (&mut image.modality_table, wanted_modality),
            (&mut image.voi_table, wanted_voi),
        ] {
            if let Some(lut) = wanted
                && slot.as_ref().is_none_or(|t| &t.lut != lut)
            {
                *slot = Some(Table {
                    lut: lut.clone(),
                    view: table_texture(&self.device, &self.queue, &lut.data),
                });
                image.stale = true;
            }
        }
        if image.stale {
            let variant = self.variant_for(image.kind);
            let modality = image
                .modality_table
                .as_ref()
                .map_or(&self.empty_table, |t| &t.view);
            let voi = image
                .voi_table
                .as_ref()
                .map_or(&self.empty_table, |t| &t.view);
            let palette = image.palette.as_ref().map_or(&self.empty_palette, |p| &p.1);
            for chunk in &mut image.chunks {
                for tile in &mut chunk.tiles {
                    tile.bind_group =
                        Some(self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                            label: Some("hounsfield display"),
                            layout: &variant.layout,
                            entries: &[
                                wgpu::BindGroupEntry {
                                    binding: 0,
                                    resource: tile.uniforms.as_entire_binding(),
                                },
                                wgpu::BindGroupEntry {
                                    binding: 1,
                                    resource: wgpu::BindingResource::TextureView(&tile.view),
                                },
                                wgpu::BindGroupEntry {
                                    binding: 2,
                                    resource: wgpu::BindingResource::TextureView(modality),
                                },
                                wgpu::BindGroupEntry {
                                    binding: 3,
                                    resource: wgpu::BindingResource::TextureView(voi),
                                },
                                wgpu::BindGroupEntry {
                                    binding: 4,
                                    resource: wgpu::BindingResource::TextureView(palette),
                                },
                            ],
                        }));
                }
            }
            image.stale = false;
        }
    }

    /// Writes the parameters of `state` for drawing `image` at `viewport` (x, y, width,
    /// height in target pixels). Uploads tables only when they change; never the image.
    pub fn prepare(
        &self,
        image: &mut GpuImage,
        state: &DrawState,
        viewport: [u32; 4],
    ) -> Result<(), RenderError> {
        if state.frame >= image.frames {
            return Err(RenderError::FrameIndex(state.frame));
        }
        let grey = matches!(image.kind, TexKind::Uint | TexKind::Sint | TexKind::Float);
        if grey && state.pipeline.is_none() {
            return Err(RenderError::MissingPipeline);
        }
        self.update_tables(image, state);
        let mut view = state.view;
        view.width = viewport[2];
        view.height = viewport[3];
        let place = view.placement(image.width, image.height);
        let map = view.mapping(image.width, image.height);
        let mut p = Params::zeroed();
        p.background = state.background;
        p.origin = map.origin;
        p.axis_x = map.axis_x;
        p.axis_y = map.axis_y;
        p.viewport_origin = [viewport[0] as f32, viewport[1] as f32];
        p.out_origin = place.origin;
        p.out_axis_x = place.axis_x;
        p.out_axis_y = place.axis_y;
        p.image_size = [image.width as f32, image.height as f32];
        p.viewport_size = [viewport[2] as f32, viewport[3] as f32];
        p.filter_mode = u32::from(view.filter == Filter::Linear && image.kind != TexKind::Palette);
        p.invert_color = u32::from(state.invert);
        if let Some(pipe) = &state.pipeline {
            match &pipe.modality {
                ModalityLut::Identity => p.modality_kind = 0,
                ModalityLut::Rescale {
                    slope, intercept, ..
                } => {
                    p.modality_kind = 1;
                    p.slope = *slope as f32;
                    p.intercept = *intercept as f32;
                }
                ModalityLut::Table { lut, .. } => {
                    p.modality_kind = 2;
                    p.modality_first = lut.first_mapped as i32;
                    p.modality_len = lut.len() as u32;
                }
            }
            match &pipe.voi {
                Voi::Window {
                    center,
                    width,
                    function,
                } => {
                    p.voi_kind = match function {
                        VoiLutFunction::Linear => 0,
                        VoiLutFunction::LinearExact => 1,
                        VoiLutFunction::Sigmoid => 2,
                    };
                    p.center = *center as f32;
                    p.width = *width as f32;
                }
                Voi::Table(lut) => {
                    p.voi_kind = 3;
                    p.voi_first = lut.first_mapped as i32;
                    p.voi_len = lut.len() as u32;
                    p.voi_max = lut.max_output() as f32;
                }
            }
            p.inverse = u32::from(pipe.inverse);
        }
        if let Some((pal, _)) = &image.palette {
            p.palette_first = pal.red.first_mapped as i32;
            p.palette_len = pal.red.len() as u32;
            p.supplemental = u32::from(grey);
        }
        let key = PipelineKey {
            kind: image.kind,
            filter: p.filter_mode,
            modality: p.modality_kind,
            voi: p.voi_kind,
            supplemental: p.supplemental,
            background: false,
        };
        image.pipeline = Some((
            self.pipeline(key),
            self.pipeline(PipelineKey {
                background: true,
                ..key
            }),
        ));
        let chunk_index = image
            .chunks
            .iter()
            .position(|c| state.frame >= c.first_frame && state.frame < c.first_frame + c.frames)
            .ok_or(RenderError::FrameIndex(state.frame))?;
        let chunk = &image.chunks[chunk_index];
        p.layer = (state.frame - chunk.first_frame) as u32;
        for tile in &chunk.tiles {
            let mut t = p;
            t.tile_min = [tile.owned_min[0] as f32, tile.owned_min[1] as f32];
            t.tile_max = [tile.owned_max[0] as f32, tile.owned_max[1] as f32];
            t.texture_origin = [tile.texture_origin[0] as f32, tile.texture_origin[1] as f32];
            self.queue
                .write_buffer(&tile.uniforms, 0, bytemuck::bytes_of(&t));
        }
        Ok(())
    }

    /// Records the draw of `image`, as the last [`prepare`](Self::prepare) set it up, into a
    /// render pass whose viewport and scissor the caller may have set; sets both to
    /// `viewport` (x, y, width, height in target pixels, the one given to `prepare`), which
    /// must lie inside the target. [`draw_clipped`](Self::draw_clipped) keeps a clip rectangle
    /// of the caller's (a scrolled panel).
    pub fn draw(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        image: &GpuImage,
        state: &DrawState,
        viewport: [u32; 4],
    ) {
        self.draw_clipped(pass, image, state, viewport, viewport);
    }

    /// As [`draw`](Self::draw), with the scissor set to the part of `viewport` inside `clip`
    /// (target pixels; it must lie inside the target, as a UI toolkit's clip rectangle
    /// does). Draws nothing when they do not meet.
    ///
    /// ```no_run
    /// # fn demo(renderer: &hounsfield_render::Renderer, pass: &mut wgpu::RenderPass<'_>,
    /// #         image: &hounsfield_render::GpuImage, state: &hounsfield_render::DrawState) {
    /// // A 512 x 512 image whose panel is scrolled: only its part inside the panel shows.
    /// renderer.draw_clipped(pass, image, state, [300, 0, 512, 512], [300, 0, 400, 300]);
    /// # }
    /// ```
    pub fn draw_clipped(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        image: &GpuImage,
        state: &DrawState,
        viewport: [u32; 4],
        clip: [u32; 4],
    ) {
        let Some((pipeline, background)) = &image.pipeline else {
            return;
        };
        let x0 = viewport[0].max(clip[0]);
        let y0 = viewport[1].max(clip[1]);
        let x1 = (viewport[0].saturating_add(viewport[2])).min(clip[0].saturating_add(clip[2]));
        let y1 = (viewport[1].saturating_add(viewport[3])).min(clip[1].saturating_add(clip[3]));
        if x1 <= x0 || y1 <= y0 {
            return;
        }
        pass.set_viewport(
            viewport[0] as f32,
            viewport[1] as f32,
            viewport[2] as f32,
            viewport[3] as f32,
            0.0,
            1.0,
        );
        pass.set_scissor_rect(x0, y0, x1 - x0, y1 - y0);
        let Some(chunk) = image
            .chunks
            .iter()
            .find(|c| state.frame >= c.first_frame && state.frame < c.first_frame + c.frames)
        else {
            return;
        };
        if state.paint_background
            && let Some(bg) = chunk.tiles.first().and_then(|t| t.bind_group.as_ref())
        {
            pass.set_pipeline(background);
            pass.set_bind_group(0, bg, &[]);
            pass.draw(0..3, 0..1);
        }
        pass.set_pipeline(pipeline);
        for tile in &chunk.tiles {
            if let Some(bg) = &tile.bind_group {
                pass.set_bind_group(0, bg, &[]);
                pass.draw(0..6, 0..1);
            }
        }
    }

    /// Prepares, encodes and submits a draw of `image` into `target` at `viewport`
    /// (clearing it to the background first).
    pub fn render_to_view(
        &self,
        image: &mut GpuImage,
        state: &DrawState,
        target: &wgpu::TextureView,
        viewport: [u32; 4],
    ) -> Result<wgpu::SubmissionIndex, RenderError> {
        self.prepare(image, state, viewport)?;
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("hounsfield render"),
            });
        {
            let mut pass = clear_pass(&mut encoder, target, state.background, "hounsfield render");
            // The clear painted the background already.
            let state = DrawState {
                paint_background: false,
                ..state.clone()
            };
            self.draw(&mut pass, image, &state, viewport);
        }
        Ok(self.queue.submit([encoder.finish()]))
    }
}

use bytemuck::Zeroable;
