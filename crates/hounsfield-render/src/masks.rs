//! Segment masks on the GPU: placed on an image's pixel grid and uploaded once (an
//! `R16Uint` array, one layer per mask), then composed with `shaders/masks.wgsl` into the
//! layer drawn over the image ([`DrawState::layer`](crate::DrawState::layer)) whenever a
//! segment's colour, opacity or visibility changes. The composition is
//! [`PlacedMasks::style`] on the GPU; the layer it makes is drawn like any other, one
//! texel per screen pixel.

use crate::pipelines::TexKind;
use crate::upload::GpuImage;
use crate::{PipelineSpec, RenderError, Renderer};
use hounsfield_core::layers::composite::LayerImage;
use hounsfield_core::layers::masks::{LayerParts, MaskStyle, PlacedMasks};

const MASKS_WGSL: &str = include_str!("../shaders/masks.wgsl");

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ComposeParams {
    count: u32,
    outline: u32,
    has_under: u32,
    has_over: u32,
}

/// The composition's pipelines, built on first use: for masks with their EDGE bits, and
/// for masks whose edges are found on their grid.
pub(crate) struct ComposePipeline {
    layout: wgpu::BindGroupLayout,
    pipelines: [wgpu::RenderPipeline; 2],
}

impl ComposePipeline {
    fn new(device: &wgpu::Device) -> ComposePipeline {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("hounsfield masks"),
            source: wgpu::ShaderSource::Wgsl(MASKS_WGSL.into()),
        });
        let texture = crate::fragment_texture;
        let float = wgpu::TextureSampleType::Float { filterable: false };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("hounsfield masks"),
            entries: &[
                crate::uniform_entry(
                    0,
                    wgpu::ShaderStages::FRAGMENT,
                    std::mem::size_of::<ComposeParams>(),
                ),
                texture(
                    1,
                    wgpu::TextureSampleType::Uint,
                    wgpu::TextureViewDimension::D2Array,
                ),
                texture(
                    2,
                    wgpu::TextureSampleType::Uint,
                    wgpu::TextureViewDimension::D2,
                ),
                texture(3, float, wgpu::TextureViewDimension::D2),
                texture(4, float, wgpu::TextureViewDimension::D2),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("hounsfield masks"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = |grid_edges: f64| {
            PipelineSpec {
                label: "hounsfield masks",
                layout: &pipeline_layout,
                module: &module,
                vertex: "vs_main",
                fragment: "fs_main",
                constants: &[("GRID_EDGES", grid_edges)],
                format: wgpu::TextureFormat::Rgba8Unorm,
                blend: None,
            }
            .create(device)
        };
        ComposePipeline {
            layout,
            pipelines: [pipeline(0.0), pipeline(1.0)],
        }
    }
}

/// Masks placed on an image's pixel grid ([`PlacedMasks`]), on the GPU.
pub struct GpuMasks {
    view: wgpu::TextureView,
    width: u32,
    height: u32,
    layers: usize,
    /// Whether the texels carry their EDGE bits (else the edges are found on the grid).
    edges: bool,
    params: wgpu::Buffer,
    /// Bytes uploaded (mask texels), for reports.
    pub uploaded_bytes: u64,
}

impl GpuMasks {
    /// Columns and rows.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Number of masks.
    pub fn layers(&self) -> usize {
        self.layers
    }
}

/// How placed masks are composed: their styles, drawn in order, the outline, and what
/// lies under and over them (premultiplied RGBA painted on the CPU, of the masks' size:
/// the fused series, the structure sets' contours).
#[derive(Debug, Clone, Copy)]
pub struct Composition<'a> {
    /// The masks drawn, in order ([`PlacedMasks::style`]'s rule).
    pub styles: &'a [MaskStyle],
    /// Whether edges are drawn opaque.
    pub outline: bool,
    /// The layer under the masks.
    pub under: Option<&'a LayerImage>,
    /// The layer over them.
    pub over: Option<&'a LayerImage>,
}

impl Renderer {
    /// Uploads placed masks once, to be composed by [`compose_masks`](Self::compose_masks).
    /// Masks larger than the device's largest texture, or more than its array layers, are
    /// refused (paint them on the CPU instead).
    pub fn upload_masks(&self, masks: &PlacedMasks) -> Result<GpuMasks, RenderError> {
        let limits = self.device.limits();
        let (width, height) = (masks.columns, masks.rows);
        let layers = masks.layers.len().max(1);
        let n = width as usize * height as usize;
        if width == 0
            || height == 0
            || width > limits.max_texture_dimension_2d
            || height > limits.max_texture_dimension_2d
            || layers > limits.max_texture_array_layers as usize
            || masks.layers.iter().any(|l| l.len() != n)
        {
            return Err(RenderError::TooLarge(format!(
                "{} masks of {width} x {height} (the device allows {} layers of up to {} per \
                 side)",
                masks.layers.len(),
                limits.max_texture_array_layers,
                limits.max_texture_dimension_2d
            )));
        }
        let size = wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: layers as u32,
        };
        let texture = crate::texture_2d(
            &self.device,
            "hounsfield masks",
            size,
            wgpu::TextureFormat::R16Uint,
            wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        );
        for (k, texels) in masks.layers.iter().enumerate() {
            self.queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture: &texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d {
                        x: 0,
                        y: 0,
                        z: k as u32,
                    },
                    aspect: wgpu::TextureAspect::All,
                },
                bytemuck::cast_slice(texels),
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(width * 2),
                    rows_per_image: Some(height),
                },
                wgpu::Extent3d {
                    depth_or_array_layers: 1,
                    ..size
                },
            );
        }
        let view = texture.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            ..Default::default()
        });
        Ok(self.gpu_masks(
            view,
            (width, height),
            (masks.layers.len(), true),
            (n * layers * 2) as u64,
        ))
    }

    /// Masks whose texels `view` holds (an `R16Uint` array of `layers` layers, at least 1),
    /// with their EDGE bits when `edges` (else they lie on the grid they are drawn on,
    /// whose neighbours give the edges).
    pub(crate) fn gpu_masks(
        &self,
        view: wgpu::TextureView,
        (width, height): (u32, u32),
        (layers, edges): (usize, bool),
        uploaded_bytes: u64,
    ) -> GpuMasks {
        let params = crate::uniform_buffer(
            &self.device,
            "hounsfield masks",
            std::mem::size_of::<ComposeParams>(),
        );
        GpuMasks {
            view,
            width,
            height,
            layers,
            edges,
            params,
            uploaded_bytes,
        }
    }

    /// Composes `masks` as `composition` says into a layer of their size, drawn with
    /// [`DrawState::layer`](crate::DrawState::layer). Reuses `previous`' texture when the
    /// size matches. Submits the work; never waits.
    pub fn compose_masks(
        &self,
        masks: &GpuMasks,
        composition: &Composition<'_>,
        previous: Option<GpuImage>,
    ) -> Result<GpuImage, RenderError> {
        let (width, height) = (masks.width, masks.height);
        let max = self.device.limits().max_texture_dimension_2d as usize;
        if composition.styles.len() > max {
            return Err(RenderError::TooLarge(format!(
                "{} segment styles (the device allows {max})",
                composition.styles.len()
            )));
        }
        let rgba = |layer: Option<&LayerImage>| -> Result<wgpu::TextureView, RenderError> {
            match layer {
                Some(l) if (l.columns, l.rows) != (width, height) => {
                    Err(RenderError::Frames(format!(
                        "a {} x {} layer over {width} x {height} masks",
                        l.columns, l.rows
                    )))
                }
                Some(l) => Ok(self.small_texture(
                    (width, height),
                    wgpu::TextureFormat::Rgba8Unorm,
                    &l.rgba8(),
                )),
                None => Ok(self.small_texture((1, 1), wgpu::TextureFormat::Rgba8Unorm, &[0; 4])),
            }
        };
        let (under, over) = (rgba(composition.under)?, rgba(composition.over)?);
        let mut table: Vec<u32> = composition
            .styles
            .iter()
            .filter(|s| s.layer < masks.layers)
            .flat_map(|s| {
                let [r, g, b] = s.color.map(u32::from);
                [
                    s.layer as u32,
                    r | (g << 8) | (b << 16),
                    u32::from(s.alpha),
                    0,
                ]
            })
            .collect();
        let count = table.len() / 4;
        if table.is_empty() {
            table = vec![0; 4];
        }
        let styles = self.small_texture(
            ((table.len() / 4) as u32, 1),
            wgpu::TextureFormat::Rgba32Uint,
            bytemuck::cast_slice(&table),
        );
        let params = ComposeParams {
            count: count as u32,
            outline: u32::from(composition.outline),
            has_under: u32::from(composition.under.is_some()),
            has_over: u32::from(composition.over.is_some()),
        };
        self.queue
            .write_buffer(&masks.params, 0, bytemuck::bytes_of(&params));
        let compose = self
            .compose
            .get_or_init(|| ComposePipeline::new(&self.device));
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("hounsfield masks"),
            layout: &compose.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: masks.params.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&masks.view),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&styles),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(&under),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: wgpu::BindingResource::TextureView(&over),
                },
            ],
        });
        let (mut image, target) = self.reuse_target(
            previous,
            (width, height),
            wgpu::TextureFormat::Rgba8Unorm,
            TexKind::Color,
        )?;
        self.draw_full_target(
            &target,
            [0.0; 4],
            (&compose.pipelines[usize::from(!masks.edges)], &bind_group),
            "hounsfield masks",
        );
        image.stale = true;
        image.uploaded_bytes = u64::from(width) * u64::from(height) * 4;
        Ok(image)
    }

    /// A 2D texture of `format` holding `texels`, row by row.
    fn small_texture(
        &self,
        (width, height): (u32, u32),
        format: wgpu::TextureFormat,
        texels: &[u8],
    ) -> wgpu::TextureView {
        let size = wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        };
        let texture = crate::texture_2d(
            &self.device,
            "hounsfield masks",
            size,
            format,
            wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        );
        let bytes_per_texel = (texels.len() / (width as usize * height as usize)) as u32;
        self.queue.write_texture(
            texture.as_image_copy(),
            texels,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(width * bytes_per_texel),
                rows_per_image: Some(height),
            },
            size,
        );
        texture.create_view(&wgpu::TextureViewDescriptor::default())
    }
}

/// Composes `parts` on the GPU in one call: uploads its masks and composes them with its
/// layers under and over. Masks the device cannot hold (larger than its largest texture,
/// more than its array layers) are painted on the CPU instead ([`LayerParts::paint`]).
pub fn compose_parts(renderer: &Renderer, parts: &LayerParts) -> Result<GpuImage, RenderError> {
    match renderer.upload_masks(&parts.masks) {
        Ok(masks) => renderer.compose_masks(
            &masks,
            &Composition {
                styles: &parts.styles,
                outline: parts.outline,
                under: parts.under.as_ref(),
                over: parts.over.as_ref(),
            },
            None,
        ),
        Err(RenderError::TooLarge(_)) => renderer.upload_painted(&parts.paint()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hounsfield_core::layers::composite::{Painted, Placement, PlaneGrid};
    use hounsfield_core::layers::segmentation::Mask;

    #[test]
    fn the_masks_shader_compiles() {
        crate::test_support::assert_valid_wgsl(MASKS_WGSL, "masks.wgsl");
    }

    /// A `columns` x `rows` mask whose coverage `f` gives per pixel.
    fn mask(columns: u32, rows: u32, f: impl Fn(u32, u32) -> u8) -> Mask {
        Mask {
            columns,
            rows,
            coverage: (0..rows)
                .flat_map(|y| (0..columns).map(move |x| (x, y)))
                .map(|(x, y)| f(x, y))
                .collect(),
        }
    }

    /// Masks composed on the GPU, then drawn over a black and a white image, give what the
    /// CPU paints and composites, for several styles of the same uploaded masks: all shown,
    /// some hidden and reordered, other colours and opacities, without outline, with and
    /// without layers under and over.
    #[test]
    fn composing_on_the_gpu_is_painting_on_the_cpu() {
        let Some(mut gpu) = crate::headless::Headless::for_tests() else {
            return;
        };
        let (w, h) = (37u32, 23u32);
        let disc = mask(w, h, |x, y| {
            let (dx, dy) = (x as i32 - 15, y as i32 - 11);
            if dx * dx + dy * dy <= 64 { 255 } else { 0 }
        });
        let fraction = mask(w, h, |x, y| ((x * 7 + y * 11) % 256) as u8);
        let coarse = mask(10, 8, |x, y| if (x + y) % 3 == 0 { 255 } else { 0 });
        let grid = |origin: [f64; 3], s: f64| PlaneGrid {
            origin,
            column_step: [s, 0.0, 0.0],
            row_step: [0.0, s, 0.0],
        };
        let displaced = Placement::Patient {
            image: grid([0.0, 0.0, 0.0], 1.0),
            mask: grid([2.0, 1.5, 0.0], 3.5),
        };
        let placed = PlacedMasks::place(
            w,
            h,
            &[
                (&disc, Placement::SameGrid),
                (&fraction, Placement::SameGrid),
                (&coarse, displaced),
            ],
        );
        let paint = |m: &Mask, color, opacity| {
            LayerImage::paint(
                w,
                h,
                &[Painted {
                    mask: m,
                    color,
                    opacity,
                    placement: Placement::SameGrid,
                }],
                false,
            )
        };
        let under = paint(
            &mask(w, h, |x, _| if x > 20 { 255 } else { 0 }),
            [0, 90, 255],
            0.6,
        );
        let over = paint(
            &mask(w, h, |_, y| if y == 5 { 255 } else { 0 }),
            [255, 255, 0],
            1.0,
        );
        let style = MaskStyle::new;
        let cases: Vec<(Vec<MaskStyle>, bool, bool)> = vec![
            (
                vec![
                    style(0, [255, 0, 0], 0.5),
                    style(1, [0, 255, 0], 0.5),
                    style(2, [0, 0, 255], 0.5),
                ],
                true,
                false,
            ),
            (
                vec![style(2, [10, 200, 30], 0.9), style(0, [250, 20, 7], 0.13)],
                true,
                true,
            ),
            (vec![style(1, [128, 64, 32], 1.0)], false, true),
            (Vec::new(), true, true),
        ];
        let masks = gpu.renderer().upload_masks(&placed).expect("upload");
        let mut previous = None;
        for (k, (styles, outline, layers)) in cases.iter().enumerate() {
            let parts = LayerParts {
                under: layers.then(|| under.clone()),
                masks: placed.clone(),
                styles: styles.clone(),
                outline: *outline,
                over: layers.then(|| over.clone()),
            };
            let composition = Composition {
                styles,
                outline: *outline,
                under: parts.under.as_ref(),
                over: parts.over.as_ref(),
            };
            let mut composed = gpu
                .renderer()
                .compose_masks(&masks, &composition, previous.take())
                .expect("compose");
            let covered = crate::test_support::assert_drawn_as(
                &mut gpu,
                &mut composed,
                &parts.paint(),
                &format!("case {k}"),
            );
            assert!(covered > 50, "case {k}: only {covered} pixels covered");
            previous = Some(composed);
        }
    }
}
