//! # hounsfield-dicom
//!
//! DICOM Part 10 objects opened from bytes, their attributes, and their pixel data decoded
//! to exact stored values for every common transfer syntax: the object model under
//! Hounsfield's display pipeline (`hounsfield-pipeline`) and volumes (`hounsfield-volume`).
//!
//! No GPU, no threads unless the `parallel` feature is on, no file system in the decode
//! path: the crate builds for `wasm32-unknown-unknown` with the same codecs.
//!
//! ```
//! use hounsfield_dicom::DicomFile;
//! // DicomFile::open(path) reads a file; here, the sample CT shipped with the crate.
//! let bytes = include_bytes!("../assets/CT_small.dcm").to_vec();
//! let file = DicomFile::from_bytes("CT_small.dcm", bytes)?;
//! let frame = file.decode_frame(0)?;
//! assert_eq!((frame.width, frame.height), (128, 128));
//! // Rescale, windows, VOI LUTs, Presentation LUT Shape, palettes, as the file gives them.
//! let params = file.display_parameters(0)?;
//! println!("{:?} {:?}", params.modality_lut, params.windows);
//! # Ok::<(), hounsfield_dicom::Error>(())
//! ```
//!
//! ## What it costs
//! - Opening reads the file once and keeps its bytes; frames decode on demand, each to its
//!   stored values at their own width (never widened to f64). Headers that announce more
//!   than [`MAX_FRAME_BYTES`] per frame are refused before anything is allocated, and
//!   [`budget`] bounds what a file and a load may decode in all.
//!
//! ## What it does not do
//! - Write or change DICOM files, use a network, apply the display pipeline (that is
//!   `hounsfield-pipeline`) or assemble series (`hounsfield-volume`).

#![warn(missing_docs)]

mod attrs;
pub mod budget;
mod charset;
mod display;
mod elements;
mod error;
mod file;
mod frames;
mod image;
mod lut;
mod overlay;
mod presentation;
mod real_world;
mod shutter;
mod summary;
mod transfer_syntax;
mod walk;
#[cfg(target_arch = "wasm32")]
mod wasm_alloc;

pub use attrs::Attributes;
pub use charset::CharacterSets;
pub use display::{
    DisplayParameters, ModalityLut, PixelPadding, PresentationLutShape, VoiLutFunction, VoiWindow,
};
pub use elements::ElementNode;
pub use error::{Error, ErrorKind, Result};
pub use file::{DicomFile, EncodedPixels, FileMeta};
/// The codecs on their own (bytes and an [`ImageDescription`] in, [`Frame`]s out).
pub use hounsfield_codecs as codecs;
pub use hounsfield_codecs::MAX_FRAME_BYTES;
pub use hounsfield_codecs::{Jpeg2000Component, Jpeg2000Decoder, set_jpeg2000_decoder};
pub use image::{Frame, FrameColor, ImageDescription, PhotometricInterpretation, Samples};
pub use lut::{Lut, PaletteColorLut, expand_segmented_palette};
pub use overlay::{OverlayMask, OverlayPlane};
pub use presentation::{
    DisplayedArea, GSPS_SOP_CLASS, GraphicAnnotation, GraphicObject, PresentationSizeMode,
    PresentationState, ReferencedImage, TextObject,
};
pub use real_world::{RealWorldMap, RealWorldValueMapping};
pub use shutter::{DisplayShutter, ShutterShape, display_shutter};
pub use summary::{Geometry, Identification, Summary};
pub use transfer_syntax::{Codec, TransferSyntax};

/// A data element tag (group, element).
pub use dicom_core::Tag;
/// Re-exported tag constants of the DICOM standard dictionary.
pub use dicom_dictionary_std::tags;
