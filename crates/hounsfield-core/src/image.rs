//! The image model: the Image Pixel module (PS3.3 C.7.6.3) and decoded frames.

use crate::attrs::{Attributes, invalid};
use crate::error::{ErrorKind, KResult};
use dicom_dictionary_std::tags;

/// Photometric Interpretation (0028,0004), PS3.3 C.7.6.3.1.2.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum PhotometricInterpretation {
    /// Grey, minimum sample value displayed white.
    Monochrome1,
    /// Grey, minimum sample value displayed black.
    Monochrome2,
    /// Indices into the Red/Green/Blue Palette Color Lookup Tables.
    PaletteColor,
    /// RGB samples.
    Rgb,
    /// YBR_FULL: full-range luminance and chrominance, converted to RGB exactly.
    YbrFull,
    /// YBR_FULL_422: chrominance subsampled horizontally.
    YbrFull422,
    /// YBR_PARTIAL_422 (retired): partial-range, chrominance subsampled horizontally.
    YbrPartial422,
    /// YBR_PARTIAL_420: partial-range, chrominance subsampled in both directions.
    YbrPartial420,
    /// YBR_ICT: irreversible colour transform of JPEG 2000 (decoded to RGB by the codec).
    YbrIct,
    /// YBR_RCT: reversible colour transform of JPEG 2000 (decoded to RGB by the codec).
    YbrRct,
    /// Anything else (ARGB, CMYK, HSV are retired), kept verbatim.
    Other(String),
}

impl PhotometricInterpretation {
    /// Parses the defined term (padding ignored).
    pub fn parse(s: &str) -> Self {
        use PhotometricInterpretation::*;
        match s.trim_matches(['\0', ' ']).to_ascii_uppercase().as_str() {
            "MONOCHROME1" => Monochrome1,
            "MONOCHROME2" => Monochrome2,
            "PALETTE COLOR" => PaletteColor,
            "RGB" => Rgb,
            "YBR_FULL" => YbrFull,
            "YBR_FULL_422" => YbrFull422,
            "YBR_PARTIAL_422" => YbrPartial422,
            "YBR_PARTIAL_420" => YbrPartial420,
            "YBR_ICT" => YbrIct,
            "YBR_RCT" => YbrRct,
            other => Other(other.to_string()),
        }
    }

    /// The defined term as written in DICOM.
    pub fn as_str(&self) -> &str {
        use PhotometricInterpretation::*;
        match self {
            Monochrome1 => "MONOCHROME1",
            Monochrome2 => "MONOCHROME2",
            PaletteColor => "PALETTE COLOR",
            Rgb => "RGB",
            YbrFull => "YBR_FULL",
            YbrFull422 => "YBR_FULL_422",
            YbrPartial422 => "YBR_PARTIAL_422",
            YbrPartial420 => "YBR_PARTIAL_420",
            YbrIct => "YBR_ICT",
            YbrRct => "YBR_RCT",
            Other(s) => s,
        }
    }

    /// Grey-scale interpretations.
    pub fn is_monochrome(&self) -> bool {
        matches!(self, Self::Monochrome1 | Self::Monochrome2)
    }

    /// One of the YBR interpretations.
    pub fn is_ybr(&self) -> bool {
        matches!(
            self,
            Self::YbrFull
                | Self::YbrFull422
                | Self::YbrPartial422
                | Self::YbrPartial420
                | Self::YbrIct
                | Self::YbrRct
        )
    }
}

impl std::fmt::Display for PhotometricInterpretation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Image Pixel module of an object, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImageDescription {
    /// Rows (0028,0010).
    pub rows: u32,
    /// Columns (0028,0011).
    pub columns: u32,
    /// Number of Frames (0028,0008), 1 when absent.
    pub number_of_frames: u32,
    /// Samples per Pixel (0028,0002): 1 or 3.
    pub samples_per_pixel: u16,
    /// Photometric Interpretation (0028,0004).
    pub photometric_interpretation: PhotometricInterpretation,
    /// Planar Configuration (0028,0006): 0 = interleaved, 1 = one plane per sample.
    pub planar_configuration: u16,
    /// Bits Allocated (0028,0100): 1, 8, 16, 32 or 64 (float).
    pub bits_allocated: u16,
    /// Bits Stored (0028,0101).
    pub bits_stored: u16,
    /// High Bit (0028,0102).
    pub high_bit: u16,
    /// Pixel Representation (0028,0103): true for two's complement.
    pub signed: bool,
    /// The pixel data holds floats (Float / Double Float Pixel Data).
    pub float: bool,
}

impl ImageDescription {
    /// Reads and validates the Image Pixel module.
    pub(crate) fn from_attributes(
        a: &Attributes,
        float_pixels: Option<bool>,
    ) -> KResult<ImageDescription> {
        let rows = a
            .u16(tags::ROWS, "Rows")?
            .ok_or(ErrorKind::MissingAttribute("Rows (0028,0010)"))?;
        let columns = a
            .u16(tags::COLUMNS, "Columns")?
            .ok_or(ErrorKind::MissingAttribute("Columns (0028,0011)"))?;
        if rows == 0 || columns == 0 {
            return Err(invalid(
                "Rows x Columns",
                format!("{rows} x {columns}"),
                "the image is empty",
            ));
        }
        let bits_allocated = match float_pixels {
            Some(true) => 64,
            Some(false) => 32,
            None => a
                .u16(tags::BITS_ALLOCATED, "Bits Allocated")?
                .ok_or(ErrorKind::MissingAttribute("Bits Allocated (0028,0100)"))?,
        };
        if !matches!(bits_allocated, 1 | 8 | 16 | 32 | 64) {
            return Err(invalid(
                "Bits Allocated",
                bits_allocated.to_string(),
                "only 1, 8, 16, 32 and 64 are supported",
            ));
        }
        let bits_stored = a
            .u16(tags::BITS_STORED, "Bits Stored")?
            .unwrap_or(bits_allocated);
        if bits_stored == 0 || bits_stored > bits_allocated {
            return Err(invalid(
                "Bits Stored",
                bits_stored.to_string(),
                &format!("must be 1..={bits_allocated} (Bits Allocated)"),
            ));
        }
        let high_bit = a
            .u16(tags::HIGH_BIT, "High Bit")?
            .unwrap_or(bits_stored - 1);
        if high_bit >= bits_allocated || high_bit + 1 < bits_stored {
            return Err(invalid(
                "High Bit",
                high_bit.to_string(),
                &format!(
                    "inconsistent with Bits Stored {bits_stored} and Bits Allocated {bits_allocated}"
                ),
            ));
        }
        let samples_per_pixel = a
            .u16(tags::SAMPLES_PER_PIXEL, "Samples per Pixel")?
            .unwrap_or(1);
        if !matches!(samples_per_pixel, 1 | 3) {
            return Err(invalid(
                "Samples per Pixel",
                samples_per_pixel.to_string(),
                "only 1 and 3 are supported",
            ));
        }
        let photometric_interpretation = match a.string(tags::PHOTOMETRIC_INTERPRETATION) {
            Some(s) => PhotometricInterpretation::parse(&s),
            None if samples_per_pixel == 3 => PhotometricInterpretation::Rgb,
            None => PhotometricInterpretation::Monochrome2,
        };
        if let PhotometricInterpretation::Other(s) = &photometric_interpretation {
            return Err(ErrorKind::Unsupported(format!(
                "Photometric Interpretation {s}"
            )));
        }
        let needs = if photometric_interpretation.is_monochrome()
            || photometric_interpretation == PhotometricInterpretation::PaletteColor
        {
            1
        } else {
            3
        };
        if needs != samples_per_pixel {
            return Err(invalid(
                "Samples per Pixel",
                samples_per_pixel.to_string(),
                &format!("{photometric_interpretation} needs {needs}"),
            ));
        }
        let planar_configuration = if samples_per_pixel == 3 {
            match a
                .u16(tags::PLANAR_CONFIGURATION, "Planar Configuration")?
                .unwrap_or(0)
            {
                p @ (0 | 1) => p,
                p => {
                    return Err(invalid(
                        "Planar Configuration",
                        p.to_string(),
                        "must be 0 or 1",
                    ));
                }
            }
        } else {
            0
        };
        let signed = match a
            .u16(tags::PIXEL_REPRESENTATION, "Pixel Representation")?
            .unwrap_or(0)
        {
            0 => false,
            1 => true,
            p => {
                return Err(invalid(
                    "Pixel Representation",
                    p.to_string(),
                    "must be 0 or 1",
                ));
            }
        };
        let number_of_frames = match a.int(tags::NUMBER_OF_FRAMES, "Number of Frames")? {
            None => 1,
            Some(n) if n >= 1 && n <= i64::from(u32::MAX) => n as u32,
            Some(n) => {
                return Err(invalid(
                    "Number of Frames",
                    n.to_string(),
                    "must be at least 1",
                ));
            }
        };
        Ok(ImageDescription {
            rows: u32::from(rows),
            columns: u32::from(columns),
            number_of_frames,
            samples_per_pixel,
            photometric_interpretation,
            planar_configuration,
            bits_allocated,
            bits_stored,
            high_bit,
            signed,
            float: float_pixels.is_some(),
        })
    }

    /// Pixels per frame.
    pub fn pixels(&self) -> u64 {
        u64::from(self.rows) * u64::from(self.columns)
    }

    /// Bits of one native frame (bit-packed frames of 1-bit data are not byte aligned).
    pub fn frame_bits(&self) -> u64 {
        self.pixels() * u64::from(self.samples_per_pixel) * u64::from(self.bits_allocated)
    }

    /// Bytes of one frame once decoded into the model (1-bit data widened to bytes).
    pub fn decoded_frame_bytes(&self) -> u64 {
        let lane = match self.bits_allocated {
            1 | 8 => 1,
            16 => 2,
            32 => 4,
            _ => 8,
        };
        self.pixels() * u64::from(self.samples_per_pixel) * lane
    }
}

/// The samples of one frame, exact, in 8-, 16- or 32-bit lanes.
///
/// Grey data keeps the stored values, masked to Bits Stored and sign-extended from the
/// High Bit; colour data is interleaved RGB after any YBR conversion; palette data keeps
/// the indices. Data of 32 bits allocated keeps 32-bit lanes when more than 16 bits are
/// stored (nothing is truncated) and uses 16-bit lanes otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    /// Unsigned 8-bit grey values, palette indices, or RGB.
    U8(Vec<u8>),
    /// Signed 8-bit data is widened to 16 bits.
    I16(Vec<i16>),
    /// Unsigned grey data of up to 16 bits stored, or 16-bit palette indices.
    U16(Vec<u16>),
    /// Unsigned grey data of more than 16 bits stored.
    U32(Vec<u32>),
    /// Signed grey data of 16 or more bits stored.
    I32(Vec<i32>),
    /// Float Pixel Data (7FE0,0008).
    F32(Vec<f32>),
    /// Double Float Pixel Data (7FE0,0009).
    F64(Vec<f64>),
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Samples::U8(v) => v.len(),
            Samples::I16(v) => v.len(),
            Samples::U16(v) => v.len(),
            Samples::U32(v) => v.len(),
            Samples::I32(v) => v.len(),
            Samples::F32(v) => v.len(),
            Samples::F64(v) => v.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `i` as f64 (exact for every integer lane).
    #[inline]
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            Samples::U8(v) => f64::from(v[i]),
            Samples::I16(v) => f64::from(v[i]),
            Samples::U16(v) => f64::from(v[i]),
            Samples::U32(v) => f64::from(v[i]),
            Samples::I32(v) => f64::from(v[i]),
            Samples::F32(v) => f64::from(v[i]),
            Samples::F64(v) => v[i],
        }
    }

    /// Sample `i` as an integer (floats are rounded toward zero).
    #[inline]
    pub fn get_i64(&self, i: usize) -> i64 {
        match self {
            Samples::U8(v) => i64::from(v[i]),
            Samples::I16(v) => i64::from(v[i]),
            Samples::U16(v) => i64::from(v[i]),
            Samples::U32(v) => i64::from(v[i]),
            Samples::I32(v) => i64::from(v[i]),
            Samples::F32(v) => v[i] as i64,
            Samples::F64(v) => v[i] as i64,
        }
    }

    /// The lane type's name (`u8`, `i16`, ...).
    pub fn lane(&self) -> &'static str {
        match self {
            Samples::U8(_) => "u8",
            Samples::I16(_) => "i16",
            Samples::U16(_) => "u16",
            Samples::U32(_) => "u32",
            Samples::I32(_) => "i32",
            Samples::F32(_) => "f32",
            Samples::F64(_) => "f64",
        }
    }

    /// Minimum and maximum sample (None when empty; no-data samples of float frames left
    /// out).
    pub fn min_max(&self) -> Option<(f64, f64)> {
        fn mm<T: Copy + PartialOrd + Into<f64>>(v: &[T]) -> Option<(f64, f64)> {
            let mut it = v.iter().copied();
            let first = it.next()?;
            let (mut lo, mut hi) = (first, first);
            for x in it {
                if x < lo {
                    lo = x;
                }
                if x > hi {
                    hi = x;
                }
            }
            Some((lo.into(), hi.into()))
        }
        match self {
            Samples::U8(v) => mm(v),
            Samples::I16(v) => mm(v),
            Samples::U16(v) => mm(v),
            Samples::U32(v) => mm(v),
            Samples::I32(v) => mm(v),
            Samples::F32(v) => {
                // Resampled planes mark samples outside their volume as no data.
                let data = v
                    .iter()
                    .copied()
                    .filter(|x| *x >= crate::volume::NO_DATA_BELOW);
                let lo = data.clone().fold(f32::INFINITY, f32::min);
                let hi = data.fold(f32::NEG_INFINITY, f32::max);
                (lo <= hi).then_some((f64::from(lo), f64::from(hi)))
            }
            Samples::F64(v) => {
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (!v.is_empty()).then_some((lo, hi))
            }
        }
    }

    /// The samples as little-endian bytes (for hashing and comparisons).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.le_bytes()
    }

    /// The inverse of [`to_le_bytes`](Self::to_le_bytes): samples of lane `lane` (as
    /// [`lane`](Self::lane) names it) from little-endian bytes; None for an unknown lane
    /// or a length that is not a whole number of samples.
    ///
    /// ```
    /// use hounsfield_core::Samples;
    /// let s = Samples::I16(vec![-2, 300]);
    /// assert_eq!(Samples::from_le_bytes(s.lane(), &s.to_le_bytes()), Some(s));
    /// ```
    pub fn from_le_bytes(lane: &str, bytes: &[u8]) -> Option<Samples> {
        fn lanes<const N: usize, T>(b: &[u8], f: fn([u8; N]) -> T) -> Option<Vec<T>> {
            b.len().is_multiple_of(N).then(|| {
                b.chunks_exact(N)
                    .map(|c| {
                        let mut a = [0u8; N];
                        a.copy_from_slice(c);
                        f(a)
                    })
                    .collect()
            })
        }
        Some(match lane {
            "u8" => Samples::U8(bytes.to_vec()),
            "i16" => Samples::I16(lanes(bytes, i16::from_le_bytes)?),
            "u16" => Samples::U16(lanes(bytes, u16::from_le_bytes)?),
            "u32" => Samples::U32(lanes(bytes, u32::from_le_bytes)?),
            "i32" => Samples::I32(lanes(bytes, i32::from_le_bytes)?),
            "f32" => Samples::F32(lanes(bytes, f32::from_le_bytes)?),
            "f64" => Samples::F64(lanes(bytes, f64::from_le_bytes)?),
            _ => return None,
        })
    }

    fn le_bytes(&self) -> Vec<u8> {
        match self {
            Samples::U8(v) => v.clone(),
            Samples::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Samples::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Samples::U32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Samples::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Samples::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Samples::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }
}

/// What the samples of a decoded frame mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FrameColor {
    /// One grey sample per pixel (MONOCHROME1/2: see the display parameters).
    Monochrome,
    /// Three interleaved samples per pixel: red, green, blue.
    Rgb,
    /// One palette index per pixel (PALETTE COLOR).
    PaletteIndex,
}

/// One decoded frame, ready for upload: no display mathematics applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// What the samples mean.
    pub color: FrameColor,
    /// The samples, row by row (interleaved for RGB).
    pub samples: Samples,
    /// Significant bits of each sample (Bits Stored).
    pub bits_stored: u16,
    /// Whether the samples are two's complement.
    pub signed: bool,
}

impl Frame {
    /// Samples per pixel (1 or 3).
    pub fn channels(&self) -> usize {
        if self.color == FrameColor::Rgb { 3 } else { 1 }
    }
}
