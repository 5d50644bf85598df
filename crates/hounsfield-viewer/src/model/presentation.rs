//! Grayscale Softcopy Presentation States opened with their images: the state that
//! references the image on screen sets its window (or VOI LUT), Modality LUT and
//! Presentation LUT Shape, turns and flips it, and replaces its display shutter. Y shows
//! the images without their states and back.

use super::{Instance, Model};
use hounsfield_core::pipeline::{GreyPipeline, RenderOptions};
use hounsfield_core::{DicomFile, OverlayMask, PresentationState};
use std::sync::Arc;

impl Model {
    /// Whether `file` is a presentation state the viewer applies
    /// ([`presentation_file`](Self::presentation_file)).
    pub fn is_presentation_state(file: &DicomFile) -> bool {
        PresentationState::is_presentation_state(file)
    }

    /// A file of a load was a presentation state: it applies to the images it references,
    /// counted as a file done.
    pub fn presentation_file(&mut self, file: &DicomFile) {
        self.progress.files_done += 1;
        match PresentationState::read(file) {
            Ok(state) => {
                let open = self
                    .instances
                    .iter()
                    .filter(|i| {
                        i.info.sop_instance_uid.as_deref().is_some_and(|sop| {
                            state.images.iter().any(|r| r.sop_instance_uid == sop)
                        })
                    })
                    .count();
                self.message(format!(
                    "{}: presentation state{} for {} images ({open} open); Y shows the images without it",
                    file.name(),
                    state
                        .label
                        .as_deref()
                        .map(|l| format!(" \"{l}\""))
                        .unwrap_or_default(),
                    state.images.len()
                ));
                self.presentation_states.push(Arc::new(state));
                self.presentation_generation += 1;
            }
            Err(e) => self.message(e.to_string()),
        }
    }

    /// The presentation state applied to frame `frame` of `inst`, when one references it
    /// and states are shown.
    pub fn presentation_for(&self, inst: &Instance, frame: usize) -> Option<&PresentationState> {
        if !self.view.presentation_states {
            return None;
        }
        let sop = inst.info.sop_instance_uid.as_deref()?;
        self.presentation_states
            .iter()
            .rev()
            .find(|s| s.applies_to(sop, frame))
            .map(|s| &**s)
    }

    /// The presentation state applied to the image on screen.
    pub fn current_presentation(&self) -> Option<&PresentationState> {
        let (inst, _, frame) = self.current_image()?;
        self.presentation_for(inst, frame)
    }

    /// The default pipeline of the image on screen under its presentation state.
    pub(super) fn presented_pipeline(&self) -> Option<GreyPipeline> {
        let (inst, image, frame) = self.current_image()?;
        let state = self.presentation_for(inst, frame)?;
        let mut params = inst.file.display_parameters(frame).ok()?;
        let sop = inst.info.sop_instance_uid.as_deref().unwrap_or_default();
        state.apply(sop, frame, &mut params);
        GreyPipeline::resolve_over(&params, || image.range, &RenderOptions::default()).ok()
    }

    /// The display shutter of instance `id` as shown: its presentation state's (for the
    /// frame on screen), else its own; None when shutters are off.
    pub fn shutter_of(&self, id: u64) -> Option<(OverlayMask, u8)> {
        if !self.view.shutters {
            return None;
        }
        let inst = self.instance(id)?;
        let image = inst.image.as_ref()?;
        let frame = self.current.filter(|c| c.id == id).map_or(0, |c| c.frame);
        match self.presentation_for(inst, frame) {
            Some(state) => {
                let f = image.frames.first()?;
                state
                    .shutter
                    .as_ref()
                    .map(|s| (s.mask(f.width, f.height), s.grey()))
            }
            None => image.shutter.clone(),
        }
    }
}
