//! The image model: the Image Pixel module (PS3.3 C.7.6.3) and decoded frames.

use crate::attrs::{Attributes, invalid};
use crate::error::{ErrorKind, KResult};
use dicom_dictionary_std::tags;

pub use hounsfield_codecs::{
    Frame, FrameColor, ImageDescription, PhotometricInterpretation, Samples,
};

/// Reads and validates the Image Pixel module.
pub(crate) fn describe(a: &Attributes, float_pixels: Option<bool>) -> KResult<ImageDescription> {
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
