//! Slice stacks: slices ordered along their normal, with what the ordering met (spacing,
//! gaps, duplicates, tilt).

use super::*;

/// One slice candidate: a frame of an instance with its geometry.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StackInput {
    /// Index of the instance (in the caller's list) and frame.
    pub instance: usize,
    /// Frame of the instance (0 for single-frame objects).
    pub frame: usize,
    /// File name, for messages.
    pub name: String,
    /// Image Position (Patient) of the frame: centre of its first pixel (mm).
    pub position: Option<[f64; 3]>,
    /// Image Orientation (Patient): row direction, then column direction.
    pub orientation: Option<[f64; 6]>,
    /// Pixel Spacing: between rows, between columns (mm).
    pub pixel_spacing: Option<[f64; 2]>,
    /// Rows (0028,0010).
    pub rows: u32,
    /// Columns (0028,0011).
    pub columns: u32,
    /// Its stack and time point, as its file says ([`Dimensions`](crate::dimensions::Dimensions)).
    pub dimensions: FrameDimensions,
}

impl StackInput {
    /// One input per frame of `file`: per-frame geometry of enhanced objects, else the
    /// instance's, with positions stepped by Spacing Between Slices for classic
    /// multi-frame files that give one position.
    pub fn from_file(instance: usize, file: &DicomFile) -> Vec<StackInput> {
        let Ok(image) = file.image() else {
            return Vec::new();
        };
        let frames = image.number_of_frames as usize;
        let mut dimensions = FrameDimensions::of_file(file, frames).into_iter();
        let first = file.geometry(0);
        let per_frame = file
            .attributes()
            .items(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .is_some_and(|items| items.len() == frames);
        let step = file
            .attributes()
            .float(tags::SPACING_BETWEEN_SLICES, "Spacing Between Slices")
            .ok()
            .flatten()
            .filter(|s| s.is_finite() && *s != 0.0);
        (0..frames)
            .map(|f| {
                let g = if per_frame && f > 0 {
                    file.geometry(f)
                } else {
                    first.clone()
                };
                let mut position = g.image_position_patient;
                if !per_frame && f > 0 {
                    // A classic multi-frame object with one position: frames follow the
                    // normal at Spacing Between Slices, or have no position of their own.
                    position = match (position, step, normal_of(g.image_orientation_patient)) {
                        (Some(p), Some(s), Some(n)) => Some([
                            p[0] + f as f64 * s * n[0],
                            p[1] + f as f64 * s * n[1],
                            p[2] + f as f64 * s * n[2],
                        ]),
                        _ => None,
                    };
                }
                StackInput {
                    instance,
                    frame: f,
                    name: file.name().to_string(),
                    position,
                    orientation: g.image_orientation_patient,
                    pixel_spacing: g.pixel_spacing,
                    rows: image.rows,
                    columns: image.columns,
                    dimensions: dimensions.next().unwrap_or_default(),
                }
            })
            .collect()
    }
}

fn normal_of(o: Option<[f64; 6]>) -> Option<[f64; 3]> {
    let o = o?;
    normalize(cross([o[0], o[1], o[2]], [o[3], o[4], o[5]]))
}

/// One slice of a stack, in order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StackSlice {
    /// Index of the instance (in the caller's list).
    pub instance: usize,
    /// Frame of the instance.
    pub frame: usize,
    /// Image Position (Patient) of the slice (mm).
    pub position: [f64; 3],
    /// Position along the normal (mm).
    pub distance: f64,
}

/// What assembling a stack found.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StackReport {
    /// Slices in the stack.
    pub slices: usize,
    /// Smallest and largest distance between neighbouring slices (mm).
    pub spacing: Option<(f64, f64)>,
    /// Angle between the slice normal and the line through the slice positions
    /// (gantry tilt, degrees).
    pub tilt_degrees: f64,
    /// Problems met, for people.
    pub warnings: Vec<String>,
}

/// Slices of one orientation and size, ordered along their normal.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stack {
    /// Columns of every slice.
    pub columns: u32,
    /// Rows of every slice.
    pub rows: u32,
    /// Direction of a row (increasing column index), unit vector.
    pub row_direction: [f64; 3],
    /// Direction of a column (increasing row index), unit vector.
    pub column_direction: [f64; 3],
    /// Row direction x column direction.
    pub normal: [f64; 3],
    /// Between rows, between columns (mm).
    pub pixel_spacing: [f64; 2],
    /// The slices, ordered along the normal.
    pub slices: Vec<StackSlice>,
    /// What assembling the stack found.
    pub report: StackReport,
}

/// The most pixels a side of a plane ([`Stack::plane`]): every GPU's 2D textures hold
/// that many (WebGPU's default limit).
pub const MAX_PLANE_SIDE: u32 = 8192;

/// Positions closer than this along the normal are the same (mm).
const DUPLICATE_MM: f64 = 0.01;

impl Stack {
    /// Orders `inputs` (all of one orientation and size) along the slice normal. Fails
    /// when a slice lacks a position or the orientation is unusable (the images are then
    /// 2D only).
    pub fn assemble(inputs: &[StackInput]) -> Result<Stack, String> {
        let first = inputs.first().ok_or("no slices")?;
        let o = first
            .orientation
            .ok_or("no Image Orientation (Patient): 2D only")?;
        let row = normalize([o[0], o[1], o[2]]).ok_or("Image Orientation (Patient) is zero")?;
        let col = normalize([o[3], o[4], o[5]]).ok_or("Image Orientation (Patient) is zero")?;
        let normal = normalize(cross(row, col))
            .ok_or("Image Orientation (Patient): row and column are parallel")?;
        let spacing = first.pixel_spacing.unwrap_or([1.0, 1.0]);
        if !(spacing[0] > 0.0 && spacing[1] > 0.0) {
            return Err(format!("Pixel Spacing {spacing:?} is not positive"));
        }
        let mut warnings = Vec::new();
        if first.pixel_spacing.is_none() {
            warnings.push("no Pixel Spacing: 1 mm assumed".to_string());
        }
        let mut slices = Vec::with_capacity(inputs.len());
        for (k, s) in inputs.iter().enumerate() {
            if (s.rows, s.columns) != (first.rows, first.columns) {
                return Err(format!(
                    "{}: {} x {} among {} x {} slices",
                    s.name, s.columns, s.rows, first.columns, first.rows
                ));
            }
            let p = s
                .position
                .ok_or_else(|| format!("{}: no Image Position (Patient): 2D only", s.name))?;
            if !p.iter().all(|v| v.is_finite()) {
                return Err(format!(
                    "{}: Image Position (Patient) is not finite",
                    s.name
                ));
            }
            slices.push((
                k,
                StackSlice {
                    instance: s.instance,
                    frame: s.frame,
                    position: p,
                    distance: dot(p, normal),
                },
            ));
        }
        slices.sort_by(|a, b| a.1.distance.total_cmp(&b.1.distance).then(a.0.cmp(&b.0)));
        // Duplicate positions: keep the first in input order.
        let mut kept: Vec<(usize, StackSlice)> = Vec::with_capacity(slices.len());
        for (k, s) in slices {
            match kept.last() {
                Some((kk, last)) if (s.distance - last.distance).abs() < DUPLICATE_MM => {
                    warnings.push(format!(
                        "duplicate position {:.2} mm along the normal: {} frame {} kept, {} frame {} left out",
                        s.distance,
                        inputs[*kk].name,
                        inputs[*kk].frame + 1,
                        inputs[k].name,
                        inputs[k].frame + 1
                    ));
                }
                _ => kept.push((k, s)),
            }
        }
        let slices: Vec<StackSlice> = kept.into_iter().map(|(_, s)| s).collect();
        let gaps: Vec<f64> = slices
            .windows(2)
            .map(|w| w[1].distance - w[0].distance)
            .collect();
        let spacing_range = gaps.iter().fold(None, |acc: Option<(f64, f64)>, &g| {
            Some(acc.map_or((g, g), |(lo, hi)| (lo.min(g), hi.max(g))))
        });
        if let Some((lo, hi)) = spacing_range
            && hi - lo > 0.01 * hi
        {
            warnings.push(format!(
                "variable slice spacing, {lo:.2} to {hi:.2} mm: planes are computed at each slice's own position"
            ));
        }
        for (k, &g) in gaps.iter().enumerate() {
            let neighbours = [k.checked_sub(1).map(|j| gaps[j]), gaps.get(k + 1).copied()];
            let near = neighbours.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
            if near > 0.0 && g >= 1.8 * near {
                warnings.push(format!(
                    "gap: {g:.2} mm between slices {} and {} where neighbours are {near:.2} mm apart (missing slices?)",
                    k + 1,
                    k + 2
                ));
            }
        }
        let tilt_degrees = match (slices.first(), slices.last()) {
            (Some(a), Some(b)) if slices.len() > 1 => {
                let axis = [
                    b.position[0] - a.position[0],
                    b.position[1] - a.position[1],
                    b.position[2] - a.position[2],
                ];
                normalize(axis).map_or(0.0, |axis| {
                    dot(axis, normal).abs().clamp(0.0, 1.0).acos().to_degrees()
                })
            }
            _ => 0.0,
        };
        if tilt_degrees > 0.05 {
            warnings.push(format!(
                "gantry tilt {tilt_degrees:.2} degrees (sheared stack): planes are computed in patient coordinates"
            ));
        }
        if slices.len() == 1 {
            warnings.push("a single slice: 2D only".to_string());
        }
        Ok(Stack {
            columns: first.columns,
            rows: first.rows,
            row_direction: row,
            column_direction: col,
            normal,
            pixel_spacing: spacing,
            report: StackReport {
                slices: slices.len(),
                spacing: spacing_range,
                tilt_degrees,
                warnings,
            },
            slices,
        })
    }

    /// The standard plane the slices are closest to (`axial`, `sagittal` or `coronal`)
    /// and the angle between the slice normal and that plane's axis (degrees).
    pub fn acquisition_plane(&self) -> (&'static str, f64) {
        let n = self.normal.map(f64::abs);
        let (axis, largest) =
            n.iter().enumerate().fold(
                (0, 0.0),
                |acc, (i, &x)| if x > acc.1 { (i, x) } else { acc },
            );
        (
            ["sagittal", "coronal", "axial"][axis],
            largest.clamp(0.0, 1.0).acos().to_degrees(),
        )
    }

    /// Whether the slices are equally spaced (within 0.1% of the spacing).
    pub fn uniform(&self) -> bool {
        self.report
            .spacing
            .is_some_and(|(lo, hi)| hi - lo <= 1e-3 * hi)
    }

    /// The patient position of voxel (column, row) of slice `k` (pixel centres).
    pub fn voxel_position(&self, column: f64, row: f64, k: usize) -> [f64; 3] {
        let p = self.slices[k].position;
        let (dc, dr) = (column * self.pixel_spacing[1], row * self.pixel_spacing[0]);
        [
            p[0] + dc * self.row_direction[0] + dr * self.column_direction[0],
            p[1] + dc * self.row_direction[1] + dr * self.column_direction[1],
            p[2] + dc * self.row_direction[2] + dr * self.column_direction[2],
        ]
    }

    /// The centre of the volume (mm).
    pub fn center(&self) -> [f64; 3] {
        let n = self.slices.len().max(1) - 1;
        let a = self.voxel_position(
            (f64::from(self.columns) - 1.0) / 2.0,
            (f64::from(self.rows) - 1.0) / 2.0,
            0,
        );
        let b = self.voxel_position(
            (f64::from(self.columns) - 1.0) / 2.0,
            (f64::from(self.rows) - 1.0) / 2.0,
            n,
        );
        [
            (a[0] + b[0]) / 2.0,
            (a[1] + b[1]) / 2.0,
            (a[2] + b[2]) / 2.0,
        ]
    }

    /// The outer corners of the volume: pixel edges, and half a slice spacing beyond the
    /// end slices (where samples still count).
    fn corners(&self) -> Vec<[f64; 3]> {
        let (c1, r1) = (f64::from(self.columns) - 0.5, f64::from(self.rows) - 0.5);
        let n = self.slices.len();
        let gap = |a: usize, b: usize| {
            if n > 1 {
                (self.slices[b].distance - self.slices[a].distance) / 2.0
            } else {
                0.0
            }
        };
        let mut out = Vec::with_capacity(8);
        for (k, shift) in [
            (0, -gap(0, 1.min(n - 1))),
            (n.saturating_sub(1), gap(n.saturating_sub(2), n - 1)),
        ] {
            for (c, r) in [(-0.5, -0.5), (c1, -0.5), (-0.5, r1), (c1, r1)] {
                let p = self.voxel_position(c, r, k);
                out.push([
                    p[0] + shift * self.normal[0],
                    p[1] + shift * self.normal[1],
                    p[2] + shift * self.normal[2],
                ]);
            }
        }
        out
    }

    /// The smallest voxel edge (mm): in-plane spacing or slice spacing.
    pub fn min_spacing(&self) -> f64 {
        let inplane = self.pixel_spacing[0].min(self.pixel_spacing[1]);
        match self.report.spacing {
            Some((lo, _)) if lo > 0.0 => inplane.min(lo),
            _ => inplane,
        }
    }

    /// A plane through `center` spanned by the unit vectors `u` (screen right) and `v`
    /// (screen down), covering the whole volume, with square pixels of the smallest
    /// voxel edge; larger pixels where that would make more than 8,192 a side (the 2D
    /// textures of every GPU hold that many), so that the plane still covers it all.
    pub fn plane(&self, u: [f64; 3], v: [f64; 3], center: [f64; 3]) -> Plane {
        let u = normalize(u).unwrap_or([1.0, 0.0, 0.0]);
        let v = normalize(v).unwrap_or([0.0, 1.0, 0.0]);
        let n = normalize(cross(u, v)).unwrap_or(self.normal);
        let corners = self.corners();
        let range = |d: [f64; 3]| {
            corners
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
                    let x = dot(*c, d);
                    (lo.min(x), hi.max(x))
                })
        };
        let (u0, u1) = range(u);
        let (v0, v1) = range(v);
        let spacing = self
            .min_spacing()
            .max(1e-3)
            .max((u1 - u0).max(v1 - v0) / f64::from(MAX_PLANE_SIDE));
        let columns = (((u1 - u0) / spacing).ceil() as u32).clamp(1, MAX_PLANE_SIDE);
        let rows = (((v1 - v0) / spacing).ceil() as u32).clamp(1, MAX_PLANE_SIDE);
        let d = dot(center, n);
        let origin = [
            u0 * u[0] + v0 * v[0] + d * n[0],
            u0 * u[1] + v0 * v[1] + d * n[1],
            u0 * u[2] + v0 * v[2] + d * n[2],
        ];
        // Pixel centres half a pixel in.
        let h = spacing / 2.0;
        Plane {
            origin: [
                origin[0] + h * (u[0] + v[0]),
                origin[1] + h * (u[1] + v[1]),
                origin[2] + h * (u[2] + v[2]),
            ],
            u,
            v,
            normal: n,
            columns,
            rows,
            spacing,
        }
    }

    /// The standard plane `orientation` through `center` in display `convention`.
    pub fn standard_plane(
        &self,
        orientation: Orientation,
        convention: Convention,
        center: [f64; 3],
    ) -> Plane {
        let (u, v) = orientation.axes(convention);
        self.plane(u, v, center)
    }

    /// Positions (mm along `normal`) of the planes a viewer steps through with that
    /// normal: the slices themselves when the planes are parallel to them, else one per
    /// smallest voxel edge across the volume.
    pub fn plane_positions(&self, normal: [f64; 3]) -> Vec<f64> {
        let Some(n) = normalize(normal) else {
            return Vec::new();
        };
        let along = dot(n, self.normal);
        if along.abs() > 0.9999 {
            let mut d: Vec<f64> = self.slices.iter().map(|s| dot(s.position, n)).collect();
            d.sort_by(f64::total_cmp);
            return d;
        }
        let (lo, hi) =
            self.corners()
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), c| {
                    let x = dot(*c, n);
                    (a.min(x), b.max(x))
                });
        let step = self.min_spacing().max(1e-3);
        let count = (((hi - lo) / step).ceil() as usize).clamp(1, 16384);
        (0..count).map(|k| lo + (k as f64 + 0.5) * step).collect()
    }

    /// The plane spanned by `u` and `v` at `position` mm along its normal.
    pub fn plane_at(&self, u: [f64; 3], v: [f64; 3], position: f64) -> Plane {
        let n = normalize(cross(u, v)).unwrap_or(self.normal);
        let c = self.center();
        let shift = position - dot(c, n);
        self.plane(
            u,
            v,
            [
                c[0] + shift * n[0],
                c[1] + shift * n[1],
                c[2] + shift * n[2],
            ],
        )
    }

    /// Where on the normal (mm, as [`StackSlice::distance`]) the slices span.
    pub fn extent(&self) -> (f64, f64) {
        (
            self.slices.first().map_or(0.0, |s| s.distance),
            self.slices.last().map_or(0.0, |s| s.distance),
        )
    }
}

impl Stack {
    /// Per slice: column and row offsets relative to slice 0 (voxel units) and distance
    /// along the normal relative to slice 0 (mm); what the GPU keeps in its slice table.
    pub fn slice_table(&self) -> Vec<[f32; 3]> {
        let p0 = self.slices.first().map_or([0.0; 3], |x| x.position);
        let d0 = self.slices.first().map_or(0.0, |x| x.distance);
        let (cs, rs) = (self.pixel_spacing[1], self.pixel_spacing[0]);
        self.slices
            .iter()
            .map(|x| {
                let r = [
                    x.position[0] - p0[0],
                    x.position[1] - p0[1],
                    x.position[2] - p0[2],
                ];
                [
                    (dot(r, self.row_direction) / cs) as f32,
                    (dot(r, self.column_direction) / rs) as f32,
                    (x.distance - d0) as f32,
                ]
            })
            .collect()
    }

    /// The sampling geometry of `plane` (with `slab`); `ascending` says whether larger
    /// voxel values are larger modality values (for MIP and MinIP).
    pub fn sampling(&self, plane: &Plane, slab: Option<Slab>, ascending: bool) -> Sampling {
        let p0 = self.slices.first().map_or([0.0; 3], |x| x.position);
        let (cs, rs) = (self.pixel_spacing[1], self.pixel_spacing[0]);
        let rel = [
            plane.origin[0] - p0[0],
            plane.origin[1] - p0[1],
            plane.origin[2] - p0[2],
        ];
        let du = plane.u.map(|x| x * plane.spacing);
        let dv = plane.v.map(|x| x * plane.spacing);
        let axis = |d: [f64; 3], scale: f64| -> [f32; 4] {
            [
                (dot(rel, d) / scale) as f32,
                (dot(du, d) / scale) as f32,
                (dot(dv, d) / scale) as f32,
                (dot(plane.normal, d) / scale) as f32,
            ]
        };
        let gaps: Vec<f64> = self
            .slices
            .windows(2)
            .map(|w| w[1].distance - w[0].distance)
            .collect();
        let uniform_spacing = if self.uniform() {
            (gaps.iter().sum::<f64>() / gaps.len().max(1) as f64) as f32
        } else {
            0.0
        };
        let end_margin = [
            (gaps.first().copied().unwrap_or(0.0) / 2.0) as f32,
            (gaps.last().copied().unwrap_or(0.0) / 2.0) as f32,
        ];
        let slab_offsets = match slab {
            Some(slab) => {
                let n = slab.samples(self.min_spacing());
                (0..n).map(|i| slab.offset(i, n) as f32).collect()
            }
            None => vec![0.0],
        };
        Sampling {
            column: axis(self.row_direction, cs),
            row: axis(self.column_direction, rs),
            distance: axis(self.normal, 1.0),
            slices: self.slice_table(),
            uniform_spacing,
            end_margin,
            ascending,
            slab_offsets,
            padding: None,
        }
    }
}
