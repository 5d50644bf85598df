//! # hounsfield-measure
//!
//! Measurements on DICOM images in real units.
//!
//! - **Regions** ([`Roi::Rect`], [`Roi::Ellipse`], freehand [`Roi::Polygon`], a probe's
//!   [`Roi::Point`]): mean, population standard deviation,
//!   minimum and maximum in modality units (HU for CT), computed on the stored values
//!   through the Modality LUT, never on display grey levels, with Pixel Padding Value /
//!   Range left out; their pixel count and area.
//! - **Angles** ([`Roi::Angle`], [`Roi::Cobb`]) in degrees, in the patient.
//! - **Lengths** ([`Roi::Line`]) in millimetres, or in pixels when nothing gives the size
//!   of a pixel.
//! - **The size of a pixel** ([`PixelSize`]) and where it holds, as PS3.3 10.7.1.3 asks:
//!   in the patient (Pixel Spacing of cross-sectional images), at the detector (Imager
//!   Pixel Spacing), corrected by the Estimated Radiographic Magnification Factor, or
//!   calibrated (a Pixel Spacing of a projection radiograph, with its Pixel Spacing
//!   Calibration Type).
//!
//! Coordinates are image pixel coordinates, (column, row), with pixel centres at integers
//! as in the Image Plane module. A rectangle `rect:X,Y,W,H` holds columns X..X+W-1 and rows
//! Y..Y+H-1; an ellipse `ellipse:CX,CY,RX,RY` the pixels whose centres (x, y) satisfy
//! ((x-CX)/RX)^2 + ((y-CY)/RY)^2 <= 1; a polygon the pixels whose centres it holds by the
//! even-odd rule (see [`Roi::Polygon`] for centres on an edge); a point the pixel whose
//! centre is nearest. Pixels outside the image are not part of a region.
//!
//! ```
//! use hounsfield_measure::{PixelSize, Roi, Spacing, region_statistics};
//! use hounsfield_dicom::{Frame, FrameColor, ModalityLut, PixelPadding, Samples};
//! // A 4 x 2 CT frame with one padding pixel (-2000).
//! let frame = Frame {
//!     width: 4, height: 2, color: FrameColor::Monochrome,
//!     samples: Samples::I16(vec![1000, 1010, 1020, -2000, 1030, 1040, 1050, 1060]),
//!     bits_stored: 16, signed: true,
//! };
//! let ct = ModalityLut::Rescale { slope: 1.0, intercept: -1024.0, rescale_type: None };
//! let size = PixelSize { row_mm: 0.5, column_mm: 0.5, spacing: Spacing::Patient };
//! let padding = Some(PixelPadding { low: -2000, high: -2000 });
//! let s = region_statistics(&frame, &ct, padding, &Roi::parse("rect:2,0,2,2")?, &size)?;
//! assert_eq!((s.pixels, s.padding_pixels), (4, 1));
//! assert_eq!((s.min, s.max), (-4.0, 36.0));
//! assert_eq!(s.area_mm2, Some(1.0));
//! # Ok::<(), String>(())
//! ```

#![warn(missing_docs)]

use hounsfield_dicom::{DicomFile, Frame, FrameColor, ModalityLut, PixelPadding, tags};
use hounsfield_pipeline::modality_transform;
use hounsfield_volume::volume::{Plane, PlaneSample, PlaneSampler, Slab, Volume};

mod part10;
mod roi;
pub mod sr;
pub use roi::Roi;

/// Where a pixel size holds (PS3.3 10.7.1.3), which the label of a measurement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Spacing {
    /// Pixel Spacing of a cross-sectional image: in the patient.
    Patient,
    /// Imager Pixel Spacing: at the detector (objects nearer the source look larger).
    Detector,
    /// Imager Pixel Spacing divided by the Estimated Radiographic Magnification Factor.
    Magnification,
    /// Pixel Spacing of a projection radiograph, calibrated as Pixel Spacing Calibration
    /// Type says (or not said).
    Calibrated,
    /// Nothing gives the size of a pixel: measurements in pixels.
    Pixels,
}

impl Spacing {
    /// The words a measurement carries.
    pub fn label(self) -> &'static str {
        match self {
            Spacing::Patient => "mm",
            Spacing::Detector => "mm at the detector",
            Spacing::Magnification => "mm, corrected for magnification",
            Spacing::Calibrated => "mm, calibrated",
            Spacing::Pixels => "pixels",
        }
    }
}

/// The size of a pixel: between rows and between columns, and where it holds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PixelSize {
    /// Distance between the centres of adjacent rows (mm; 1 for [`Spacing::Pixels`]).
    pub row_mm: f64,
    /// Distance between the centres of adjacent columns.
    pub column_mm: f64,
    /// Where it holds.
    pub spacing: Spacing,
}

/// Projection radiography: the modalities whose images are projections, not slices.
const PROJECTION: [&str; 10] = ["CR", "DX", "MG", "RG", "XA", "RF", "IO", "PX", "DF", "GM"];

impl PixelSize {
    /// The pixel size of frame `frame` of `file`, as PS3.3 10.7.1.3 orders the attributes.
    pub fn of(file: &DicomFile, frame: usize) -> PixelSize {
        let g = file.geometry(frame);
        let a = file.attributes();
        let modality = file.identification().modality.unwrap_or_default();
        let valid = |s: Option<[f64; 2]>| s.filter(|s| s.iter().all(|v| v.is_finite() && *v > 0.0));
        let (pixel, imager) = (valid(g.pixel_spacing), valid(g.imager_pixel_spacing));
        let size = |s: [f64; 2], spacing| PixelSize {
            row_mm: s[0],
            column_mm: s[1],
            spacing,
        };
        let projection = PROJECTION.contains(&modality.trim())
            || (imager.is_some() && g.image_orientation_patient.is_none());
        if !projection {
            return pixel.map_or(size([1.0, 1.0], Spacing::Pixels), |p| {
                size(p, Spacing::Patient)
            });
        }
        let calibrated = a.string(tags::PIXEL_SPACING_CALIBRATION_TYPE).is_some();
        match (pixel, imager) {
            // A Pixel Spacing that differs from the detector's (or says how it was
            // calibrated) holds where it was calibrated.
            (Some(p), Some(i))
                if calibrated || p.iter().zip(&i).any(|(x, y)| (x - y).abs() > 1e-9) =>
            {
                size(p, Spacing::Calibrated)
            }
            (Some(p), None) => size(
                p,
                if calibrated {
                    Spacing::Calibrated
                } else {
                    Spacing::Detector
                },
            ),
            (_, Some(i)) => {
                let ermf = a
                    .float(
                        tags::ESTIMATED_RADIOGRAPHIC_MAGNIFICATION_FACTOR,
                        "Estimated Radiographic Magnification Factor",
                    )
                    .ok()
                    .flatten()
                    .filter(|m| m.is_finite() && *m > 0.0);
                match ermf {
                    Some(m) => size([i[0] / m, i[1] / m], Spacing::Magnification),
                    None => size(i, Spacing::Detector),
                }
            }
            (None, None) => size([1.0, 1.0], Spacing::Pixels),
        }
    }
}

/// The statistics of a region.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RegionStatistics {
    /// Pixels whose centres are in the region (inside the image).
    pub pixels: usize,
    /// Of those, the ones left out for being Pixel Padding.
    pub padding_pixels: usize,
    /// Mean of the modality values of the other pixels.
    pub mean: f64,
    /// Their population standard deviation.
    pub sd: f64,
    /// Their minimum.
    pub min: f64,
    /// Their maximum.
    pub max: f64,
    /// `pixels` times the area of one pixel (mm2); None when the size of a pixel is not
    /// known.
    pub area_mm2: Option<f64>,
}

/// One pixel of a region, as its statistics take it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PixelValue {
    /// Not part of the image (outside a plane's volume): not part of the region.
    Outside,
    /// Pixel Padding: counted in the region, left out of its numbers.
    Padding,
    /// A modality value.
    Value(f64),
}

/// The pixels a region's statistics are taken from: a decoded frame ([`FramePixels`]) or
/// a plane cut through a volume ([`PlanePixels`]).
pub trait RegionPixels {
    /// Columns and rows.
    fn dimensions(&self) -> [u32; 2];
    /// Pixel (`x`, `y`) (column, row), inside [`dimensions`](Self::dimensions).
    fn value(&self, x: u32, y: u32) -> PixelValue;
    /// Units of the modality values ("HU" for CT), when known.
    fn units(&self) -> Option<&str>;
}

/// The statistics of `roi` over `pixels` (of `size`): pixels outside the image are not
/// part of the region; padding pixels are counted but left out of the numbers.
pub fn statistics(
    pixels: &dyn RegionPixels,
    roi: &Roi,
    size: &PixelSize,
) -> Result<RegionStatistics, String> {
    if !roi.has_pixels() {
        return Err("lines and angles have no pixel statistics".into());
    }
    let (x0, y0, x1, y1) = roi.bounds();
    let [w, h] = pixels.dimensions();
    let (mut count, mut padded, mut outside) = (0usize, 0usize, 0usize);
    let mut values = Vec::new();
    for y in y0.max(0)..=y1.min(i64::from(h) - 1) {
        for x in x0.max(0)..=x1.min(i64::from(w) - 1) {
            if !roi.contains(x, y) {
                continue;
            }
            match pixels.value(x as u32, y as u32) {
                PixelValue::Outside => {
                    outside += 1;
                    continue;
                }
                PixelValue::Padding => padded += 1,
                PixelValue::Value(v) => values.push(v),
            }
            count += 1;
        }
    }
    if count == 0 && outside > 0 {
        return Err("the region lies outside the volume".into());
    }
    if count == 0 {
        return Err(format!(
            "the region has no pixel inside the {w} x {h} image"
        ));
    }
    if values.is_empty() {
        return Err("every pixel of the region is Pixel Padding".into());
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    Ok(RegionStatistics {
        pixels: count,
        padding_pixels: padded,
        mean,
        sd,
        min,
        max,
        area_mm2: (size.spacing != Spacing::Pixels)
            .then_some(count as f64 * size.row_mm * size.column_mm),
    })
}

/// The statistics of `roi` on a grey frame: modality values (`modality` applied to the
/// stored values), Pixel Padding (`padding`) left out. Errors for colour frames, lines,
/// and regions with no pixel left.
pub fn region_statistics(
    frame: &Frame,
    modality: &ModalityLut,
    padding: Option<PixelPadding>,
    roi: &Roi,
    size: &PixelSize,
) -> Result<RegionStatistics, String> {
    let pixels = FramePixels {
        frame,
        modality,
        padding,
        units: None,
    };
    pixels.grey()?;
    statistics(&pixels, roi, size)
}

/// The length of a line in millimetres (in pixels with [`Spacing::Pixels`]).
pub fn line_length(x1: f64, y1: f64, x2: f64, y2: f64, size: &PixelSize) -> f64 {
    let dx = (x2 - x1) * size.column_mm;
    let dy = (y2 - y1) * size.row_mm;
    dx.hypot(dy)
}

/// A vector between two image points in millimetres (pixels scaled by their size).
fn physical(from: [f64; 2], to: [f64; 2], size: &PixelSize) -> [f64; 2] {
    [
        (to[0] - from[0]) * size.column_mm,
        (to[1] - from[1]) * size.row_mm,
    ]
}

/// The angle between two vectors in degrees, 0 to 180 (None when one has no length).
fn between(u: [f64; 2], v: [f64; 2]) -> Option<f64> {
    let cross = u[0] * v[1] - u[1] * v[0];
    let dot = u[0] * v[0] + u[1] * v[1];
    (u != [0.0, 0.0] && v != [0.0, 0.0]).then(|| cross.abs().atan2(dot).to_degrees())
}

/// The angle at `vertex` between the arms to `a` and `b`, in degrees (0 to 180), measured
/// in the patient (pixels scaled by their size, so non-square pixels measure true).
/// None when an arm has no length.
///
/// ```
/// use hounsfield_measure::{PixelSize, Spacing, angle_degrees};
/// let square = PixelSize { row_mm: 1.0, column_mm: 1.0, spacing: Spacing::Patient };
/// assert_eq!(angle_degrees([10.0, 0.0], [0.0, 0.0], [0.0, 10.0], &square), Some(90.0));
/// ```
pub fn angle_degrees(a: [f64; 2], vertex: [f64; 2], b: [f64; 2], size: &PixelSize) -> Option<f64> {
    between(physical(vertex, a, size), physical(vertex, b, size))
}

/// The Cobb angle: the angle between the line through `points[0]`, `points[1]` and the
/// line through `points[2]`, `points[3]`, in degrees from 0 to 90 (lines have no
/// direction), in the patient. None when a line has no length.
pub fn cobb_degrees(points: &[[f64; 2]; 4], size: &PixelSize) -> Option<f64> {
    let a = between(
        physical(points[0], points[1], size),
        physical(points[2], points[3], size),
    )?;
    Some(if a > 90.0 { 180.0 - a } else { a })
}

/// A measurement of one frame: a region's statistics or a line's length, with the size of
/// a pixel it used and the units of its values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Measurement {
    /// What was measured.
    pub roi: Roi,
    /// The size of a pixel and where it holds.
    pub pixel_size: PixelSize,
    /// The statistics of a region.
    pub statistics: Option<RegionStatistics>,
    /// The length of a line (mm, or pixels when the size of a pixel is not known).
    pub length: Option<f64>,
    /// An angle or a Cobb angle, degrees.
    pub angle: Option<f64>,
    /// Units of the modality values ("HU" for CT), when known.
    pub units: Option<String>,
}

/// A decoded grey frame with what its statistics need: the Modality LUT, the Pixel
/// Padding left out, and the units of the modality values.
#[derive(Debug, Clone, Copy)]
pub struct FramePixels<'a> {
    /// The stored values.
    pub frame: &'a Frame,
    /// Stored values to modality values.
    pub modality: &'a ModalityLut,
    /// Pixel Padding Value / Range.
    pub padding: Option<PixelPadding>,
    /// Units of the modality values ("HU" for CT).
    pub units: Option<&'a str>,
}

impl FramePixels<'_> {
    fn grey(&self) -> Result<(), String> {
        if self.frame.color != FrameColor::Monochrome {
            return Err("regions are measured on grey images (modality values)".into());
        }
        Ok(())
    }
}

impl RegionPixels for FramePixels<'_> {
    fn dimensions(&self) -> [u32; 2] {
        [self.frame.width, self.frame.height]
    }

    fn value(&self, x: u32, y: u32) -> PixelValue {
        let i = y as usize * self.frame.width as usize + x as usize;
        let stored = self.frame.samples.get_f64(i);
        if self.padding.is_some_and(|p| p.contains(stored)) {
            PixelValue::Padding
        } else {
            PixelValue::Value(modality_transform(self.modality, stored))
        }
    }

    fn units(&self) -> Option<&str> {
        self.units
    }
}

/// The pixels of a plane (or slab) cut through a volume, as the plane shows them
/// ([`resample`](hounsfield_volume::volume::resample)'s values through the volume's
/// Modality LUT), for statistics over a region drawn on the plane. Pixels outside the
/// volume are not part of a region; pixels whose samples interpolate a Pixel Padding voxel
/// are counted and left out of the numbers, as on an image.
pub struct PlanePixels<'a> {
    sampler: PlaneSampler<'a>,
    volume: &'a Volume,
    dimensions: [u32; 2],
    units: Option<&'a str>,
}

impl<'a> PlanePixels<'a> {
    /// The pixels of `plane` (with `slab`) through `volume`, in `units`.
    pub fn new(
        volume: &'a Volume,
        plane: &Plane,
        slab: Option<Slab>,
        units: Option<&'a str>,
    ) -> Self {
        PlanePixels {
            sampler: PlaneSampler::new(volume, plane, slab),
            volume,
            dimensions: [plane.columns, plane.rows],
            units,
        }
    }

    /// The size of a plane's pixel: square, of the plane's spacing, in the patient.
    pub fn pixel_size(plane: &Plane) -> PixelSize {
        PixelSize {
            row_mm: plane.spacing,
            column_mm: plane.spacing,
            spacing: Spacing::Patient,
        }
    }
}

impl RegionPixels for PlanePixels<'_> {
    fn dimensions(&self) -> [u32; 2] {
        self.dimensions
    }

    fn value(&self, x: u32, y: u32) -> PixelValue {
        match self.sampler.at(x, y) {
            PlaneSample::Outside => PixelValue::Outside,
            PlaneSample::Padding => PixelValue::Padding,
            PlaneSample::Value(v) => {
                PixelValue::Value(modality_transform(&self.volume.modality, f64::from(v)))
            }
        }
    }

    fn units(&self) -> Option<&str> {
        self.units
    }
}

/// Measures `roi` drawn on `plane` through `volume` (the thin plane; `units` those of the
/// volume's modality values): lengths and angles in patient millimetres, regions over the
/// plane's pixels ([`PlanePixels`]).
pub fn measure_on_plane(
    volume: &Volume,
    plane: &Plane,
    roi: &Roi,
    units: Option<&str>,
) -> Result<Measurement, String> {
    let size = PlanePixels::pixel_size(plane);
    if !roi.has_pixels() {
        return measure_with(roi, size, None);
    }
    measure_with(
        roi,
        size,
        Some(&PlanePixels::new(volume, plane, None, units)),
    )
}

/// Measures `roi` with pixels of `size`: the length of a line, an angle, or the
/// statistics of a region on `pixels` (which regions need; lines and angles do not).
/// The command line and both viewers measure through this one function.
pub fn measure_pixels(
    roi: &Roi,
    size: PixelSize,
    pixels: Option<FramePixels<'_>>,
) -> Result<Measurement, String> {
    match &pixels {
        Some(p) if roi.has_pixels() => {
            p.grey()?;
            measure_with(roi, size, Some(p))
        }
        _ => measure_with(roi, size, None),
    }
}

/// [`measure_pixels`] on any [`RegionPixels`]: an image's or a plane's.
pub fn measure_with(
    roi: &Roi,
    size: PixelSize,
    pixels: Option<&dyn RegionPixels>,
) -> Result<Measurement, String> {
    let mut m = Measurement {
        roi: roi.clone(),
        pixel_size: size,
        statistics: None,
        length: None,
        angle: None,
        units: None,
    };
    match roi {
        Roi::Line { x1, y1, x2, y2 } => m.length = Some(line_length(*x1, *y1, *x2, *y2, &size)),
        Roi::Angle { points: [a, v, b] } => {
            m.angle =
                Some(angle_degrees(*a, *v, *b, &size).ok_or("an arm of the angle has no length")?);
        }
        Roi::Cobb { points } => {
            m.angle =
                Some(cobb_degrees(points, &size).ok_or("a line of the Cobb angle has no length")?);
        }
        Roi::Rect { .. } | Roi::Ellipse { .. } | Roi::Polygon { .. } | Roi::Point { .. } => {
            let p = pixels.ok_or("the image is not decoded")?;
            m.units = p.units().map(str::to_string);
            m.statistics = Some(statistics(p, roi, &size)?);
        }
    }
    Ok(m)
}

/// Measures `roi` on frame `frame` (0-based) of `file` (decoding the frame only for
/// regions).
pub fn measure(file: &DicomFile, frame: usize, roi: &Roi) -> Result<Measurement, String> {
    let mut all = measure_all(file, frame, std::slice::from_ref(roi))?;
    all.pop().ok_or_else(|| "nothing measured".to_string())
}

/// Measures every ROI of `rois` on frame `frame` (0-based) of `file`, decoding the frame
/// once (and only when a region needs its pixels).
pub fn measure_all(
    file: &DicomFile,
    frame: usize,
    rois: &[Roi],
) -> Result<Vec<Measurement>, String> {
    let size = PixelSize::of(file, frame);
    let named = |e: String| format!("{}: {e}", file.name());
    let decoded = if rois.iter().any(Roi::has_pixels) {
        let params = file.display_parameters(frame).map_err(|e| e.to_string())?;
        let decoded = file.decode_frame(frame).map_err(|e| e.to_string())?;
        let units = params
            .modality_lut
            .units(file.identification().modality.as_deref());
        Some((params, decoded, units))
    } else {
        None
    };
    let pixels = decoded.as_ref().map(|(params, frame, units)| FramePixels {
        frame,
        modality: &params.modality_lut,
        padding: params.pixel_padding,
        units: units.as_deref(),
    });
    rois.iter()
        .map(|roi| measure_pixels(roi, size, pixels).map_err(named))
        .collect()
}

/// A measurement as the command line's `--json` and the viewers' status give it: the ROI
/// in the command-line syntax and one key per number (absent when it does not apply).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    /// The ROI ([`Roi::spec`]).
    pub roi: String,
    /// Where the pixel size holds ([`Spacing::label`]).
    pub spacing: &'static str,
    /// Row and column spacing, mm (absent when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pixel_size_mm: Option<[f64; 2]>,
    /// Units of the modality values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<String>,
    /// A line's length in mm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length_mm: Option<f64>,
    /// A line's length in pixels, when the pixel size is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length_pixels: Option<f64>,
    /// An angle, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub angle_deg: Option<f64>,
    /// A region's mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Its population standard deviation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// Its minimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Its maximum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Its area, mm2 (absent when the pixel size is unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_mm2: Option<f64>,
    /// Its pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pixels: Option<usize>,
    /// Of those, the ones left out as padding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub padding_pixels: Option<usize>,
}

/// Two decimals, or none for whole numbers.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

impl Measurement {
    /// The numbers, keyed as `hounsfield measure --json` prints them.
    pub fn summary(&self) -> Summary {
        let known = self.pixel_size.spacing != Spacing::Pixels;
        let s = self.statistics.as_ref();
        Summary {
            roi: self.roi.spec(),
            spacing: self.pixel_size.spacing.label(),
            pixel_size_mm: known.then_some([self.pixel_size.row_mm, self.pixel_size.column_mm]),
            units: self.units.clone(),
            length_mm: self.length.filter(|_| known),
            length_pixels: self.length.filter(|_| !known),
            angle_deg: self.angle,
            mean: s.map(|s| s.mean),
            sd: s.map(|s| s.sd),
            min: s.map(|s| s.min),
            max: s.map(|s| s.max),
            area_mm2: s.and_then(|s| s.area_mm2),
            pixels: s.map(|s| s.pixels),
            padding_pixels: s.map(|s| s.padding_pixels),
        }
    }

    /// The lines a viewer writes beside the measurement (and the command line prints):
    /// "12.34 mm", "45.0°", "Mean 40.12 HU  SD 3.45" ... Numbers with two decimals (one
    /// for angles).
    ///
    /// ```
    /// use hounsfield_measure::{PixelSize, Roi, Spacing, measure_pixels};
    /// let size = PixelSize { row_mm: 0.5, column_mm: 0.5, spacing: Spacing::Detector };
    /// let m = measure_pixels(&Roi::parse("line:0,0,30,40")?, size, None)?;
    /// assert_eq!(m.lines(), vec!["25 mm at the detector"]);
    /// # Ok::<(), String>(())
    /// ```
    pub fn lines(&self) -> Vec<String> {
        let unit = self.pixel_size.spacing.label();
        let mut lines = Vec::new();
        if let Some(length) = self.length {
            lines.push(format!("{} {unit}", number(length)));
        }
        if let Some(angle) = self.angle {
            let cobb = matches!(self.roi, Roi::Cobb { .. });
            lines.push(format!("{}{angle:.1}°", if cobb { "Cobb " } else { "" }));
        }
        if let Some(s) = &self.statistics {
            let units = self
                .units
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default();
            if matches!(self.roi, Roi::Point { .. }) {
                lines.push(format!("{}{units}", number(s.mean)));
                return lines;
            }
            lines.push(format!(
                "Mean {}{units}  SD {}",
                number(s.mean),
                number(s.sd)
            ));
            lines.push(format!("Min {}  Max {}", number(s.min), number(s.max)));
            // "mm at the detector" -> "mm² at the detector".
            let area = match s.area_mm2 {
                Some(a) => format!(
                    "Area {} mm²{}  ({} px)",
                    number(a),
                    unit.strip_prefix("mm").unwrap_or_default(),
                    s.pixels
                ),
                None => format!("Area {} px", s.pixels),
            };
            lines.push(area);
            if s.padding_pixels > 0 {
                lines.push(format!("{} padding px left out", s.padding_pixels));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_the_pixel_spacing() {
        let size = PixelSize {
            row_mm: 2.0,
            column_mm: 0.5,
            spacing: Spacing::Patient,
        };
        // 6 columns (3 mm) and 2 rows (4 mm): 5 mm.
        assert_eq!(line_length(0.0, 0.0, 6.0, 2.0, &size), 5.0);
    }
}
