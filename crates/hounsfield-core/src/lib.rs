//! # hounsfield-core
//!
//! DICOM Part 10 objects opened from bytes, their pixel data decoded to exact stored
//! values for every common transfer syntax, the CPU reference of the display
//! pipeline (PS3.3 C.11, PS3.14) that the GPU renderer is tested against, and series
//! assembled into volumes and planes.
//!
//! This crate gathers, under one name and one set of features, four crates with one job
//! each, which can also be used alone:
//!
//! | crate | job | here as |
//! | --- | --- | --- |
//! | `hounsfield-codecs` | RLE, JPEG, JPEG-LS, JPEG 2000 glue, native unpacking: bytes and an image description in, samples out | [`codecs`] |
//! | `hounsfield-dicom` | DICOM objects from bytes, attributes, display attributes, frames decoded, decode budgets | the crate root, [`budget`] |
//! | `hounsfield-pipeline` | the display pipeline on the CPU, pan, zoom and rotation, window presets | [`pipeline`], [`view`], [`presets`] |
//! | `hounsfield-volume` | series grouping, volumes, planes and slabs, files and folders | [`series`], [`volume`], [`geometry`], `folder` |
//!
//! Each depends only on those above it in the table: the crates form a chain, with no
//! cycle.
//!
//! No GPU, no threads unless the `parallel` feature is on, no file system in the decode
//! path: the crate builds for `wasm32-unknown-unknown` with the same codecs.
//!
//! ```
//! use hounsfield_core::DicomFile;
//! // DicomFile::open(path) reads a file; here, the sample CT shipped with the crate.
//! let bytes = include_bytes!("../assets/CT_small.dcm").to_vec();
//! let file = DicomFile::from_bytes("CT_small.dcm", bytes)?;
//! let frame = file.decode_frame(0)?;
//! assert_eq!((frame.width, frame.height), (128, 128));
//! println!("{} x {} {:?}", frame.width, frame.height, frame.samples.lane());
//! # Ok::<(), hounsfield_core::Error>(())
//! ```
//!
//! The display pipeline on the CPU, at the file's own window:
//!
//! ```
//! use hounsfield_core::DicomFile;
//! use hounsfield_core::pipeline::{RenderOptions, render_frame};
//! let bytes = include_bytes!("../assets/CT_small.dcm").to_vec();
//! let file = DicomFile::from_bytes("CT_small.dcm", bytes)?;
//! let frame = file.decode_frame(0)?;
//! let params = file.display_parameters(0)?;
//! let image = render_frame(&frame, &params, &RenderOptions::default())?;
//! assert_eq!(image.pixels.len(), (image.width * image.height) as usize * image.channels as usize);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What it costs
//! - Opening reads the file once and keeps its bytes; frames decode on demand, each to its
//!   stored values at their own width (never widened to f64). Headers that announce more
//!   than [`MAX_FRAME_BYTES`] per frame are refused before anything is allocated.
//! - `folder::Catalog` (native) reads headers only; [`volume::Volume`] holds one copy of a
//!   series' voxels.
//!
//! ## What it does not do
//! - Write or change DICOM files, use a network, or draw on a GPU (`hounsfield-dicomweb`
//!   and `hounsfield-render` do those).

#![warn(missing_docs)]

pub use hounsfield_dicom::*;

/// The CPU reference of the display pipeline (the `hounsfield-pipeline` crate).
pub mod pipeline {
    pub use hounsfield_pipeline::*;
}
/// Layers over images: segmentations (DICOM SEG) and their compositing.
pub use hounsfield_layers as layers;
/// Measurements in real units: region statistics, lengths, pixel size and calibration.
pub use hounsfield_measure as measure;
/// Window presets by name.
pub use hounsfield_pipeline::presets;
/// Pan, zoom and rotation of an image on screen, and the sampling the renderer shares.
pub use hounsfield_pipeline::view;
/// Stacks and time points of a series (multi-stack and 4D series).
pub use hounsfield_volume::dimensions;
/// Files and folders (native only).
#[cfg(not(target_arch = "wasm32"))]
pub use hounsfield_volume::folder;
/// Vectors in patient coordinates.
pub use hounsfield_volume::geometry;
/// Grouping instances into series.
pub use hounsfield_volume::series;
/// Volumes and planes.
pub use hounsfield_volume::volume;
/// The default window of planes, shared by the viewers and the command line.
pub use hounsfield_volume::window as plane_window;
