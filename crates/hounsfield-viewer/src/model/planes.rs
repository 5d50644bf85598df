//! The volume of the series on screen and the planes (MPR) through it.

use super::DecodedImage;
use super::{Model, fmt_value, pan_by, pinch_by, zoom_by};
use crate::input::Action;
use crate::mpr::{Layout, MprState, Pane};
use hounsfield_core::Frame;
use hounsfield_core::pipeline::{GreyPipeline, Voi};
use hounsfield_core::volume::{FrameSource, SharedFrame, Stack, StackInput, Volume, VolumeLimits};
use std::sync::Arc;

/// How long planes of a reduced volume stay still before a viewer draws them again,
/// refined from every voxel of the series (milliseconds): long enough that a scroll or a
/// drag in progress is not slowed by refinements it would throw away.
pub const REFINE_AFTER_MS: u64 = 150;

/// What [`Model::build_volume`] builds.
pub(super) struct BuiltVolume {
    /// The volume within the limits (reduced when the series is larger).
    pub volume: Volume,
    /// The series at its own resolution over the decoded frames, when `volume` is
    /// reduced and the frames can be shared.
    pub exact: Option<Volume>,
    /// When reduced: what was kept and why, in words.
    pub reduced: Option<String>,
}

impl Model {
    /// Builds the volume of the series on screen when a plane layout needs it and every
    /// slice is decoded; otherwise says why not in [`mpr_note`](Self::mpr_note).
    pub fn ensure_volume(&mut self) {
        if self.layout == Layout::Stack {
            return;
        }
        let Some(si) = self.current_series_index() else {
            self.mpr = None;
            self.mpr_note = Some("no series".into());
            return;
        };
        // The volume of the stack and time point on screen.
        let (s, t) = self
            .dimension_position()
            .map_or((0, 0), |(s, _, t, _)| (s, t));
        let key = (Self::series_key(&self.series[si]), s, t);
        if self.mpr.is_some() && self.mpr_series.as_ref() == Some(&key) {
            return;
        }
        if self.mpr_series.as_ref() != Some(&key) {
            self.mpr = None;
        }
        let inputs = self.series_inputs(si, s, t);
        let mut members: Vec<usize> = inputs.iter().map(|x| x.instance).collect();
        members.dedup();
        let decoded = members
            .iter()
            .filter(|&&i| self.instances[i].image.is_some())
            .count();
        if let Some(i) = members.iter().find(|&&i| self.instances[i].error.is_some()) {
            self.mpr_note = Some(format!(
                "no volume: {} did not decode",
                self.instances[*i].file.name()
            ));
            self.mpr_series = Some(key);
            return;
        }
        if decoded < members.len() {
            self.mpr_note = Some(format!(
                "the planes appear when all images are decoded ({decoded} of {})",
                members.len()
            ));
            return;
        }
        self.mpr_series = Some(key);
        match self.build_volume(&inputs) {
            Ok(BuiltVolume {
                volume,
                exact,
                reduced,
            }) => {
                let warnings = volume.stack.report.warnings.clone();
                for w in warnings {
                    self.message(format!("volume: {w}"));
                }
                if let Some(r) = &reduced {
                    let refined = if exact.is_some() {
                        "; a still plane is refined from every voxel"
                    } else {
                        ""
                    };
                    self.message(format!("planes at a reduced resolution: {r}{refined}"));
                }
                self.mpr_reduction = reduced;
                self.mpr_refined = [false; 3];
                self.mpr_refining = [None; 3];
                self.mpr = Some(MprState::with_full(
                    Arc::new(volume),
                    exact.map(Arc::new),
                    self.convention,
                ));
                self.mpr_note = None;
            }
            Err(e) => {
                self.mpr_note = Some(format!("no volume: {e}"));
                self.message(format!("no volume for this series: {e}"));
            }
        }
    }

    /// The frames of stack `s` at time point `t` of series `si`, `instance` their index in
    /// [`instances`](Self::instances).
    pub(super) fn series_inputs(&self, si: usize, s: usize, t: usize) -> Vec<StackInput> {
        self.layouts.get(si).map_or(Vec::new(), |l| {
            let Some(point) = l
                .dimensions
                .stacks
                .get(s)
                .and_then(|x| x.time_points.get(t))
            else {
                return Vec::new();
            };
            point
                .inputs
                .iter()
                .filter_map(|&k| {
                    let f = l.frames[k];
                    let i = self.index_of(f.id)?;
                    let input = self.instances[i]
                        .inputs
                        .iter()
                        .find(|x| x.frame == f.frame)?;
                    Some(StackInput {
                        instance: i,
                        ..input.clone()
                    })
                })
                .collect()
        })
    }

    /// Whether a plane view of the layout on screen shows a reduced volume that it can
    /// be refined from every voxel ([`MprState::full`]): a viewer draws again once the
    /// planes have stayed still a moment ([`REFINE_AFTER_MS`]), and the scene then
    /// refines them.
    pub fn mpr_refine_pending(&self) -> bool {
        self.mpr.as_ref().is_some_and(|m| m.full.is_some())
            && (0..3).any(|k| self.plane_shown(k) && !self.mpr_refined[k])
    }

    /// Per plane view of the layout on screen, its refinement in progress (rows done, and
    /// in all): a viewer draws the next frame at once while one goes. A plane the layout
    /// no longer shows is not drawn, so its refinement waits.
    pub fn mpr_refining_shown(&self) -> [Option<(u32, u32)>; 3] {
        std::array::from_fn(|k| self.mpr_refining[k].filter(|_| self.plane_shown(k)))
    }

    /// When the planes want a frame that no input asks for (milliseconds after the frame
    /// just drawn): 0 while their volume goes to the GPU a part per frame or a refinement
    /// goes a band of rows per frame; [`REFINE_AFTER_MS`] while a plane shown waits to be
    /// refined; None otherwise. Both viewers schedule their next frame by it.
    pub fn planes_redraw_after_ms(&self) -> Option<u64> {
        if self.mpr_upload.is_some() || self.mpr_refining_shown().iter().any(Option::is_some) {
            Some(0)
        } else if self.mpr_refine_pending() {
            Some(REFINE_AFTER_MS)
        } else {
            None
        }
    }

    /// Whether the layout on screen has plane view `k`.
    fn plane_shown(&self, k: usize) -> bool {
        self.layout
            .panes([0.0, 0.0, 1.0, 1.0])
            .iter()
            .any(|(p, _)| *p == Pane::Plane(k))
    }

    /// The largest volume the planes take: the device's limits (3D textures) with the
    /// memory budget.
    pub fn volume_limits(&self) -> VolumeLimits {
        self.volume_limits
    }

    /// Sets the largest volume the device drawing the planes takes (from
    /// `Renderer::volume_limits`), keeping the memory budget. Returns whether the volume
    /// was rebuilt for them: when it no longer fits, or was reduced and may now be less.
    pub fn set_device_volume_limits(&mut self, device: VolumeLimits) -> bool {
        self.set_volume_limits(VolumeLimits {
            max_bytes: self.volume_limits.max_bytes,
            ..device
        })
    }

    /// Sets the memory budget of the planes' volume (bytes of voxels; None for none):
    /// a series with more is shown at a reduced resolution (every n-th column, row or
    /// slice), and [`mpr_reduction`](Self::mpr_reduction) says so. Returns whether the
    /// volume was rebuilt.
    pub fn set_volume_budget(&mut self, bytes: Option<u64>) -> bool {
        self.set_volume_limits(VolumeLimits {
            max_bytes: bytes,
            ..self.volume_limits
        })
    }

    fn set_volume_limits(&mut self, limits: VolumeLimits) -> bool {
        if limits == self.volume_limits {
            return false;
        }
        self.volume_limits = limits;
        let fits = self.mpr.as_ref().is_none_or(|m| limits.fits(&m.volume));
        if self.mpr_series.is_none() || (fits && self.mpr_reduction.is_none()) {
            return false;
        }
        self.mpr = None;
        self.mpr_series = None;
        self.mpr_reduction = None;
        self.ensure_volume();
        true
    }

    /// The volume of `inputs` (frames of decoded instances, `instance` their index),
    /// within [`volume_limits`](Self::volume_limits); when reduced to fit, with what was
    /// kept and why, in words, and the series at its own resolution beside it.
    pub(super) fn build_volume(&self, inputs: &[StackInput]) -> Result<BuiltVolume, String> {
        let stack = Stack::assemble(inputs)?;
        if stack.slices.len() < 2 {
            return Err("a single slice: 2D only".into());
        }
        let full = (stack.columns, stack.rows, stack.slices.len() as u32);
        let first = stack
            .slices
            .first()
            .and_then(|s| self.instances.get(s.instance)?.image.as_ref());
        let padding = first.and_then(|image| image.padding);
        let limits = self.volume_limits;
        // The decoded frames of a stack's slices, to share (no second copy of the pixels).
        let frames_of = |stack: &Stack| {
            let mut frames = Vec::with_capacity(stack.slices.len());
            for (k, s) in stack.slices.iter().enumerate() {
                let decoded = self.instances.get(s.instance).and_then(|i| {
                    let image = i.image.as_ref()?;
                    image.frames.get(s.frame)?;
                    let pipe = image.pipelines.get(s.frame)?.as_ref()?;
                    Some((
                        SharedFrame(Arc::new(DecodedFrame(image.clone(), s.frame))),
                        &pipe.modality,
                    ))
                });
                frames.push(decoded.ok_or_else(|| format!("slice {} is not decoded", k + 1))?);
            }
            Ok::<_, String>(frames)
        };
        let whole = stack.clone();
        let (mut volume, r) = Volume::within(stack, &limits, |kept| {
            let frames = frames_of(&kept)?;
            Volume::from_shared(kept, frames)
        })?;
        // A reduced volume keeps the series at its own resolution beside it when that
        // costs no copy of the pixels: planes are cut on its grid and refined from it.
        let mut exact = if r.is_full() {
            None
        } else {
            let frames = frames_of(&whole)?;
            Volume::shared(whole, frames)
        };
        // Stored values keep the first slice's Pixel Padding, for slabs to leave out.
        for v in std::iter::once(&mut volume).chain(exact.as_mut()) {
            if !v.data.is_modality_values() {
                v.padding = padding;
            }
        }
        let reduced = (!r.is_full()).then(|| {
            let why = if !limits.sides_fit(full) {
                "larger than the device's 3D textures".to_string()
            } else {
                format!(
                    "memory budget {}",
                    hounsfield_core::budget::human_bytes(limits.max_bytes.unwrap_or(0))
                )
            };
            format!("{} ({why})", r.describe(full))
        });
        Ok(BuiltVolume {
            volume,
            exact,
            reduced,
        })
    }

    /// The grey pipeline of the planes: the window in effect with the volume's Modality LUT.
    /// Until the user sets a window, the planes take the default window of the middle
    /// slice of the volume, not that of the slice on screen: a plane cuts through every
    /// slice, and the first and last slices of a stack are often edge slices (noise, air)
    /// whose own window shows nothing of the anatomy.
    pub fn mpr_pipeline(&self) -> Option<GreyPipeline> {
        let mpr = self.mpr.as_ref()?;
        let mut pipe = self.pipeline()?;
        if self.view.window.is_none()
            && let Some(voi) = self.planes_voi(&mpr.exact().stack)
        {
            pipe.voi = voi;
        }
        pipe.modality = mpr.volume.modality.clone();
        Some(pipe)
    }

    /// The default VOI of planes through `stack`: the middle slice's, or, when its file
    /// has no window, the min-max window of every slice (padding left out).
    pub(super) fn planes_voi(&self, stack: &Stack) -> Option<Voi> {
        let slices = &stack.slices;
        let image_of = |k: usize| self.instances.get(k).and_then(|i| i.image.as_ref());
        let middle = slices.get(slices.len() / 2)?;
        let image = image_of(middle.instance)?;
        let own = image.pipelines.get(middle.frame)?.as_ref()?;
        Some(hounsfield_core::plane_window::planes_voi(
            &own.voi,
            !image.windows.is_empty(),
            || {
                // The slices' own ranges (padding left out) make the volume's.
                slices
                    .iter()
                    .filter_map(|s| image_of(s.instance).map(|i| i.range))
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |a, r| {
                        (a.0.min(r.0), a.1.max(r.1))
                    })
            },
        ))
    }

    /// The modality value at patient point `p` of the series (every voxel, also when the
    /// planes' volume is reduced), as text with units.
    pub fn volume_value_at(&self, p: [f64; 3]) -> Option<String> {
        let volume = self.mpr.as_ref()?.exact();
        let v = hounsfield_core::volume::value_at(volume, p)?;
        let m = hounsfield_core::pipeline::modality_transform(&volume.modality, f64::from(v));
        let units = self
            .current_image()
            .and_then(|(_, d, _)| d.units.clone())
            .unwrap_or_default();
        Some(
            format!("{} {units}", fmt_value((m * 100.0).round() / 100.0))
                .trim_end()
                .to_string(),
        )
    }

    /// Applies `action` to plane `k`; false when it is not a plane action.
    pub(super) fn apply_to_plane(&mut self, k: usize, action: &Action) -> bool {
        let Some(m) = self.mpr.as_mut() else {
            return false;
        };
        match action {
            Action::Slice(d) => m.step(k, *d),
            Action::FirstSlice => m.go_to(k, 0),
            Action::LastSlice => m.go_to(k, usize::MAX),
            Action::Zoom(f) => zoom_by(&mut m.views[k].zoom, &mut m.views[k].pan, *f),
            Action::Pan { dx, dy } => pan_by(&mut m.views[k].pan, *dx, *dy),
            Action::Pinch {
                zoom,
                about,
                dx,
                dy,
            } => {
                let v = &mut m.views[k];
                pinch_by(&mut v.zoom, &mut v.pan, *zoom, *about, [*dx, *dy]);
            }
            Action::Fit => m.views[k] = Default::default(),
            Action::Crosshair { at, size } => m.click(k, *at, *size),
            Action::Rotate(dx) => m.rotate(k, f64::from(*dx) * 0.01),
            _ => return false,
        }
        true
    }
}

/// Frame `.1` of a decoded image, as a volume's slice.
struct DecodedFrame(Arc<DecodedImage>, usize);

impl FrameSource for DecodedFrame {
    fn frame(&self) -> &Frame {
        // Made only for frames the image has (`build_volume`).
        &self.0.frames[self.1]
    }
}
