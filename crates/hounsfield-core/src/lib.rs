//! # hounsfield-core
//!
//! DICOM Part 10 objects opened from bytes, their pixel data decoded to exact stored
//! values for every common transfer syntax, and the CPU reference of the display
//! pipeline (PS3.3 C.11, PS3.14) that the GPU renderer is tested against.
//!
//! No GPU, no threads unless the `parallel` feature is on, no file system in the decode
//! path: the crate builds for `wasm32-unknown-unknown` with the same codecs.
//!
//! ```no_run
//! use hounsfield_core::DicomFile;
//! let file = DicomFile::open("CT_small.dcm")?;
//! let frame = file.decode_frame(0)?;
//! println!("{} x {} {:?}", frame.width, frame.height, frame.samples.lane());
//! # Ok::<(), hounsfield_core::Error>(())
//! ```

mod attrs;
mod codec;
mod color;
mod display;
mod elements;
mod error;
mod file;
#[cfg(not(target_arch = "wasm32"))]
pub mod folder;
mod frames;
pub mod geometry;
mod image;
mod lut;
pub mod pipeline;
mod pixels;
pub mod presets;
pub mod series;
mod summary;
mod transfer_syntax;
pub mod view;
pub mod volume;
mod walk;
#[cfg(target_arch = "wasm32")]
mod wasm_alloc;

pub use attrs::Attributes;
pub use display::{
    DisplayParameters, ModalityLut, PresentationLutShape, VoiLutFunction, VoiWindow,
};
pub use elements::ElementNode;
pub use error::{Error, ErrorKind, Result};
pub use file::{DicomFile, EncodedPixels, FileMeta};
pub use image::{Frame, FrameColor, ImageDescription, PhotometricInterpretation, Samples};
pub use lut::{Lut, PaletteColorLut};
pub use pixels::MAX_FRAME_BYTES;
pub use summary::{Geometry, Identification, Summary};
pub use transfer_syntax::{Codec, TransferSyntax};

/// A data element tag (group, element).
pub use dicom_core::Tag;
/// Re-exported tag constants of the DICOM standard dictionary.
pub use dicom_dictionary_std::tags;
