//! Grayscale Softcopy Presentation States opened with their images: the state that
//! references the image on screen sets its window (or VOI LUT), Modality LUT and
//! Presentation LUT Shape, turns and flips it, shows its displayed area (the view the
//! user zooms and pans from), and replaces its display shutter. Y shows
//! the images without their states and back.

use super::{Instance, Model};
use crate::annotate::Drawn;
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

    /// The graphic and text annotations of the presentation state of the image on screen,
    /// as a pane of `size` paints them: PIXEL points in image pixels ((0, 0) the top left
    /// corner of the top left pixel), DISPLAY points as fractions of the displayed area as
    /// shown (the whole image when the state selects no area);
    /// INTERPOLATED curves are drawn through their points as lines.
    pub fn presentation_drawn(&self, size: [u32; 2]) -> Vec<Drawn> {
        let Some((inst, image, frame)) = self.current_image() else {
            return Vec::new();
        };
        let Some(state) = self.presentation_for(inst, frame) else {
            return Vec::new();
        };
        let sop = inst.info.sop_instance_uid.as_deref().unwrap_or_default();
        let f = &image.frames[frame];
        // DISPLAY units are fractions of the displayed area as shown (after the turns and
        // flips): of the state's area, else of the whole image.
        let area = state
            .displayed_area(sop, frame)
            .map_or([0.0, 0.0, f64::from(f.width), f64::from(f.height)], |d| {
                d.area
            });
        let corners: Vec<[f32; 2]> = [[0, 1], [2, 1], [0, 3], [2, 3]]
            .iter()
            .filter_map(|&[x, y]| self.pane_point([area[x] - 0.5, area[y] - 0.5], size))
            .collect();
        let shown = corners.iter().fold(
            [
                f32::INFINITY,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
            ],
            |b, c| {
                [
                    b[0].min(c[0]),
                    b[1].min(c[1]),
                    b[2].max(c[0]),
                    b[3].max(c[1]),
                ]
            },
        );
        let to_pane = |p: [f64; 2], display: bool| {
            if display {
                (corners.len() == 4).then(|| {
                    [
                        shown[0] + p[0] as f32 * (shown[2] - shown[0]),
                        shown[1] + p[1] as f32 * (shown[3] - shown[1]),
                    ]
                })
            } else {
                self.pane_point([p[0] - 0.5, p[1] - 0.5], size)
            }
        };
        let ring = |c: [f64; 2], u: [f64; 2], v: [f64; 2]| -> Vec<[f64; 2]> {
            (0..=64)
                .map(|i| {
                    let t = std::f64::consts::TAU * f64::from(i) / 64.0;
                    [
                        c[0] + u[0] * t.cos() + v[0] * t.sin(),
                        c[1] + u[1] * t.cos() + v[1] * t.sin(),
                    ]
                })
                .collect()
        };
        let mut out = Vec::new();
        for g in state.annotations_for(sop, frame) {
            let mut lines = Vec::new();
            for o in &g.graphics {
                let p = &o.points;
                let path: Vec<[f64; 2]> = match (o.graphic_type.trim(), p.len()) {
                    ("CIRCLE", 2) => {
                        let r = (p[1][0] - p[0][0]).hypot(p[1][1] - p[0][1]);
                        ring(p[0], [r, 0.0], [0.0, r])
                    }
                    ("ELLIPSE", 4) => {
                        let c = [(p[0][0] + p[1][0]) / 2.0, (p[0][1] + p[1][1]) / 2.0];
                        let u = [(p[1][0] - p[0][0]) / 2.0, (p[1][1] - p[0][1]) / 2.0];
                        let v = [(p[3][0] - p[2][0]) / 2.0, (p[3][1] - p[2][1]) / 2.0];
                        ring(c, u, v)
                    }
                    ("POINT", 1) => {
                        if let Some(c) = to_pane(p[0], o.display_units) {
                            lines.push(vec![[c[0] - 4.0, c[1]], [c[0] + 4.0, c[1]]]);
                            lines.push(vec![[c[0], c[1] - 4.0], [c[0], c[1] + 4.0]]);
                        }
                        continue;
                    }
                    _ => p.clone(),
                };
                lines.push(
                    path.iter()
                        .filter_map(|q| to_pane(*q, o.display_units))
                        .collect(),
                );
            }
            if !lines.is_empty() {
                out.push(Drawn {
                    id: 0,
                    selected: false,
                    lines,
                    handles: Vec::new(),
                    label: Vec::new(),
                    label_at: [0.0, 0.0],
                    presentation: true,
                });
            }
            for t in &g.texts {
                if let Some(at) = to_pane(t.at, t.display_units) {
                    out.push(Drawn {
                        id: 0,
                        selected: false,
                        lines: Vec::new(),
                        handles: Vec::new(),
                        label: t.text.lines().map(str::to_string).collect(),
                        label_at: at,
                        presentation: true,
                    });
                }
            }
        }
        out
    }
}
