//! What a codec reports when it cannot produce a frame.

use std::fmt;

/// Why a frame could not be decoded. The DICOM layer (`hounsfield-core`) adds the name
/// of the file.
///
/// ```
/// use hounsfield_codecs::{CodecError, ImageDescription, PhotometricInterpretation, rle};
/// let desc = ImageDescription::grey(2, 2, 8, false);
/// let err = rle::decode(&[0u8; 8], &desc, 0).unwrap_err();
/// assert!(matches!(err, CodecError::Codec { codec: "RLE", .. }));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The codec found the data inconsistent or truncated.
    #[error("{codec} decoding of frame {frame} failed: {message}")]
    Codec {
        /// The codec (e.g. "JPEG-LS").
        codec: &'static str,
        /// The frame (0-based).
        frame: usize,
        /// What is wrong.
        message: String,
    },
    /// The codec was left out of this build (feature `jpeg2000`) and no decoder was
    /// supplied with [`set_jpeg2000_decoder`](crate::set_jpeg2000_decoder).
    #[error("{codec} decoding is not part of this build")]
    NotBuilt {
        /// The codec (e.g. "JPEG 2000").
        codec: &'static str,
    },
    /// The description is valid but this layout is not supported.
    #[error("unsupported pixel data: {0}")]
    Unsupported(String),
    /// The description itself is inconsistent (checked before any byte is read).
    #[error("invalid image description: {0}")]
    Description(String),
    /// Native data holds fewer bytes than the description needs.
    #[error("pixel data holds {actual} bytes but {expected} are needed for {what}")]
    PixelDataSize {
        /// Bytes needed.
        expected: u64,
        /// Bytes present.
        actual: u64,
        /// The image, as described.
        what: String,
    },
    /// The frame is larger than a decoder accepts.
    #[error("image too large: {0}")]
    TooLarge(String),
}

/// Result of the codecs.
pub type Result<T, E = CodecError> = std::result::Result<T, E>;

pub(crate) fn codec_error(
    codec: &'static str,
    frame: usize,
    message: impl fmt::Display,
) -> CodecError {
    CodecError::Codec {
        codec,
        frame,
        message: message.to_string(),
    }
}
