//! The value cache of a drawn grey image: the sampled value under each pixel of its
//! viewport, kept in an `R32Float` texture of the viewport's size. While the image stays
//! where it is (same frame, view and viewport), a change of window, VOI function or
//! presentation redraws it from one read a pixel (`fs_cached`) instead of sampling the
//! image again (`fs_main`): on a software rasteriser most of a frame's cost is the
//! sampling. A float holds the sampled value exactly, so the pixels are those `fs_main`
//! draws.
//!
//! The cache is filled on the second frame in a row that shows the image where the first
//! did, so that scrolling and zooming (a new place every frame) never pay for it.

use crate::pipelines::{Entry, PipelineKey};
use crate::{GpuImage, Renderer};
use hounsfield_core::view::Mapping;

/// What a value cache holds: the image's frame, where its pixels map and how they sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValueKey {
    frame: usize,
    size: [u32; 2],
    filter: u32,
    /// The mapping's origin and axes, bit for bit.
    mapping: [u32; 6],
}

impl ValueKey {
    pub(crate) fn new(frame: usize, viewport: [u32; 4], filter: u32, map: &Mapping) -> ValueKey {
        let [ox, oy] = map.origin;
        let [xx, xy] = map.axis_x;
        let [yx, yy] = map.axis_y;
        ValueKey {
            frame,
            size: [viewport[2], viewport[3]],
            filter,
            mapping: [ox, oy, xx, xy, yx, yy].map(f32::to_bits),
        }
    }
}

/// A grey image's value cache on the GPU.
pub(crate) struct ValueCache {
    view: wgpu::TextureView,
    pub(crate) bind_group: wgpu::BindGroup,
    size: [u32; 2],
    /// What it holds; None until filled, or after the image's texels changed.
    holds: Option<ValueKey>,
}

/// The value cache's part of an image: the cache, the place of the last draw, and whether
/// the last `prepare` chose to draw from the cache.
#[derive(Default)]
pub(crate) struct Values {
    pub(crate) cache: Option<ValueCache>,
    last: Option<ValueKey>,
    pub(crate) in_use: bool,
}

impl Values {
    /// Whether a draw at `key` takes the cache: it holds `key` already, or the last draw
    /// was at `key` too (the image stays: worth filling). Remembers `key` (None: an image
    /// or draw the cache does not serve).
    pub(crate) fn choose(&mut self, key: Option<ValueKey>) -> bool {
        let holds = self.cache.as_ref().and_then(|c| c.holds);
        self.in_use = key.is_some() && (holds == key || self.last == key);
        self.last = key;
        self.in_use
    }

    /// Forgets what the cache holds (the image's texels changed).
    pub(crate) fn invalidate(&mut self) {
        if let Some(c) = &mut self.cache {
            c.holds = None;
        }
        self.last = None;
        self.in_use = false;
    }

    /// The cache's bind group when the last `prepare` chose it.
    pub(crate) fn bind_group(&self) -> Option<&wgpu::BindGroup> {
        self.cache
            .as_ref()
            .filter(|_| self.in_use)
            .map(|c| &c.bind_group)
    }
}

impl GpuImage {
    /// Frees the value cache (the texture of one float a viewport pixel that makes window
    /// changes cheap), as a viewer does for an image it no longer shows; the next draws
    /// fill it again when the image stays on screen.
    pub fn release_values(&mut self) {
        self.values = Values::default();
    }

    /// Whether the last [`Renderer::prepare`] drew the image from its value cache.
    pub fn drawn_from_values(&self) -> bool {
        self.values.in_use
    }
}

/// The bind group layout of a value cache (group 1 of `fs_cached`).
pub(crate) fn value_cache_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("hounsfield value cache"),
        entries: &[crate::fragment_texture(
            0,
            wgpu::TextureSampleType::Float { filterable: false },
            wgpu::TextureViewDimension::D2,
        )],
    })
}

impl Renderer {
    /// Fills `image`'s value cache with the values under the pixels of `key` (the tiles of
    /// chunk `chunk`, whose uniforms `prepare` wrote) unless it holds them; submits the
    /// work. `display` is the key of the image's display pipeline.
    pub(crate) fn fill_values(
        &self,
        image: &mut GpuImage,
        display: PipelineKey,
        key: ValueKey,
        chunk: usize,
    ) {
        if image.values.cache.as_ref().and_then(|c| c.holds) == Some(key) {
            return;
        }
        if image
            .values
            .cache
            .as_ref()
            .is_none_or(|c| c.size != key.size)
        {
            let texture = crate::texture_2d(
                &self.device,
                "hounsfield value cache",
                wgpu::Extent3d {
                    width: key.size[0],
                    height: key.size[1],
                    depth_or_array_layers: 1,
                },
                wgpu::TextureFormat::R32Float,
                wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::RENDER_ATTACHMENT,
            );
            let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
            let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("hounsfield value cache"),
                layout: &self.value_layout,
                entries: &[wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&view),
                }],
            });
            image.values.cache = Some(ValueCache {
                view,
                bind_group,
                size: key.size,
                holds: None,
            });
        }
        let Some(cache) = image.values.cache.as_mut() else {
            return;
        };
        // Only the sampling stages matter to the values.
        let pipeline = self.pipeline(PipelineKey {
            modality: 0,
            voi: 0,
            presentation: 0,
            entry: Entry::Values,
            ..display
        });
        let chunk = image.chunks.get(chunk);
        self.submit_pass(&cache.view, [0.0; 4], "hounsfield values", |pass| {
            pass.set_pipeline(&pipeline);
            if let Some(chunk) = chunk {
                chunk.draw_tiles(pass);
            }
        });
        cache.holds = Some(key);
    }
}

#[cfg(test)]
mod tests {
    use crate::DrawState;
    use crate::headless::Headless;
    use hounsfield_core::pipeline::{GreyPipeline, Voi, render_view_with};
    use hounsfield_core::view::{Filter, View};
    use hounsfield_core::{Frame, FrameColor, ModalityLut, Samples, VoiLutFunction};

    /// A grey image that stays where it is is drawn from its value cache from the second
    /// frame on, and every window, VOI function and presentation then gives the pixels the
    /// image sampled anew gives (bit for bit), which are the CPU reference's (within 1).
    #[test]
    fn a_window_change_from_the_value_cache_draws_the_same_pixels() {
        let Some(mut gpu) = Headless::for_tests() else {
            return;
        };
        // 13 x 9 stored values over a CT's range, two frames.
        let frame = |k: u16| Frame {
            width: 13,
            height: 9,
            color: FrameColor::Monochrome,
            samples: Samples::U16((0..117u16).map(|v| (v * 389 + k * 977) % 4096).collect()),
            bits_stored: 12,
            signed: false,
        };
        let frames = [frame(0), frame(1)];
        let mut cached = gpu
            .renderer()
            .upload(&frames, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut sampled = gpu
            .renderer()
            .upload(&frames, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let pipe = |center: f64, width: f64, function, inverse| GreyPipeline {
            modality: ModalityLut::Rescale {
                slope: 1.0,
                intercept: -1024.0,
                rescale_type: None,
            },
            voi: Voi::Window {
                center,
                width,
                function,
            },
            inverse,
            presentation_lut: None,
        };
        let pipes = [
            pipe(40.0, 400.0, VoiLutFunction::Linear, false),
            pipe(-600.0, 1500.0, VoiLutFunction::Linear, false),
            pipe(300.0, 2500.0, VoiLutFunction::LinearExact, true),
            pipe(0.0, 800.0, VoiLutFunction::Sigmoid, false),
            pipe(1000.0, 1.0, VoiLutFunction::Linear, false),
        ];
        let mut from_values = 0;
        for (frame_index, view) in [
            (0, View::fit(64, 40)),
            (
                1,
                View {
                    zoom: 2.37,
                    pan: [3.3, -1.7],
                    filter: Filter::Linear,
                    ..View::fit(50, 50)
                },
            ),
            (
                0,
                View {
                    zoom: 0.61,
                    rotation: 1,
                    flip_horizontal: true,
                    filter: Filter::Nearest,
                    ..View::fit(31, 44)
                },
            ),
        ] {
            for (i, pipe) in pipes.iter().enumerate() {
                let state = DrawState {
                    frame: frame_index,
                    pipeline: Some(pipe.clone()),
                    ..DrawState::new(view)
                };
                let got = gpu
                    .render_rgba(&mut cached, &state)
                    .unwrap_or_else(|e| panic!("{e}"));
                // The first frame at a new place samples the image; the next ones read
                // the cache.
                assert_eq!(cached.drawn_from_values(), i > 0, "{view:?} window {i}");
                from_values += usize::from(cached.drawn_from_values());
                sampled.release_values();
                let want = gpu
                    .render_rgba(&mut sampled, &state)
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(!sampled.drawn_from_values());
                assert!(got == want, "{view:?} window {i}: the cache changed pixels");
                let cpu =
                    render_view_with(&frames[frame_index], Some(pipe), None, false, false, &view)
                        .unwrap_or_else(|e| panic!("{e}"));
                let worst = got
                    .chunks_exact(4)
                    .zip(&cpu.pixels)
                    .map(|(g, c)| g[0].abs_diff(*c))
                    .max();
                assert!(
                    worst <= Some(1),
                    "{view:?} window {i}: {worst:?} from the CPU"
                );
            }
        }
        assert_eq!(from_values, 3 * (pipes.len() - 1));
        // Released, the next frame samples the image again.
        cached.release_values();
        let state = DrawState {
            pipeline: Some(pipes[0].clone()),
            ..DrawState::new(View::fit(64, 40))
        };
        gpu.render_rgba(&mut cached, &state)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!cached.drawn_from_values());
    }
}
