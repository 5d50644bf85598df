//! Resources: frames uploaded once as textures (tiled past the device's largest texture,
//! chunked past its array-layer limit), palettes, and the Modality and VOI tables.

use crate::params::Params;
use crate::pipelines::TexKind;
use crate::{DrawState, RenderError, Renderer};
use hounsfield_core::layers::colormap::ColorMap;
use hounsfield_core::pipeline::Voi;
use hounsfield_core::{Frame, FrameColor, Lut, ModalityLut, PaletteColorLut, Samples};

/// One uploaded texture: a tile of every frame of a chunk of frames.
pub(crate) struct Tile {
    pub(crate) view: wgpu::TextureView,
    /// The image pixels this tile draws: [min, max).
    pub(crate) owned_min: [u32; 2],
    pub(crate) owned_max: [u32; 2],
    /// The image position of texel (0, 0).
    pub(crate) texture_origin: [u32; 2],
    pub(crate) uniforms: wgpu::Buffer,
    pub(crate) bind_group: Option<wgpu::BindGroup>,
}

pub(crate) struct Chunk {
    pub(crate) first_frame: usize,
    pub(crate) frames: usize,
    pub(crate) tiles: Vec<Tile>,
}

impl Chunk {
    /// Draws each tile's quad, with its bind group as group 0, by the pass's pipeline.
    pub(crate) fn draw_tiles(&self, pass: &mut wgpu::RenderPass<'_>) {
        for tile in &self.tiles {
            if let Some(bg) = &tile.bind_group {
                pass.set_bind_group(0, bg, &[]);
                pass.draw(0..6, 0..1);
            }
        }
    }
}

pub(crate) struct Table {
    pub(crate) lut: Lut,
    pub(crate) view: wgpu::TextureView,
}

/// Frames on the GPU, with the tables the draw state needs.
pub struct GpuImage {
    pub(crate) kind: TexKind,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) frames: usize,
    pub(crate) chunks: Vec<Chunk>,
    pub(crate) palette: Option<(PaletteColorLut, wgpu::TextureView)>,
    /// The colour map of a grey image's display levels, in the palette's slot.
    pub(crate) colormap: Option<(ColorMap, wgpu::TextureView)>,
    pub(crate) modality_table: Option<Table>,
    pub(crate) voi_table: Option<Table>,
    /// Bind groups must be rebuilt (tables changed).
    pub(crate) stale: bool,
    /// The pipelines of the last `prepare`: the image, and the background.
    pub(crate) pipeline: Option<(wgpu::RenderPipeline, wgpu::RenderPipeline)>,
    /// Bytes uploaded (image texels), for reports.
    pub uploaded_bytes: u64,
    /// The texture of an image rendered on the GPU (a resampled plane).
    pub(crate) render_target: Option<wgpu::Texture>,
    /// The sampled values under the pixels of its viewport (grey images).
    pub(crate) values: crate::values::Values,
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

pub(crate) fn table_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    data: &[u16],
) -> wgpu::TextureView {
    let rows = data.len().div_ceil(256).max(1);
    let mut padded = vec![0u16; rows * 256];
    padded[..data.len()].copy_from_slice(data);
    let size = wgpu::Extent3d {
        width: 256,
        height: rows as u32,
        depth_or_array_layers: 1,
    };
    let texture = crate::texture_2d(
        device,
        "hounsfield table",
        size,
        wgpu::TextureFormat::R16Uint,
        wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
    );
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

pub(crate) fn palette_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    palette: Option<&PaletteColorLut>,
) -> wgpu::TextureView {
    let (first, n) = palette.map_or((0, 1), |p| (p.red.first_mapped, p.red.len()));
    let colors: Vec<[u8; 3]> = match palette {
        Some(p) => (0..n).map(|i| p.rgb8(first + i as i64)).collect(),
        None => Vec::new(),
    };
    colors_texture(device, queue, &colors)
}

/// A palette texture of `colors` (256 entries a row, opaque), as the shader's
/// `palette_lookup` reads it.
pub(crate) fn colors_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    colors: &[[u8; 3]],
) -> wgpu::TextureView {
    let rows = colors.len().div_ceil(256).max(1);
    let mut rgba = vec![0u8; rows * 256 * 4];
    for (i, c) in colors.iter().enumerate() {
        rgba[4 * i..4 * i + 3].copy_from_slice(c);
        rgba[4 * i + 3] = 255;
    }
    let size = wgpu::Extent3d {
        width: 256,
        height: rows as u32,
        depth_or_array_layers: 1,
    };
    let texture = crate::texture_2d(
        device,
        "hounsfield palette",
        size,
        wgpu::TextureFormat::Rgba8Unorm,
        wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
    );
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
pub(crate) fn texels(frame: &Frame) -> (wgpu::TextureFormat, TexKind, u32, Vec<u8>) {
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
        let bytes_of = |k: usize| {
            let frame = &frames[k];
            if frame.width != width || frame.height != height {
                return Err(RenderError::Frames(format!(
                    "frame {} is {} x {}, frame 1 is {width} x {height}",
                    k + 1,
                    frame.width,
                    frame.height
                )));
            }
            let (f, kd, _, bytes) = texels(frame);
            if f != format || kd != kind {
                return Err(RenderError::Frames("frames of different kinds".into()));
            }
            Ok(bytes)
        };
        self.upload_texels(
            [width, height],
            frames.len(),
            (format, kind, bpp),
            bytes_of,
            palette,
        )
    }

    /// Uploads a layer drawn over images ([`DrawState::layer`](crate::DrawState::layer)):
    /// `rgba` holds, row by row, each pixel's colour premultiplied by its coverage and the
    /// coverage (8 bits each).
    pub fn upload_layer(
        &self,
        width: u32,
        height: u32,
        rgba: Vec<u8>,
    ) -> Result<GpuImage, RenderError> {
        if rgba.len() != width as usize * height as usize * 4 || width == 0 || height == 0 {
            return Err(RenderError::Frames(format!(
                "a {width} x {height} layer needs {} bytes, not {}",
                width as usize * height as usize * 4,
                rgba.len()
            )));
        }
        // (Called once per tile: an image wider than the device's textures has several.)
        self.upload_texels(
            [width, height],
            1,
            (wgpu::TextureFormat::Rgba8Unorm, TexKind::Color, 4),
            |_| Ok(rgba.clone()),
            None,
        )
    }

    /// Uploads a layer painted on the CPU (`LayerImage::paint` and the like) for
    /// [`DrawState::layer`](crate::DrawState::layer): [`upload_layer`](Self::upload_layer)
    /// of its 8-bit texels.
    pub fn upload_painted(
        &self,
        layer: &hounsfield_core::layers::composite::LayerImage,
    ) -> Result<GpuImage, RenderError> {
        self.upload_layer(layer.columns, layer.rows, layer.rgba8())
    }

    /// Uploads `count` frames of `size` whose texels `bytes_of(k)` gives, in tiles the
    /// device can hold.
    fn upload_texels(
        &self,
        [width, height]: [u32; 2],
        count: usize,
        (format, kind, bpp): (wgpu::TextureFormat, TexKind, u32),
        mut bytes_of: impl FnMut(usize) -> Result<Vec<u8>, RenderError>,
        palette: Option<&PaletteColorLut>,
    ) -> Result<GpuImage, RenderError> {
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
        let indices: Vec<usize> = (0..count).collect();
        for (c, group) in indices.chunks(max_layers).enumerate() {
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
                    let texture = crate::texture_2d(
                        &self.device,
                        "hounsfield image",
                        size,
                        format,
                        wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                    );
                    for (layer, &k) in group.iter().enumerate() {
                        let bytes = bytes_of(k)?;
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
            frames: count,
            chunks,
            palette,
            colormap: None,
            modality_table: None,
            voi_table: None,
            stale: true,
            pipeline: None,
            uploaded_bytes: uploaded,
            render_target: None,
            values: Default::default(),
        })
    }

    /// `previous` when it is an image the GPU renders into of `width` x `height`, else a
    /// new one of `format` (drawn as `kind`); with a view to render into.
    pub(crate) fn reuse_target(
        &self,
        previous: Option<GpuImage>,
        (width, height): (u32, u32),
        format: wgpu::TextureFormat,
        kind: TexKind,
    ) -> Result<(GpuImage, wgpu::TextureView), RenderError> {
        let image = match previous {
            Some(mut img) if img.size() == (width, height) && img.render_target.is_some() => {
                // Its texels are about to change.
                img.values.invalidate();
                img
            }
            _ => self.target_image(width, height, format, kind),
        };
        let view = image
            .render_target
            .as_ref()
            .ok_or_else(|| RenderError::Frames("no render target".into()))?
            .create_view(&wgpu::TextureViewDescriptor::default());
        Ok((image, view))
    }

    /// A `width` x `height` image of `format` (drawn as `kind`) the GPU renders into (one
    /// frame, one tile).
    pub(crate) fn target_image(
        &self,
        width: u32,
        height: u32,
        format: wgpu::TextureFormat,
        kind: TexKind,
    ) -> GpuImage {
        let texture = crate::texture_2d(
            &self.device,
            "hounsfield rendered image",
            wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            format,
            wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::RENDER_ATTACHMENT,
        );
        let view = texture.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            ..Default::default()
        });
        let uniforms = crate::uniform_buffer(
            &self.device,
            "hounsfield params",
            std::mem::size_of::<Params>(),
        );
        GpuImage {
            kind,
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
            colormap: None,
            modality_table: None,
            voi_table: None,
            stale: true,
            pipeline: None,
            uploaded_bytes: 0,
            render_target: Some(texture),
            values: Default::default(),
        }
    }

    /// Uploads the modality and VOI tables `state` uses when they changed, and rebuilds
    /// the bind groups then.
    pub(crate) fn update_tables(&self, image: &mut GpuImage, state: &DrawState) {
        let wanted_modality = match state.pipeline.as_ref().map(|p| &p.modality) {
            Some(ModalityLut::Table { lut, .. }) => Some(lut),
            _ => None,
        };
        // The VOI table's slot: the VOI table, a Presentation LUT table after a window, or
        // the two composed.
        let composed;
        let wanted_voi = match state
            .pipeline
            .as_ref()
            .map(|p| (&p.voi, &p.presentation_lut))
        {
            Some((Voi::Table(lut), None)) => Some(lut),
            Some((Voi::Table(lut), Some(plut))) => {
                composed = hounsfield_core::pipeline::compose_presentation(lut, plut);
                Some(&composed)
            }
            Some((Voi::Window { .. }, Some(plut))) => Some(plut),
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
        // A colour map takes the palette's slot of grey images without a palette.
        let wanted_colormap = state
            .colormap
            .filter(|_| image.palette.is_none() && state.pipeline.is_some());
        if image.colormap.as_ref().map(|c| c.0) != wanted_colormap {
            image.colormap =
                wanted_colormap.map(|m| (m, colors_texture(&self.device, &self.queue, &m.table())));
            image.stale = true;
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
            let palette = match (&image.palette, &image.colormap) {
                (Some(p), _) => &p.1,
                (None, Some(c)) => &c.1,
                (None, None) => &self.empty_palette,
            };
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
                                wgpu::BindGroupEntry {
                                    binding: 5,
                                    resource: wgpu::BindingResource::Sampler(&self.gather_sampler),
                                },
                            ],
                        }));
                }
            }
            image.stale = false;
        }
    }
}
