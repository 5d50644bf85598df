//! What a frame shows, to tell when a frame would show the same as the last one: a
//! viewer then leaves its canvas as it is (a load's progress elsewhere in the series, a
//! message, a decoded slice that is not on screen change nothing on it).
//!
//! ```
//! use hounsfield_viewer::frame_key::FrameKey;
//! use hounsfield_viewer::model::Model;
//! let model = Model::new();
//! let panes = [(hounsfield_viewer::mpr::Pane::Stack, [0, 0, 64, 48])];
//! let key = FrameKey::of(&model, &panes, 64, 48);
//! assert!(key.is_some()); // nothing open, and nothing will change until something is
//! assert_eq!(key, FrameKey::of(&model, &panes, 64, 48));
//! assert_ne!(key, FrameKey::of(&model, &panes, 64, 50));
//! ```

use crate::model::Model;
use crate::mpr::Pane;
use std::sync::Arc;

/// A frame of stack panes only (or of none): the target's size and each pane's rectangle
/// and what its image is rendered from. Frames with planes have no key: they are drawn
/// anew (a crosshair moves); nor has any frame while the planes' volume goes to the GPU
/// (each frame takes a part of it).
#[derive(Debug, Clone, PartialEq)]
pub struct FrameKey {
    size: (u32, u32),
    panes: Vec<([u32; 4], Option<StackKey>)>,
}

impl FrameKey {
    /// The key of a frame of `panes` (`[x, y, width, height]` in pixels of a `width` x
    /// `height` target), when they are stack panes only.
    pub fn of(
        model: &Model,
        panes: &[(Pane, [u32; 4])],
        width: u32,
        height: u32,
    ) -> Option<FrameKey> {
        if model.mpr_upload.is_some() {
            return None;
        }
        let panes = panes
            .iter()
            .filter(|(_, r)| r[2] > 0 && r[3] > 0)
            .map(|&(pane, r)| match pane {
                Pane::Stack => Some((r, StackKey::of(model, r))),
                Pane::Plane(_) => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(FrameKey {
            size: (width, height),
            panes,
        })
    }
}

/// What a target shows, when a frame can show the same again: the last frame's key and
/// whether it drew the layout's images.
///
/// ```
/// use hounsfield_viewer::frame_key::{FrameKey, Shown};
/// use hounsfield_viewer::model::Model;
/// let model = Model::new();
/// let panes = [(hounsfield_viewer::mpr::Pane::Stack, [0, 0, 64, 48])];
/// let mut shown = Shown::default();
/// let key = FrameKey::of(&model, &panes, 64, 48);
/// assert_eq!(shown.again(key.as_ref()), None); // nothing drawn yet: draw it
/// shown.drawn(key.clone(), false);
/// assert_eq!(shown.again(key.as_ref()), Some(false)); // the same frame: leave it
/// shown.forget(); // the target was cleared
/// assert_eq!(shown.again(key.as_ref()), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Shown(Option<(FrameKey, bool)>);

impl Shown {
    /// Whether the target shows the frame of `key` already: then whether that frame drew
    /// the layout's images; None when the frame is to be drawn.
    pub fn again(&self, key: Option<&FrameKey>) -> Option<bool> {
        match (&self.0, key) {
            (Some((last, image_drawn)), Some(key)) if last == key => Some(*image_drawn),
            _ => None,
        }
    }

    /// A frame of `key` was drawn (none: it cannot be shown again as it is).
    pub fn drawn(&mut self, key: Option<FrameKey>, image_drawn: bool) {
        self.0 = key.map(|k| (k, image_drawn));
    }

    /// The target no longer shows the last frame (it was cleared or resized).
    pub fn forget(&mut self) {
        self.0 = None;
    }
}

/// What the stack pane's image is rendered from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StackKey {
    /// The decoded image (its address: a new decode is a new image).
    pub(crate) image: usize,
    pub(crate) id: u64,
    pub(crate) frame: usize,
    pub(crate) pipeline: Option<hounsfield_core::pipeline::GreyPipeline>,
    pub(crate) invert: bool,
    pub(crate) view: hounsfield_core::view::View,
    pub(crate) colormap: Option<hounsfield_core::layers::colormap::ColorMap>,
    pub(crate) overlays: bool,
    pub(crate) shutters: bool,
    pub(crate) segmentations: u64,
    pub(crate) presentation_states: u64,
}

impl StackKey {
    /// What the stack pane `r` shows, when there is an image to show.
    pub(crate) fn of(model: &Model, r: [u32; 4]) -> Option<StackKey> {
        let c = model.current?;
        let (_, image, index) = model.current_image()?;
        image.frames.get(index)?;
        Some(StackKey {
            image: Arc::as_ptr(image) as usize,
            id: c.id,
            frame: c.frame,
            pipeline: model.pipeline(),
            invert: model.view.invert,
            view: model.view_for(r[2], r[3]),
            colormap: model.view.colormap,
            overlays: model.view.overlays,
            shutters: model.view.shutters,
            segmentations: model.segmentation_generation,
            presentation_states: model.presentation_generation,
        })
    }
}
