//! Errors: every failure names its source (a file path, a URL, or whatever name the caller
//! gave the bytes) and says what is wrong in words a user can act on.

use std::fmt;

/// An error while reading or decoding a DICOM object, naming the source.
///
/// ```
/// use hounsfield_dicom::DicomFile;
/// let err = DicomFile::from_bytes("broken.dcm", b"not dicom".to_vec()).unwrap_err();
/// assert!(err.to_string().starts_with("broken.dcm: "));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// The name of the source: a path, a URL, or the name given with the bytes.
    pub source_name: String,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl Error {
    /// An error of `kind` about the source named `source_name`.
    pub fn new(source_name: impl Into<String>, kind: ErrorKind) -> Self {
        Error {
            source_name: source_name.into(),
            kind,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source_name, self.kind)
    }
}

impl std::error::Error for Error {}

/// What went wrong, without the source name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not a DICOM data set at all.
    #[error("not a DICOM file ({0})")]
    NotDicom(String),
    /// The data ends before a structure that it announces.
    #[error("truncated: {what} at byte {offset} needs {needed} bytes, only {available} remain")]
    Truncated {
        /// What was being read.
        what: String,
        /// Where it starts in the data (bytes).
        offset: usize,
        /// Bytes it needs.
        needed: u64,
        /// Bytes left.
        available: usize,
    },
    /// A structural problem in the encoding (bad lengths, missing delimiters, bad VR).
    #[error("malformed data set at byte {offset}: {problem}")]
    Malformed {
        /// Where (bytes from the start of the data).
        offset: usize,
        /// What is wrong.
        problem: String,
    },
    /// dicom-object could not parse the attributes.
    #[error("could not parse the data set: {0}")]
    Parse(String),
    /// A required attribute is absent.
    #[error("missing required attribute {0}")]
    MissingAttribute(&'static str),
    /// An attribute has a value that cannot be used.
    #[error("invalid {name} {value:?}: {reason}")]
    InvalidAttribute {
        /// The attribute's keyword.
        name: &'static str,
        /// Its value, as read.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The object has no pixel data to decode.
    #[error("no pixel data in this object")]
    NoPixelData,
    /// The pixel data is described but has not been fetched from its source yet.
    #[error("the pixel data has not been fetched yet")]
    PixelDataPending,
    /// The encoded pixel data was let go once its frames were decoded
    /// ([`DicomFile::without_pixel_data`](crate::DicomFile::without_pixel_data)), or never
    /// read ([`DicomFile::open_header`](crate::DicomFile::open_header)).
    #[error(
        "the encoded pixel data is not held (released once decoded, or only the header was read)"
    )]
    PixelDataReleased,
    /// The transfer syntax is known but no decoder is available for it.
    #[error("unsupported transfer syntax {uid} ({name})")]
    UnsupportedTransferSyntax {
        /// Transfer Syntax UID (0002,0010).
        uid: String,
        /// Its name.
        name: String,
    },
    /// The codec this file needs was left out of this build (the core's `jpeg2000`
    /// feature); a program built with it decodes the file. The browser page answers this
    /// by loading its codec module.
    #[error("{codec} decoding is not part of this build")]
    CodecNotBuilt {
        /// The codec (e.g. "JPEG 2000").
        codec: &'static str,
    },
    /// The pixel layout is valid DICOM but not supported.
    #[error("unsupported pixel data: {0}")]
    Unsupported(String),
    /// Native pixel data has fewer bytes than the image attributes require.
    #[error("pixel data holds {actual} bytes but {expected} are needed for {what}")]
    PixelDataSize {
        /// Bytes the image attributes require.
        expected: u64,
        /// Bytes present.
        actual: u64,
        /// The image, as described by its attributes.
        what: String,
    },
    /// The frame index is outside the object.
    #[error("frame {index} does not exist (the object has {count} frames)")]
    FrameIndex {
        /// The frame asked for (0-based).
        index: usize,
        /// Frames in the object.
        count: usize,
    },
    /// A codec failed on a frame.
    #[error("{codec} decoding of frame {frame} failed: {message}")]
    Codec {
        /// The codec (e.g. "JPEG-LS").
        codec: &'static str,
        /// The frame (0-based).
        frame: usize,
        /// What the codec reported.
        message: String,
    },
    /// The image is larger than this build accepts.
    #[error("image too large: {0}")]
    TooLarge(String),
    /// Decoding the file would exceed a decode budget ([`crate::budget`]).
    #[error(
        "its frames decode to {}, more than the decode budget of {} {scope}; raise the budget to open it",
        human_bytes(*needed),
        human_bytes(*limit)
    )]
    OverBudget {
        /// Which limit.
        scope: BudgetScope,
        /// Bytes the file's frames decode to.
        needed: u64,
        /// The limit.
        limit: u64,
    },
    /// Reading the source failed.
    #[error("I/O error: {0}")]
    Io(String),
}

pub(crate) type KResult<T> = std::result::Result<T, ErrorKind>;

/// Result with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn malformed(offset: usize, problem: impl Into<String>) -> ErrorKind {
    ErrorKind::Malformed {
        offset,
        problem: problem.into(),
    }
}

impl From<hounsfield_codecs::CodecError> for ErrorKind {
    fn from(e: hounsfield_codecs::CodecError) -> Self {
        use hounsfield_codecs::CodecError as C;
        match e {
            C::Codec {
                codec,
                frame,
                message,
            } => ErrorKind::Codec {
                codec,
                frame,
                message,
            },
            C::NotBuilt { codec } => ErrorKind::CodecNotBuilt { codec },
            C::PixelDataSize {
                expected,
                actual,
                what,
            } => ErrorKind::PixelDataSize {
                expected,
                actual,
                what,
            },
            C::TooLarge(m) => ErrorKind::TooLarge(m),
            other => ErrorKind::Unsupported(other.to_string()),
        }
    }
}

/// Which limit a file exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetScope {
    /// [`crate::budget::DecodeLimits::per_file`].
    File,
    /// [`crate::budget::DecodeLimits::per_load`].
    Load,
}

impl std::fmt::Display for BudgetScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BudgetScope::File => "per file",
            BudgetScope::Load => "per load",
        })
    }
}

/// `bytes` for people: "512 KiB", "1.5 GiB".
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
