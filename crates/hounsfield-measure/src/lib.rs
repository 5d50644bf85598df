//! # hounsfield-measure
//!
//! Measurements on DICOM images in real units.
//!
//! - **Regions** ([`Roi::Rect`], [`Roi::Ellipse`]): mean, population standard deviation,
//!   minimum and maximum in modality units (HU for CT), computed on the stored values
//!   through the Modality LUT, never on display grey levels, with Pixel Padding Value /
//!   Range left out; their pixel count and area.
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
//! ((x-CX)/RX)^2 + ((y-CY)/RY)^2 <= 1; pixels outside the image are not part of a region.
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

/// A region or a line in image pixel coordinates (column, row; pixel centres at integers).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Roi {
    /// Columns `x`..`x + width - 1`, rows `y`..`y + height - 1`.
    Rect {
        /// First column.
        x: i64,
        /// First row.
        y: i64,
        /// Columns.
        width: i64,
        /// Rows.
        height: i64,
    },
    /// The pixels whose centres lie within the ellipse of centre (cx, cy), radius rx in
    /// columns and ry in rows.
    Ellipse {
        /// Centre column.
        cx: f64,
        /// Centre row.
        cy: f64,
        /// Radius in columns.
        rx: f64,
        /// Radius in rows.
        ry: f64,
    },
    /// The segment from (x1, y1) to (x2, y2).
    Line {
        /// Start column.
        x1: f64,
        /// Start row.
        y1: f64,
        /// End column.
        x2: f64,
        /// End row.
        y2: f64,
    },
}

impl Roi {
    /// Reads `ellipse:CX,CY,RX,RY`, `rect:X,Y,W,H` or `line:X1,Y1,X2,Y2`.
    pub fn parse(text: &str) -> Result<Roi, String> {
        let (kind, values) = text.split_once(':').ok_or_else(|| {
            format!("{text:?}: expected ellipse:CX,CY,RX,RY, rect:X,Y,W,H or line:X1,Y1,X2,Y2")
        })?;
        let numbers: Vec<f64> = values
            .split(',')
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("{text:?}: {v:?} is not a number"))
            })
            .collect::<Result<_, _>>()?;
        let [a, b, c, d] = numbers[..] else {
            return Err(format!(
                "{text:?}: four numbers expected, {} given",
                numbers.len()
            ));
        };
        if !numbers.iter().all(|v| v.is_finite()) {
            return Err(format!("{text:?}: numbers must be finite"));
        }
        let whole = |v: f64| {
            (v.fract() == 0.0 && v.abs() < 1e9)
                .then_some(v as i64)
                .ok_or_else(|| format!("{text:?}: a rectangle takes whole pixels"))
        };
        match kind.trim() {
            "ellipse" if c > 0.0 && d > 0.0 => Ok(Roi::Ellipse {
                cx: a,
                cy: b,
                rx: c,
                ry: d,
            }),
            "ellipse" => Err(format!("{text:?}: the radii must be positive")),
            "rect" => {
                let (x, y, width, height) = (whole(a)?, whole(b)?, whole(c)?, whole(d)?);
                if width <= 0 || height <= 0 {
                    return Err(format!("{text:?}: width and height must be positive"));
                }
                Ok(Roi::Rect {
                    x,
                    y,
                    width,
                    height,
                })
            }
            "line" => Ok(Roi::Line {
                x1: a,
                y1: b,
                x2: c,
                y2: d,
            }),
            other => Err(format!("{other:?}: a region is ellipse, rect or line")),
        }
    }

    /// Whether the centre of pixel (column `x`, row `y`) is in the region (never for a
    /// line).
    pub fn contains(&self, x: i64, y: i64) -> bool {
        match *self {
            Roi::Rect {
                x: x0,
                y: y0,
                width,
                height,
            } => x >= x0 && x < x0 + width && y >= y0 && y < y0 + height,
            Roi::Ellipse { cx, cy, rx, ry } => {
                let dx = (x as f64 - cx) / rx;
                let dy = (y as f64 - cy) / ry;
                dx * dx + dy * dy <= 1.0
            }
            Roi::Line { .. } => false,
        }
    }

    /// The rows and columns the region may cover: (x0, y0, x1, y1), inclusive.
    fn bounds(&self) -> (i64, i64, i64, i64) {
        match *self {
            Roi::Rect {
                x,
                y,
                width,
                height,
            } => (x, y, x + width - 1, y + height - 1),
            Roi::Ellipse { cx, cy, rx, ry } => (
                (cx - rx).floor() as i64,
                (cy - ry).floor() as i64,
                (cx + rx).ceil() as i64,
                (cy + ry).ceil() as i64,
            ),
            Roi::Line { .. } => (0, 0, -1, -1),
        }
    }
}

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
    if frame.color != FrameColor::Monochrome {
        return Err("regions are measured on grey images (modality values)".into());
    }
    if matches!(roi, Roi::Line { .. }) {
        return Err("a line has a length, not statistics".into());
    }
    let (x0, y0, x1, y1) = roi.bounds();
    let (w, h) = (i64::from(frame.width), i64::from(frame.height));
    let (mut pixels, mut padded) = (0usize, 0usize);
    let mut values = Vec::new();
    for y in y0.max(0)..=y1.min(h - 1) {
        for x in x0.max(0)..=x1.min(w - 1) {
            if !roi.contains(x, y) {
                continue;
            }
            pixels += 1;
            let stored = frame.samples.get_f64((y * w + x) as usize);
            if padding.is_some_and(|p| p.contains(stored)) {
                padded += 1;
                continue;
            }
            values.push(modality_transform(modality, stored));
        }
    }
    if pixels == 0 {
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
        pixels,
        padding_pixels: padded,
        mean,
        sd,
        min,
        max,
        area_mm2: (size.spacing != Spacing::Pixels)
            .then_some(pixels as f64 * size.row_mm * size.column_mm),
    })
}

/// The length of a line in millimetres (in pixels with [`Spacing::Pixels`]).
pub fn line_length(x1: f64, y1: f64, x2: f64, y2: f64, size: &PixelSize) -> f64 {
    let dx = (x2 - x1) * size.column_mm;
    let dy = (y2 - y1) * size.row_mm;
    dx.hypot(dy)
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
    /// Units of the modality values ("HU" for CT), when known.
    pub units: Option<String>,
}

/// Measures `roi` on frame `frame` (0-based) of `file`.
pub fn measure(file: &DicomFile, frame: usize, roi: &Roi) -> Result<Measurement, String> {
    let size = PixelSize::of(file, frame);
    let named = |e: String| format!("{}: {e}", file.name());
    let mut m = Measurement {
        roi: *roi,
        pixel_size: size,
        statistics: None,
        length: None,
        units: None,
    };
    if let Roi::Line { x1, y1, x2, y2 } = *roi {
        m.length = Some(line_length(x1, y1, x2, y2, &size));
        return Ok(m);
    }
    let params = file.display_parameters(frame).map_err(|e| e.to_string())?;
    let decoded = file.decode_frame(frame).map_err(|e| e.to_string())?;
    m.units = params
        .modality_lut
        .units(file.identification().modality.as_deref());
    m.statistics = Some(
        region_statistics(
            &decoded,
            &params.modality_lut,
            params.pixel_padding,
            roi,
            &size,
        )
        .map_err(named)?,
    );
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse_and_hold_the_pixels_the_rule_says() {
        assert_eq!(
            Roi::parse("rect:1,2,3,4"),
            Ok(Roi::Rect {
                x: 1,
                y: 2,
                width: 3,
                height: 4
            })
        );
        assert!(Roi::parse("rect:1,2,0,4").is_err());
        assert!(Roi::parse("rect:1.5,2,3,4").is_err());
        assert!(Roi::parse("ellipse:1,2,0,4").is_err());
        assert!(Roi::parse("circle:1,2,3,4").is_err());
        assert!(Roi::parse("line:1,2,3").is_err());
        assert!(Roi::parse("line:1,2,3,nan").is_err());
        // A circle of radius 1 around (5, 5): the centre and its four neighbours.
        let c = Roi::parse("ellipse:5,5,1,1").unwrap_or_else(|e| panic!("{e}"));
        let inside: Vec<(i64, i64)> = (3..8)
            .flat_map(|y| (3..8).map(move |x| (x, y)))
            .filter(|&(x, y)| c.contains(x, y))
            .collect();
        assert_eq!(inside, vec![(5, 4), (4, 5), (5, 5), (6, 5), (5, 6)]);
        let r = Roi::Rect {
            x: 1,
            y: 1,
            width: 2,
            height: 1,
        };
        assert!(r.contains(1, 1) && r.contains(2, 1) && !r.contains(3, 1) && !r.contains(1, 2));
    }

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
