//! The description codecs decode against: the Image Pixel module (PS3.3 C.7.6.3) as plain
//! values, checked before any byte is read.

use crate::error::CodecError;

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

/// The largest decoded frame a codec accepts, in bytes: larger descriptions fail
/// [`ImageDescription::check`] with [`CodecError::TooLarge`] before anything is allocated.
pub const MAX_FRAME_BYTES: u64 = if cfg!(target_pointer_width = "64") {
    4 << 30
} else {
    1 << 30
};

impl ImageDescription {
    /// A single-frame grey image (MONOCHROME2) of `bits` bits allocated and stored.
    ///
    /// ```
    /// use hounsfield_codecs::ImageDescription;
    /// let d = ImageDescription::grey(512, 512, 16, true);
    /// assert_eq!((d.high_bit, d.decoded_frame_bytes()), (15, 512 * 512 * 2));
    /// assert!(d.check().is_ok());
    /// ```
    pub fn grey(columns: u32, rows: u32, bits: u16, signed: bool) -> Self {
        ImageDescription {
            rows,
            columns,
            number_of_frames: 1,
            samples_per_pixel: 1,
            photometric_interpretation: PhotometricInterpretation::Monochrome2,
            planar_configuration: 0,
            bits_allocated: bits,
            bits_stored: bits,
            high_bit: bits.saturating_sub(1),
            signed,
            float: false,
        }
    }

    /// Checks the invariants every codec relies on: a non-empty image of at most 65535
    /// rows and columns, Bits Allocated 1, 8, 16, 32 or 64, Bits Stored and High Bit
    /// inside it, 1 or 3 samples as the Photometric Interpretation needs, Planar
    /// Configuration 0 or 1, at least one frame, floats only of 32 or 64 bits, and a
    /// decoded frame of at most [`MAX_FRAME_BYTES`].
    pub fn check(&self) -> Result<(), CodecError> {
        let bad = |m: String| Err(CodecError::Description(m));
        if self.rows == 0 || self.columns == 0 || self.rows > 65535 || self.columns > 65535 {
            return bad(format!("{} x {} pixels", self.columns, self.rows));
        }
        if !matches!(self.bits_allocated, 1 | 8 | 16 | 32 | 64) {
            return bad(format!("Bits Allocated {}", self.bits_allocated));
        }
        if self.bits_stored == 0
            || self.bits_stored > self.bits_allocated
            || self.high_bit >= self.bits_allocated
            || self.high_bit + 1 < self.bits_stored
        {
            return bad(format!(
                "Bits Stored {} and High Bit {} with Bits Allocated {}",
                self.bits_stored, self.high_bit, self.bits_allocated
            ));
        }
        let pi = &self.photometric_interpretation;
        if let PhotometricInterpretation::Other(s) = pi {
            return bad(format!("Photometric Interpretation {s}"));
        }
        let needs = if pi.is_monochrome() || *pi == PhotometricInterpretation::PaletteColor {
            1
        } else {
            3
        };
        if self.samples_per_pixel != needs {
            return bad(format!(
                "{} Samples per Pixel for {pi}",
                self.samples_per_pixel
            ));
        }
        if self.planar_configuration > 1 || self.number_of_frames == 0 {
            return bad(format!(
                "Planar Configuration {}, {} frames",
                self.planar_configuration, self.number_of_frames
            ));
        }
        if self.float && (!matches!(self.bits_allocated, 32 | 64) || needs != 1) {
            return bad(format!("float samples of {} bits", self.bits_allocated));
        }
        if self.bits_allocated == 64 && !self.float {
            return bad("64 bits allocated for integer samples".into());
        }
        self.check_size()
    }

    /// A decoded frame of at most [`MAX_FRAME_BYTES`], or [`CodecError::TooLarge`] naming
    /// the sizes.
    pub fn check_size(&self) -> Result<(), CodecError> {
        if self.decoded_frame_bytes() > MAX_FRAME_BYTES {
            return Err(CodecError::TooLarge(format!(
                "{} x {} x {} samples of {} bits is {} bytes per frame, more than the {} accepted",
                self.rows,
                self.columns,
                self.samples_per_pixel,
                self.bits_allocated,
                self.decoded_frame_bytes(),
                MAX_FRAME_BYTES
            )));
        }
        Ok(())
    }

    /// [`check`](Self::check), and integer samples of at most 32 bits: what the
    /// compressed transfer syntaxes can hold.
    pub(crate) fn check_compressed(&self) -> Result<(), CodecError> {
        self.check()?;
        if self.float {
            return Err(CodecError::Unsupported(
                "float samples in a compressed transfer syntax".into(),
            ));
        }
        Ok(())
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
