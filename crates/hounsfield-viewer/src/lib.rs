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

pub mod cpu_scene;
pub mod input;
pub mod model;
pub mod mpr;
pub mod overlay;
#[cfg(feature = "gpu")]
pub mod scene;

/// pydicom's `CT_small.dcm` (MIT licence, see `assets/LICENSE-pydicom.txt`): what the
/// viewers show when started without a file.
pub const SAMPLE: &[u8] = include_bytes!("../assets/CT_small.dcm");
