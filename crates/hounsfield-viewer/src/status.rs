//! What a viewer shows, as one typed record for scripts and tests: the native viewer
//! writes it to its `--status-file`, the browser viewer returns it from `status()`. Both
//! serialise this struct, so every key means the same in both; each host may add keys
//! of its own beside these (the native viewer its pane rectangles, the browser its canvas
//! size and WebGPU adapter), never another meaning for one of these.
//!
//! ```
//! use hounsfield_viewer::model::Model;
//! use hounsfield_viewer::status::{Drawing, DrawingPath, Status};
//! let model = Model::new();
//! let status = Status::of(&model, Drawing { renderer: DrawingPath::Cpu, frames_drawn: 0, image_drawn: false });
//! assert!(!status.loaded);
//! assert!(status.series.is_empty());
//! assert!(status.series_panel);
//! ```

use crate::model::{Model, Progress};
use crate::mpr::{Layout, Pane};

/// Messages a status carries: the newest of [`Model::messages`].
pub const STATUS_MESSAGES: usize = 100;

/// How a viewer draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DrawingPath {
    /// wgpu on a native adapter (Vulkan, Metal, DX12; Mesa's lavapipe in software).
    Gpu,
    /// WebGPU in a browser.
    Webgpu,
    /// The CPU reference pipeline (`hounsfield_core::pipeline`).
    Cpu,
}

/// What only the host knows: how and whether it drew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawing {
    /// The drawing path.
    pub renderer: DrawingPath,
    /// Frames presented since start.
    pub frames_drawn: u64,
    /// Whether the last frame presented showed the image on screen (not a placeholder).
    pub image_drawn: bool,
}

/// One series of [`Status::series`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeriesStatus {
    /// The series' one-line label (number, description, modality, instances).
    pub label: String,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: Option<String>,
    /// Instances in the series.
    pub instances: usize,
    /// Instances decoded so far.
    pub decoded: usize,
    /// Its stacks (more than one: a multi-stack series).
    pub stacks: usize,
    /// Its time points (more than one: a 4D series).
    pub time_points: usize,
    /// The attribute of its time axis (e.g. "Trigger Time"), when it has one.
    pub time_axis: Option<String>,
    /// Whether it is the series on screen.
    pub current: bool,
}

impl SeriesStatus {
    /// The series of `model`, in the order of its series list.
    pub fn list(model: &Model) -> Vec<SeriesStatus> {
        let current = model.current_series_index();
        model
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let d = model.layouts.get(i).map(|l| &l.dimensions);
                SeriesStatus {
                    label: s.label(),
                    series_instance_uid: s.series_instance_uid.clone(),
                    instances: s.instances.len(),
                    decoded: s
                        .instances
                        .iter()
                        .filter(|&&k| model.instances[k].image.is_some())
                        .count(),
                    stacks: d.map_or(1, |d| d.stacks.len()),
                    time_points: d.map_or(1, |d| d.time_points()),
                    time_axis: d.and_then(|d| d.time_axis).map(|a| a.name().to_string()),
                    current: current == Some(i),
                }
            })
            .collect()
    }
}

/// One measurement of [`Status::measurements`]: where it was drawn and its numbers, keyed
/// as `hounsfield measure --json` prints them (`roi` in that command's syntax).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MeasurementStatus {
    /// Its id.
    pub id: u64,
    /// The tool that drew it.
    pub tool: crate::annotate::Tool,
    /// The file it was drawn on.
    pub file: Option<String>,
    /// SOP Instance UID of that image.
    pub sop_instance_uid: Option<String>,
    /// The frame, 1-based (as `hounsfield measure --frame`).
    pub frame: usize,
    /// The plane it was drawn on ("axial", "sagittal", "coronal"; its points are that
    /// plane's pixels, its lengths in the patient), None on an image.
    pub plane: Option<String>,
    /// Whether it has all its points.
    pub complete: bool,
    /// The text shown beside it.
    pub label: Vec<String>,
    /// Why it measures nothing, when it does not.
    pub error: Option<String>,
    /// The selected one (Delete removes it).
    pub selected: bool,
    /// The numbers (absent while unfinished).
    #[serde(flatten)]
    pub summary: Option<hounsfield_core::measure::Summary>,
}

impl MeasurementStatus {
    /// Every measurement of `model`, oldest first.
    pub fn list(model: &Model) -> Vec<MeasurementStatus> {
        let a = &model.annotations;
        a.items
            .iter()
            .map(|m| {
                let inst = model.instance(m.slice.id).filter(|_| m.plane.is_none());
                MeasurementStatus {
                    id: m.id,
                    tool: m.tool,
                    file: inst.map(|i| i.file.name().to_string()),
                    sop_instance_uid: inst.and_then(|i| i.info.sop_instance_uid.clone()),
                    frame: m.slice.frame + 1,
                    plane: m
                        .plane
                        .map(|(k, _)| format!("{:?}", crate::mpr::ORIENTATIONS[k]).to_lowercase()),
                    complete: m.complete(),
                    label: m.label(),
                    error: m.measured.as_ref().err().filter(|_| m.complete()).cloned(),
                    selected: a.selected == Some(m.id),
                    summary: m.measured.as_ref().ok().map(|x| x.summary()),
                }
            })
            .collect()
    }
}

/// What is on screen and how far loading is. Serialised with these field names.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Status {
    /// No load is running, at least one instance was opened, every instance is decoded
    /// or failed, and the image on screen has been drawn.
    pub loaded: bool,
    /// Loading progress.
    pub progress: Progress,
    /// The series open, in the order of the series list.
    pub series: Vec<SeriesStatus>,
    /// Index of the series on screen in `series`.
    pub current_series: Option<usize>,
    /// The slice on screen, 0-based, of `slices` in the series.
    pub slice: usize,
    /// Slices of the series on screen: of its stack and time point on screen.
    pub slices: usize,
    /// The stack on screen, 0-based (multi-stack series).
    pub stack: usize,
    /// The time point on screen, 0-based (4D series).
    pub time_point: usize,
    /// Name of the file (or URL) on screen.
    pub file: Option<String>,
    /// Frame on screen within its file, 0-based, of `frames`.
    pub frame: Option<usize>,
    /// Frames of the file on screen.
    pub frames: Option<usize>,
    /// Window centre and width in modality units, when the VOI stage is a window.
    pub window: Option<(f64, f64)>,
    /// Name of the preset or file window in use.
    pub window_label: Option<String>,
    /// Inverted by the user.
    pub invert: bool,
    /// Magnification over the fitted view.
    pub zoom: f64,
    /// Pan in pane points.
    pub pan: [f64; 2],
    /// Mirrored left and right.
    pub flip_horizontal: bool,
    /// Mirrored top and bottom.
    pub flip_vertical: bool,
    /// Overlay planes (60xx) shown.
    pub overlay_planes: bool,
    /// The display shutter applied (when the image has one).
    pub shutters: bool,
    /// The labels of the segments over the image on screen (segmentations shown; their
    /// frames belong to it).
    pub segments: Vec<String>,
    /// The segment list: every segment of the segmentations opened, whether it is shown
    /// and its fill opacity.
    pub segment_list: Vec<crate::model::SegmentEntry>,
    /// The names of the ROIs of the structure sets opened with a contour on the image on
    /// screen (shown with the segmentations).
    pub contours: Vec<String>,
    /// The colour map of grey images (Shift+I), None for grey.
    pub colormap: Option<hounsfield_core::layers::colormap::ColorMap>,
    /// The colour bar of the image on screen, when a colour map applies: the values at
    /// the window's edges (in real-world units too, with a linear mapping).
    pub colour_bar: Option<crate::model::ColourBar>,
    /// The series fused over the one on screen, the candidates, and how it is shown.
    pub fusion: crate::model::FusionStatus,
    /// The Content Label of the presentation state applied to the image on screen
    /// ("" when it has none), None when none applies.
    pub presentation_state: Option<String>,
    /// Quarter turns clockwise (0-3).
    pub rotation: u8,
    /// Cine playing.
    pub cine: bool,
    /// How the image area is divided.
    pub layout: Layout,
    /// The pane of the last pointer input.
    pub active_pane: Pane,
    /// The planes' crosshair in patient coordinates (mm), when planes are built.
    pub crosshair: Option<[f64; 3]>,
    /// The planes' window (centre, width), when planes are built: the user's, else the
    /// middle slice's (or the volume's min-max).
    pub plane_window: Option<(f64, f64)>,
    /// Why there are no planes, when there are none.
    pub mpr_note: Option<String>,
    /// When the planes' volume is reduced to fit the device or the memory budget: what
    /// was kept and why.
    pub mpr_reduction: Option<String>,
    /// While the planes' volume goes to the GPU (a part per frame): slices there, and in
    /// all.
    pub mpr_upload: Option<(u32, u32)>,
    /// Per plane view, whether the plane drawn last shows every voxel of the series
    /// (planes of a reduced volume are refined once they stay still).
    pub mpr_refined: [bool; 3],
    /// When the planes want a frame that no input asks for, in milliseconds (0: the next
    /// frame; None: none): their volume going to the GPU, a still plane waiting to be
    /// refined or being refined ([`Model::planes_redraw_after_ms`]).
    pub planes_redraw_after_ms: Option<u64>,
    /// Per plane view, while its refinement goes a band of rows per frame: rows done, and
    /// in all (a viewer draws the next frame at once meanwhile).
    pub mpr_refining: [Option<(u32, u32)>; 3],
    /// The newest messages for the user, oldest first (at most [`STATUS_MESSAGES`]).
    pub messages: Vec<String>,
    /// The help shown.
    pub help: bool,
    /// The data element panel shown.
    pub tags_panel: bool,
    /// The series list shown.
    pub series_panel: bool,
    /// The measuring tool in use (`windowlevel`: none).
    pub tool: crate::annotate::Tool,
    /// Every measurement, oldest first.
    pub measurements: Vec<MeasurementStatus>,
    /// The drawing path.
    pub renderer: DrawingPath,
    /// Frames presented since start.
    pub frames_drawn: u64,
    /// Whether the last frame presented showed the image on screen.
    pub image_drawn: bool,
}

impl Status {
    /// The status of `model`, drawn as `drawing` says.
    pub fn of(model: &Model, drawing: Drawing) -> Status {
        let m = model;
        let current = m.current_image();
        let current_series = m.current_series_index();
        let (slice, slices) = m.slice_position();
        let loaded = m.progress.loads == 0
            && !m.instances.is_empty()
            && m.instances
                .iter()
                .all(|i| i.image.is_some() || i.error.is_some())
            && drawing.image_drawn;
        let series = SeriesStatus::list(m);
        let skip = m.messages.len().saturating_sub(STATUS_MESSAGES);
        Status {
            loaded,
            progress: m.progress.clone(),
            series,
            current_series,
            slice,
            slices,
            stack: m.dimension_position().map_or(0, |p| p.0),
            time_point: m.dimension_position().map_or(0, |p| p.2),
            file: current.map(|(i, _, _)| i.file.name().to_string()),
            frame: current.map(|(_, _, f)| f),
            frames: current.map(|(_, d, _)| d.frames.len()),
            window: m.window(),
            window_label: m.view.window_label.clone(),
            invert: m.view.invert,
            zoom: m.view.zoom,
            pan: m.view.pan,
            flip_horizontal: m.view.flip_horizontal,
            flip_vertical: m.view.flip_vertical,
            overlay_planes: m.view.overlays,
            shutters: m.view.shutters,
            segments: m
                .current
                .map(|c| m.segments_on(c.id, c.frame))
                .unwrap_or_default(),
            segment_list: m.segment_list.clone(),
            contours: m
                .current
                .map(|c| m.contours_on(c.id, c.frame))
                .unwrap_or_default(),
            colormap: m.view.colormap,
            colour_bar: m.colour_bar(),
            fusion: m.fusion_status(),
            presentation_state: m
                .current_presentation()
                .map(|s| s.label.clone().unwrap_or_default()),
            rotation: m.view.rotation,
            cine: m.cine,
            layout: m.layout,
            active_pane: m.active_pane,
            crosshair: m.mpr.as_ref().map(|x| x.crosshair),
            plane_window: m.mpr_pipeline().and_then(|p| p.window()),
            mpr_note: m.mpr_note.clone(),
            mpr_reduction: m.mpr.as_ref().and(m.mpr_reduction.clone()),
            mpr_upload: m.mpr.as_ref().and(m.mpr_upload),
            mpr_refined: m.mpr_refined,
            planes_redraw_after_ms: m.planes_redraw_after_ms(),
            mpr_refining: m.mpr_refining_shown(),
            messages: m.messages[skip..].to_vec(),
            help: m.show_help,
            tags_panel: m.show_tags,
            series_panel: m.show_series,
            tool: m.annotations.tool,
            measurements: MeasurementStatus::list(m),
            renderer: drawing.renderer,
            frames_drawn: drawing.frames_drawn,
            image_drawn: drawing.image_drawn,
        }
    }
}
