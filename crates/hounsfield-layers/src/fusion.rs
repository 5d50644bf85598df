//! Fusion: a second series (PET over CT, a map over MR) resampled in patient coordinates
//! onto the pixels of an image or plane of the first, windowed, coloured by a
//! [`ColorMap`] and laid over it at an opacity.

use crate::colormap::ColorMap;
use crate::composite::LayerImage;
use hounsfield_dicom::Geometry;
use hounsfield_pipeline::GreyPipeline;
use hounsfield_volume::volume::{NO_DATA_BELOW, Plane, Volume, resample};
use std::sync::Arc;

/// A series fused over another: its volume, the window that makes its values display
/// levels, the colour map of those levels and the opacity.
///
/// Each pixel of the image (or plane) below takes the fused volume's value at the
/// pixel's centre in the patient (trilinear, as planes through the volume sample it);
/// its display level `d` (the fused series' own grey pipeline: Modality LUT and window,
/// never inverted) is drawn in `colormap.rgb(d)` at `opacity` (rounded to a 255th as
/// segments are). Level 0 (at or below the window's lower edge) and pixels outside the
/// volume are not drawn: the image below shows through where the fused series has
/// nothing to say (no uptake, no map), as fused PET is read.
#[derive(Debug, Clone)]
pub struct Fusion {
    /// The fused series (shared: restyling a fusion keeps its volume).
    pub volume: Arc<Volume>,
    /// Its grey pipeline: a value's display level is the colour map's index.
    pub pipeline: GreyPipeline,
    /// The colour map.
    pub colormap: ColorMap,
    /// The opacity, 0 to 1.
    pub opacity: f64,
    /// Its Frame of Reference UID.
    pub frame_of_reference: Option<String>,
}

impl Fusion {
    /// The colour-map index of fused voxel value `value` (as [`resample`] gives it), or
    /// None where nothing is drawn (no data, or level 0).
    ///
    /// ```
    /// use hounsfield_layers::{colormap::ColorMap, fusion::Fusion};
    /// use hounsfield_pipeline::{GreyPipeline, Voi};
    /// use hounsfield_dicom::{ModalityLut, VoiLutFunction};
    /// # fn fusion(volume: std::sync::Arc<hounsfield_volume::volume::Volume>) {
    /// let pipeline = GreyPipeline {
    ///     modality: ModalityLut::Identity,
    ///     voi: Voi::Window { center: 128.0, width: 256.0, function: VoiLutFunction::Linear },
    ///     inverse: false,
    ///     presentation_lut: None,
    /// };
    /// let f = Fusion { volume, pipeline, colormap: ColorMap::HotIron, opacity: 0.5, frame_of_reference: None };
    /// assert_eq!(f.level(200.0), Some(200));
    /// assert_eq!(f.level(0.0), None);
    /// # }
    /// ```
    pub fn level(&self, value: f32) -> Option<u8> {
        if value < NO_DATA_BELOW {
            return None;
        }
        let d = self.pipeline.display(f64::from(value));
        (d > 0).then_some(d)
    }

    /// The fused series over `plane`'s pixels.
    pub fn layer(&self, plane: &Plane) -> LayerImage {
        let frame = resample(&self.volume, plane, None);
        let alpha = (self.opacity.clamp(0.0, 1.0) * 255.0).round() / 255.0;
        let table = self.colormap.table();
        let pixels = (0..frame.samples.len())
            .map(|i| match self.level(frame.samples.get_f64(i) as f32) {
                Some(d) => {
                    let [r, g, b] = table[usize::from(d)].map(|c| f64::from(c) / 255.0 * alpha);
                    [r, g, b, alpha]
                }
                None => [0.0; 4],
            })
            .collect();
        LayerImage {
            columns: plane.columns,
            rows: plane.rows,
            pixels,
        }
    }

    /// Whether the fused series lies in the patient coordinates of an image or volume in
    /// `frame_of_reference`: an error naming both when their Frame of Reference UIDs
    /// differ (their coordinates are unrelated without a registration).
    pub fn check_frame_of_reference(&self, frame_of_reference: Option<&str>) -> Result<(), String> {
        match (self.frame_of_reference.as_deref(), frame_of_reference) {
            (Some(a), Some(b)) if a != b => Err(format!(
                "the fused series is in Frame of Reference {a}, the images in {b}: \
                 their patient coordinates are unrelated without a registration"
            )),
            _ => Ok(()),
        }
    }
}

/// The plane of an image's pixels (Image Position, Image Orientation and Pixel Spacing of
/// `geometry`, `columns` x `rows`), to resample a fused series on. Pixels must be square:
/// the error says so otherwise, or names the missing attribute.
///
/// ```
/// use hounsfield_dicom::Geometry;
/// use hounsfield_layers::fusion::image_plane;
/// let g = Geometry {
///     image_position_patient: Some([-100.0, -100.0, 20.0]),
///     image_orientation_patient: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
///     pixel_spacing: Some([0.5, 0.5]),
///     ..Geometry::default()
/// };
/// let plane = image_plane(&g, 400, 400).unwrap();
/// assert_eq!(plane.position(2.0, 0.0), [-99.0, -100.0, 20.0]);
/// ```
pub fn image_plane(geometry: &Geometry, columns: u32, rows: u32) -> Result<Plane, String> {
    let origin = geometry
        .image_position_patient
        .ok_or("the image has no Image Position (Patient)")?;
    let o = geometry
        .image_orientation_patient
        .ok_or("the image has no Image Orientation (Patient)")?;
    let [row_spacing, column_spacing] = geometry
        .pixel_spacing
        .ok_or("the image has no Pixel Spacing")?;
    if !(column_spacing > 0.0
        && (row_spacing - column_spacing).abs() <= 1e-6 * column_spacing.max(row_spacing))
    {
        return Err(format!(
            "Pixel Spacing {row_spacing}\\{column_spacing}: fusion needs square pixels"
        ));
    }
    let unit = |v: [f64; 3]| {
        let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        v.map(|c| c / n)
    };
    let u = unit([o[0], o[1], o[2]]);
    let v = unit([o[3], o[4], o[5]]);
    let normal = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    Ok(Plane {
        origin,
        u,
        v,
        normal,
        columns,
        rows,
        spacing: column_spacing,
    })
}
