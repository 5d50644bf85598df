//! # hounsfield-volume
//!
//! DICOM instances grouped into studies and series from their headers ([`series`]), series
//! assembled into volumes in patient coordinates, and planes resampled through them
//! ([`volume`]: multiplanar reconstruction and MIP/MinIP/mean slabs, the CPU reference of
//! the GPU's `shaders/mpr.wgsl`), and, natively, files and folders read into both
//! ([`folder`]).
//!
//! ```
//! use hounsfield_volume::series::{InstanceInfo, group_series};
//! let slice = |z: f64, n: &str| InstanceInfo {
//!     name: n.into(),
//!     series_instance_uid: Some("1.2.3".into()),
//!     rows: 2, columns: 2, frames: 1,
//!     image_orientation_patient: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
//!     image_position_patient: Some([0.0, 0.0, z]),
//!     ..InstanceInfo::default()
//! };
//! let series = group_series(&[slice(10.0, "a"), slice(-5.0, "b"), slice(2.5, "c")]);
//! assert_eq!(series.len(), 1);
//! assert_eq!(series[0].instances.len(), 3);
//! ```
//!
//! It reads pixels through `hounsfield-dicom` and samples them with the functions of
//! `hounsfield-pipeline`, so that a plane's values are the ones the display pipeline and
//! the GPU renderer expect.

#![warn(missing_docs)]

pub mod dimensions;
#[cfg(not(target_arch = "wasm32"))]
pub mod folder;
pub mod geometry;
pub mod series;
pub mod volume;
pub mod window;
