//! # hounsfield-layers
//!
//! Layers drawn over DICOM images.
//!
//! - [`segmentation`]: DICOM Segmentations (PS3.3 A.51, C.8.20): the segments with their
//!   colours, the segment frames that belong to an image, and their masks.
//! - [`structures`]: RT Structure Sets (PS3.3 A.19): ROIs with their colours and
//!   contours, drawn as outlines over the images whose plane they lie in, and as
//!   cross-sections over planes cut through a volume.
//! - [`fusion`]: a second series resampled onto an image's or plane's pixels in patient
//!   coordinates, coloured by a [`colormap`] and laid over at an opacity.
//! - [`color`]: Recommended Display CIELab Values as sRGB.
//! - [`composite`]: segment masks painted over a rendered image (filled at an opacity, with
//!   an outline), through the same output-to-image mapping the renderer samples with.
//! - [`planes`]: a segmentation's frames as stacks along their normals, from which planes
//!   cut through a volume take their segments.
//! - [`masks`]: the two halves of that painting, placing masks on an image's grid and
//!   styling them, so that a GPU keeps the placed masks and restyles them.
//!
//! ```
//! use hounsfield_layers::color::cielab_to_srgb;
//! // L* 100, a* 0, b* 0 (the PCS white) is sRGB white.
//! assert_eq!(cielab_to_srgb([0xFFFF, 0x8080, 0x8080]), [255, 255, 255]);
//! ```

#![warn(missing_docs)]

pub mod color;
pub mod colormap;
pub mod composite;
pub mod fusion;
pub mod masks;
pub mod planes;
pub mod segmentation;
mod structure_planes;
pub mod structures;
