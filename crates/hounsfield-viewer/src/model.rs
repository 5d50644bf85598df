//! The viewer's state, without a window or a GPU: instances, series, the slice shown,
//! window/level, view, cine, panels and messages. [`Model::apply`] performs an
//! [`Action`]; what needs the window (dialogs, saving, loading) comes back as an
//! [`Effect`].

use crate::input::Action;
use crate::mpr::{Layout, MprState, Pane};
use hounsfield_core::pipeline::{GreyPipeline, RenderOptions, Voi, modality_range};
use hounsfield_core::series::{InstanceInfo, Series, group_series};
use hounsfield_core::view::{Filter, View};
use hounsfield_core::volume::{Convention, Stack, StackInput, Volume};
use hounsfield_core::{DicomFile, Frame, FrameColor, ModalityLut, VoiLutFunction, VoiWindow};
use std::path::PathBuf;
use std::sync::Arc;

/// Frames of one instance, decoded, with what the display needs per frame.
#[derive(Debug)]
pub struct DecodedImage {
    /// Every frame's stored values, decoded.
    pub frames: Vec<Frame>,
    /// The default grey pipeline of each frame (None for colour frames).
    pub pipelines: Vec<Option<GreyPipeline>>,
    /// The file's windows (of the first frame).
    pub windows: Vec<VoiWindow>,
    /// Modality values of all frames: min, max.
    pub range: (f64, f64),
    /// Row spacing / column spacing.
    pub pixel_aspect: f64,
    /// Image Position (Patient) of each frame, and the slice normal.
    pub positions: Vec<Option<[f64; 3]>>,
    /// The slice normal (row direction x column direction), when the file has an orientation.
    pub normal: Option<[f64; 3]>,
    /// Intended time between frames for cine, ms.
    pub frame_time_ms: Option<f64>,
    /// Units of modality values ("HU" for CT), if known.
    pub units: Option<String>,
    /// The palette (PALETTE COLOR, or supplemental).
    pub palette: Option<hounsfield_core::PaletteColorLut>,
}

/// Runs `work` for the source named `name`, turning a panic in it (a bug, never the
/// file's fault alone) into that source's error, so that a load goes on and finishes.
/// Natively only: in the browser a panic aborts the module, and the page replaces the
/// decoding worker instead.
///
/// ```
/// use hounsfield_viewer::model::contained;
/// let err = contained("x.dcm", || -> Result<(), String> { panic!("a bug") }).unwrap_err();
/// assert!(err.starts_with("x.dcm: ") && err.contains("a bug"));
/// ```
pub fn contained<T>(name: &str, work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(format!(
            "{name}: reading this file hit a bug in Hounsfield ({what}); the other files are not affected"
        ))
    })
}

impl DecodedImage {
    /// Decodes every frame of `file` and resolves its display parameters.
    pub fn decode(file: &DicomFile) -> Result<DecodedImage, hounsfield_core::Error> {
        Self::from_frames(file, file.decode_all_frames()?)
    }

    /// [`decode`](Self::decode) for a load: the error as text, and a panic while
    /// decoding (a bug) as this file's error ([`contained`]).
    pub fn decode_contained(file: &DicomFile) -> Result<Arc<DecodedImage>, String> {
        contained(file.name(), || {
            Self::decode(file).map(Arc::new).map_err(|e| e.to_string())
        })
    }

    /// The frames of `file`, decoded elsewhere (another thread, a Web Worker), with the
    /// display parameters resolved.
    pub fn from_frames(
        file: &DicomFile,
        frames: Vec<Frame>,
    ) -> Result<DecodedImage, hounsfield_core::Error> {
        let mut pipelines = Vec::with_capacity(frames.len());
        let mut windows = Vec::new();
        let mut range = (f64::INFINITY, f64::NEG_INFINITY);
        let mut units = None;
        let mut positions = Vec::with_capacity(frames.len());
        let mut palette = None;
        for (i, frame) in frames.iter().enumerate() {
            let params = file.display_parameters(i)?;
            if i == 0 {
                windows = params.windows.clone();
                palette = params.palette.clone();
                units = match &params.modality_lut {
                    ModalityLut::Rescale {
                        rescale_type: Some(t),
                        ..
                    } => Some(t.clone()),
                    ModalityLut::Table {
                        lut_type: Some(t), ..
                    } => Some(t.clone()),
                    _ if file.identification().modality.as_deref() == Some("CT")
                        && matches!(params.modality_lut, ModalityLut::Rescale { .. }) =>
                    {
                        Some("HU".into())
                    }
                    _ => None,
                };
            }
            if matches!(frame.color, FrameColor::Monochrome) {
                let pipe = GreyPipeline::resolve(&params, frame, &RenderOptions::default())
                    .map_err(|k| hounsfield_core::Error::new(file.name(), k))?;
                let (lo, hi) = modality_range(&params.modality_lut, frame);
                range = (range.0.min(lo), range.1.max(hi));
                pipelines.push(Some(pipe));
            } else {
                range = (0.0, 255.0);
                pipelines.push(None);
            }
            positions.push(file.geometry(i).image_position_patient);
        }
        let geometry = file.geometry(0);
        let pixel_aspect = match (geometry.pixel_spacing, geometry.pixel_aspect_ratio) {
            (Some([row, col]), _) if row > 0.0 && col > 0.0 => row / col,
            (_, Some([v, h])) if v > 0.0 && h > 0.0 => v / h,
            _ => 1.0,
        };
        let normal = InstanceInfo {
            image_orientation_patient: geometry.image_orientation_patient,
            ..InstanceInfo::default()
        }
        .normal();
        if !range.0.is_finite() {
            range = (0.0, 0.0);
        }
        Ok(DecodedImage {
            frames,
            pipelines,
            windows,
            range,
            pixel_aspect,
            positions,
            normal,
            frame_time_ms: file.frame_time_ms(),
            units,
            palette,
        })
    }
}

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
    /// Nearest or bilinear sampling when magnified.
    pub filter: Filter,
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
            filter: Filter::Linear,
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
}

/// The slice on screen: an instance and one of its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SliceRef {
    /// The [`Instance::id`].
    pub id: u64,
    /// The frame of that instance.
    pub frame: usize,
}

/// The whole viewer state.
#[derive(Debug, Default)]
pub struct Model {
    /// Every instance opened, in the order they came.
    pub instances: Vec<Instance>,
    /// The series the instances form, sorted into slice order.
    pub series: Vec<Series>,
    /// Identity of the series on screen: (Series Instance UID, part).
    current_series: Option<(Option<String>, Option<String>, usize)>,
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
    /// The series the volume belongs to.
    mpr_series: Option<(Option<String>, Option<String>, usize)>,
    /// Why there are no planes (yet), for the plane panes.
    pub mpr_note: Option<String>,
    /// The pane under the pointer when the input being applied happened.
    pub active_pane: Pane,
    /// Orientation convention of the planes.
    pub convention: Convention,
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

    /// Load `batch` begins; when images are open already, its first image will take the
    /// screen.
    pub fn begin_load(&mut self, batch: u64) {
        self.progress.loads += 1;
        if !self.instances.is_empty() {
            self.focus_batch = Some(batch);
        }
    }

    /// A load found `files` candidate files.
    pub fn files_found(&mut self, files: usize) {
        self.progress.files_found += files;
    }

    /// A file was not an image; says why.
    pub fn file_skipped(&mut self, reason: String) {
        self.progress.files_done += 1;
        tracing::warn!("{reason}");
        self.message(reason);
    }

    /// An instance of load `batch` was read (its pixels are decoding).
    pub fn file_parsed(&mut self, batch: u64, id: u64, file: Arc<DicomFile>, info: InstanceInfo) {
        self.progress.files_done += 1;
        self.progress.frames_total += info.frames.max(1) as usize;
        self.add_instance(Instance {
            id,
            batch,
            info,
            file,
            image: None,
            error: None,
        });
    }

    /// The frames of instance `id` were decoded (or not).
    pub fn file_decoded(&mut self, id: u64, result: Result<Arc<DecodedImage>, String>) {
        let frames = self
            .instance(id)
            .map_or(1, |i| i.info.frames.max(1) as usize);
        self.progress.frames_decoded += frames;
        if let Err(e) = &result {
            tracing::error!("{e}");
        }
        self.set_decoded(id, result);
    }

    /// Instances `ids` will get no pixels (their load was cancelled): they are marked
    /// so, with one message for all (`reason`, when given).
    pub fn instances_cancelled(&mut self, ids: &[u64], reason: Option<String>) {
        for &id in ids {
            if let Some(index) = self.index_of(id) {
                let inst = &mut self.instances[index];
                if inst.image.is_none() && inst.error.is_none() {
                    self.progress.frames_decoded += inst.info.frames.max(1) as usize;
                    inst.error = Some("not fetched: its load was cancelled".into());
                }
            }
        }
        if let Some(reason) = reason {
            tracing::warn!("{reason}");
            self.message(reason);
        }
    }

    /// Load `batch` is done, after `seconds`.
    pub fn load_finished(&mut self, batch: u64, seconds: f64) {
        self.progress.loads = self.progress.loads.saturating_sub(1);
        if self.focus_batch == Some(batch) {
            self.focus_batch = None;
        }
        if self.progress.loads == 0 {
            let n = self.instances.len();
            let msg = format!(
                "{n} image{} open ({} series); last load took {seconds:.2} s",
                if n == 1 { "" } else { "s" },
                self.series.len(),
            );
            self.message(msg);
        }
    }

    /// Adds a parsed instance and regroups the series.
    pub fn add_instance(&mut self, instance: Instance) {
        self.instances.push(instance);
        self.regroup();
    }

    fn regroup(&mut self) {
        let infos: Vec<InstanceInfo> = self.instances.iter().map(|i| i.info.clone()).collect();
        self.series = group_series(&infos);
    }

    /// Records the decoded frames of an instance (or its failure).
    pub fn set_decoded(&mut self, id: u64, result: Result<Arc<DecodedImage>, String>) {
        let Some(index) = self.index_of(id) else {
            return;
        };
        match result {
            Ok(image) => {
                self.instances[index].image = Some(image);
                let batch = self.instances[index].batch;
                let focus = self.focus_batch == Some(batch);
                if self.current.is_none() || focus {
                    self.focus_batch = None;
                    self.show_instance(index);
                } else if self.follow_first {
                    let slices = self.slices();
                    let at = |id: u64| slices.iter().position(|s| s.id == id);
                    if let (Some(new), Some(cur)) = (at(id), self.current.and_then(|c| at(c.id)))
                        && new < cur
                    {
                        self.current = Some(slices[new]);
                    }
                }
            }
            Err(e) => {
                self.message(e.clone());
                self.instances[index].error = Some(e);
            }
        }
        self.ensure_volume();
    }

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
        let key = Self::series_key(&self.series[si]);
        if self.mpr.is_some() && self.mpr_series.as_ref() == Some(&key) {
            return;
        }
        if self.mpr_series.as_ref() != Some(&key) {
            self.mpr = None;
        }
        let members = self.series[si].instances.clone();
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
        match self.build_volume(&members) {
            Ok(volume) => {
                let warnings = volume.stack.report.warnings.clone();
                for w in warnings {
                    self.message(format!("volume: {w}"));
                }
                self.mpr = Some(MprState::new(Arc::new(volume), self.convention));
                self.mpr_note = None;
            }
            Err(e) => {
                self.mpr_note = Some(format!("no volume: {e}"));
                self.message(format!("no volume for this series: {e}"));
            }
        }
    }

    fn build_volume(&self, members: &[usize]) -> Result<Volume, String> {
        let inputs: Vec<StackInput> = members
            .iter()
            .flat_map(|&i| StackInput::from_file(i, &self.instances[i].file))
            .collect();
        let stack = Stack::assemble(&inputs)?;
        if stack.slices.len() < 2 {
            return Err("a single slice: 2D only".into());
        }
        let order: Vec<(usize, usize)> =
            stack.slices.iter().map(|s| (s.instance, s.frame)).collect();
        Volume::from_frames(stack, |k| {
            let (i, f) = order[k];
            let image = self.instances.get(i)?.image.as_ref()?;
            let frame = image.frames.get(f)?;
            let pipe = image.pipelines.get(f)?.as_ref()?;
            Some((frame, &pipe.modality))
        })
    }

    /// The grey pipeline of the planes: the window in effect with the volume's Modality LUT.
    pub fn mpr_pipeline(&self) -> Option<GreyPipeline> {
        let mpr = self.mpr.as_ref()?;
        let mut pipe = self.pipeline()?;
        pipe.modality = mpr.volume.modality.clone();
        Some(pipe)
    }

    /// The modality value at patient point `p` of the volume, as text with units.
    pub fn volume_value_at(&self, p: [f64; 3]) -> Option<String> {
        let mpr = self.mpr.as_ref()?;
        let v = hounsfield_core::volume::value_at(&mpr.volume, p)?;
        let m = hounsfield_core::pipeline::modality_transform(&mpr.volume.modality, f64::from(v));
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
    fn apply_to_plane(&mut self, k: usize, action: &Action) -> bool {
        let Some(m) = self.mpr.as_mut() else {
            return false;
        };
        match action {
            Action::Slice(d) => m.step(k, *d),
            Action::FirstSlice => m.go_to(k, 0),
            Action::LastSlice => m.go_to(k, usize::MAX),
            Action::Zoom(f) => zoom_by(&mut m.views[k].zoom, &mut m.views[k].pan, *f),
            Action::Pan { dx, dy } => pan_by(&mut m.views[k].pan, *dx, *dy),
            Action::Fit => m.views[k] = Default::default(),
            Action::Crosshair { at, size } => m.click(k, *at, *size),
            Action::Rotate(dx) => m.rotate(k, f64::from(*dx) * 0.01),
            _ => return false,
        }
        true
    }

    fn show_instance(&mut self, index: usize) {
        if let Some(s) = self
            .series
            .iter()
            .position(|s| s.instances.contains(&index))
        {
            self.select_series_index(s);
        }
        self.current = Some(SliceRef {
            id: self.instances[index].id,
            frame: 0,
        });
        self.follow_first = true;
    }

    fn series_key(s: &Series) -> (Option<String>, Option<String>, usize) {
        (
            s.study_instance_uid.clone(),
            s.series_instance_uid.clone(),
            s.part,
        )
    }

    /// Index of the series on screen.
    pub fn current_series_index(&self) -> Option<usize> {
        let key = self.current_series.as_ref()?;
        self.series.iter().position(|s| &Self::series_key(s) == key)
    }

    fn select_series_index(&mut self, index: usize) {
        if let Some(s) = self.series.get(index) {
            self.current_series = Some(Self::series_key(s));
        }
    }

    /// Shows series `index` at its first decoded slice, with the file's window.
    pub fn select_series(&mut self, index: usize) {
        if self.current_series_index() == Some(index) {
            return;
        }
        self.select_series_index(index);
        self.cine = false;
        self.current = self
            .slices()
            .into_iter()
            .find(|s| self.instance(s.id).is_some_and(|i| i.image.is_some()))
            .or_else(|| self.slices().first().copied());
        self.follow_first = true;
        self.view.window = None;
        self.view.window_label = None;
        self.ensure_volume();
    }

    /// The slices of the series on screen, in order: each instance's frames.
    pub fn slices(&self) -> Vec<SliceRef> {
        let Some(series) = self.current_series_index().and_then(|i| self.series.get(i)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for &index in &series.instances {
            let inst = &self.instances[index];
            let frames = inst
                .image
                .as_ref()
                .map_or(inst.info.frames.max(1) as usize, |d| d.frames.len());
            out.extend((0..frames).map(|frame| SliceRef { id: inst.id, frame }));
        }
        out
    }

    /// Position of the slice on screen among [`slices`](Self::slices), and their count.
    pub fn slice_position(&self) -> (usize, usize) {
        let slices = self.slices();
        let pos = self
            .current
            .and_then(|c| slices.iter().position(|s| *s == c))
            .unwrap_or(0);
        (pos, slices.len())
    }

    /// The instance and decoded image on screen.
    pub fn current_image(&self) -> Option<(&Instance, &Arc<DecodedImage>, usize)> {
        let c = self.current?;
        let inst = self.instance(c.id)?;
        let image = inst.image.as_ref()?;
        (c.frame < image.frames.len()).then_some((inst, image, c.frame))
    }

    /// The grey pipeline for the slice on screen with the user's window and inversion
    /// (None for colour images, or when nothing is decoded yet).
    pub fn pipeline(&self) -> Option<GreyPipeline> {
        let (_, image, frame) = self.current_image()?;
        let mut pipe = image.pipelines.get(frame)?.clone()?;
        if let Some((center, width)) = self.view.window {
            let function = match pipe.voi {
                Voi::Window { function, .. } => function,
                Voi::Table(_) => VoiLutFunction::Linear,
            };
            pipe.voi = Voi::Window {
                center,
                width,
                function,
            };
        }
        pipe.inverse ^= self.view.invert;
        Some(pipe)
    }

    /// The window (centre, width) in effect, if the VOI stage is a window.
    pub fn window(&self) -> Option<(f64, f64)> {
        self.pipeline().and_then(|p| p.window())
    }

    /// The view for a viewport of `width` x `height`.
    pub fn view_for(&self, width: u32, height: u32) -> View {
        View {
            width,
            height,
            zoom: self.view.zoom,
            pan: self.view.pan,
            flip_horizontal: self.view.flip_horizontal,
            flip_vertical: self.view.flip_vertical,
            rotation: 0,
            pixel_aspect: self.current_image().map_or(1.0, |(_, d, _)| d.pixel_aspect),
            filter: self.view.filter,
        }
    }

    /// Whether the image on screen is CT (presets 1-8 are CT windows).
    fn is_ct(&self) -> bool {
        self.current_image()
            .is_some_and(|(i, _, _)| i.info.modality.as_deref() == Some("CT"))
    }

    fn data_range_window(range: (f64, f64)) -> (f64, f64) {
        ((range.0 + range.1 + 1.0) / 2.0, range.1 - range.0 + 1.0)
    }

    fn preset(&mut self, n: u8) {
        let Some((_, image, _)) = self.current_image() else {
            return;
        };
        if image.pipelines.iter().all(Option::is_none) {
            return;
        }
        let (range, windows) = (image.range, image.windows.clone());
        let n = usize::from(n);
        let ct = hounsfield_core::presets::CT;
        let choice = if self.is_ct() {
            match n {
                1..=8 => Some((
                    ct[n - 1].center,
                    ct[n - 1].width,
                    ct[n - 1].name.to_string(),
                )),
                // 9: back to the file's own window.
                _ => {
                    self.view.window = None;
                    self.view.window_label = None;
                    return;
                }
            }
        } else if n <= windows.len() {
            let w = &windows[n - 1];
            let label = w
                .explanation
                .clone()
                .unwrap_or_else(|| format!("file window {n}"));
            Some((w.center, w.width, label))
        } else if n == windows.len() + 1 {
            let (c, w) = Self::data_range_window(range);
            Some((c, w, "min-max".into()))
        } else {
            None
        };
        if let Some((c, w, label)) = choice {
            self.view.window = Some((c, w));
            self.view.window_label = Some(label);
        }
    }

    fn adjust_window(&mut self, dx: f32, dy: f32) {
        let Some((_, image, _)) = self.current_image() else {
            return;
        };
        let range = image.range;
        let Some(pipe) = self.pipeline() else {
            return;
        };
        let (c, w) = pipe
            .window()
            .unwrap_or_else(|| Self::data_range_window(range));
        let s = hounsfield_core::presets::window_drag_sensitivity(range.0, range.1);
        let width = (w + f64::from(dx) * s).max(1.0);
        let center = c + f64::from(dy) * s;
        self.view.window = Some((center, width));
        self.view.window_label = None;
    }

    fn step(&mut self, delta: i64, wrap: bool) {
        let slices = self.slices();
        if slices.is_empty() {
            return;
        }
        let (pos, n) = self.slice_position();
        let n = n as i64;
        let next = pos as i64 + delta;
        let next = if wrap {
            next.rem_euclid(n)
        } else {
            next.clamp(0, n - 1)
        };
        self.current = Some(slices[next as usize]);
    }

    /// Advances the cine loop by one slice (wrapping).
    pub fn cine_step(&mut self) {
        self.step(1, true);
    }

    /// Time between cine frames: the file's, else 10 frames/s.
    pub fn cine_interval_ms(&self) -> f64 {
        self.current_image()
            .and_then(|(_, d, _)| d.frame_time_ms)
            .unwrap_or(100.0)
            .clamp(5.0, 5000.0)
    }

    /// Performs `action`; returns what the window layer must do, if anything.
    pub fn apply(&mut self, action: Action) -> Option<Effect> {
        if let Pane::Plane(k) = self.active_pane
            && self.layout != Layout::Stack
            && self.apply_to_plane(k, &action)
        {
            return None;
        }
        if matches!(
            action,
            Action::Slice(_) | Action::FirstSlice | Action::LastSlice | Action::ToggleCine
        ) {
            self.follow_first = false;
        }
        match action {
            Action::AdjustWindow { dx, dy } => self.adjust_window(dx, dy),
            Action::Zoom(f) => zoom_by(&mut self.view.zoom, &mut self.view.pan, f),
            Action::Pan { dx, dy } => pan_by(&mut self.view.pan, dx, dy),
            Action::Slice(d) => self.step(d, false),
            Action::FirstSlice => self.step(i64::MIN / 2, false),
            Action::LastSlice => self.step(i64::MAX / 2, false),
            Action::Fit => {
                self.view.zoom = 1.0;
                self.view.pan = [0.0, 0.0];
            }
            Action::Preset(n) => self.preset(n),
            Action::Invert => self.view.invert = !self.view.invert,
            Action::Reset => {
                self.view = ViewSettings {
                    filter: self.view.filter,
                    ..ViewSettings::default()
                };
                if let Some(m) = &mut self.mpr {
                    m.reset();
                }
            }
            Action::FlipHorizontal => self.view.flip_horizontal = !self.view.flip_horizontal,
            Action::FlipVertical => self.view.flip_vertical = !self.view.flip_vertical,
            Action::ToggleCine => self.cine = !self.cine && self.slice_position().1 > 1,
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
            Action::Dismiss => self.show_help = false,
            Action::OpenDialog => return Some(Effect::OpenDialog),
            Action::Save => return Some(Effect::Save),
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

    /// The value at image position `img` (image pixel coordinates) of the slice on
    /// screen: pixel column and row, and the text of the value in modality units.
    pub fn value_at(&self, img: [f32; 2]) -> Option<(u32, u32, String)> {
        let (_, image, frame) = self.current_image()?;
        let f = &image.frames[frame];
        let (x, y) = (img[0].floor(), img[1].floor());
        if x < 0.0 || y < 0.0 || x >= f.width as f32 || y >= f.height as f32 {
            return None;
        }
        let (x, y) = (x as u32, y as u32);
        let i = (y as usize * f.width as usize + x as usize) * f.channels();
        let text = match (
            &f.color,
            image.pipelines.get(frame).and_then(Option::as_ref),
        ) {
            (FrameColor::Monochrome, Some(pipe)) => {
                let stored = f.samples.get_f64(i);
                let m = hounsfield_core::pipeline::modality_transform(&pipe.modality, stored);
                let units = image.units.as_deref().unwrap_or("");
                if matches!(pipe.modality, ModalityLut::Identity) {
                    format!("{} {units}", fmt_value(m))
                } else {
                    format!("{} {units} (stored {})", fmt_value(m), fmt_value(stored))
                }
            }
            _ if f.channels() == 3 => format!(
                "RGB {} {} {}",
                f.samples.get_f64(i),
                f.samples.get_f64(i + 1),
                f.samples.get_f64(i + 2)
            ),
            _ => format!("index {}", f.samples.get_f64(i)),
        };
        Some((x, y, text.trim_end().to_string()))
    }

    /// Position of the slice on screen along the slice normal, in mm.
    pub fn slice_location(&self) -> Option<f64> {
        let (_, image, frame) = self.current_image()?;
        let p = (*image.positions.get(frame)?)?;
        let n = image.normal?;
        Some(p[0] * n[0] + p[1] * n[1] + p[2] * n[2])
    }
}

/// Multiplies `zoom` by `f` (kept within 5% to 6400%), scaling `pan` with it so that the
/// point at the viewport centre stays put. The same for the images and every plane.
fn zoom_by(zoom: &mut f64, pan: &mut [f64; 2], f: f64) {
    let z = (*zoom * f).clamp(0.05, 64.0);
    let f = z / *zoom;
    *zoom = z;
    *pan = [pan[0] * f, pan[1] * f];
}

/// Moves `pan` by points dragged.
fn pan_by(pan: &mut [f64; 2], dx: f32, dy: f32) {
    pan[0] += f64::from(dx);
    pan[1] += f64::from(dy);
}

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hounsfield_core::Samples;
    use hounsfield_core::presets::window_drag_sensitivity;

    /// A CT-like instance with `frames` frames of 4 x 4 pixels.
    fn instance(id: u64, z: f64, values: &[i16], window: Option<(f64, f64)>) -> Instance {
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
            })),
            error: None,
        }
    }

    fn model() -> Model {
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
}
