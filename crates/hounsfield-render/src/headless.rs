//! Headless rendering (native only): a device of its own, an offscreen `Rgba8Unorm`
//! target, and read-back of the pixels with rows unpadded from wgpu's 256-byte alignment.

use crate::{DrawState, GpuImage, RenderError, Renderer};

/// A GPU device, a renderer for `Rgba8Unorm` and an offscreen target.
///
/// ```no_run
/// use hounsfield_render::headless::Headless;
/// let mut gpu = Headless::new()?;
/// println!("rendering on {}", gpu.adapter_info().name);
/// # Ok::<(), hounsfield_render::RenderError>(())
/// ```
pub struct Headless {
    /// Set by the device-lost callback.
    lost: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    device: wgpu::Device,
    info: wgpu::AdapterInfo,
    renderer: Renderer,
    target: Option<Target>,
}

struct Target {
    size: (u32, u32),
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    buffer: wgpu::Buffer,
    padded_row: u32,
}

/// Bytes per row of a copy to a buffer: `width * 4` rounded up to 256.
pub(crate) fn padded_bytes_per_row(width: u32) -> u32 {
    let unpadded = width * 4;
    unpadded.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT
}

/// Caps on a headless device's limits, below its adapter's ([`Headless::with_limits`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caps {
    /// Largest 2D texture side.
    pub texture_2d: Option<u32>,
    /// Most layers of a texture array.
    pub array_layers: Option<u32>,
    /// Largest 3D texture side.
    pub texture_3d: Option<u32>,
}

impl Headless {
    /// Opens the default adapter (on machines without a GPU, Mesa's lavapipe when
    /// installed) with the adapter's own texture limits.
    pub fn new() -> Result<Headless, RenderError> {
        Self::with_limits(Caps::default())
    }

    /// Whether every adapter of this machine is a CPU device (Mesa's lavapipe or
    /// llvmpipe, SwiftShader), or there is none: then one image renders sooner with the
    /// CPU reference pipeline than by starting such a device.
    pub fn only_cpu_adapters() -> bool {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
            .iter()
            .all(|a| a.get_info().device_type == wgpu::DeviceType::Cpu)
    }

    /// Like [`new`](Self::new), with the device's limits capped at `caps` (to exercise
    /// tiling, frame chunks and volume bricks as on smaller devices and browsers).
    pub fn with_limits(caps: Caps) -> Result<Headless, RenderError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let mut limits = adapter.limits();
        let cap =
            |limit: &mut u32, cap: Option<u32>| *limit = cap.map_or(*limit, |c| c.min(*limit));
        cap(&mut limits.max_texture_dimension_2d, caps.texture_2d);
        cap(&mut limits.max_texture_array_layers, caps.array_layers);
        cap(&mut limits.max_texture_dimension_3d, caps.texture_3d);
        let (device, queue) = pollster::block_on(
            adapter.request_device(&crate::device_descriptor(&limits, "hounsfield headless")),
        )
        .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
        let lost = std::sync::Arc::new(std::sync::Mutex::new(None));
        let flag = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut l) = flag.lock() {
                *l = Some(format!("{reason:?}: {message}"));
            }
        });
        let renderer = Renderer::new(&device, &queue, wgpu::TextureFormat::Rgba8Unorm);
        Ok(Headless {
            lost,
            device,
            info,
            renderer,
            target: None,
        })
    }

    /// A headless GPU for a test (lavapipe on machines without one), or None, after a
    /// loud message, when there is no adapter: the test then skips. With
    /// `HOUNSFIELD_REQUIRE_GPU=1` (as the project's CI sets) no adapter is a panic, so
    /// that a GPU test never passes without having run.
    ///
    /// ```no_run
    /// let Some(gpu) = hounsfield_render::headless::Headless::for_tests() else { return };
    /// println!("{}", gpu.adapter_info().name);
    /// ```
    pub fn for_tests() -> Option<Headless> {
        match Self::new() {
            Ok(g) => Some(g),
            Err(e) if std::env::var("HOUNSFIELD_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
                panic!(
                    "no GPU adapter, and HOUNSFIELD_REQUIRE_GPU=1: {e} (install mesa-vulkan-drivers)"
                )
            }
            Err(e) => {
                eprintln!(
                    "\n*** SKIPPED: no GPU adapter ({e}); install mesa-vulkan-drivers for lavapipe ***\n"
                );
                None
            }
        }
    }

    /// The adapter in use.
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The renderer (for uploads).
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// The device.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// `Err(DeviceLost)` once the device is lost: drop this and create a new one.
    pub fn check(&self) -> Result<(), RenderError> {
        match self.lost.lock().ok().and_then(|l| l.clone()) {
            Some(why) => Err(RenderError::DeviceLost(why)),
            None => Ok(()),
        }
    }

    fn check_size(&self, width: u32, height: u32) -> Result<(), RenderError> {
        let max = self.device.limits().max_texture_dimension_2d;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(RenderError::TooLarge(format!(
                "an output of {width} x {height} (the device allows 1 to {max} per side)"
            )));
        }
        Ok(())
    }

    fn target(&mut self, width: u32, height: u32) -> &Target {
        if self
            .target
            .as_ref()
            .is_none_or(|t| t.size != (width, height))
        {
            self.target = Some(Target::new(
                &self.device,
                wgpu::TextureFormat::Rgba8Unorm,
                width,
                height,
            ));
        }
        self.target.as_ref().unwrap_or_else(|| unreachable!())
    }

    /// Renders and waits (render + submit + wait), without reading back: what a window
    /// does on a window/level change.
    pub fn render(&mut self, image: &mut GpuImage, state: &DrawState) -> Result<(), RenderError> {
        self.check()?;
        let (w, h) = (state.view.width, state.view.height);
        self.check_size(w, h)?;
        self.target(w, h);
        let t = self
            .target
            .as_ref()
            .ok_or_else(|| RenderError::Readback("no target".into()))?;
        let index = self
            .renderer
            .render_to_view(image, state, &t.view, [0, 0, w, h])?;
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(index),
                timeout: None,
            })
            .map_err(|e| RenderError::DeviceLost(e.to_string()))?;
        Ok(())
    }

    /// Frame `frame` of `file` at its own size through the display pipeline that `options`
    /// choose (window, VOI LUT, presentation), as RGBA rows: decode, upload, draw and read
    /// back in one call. For many draws of one image, upload once with
    /// [`Renderer::upload`] and call [`render_rgba`](Self::render_rgba) instead.
    ///
    /// ```no_run
    /// use hounsfield_core::{DicomFile, pipeline::RenderOptions};
    /// let file = DicomFile::open("CT_small.dcm")?;
    /// let mut gpu = hounsfield_render::headless::Headless::new()?;
    /// let (width, height, rgba) = gpu.render_frame(&file, 0, &RenderOptions::default())?;
    /// assert_eq!(rgba.len(), (width * height * 4) as usize);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn render_frame(
        &mut self,
        file: &hounsfield_core::DicomFile,
        frame: usize,
        options: &hounsfield_core::pipeline::RenderOptions,
    ) -> Result<(u32, u32, Vec<u8>), RenderError> {
        let decoded = file.decode_frame(frame)?;
        let params = file.display_parameters(frame)?;
        let mut image = self
            .renderer
            .upload(std::slice::from_ref(&decoded), params.palette.as_ref())?;
        let pipeline = match decoded.color {
            hounsfield_core::FrameColor::Monochrome => Some(
                hounsfield_core::pipeline::GreyPipeline::resolve(&params, &decoded, options)
                    .map_err(|e| RenderError::Dicom(format!("{}: {e}", file.name())))?,
            ),
            _ => None,
        };
        let (w, h) = (decoded.width, decoded.height);
        let state = DrawState {
            // Grey images invert through their pipeline; colour ones here.
            invert: options.invert && pipeline.is_none(),
            pipeline,
            ..DrawState::new(hounsfield_core::view::View::native(w, h))
        };
        Ok((w, h, self.render_rgba(&mut image, &state)?))
    }

    /// Renders `image` as `state` says into a `state.view.width` x `height` RGBA image and
    /// reads it back (rows tightly packed).
    pub fn render_rgba(
        &mut self,
        image: &mut GpuImage,
        state: &DrawState,
    ) -> Result<Vec<u8>, RenderError> {
        self.render_rgba_layers(&mut [(image, state)])
    }

    /// Renders `layers` in order into one `width` x `height` target (cleared to the first
    /// layer's background) and reads it back as RGBA rows: an image and what is drawn
    /// over it, such as its overlay planes ([`DrawState::overlay`]).
    pub fn render_rgba_layers(
        &mut self,
        layers: &mut [(&mut GpuImage, &DrawState)],
    ) -> Result<Vec<u8>, RenderError> {
        self.check()?;
        let first = layers
            .first()
            .ok_or_else(|| RenderError::Readback("no layer to draw".into()))?;
        let (w, h) = (first.1.view.width, first.1.view.height);
        self.check_size(w, h)?;
        self.target(w, h);
        let t = self
            .target
            .as_ref()
            .ok_or_else(|| RenderError::Readback("no target".into()))?;
        read_into(&self.renderer, layers, t)
    }
}

impl Target {
    fn new(device: &wgpu::Device, format: wgpu::TextureFormat, width: u32, height: u32) -> Target {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("hounsfield offscreen"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let padded_row = padded_bytes_per_row(width);
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hounsfield readback"),
            size: u64::from(padded_row) * u64::from(height),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        Target {
            size: (width, height),
            texture,
            view,
            buffer,
            padded_row,
        }
    }
}

/// Renders `image` with any renderer (a window's, say) into an offscreen texture of the
/// renderer's format and reads it back as RGBA rows, tightly packed: how a viewer saves
/// exactly what it shows. The renderer's format must be `Rgba8Unorm` or `Bgra8Unorm`.
pub fn render_rgba(
    renderer: &Renderer,
    image: &mut GpuImage,
    state: &DrawState,
) -> Result<Vec<u8>, RenderError> {
    let (w, h) = (state.view.width, state.view.height);
    let max = renderer.device.limits().max_texture_dimension_2d;
    if w == 0 || h == 0 || w > max || h > max {
        return Err(RenderError::TooLarge(format!(
            "an output of {w} x {h} (the device allows 1 to {max} per side)"
        )));
    }
    let target = Target::new(&renderer.device, renderer.format(), w, h);
    read_into(renderer, &mut [(image, state)], &target)
}

fn read_into(
    renderer: &Renderer,
    layers: &mut [(&mut GpuImage, &DrawState)],
    t: &Target,
) -> Result<Vec<u8>, RenderError> {
    let swap = match t.texture.format() {
        wgpu::TextureFormat::Rgba8Unorm => false,
        wgpu::TextureFormat::Bgra8Unorm => true,
        other => {
            return Err(RenderError::Readback(format!(
                "cannot read back {other:?} as RGBA"
            )));
        }
    };
    let (w, h) = t.size;
    let (device, queue) = (&renderer.device, &renderer.queue);
    for (image, state) in layers.iter_mut() {
        renderer.prepare(image, state, [0, 0, w, h])?;
    }
    let background = layers
        .first()
        .map_or([0.0, 0.0, 0.0, 1.0], |l| l.1.background);
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("hounsfield offscreen"),
    });
    {
        let mut pass = crate::clear_pass(&mut encoder, &t.view, background, "hounsfield offscreen");
        for (image, state) in layers.iter() {
            // The clear painted the background already.
            let state = DrawState {
                paint_background: false,
                ..(*state).clone()
            };
            renderer.draw(&mut pass, image, &state, [0, 0, w, h]);
        }
    }
    encoder.copy_texture_to_buffer(
        t.texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &t.buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(t.padded_row),
                rows_per_image: Some(h),
            },
        },
        wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
    );
    let index = queue.submit([encoder.finish()]);
    let slice = t.buffer.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(index),
            timeout: None,
        })
        .map_err(|e| RenderError::DeviceLost(e.to_string()))?;
    rx.recv()
        .map_err(|e| RenderError::Readback(e.to_string()))?
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    let mut out = Vec::with_capacity((w * h * 4) as usize);
    {
        let data = slice
            .get_mapped_range()
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        for row in data.chunks(t.padded_row as usize).take(h as usize) {
            out.extend_from_slice(&row[..(w * 4) as usize]);
        }
    }
    t.buffer.unmap();
    if swap {
        for px in out.chunks_exact_mut(4) {
            px.swap(0, 2);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::padded_bytes_per_row;

    #[test]
    fn rows_pad_to_256_bytes() {
        assert_eq!(padded_bytes_per_row(64), 256);
        assert_eq!(padded_bytes_per_row(65), 512);
        assert_eq!(padded_bytes_per_row(333), 1536);
    }
}
