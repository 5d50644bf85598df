//! The viewer's state, without a window or a GPU: instances, series, the slice shown,
//! window/level, view, cine, panels and messages. [`Model::apply`] performs an
//! [`Action`]; what needs the window (dialogs, saving, loading) comes back as an
//! [`Effect`].

use crate::input::Action;
use crate::mpr::{Layout, MprState, Pane};
use hounsfield_core::DicomFile;
use hounsfield_core::dimensions::Dimensions;
use hounsfield_core::series::{InstanceInfo, Series};
use hounsfield_core::view::Filter;
use hounsfield_core::volume::{Convention, StackInput};
use std::path::PathBuf;
use std::sync::Arc;

mod decoded;
mod fusion;
pub use fusion::{Fused, FusionStatus, FusionStyle};
mod loading;
mod measuring;
mod navigation;
mod planes;
mod presentation;
mod reports;
mod segments;
pub use segments::SegmentEntry;
mod windowing;

pub use decoded::{DecodedImage, contained};
pub use windowing::ColourBar;
use windowing::{fmt_value, pan_by, pinch_by, zoom_by};

/// One opened instance.
#[derive(Debug)]
pub struct Instance {
    /// Unique within the model; the platform refers to the instance by it.
    pub id: u64,
    /// The load (open command) it came from.
    pub batch: u64,
    /// Identification and geometry, read from the header.
    pub info: InstanceInfo,
    /// The file, parsed (its pixel data decoded into `image`).
    pub file: Arc<DicomFile>,
    /// None while decoding.
    pub image: Option<Arc<DecodedImage>>,
    /// Why it could not be read or decoded, when it could not.
    pub error: Option<String>,
    /// Its frames' geometry, stacks and time points (filled when it is added).
    pub inputs: Vec<StackInput>,
}

/// Loading progress over every open command.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Progress {
    /// Files listed by every load.
    pub files_found: usize,
    /// Files parsed (or failed).
    pub files_done: usize,
    /// Frames announced by the parsed files.
    pub frames_total: usize,
    /// Frames decoded (or failed).
    pub frames_decoded: usize,
    /// Loads still running.
    pub loads: usize,
}

impl Progress {
    /// Fraction done, 0 to 1 (files count once parsed and again per frame decoded).
    pub fn fraction(&self) -> f32 {
        let total = self.files_found + self.frames_total;
        if total == 0 {
            return 1.0;
        }
        ((self.files_done + self.frames_decoded) as f32 / total as f32).min(1.0)
    }
}

/// How the image is viewed: the user's changes over the file's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewSettings {
    /// A window chosen by the user (centre, width), for the whole series; None = the
    /// file's default (first window, else VOI LUT, else data range).
    pub window: Option<(f64, f64)>,
    /// Name of the preset or file window in use.
    pub window_label: Option<String>,
    /// Inverted on top of the Presentation LUT.
    pub invert: bool,
    /// Magnification over the fitted view (1 = fit).
    pub zoom: f64,
    /// Pan in pane points.
    pub pan: [f64; 2],
    /// Mirrored left and right.
    pub flip_horizontal: bool,
    /// Mirrored top and bottom.
    pub flip_vertical: bool,
    /// Quarter turns clockwise (0-3), after the flips.
    pub rotation: u8,
    /// Nearest or bilinear sampling when magnified.
    pub filter: Filter,
    /// Overlay planes (60xx) shown over the image (on by default, as the file asks).
    pub overlays: bool,
    /// The display shutter applied (on by default, as the file asks).
    pub shutters: bool,
    /// Presentation states applied to the images they reference (on by default).
    pub presentation_states: bool,
    /// Segmentations painted over the images they belong to (on by default).
    pub segmentations: bool,
    /// The colour map of grey images' display levels (None: grey), for parametric maps
    /// and PET; kept by Reset.
    pub colormap: Option<hounsfield_core::layers::colormap::ColorMap>,
}

impl Default for ViewSettings {
    fn default() -> Self {
        ViewSettings {
            window: None,
            window_label: None,
            invert: false,
            zoom: 1.0,
            pan: [0.0, 0.0],
            flip_horizontal: false,
            flip_vertical: false,
            rotation: 0,
            filter: Filter::Linear,
            overlays: true,
            shutters: true,
            presentation_states: true,
            segmentations: true,
            colormap: None,
        }
    }
}

/// What the window layer must do after an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Show a file dialog and open what the user picks.
    OpenDialog,
    /// Save the view as a PNG.
    Save,
    /// Open these files and folders.
    Open(Vec<PathBuf>),
    /// Save the measurements ([`Model::measurement_reports`], [`Model::measurements_json`]).
    SaveMeasurements,
}

/// The slice on screen: an instance and one of its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SliceRef {
    /// The [`Instance::id`].
    pub id: u64,
    /// The frame of that instance.
    pub frame: usize,
}

/// The stacks and time points of a series, and the slice each of its frames is.
#[derive(Debug, Clone, Default)]
pub struct SeriesLayout {
    /// The frames of the series' instances, in series order (the inputs organised).
    pub frames: Vec<SliceRef>,
    /// Their stacks and time points.
    pub dimensions: Dimensions,
}

/// A series' identity: Study and Series Instance UID, and its part.
type SeriesKey = (Option<String>, Option<String>, usize);

/// The whole viewer state.
#[derive(Debug, Default)]
pub struct Model {
    /// Every instance opened, in the order they came.
    pub instances: Vec<Instance>,
    /// The series the instances form, sorted into slice order.
    pub series: Vec<Series>,
    /// The stacks and time points of each series (as [`series`](Self::series)).
    pub layouts: Vec<SeriesLayout>,
    /// Identity of the series on screen: (Series Instance UID, part).
    current_series: Option<SeriesKey>,
    /// The slice on screen.
    pub current: Option<SliceRef>,
    /// Window, zoom, pan, flips and filter.
    pub view: ViewSettings,
    /// Cine playing.
    pub cine: bool,
    /// The help shown.
    pub show_help: bool,
    /// The data element panel shown.
    pub show_tags: bool,
    /// The series list shown.
    pub show_series: bool,
    /// Messages for the user (errors, skipped files), oldest first.
    pub messages: Vec<String>,
    /// Loading progress.
    pub progress: Progress,
    /// Show the first image of this load once one decodes.
    pub focus_batch: Option<u64>,
    /// Until the user moves through the slices, a slice decoded later that comes earlier
    /// in the series takes the screen: a folder opens at its first slice, whatever order
    /// the files decode in.
    pub follow_first: bool,
    /// How the image area is divided.
    pub layout: Layout,
    /// The planes through the volume of the series on screen, once it is built.
    pub mpr: Option<MprState>,
    /// The series the volume belongs to, and its stack and time point.
    mpr_series: Option<(SeriesKey, usize, usize)>,
    /// Why there are no planes (yet), for the plane panes.
    pub mpr_note: Option<String>,
    /// The pane under the pointer when the input being applied happened.
    pub active_pane: Pane,
    /// Orientation convention of the planes.
    pub convention: Convention,
    /// The panes and their sizes in device pixels, as the platform last laid them out
    /// ([`set_panes`](Self::set_panes)): what a 1:1 zoom needs.
    pub pane_sizes: Vec<(Pane, [u32; 2])>,
    /// The measurements and the measuring tool in use.
    pub annotations: crate::annotate::Annotations,
    /// Grayscale Softcopy Presentation States opened, oldest first (the newest that
    /// references an image applies).
    pub presentation_states: Vec<Arc<hounsfield_core::PresentationState>>,
    /// Counts changes to `presentation_states` (GPU caches of shutters follow it).
    pub presentation_generation: u64,
    /// DICOM Segmentations opened, in the order they were opened (later ones on top).
    pub segmentations: Vec<Arc<hounsfield_core::layers::segmentation::Segmentation>>,
    /// Counts changes to `segmentations` and their visibility (caches of the painted
    /// segments follow it).
    pub segmentation_generation: u64,
    /// The segment list: every segment of `segmentations`, with how it is shown
    /// ([`set_segment`](Self::set_segment)).
    pub segment_list: Vec<SegmentEntry>,
    /// RT Structure Sets opened, in the order they were opened: their contours are drawn
    /// over the segments of the images they lie on (shown and hidden with them).
    pub structures: Vec<Arc<hounsfield_core::layers::structures::StructureSet>>,
    /// The series fused over the one on screen ([`set_fusion`](Self::set_fusion)).
    pub fused: Option<Fused>,
    /// How a fused series is shown ([`set_fusion_style`](Self::set_fusion_style)).
    pub fusion_style: FusionStyle,
}

/// Messages kept in memory.
const MAX_MESSAGES: usize = 500;

impl Model {
    /// An empty model with the series list shown.
    pub fn new() -> Model {
        Model {
            show_series: true,
            ..Model::default()
        }
    }
    /// Adds a message for the status bar (and the log).
    pub fn message(&mut self, text: impl Into<String>) {
        let text = text.into();
        tracing::info!("{text}");
        self.messages.push(text);
        if self.messages.len() > MAX_MESSAGES {
            self.messages.drain(..self.messages.len() - MAX_MESSAGES);
        }
    }
    fn index_of(&self, id: u64) -> Option<usize> {
        self.instances.iter().position(|i| i.id == id)
    }
    /// The instance with this id.
    pub fn instance(&self, id: u64) -> Option<&Instance> {
        self.index_of(id).map(|i| &self.instances[i])
    }
    /// Performs `action`; returns what the window layer must do, if anything.
    pub fn apply(&mut self, action: Action) -> Option<Effect> {
        let effect = self.perform(action);
        // Measurements of a report drawn on planes show once a plane passes through them.
        if self.layout != Layout::Stack
            && self.annotations.waiting.iter().any(|r| r.patient.is_some())
        {
            self.attach_reports();
        }
        effect
    }

    fn perform(&mut self, action: Action) -> Option<Effect> {
        if let Pane::Plane(k) = self.active_pane
            && self.layout != Layout::Stack
            && self.apply_to_plane(k, &action)
        {
            return None;
        }
        if matches!(
            action,
            Action::Slice(_)
                | Action::FirstSlice
                | Action::LastSlice
                | Action::ToggleCine
                | Action::TimePoint(_)
                | Action::NextStack
        ) {
            self.follow_first = false;
        }
        match action {
            Action::AdjustWindow { dx, dy } => self.adjust_window(dx, dy),
            Action::Zoom(f) => zoom_by(&mut self.view.zoom, &mut self.view.pan, f),
            Action::Pan { dx, dy } => pan_by(&mut self.view.pan, dx, dy),
            Action::Pinch {
                zoom,
                about,
                dx,
                dy,
            } => pinch_by(
                &mut self.view.zoom,
                &mut self.view.pan,
                zoom,
                about,
                [dx, dy],
            ),
            Action::Slice(d) => self.step(d, false),
            Action::FirstSlice => self.step(i64::MIN / 2, false),
            Action::LastSlice => self.step(i64::MAX / 2, false),
            Action::Fit => {
                self.view.zoom = 1.0;
                self.view.pan = [0.0, 0.0];
            }
            Action::ActualSize => self.actual_size(),
            Action::Preset(n) => self.preset(n),
            Action::Invert => self.view.invert = !self.view.invert,
            Action::Reset => {
                self.view = ViewSettings {
                    filter: self.view.filter,
                    overlays: self.view.overlays,
                    shutters: self.view.shutters,
                    presentation_states: self.view.presentation_states,
                    colormap: self.view.colormap,
                    ..ViewSettings::default()
                };
                if let Some(m) = &mut self.mpr {
                    m.reset();
                }
            }
            Action::ToggleOverlays => self.view.overlays = !self.view.overlays,
            Action::ToggleShutters => self.view.shutters = !self.view.shutters,
            Action::Colormap(map) => self.view.colormap = map,
            Action::CycleColormap => self.cycle_colormap(),
            Action::CycleFusion => self.cycle_fusion(),
            Action::CycleFusionColormap => self.cycle_fusion_colormap(),
            Action::Fuse(series) => {
                if let Err(e) = self.set_fusion(series) {
                    self.message(format!("fusion: {e}"));
                }
            }
            Action::FusionStyle {
                colormap,
                opacity,
                window,
            } => self.set_fusion_style(colormap, opacity, window),
            Action::ToggleSegmentations => {
                self.view.segmentations = !self.view.segmentations;
                self.segmentation_generation += 1;
            }
            Action::SetSegment {
                index,
                visible,
                opacity,
            } => {
                self.set_segment(index, visible, opacity);
            }
            Action::TogglePresentationStates => {
                self.view.presentation_states = !self.view.presentation_states;
                self.presentation_generation += 1;
            }
            Action::FlipHorizontal => self.view.flip_horizontal = !self.view.flip_horizontal,
            Action::FlipVertical => self.view.flip_vertical = !self.view.flip_vertical,
            Action::TurnQuarter(q) => {
                self.view.rotation =
                    (i16::from(self.view.rotation) + i16::from(q)).rem_euclid(4) as u8;
            }
            Action::ToggleCine => {
                let times = self.dimension_position().map_or(1, |(_, _, _, t)| t);
                self.cine = !self.cine && (self.slice_position().1 > 1 || times > 1);
            }
            Action::TimePoint(d) => {
                self.step_dimension(d, false, false);
                self.ensure_volume();
            }
            Action::NextStack => {
                self.step_dimension(1, true, true);
                self.ensure_volume();
            }
            Action::NextSeries | Action::PreviousSeries => {
                let n = self.series.len();
                if n > 0 {
                    let cur = self.current_series_index().unwrap_or(0);
                    let next = if action == Action::NextSeries {
                        (cur + 1) % n
                    } else {
                        (cur + n - 1) % n
                    };
                    self.select_series(next);
                }
            }
            Action::ToggleHelp => self.show_help = !self.show_help,
            Action::ToggleTags => self.show_tags = !self.show_tags,
            Action::ToggleSeriesList => self.show_series = !self.show_series,
            // Esc closes the help, else drops an unfinished measurement, else puts the
            // measuring tool down.
            Action::Dismiss => {
                if self.show_help {
                    self.show_help = false;
                } else if !self.annotations.drop_pending() {
                    self.set_tool(crate::annotate::Tool::WindowLevel);
                }
            }
            Action::Tool(tool) => self.set_tool(tool),
            Action::Measure(step) => self.measure_step(step),
            Action::DeleteMeasurement => {
                if let Some(id) = self.annotations.selected {
                    self.annotations.delete(id);
                }
            }
            Action::SelectMeasurement(id) => self.select_measurement(id),
            Action::Undo => {
                self.annotations.undo();
            }
            Action::OpenDialog => return Some(Effect::OpenDialog),
            Action::Save => return Some(Effect::Save),
            Action::SaveMeasurements => return Some(Effect::SaveMeasurements),
            Action::Open(paths) => return Some(Effect::Open(paths)),
            Action::Layout(layout) => {
                self.layout = layout.unwrap_or_else(|| self.layout.next());
                self.ensure_volume();
            }
            Action::CycleSlab => {
                if let Some(m) = &mut self.mpr {
                    m.cycle_slab();
                }
            }
            Action::Slab(slab) => {
                if let Some(m) = &mut self.mpr {
                    m.slab = slab;
                }
            }
            Action::GoToPlaneSlice { plane, index } => {
                if let Some(m) = &mut self.mpr
                    && plane < 3
                {
                    m.go_to(plane, index);
                }
            }
            Action::Neurological(on) => {
                self.convention = if on {
                    Convention::Neurological
                } else {
                    Convention::Radiological
                };
                if let Some(m) = &mut self.mpr {
                    m.set_convention(self.convention);
                }
            }
            // Plane actions outside a plane.
            Action::Crosshair { .. } | Action::Rotate(_) => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hounsfield_core::Samples;
    use hounsfield_core::pipeline::{GreyPipeline, Voi, modality_range};
    use hounsfield_core::presets::window_drag_sensitivity;
    use hounsfield_core::volume::{Stack, StackInput};
    use hounsfield_core::{Frame, FrameColor, ModalityLut, VoiLutFunction, VoiWindow};

    /// A CT-like instance with `frames` frames of 4 x 4 pixels.
    pub(super) fn instance(
        id: u64,
        z: f64,
        values: &[i16],
        window: Option<(f64, f64)>,
    ) -> Instance {
        let frame = Frame {
            width: 4,
            height: 4,
            color: FrameColor::Monochrome,
            samples: Samples::I16(values.to_vec()),
            bits_stored: 16,
            signed: true,
        };
        let modality = ModalityLut::Rescale {
            slope: 1.0,
            intercept: -1024.0,
            rescale_type: None,
        };
        let (lo, hi) = modality_range(&modality, &frame);
        let (c, w) = window.unwrap_or(((lo + hi + 1.0) / 2.0, hi - lo + 1.0));
        let pipe = GreyPipeline {
            modality,
            voi: Voi::Window {
                center: c,
                width: w,
                function: VoiLutFunction::Linear,
            },
            inverse: false,
            presentation_lut: None,
        };
        let info = InstanceInfo {
            name: format!("i{id}"),
            study_instance_uid: Some("1".into()),
            series_instance_uid: Some("1.1".into()),
            modality: Some("CT".into()),
            rows: 4,
            columns: 4,
            frames: 1,
            image_orientation_patient: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            image_position_patient: Some([0.0, 0.0, z]),
            ..InstanceInfo::default()
        };
        let file = DicomFile::from_bytes("embedded", crate::SAMPLE.to_vec())
            .unwrap_or_else(|e| panic!("{e}"));
        Instance {
            id,
            batch: 0,
            info,
            file: Arc::new(file),
            image: Some(Arc::new(DecodedImage {
                frames: vec![frame],
                pipelines: vec![Some(pipe)],
                windows: window
                    .map(|(center, width)| VoiWindow {
                        center,
                        width,
                        explanation: None,
                    })
                    .into_iter()
                    .collect(),
                range: (lo, hi),
                pixel_aspect: 1.0,
                positions: vec![Some([0.0, 0.0, z])],
                normal: Some([0.0, 0.0, 1.0]),
                frame_time_ms: None,
                units: Some("HU".into()),
                palette: None,
                padding: None,
                overlays: Vec::new(),
                shutter: None,
            })),
            error: None,
            inputs: Vec::new(),
        }
    }

    pub(super) fn model() -> Model {
        let mut m = Model::new();
        let values: Vec<i16> = (0..16).map(|v| v * 100).collect();
        for (id, z) in [(7, 10.0), (8, -10.0), (9, 0.0)] {
            let mut inst = instance(id, z, &values, Some((40.0, 80.0)));
            let image = inst.image.take();
            m.add_instance(inst);
            m.set_decoded(id, image.ok_or_else(String::new));
        }
        m
    }

    #[test]
    fn first_decoded_shows_and_slices_follow_positions() {
        let mut m = model();
        // Instance 7 decoded first, then 8 which comes first along z took its place.
        assert_eq!(m.current.map(|c| c.id), Some(8));
        let order: Vec<u64> = m.slices().iter().map(|s| s.id).collect();
        assert_eq!(order, vec![8, 9, 7]);
        assert_eq!(m.slice_position(), (0, 3));
        m.apply(Action::Slice(2));
        assert_eq!(m.current.map(|c| c.id), Some(7));
        m.apply(Action::Slice(-1));
        assert_eq!(m.current.map(|c| c.id), Some(9));
        m.apply(Action::Slice(-10));
        assert_eq!(m.current.map(|c| c.id), Some(8));
        m.apply(Action::LastSlice);
        assert_eq!(m.current.map(|c| c.id), Some(7));
        m.apply(Action::Slice(5));
        assert_eq!(m.current.map(|c| c.id), Some(7));
        m.cine_step();
        assert_eq!(m.current.map(|c| c.id), Some(8));
    }

    #[test]
    fn a_key_zooms_to_one_image_pixel_per_screen_pixel() {
        let mut m = model();
        // Before the platform lays out its panes, 1:1 has nothing to go by.
        m.apply(Action::ActualSize);
        assert_eq!(m.view.zoom, 1.0);
        m.set_panes(&[(Pane::Stack, [0, 0, 1000, 800])]);
        m.apply(Action::Zoom(1.7));
        m.apply(Action::ActualSize);
        let scale = m.view_for(1000, 800).scale(4, 4);
        assert!((scale - 1.0).abs() < 1e-12, "scale {scale}");
        m.apply(Action::Fit);
        assert_eq!(m.view_for(1000, 800).scale(4, 4), 200.0);
    }

    #[test]
    fn k_moves_to_the_other_stack_at_the_same_slice() {
        // Two stacks at the same two positions, as an enhanced object's Dimension
        // Organization parts them (ids 1x: stack 1, 2x: stack 2).
        let mut m = Model::new();
        let values: Vec<i16> = (0..16).collect();
        for (id, z, stack) in [
            (10, 0.0, "stack 1"),
            (20, 0.0, "stack 2"),
            (11, 5.0, "stack 1"),
            (21, 5.0, "stack 2"),
        ] {
            let mut inst = instance(id, z, &values, Some((40.0, 80.0)));
            let image = inst.image.take();
            m.add_instance(inst);
            let k = m.instances.len() - 1;
            let d = &mut m.instances[k].inputs[0].dimensions;
            d.explicit = true;
            d.stack = Some(stack.into());
            m.regroup();
            m.set_decoded(id, image.ok_or_else(String::new));
        }
        assert_eq!(m.layouts[0].dimensions.stacks.len(), 2);
        assert_eq!(m.current.map(|c| c.id), Some(10));
        m.apply(Action::Slice(1));
        m.apply(Action::NextStack);
        assert_eq!(m.current.map(|c| c.id), Some(21));
        assert_eq!(m.dimension_labels(), vec!["Stack 2/2 (stack 2)"]);
        // K wraps to the first stack.
        m.apply(Action::NextStack);
        assert_eq!(m.current.map(|c| c.id), Some(11));
    }

    #[test]
    fn a_4d_series_steps_and_plays_through_its_time_points_at_the_same_slice() {
        use hounsfield_core::dimensions::TimeAxis;
        // Two positions, each at two Temporal Position Identifiers (ids 1x at time 1, 2x
        // at time 2), added out of order.
        let mut m = Model::new();
        let values: Vec<i16> = (0..16).collect();
        for (id, z, t) in [
            (21, 5.0, 2.0),
            (10, 0.0, 1.0),
            (11, 5.0, 1.0),
            (20, 0.0, 2.0),
        ] {
            let mut inst = instance(id, z, &values, Some((40.0, 80.0)));
            let image = inst.image.take();
            m.add_instance(inst);
            let k = m.instances.len() - 1;
            m.instances[k].inputs[0].dimensions.times =
                vec![(TimeAxis::TemporalPositionIdentifier, t)];
            m.regroup();
            m.set_decoded(id, image.ok_or_else(String::new));
        }
        assert_eq!(m.series.len(), 1, "one series, not one per time point");
        let d = &m.layouts[0].dimensions;
        assert_eq!((d.time_points(), d.slices(), d.frames()), (2, 2, 4));
        // It opens at the first time point, first slice.
        assert_eq!(m.current.map(|c| c.id), Some(10));
        let ids = |m: &Model| m.slices().iter().map(|s| s.id).collect::<Vec<_>>();
        assert_eq!(ids(&m), vec![10, 11]);
        m.apply(Action::Slice(1));
        assert_eq!(m.slice_position(), (1, 2));
        // N / P: the other time point, same slice.
        m.apply(Action::TimePoint(1));
        assert_eq!(m.current.map(|c| c.id), Some(21));
        assert_eq!(m.dimension_position(), Some((0, 1, 1, 2)));
        assert_eq!(ids(&m), vec![20, 21]);
        m.apply(Action::TimePoint(1));
        assert_eq!(
            m.current.map(|c| c.id),
            Some(21),
            "N stops at the last time point"
        );
        m.apply(Action::TimePoint(-1));
        assert_eq!(m.current.map(|c| c.id), Some(11));
        // Cine plays the time points (wrapping), not the slices.
        m.cine_step();
        assert_eq!(m.current.map(|c| c.id), Some(21));
        m.cine_step();
        assert_eq!(m.current.map(|c| c.id), Some(11));
        m.apply(Action::TimePoint(1));
        assert_eq!(m.dimension_labels(), vec!["Time 2/2 (temporal position 2)"]);
        // The planes are those of the time point on screen, also while cine plays.
        m.apply(Action::Layout(Some(Layout::Planes)));
        let volume_of = |m: &Model| {
            m.mpr.as_ref().map(|x| {
                x.volume
                    .stack
                    .slices
                    .iter()
                    .map(|s| m.instances[s.instance].id)
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(volume_of(&m), Some(vec![20, 21]));
        m.cine_step();
        assert_eq!(volume_of(&m), Some(vec![10, 11]));
    }

    /// Three slices along z (instances 0, 1, 2 at z = 10, -10, 0), each with `window`
    /// of its id and values `base + 100 k`.
    fn planes_model(windows: [Option<(f64, f64)>; 3], bases: [i16; 3]) -> (Model, Stack) {
        let mut m = Model::new();
        let mut inputs = Vec::new();
        for (k, (id, z)) in [(7, 10.0), (8, -10.0), (9, 0.0)].into_iter().enumerate() {
            let values: Vec<i16> = (0..16).map(|v| bases[k] + v * 100).collect();
            let mut inst = instance(id, z, &values, windows[k]);
            let image = inst.image.take();
            m.add_instance(inst);
            m.set_decoded(id, image.ok_or_else(String::new));
            inputs.push(StackInput {
                instance: k,
                position: Some([0.0, 0.0, z]),
                orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
                pixel_spacing: Some([1.0, 1.0]),
                rows: 4,
                columns: 4,
                ..StackInput::default()
            });
        }
        let stack = Stack::assemble(&inputs).unwrap_or_else(|e| panic!("{e}"));
        (m, stack)
    }

    #[test]
    fn planes_take_the_middle_slice_window_or_the_volume_range() {
        // The first slice along z (instance 1, z = -10) is on screen; the middle one is
        // instance 2 (z = 0), whose window the planes take.
        let (m, stack) = planes_model(
            [Some((40.0, 80.0)), Some((5.0, 10.0)), Some((300.0, 900.0))],
            [0; 3],
        );
        assert_eq!(m.current.map(|c| c.id), Some(8));
        assert_eq!(m.window(), Some((5.0, 10.0)));
        let voi = m.planes_voi(&stack).and_then(|v| match v {
            Voi::Window { center, width, .. } => Some((center, width)),
            Voi::Table(_) => None,
        });
        assert_eq!(voi, Some((300.0, 900.0)));
        // Without windows in the files: min-max over every slice, not the middle one.
        let (m, stack) = planes_model([None; 3], [-500, 0, 200]);
        let (lo, hi) = (-500.0 - 1024.0, 200.0 + 1500.0 - 1024.0);
        let voi = m.planes_voi(&stack).and_then(|v| match v {
            Voi::Window { center, width, .. } => Some((center, width)),
            Voi::Table(_) => None,
        });
        assert_eq!(voi, Some(((lo + hi + 1.0) / 2.0, hi - lo + 1.0)));
    }

    #[test]
    fn projection_images_take_their_letters_from_patient_orientation() {
        let mut m = Model::new();
        let mut inst = instance(1, 0.0, &[0; 16], None);
        inst.info.image_orientation_patient = None;
        inst.info.patient_orientation = Some(["A".into(), "FR".into()]);
        let image = inst.image.take();
        m.add_instance(inst);
        m.set_decoded(1, image.ok_or_else(String::new));
        let edges = |m: &Model| crate::overlay::stack_overlay(m, [64, 64], None, false).edges;
        // Right, left, bottom, top.
        assert_eq!(edges(&m), ["A", "P", "FR", "HL"].map(String::from));
        m.apply(Action::FlipHorizontal);
        assert_eq!(edges(&m), ["P", "A", "FR", "HL"].map(String::from));
        m.apply(Action::FlipVertical);
        assert_eq!(edges(&m), ["P", "A", "HL", "FR"].map(String::from));
        // A quarter turn clockwise of the unflipped image: what was at the top (HL) is at
        // the right.
        m.apply(Action::FlipVertical);
        m.apply(Action::FlipHorizontal);
        m.apply(Action::TurnQuarter(1));
        assert_eq!(edges(&m), ["HL", "FR", "A", "P"].map(String::from));
        m.apply(Action::TurnQuarter(-1));
        assert_eq!(edges(&m), ["A", "P", "FR", "HL"].map(String::from));
    }

    #[test]
    fn turns_move_the_orientation_letters_and_zoom_is_the_pixel_scale() {
        let mut m = model();
        let overlay = |m: &Model| crate::overlay::stack_overlay(m, [64, 32], None, false);
        // 4 x 4 pixels fitted into 64 x 32: 8 screen pixels per image pixel.
        assert!(
            overlay(&m)
                .bottom_left
                .iter()
                .any(|l| l.starts_with("Zoom 800%"))
        );
        // Axial: rows run to the patient's left, columns to the back.
        assert_eq!(overlay(&m).edges, ["L", "R", "P", "A"].map(String::from));
        m.apply(Action::TurnQuarter(1));
        assert_eq!(overlay(&m).edges, ["A", "P", "L", "R"].map(String::from));
        assert!(
            overlay(&m)
                .bottom_left
                .iter()
                .any(|l| l.contains("turned 90°"))
        );
        m.apply(Action::TurnQuarter(1));
        m.apply(Action::TurnQuarter(1));
        m.apply(Action::TurnQuarter(1));
        assert_eq!(m.view.rotation, 0);
    }

    #[test]
    fn window_drag_is_scaled_to_the_data_range() {
        let mut m = model();
        assert_eq!(m.window(), Some((40.0, 80.0)));
        m.apply(Action::AdjustWindow {
            dx: 100.0,
            dy: -50.0,
        });
        // Modality values -1024 .. 476.
        let s = window_drag_sensitivity(-1024.0, 476.0);
        assert_eq!(m.window(), Some((40.0 - 50.0 * s, 80.0 + 100.0 * s)));
        // The width never drops below 1.
        m.apply(Action::AdjustWindow {
            dx: -1.0e6,
            dy: 0.0,
        });
        assert_eq!(m.window().map(|w| w.1), Some(1.0));
        // The user's window holds for every slice of the series.
        m.apply(Action::Slice(-1));
        assert_eq!(m.window().map(|w| w.1), Some(1.0));
    }

    #[test]
    fn presets_invert_reset() {
        let mut m = model();
        m.apply(Action::Preset(4));
        assert_eq!(m.window(), Some((-600.0, 1500.0)));
        assert_eq!(m.view.window_label.as_deref(), Some("lung"));
        m.apply(Action::Preset(9));
        assert_eq!(m.window(), Some((40.0, 80.0)));
        m.apply(Action::Invert);
        assert!(m.pipeline().is_some_and(|p| p.inverse));
        m.apply(Action::Zoom(2.0));
        m.apply(Action::Pan { dx: 5.0, dy: 0.0 });
        m.apply(Action::FlipHorizontal);
        m.apply(Action::Zoom(2.0));
        assert_eq!((m.view.zoom, m.view.pan), (4.0, [10.0, 0.0]));
        m.apply(Action::Fit);
        assert_eq!((m.view.zoom, m.view.pan), (1.0, [0.0, 0.0]));
        assert!(m.view.flip_horizontal);
        m.apply(Action::Preset(1));
        m.apply(Action::Reset);
        assert_eq!(m.view, ViewSettings::default());
        assert_eq!(m.window(), Some((40.0, 80.0)));
    }

    #[test]
    fn non_ct_presets_are_file_windows_then_min_max() {
        let mut m = model();
        for inst in &mut m.instances {
            inst.info.modality = Some("MR".into());
        }
        m.apply(Action::Preset(1));
        assert_eq!(m.window(), Some((40.0, 80.0)));
        m.apply(Action::Preset(2));
        assert_eq!(m.window(), Some(((-1024.0 + 476.0 + 1.0) / 2.0, 1501.0)));
        m.apply(Action::Preset(3));
        assert_eq!(m.window(), Some(((-1024.0 + 476.0 + 1.0) / 2.0, 1501.0)));
    }

    #[test]
    fn value_under_the_cursor_in_modality_units() {
        let m = model();
        // Pixel (1, 2) holds stored 900 -> -124 HU.
        assert_eq!(
            m.value_at([1.5, 2.2]),
            Some((1, 2, "-124 HU (stored 900)".to_string()))
        );
        assert_eq!(m.value_at([4.0, 0.0]), None);
        assert_eq!(m.value_at([-0.1, 0.0]), None);
        assert_eq!(m.slice_location(), Some(-10.0));
    }

    #[test]
    fn effects_and_a_load_batch_takes_focus() {
        let mut m = model();
        assert_eq!(m.apply(Action::Save), Some(Effect::Save));
        assert_eq!(m.apply(Action::OpenDialog), Some(Effect::OpenDialog));
        let p = vec![PathBuf::from("x")];
        assert_eq!(m.apply(Action::Open(p.clone())), Some(Effect::Open(p)));
        // A second series opened later is shown when its first image decodes.
        let mut other = instance(20, 0.0, &[0; 16], None);
        other.batch = 1;
        other.info.series_instance_uid = Some("2.2".into());
        let image = other.image.take();
        m.focus_batch = Some(1);
        m.add_instance(other);
        assert_eq!(m.current.map(|c| c.id), Some(8));
        m.set_decoded(20, image.ok_or_else(String::new));
        assert_eq!(m.current.map(|c| c.id), Some(20));
        assert_eq!(m.series.len(), 2);
        m.apply(Action::NextSeries);
        assert_eq!(m.current.map(|c| c.id), Some(8));
    }

    #[test]
    fn status_reports_the_model_and_the_drawing() {
        use crate::status::{Drawing, DrawingPath, STATUS_MESSAGES, Status};
        let mut m = model();
        let drawn = Drawing {
            renderer: DrawingPath::Webgpu,
            frames_drawn: 3,
            image_drawn: true,
        };
        let s = Status::of(&m, drawn);
        assert!(s.loaded);
        assert_eq!(s.series.len(), 1);
        assert_eq!((s.series[0].instances, s.series[0].decoded), (3, 3));
        assert!(s.series[0].current);
        assert_eq!(s.current_series, Some(0));
        assert_eq!((s.slice, s.slices), (0, 3));
        assert_eq!(s.window, Some((40.0, 80.0)));
        assert_eq!(s.renderer, DrawingPath::Webgpu);
        // Not drawn yet: not loaded.
        let s = Status::of(
            &m,
            Drawing {
                image_drawn: false,
                ..drawn
            },
        );
        assert!(!s.loaded);
        // The newest messages, oldest first.
        for i in 0..STATUS_MESSAGES + 5 {
            m.message(format!("m{i}"));
        }
        let s = Status::of(&m, drawn);
        assert_eq!(s.messages.len(), STATUS_MESSAGES);
        assert_eq!(s.messages[0], "m5");
    }

    #[test]
    fn a_pinch_keeps_the_point_between_the_fingers_under_them() {
        let mut m = model();
        m.apply(Action::Pan { dx: 6.0, dy: -2.0 });
        // Image point under `a` (points from the pane's centre): (a - pan) / zoom.
        let under = |m: &Model, a: [f64; 2]| {
            [
                (a[0] - m.view.pan[0]) / m.view.zoom,
                (a[1] - m.view.pan[1]) / m.view.zoom,
            ]
        };
        let before = under(&m, [30.0, 10.0]);
        m.apply(Action::Pinch {
            zoom: 2.0,
            about: [30.0, 10.0],
            dx: -4.0,
            dy: 5.0,
        });
        assert_eq!(m.view.zoom, 2.0);
        assert_eq!(under(&m, [26.0, 15.0]), before);
    }
}
