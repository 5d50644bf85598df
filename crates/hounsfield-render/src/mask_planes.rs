//! Segment masks placed on planes cut through a volume, on the GPU
//! (`shaders/mask_planes.wgsl`): a segmentation's frames go to the GPU once, as stacks
//! along their normals ([`FrameStack`]); each plane position then places its masks there,
//! in the [`GpuMasks`] format that [`Renderer::compose_masks`] composes. Moving a plane
//! places nothing on the CPU.

use crate::masks::GpuMasks;
use crate::{PipelineSpec, RenderError, Renderer};
use bytemuck::Zeroable;
use hounsfield_core::layers::composite::PlaneGrid;
use hounsfield_core::layers::planes::FrameStack;
use hounsfield_core::layers::segmentation::Segmentation;

const MASK_PLANES_WGSL: &str = include_str!("../shaders/mask_planes.wgsl");

/// The most bytes a segmentation's frames may take on the GPU; past it the planes' masks
/// are placed on the CPU.
pub const SEGMENT_FRAMES_BYTES: u64 = 256 << 20;

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct PlaceParams {
    origin: [f32; 3],
    columns: u32,
    column_step: [f32; 3],
    rows: u32,
    row_step: [f32; 3],
    first: u32,
    normal: [f32; 3],
    count: u32,
    label: u32,
    _pad: [u32; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct FrameInfo {
    origin: [f32; 3],
    distance: f32,
    column_step: [f32; 3],
    tolerance: f32,
    row_step: [f32; 3],
    layer: u32,
}

/// The placing pass's pipeline, built on first use.
pub(crate) struct PlacePipeline {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::RenderPipeline,
}

impl PlacePipeline {
    fn new(device: &wgpu::Device) -> PlacePipeline {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("hounsfield mask planes"),
            source: wgpu::ShaderSource::Wgsl(MASK_PLANES_WGSL.into()),
        });
        let entry = |binding, ty| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty,
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("hounsfield mask planes"),
            entries: &[
                crate::uniform_entry(
                    0,
                    wgpu::ShaderStages::FRAGMENT,
                    std::mem::size_of::<PlaceParams>(),
                ),
                entry(
                    1,
                    wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: true },
                        has_dynamic_offset: false,
                        min_binding_size: wgpu::BufferSize::new(
                            std::mem::size_of::<FrameInfo>() as u64
                        ),
                    },
                ),
                crate::fragment_texture(
                    2,
                    wgpu::TextureSampleType::Uint,
                    wgpu::TextureViewDimension::D2Array,
                ),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("hounsfield mask planes"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = PipelineSpec {
            label: "hounsfield mask planes",
            layout: &pipeline_layout,
            module: &module,
            vertex: "vs_main",
            fragment: "fs_main",
            constants: &[],
            format: wgpu::TextureFormat::R16Uint,
            blend: None,
        }
        .create(device);
        PlacePipeline { layout, pipeline }
    }
}

/// A segmentation's frames on the GPU, as stacks along their normals, from which planes
/// take their segments ([`Renderer::place_on_plane`]).
pub struct GpuSegmentFrames {
    values: wgpu::TextureView,
    frames: wgpu::Buffer,
    /// Per stack: its first frame in the table, its frame count and its normal.
    stacks: Vec<(u32, u32, [f64; 3])>,
    /// Positions are kept relative to this point.
    anchor: [f64; 3],
    /// The masks a plane takes from the stacks, with their segment numbers.
    masks: Vec<(PlaneMask, u16)>,
    /// Bytes uploaded (frame values), for reports.
    pub uploaded_bytes: u64,
}

impl GpuSegmentFrames {
    /// The masks a plane takes from a segmentation uploaded with
    /// [`Renderer::upload_segmentation`], in the order of their segment numbers
    /// (`Segmentation::plane_masks`), each with its segment number; none for frames
    /// uploaded as bare stacks.
    pub fn plane_masks(&self) -> &[(PlaneMask, u16)] {
        &self.masks
    }
}

/// One mask of a plane: the stack it comes from and, for a labelmap's stack, the segment
/// number its values must equal (0: the values are the coverage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaneMask {
    /// The stack, an index in the stacks uploaded.
    pub stack: usize,
    /// The segment number, or 0.
    pub label: u16,
}

fn f32x3(v: [f64; 3]) -> [f32; 3] {
    v.map(|c| c as f32)
}

fn minus(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

impl Renderer {
    /// Uploads a segmentation's frames once, as `stacks` arrange them: every frame of
    /// `columns` x `rows` values (`values_of(frame)`: a binary or fractional frame's
    /// coverage 0-255, a labelmap frame's segment numbers). Frames past the device's
    /// array layers or past [`SEGMENT_FRAMES_BYTES`] are refused (place those planes' masks
    /// on the CPU instead).
    pub fn upload_segment_frames(
        &self,
        (columns, rows): (u32, u32),
        stacks: &[FrameStack],
        mut values_of: impl FnMut(usize) -> Result<Vec<u16>, String>,
    ) -> Result<GpuSegmentFrames, RenderError> {
        let limits = self.device.limits();
        let count: usize = stacks.iter().map(|s| s.frames.len()).sum();
        let layers = count.max(1);
        let n = columns as usize * rows as usize;
        let bytes = (layers * n * 2) as u64;
        if columns == 0
            || rows == 0
            || columns > limits.max_texture_dimension_2d
            || rows > limits.max_texture_dimension_2d
            || layers > limits.max_texture_array_layers as usize
            || bytes > SEGMENT_FRAMES_BYTES
        {
            return Err(RenderError::TooLarge(format!(
                "{count} segment frames of {columns} x {rows} ({} MiB; the device allows {} \
                 layers of up to {} per side, the viewer {} MiB)",
                bytes >> 20,
                limits.max_texture_array_layers,
                limits.max_texture_dimension_2d,
                SEGMENT_FRAMES_BYTES >> 20
            )));
        }
        let size = wgpu::Extent3d {
            width: columns,
            height: rows,
            depth_or_array_layers: layers as u32,
        };
        let texture = crate::texture_2d(
            &self.device,
            "hounsfield segment frames",
            size,
            wgpu::TextureFormat::R16Uint,
            wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        );
        let anchor = stacks
            .iter()
            .find_map(|s| s.frames.first())
            .map_or([0.0; 3], |f| f.grid.origin);
        let mut table = Vec::with_capacity(layers);
        let mut ranges = Vec::with_capacity(stacks.len());
        for stack in stacks {
            ranges.push((table.len() as u32, stack.frames.len() as u32, stack.normal));
            for f in &stack.frames {
                let values = values_of(f.frame).map_err(RenderError::Frames)?;
                if values.len() != n {
                    return Err(RenderError::Frames(format!(
                        "segment frame {} has {} values, not {columns} x {rows}",
                        f.frame + 1,
                        values.len()
                    )));
                }
                let layer = table.len() as u32;
                self.queue.write_texture(
                    wgpu::TexelCopyTextureInfo {
                        texture: &texture,
                        mip_level: 0,
                        origin: wgpu::Origin3d {
                            x: 0,
                            y: 0,
                            z: layer,
                        },
                        aspect: wgpu::TextureAspect::All,
                    },
                    bytemuck::cast_slice(&values),
                    wgpu::TexelCopyBufferLayout {
                        offset: 0,
                        bytes_per_row: Some(columns * 2),
                        rows_per_image: Some(rows),
                    },
                    wgpu::Extent3d {
                        depth_or_array_layers: 1,
                        ..size
                    },
                );
                let origin = minus(f.grid.origin, anchor);
                table.push(FrameInfo {
                    origin: f32x3(origin),
                    distance: dot(origin, stack.normal) as f32,
                    column_step: f32x3(f.grid.column_step),
                    tolerance: f.tolerance as f32,
                    row_step: f32x3(f.grid.row_step),
                    layer,
                });
            }
        }
        if table.is_empty() {
            table.push(FrameInfo::zeroed());
        }
        let frames = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hounsfield segment frames"),
            size: std::mem::size_of_val(table.as_slice()) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue
            .write_buffer(&frames, 0, bytemuck::cast_slice(&table));
        Ok(GpuSegmentFrames {
            values: texture.create_view(&wgpu::TextureViewDescriptor {
                dimension: Some(wgpu::TextureViewDimension::D2Array),
                ..Default::default()
            }),
            frames,
            stacks: ranges,
            anchor,
            masks: Vec::new(),
            uploaded_bytes: bytes,
        })
    }

    /// Uploads `segmentation`'s frames once, as its [`frame_stacks`] arrange them, with
    /// the masks a plane takes from them ([`GpuSegmentFrames::plane_masks`]).
    ///
    /// [`frame_stacks`]: hounsfield_core::layers::segmentation::Segmentation::frame_stacks
    pub fn upload_segmentation(
        &self,
        segmentation: &Segmentation,
    ) -> Result<GpuSegmentFrames, RenderError> {
        let size = segmentation
            .file
            .image()
            .map_err(|e| RenderError::Dicom(e.to_string()))?;
        let mut frames = self.upload_segment_frames(
            (size.columns, size.rows),
            &segmentation.frame_stacks(),
            |k| segmentation.frame_values(k),
        )?;
        frames.masks = segmentation
            .plane_masks()
            .into_iter()
            .map(|(stack, label, number)| (PlaneMask { stack, label }, number))
            .collect();
        Ok(frames)
    }

    /// Places `masks` (each from an uploaded segmentation's stack) on the pixels of a
    /// `columns` x `rows` plane whose pixel (0, 0) centre and steps `plane` gives, as
    /// `Segmentation::plane_layers` places them on the CPU (in single precision: a
    /// pixel centre within about a micrometre of a frame's tolerance or of a frame pixel's
    /// edge may go the other way). Submits the work; never waits.
    pub fn place_on_plane(
        &self,
        plane: &PlaneGrid,
        (columns, rows): (u32, u32),
        masks: &[(&GpuSegmentFrames, PlaneMask)],
    ) -> Result<GpuMasks, RenderError> {
        let limits = self.device.limits();
        let layers = masks.len().max(1);
        if columns == 0
            || rows == 0
            || columns > limits.max_texture_dimension_2d
            || rows > limits.max_texture_dimension_2d
            || layers > limits.max_texture_array_layers as usize
        {
            return Err(RenderError::TooLarge(format!(
                "{} masks of a {columns} x {rows} plane",
                masks.len()
            )));
        }
        let texture = crate::texture_2d(
            &self.device,
            "hounsfield plane masks",
            wgpu::Extent3d {
                width: columns,
                height: rows,
                depth_or_array_layers: layers as u32,
            },
            wgpu::TextureFormat::R16Uint,
            wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::RENDER_ATTACHMENT,
        );
        let place = self.place.get_or_init(|| PlacePipeline::new(&self.device));
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("hounsfield plane masks"),
            });
        for (k, (frames, mask)) in masks.iter().enumerate() {
            let &(first, count, normal) = frames
                .stacks
                .get(mask.stack)
                .ok_or_else(|| RenderError::Frames(format!("no stack {} uploaded", mask.stack)))?;
            let params = PlaceParams {
                origin: f32x3(minus(plane.origin, frames.anchor)),
                columns,
                column_step: f32x3(plane.column_step),
                rows,
                row_step: f32x3(plane.row_step),
                first,
                normal: f32x3(normal),
                count,
                label: u32::from(mask.label),
                _pad: [0; 3],
            };
            let uniform = crate::uniform_buffer(
                &self.device,
                "hounsfield plane masks",
                std::mem::size_of::<PlaceParams>(),
            );
            self.queue
                .write_buffer(&uniform, 0, bytemuck::bytes_of(&params));
            let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("hounsfield plane masks"),
                layout: &place.layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: uniform.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: frames.frames.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: wgpu::BindingResource::TextureView(&frames.values),
                    },
                ],
            });
            let target = texture.create_view(&wgpu::TextureViewDescriptor {
                dimension: Some(wgpu::TextureViewDimension::D2),
                base_array_layer: k as u32,
                array_layer_count: Some(1),
                ..Default::default()
            });
            let mut pass =
                crate::clear_pass(&mut encoder, &target, [0.0; 4], "hounsfield plane masks");
            pass.set_pipeline(&place.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.draw(0..3, 0..1);
        }
        self.queue.submit([encoder.finish()]);
        let view = texture.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            ..Default::default()
        });
        Ok(self.gpu_masks(
            view,
            (columns, rows),
            (masks.len(), false),
            (columns as usize * rows as usize * layers * 2) as u64,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::masks::Composition;
    use hounsfield_core::layers::composite::Placement;
    use hounsfield_core::layers::masks::{LayerParts, MaskStyle, PlacedMasks};
    use hounsfield_core::layers::planes::StackFrame;
    use hounsfield_core::layers::segmentation::Mask;

    #[test]
    fn the_mask_planes_shader_compiles() {
        crate::test_support::assert_valid_wgsl(MASK_PLANES_WGSL, "mask_planes.wgsl");
    }

    #[test]
    fn shader_structs_match_their_rust_layout() {
        let source = MASK_PLANES_WGSL;
        let (size, _) = crate::params::wgsl_struct_layout(source, "PlaceParams");
        assert_eq!(size as usize, std::mem::size_of::<PlaceParams>());
        let (size, members) = crate::params::wgsl_struct_layout(source, "FrameInfo");
        assert_eq!(size as usize, std::mem::size_of::<FrameInfo>());
        let layer = members.iter().find(|(n, _)| n == "layer").map(|m| m.1);
        assert_eq!(layer, Some(std::mem::offset_of!(FrameInfo, layer) as u32));
    }

    /// A stack of axial frames of `columns` x `rows` at heights `z` (mm), pixel (0, 0)
    /// at (x0, y0), spacing 0.8 (columns) by 0.9 (rows), each taken within `tolerance`.
    fn stack(segment: Option<u16>, z: &[f64], first: usize, tolerance: f64) -> FrameStack {
        FrameStack {
            segment,
            normal: [0.0, 0.0, 1.0],
            frames: z
                .iter()
                .enumerate()
                .map(|(k, &z)| StackFrame {
                    frame: first + k,
                    distance: z,
                    grid: PlaneGrid {
                        origin: [-3.3, 4.1, z],
                        column_step: [0.8, 0.0, 0.0],
                        row_step: [0.0, 0.9, 0.0],
                    },
                    tolerance,
                })
                .collect(),
        }
    }

    /// Masks placed on an oblique plane by the GPU from a coverage stack and a labelmap
    /// stack (frames unevenly spaced) are, composed and drawn, what the CPU rule gives:
    /// per plane pixel, `FrameStack::nearest` frame and its pixel nearest, then the same
    /// edges and styles.
    #[test]
    fn placing_on_a_plane_on_the_gpu_follows_the_nearest_frame_rule() {
        let Some(mut gpu) = crate::headless::Headless::for_tests() else {
            return;
        };
        let (fc, fr) = (20u32, 16u32);
        // Frames 0-2: coverage (a disc growing with the frame, and a graded band); frames
        // 3-4: a labelmap (segments 2 and 3 in corners).
        let values = |k: usize| -> Vec<u16> {
            (0..fr)
                .flat_map(|y| (0..fc).map(move |x| (x, y)))
                .map(|(x, y)| {
                    let (dx, dy) = (x as i32 - 9, y as i32 - 7);
                    match k {
                        0..3 if dx * dx + dy * dy <= (16 + 12 * k as i32) => 255,
                        0..3 if y == 2 => (x * 13) as u16,
                        0..3 => 0,
                        _ => match (x < 10, y < 4) {
                            (true, true) => 2,
                            (false, false) => 3,
                            (true, false) if k == 4 => 3,
                            _ => 0,
                        },
                    }
                })
                .collect()
        };
        let stacks = [
            stack(Some(1), &[0.0, 2.5, 6.0], 0, 1.1),
            stack(None, &[1.3, 4.7], 3, 1.2),
        ];
        let frames = gpu
            .renderer()
            .upload_segment_frames((fc, fr), &stacks, |k| Ok(values(k)))
            .expect("upload");
        // An oblique plane through both stacks (no pixel centre lies within single
        // precision of a tie: a frame's tolerance, two frames as near, a pixel's edge).
        let (pc, pr) = (31u32, 23u32);
        let plane = PlaneGrid {
            origin: [-4.0713, 3.6127, -0.9318],
            column_step: [0.5317, 0.0411, 0.0493],
            row_step: [0.0207, 0.3109, 0.2893],
        };
        let sources = [(0usize, 0u16), (1, 2), (1, 3)];
        let masks: Vec<_> = sources
            .iter()
            .map(|&(stack, label)| (&frames, PlaneMask { stack, label }))
            .collect();
        let placed_gpu = gpu
            .renderer()
            .place_on_plane(&plane, (pc, pr), &masks)
            .expect("place");
        // The CPU rule.
        let cpu_masks: Vec<Mask> = sources
            .iter()
            .map(|&(s, label)| Mask {
                columns: pc,
                rows: pr,
                coverage: (0..pr)
                    .flat_map(|j| (0..pc).map(move |i| (i, j)))
                    .map(|(i, j)| {
                        let p: [f64; 3] = std::array::from_fn(|c| {
                            plane.origin[c]
                                + f64::from(i) * plane.column_step[c]
                                + f64::from(j) * plane.row_step[c]
                        });
                        let Some(f) = stacks[s].nearest(p) else {
                            return 0;
                        };
                        let rel = minus(p, f.grid.origin);
                        let along = |v: [f64; 3]| (dot(rel, v) / dot(v, v) + 0.5).floor() as i64;
                        let (mx, my) = (along(f.grid.column_step), along(f.grid.row_step));
                        if mx < 0 || my < 0 || mx >= i64::from(fc) || my >= i64::from(fr) {
                            return 0;
                        }
                        let v = values(f.frame)[(my * i64::from(fc) + mx) as usize];
                        match label {
                            0 => v.min(255) as u8,
                            l if v == l => 255,
                            _ => 0,
                        }
                    })
                    .collect(),
            })
            .collect();
        let placed_cpu = PlacedMasks::place(
            pc,
            pr,
            &cpu_masks
                .iter()
                .map(|m| (m, Placement::SameGrid))
                .collect::<Vec<_>>(),
        );
        for (k, m) in cpu_masks.iter().enumerate() {
            let on = m.coverage.iter().filter(|c| **c > 0).count();
            assert!(on > 20, "mask {k} hardly lies on the plane: {on} pixels");
        }
        let styles = vec![
            MaskStyle::new(0, [255, 40, 0], 0.45),
            MaskStyle::new(1, [0, 200, 90], 0.6),
            MaskStyle::new(2, [30, 60, 250], 0.3),
        ];
        let mut composed = gpu
            .renderer()
            .compose_masks(
                &placed_gpu,
                &Composition {
                    styles: &styles,
                    outline: true,
                    under: None,
                    over: None,
                },
                None,
            )
            .expect("compose");
        let parts = LayerParts {
            under: None,
            masks: placed_cpu,
            styles,
            outline: true,
            over: None,
        };
        let covered = crate::test_support::assert_drawn_as(
            &mut gpu,
            &mut composed,
            &parts.paint(),
            "masks placed on the plane",
        );
        assert!(covered > 100, "only {covered} pixels covered");
    }
}
