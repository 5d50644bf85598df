//! The display parameters of a frame (PS3.3 C.11 and the functional groups of enhanced
//! multi-frame objects, C.7.6.16): Modality LUT, VOI windows and tables, VOI LUT
//! Function, Presentation LUT Shape, palettes.

use crate::attrs::Attributes;
use crate::error::{Error, ErrorKind, KResult};
use crate::file::DicomFile;
use crate::image::PhotometricInterpretation;
use crate::lut::{Lut, PaletteColorLut};
use dicom_core::Tag;
use dicom_dictionary_std::tags;

/// The Modality LUT stage (C.11.1): stored values to modality values (HU for CT).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum ModalityLut {
    /// No rescale: modality values are the stored values.
    Identity,
    /// Rescale Slope and Intercept (0028,1053), (0028,1052).
    Rescale {
        /// Rescale Slope (0028,1053).
        slope: f64,
        /// Rescale Intercept (0028,1052).
        intercept: f64,
        /// Rescale Type (0028,1054), e.g. "HU".
        rescale_type: Option<String>,
    },
    /// Modality LUT Sequence (0028,3000).
    Table {
        /// The table's entries, first stored value mapped and bits per entry.
        lut: Lut,
        /// Modality LUT Type (0028,3004).
        lut_type: Option<String>,
    },
}

impl ModalityLut {
    /// The units of the modality values it gives: Rescale Type or LUT Type when the file
    /// names them, "HU" for a rescaled CT that does not (PS3.3 C.11.1.1.2), else none.
    ///
    /// ```
    /// use hounsfield_dicom::ModalityLut;
    /// let ct = ModalityLut::Rescale { slope: 1.0, intercept: -1024.0, rescale_type: None };
    /// assert_eq!(ct.units(Some("CT")).as_deref(), Some("HU"));
    /// assert_eq!(ct.units(Some("MR")), None);
    /// ```
    pub fn units(&self, modality: Option<&str>) -> Option<String> {
        match self {
            ModalityLut::Rescale {
                rescale_type: Some(t),
                ..
            } => Some(t.clone()),
            ModalityLut::Table {
                lut_type: Some(t), ..
            } => Some(t.clone()),
            ModalityLut::Rescale { .. } if modality == Some("CT") => Some("HU".into()),
            _ => None,
        }
    }
}

/// VOI LUT Function (0028,1056), C.11.2.1.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VoiLutFunction {
    /// C.11.2.1.2.1, the default.
    #[default]
    Linear,
    /// C.11.2.1.3.2.
    LinearExact,
    /// C.11.2.1.3.1.
    Sigmoid,
}

impl VoiLutFunction {
    /// Parses the defined term.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "LINEAR" => Some(Self::Linear),
            "LINEAR_EXACT" => Some(Self::LinearExact),
            "SIGMOID" => Some(Self::Sigmoid),
            _ => None,
        }
    }
}

/// One window of the file: Window Center (0028,1050), Window Width (0028,1051) and its
/// Window Center & Width Explanation (0028,1055).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VoiWindow {
    /// Window Center (0028,1050), in modality units.
    pub center: f64,
    /// Window Width (0028,1051), in modality units.
    pub width: f64,
    /// Window Center & Width Explanation (0028,1055), e.g. "BRAIN".
    pub explanation: Option<String>,
}

/// Presentation LUT Shape (2050,0020).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PresentationLutShape {
    /// Output as computed.
    Identity,
    /// Output inverted (minimum displayed white).
    Inverse,
}

impl PresentationLutShape {
    /// Parses the enumerated value (None for another, such as LIN OD).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "IDENTITY" => Some(Self::Identity),
            "INVERSE" => Some(Self::Inverse),
            _ => None,
        }
    }
}

/// Everything the display pipeline needs for one frame, as the object specifies it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DisplayParameters {
    /// Photometric Interpretation (0028,0004).
    pub photometric_interpretation: PhotometricInterpretation,
    /// The Modality LUT stage: rescale or table (identity when absent).
    pub modality_lut: ModalityLut,
    /// Every window of the file for this frame, in order.
    pub windows: Vec<VoiWindow>,
    /// VOI LUT Function (0028,1056) of the windows: LINEAR (default), LINEAR_EXACT or SIGMOID.
    pub voi_lut_function: VoiLutFunction,
    /// VOI LUT Sequence (0028,3010) tables.
    pub voi_luts: Vec<Lut>,
    /// Presentation LUT Shape, when the object has one.
    pub presentation_lut_shape: Option<PresentationLutShape>,
    /// A Presentation LUT table (Presentation LUT Sequence, C.11.6) that replaces the
    /// shape: a presentation state's. Image files' own are not read.
    pub presentation_lut: Option<Lut>,
    /// The Palette Color LUT (PALETTE COLOR, or a supplemental palette).
    pub palette: Option<PaletteColorLut>,
    /// The palette is supplemental: it colours the stored values it covers in a grey
    /// image (Pixel Presentation COLOR or MIXED, C.8.16.2 / C.7.6.16.2.x).
    pub supplemental_palette: bool,
    /// Bits Stored and signedness of the samples (for data ranges and colour scaling).
    pub bits_stored: u16,
    /// Pixel Representation (0028,0103) is 1: samples are two's complement.
    pub signed: bool,
    /// The stored values that are padding, not data (grey images only).
    pub pixel_padding: Option<PixelPadding>,
}

/// Pixel Padding Value (0028,0120) and Pixel Padding Range Limit (0028,0121), PS3.3
/// C.7.5.1.1.2: the stored values (before the Modality LUT) that mark pixels outside the
/// scanned region. They are left out of data ranges (min-max windows).
///
/// ```
/// use hounsfield_dicom::PixelPadding;
/// let p = PixelPadding { low: -2000, high: -1500 };
/// assert!(p.contains(-1500.0) && !p.contains(-1499.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PixelPadding {
    /// The lowest padding value.
    pub low: i64,
    /// The highest padding value (equal to `low` without a Range Limit).
    pub high: i64,
}

impl PixelPadding {
    /// Whether the stored value `stored` is padding.
    #[inline]
    pub fn contains(&self, stored: f64) -> bool {
        stored >= self.low as f64 && stored <= self.high as f64
    }

    /// Reads the padding of a grey image; `signed` is its Pixel Representation. The
    /// values are US or SS as the Pixel Representation says, whichever VR the file gave.
    fn read(a: &Attributes, signed: bool) -> KResult<Option<PixelPadding>> {
        let as_stored = |v: i64| match (signed, v) {
            (true, 32768..=65535) => v - 65536,
            (false, -32768..=-1) => v + 65536,
            _ => v,
        };
        let Some(value) = a.int(tags::PIXEL_PADDING_VALUE, "Pixel Padding Value")? else {
            return Ok(None);
        };
        let value = as_stored(value);
        let limit = a
            .int(tags::PIXEL_PADDING_RANGE_LIMIT, "Pixel Padding Range Limit")?
            .map(as_stored)
            .unwrap_or(value);
        Ok(Some(PixelPadding {
            low: value.min(limit),
            high: value.max(limit),
        }))
    }
}

impl DisplayParameters {
    /// Whether the presentation inverts grey levels: MONOCHROME1, or a Presentation LUT
    /// Shape of INVERSE on MONOCHROME2 (for MONOCHROME1 the shape is INVERSE by
    /// definition, PS3.3 C.11.6.1).
    pub fn inverse(&self) -> bool {
        match self.photometric_interpretation {
            PhotometricInterpretation::Monochrome1 => true,
            _ => self.presentation_lut_shape == Some(PresentationLutShape::Inverse),
        }
    }
}

/// The attributes that apply to frame `frame`: the Per-frame Functional Groups item's
/// macro, else the Shared Functional Groups', else the top level.
fn frame_macro<'a>(top: Attributes<'a>, frame: usize, macro_tag: Tag) -> Option<Attributes<'a>> {
    if let Some(items) = top.items(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        && let Some(m) = items
            .get(frame)
            .map(Attributes::new)
            .and_then(|f| f.item(macro_tag))
    {
        return Some(m);
    }
    top.item(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE)
        .and_then(|s| s.item(macro_tag))
}

/// The Modality LUT: `luts`' Modality LUT Sequence, else `rescale`'s Rescale Slope and
/// Intercept; None when there is neither. A slope of 0 is an error.
pub(crate) fn read_modality_lut(
    luts: &Attributes,
    rescale: &Attributes,
    signed: bool,
) -> KResult<Option<ModalityLut>> {
    if let Some(item) = luts.item(tags::MODALITY_LUT_SEQUENCE) {
        let lut = Lut::read(
            &item,
            tags::LUT_DESCRIPTOR,
            tags::LUT_DATA,
            "Modality LUT",
            signed,
        )?;
        return Ok(Some(lut.map_or(ModalityLut::Identity, |lut| {
            ModalityLut::Table {
                lut,
                lut_type: item.string(tags::MODALITY_LUT_TYPE),
            }
        })));
    }
    let slope = rescale.float(tags::RESCALE_SLOPE, "Rescale Slope")?;
    let intercept = rescale.float(tags::RESCALE_INTERCEPT, "Rescale Intercept")?;
    if slope == Some(0.0) {
        // Every stored value would map to the intercept: an image of one value.
        return Err(ErrorKind::InvalidAttribute {
            name: "Rescale Slope",
            value: "0".into(),
            reason: "a slope of 0 maps every stored value to the intercept".into(),
        });
    }
    Ok(match (slope, intercept) {
        (None, None) => None,
        (s, i) => Some(ModalityLut::Rescale {
            slope: s.unwrap_or(1.0),
            intercept: i.unwrap_or(0.0),
            rescale_type: rescale.string(tags::RESCALE_TYPE),
        }),
    })
}

pub(crate) fn read_windows(a: &Attributes) -> KResult<Vec<VoiWindow>> {
    let centers = a.floats(tags::WINDOW_CENTER, "Window Center")?;
    let widths = a.floats(tags::WINDOW_WIDTH, "Window Width")?;
    let explanations = a.strings(tags::WINDOW_CENTER_WIDTH_EXPLANATION);
    Ok(centers
        .iter()
        .zip(&widths)
        .enumerate()
        .map(|(i, (&center, &width))| VoiWindow {
            center,
            width,
            explanation: explanations.get(i).filter(|s| !s.is_empty()).cloned(),
        })
        .collect())
}

impl DicomFile {
    /// The display parameters of frame `frame` (0-based).
    ///
    /// ```no_run
    /// # let file = hounsfield_dicom::DicomFile::open("CT_small.dcm")?;
    /// let p = file.display_parameters(0)?;
    /// for w in &p.windows {
    ///     println!("{} / {} {:?}", w.center, w.width, w.explanation);
    /// }
    /// # Ok::<(), hounsfield_dicom::Error>(())
    /// ```
    pub fn display_parameters(&self, frame: usize) -> Result<DisplayParameters, Error> {
        self.display_parameters_k(frame).map_err(|k| self.err(k))
    }

    fn display_parameters_k(&self, frame: usize) -> KResult<DisplayParameters> {
        let image = self.image().map_err(|e| e.kind)?.clone();
        let top = self.attributes();
        let pi = image.photometric_interpretation.clone();
        let signed = image.signed;

        // Modality LUT: functional group, then the top level.
        let pvt = frame_macro(top, frame, tags::PIXEL_VALUE_TRANSFORMATION_SEQUENCE).unwrap_or(top);
        let modality_lut = read_modality_lut(&top, &pvt, signed)?.unwrap_or(ModalityLut::Identity);

        // VOI: the frame's Frame VOI LUT macro, else the top level.
        let voi = frame_macro(top, frame, tags::FRAME_VOILUT_SEQUENCE).unwrap_or(top);
        let mut windows = read_windows(&voi)?;
        if windows.is_empty() && !std::ptr::eq(voi.object(), top.object()) {
            windows = read_windows(&top)?;
        }
        let voi_lut_function = voi
            .string(tags::VOILUT_FUNCTION)
            .or_else(|| top.string(tags::VOILUT_FUNCTION))
            .and_then(|s| VoiLutFunction::parse(&s))
            .unwrap_or_default();
        let mut voi_luts = Vec::new();
        for item in top.items(tags::VOILUT_SEQUENCE).unwrap_or(&[]) {
            // VOI LUT input is the modality output, signed when the rescale can make it so.
            let signed_input = signed || !matches!(modality_lut, ModalityLut::Identity);
            if let Some(lut) = Lut::read(
                &Attributes::new(item),
                tags::LUT_DESCRIPTOR,
                tags::LUT_DATA,
                "VOI LUT",
                signed_input,
            )? {
                voi_luts.push(lut);
            }
        }

        let presentation_lut_shape = top
            .string(tags::PRESENTATION_LUT_SHAPE)
            .and_then(|s| PresentationLutShape::parse(&s));

        let palette = PaletteColorLut::from_attributes(&top, signed)?;
        let supplemental_palette = pi.is_monochrome()
            && palette.is_some()
            && top.string(tags::PIXEL_PRESENTATION).is_some_and(|p| {
                matches!(p.trim().to_ascii_uppercase().as_str(), "COLOR" | "MIXED")
            });
        let palette = if pi == PhotometricInterpretation::PaletteColor || supplemental_palette {
            palette
        } else {
            None
        };
        let pixel_padding = if pi.is_monochrome() {
            PixelPadding::read(&top, signed)?
        } else {
            None
        };
        Ok(DisplayParameters {
            photometric_interpretation: pi,
            modality_lut,
            windows,
            voi_lut_function,
            voi_luts,
            presentation_lut_shape,
            presentation_lut: None,
            palette,
            supplemental_palette,
            bits_stored: image.bits_stored,
            signed,
            pixel_padding,
        })
    }
}
