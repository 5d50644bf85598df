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
pub use loading::ObjectKind;
mod measuring;
mod navigation;
mod planes;
pub use planes::REFINE_AFTER_MS;
mod presentation;
mod reports;
mod segments;
pub use segments::{LayerStyle, MaskId, SegmentEntry, SegmentMasks};
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
    /// The planes' volume going to the GPU: slices there, and in all (set by the scene
    /// that uploads it, a part per frame; None once it is there).
    pub mpr_upload: Option<(u32, u32)>,
    /// When the planes' volume is reduced to fit the device or the memory budget: what
    /// was kept and why ("256 x 256 x 1500 of 512 x 512 x 3000 voxels (memory budget
    /// 512 MiB)").
    pub mpr_reduction: Option<String>,
    /// Per plane view, whether the plane drawn last shows every voxel of the series: set
    /// by the scene that draws it. A plane of a reduced volume is drawn from the reduced
    /// volume while it moves, then refined from [`MprState::full`] once it stays still.
    pub mpr_refined: [bool; 3],
    /// Per plane view, while its refinement goes a band of rows per frame: rows done, and
    /// in all (set by the scene; a viewer draws the next frame at once meanwhile).
    pub mpr_refining: [Option<(u32, u32)>; 3],
    /// The largest volume the planes take ([`set_volume_budget`](Self::set_volume_budget),
    /// [`set_device_volume_limits`](Self::set_device_volume_limits)).
    volume_limits: hounsfield_core::volume::VolumeLimits,
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
pub(crate) mod tests;
