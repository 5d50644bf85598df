//! Volumes on the GPU: the voxels uploaded once as a 2D texture array (a layer a slice)
//! or a 3D texture, of integers (16-bit, exact),
//! planes resampled through them by `shaders/mpr.wgsl` into float images that the display
//! pipeline then shows like any other image (window, inversion, zoom, pan: no
//! resampling again).

pub use crate::bricks::{BrickLayout, MAX_BRICKS};
use crate::bricks::{brick_bands, brick_view_dimension, several_bricks_band, volume_textures};
use crate::{GpuImage, PipelineSpec, RenderError, Renderer, TexKind};
use bytemuck::{Pod, Zeroable};
use hounsfield_core::volume::{Sampling, SlabMode, Stack, Volume, VolumeLimits};

/// The WGSL source of the plane resampling shader.
pub(crate) const MPR_WGSL: &str = include_str!("../shaders/mpr.wgsl");

/// The plane resampling shader for volume textures of `sample_type` (`u32`, `i32`, `f32`),
/// 2D arrays when `layered`, else 3D.
pub(crate) fn mpr_shader(sample_type: &str, layered: bool) -> String {
    let (texture, load) = if layered {
        ("texture_2d_array", "textureLoad(t, p.xy, p.z, 0)")
    } else {
        ("texture_3d", "textureLoad(t, p, 0)")
    };
    MPR_WGSL
        .replace("SAMPLE_TYPE", sample_type)
        .replace("VOLUME_TEXTURE", texture)
        .replace("VOLUME_LOAD", load)
}

/// The uniform block `MprParams` of `shaders/mpr.wgsl`, field for field.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable, PartialEq)]
pub(crate) struct MprParams {
    pub column: [f32; 4],
    pub row: [f32; 4],
    pub distance: [f32; 4],
    pub end_margin: [f32; 2],
    pub uniform_spacing: f32,
    pub slices: u32,
    pub columns: u32,
    pub rows: u32,
    pub samples: u32,
    pub ascending: u32,
    pub has_padding: u32,
    pub brick_slices: u32,
    pub bricks: u32,
    pub _pad0: u32,
    pub padding: [f32; 2],
    pub offset_range: [f32; 2],
}

/// Most slab samples the shader takes.
pub(crate) const MAX_SLAB_SAMPLES: usize = 512;

/// A volume on the GPU.
pub struct GpuVolume {
    kind: TexKind,
    /// 2D texture arrays rather than 3D textures.
    layered: bool,
    columns: u32,
    rows: u32,
    slices: u32,
    /// How its slices are split into bricks.
    layout: BrickLayout,
    uniform: bool,
    /// Every brick (for slabs).
    bind_group: wgpu::BindGroup,
    /// Per brick, the bind group of its own pass (thin planes of a bricked volume).
    brick_groups: Vec<wgpu::BindGroup>,
    params: wgpu::Buffer,
    offsets: wgpu::Buffer,
    /// Bytes uploaded (voxels), for reports.
    pub uploaded_bytes: u64,
}

impl GpuVolume {
    /// Columns, rows and slices.
    pub fn size(&self) -> (u32, u32, u32) {
        (self.columns, self.rows, self.slices)
    }

    /// The textures the volume is split into (1 when it fits in one).
    pub fn bricks(&self) -> u32 {
        self.layout.bricks
    }

    /// Whether its textures are 2D arrays (a layer a slice) rather than 3D textures.
    pub fn layered(&self) -> bool {
        self.layered
    }
}

/// A volume going to the GPU a part at a time
/// ([`Renderer::begin_volume_upload`](crate::Renderer::begin_volume_upload)), so that a
/// viewer keeps drawing while a large volume goes up.
pub struct VolumeUpload {
    textures: Vec<wgpu::Texture>,
    layered: bool,
    format: wgpu::TextureFormat,
    kind: TexKind,
    /// Columns, rows, slices.
    size: [u32; 3],
    bpp: u32,
    layout: BrickLayout,
    /// The next slice to write.
    next: u32,
    bytes: u64,
}

impl VolumeUpload {
    /// Slices written so far, and in all.
    pub fn progress(&self) -> (u32, u32) {
        (self.next, self.size[2])
    }
}

/// The planes' bind group layout, pipeline layout and shader for one kind of volume.
type MprLayout = (
    wgpu::BindGroupLayout,
    wgpu::PipelineLayout,
    wgpu::ShaderModule,
);

/// What selects a planes pipeline: see [`MprPipelines::cache`].
type MprKey = (TexKind, bool, u32, u32, u32);

pub(crate) struct MprPipelines {
    device: wgpu::Device,
    /// Per texture kind ([`TexKind::index`]; volumes are Uint, Sint or Float), 3D then
    /// layered, built when a volume of that kind is first drawn.
    layouts: [[std::sync::OnceLock<MprLayout>; 2]; TexKind::ALL.len()],
    /// By texture kind, layered, slab mode, uniform spacing and bricked.
    cache: std::sync::Mutex<std::collections::HashMap<MprKey, wgpu::RenderPipeline>>,
}

impl MprPipelines {
    pub(crate) fn new(device: &wgpu::Device) -> MprPipelines {
        MprPipelines {
            device: device.clone(),
            layouts: Default::default(),
            cache: Default::default(),
        }
    }

    fn build(device: &wgpu::Device, kind: TexKind, layered: bool) -> MprLayout {
        let (sample_type, _) = kind.shader();
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("hounsfield mpr"),
            source: wgpu::ShaderSource::Wgsl(mpr_shader(sample_type, layered).into()),
        });
        let volume = brick_view_dimension(layered);
        let uniform =
            |binding, size| crate::uniform_entry(binding, wgpu::ShaderStages::FRAGMENT, size);
        let texture = crate::fragment_texture;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("hounsfield mpr"),
            entries: &[
                uniform(0, std::mem::size_of::<MprParams>()),
                texture(1, kind.sample_type(), volume),
                texture(
                    2,
                    wgpu::TextureSampleType::Float { filterable: false },
                    wgpu::TextureViewDimension::D2,
                ),
                uniform(3, MAX_SLAB_SAMPLES * 4),
                texture(4, kind.sample_type(), volume),
                texture(5, kind.sample_type(), volume),
                texture(6, kind.sample_type(), volume),
                uniform(7, 16),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("hounsfield mpr"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        (layout, pipeline_layout, module)
    }

    fn layout(&self, kind: TexKind, layered: bool) -> &MprLayout {
        // Volumes are grey: Uint, Sint or Float.
        let kind = match kind {
            TexKind::Sint | TexKind::Float => kind,
            _ => TexKind::Uint,
        };
        self.layouts[kind.index()][usize::from(layered)]
            .get_or_init(|| Self::build(&self.device, kind, layered))
    }

    fn pipeline(
        &self,
        (kind, layered): (TexKind, bool),
        slab: u32,
        uniform: u32,
        bricked: u32,
    ) -> wgpu::RenderPipeline {
        let key = (kind, layered, slab, uniform, bricked);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.get(&key) {
            return p.clone();
        }
        let (_, layout, module) = self.layout(kind, layered);
        let constants = [
            ("SLAB_MODE", f64::from(slab)),
            ("UNIFORM", f64::from(uniform)),
            ("BRICKED", f64::from(bricked)),
        ];
        let pipeline = PipelineSpec {
            label: "hounsfield mpr",
            layout,
            module,
            vertex: "vs_main",
            fragment: "fs_main",
            constants: &constants,
            format: wgpu::TextureFormat::R32Float,
            blend: None,
        }
        .create(&self.device);
        cache.insert(key, pipeline.clone());
        pipeline
    }
}

fn slice_table_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    stack: &Stack,
) -> wgpu::TextureView {
    let table = stack.slice_table();
    let rows = table.len().div_ceil(256).max(1);
    let mut data = vec![0f32; rows * 256 * 4];
    for (k, e) in table.iter().enumerate() {
        data[4 * k..4 * k + 3].copy_from_slice(e);
    }
    let size = wgpu::Extent3d {
        width: 256,
        height: rows as u32,
        depth_or_array_layers: 1,
    };
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("hounsfield slice table"),
        size,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba32Float,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    queue.write_texture(
        texture.as_image_copy(),
        bytemuck::cast_slice(&data),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(256 * 16),
            rows_per_image: Some(rows as u32),
        },
        size,
    );
    texture.create_view(&wgpu::TextureViewDescriptor::default())
}

/// The most texel bytes a volume upload queues before it submits them and waits.
const STAGING_BYTES: usize = 32 << 20;

impl Renderer {
    /// Submits the queued writes and waits until the device has done them (natively; in
    /// the browser the writes are the browser's to schedule).
    fn flush_writes(&self) {
        let index = self.queue.submit(std::iter::empty());
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = self.device.poll(wgpu::PollType::Wait {
                submission_index: Some(index),
                timeout: Some(std::time::Duration::from_secs(60)),
            });
        }
        #[cfg(target_arch = "wasm32")]
        let _ = index;
    }

    /// The largest volume [`upload_volume`](Self::upload_volume) takes on any device: the
    /// device's largest 3D texture side in columns and rows, and in slices what
    /// [`MAX_BRICKS`] such textures hold, sharing a slice each ([`BrickLayout`]; as 2D
    /// texture arrays where the device's arrays hold it).
    /// Larger volumes are shown reduced ([`Volume::reduced`],
    /// [`Volume::within`]).
    pub fn volume_limits(&self) -> VolumeLimits {
        let max = self.device.limits().max_texture_dimension_3d;
        VolumeLimits {
            max_columns: max,
            max_rows: max,
            max_slices: max.saturating_sub(1).saturating_mul(MAX_BRICKS) + 1,
            max_bytes: None,
        }
    }

    /// Uploads the voxels of `volume` once, as 2D texture arrays (a layer a slice) or 3D
    /// textures (`R16Uint`, `R16Sint` or `R32Float`; one, or up to [`MAX_BRICKS`] bricks
    /// of consecutive slices, each sharing its last slice with the next, when the volume
    /// is deeper than the device's textures), with
    /// its slice table. A viewer
    /// that must keep drawing meanwhile uploads a part at a time
    /// ([`begin_volume_upload`](Self::begin_volume_upload)).
    pub fn upload_volume(&self, volume: &Volume) -> Result<GpuVolume, RenderError> {
        let mut upload = self.begin_volume_upload(volume)?;
        loop {
            if let Some(gpu) = self.continue_volume_upload(&mut upload, volume, usize::MAX)? {
                return Ok(gpu);
            }
        }
    }

    /// Begins the upload of `volume` (see [`upload_volume`](Self::upload_volume)): checks
    /// that the device takes it and creates its textures; its slices go up with
    /// [`continue_volume_upload`](Self::continue_volume_upload).
    ///
    /// ```no_run
    /// # fn show(renderer: &hounsfield_render::Renderer, volume: &hounsfield_core::volume::Volume)
    /// # -> Result<(), hounsfield_render::RenderError> {
    /// let mut upload = renderer.begin_volume_upload(volume)?;
    /// let gpu = loop {
    ///     // About 32 MiB a frame; the viewer draws between the parts.
    ///     if let Some(gpu) = renderer.continue_volume_upload(&mut upload, volume, 32 << 20)? {
    ///         break gpu;
    ///     }
    ///     let (done, all) = upload.progress();
    ///     println!("{done} of {all} slices on the GPU");
    /// };
    /// # let _ = gpu; Ok(()) }
    /// ```
    pub fn begin_volume_upload(&self, volume: &Volume) -> Result<VolumeUpload, RenderError> {
        let s = &volume.stack;
        let (w, h, n) = (s.columns, s.rows, s.slices.len() as u32);
        let limits = self.device.limits();
        let max = limits.max_texture_dimension_3d;
        if n == 0 {
            return Err(RenderError::Frames("a volume without slices".into()));
        }
        let Some((layered, layout)) = volume_textures(&limits, [w, h, n]) else {
            return Err(RenderError::TooLarge(format!(
                "a {w} x {h} x {n} volume (the device's 3D textures stop at {max} per side, \
                 {MAX_BRICKS} bricks of slices at most)"
            )));
        };
        let (format, kind) = if volume.data.is_modality_values() {
            (wgpu::TextureFormat::R32Float, TexKind::Float)
        } else if volume.data.is_signed() {
            (wgpu::TextureFormat::R16Sint, TexKind::Sint)
        } else {
            (wgpu::TextureFormat::R16Uint, TexKind::Uint)
        };
        let bpp = format.block_copy_size(None).unwrap_or(2);
        let bytes = volume.data.bytes() as u64;
        if bytes != u64::from(w) * u64::from(h) * u64::from(n) * u64::from(bpp) {
            return Err(RenderError::Frames(
                "the voxels do not fill the volume".into(),
            ));
        }
        let textures: Vec<wgpu::Texture> = (0..layout.bricks)
            .map(|b| {
                let (_, depth) = layout.slices_of(b, n);
                self.volume_texture("hounsfield volume", format, [w, h, depth], layered)
            })
            .collect();
        Ok(VolumeUpload {
            textures,
            layered,
            format,
            kind,
            size: [w, h, n],
            bpp,
            layout,
            next: 0,
            bytes,
        })
    }

    /// Writes the next slices of `upload`'s volume (`volume`, the one it began with):
    /// about `bytes` of them (one slice at least), waiting until the device has them.
    /// Returns the volume on the GPU once its last slice is written, None before.
    pub fn continue_volume_upload(
        &self,
        upload: &mut VolumeUpload,
        volume: &Volume,
        bytes: usize,
    ) -> Result<Option<GpuVolume>, RenderError> {
        let [w, h, n] = upload.size;
        if volume.stack.slices.len() as u32 != n
            || volume.stack.columns != w
            || volume.stack.rows != h
        {
            return Err(RenderError::Frames(
                "the volume is not the one whose upload began".into(),
            ));
        }
        // Slice by slice: one write per slice keeps staging buffers small, and every
        // STAGING_BYTES the writes are submitted and waited for, so that their staging
        // memory is freed before the next (queued writes otherwise hold a copy of the
        // whole volume until the next submission: on a CPU device, in the process).
        let slice_bytes = (w * h * upload.bpp) as usize;
        let per = (w * h) as usize;
        let (mut staged, mut written) = (0usize, 0usize);
        while upload.next < n && (written == 0 || written < bytes) {
            let k = upload.next;
            let slice = volume.data.slice(k as usize, per).as_bytes();
            if slice.len() != slice_bytes {
                return Err(RenderError::Frames(format!(
                    "slice {} of the volume has {} bytes, not {slice_bytes}",
                    k + 1,
                    slice.len()
                )));
            }
            if staged >= STAGING_BYTES {
                self.flush_writes();
                staged = 0;
            }
            staged += slice_bytes;
            written += slice_bytes;
            // Into each brick that holds it (a brick's first slice is the last of the one
            // before).
            for (b, texture) in upload.textures.iter().enumerate() {
                let (first, count) = upload.layout.slices_of(b as u32, n);
                if k < first || k >= first + count {
                    continue;
                }
                self.queue.write_texture(
                    wgpu::TexelCopyTextureInfo {
                        texture,
                        mip_level: 0,
                        origin: wgpu::Origin3d {
                            x: 0,
                            y: 0,
                            z: k - first,
                        },
                        aspect: wgpu::TextureAspect::All,
                    },
                    slice,
                    wgpu::TexelCopyBufferLayout {
                        offset: 0,
                        bytes_per_row: Some(w * upload.bpp),
                        rows_per_image: Some(h),
                    },
                    wgpu::Extent3d {
                        width: w,
                        height: h,
                        depth_or_array_layers: 1,
                    },
                );
            }
            upload.next += 1;
        }
        self.flush_writes();
        if upload.next < n {
            return Ok(None);
        }
        self.finish_volume_upload(upload, volume).map(Some)
    }

    fn volume_texture(
        &self,
        label: &str,
        format: wgpu::TextureFormat,
        [width, height, depth]: [u32; 3],
        layered: bool,
    ) -> wgpu::Texture {
        self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: depth,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: if layered {
                wgpu::TextureDimension::D2
            } else {
                wgpu::TextureDimension::D3
            },
            format,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        })
    }

    /// The bricks' views, the slice table and the bind group of an uploaded volume.
    fn finish_volume_upload(
        &self,
        upload: &mut VolumeUpload,
        volume: &Volume,
    ) -> Result<GpuVolume, RenderError> {
        let s = &volume.stack;
        let [w, h, n] = upload.size;
        let textures = std::mem::take(&mut upload.textures);
        let bricks = textures.len() as u32;
        let unused = (bricks < MAX_BRICKS).then(|| {
            self.volume_texture(
                "hounsfield no brick",
                upload.format,
                [1, 1, 1],
                upload.layered,
            )
        });
        // An array's view is an array also when a brick has one slice.
        let view = wgpu::TextureViewDescriptor {
            dimension: Some(brick_view_dimension(upload.layered)),
            ..Default::default()
        };
        let views: Vec<wgpu::TextureView> = (0..MAX_BRICKS as usize)
            .map(|b| {
                textures
                    .get(b)
                    .or(unused.as_ref())
                    .map(|t| t.create_view(&view))
            })
            .collect::<Option<_>>()
            .ok_or_else(|| RenderError::Frames("no brick texture".into()))?;
        let table = slice_table_texture(&self.device, &self.queue, s);
        let uniform = |label, size| crate::uniform_buffer(&self.device, label, size);
        let params = uniform("hounsfield mpr params", std::mem::size_of::<MprParams>());
        let offsets = uniform("hounsfield slab offsets", MAX_SLAB_SAMPLES * 4);
        let (layout, _, _) = self.mpr.layout(upload.kind, upload.layered);
        // `volumes`: the views bound as volume0..3; `pass`: the brick a pass draws.
        let group = |volumes: [&wgpu::TextureView; 4], pass: u32| {
            let pass_buffer = uniform("hounsfield mpr brick", 16);
            self.queue
                .write_buffer(&pass_buffer, 0, bytemuck::bytes_of(&[pass, 0, 0, 0]));
            let view = |binding, v| wgpu::BindGroupEntry {
                binding,
                resource: wgpu::BindingResource::TextureView(v),
            };
            self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("hounsfield mpr"),
                layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: params.as_entire_binding(),
                    },
                    view(1, volumes[0]),
                    view(2, &table),
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: offsets.as_entire_binding(),
                    },
                    view(4, volumes[1]),
                    view(5, volumes[2]),
                    view(6, volumes[3]),
                    wgpu::BindGroupEntry {
                        binding: 7,
                        resource: pass_buffer.as_entire_binding(),
                    },
                ],
            })
        };
        let bind_group = group([&views[0], &views[1], &views[2], &views[3]], 0);
        let brick_groups = if bricks > 1 {
            (0..bricks as usize)
                .map(|b| group([&views[b]; 4], b as u32))
                .collect()
        } else {
            Vec::new()
        };
        Ok(GpuVolume {
            kind: upload.kind,
            layered: upload.layered,
            columns: w,
            rows: h,
            slices: n,
            layout: upload.layout,
            uniform: s.uniform(),
            bind_group,
            brick_groups,
            params,
            offsets,
            uploaded_bytes: upload.bytes,
        })
    }

    /// Resamples a `columns` x `rows` plane through `volume` as `sampling` describes
    /// (from [`Volume::sampling`] or [`Stack::sampling`]) into a float image for
    /// [`prepare`](Self::prepare) / [`draw`](Self::draw) with the volume's Modality LUT.
    /// Reuses `previous`' texture when the size matches. Submits the work; never waits.
    pub fn resample(
        &self,
        volume: &GpuVolume,
        sampling: &Sampling,
        mode: Option<SlabMode>,
        (columns, rows): (u32, u32),
        previous: Option<GpuImage>,
    ) -> Result<GpuImage, RenderError> {
        let max = self.device.limits().max_texture_dimension_2d;
        if columns == 0 || rows == 0 || columns > max || rows > max {
            return Err(RenderError::TooLarge(format!(
                "a {columns} x {rows} plane (the device allows 1 to {max} per side)"
            )));
        }
        if sampling.slices.len() != volume.slices as usize {
            return Err(RenderError::Frames(
                "the sampling is for another volume".into(),
            ));
        }
        let slab = slab_mode_of(mode);
        let samples = sampling.slab_offsets.len().clamp(1, MAX_SLAB_SAMPLES);
        let used = &sampling.slab_offsets[..samples.min(sampling.slab_offsets.len())];
        let offset_range = if slab == 0 {
            [0.0, 0.0]
        } else {
            used.iter()
                .fold([f32::INFINITY, f32::NEG_INFINITY], |[lo, hi], &o| {
                    [lo.min(o), hi.max(o)]
                })
        };
        let p = MprParams {
            column: sampling.column,
            row: sampling.row,
            distance: sampling.distance,
            end_margin: sampling.end_margin,
            uniform_spacing: sampling.uniform_spacing,
            slices: volume.slices,
            columns: volume.columns,
            rows: volume.rows,
            samples: samples as u32,
            ascending: u32::from(sampling.ascending),
            has_padding: u32::from(sampling.padding.is_some()),
            brick_slices: volume.layout.step,
            bricks: volume.layout.bricks,
            padding: sampling.padding.unwrap_or([0.0, 0.0]),
            offset_range,
            ..MprParams::zeroed()
        };
        self.queue
            .write_buffer(&volume.params, 0, bytemuck::bytes_of(&p));
        let mut offsets = vec![0f32; MAX_SLAB_SAMPLES];
        offsets[..samples].copy_from_slice(&sampling.slab_offsets[..samples]);
        self.queue
            .write_buffer(&volume.offsets, 0, bytemuck::cast_slice(&offsets));
        let uniform = u32::from(volume.uniform && sampling.uniform_spacing > 0.0);
        let (mut image, target) = self.reuse_target(
            previous,
            (columns, rows),
            wgpu::TextureFormat::R32Float,
            TexKind::Float,
        )?;
        let pipeline = |bricked| {
            self.mpr
                .pipeline((volume.kind, volume.layered), slab, uniform, bricked)
        };
        if volume.layout.bricks == 1 {
            self.draw_full_target(
                &target,
                [0.0, 0.0, 0.0, 1.0],
                (&pipeline(0), &volume.bind_group),
                "hounsfield mpr",
            );
        } else {
            // A pass per brick over the pixels whose samples all lie in it, then one over
            // those whose slab samples lie in several (each voxel from its brick; it may
            // draw pixels of one brick again, with the same values). The samples lie
            // `reach` (least, greatest) from the pixel's distance along the slices.
            let along = offset_range.map(|o| f64::from(o) * f64::from(sampling.distance[3]));
            let reach = [along[0].min(along[1]), along[0].max(along[1])];
            let size = (columns, rows);
            let bands = brick_bands(sampling, size, volume.layout, reach);
            let several = several_bricks_band(sampling, size, volume.layout, reach);
            let per_brick = pipeline(2);
            let per_voxel = several.map(|_| pipeline(1));
            self.submit_pass(&target, [0.0, 0.0, 0.0, 1.0], "hounsfield mpr", |pass| {
                pass.set_pipeline(&per_brick);
                for (group, band) in volume.brick_groups.iter().zip(bands) {
                    let Some([x, y, w, h]) = band else { continue };
                    pass.set_scissor_rect(x, y, w, h);
                    pass.set_bind_group(0, group, &[]);
                    pass.draw(0..3, 0..1);
                }
                if let (Some([x, y, w, h]), Some(per_voxel)) = (several, &per_voxel) {
                    pass.set_pipeline(per_voxel);
                    pass.set_scissor_rect(x, y, w, h);
                    pass.set_bind_group(0, &volume.bind_group, &[]);
                    pass.draw(0..3, 0..1);
                }
            });
        }
        image.stale = true;
        Ok(image)
    }
}

/// The shader's SLAB_MODE of `mode`.
fn slab_mode_of(mode: Option<SlabMode>) -> u32 {
    match mode {
        None => 0,
        Some(SlabMode::Mip) => 1,
        Some(SlabMode::MinIp) => 2,
        Some(SlabMode::Mean) => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpr_params_match_the_shader_layout() {
        let (size, members) =
            crate::params::wgsl_struct_layout(&mpr_shader("i32", true), "MprParams");
        assert_eq!(size as usize, std::mem::size_of::<MprParams>());
        let rust = [
            ("column", std::mem::offset_of!(MprParams, column)),
            ("row", std::mem::offset_of!(MprParams, row)),
            ("distance", std::mem::offset_of!(MprParams, distance)),
            ("end_margin", std::mem::offset_of!(MprParams, end_margin)),
            (
                "uniform_spacing",
                std::mem::offset_of!(MprParams, uniform_spacing),
            ),
            ("slices", std::mem::offset_of!(MprParams, slices)),
            ("columns", std::mem::offset_of!(MprParams, columns)),
            ("rows", std::mem::offset_of!(MprParams, rows)),
            ("samples", std::mem::offset_of!(MprParams, samples)),
            ("ascending", std::mem::offset_of!(MprParams, ascending)),
            ("has_padding", std::mem::offset_of!(MprParams, has_padding)),
            (
                "brick_slices",
                std::mem::offset_of!(MprParams, brick_slices),
            ),
            ("bricks", std::mem::offset_of!(MprParams, bricks)),
            ("_pad0", std::mem::offset_of!(MprParams, _pad0)),
            ("padding", std::mem::offset_of!(MprParams, padding)),
            (
                "offset_range",
                std::mem::offset_of!(MprParams, offset_range),
            ),
        ];
        assert_eq!(members.len(), rust.len());
        for ((wname, woff), (rname, roff)) in members.iter().zip(rust) {
            assert_eq!(wname, rname, "field order");
            assert_eq!(*woff as usize, roff, "offset of {rname}");
        }
    }

    #[test]
    fn every_mpr_variant_compiles() {
        for t in ["u32", "i32", "f32"] {
            for layered in [false, true] {
                crate::test_support::assert_valid_wgsl(&mpr_shader(t, layered), t);
            }
        }
    }
}
