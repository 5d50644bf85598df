//! Planes through a stack: standard orientations, the plane's pixel grid, and slabs.

use super::*;

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
