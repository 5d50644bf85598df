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
//!   is 512 KiB of texture), colour as RGBA8; a volume is one 2D texture array (a layer
//!   a slice) or 3D texture of its voxels.
//! - A grey image that stays where it is keeps the sampled value under each pixel of its
//!   viewport (4 bytes a pixel) from its second frame there on: a window change then
//!   reads one value a pixel (`GpuImage::release_values` frees it).
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

mod bricks;
mod draw;
#[cfg(not(target_arch = "wasm32"))]
pub mod headless;
pub mod mask_planes;
pub mod masks;
mod params;
mod pipelines;
#[cfg(test)]
mod test_support;
mod upload;
mod values;
pub mod volume;

pub(crate) use pipelines::TexKind;
use pipelines::{PipelineKey, Variant};
pub use upload::GpuImage;
use upload::{palette_texture, table_texture};

use hounsfield_core::pipeline::GreyPipeline;
use hounsfield_core::view::View;

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

/// The renderer: pipelines for one target format on one device.
pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    format: wgpu::TextureFormat,
    /// The display shader of each texture kind ([`TexKind::ALL`]'s order), built on first
    /// use: a session meets one or two kinds, and building a shader costs the first image
    /// time where the device compiles in software.
    variants: [std::sync::OnceLock<Variant>; TexKind::ALL.len()],
    pipelines: std::sync::Mutex<std::collections::HashMap<PipelineKey, wgpu::RenderPipeline>>,
    empty_table: wgpu::TextureView,
    empty_palette: wgpu::TextureView,
    /// Nearest, clamped to the edges: the display shader's gathers.
    gather_sampler: wgpu::Sampler,
    /// The layout of an image's value cache (see `values`).
    value_layout: wgpu::BindGroupLayout,
    mpr: volume::MprPipelines,
    /// Built on first use: segment masks are not in every session.
    compose: std::sync::OnceLock<masks::ComposePipeline>,
    place: std::sync::OnceLock<mask_planes::PlacePipeline>,
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

/// A 2D texture (an array when `size` has several layers) of one mip level and one
/// sample.
pub(crate) fn texture_2d(
    device: &wgpu::Device,
    label: &str,
    size: wgpu::Extent3d,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

/// A render pipeline as the renderer's four kinds are (display, planes, masks, mask
/// planes): no vertex buffers (the vertex shader makes its own corners), one colour
/// target, no depth or multisampling; `constants` are the fragment stage's override
/// constants.
pub(crate) struct PipelineSpec<'a> {
    pub label: &'a str,
    pub layout: &'a wgpu::PipelineLayout,
    pub module: &'a wgpu::ShaderModule,
    pub vertex: &'a str,
    pub fragment: &'a str,
    pub constants: &'a [(&'a str, f64)],
    pub format: wgpu::TextureFormat,
    pub blend: Option<wgpu::BlendState>,
}

impl PipelineSpec<'_> {
    /// The pipeline on `device`.
    pub(crate) fn create(&self, device: &wgpu::Device) -> wgpu::RenderPipeline {
        device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some(self.label),
            layout: Some(self.layout),
            vertex: wgpu::VertexState {
                module: self.module,
                entry_point: Some(self.vertex),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: self.module,
                entry_point: Some(self.fragment),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants: self.constants,
                    ..Default::default()
                },
                targets: &[Some(wgpu::ColorTargetState {
                    format: self.format,
                    blend: self.blend,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        })
    }
}

/// A bind group layout entry: a texture read by the fragment stage.
pub(crate) fn fragment_texture(
    binding: u32,
    sample_type: wgpu::TextureSampleType,
    view_dimension: wgpu::TextureViewDimension,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type,
            view_dimension,
            multisampled: false,
        },
        count: None,
    }
}

/// A bind group layout entry: a uniform buffer of at least `size` bytes read by `stages`.
pub(crate) fn uniform_entry(
    binding: u32,
    stages: wgpu::ShaderStages,
    size: usize,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: stages,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: wgpu::BufferSize::new(size as u64),
        },
        count: None,
    }
}

/// A uniform buffer of `size` bytes, filled with `Queue::write_buffer`.
pub(crate) fn uniform_buffer(device: &wgpu::Device, label: &str, size: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: size as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

impl Renderer {
    /// One render pass into `target`, cleared to `clear` first, with what `record` draws;
    /// submitted at once (never waits).
    pub(crate) fn submit_pass(
        &self,
        target: &wgpu::TextureView,
        clear: [f32; 4],
        label: &str,
        record: impl FnOnce(&mut wgpu::RenderPass<'_>),
    ) -> wgpu::SubmissionIndex {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        record(&mut clear_pass(&mut encoder, target, clear, label));
        self.queue.submit([encoder.finish()])
    }

    /// Clears `target` to `clear` and draws one triangle covering it with `pipeline` and
    /// `bind_group` (a pass that computes every texel of an image the GPU renders), then
    /// submits; never waits.
    pub(crate) fn draw_full_target(
        &self,
        target: &wgpu::TextureView,
        clear: [f32; 4],
        (pipeline, bind_group): (&wgpu::RenderPipeline, &wgpu::BindGroup),
        label: &str,
    ) {
        self.submit_pass(target, clear, label, |pass| {
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind_group, &[]);
            pass.draw(0..3, 0..1);
        });
    }
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
    /// Draws the image as an overlay bitmap (samples 0 and 1, such as a
    /// [`OverlayMask`](hounsfield_core::OverlayMask)) over what the pass holds: set pixels
    /// at full brightness, the others untouched; needs no pipeline. Use nearest sampling
    /// and no background.
    pub overlay: bool,
    /// Draws the image as a display shutter's mask over what the pass holds: samples above
    /// 0 cover the pixel in grey level `sample - 1` (0-255, 8-bit output), 0 leaves it.
    /// Upload the mask as 16-bit samples; nearest sampling, no background.
    pub shutter: bool,
    /// Shows a grey image's display levels through this colour map (the level, 0-255,
    /// picks the colour), as [`ColorMap::apply`] does on the CPU; ignored for colour and
    /// palette images.
    ///
    /// [`ColorMap::apply`]: hounsfield_core::layers::colormap::ColorMap::apply
    pub colormap: Option<hounsfield_core::layers::colormap::ColorMap>,
    /// Draws the image as a layer over what the pass holds (segmentations): each texel's
    /// colour premultiplied by its coverage, and the coverage
    /// ([`Renderer::upload_layer`]); the pixel becomes colour + pass x (1 - coverage).
    /// Nearest sampling, no background.
    pub layer: bool,
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
            overlay: false,
            shutter: false,
            colormap: None,
            layer: false,
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
        Renderer {
            device: device.clone(),
            queue: queue.clone(),
            format,
            variants: Default::default(),
            pipelines: std::sync::Mutex::new(std::collections::HashMap::new()),
            empty_table: table_texture(device, queue, &[0]),
            empty_palette: palette_texture(device, queue, None),
            gather_sampler: device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some("hounsfield gather"),
                ..wgpu::SamplerDescriptor::default()
            }),
            value_layout: values::value_cache_layout(device),
            mpr: volume::MprPipelines::new(device),
            compose: std::sync::OnceLock::new(),
            place: std::sync::OnceLock::new(),
        }
    }

    /// The target format the pipelines draw into.
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }
}
