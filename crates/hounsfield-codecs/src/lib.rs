//! # hounsfield-codecs
//!
//! The pixel data codecs of DICOM, on their own: encoded bytes and an image description
//! in, exact stored values out. No dependency on a DICOM object model, no file system,
//! no threads, so each codec can be fuzzed, benchmarked and reused alone; the
//! `hounsfield-core` crate finds the bytes and the description in a file.
//!
//! | module | transfer syntaxes | written here or |
//! | --- | --- | --- |
//! | [`native`] | uncompressed, any endianness, 1-bit packed, planar, YBR_FULL_422 | here |
//! | [`rle`] | RLE Lossless (PS3.5 Annex G), 8/16/32 bits | here |
//! | [`jpeg`] | baseline, extended 12-bit, progressive, lossless (ISO 10918-1) | here |
//! | [`jpegls`] | JPEG-LS lossless and near-lossless (ISO 14495-1) | here |
//! | [`jpeg2000`] | JPEG 2000 and HTJ2K (feature `jpeg2000`) | OpenJPEG |
//!
//! Every decoder checks the description ([`ImageDescription::check`]) before it reads a
//! byte, never allocates more than the description's frame size, and reports what is
//! wrong as a [`CodecError`] instead of panicking.
//!
//! ```
//! use hounsfield_codecs::{ImageDescription, Samples, rle};
//! // One RLE segment: header (1 segment at offset 64), then a replicate run of 4 x 7.
//! let mut data = vec![0u8; 64];
//! data[0] = 1;
//! data[4] = 64;
//! data.extend_from_slice(&[(-3i8) as u8, 7]);
//! let frame = rle::decode(&data, &ImageDescription::grey(2, 2, 8, false), 0)?;
//! assert_eq!(frame.samples, Samples::U8(vec![7; 4]));
//! # Ok::<(), hounsfield_codecs::CodecError>(())
//! ```

#![warn(missing_docs)]

mod color;
mod description;
mod error;
mod frame;
pub mod jpeg;
pub mod jpeg2000;
mod jpeg_own;
pub mod jpegls;
pub mod native;
pub mod rle;
mod samples;

pub use description::{ImageDescription, MAX_FRAME_BYTES, PhotometricInterpretation};
pub use error::{CodecError, Result};
pub use jpeg2000::{Jpeg2000Component, Jpeg2000Decoder, set_jpeg2000_decoder};
pub use samples::{Frame, FrameColor, Samples};
