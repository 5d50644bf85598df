//! RT Structure Sets (PS3.3 A.19; C.8.8.5 Structure Set, C.8.8.6 ROI Contour): the ROIs
//! with their display colours and contours in patient coordinates, drawn over the images
//! whose plane they lie in, and over planes cut through a volume
//! ([`StructureSet::plane_layer`]).

use crate::color::distinct;
use crate::composite::{LayerImage, PlaneGrid};
use hounsfield_dicom::{Attributes, DicomFile, Geometry, tags};
use std::cmp::Ordering;
use std::sync::Arc;

/// RT Structure Set Storage.
pub const RT_STRUCTURE_SET_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.481.3";

/// Contour points read from one structure set at most (three decimals each); a header
/// cannot make the reader hold more.
const MAX_POINTS: usize = 4_000_000;

/// One contour of an ROI (an item of the Contour Sequence).
#[derive(Debug, Clone, PartialEq)]
pub struct Contour {
    /// Contour Geometric Type: CLOSED_PLANAR (the last point joins the first),
    /// OPEN_PLANAR, OPEN_NONPLANAR or POINT.
    pub geometric_type: String,
    /// Contour Data: the points, x, y, z in the patient (mm).
    pub points: Vec<[f64; 3]>,
}

/// One ROI with its contours.
#[derive(Debug, Clone, PartialEq)]
pub struct Roi {
    /// ROI Number.
    pub number: i64,
    /// ROI Name.
    pub name: String,
    /// ROI Display Color, else a distinct colour by number (as segments without one).
    pub color: [u8; 3],
    /// Referenced Frame of Reference UID of the ROI.
    pub frame_of_reference: Option<String>,
    /// Its contours.
    pub contours: Vec<Contour>,
}

/// A structure set read from a file.
#[derive(Debug, Clone)]
pub struct StructureSet {
    /// The file.
    pub file: Arc<DicomFile>,
    /// Structure Set Label.
    pub label: String,
    /// The ROIs, in the order of the Structure Set ROI Sequence.
    pub rois: Vec<Roi>,
}

impl StructureSet {
    /// Whether `file` is an RT Structure Set.
    pub fn is_structure_set(file: &DicomFile) -> bool {
        file.attributes().string(tags::SOP_CLASS_UID).as_deref() == Some(RT_STRUCTURE_SET_STORAGE)
    }

    /// Reads `file` as an RT Structure Set; an error naming the file says what is wrong.
    pub fn read(file: impl Into<Arc<DicomFile>>) -> Result<StructureSet, String> {
        let file = file.into();
        let rois = Self::read_rois(&file).map_err(|e| format!("{}: {e}", file.name()))?;
        Ok(StructureSet {
            label: file
                .attributes()
                .string(tags::STRUCTURE_SET_LABEL)
                .unwrap_or_default(),
            file,
            rois,
        })
    }

    fn read_rois(file: &DicomFile) -> Result<Vec<Roi>, String> {
        let a = file.attributes();
        if !Self::is_structure_set(file) {
            return Err("not an RT Structure Set".into());
        }
        let mut rois = Vec::new();
        for item in a
            .items(tags::STRUCTURE_SET_ROI_SEQUENCE)
            .unwrap_or_default()
        {
            let r = Attributes::new(item);
            let number = r
                .int(tags::ROI_NUMBER, "ROI Number")
                .map_err(|e| e.to_string())?
                .ok_or("an ROI has no ROI Number")?;
            rois.push(Roi {
                number,
                name: r.string(tags::ROI_NAME).unwrap_or_default(),
                color: distinct(number.unsigned_abs()),
                frame_of_reference: r.string(tags::REFERENCED_FRAME_OF_REFERENCE_UID),
                contours: Vec::new(),
            });
        }
        let mut points = 0usize;
        for item in a.items(tags::ROI_CONTOUR_SEQUENCE).unwrap_or_default() {
            let c = Attributes::new(item);
            let number = c
                .int(tags::REFERENCED_ROI_NUMBER, "Referenced ROI Number")
                .map_err(|e| e.to_string())?
                .ok_or("an ROI Contour names no ROI")?;
            let Some(roi) = rois.iter_mut().find(|r| r.number == number) else {
                return Err(format!(
                    "an ROI Contour names ROI {number}, which is not listed"
                ));
            };
            if let Ok(rgb) = c.ints(tags::ROI_DISPLAY_COLOR, "ROI Display Color")
                && rgb.len() == 3
            {
                roi.color = std::array::from_fn(|k| rgb[k].clamp(0, 255) as u8);
            }
            for contour in c.items(tags::CONTOUR_SEQUENCE).unwrap_or_default() {
                let k = Attributes::new(contour);
                let data = k
                    .floats(tags::CONTOUR_DATA, "Contour Data")
                    .map_err(|e| format!("ROI {number}: {e}"))?;
                if data.len() % 3 != 0 {
                    return Err(format!(
                        "ROI {number}: Contour Data holds {} values, not triplets",
                        data.len()
                    ));
                }
                points += data.len() / 3;
                if points > MAX_POINTS {
                    return Err(format!("more than {MAX_POINTS} contour points"));
                }
                roi.contours.push(Contour {
                    geometric_type: k.string(tags::CONTOUR_GEOMETRIC_TYPE).unwrap_or_default(),
                    points: data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect(),
                });
            }
        }
        Ok(rois)
    }

    /// The ROIs' contours that lie in the plane of `image` (frame `frame`), drawn as
    /// outlines one pixel wide on its pixel grid (None when none lies there); `shown`
    /// picks the ROIs (by their index in [`rois`](Self::rois)).
    ///
    /// A contour lies in the plane when every point is within half the image's Slice
    /// Thickness of it (0.5 mm when the image has none), and its ROI's Frame of Reference
    /// is the image's (or either is unknown). Each point goes to the pixel whose centre
    /// is nearest; consecutive points (and the last and first of a closed contour) are
    /// joined through the pixels nearest the line between them, one per step along the
    /// longer axis; a POINT contour is a cross of five pixels. Later ROIs draw over
    /// earlier ones, opaque in their colour.
    pub fn layer_on(
        &self,
        image: &DicomFile,
        frame: usize,
        shown: impl Fn(usize) -> bool,
    ) -> Option<LayerImage> {
        let info = image.image().ok()?;
        let mut layer = LayerImage::blank(info.columns, info.rows);
        let mut drawn = false;
        for (roi, contour, pixels) in self.contours_on(image, frame) {
            if shown(roi) {
                drawn = true;
                draw_contour(&mut layer, &pixels, contour, self.rois[roi].color);
            }
        }
        drawn.then_some(layer)
    }

    /// The indices of the ROIs with a contour in the plane of frame `frame` of `image`
    /// (as [`layer_on`](Self::layer_on) finds them), without drawing.
    pub fn rois_on(&self, image: &DicomFile, frame: usize) -> Vec<usize> {
        let mut rois: Vec<usize> = self
            .contours_on(image, frame)
            .into_iter()
            .map(|(roi, _, _)| roi)
            .collect();
        rois.dedup();
        rois
    }

    /// Each contour in the image's plane: its ROI's index, the contour, and its points in
    /// pixel coordinates.
    fn contours_on(
        &self,
        image: &DicomFile,
        frame: usize,
    ) -> Vec<(usize, &Contour, Vec<[f64; 2]>)> {
        let geometry = image.geometry(frame);
        let Some(grid) = PlaneGrid::of(&geometry) else {
            return Vec::new();
        };
        let reference = image.attributes().string(tags::FRAME_OF_REFERENCE_UID);
        let half = geometry
            .slice_thickness
            .filter(|t| *t > 0.0)
            .map_or(0.5, |t| t / 2.0);
        let mut found = Vec::new();
        for (index, roi) in self.rois.iter().enumerate() {
            if let (Some(a), Some(b)) = (&roi.frame_of_reference, &reference)
                && a != b
            {
                continue;
            }
            for contour in &roi.contours {
                if let Some(pixels) = on_plane(&grid, &geometry, half, &contour.points) {
                    found.push((index, contour, pixels));
                }
            }
        }
        found
    }
}

/// The contour's points in pixel coordinates of `grid` (centres at integers), when every
/// one lies within `half` mm of its plane.
fn on_plane(
    grid: &PlaneGrid,
    geometry: &Geometry,
    half: f64,
    points: &[[f64; 3]],
) -> Option<Vec<[f64; 2]>> {
    let o = geometry.image_orientation_patient?;
    let normal = [
        o[1] * o[5] - o[2] * o[4],
        o[2] * o[3] - o[0] * o[5],
        o[0] * o[4] - o[1] * o[3],
    ];
    let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let (c2, r2) = (
        dot(grid.column_step, grid.column_step),
        dot(grid.row_step, grid.row_step),
    );
    if points.is_empty() || c2 <= 0.0 || r2 <= 0.0 {
        return None;
    }
    points
        .iter()
        .map(|p| {
            let d = std::array::from_fn(|k| p[k] - grid.origin[k]);
            (dot(d, normal).abs() <= half).then(|| grid.pixel_of(*p))
        })
        .collect()
}

/// Draws one contour (pixel coordinates) into `layer`.
pub(crate) fn draw_contour(
    layer: &mut LayerImage,
    points: &[[f64; 2]],
    contour: &Contour,
    color: [u8; 3],
) {
    let rgba = [
        f64::from(color[0]) / 255.0,
        f64::from(color[1]) / 255.0,
        f64::from(color[2]) / 255.0,
        1.0,
    ];
    let (w, h) = (i64::from(layer.columns), i64::from(layer.rows));
    let mut set = |x: i64, y: i64| {
        if (0..w).contains(&x) && (0..h).contains(&y) {
            layer.pixels[(y * w + x) as usize] = rgba;
        }
    };
    let nearest = |p: [f64; 2]| ((p[0] + 0.5).floor() as i64, (p[1] + 0.5).floor() as i64);
    if contour.geometric_type == "POINT" || points.len() == 1 {
        for p in points {
            let (x, y) = nearest(*p);
            for (dx, dy) in [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)] {
                set(x + dx, y + dy);
            }
        }
        return;
    }
    let closed = contour.geometric_type == "CLOSED_PLANAR";
    let bounds = [w as f64, h as f64];
    let mut line = |a: [f64; 2], b: [f64; 2]| {
        // Only the part over the image (and a pixel around it) is stepped through.
        let Some((a, b)) = clip(a, b, bounds) else {
            return;
        };
        let steps = (b[0] - a[0]).abs().max((b[1] - a[1]).abs()).ceil().max(1.0) as i64;
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            let (x, y) = nearest([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]);
            set(x, y);
        }
    };
    for pair in points.windows(2) {
        line(pair[0], pair[1]);
    }
    if closed && let (Some(first), Some(last)) = (points.first(), points.last()) {
        line(*last, *first);
    }
}

/// The part of segment `a`-`b` inside [-1, size + 1] on both axes (Liang-Barsky), if any.
fn clip(a: [f64; 2], b: [f64; 2], size: [f64; 2]) -> Option<([f64; 2], [f64; 2])> {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for k in 0..2 {
        let d = b[k] - a[k];
        for (p, q) in [(-d, a[k] + 1.0), (d, size[k] + 1.0 - a[k])] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
    }
    // (NaN, from a point at infinity, compares as neither.)
    if !matches!(t0.partial_cmp(&t1), Some(Ordering::Less | Ordering::Equal)) {
        return None;
    }
    let at = |t: f64| [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clipping_keeps_the_part_over_the_image() {
        assert_eq!(
            clip([-10.0, 5.0], [20.0, 5.0], [10.0, 10.0]),
            Some(([-1.0, 5.0], [11.0, 5.0]))
        );
        assert_eq!(clip([-10.0, -10.0], [-5.0, 20.0], [10.0, 10.0]), None);
        assert_eq!(
            clip([2.0, 3.0], [4.0, 5.0], [10.0, 10.0]),
            Some(([2.0, 3.0], [4.0, 5.0]))
        );
    }
}
