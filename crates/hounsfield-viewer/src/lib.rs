//! The state and interaction of Hounsfield's viewers, without a window or a GPU.
//!
//! The native viewer (winit) and the browser viewer (WebGPU) turn their events into
//! [`input::Input`]s, map them with [`input::action_for`] to [`input::Action`]s
//! following the conventions of radiology viewers, and apply them to a
//! [`model::Model`]: instances, series, the slice on screen, window/level, view, cine,
//! and the planes through a series volume ([`mpr`]). What needs the platform (dialogs,
//! saving, loading) comes back as a [`model::Effect`]. Everything here builds for
//! `wasm32-unknown-unknown`.
//!
//! ```
//! use hounsfield_viewer::input::{Action, Input, Key, Modifiers, action_for};
//! let press = Input::Key { key: Key::Digit(4), modifiers: Modifiers::default() };
//! assert_eq!(action_for(&press), Some(Action::Preset(4)));
//! ```
//!
//! An app feeds the model its files ([`model::Model::begin_load`],
//! [`model::Model::files_parsed`], [`model::Model::file_decoded`]), decoding them in the
//! order of a [`decode_order::DecodeQueue`] (the slice on screen first), applies the actions of
//! its events with [`model::Model::apply`], and draws the panes that
//! [`mpr::Layout::panes`] lays out: on the GPU with `scene::Scene` (feature `gpu`), or on
//! the CPU with [`cpu_scene::CpuScene`].
//!
//! ## What it costs
//! - Each decoded frame is held once (shared by series and panes); planes need the series'
//!   volume (one more copy of its voxels) and, on the GPU, its voxels once more (a 2D
//!   texture array or a 3D texture), and each image drawn from its value cache one float a
//!   pixel of its pane.
//!
//! ## What it does not do
//! - Open windows, read folders, decode in threads or talk to servers: the apps do, and
//!   hand the results to the model.

#![warn(missing_docs)]

pub mod annotate;
pub mod cpu_scene;
pub mod decode_order;
pub mod frame_key;
pub mod gesture;
pub mod input;
mod layer_cache;
pub mod model;
pub mod mpr;
pub mod overlay;
#[cfg(feature = "gpu")]
pub mod scene;
pub mod status;

/// pydicom's `CT_small.dcm` (MIT licence, see `assets/LICENSE-pydicom.txt`): what the
/// viewers show when started without a file.
pub const SAMPLE: &[u8] = include_bytes!("../assets/CT_small.dcm");
