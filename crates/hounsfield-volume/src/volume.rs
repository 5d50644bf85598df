//! Series as volumes: slice stacks assembled from real geometry, and planes resampled
//! through them (multiplanar reconstruction, slabs).
//!
//! A [`Stack`] orders slices by the projection of Image Position (Patient) on the slice
//! normal and reports what it meets on the way: variable spacing, gaps, duplicate
//! positions (the first in instance order is kept), gantry tilt. Tilted (sheared) stacks
//! are not resampled to a box: every plane is computed in patient coordinates, each slice
//! at its own position, so a tilted CT shows its true anatomy in any plane.
//!
//! [`resample`] is the CPU reference of the GPU's `shaders/mpr.wgsl`: for every plane
//! pixel, trilinear interpolation of stored values (bilinear within the two nearest
//! slices, linear between them along the normal), or the maximum, minimum or mean over a
//! slab of such samples. Both sides compute the same f32 expressions.
//!
//! ```
//! use hounsfield_volume::volume::{Stack, StackInput};
//! let slice = |z: f64| StackInput {
//!     position: Some([0.0, 0.0, z]),
//!     orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
//!     pixel_spacing: Some([0.5, 0.5]),
//!     rows: 4,
//!     columns: 4,
//!     ..StackInput::default()
//! };
//! let stack = Stack::assemble(&[slice(2.0), slice(0.0), slice(1.0), slice(1.0)])?;
//! assert_eq!(stack.slices.len(), 3);
//! assert_eq!(stack.report.spacing, Some((1.0, 1.0)));
//! assert!(stack.report.warnings[0].contains("duplicate"));
//! # Ok::<(), String>(())
//! ```

use crate::dimensions::FrameDimensions;
use crate::geometry::{cross, dot, normalize};
use hounsfield_dicom::DicomFile;
use hounsfield_dicom::tags;
use hounsfield_dicom::{Frame, FrameColor, Samples};
use hounsfield_dicom::{ModalityLut, PixelPadding};
use hounsfield_pipeline::modality_transform;
use hounsfield_pipeline::view::{bilinear, fma32};

pub use hounsfield_pipeline::view::{NO_DATA, NO_DATA_BELOW};

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
    /// voxel edge.
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
        let spacing = self.min_spacing().max(1e-3);
        let columns = (((u1 - u0) / spacing).ceil() as u32).clamp(1, 8192);
        let rows = (((v1 - v0) / spacing).ceil() as u32).clamp(1, 8192);
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

/// A standard plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Orientation {
    /// Perpendicular to the patient's long axis (feet to head).
    Axial,
    /// Perpendicular to the left-right axis.
    Sagittal,
    /// Perpendicular to the front-back axis.
    Coronal,
}

impl Orientation {
    /// Parses `axial`, `sagittal` or `coronal`.
    pub fn parse(s: &str) -> Option<Orientation> {
        match s.to_ascii_lowercase().as_str() {
            "axial" | "transverse" => Some(Orientation::Axial),
            "sagittal" => Some(Orientation::Sagittal),
            "coronal" => Some(Orientation::Coronal),
            _ => None,
        }
    }

    /// Screen right and screen down in patient coordinates (LPS).
    ///
    /// Radiological convention: the patient's right on the screen's left (axial seen from
    /// the feet, coronal from the front) and anterior on the left of sagittal planes, as
    /// radiology viewers show them. Neurological: mirrored left-right (the patient's left
    /// on the left, anterior on the right of sagittal planes).
    pub fn axes(self, convention: Convention) -> ([f64; 3], [f64; 3]) {
        let m = match convention {
            Convention::Radiological => 1.0,
            Convention::Neurological => -1.0,
        };
        match self {
            Orientation::Axial => ([m, 0.0, 0.0], [0.0, 1.0, 0.0]),
            Orientation::Coronal => ([m, 0.0, 0.0], [0.0, 0.0, -1.0]),
            Orientation::Sagittal => ([0.0, m, 0.0], [0.0, 0.0, -1.0]),
        }
    }
}

/// Which side the patient's right goes (see [`Orientation::axes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum Convention {
    #[default]
    /// The patient's right on the screen's left (radiology viewers).
    Radiological,
    /// The patient's left on the screen's left.
    Neurological,
}

/// The orientation letters of a patient direction (LPS): L/R, P/A, S/I, strongest first,
/// each component above 0.25 counted (as in Patient Orientation, PS3.3 C.7.6.1.1.1).
///
/// ```
/// use hounsfield_volume::volume::orientation_label;
/// assert_eq!(orientation_label([1.0, 0.0, 0.0]), "L");
/// assert_eq!(orientation_label([0.0, -0.8, 0.6]), "AS");
/// ```
pub fn orientation_label(d: [f64; 3]) -> String {
    let mut parts: Vec<(f64, char)> = vec![
        (d[0], if d[0] >= 0.0 { 'L' } else { 'R' }),
        (d[1], if d[1] >= 0.0 { 'P' } else { 'A' }),
        (d[2], if d[2] >= 0.0 { 'S' } else { 'I' }),
    ];
    parts.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    parts
        .iter()
        .filter(|(x, _)| x.abs() > 0.25)
        .map(|(_, c)| *c)
        .collect()
}

/// A plane through a volume: pixel (i, j) is at `origin + i * spacing * u + j * spacing * v`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Plane {
    /// Centre of pixel (0, 0), mm.
    pub origin: [f64; 3],
    /// Screen right, unit vector.
    pub u: [f64; 3],
    /// Screen down, unit vector.
    pub v: [f64; 3],
    /// The plane's normal, u x v.
    pub normal: [f64; 3],
    /// Plane width in pixels.
    pub columns: u32,
    /// Plane height in pixels.
    pub rows: u32,
    /// Pixel size, mm.
    pub spacing: f64,
}

impl Plane {
    /// The patient position of plane pixel centre (i, j) (fractions allowed).
    pub fn position(&self, i: f64, j: f64) -> [f64; 3] {
        let (a, b) = (i * self.spacing, j * self.spacing);
        [
            self.origin[0] + a * self.u[0] + b * self.v[0],
            self.origin[1] + a * self.u[1] + b * self.v[1],
            self.origin[2] + a * self.u[2] + b * self.v[2],
        ]
    }

    /// Plane pixel coordinates (i, j) of the projection of patient point `p`.
    pub fn pixel_of(&self, p: [f64; 3]) -> [f64; 2] {
        let d = [
            p[0] - self.origin[0],
            p[1] - self.origin[1],
            p[2] - self.origin[2],
        ];
        [dot(d, self.u) / self.spacing, dot(d, self.v) / self.spacing]
    }

    /// The same plane moved along its normal by `mm`.
    pub fn moved(&self, mm: f64) -> Plane {
        Plane {
            origin: [
                self.origin[0] + mm * self.normal[0],
                self.origin[1] + mm * self.normal[1],
                self.origin[2] + mm * self.normal[2],
            ],
            ..*self
        }
    }

    /// Orientation letters at the right, left, bottom and top edges.
    pub fn edge_labels(&self) -> [String; 4] {
        let neg = |d: [f64; 3]| [-d[0], -d[1], -d[2]];
        [
            orientation_label(self.u),
            orientation_label(neg(self.u)),
            orientation_label(self.v),
            orientation_label(neg(self.v)),
        ]
    }
}

/// How a slab combines its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SlabMode {
    /// Maximum intensity projection.
    Mip,
    /// Minimum intensity projection.
    MinIp,
    /// Average.
    Mean,
}

impl SlabMode {
    /// Parses `mip`, `minip` or `mean`.
    pub fn parse(s: &str) -> Option<SlabMode> {
        match s.to_ascii_lowercase().as_str() {
            "mip" | "max" => Some(SlabMode::Mip),
            "minip" | "min" => Some(SlabMode::MinIp),
            "mean" | "avg" | "average" => Some(SlabMode::Mean),
            _ => None,
        }
    }

    /// The usual abbreviation: `MIP`, `MinIP`, `mean`.
    pub fn label(self) -> &'static str {
        match self {
            SlabMode::Mip => "MIP",
            SlabMode::MinIp => "MinIP",
            SlabMode::Mean => "mean",
        }
    }
}

/// A slab: `samples` planes evenly over `thickness` mm centred on the plane.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Slab {
    /// Thickness along the plane's normal (mm).
    pub thickness: f64,
    /// Maximum, minimum or mean over the slab.
    pub mode: SlabMode,
}

impl Slab {
    /// Sample planes for a volume whose smallest voxel edge is `step` mm: one per `step`
    /// (at least 2), at most 512.
    pub fn samples(&self, step: f64) -> u32 {
        ((self.thickness / step.max(1e-3)).ceil() as u32 + 1).clamp(2, 512)
    }

    /// Offset (mm) of sample `s` of `n`.
    pub fn offset(&self, s: u32, n: u32) -> f64 {
        if n < 2 {
            0.0
        } else {
            -self.thickness / 2.0 + self.thickness * f64::from(s) / f64::from(n - 1)
        }
    }
}

/// Voxel values of a volume, slice after slice, row after row.
#[derive(Debug, Clone, PartialEq)]
pub enum VolumeData {
    /// Unsigned stored values.
    U16(Vec<u16>),
    /// Signed stored values.
    I16(Vec<i16>),
    /// Modality values, for stacks whose slices rescale differently.
    F32(Vec<f32>),
}

impl VolumeData {
    #[inline]
    fn get(&self, i: usize) -> f32 {
        match self {
            VolumeData::U16(v) => f32::from(v[i]),
            VolumeData::I16(v) => f32::from(v[i]),
            VolumeData::F32(v) => v[i],
        }
    }

    /// Bytes of the voxels.
    pub fn bytes(&self) -> usize {
        match self {
            VolumeData::U16(v) => v.len() * 2,
            VolumeData::I16(v) => v.len() * 2,
            VolumeData::F32(v) => v.len() * 4,
        }
    }
}

/// A stack with its voxels and the Modality LUT they share.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// The slices' geometry and order.
    pub stack: Stack,
    /// The voxel values.
    pub data: VolumeData,
    /// How voxel values become modality values (identity for [`VolumeData::F32`]).
    pub modality: ModalityLut,
    /// Pixel Padding Value / Range of the stored values (None for [`VolumeData::F32`]).
    pub padding: Option<PixelPadding>,
}

/// The geometry of a plane resampling in voxel units, as the GPU receives it (f32).
#[derive(Debug, Clone, PartialEq)]
pub struct Sampling {
    /// Column coordinate (pixel centres at integers) of plane pixel (0, 0) relative to
    /// slice 0, and its change per plane column, plane row and mm along the plane normal.
    pub column: [f32; 4],
    /// The same for the row coordinate.
    pub row: [f32; 4],
    /// Distance along the slice normal relative to slice 0 (mm), the same way.
    pub distance: [f32; 4],
    /// Per slice: column and row offsets relative to slice 0 (voxel units) and distance
    /// relative to slice 0 (mm).
    pub slices: Vec<[f32; 3]>,
    /// Slice spacing when uniform (mm), else 0.
    pub uniform_spacing: f32,
    /// Beyond the end slices, samples count within this distance (mm).
    pub end_margin: [f32; 2],
    /// Whether larger voxel values mean larger modality values (for MIP/MinIP).
    pub ascending: bool,
    /// Offsets along the normal (mm) of a slab's sample planes, or empty for a thin plane.
    pub slab_offsets: Vec<f32>,
    /// Stored values (low, high) that are Pixel Padding: a slab leaves out every sample
    /// that interpolates a padding voxel, so the air outside a CT's reconstruction circle
    /// does not become its MinIP. None for thin planes and volumes without padding.
    pub padding: Option<[f32; 2]>,
}

impl Volume {
    /// Builds a volume from the frames of `stack` (`frame(k)` is slice k) and their
    /// Modality LUTs; slices that rescale differently make an f32 volume of modality
    /// values.
    pub fn from_frames<'a>(
        stack: Stack,
        mut frame: impl FnMut(usize) -> Option<(&'a Frame, &'a ModalityLut)>,
    ) -> Result<Volume, String> {
        let n = stack.slices.len();
        let per = stack.columns as usize * stack.rows as usize;
        let total = per
            .checked_mul(n)
            .filter(|t| *t <= 1 << 31)
            .ok_or("the volume is too large")?;
        let mut frames = Vec::with_capacity(n);
        for k in 0..n {
            let (f, m) = frame(k).ok_or_else(|| format!("slice {} is not decoded", k + 1))?;
            if f.color != FrameColor::Monochrome {
                return Err("volumes need grey images".into());
            }
            if f.samples.len() != per {
                return Err(format!(
                    "slice {} has {} samples, not {per}",
                    k + 1,
                    f.samples.len()
                ));
            }
            frames.push((f, m));
        }
        let same_modality = frames.windows(2).all(|w| w[0].1 == w[1].1);
        let all = |pred: fn(&Samples) -> bool| frames.iter().all(|(f, _)| pred(&f.samples));
        let modality = frames
            .first()
            .map_or(ModalityLut::Identity, |(_, m)| (*m).clone());
        let (data, modality) = if same_modality && all(|s| matches!(s, Samples::I16(_))) {
            let mut v = Vec::with_capacity(total);
            for (f, _) in &frames {
                if let Samples::I16(s) = &f.samples {
                    v.extend_from_slice(s);
                }
            }
            (VolumeData::I16(v), modality)
        } else if same_modality && all(|s| matches!(s, Samples::U16(_) | Samples::U8(_))) {
            let mut v = Vec::with_capacity(total);
            for (f, _) in &frames {
                match &f.samples {
                    Samples::U16(s) => v.extend_from_slice(s),
                    Samples::U8(s) => v.extend(s.iter().map(|&x| u16::from(x))),
                    _ => {}
                }
            }
            (VolumeData::U16(v), modality)
        } else {
            let rescale_type = match &modality {
                ModalityLut::Rescale { rescale_type, .. } => rescale_type.clone(),
                _ => None,
            };
            let mut v = Vec::with_capacity(total);
            for (f, m) in &frames {
                for i in 0..per {
                    v.push(modality_transform(m, f.samples.get_f64(i)) as f32);
                }
            }
            let modality = match rescale_type {
                Some(t) => ModalityLut::Rescale {
                    slope: 1.0,
                    intercept: 0.0,
                    rescale_type: Some(t),
                },
                None => ModalityLut::Identity,
            };
            (VolumeData::F32(v), modality)
        };
        Ok(Volume {
            stack,
            data,
            modality,
            padding: None,
        })
    }

    /// The sampling geometry of `plane` (with `slab`).
    pub fn sampling(&self, plane: &Plane, slab: Option<Slab>) -> Sampling {
        let ascending = match &self.modality {
            ModalityLut::Rescale { slope, .. } => *slope >= 0.0,
            _ => true,
        };
        let mut g = self.stack.sampling(plane, slab, ascending);
        if slab.is_some() && !matches!(self.data, VolumeData::F32(_)) {
            g.padding = self.padding.map(|p| [p.low as f32, p.high as f32]);
        }
        g
    }
}

/// Finds the slices around distance `d` (relative to slice 0): (k0, k1, t).
fn locate(g: &Sampling, d: f32) -> Option<(usize, usize, f32)> {
    let n = g.slices.len();
    let last = g.slices[n - 1][2];
    if d < -g.end_margin[0] || d > last + g.end_margin[1] {
        return None;
    }
    if n == 1 || d <= 0.0 {
        return Some((0, 0, 0.0));
    }
    if d >= last {
        return Some((n - 1, n - 1, 0.0));
    }
    let k0 = if g.uniform_spacing > 0.0 {
        ((d / g.uniform_spacing).floor() as usize).min(n - 2)
    } else {
        // The last slice at or before d.
        let (mut lo, mut hi) = (0usize, n - 1);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if g.slices[mid][2] <= d {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let (a, b) = (g.slices[k0][2], g.slices[k0 + 1][2]);
    let t = if b > a {
        ((d - a) / (b - a)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some((k0, k0 + 1, t))
}

/// Bilinear sample of slice `k` at (column, row) coordinates; None outside the slice.
fn slice_sample(
    volume: &Volume,
    k: usize,
    c: f32,
    r: f32,
    padding: Option<[f32; 2]>,
) -> Option<f32> {
    let (w, h) = (volume.stack.columns as i64, volume.stack.rows as i64);
    if !(c >= -0.5 && r >= -0.5 && c <= w as f32 - 0.5 && r <= h as f32 - 0.5) {
        return None;
    }
    let base = k * (w * h) as usize;
    let load = |x: i64, y: i64| {
        let x = x.clamp(0, w - 1) as usize;
        let y = y.clamp(0, h - 1) as usize;
        volume.data.get(base + y * w as usize + x)
    };
    if let Some([lo, hi]) = padding {
        // The voxels with a weight in the sample, as the shader takes them.
        let (c0, r0) = (c.floor(), r.floor());
        let (x, y) = (c0 as i64, r0 as i64);
        let (fx, fy) = (c - c0, r - r0);
        let padded = |x: i64, y: i64| {
            let v = load(x, y);
            v >= lo && v <= hi
        };
        if padded(x, y)
            || (fx > 0.0 && padded(x + 1, y))
            || (fy > 0.0 && padded(x, y + 1))
            || (fx > 0.0 && fy > 0.0 && padded(x + 1, y + 1))
        {
            return None;
        }
    }
    Some(bilinear([c, r], load))
}

/// One trilinear sample at plane pixel (x, y) (pixel centre coordinates, i.e. i + 0.5
/// as a fragment sees it) and slab offset `off` (mm).
fn trilinear(volume: &Volume, g: &Sampling, x: f32, y: f32, off: f32) -> Option<f32> {
    let (i, j) = (x - 0.5, y - 0.5);
    let eval = |a: [f32; 4]| fma32(off, a[3], fma32(j, a[2], fma32(i, a[1], a[0])));
    let (c, r, d) = (eval(g.column), eval(g.row), eval(g.distance));
    let (k0, k1, t) = locate(g, d)?;
    let s0 = g.slices[k0];
    let a = slice_sample(volume, k0, c - s0[0], r - s0[1], g.padding)?;
    if k1 == k0 || t == 0.0 {
        return Some(a);
    }
    let s1 = g.slices[k1];
    let b = slice_sample(volume, k1, c - s1[0], r - s1[1], g.padding)?;
    Some(fma32(b - a, t, a))
}

/// The CPU reference of plane resampling: a `plane.columns` x `plane.rows` frame of voxel
/// values (f32, [`NO_DATA`] outside the volume), to display with the volume's
/// Modality LUT.
pub fn resample(volume: &Volume, plane: &Plane, slab: Option<Slab>) -> Frame {
    let g = volume.sampling(plane, slab);
    let mode = slab.map(|s| s.mode);
    let (w, h) = (plane.columns as usize, plane.rows as usize);
    let mut out = vec![NO_DATA; w * h];
    if g.slices.is_empty() {
        return plane_frame(plane, out);
    }
    let row = |(y, line): (usize, &mut [f32])| {
        let fy = y as f32 + 0.5;
        for (x, v) in line.iter_mut().enumerate() {
            let fx = x as f32 + 0.5;
            *v = combine(&g, mode, |off| trilinear(volume, &g, fx, fy, off));
        }
    };
    // Rows in parallel with the `parallel` feature (natively): each pixel is computed alone, so the
    // result is the same in any order (a thick slab is tens of samples per pixel).
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(w.max(1)).enumerate().for_each(row);
    }
    #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
    out.chunks_mut(w.max(1)).enumerate().for_each(row);
    plane_frame(plane, out)
}

/// The voxel value (stored units, trilinear) at patient point `p` (mm), as the planes
/// through it show it; None outside the volume.
pub fn value_at(volume: &Volume, p: [f64; 3]) -> Option<f32> {
    let s = &volume.stack;
    // A one-pixel plane centred on `p`, parallel to the slices.
    let plane = Plane {
        origin: p,
        u: s.row_direction,
        v: s.column_direction,
        normal: s.normal,
        columns: 1,
        rows: 1,
        spacing: s.min_spacing().max(1e-3),
    };
    let g = volume.sampling(&plane, None);
    if g.slices.is_empty() {
        return None;
    }
    trilinear(volume, &g, 0.5, 0.5, 0.0)
}

/// What a plane shows at one of its pixels, as measuring takes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlaneSample {
    /// The pixel lies outside the volume ([`NO_DATA`] in [`resample`]).
    Outside,
    /// Its sample interpolates a Pixel Padding voxel: not tissue.
    Padding,
    /// The voxel value the plane shows there (stored units, as [`resample`] gives it).
    Value(f32),
}

/// The pixels of one plane (or slab), one at a time, for statistics over a region of it:
/// each pixel's value is [`resample`]'s, and a pixel whose samples interpolate a Pixel
/// Padding voxel says so (as a slab leaves such samples out), so that the air outside a
/// CT's reconstruction circle is not averaged into a region.
///
/// ```
/// use hounsfield_volume::volume::{PlaneSample, PlaneSampler, Volume, resample};
/// # fn check(volume: &Volume, plane: &hounsfield_volume::volume::Plane) {
/// let sampler = PlaneSampler::new(volume, plane, None);
/// let shown = resample(volume, plane, None);
/// if let PlaneSample::Value(v) = sampler.at(0, 0) {
///     assert_eq!(f64::from(v), shown.samples.get_f64(0));
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PlaneSampler<'a> {
    volume: &'a Volume,
    /// The sampling as shown (thin planes take padding voxels as they are).
    shown: Sampling,
    /// Every voxel, padding or not: whether the pixel lies inside the volume.
    all: Sampling,
    /// Padding voxels left out, when the volume has any.
    tissue: Option<Sampling>,
    mode: Option<SlabMode>,
}

impl<'a> PlaneSampler<'a> {
    /// The sampler of `plane` (with `slab`) through `volume`.
    pub fn new(volume: &'a Volume, plane: &Plane, slab: Option<Slab>) -> Self {
        let shown = volume.sampling(plane, slab);
        let mut all = shown.clone();
        all.padding = None;
        let tissue = match (&volume.data, volume.padding) {
            (VolumeData::F32(_), _) | (_, None) => None,
            (_, Some(p)) => {
                let mut g = shown.clone();
                g.padding = Some([p.low as f32, p.high as f32]);
                Some(g)
            }
        };
        PlaneSampler {
            volume,
            shown,
            all,
            tissue,
            mode: slab.map(|s| s.mode),
        }
    }

    fn combined(&self, g: &Sampling, x: u32, y: u32) -> Option<f32> {
        if g.slices.is_empty() {
            return None;
        }
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let v = combine(g, self.mode, |off| trilinear(self.volume, g, fx, fy, off));
        (v >= NO_DATA_BELOW).then_some(v)
    }

    /// Plane pixel (`x`, `y`) (column, row).
    pub fn at(&self, x: u32, y: u32) -> PlaneSample {
        if self.combined(&self.all, x, y).is_none() {
            return PlaneSample::Outside;
        }
        if let Some(g) = &self.tissue
            && self.combined(g, x, y).is_none()
        {
            return PlaneSample::Padding;
        }
        self.combined(&self.shown, x, y)
            .map_or(PlaneSample::Padding, PlaneSample::Value)
    }
}

/// Combines the slab samples as the shader does.
fn combine(
    g: &Sampling,
    mode: Option<SlabMode>,
    mut sample: impl FnMut(f32) -> Option<f32>,
) -> f32 {
    let sign = if g.ascending { 1.0f32 } else { -1.0 };
    let (mut best, mut sum, mut count) = (f32::NEG_INFINITY, 0.0f32, 0u32);
    for &off in &g.slab_offsets {
        let Some(v) = sample(off) else {
            continue;
        };
        count += 1;
        sum += v;
        let key = match mode {
            Some(SlabMode::MinIp) => -sign * v,
            _ => sign * v,
        };
        if key > best {
            best = key;
        }
    }
    if count == 0 {
        return NO_DATA;
    }
    match mode {
        Some(SlabMode::Mean) => sum / count as f32,
        Some(SlabMode::MinIp) => -sign * best,
        _ => sign * best,
    }
}

fn plane_frame(plane: &Plane, samples: Vec<f32>) -> Frame {
    Frame {
        width: plane.columns,
        height: plane.rows,
        color: FrameColor::Monochrome,
        samples: Samples::F32(samples),
        bits_stored: 32,
        signed: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(k: usize, z: f64, y: f64) -> StackInput {
        StackInput {
            instance: k,
            name: format!("s{k}"),
            position: Some([0.0, y, z]),
            orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            pixel_spacing: Some([1.0, 1.0]),
            rows: 3,
            columns: 3,
            ..StackInput::default()
        }
    }

    fn volume(inputs: &[StackInput]) -> Volume {
        let stack = Stack::assemble(inputs).unwrap_or_else(|e| panic!("{e}"));
        let n = stack.slices.len();
        // Voxel value = 100 * slice + 10 * row + column.
        let data = (0..n)
            .flat_map(|k| (0..9).map(move |i| (100 * k + 10 * (i / 3) + i % 3) as i16))
            .collect();
        Volume {
            stack,
            data: VolumeData::I16(data),
            modality: ModalityLut::Identity,
            padding: None,
        }
    }

    #[test]
    fn reports_spacing_gaps_and_tilt() {
        let s = Stack::assemble(&[
            input(0, 0.0, 0.0),
            input(1, 1.0, 0.0),
            input(2, 2.0, 0.0),
            input(3, 5.0, 0.0),
            input(4, 6.0, 0.0),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.report.spacing, Some((1.0, 3.0)));
        assert!(s.report.warnings.iter().any(|w| w.contains("gap: 3.00 mm")));
        assert!(
            s.report
                .warnings
                .iter()
                .any(|w| w.contains("variable slice spacing"))
        );
        assert!(!s.uniform());
        // A sheared stack: positions move along y as z grows.
        let s = Stack::assemble(&[input(0, 0.0, 0.0), input(1, 1.0, 1.0), input(2, 2.0, 2.0)])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((s.report.tilt_degrees - 45.0).abs() < 1e-9);
        assert!(
            s.report
                .warnings
                .iter()
                .any(|w| w.contains("gantry tilt 45.00"))
        );
        // Missing positions: 2D only.
        let mut bad = input(1, 1.0, 0.0);
        bad.position = None;
        assert!(Stack::assemble(&[input(0, 0.0, 0.0), bad]).is_err());
    }

    #[test]
    fn resampling_hits_voxels_and_interpolates_between_slices() {
        let v = volume(&[input(0, 0.0, 0.0), input(1, 2.0, 0.0), input(2, 4.0, 0.0)]);
        // An axial plane through z = 1 (halfway between slices 0 and 1), pixel size 1.
        let mut plane = v
            .stack
            .plane([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]);
        assert_eq!((plane.columns, plane.rows, plane.spacing), (3, 3, 1.0));
        let f = resample(&v, &plane, None);
        let Samples::F32(s) = &f.samples else {
            panic!("f32 frame expected");
        };
        // Halfway: 50 + 10 * row + column.
        assert_eq!(s[0], 50.0);
        assert_eq!(s[4], 61.0);
        // Beyond the last slice by more than half a spacing: no data.
        plane = plane.moved(4.5);
        let f = resample(&v, &plane, None);
        assert!(f.samples.get_f64(0) < f64::from(NO_DATA_BELOW));
        // A slab MIP over the whole stack picks the last slice; MinIP the first; mean the middle.
        let plane = v
            .stack
            .plane([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 2.0]);
        for (mode, want) in [
            (SlabMode::Mip, 211.0),
            (SlabMode::MinIp, 11.0),
            (SlabMode::Mean, 111.0),
        ] {
            let f = resample(
                &v,
                &plane,
                Some(Slab {
                    thickness: 4.0,
                    mode,
                }),
            );
            assert_eq!(f.samples.get_f64(4), want, "{mode:?}");
        }
    }

    #[test]
    fn slabs_leave_out_pixel_padding() {
        // Voxel = 100 * slice + 10 * row + column; slice 0's centre voxel (value 11) and
        // slice 2's (211) are padding: the MinIP and MIP through the centre skip them,
        // the mean averages what is left, a thin plane is not affected.
        let mut v = volume(&[input(0, 0.0, 0.0), input(1, 2.0, 0.0), input(2, 4.0, 0.0)]);
        let VolumeData::I16(data) = &mut v.data else {
            panic!("i16 volume expected");
        };
        data[4] = -2000;
        data[2 * 9 + 4] = -2000;
        v.padding = Some(PixelPadding {
            low: -2000,
            high: -2000,
        });
        let plane = v
            .stack
            .plane([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 2.0]);
        let slab = |mode| {
            resample(
                &v,
                &plane,
                Some(Slab {
                    thickness: 4.0,
                    mode,
                }),
            )
            .samples
            .get_f64(4)
        };
        // Only samples at exactly slice 1 (and not interpolating slices 0 or 2) remain.
        assert_eq!(slab(SlabMode::MinIp), 111.0);
        assert_eq!(slab(SlabMode::Mip), 111.0);
        assert_eq!(slab(SlabMode::Mean), 111.0);
        // A neighbour pixel whose samples touch no padding keeps the whole slab.
        let corner = resample(
            &v,
            &plane,
            Some(Slab {
                thickness: 4.0,
                mode: SlabMode::MinIp,
            }),
        );
        assert_eq!(corner.samples.get_f64(0), 0.0);
        // A thin plane through slice 0 shows the padding value as it is.
        let thin = v
            .stack
            .plane([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]);
        assert_eq!(resample(&v, &thin, None).samples.get_f64(4), -2000.0);
        assert_eq!(v.sampling(&thin, None).padding, None);
    }

    #[test]
    fn sagittal_plane_of_a_sheared_stack_follows_each_slice() {
        // Slices shifted by 1 mm in y per slice: voxel (row 1) of slice k sits at y = k + 1.
        let v = volume(&[input(0, 0.0, 0.0), input(1, 1.0, 1.0), input(2, 2.0, 2.0)]);
        let p = [1.0, 1.0, 0.0];
        // The sample at slice 0's row 1, column 1 is that voxel; at slice 1 the same patient
        // point is row 0.
        let plane = v.stack.plane([0.0, 1.0, 0.0], [0.0, 0.0, -1.0], p);
        let g = v.sampling(&plane, None);
        let at = |q: [f64; 3]| {
            let [i, j] = plane.pixel_of(q);
            trilinear(&v, &g, i as f32 + 0.5, j as f32 + 0.5, 0.0)
        };
        assert_eq!(at([1.0, 1.0, 0.0]), Some(11.0));
        assert_eq!(at([1.0, 1.0, 1.0]), Some(101.0));
        assert_eq!(at([1.0, 3.0, 1.0]), Some(121.0));
        // The point sampler agrees, and interpolates between slices along the normal.
        assert_eq!(value_at(&v, [1.0, 1.0, 0.0]), Some(11.0));
        assert_eq!(value_at(&v, [1.0, 3.0, 1.0]), Some(121.0));
        assert_eq!(value_at(&v, [2.0, 2.0, 1.0]), Some(112.0));
        assert_eq!(value_at(&v, [1.0, 1.5, 0.5]), Some(61.0));
        assert_eq!(value_at(&v, [1.0, 1.0, 9.0]), None);
    }

    #[test]
    fn labels_and_standard_planes() {
        let (u, v) = Orientation::Axial.axes(Convention::Radiological);
        assert_eq!(
            (orientation_label(u), orientation_label(v)),
            ("L".into(), "P".into())
        );
        let (u, _) = Orientation::Sagittal.axes(Convention::Radiological);
        assert_eq!(orientation_label(u), "P");
        let (u, v) = Orientation::Coronal.axes(Convention::Neurological);
        assert_eq!(
            (orientation_label(u), orientation_label(v)),
            ("R".into(), "I".into())
        );
    }
}
