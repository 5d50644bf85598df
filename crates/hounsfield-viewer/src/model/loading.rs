//! Loading: files found, parsed, decoded or skipped, grouped into series.

use super::{DecodedImage, Instance, Model, SeriesLayout, SliceRef};
use hounsfield_core::DicomFile;
use hounsfield_core::dimensions::Dimensions;
use hounsfield_core::series::{InstanceInfo, group_series};
use hounsfield_core::volume::StackInput;
use std::sync::Arc;

/// What a loader does with a DICOM object it has read ([`Model::kind_of`]).
///
/// ```
/// use hounsfield_viewer::model::{Model, ObjectKind};
/// let ct = hounsfield_core::DicomFile::from_bytes("CT_small.dcm", hounsfield_viewer::SAMPLE.to_vec())?;
/// assert_eq!(Model::kind_of(&ct), ObjectKind::Image);
/// # Ok::<(), hounsfield_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// An image: the model takes its header ([`Model::files_parsed`]), then its decoded
    /// frames ([`Model::file_decoded`]).
    Image,
    /// A segmentation or a structure set, drawn over the images: read whole, then
    /// [`Model::layer_file`].
    Layer,
    /// A presentation state: [`Model::presentation_file`].
    PresentationState,
    /// A Measurement Report: [`Model::report_file`].
    Report,
    /// Nothing the viewer shows: skipped, saying why ([`Model::no_image_reason`]).
    NoImage,
}

impl Model {
    /// What a loader does with `file` (its header is enough to tell).
    pub fn kind_of(file: &DicomFile) -> ObjectKind {
        if Self::is_layer(file) {
            ObjectKind::Layer
        } else if file.has_pixel_data() {
            ObjectKind::Image
        } else if Self::is_presentation_state(file) {
            ObjectKind::PresentationState
        } else if Self::is_report(file) {
            ObjectKind::Report
        } else {
            ObjectKind::NoImage
        }
    }

    /// Why `file`, of [`ObjectKind::NoImage`], is skipped (for
    /// [`file_skipped`](Self::file_skipped)).
    pub fn no_image_reason(file: &DicomFile) -> String {
        let what = file
            .identification()
            .sop_class_uid
            .map(|uid| format!(" (SOP class {uid})"))
            .unwrap_or_default();
        format!(
            "{}: no image in this DICOM object{what}, skipped",
            file.name()
        )
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
        self.files_parsed(batch, vec![(id, file, info)]);
    }

    /// Instances of load `batch` were read, `(id, header, info)` each (their pixels are
    /// decoding): the series are grouped once for all of them, so that a folder of
    /// thousands of headers read first costs one grouping, not one per file.
    pub fn files_parsed(&mut self, batch: u64, parsed: Vec<(u64, Arc<DicomFile>, InstanceInfo)>) {
        for (id, file, info) in parsed {
            self.progress.files_done += 1;
            self.progress.frames_total += info.frames.max(1) as usize;
            self.push_instance(Instance {
                id,
                batch,
                info,
                file,
                image: None,
                error: None,
                inputs: Vec::new(),
            });
        }
        self.regroup();
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
        self.push_instance(instance);
        self.regroup();
    }

    /// Adds an instance with its inputs, without regrouping the series.
    fn push_instance(&mut self, mut instance: Instance) {
        instance.inputs = Self::inputs_of(&instance);
        self.instances.push(instance);
    }

    /// One input per frame: the file's per-frame geometry and dimensions, with the
    /// instance's own geometry (`info`, what series are grouped by) for a single frame.
    fn inputs_of(instance: &Instance) -> Vec<StackInput> {
        let info = &instance.info;
        let mut inputs = StackInput::from_file(0, &instance.file);
        if inputs.is_empty() {
            inputs = (0..info.frames.max(1) as usize)
                .map(|frame| StackInput {
                    frame,
                    name: info.name.clone(),
                    rows: info.rows,
                    columns: info.columns,
                    ..StackInput::default()
                })
                .collect();
        }
        if let [one] = inputs.as_mut_slice() {
            one.position = info.image_position_patient;
            one.orientation = info.image_orientation_patient;
            one.pixel_spacing = info.pixel_spacing;
            (one.rows, one.columns) = (info.rows, info.columns);
        }
        inputs
    }

    pub(super) fn regroup(&mut self) {
        let infos: Vec<InstanceInfo> = self.instances.iter().map(|i| i.info.clone()).collect();
        self.series = group_series(&infos);
        self.layouts = self
            .series
            .iter()
            .map(|s| {
                let mut frames = Vec::new();
                let mut inputs = Vec::new();
                for &k in &s.instances {
                    let inst = &self.instances[k];
                    for input in &inst.inputs {
                        frames.push(SliceRef {
                            id: inst.id,
                            frame: input.frame,
                        });
                        inputs.push(StackInput {
                            instance: k,
                            ..input.clone()
                        });
                    }
                }
                SeriesLayout {
                    dimensions: Dimensions::organize(&inputs),
                    frames,
                }
            })
            .collect();
    }

    /// Records the decoded frames of an instance (or its failure).
    pub fn set_decoded(&mut self, id: u64, result: Result<Arc<DecodedImage>, String>) {
        let Some(index) = self.index_of(id) else {
            return;
        };
        match result {
            Ok(image) => {
                let inst = &mut self.instances[index];
                inst.image = Some(image);
                // One copy of the pixels: the decoded frames; the encoded Pixel Data goes
                // (the header stays for everything else).
                if inst.file.encoded_len() > 0 {
                    inst.file = Arc::new(inst.file.without_pixel_data());
                }
                let batch = self.instances[index].batch;
                let focus = self.focus_batch == Some(batch);
                if self.current.is_none() || focus {
                    self.focus_batch = None;
                    self.show_instance(index);
                } else if self.follow_first {
                    // In order of stack, time point and slice: a 4D series opens at its
                    // first time point.
                    let new = SliceRef { id, frame: 0 };
                    if let (Some(a), Some(b)) = (
                        self.place_of(new),
                        self.current.and_then(|c| self.place_of(c)),
                    ) && a < b
                    {
                        self.current = Some(new);
                    }
                }
            }
            Err(e) => {
                self.message(e.clone());
                self.instances[index].error = Some(e);
            }
        }
        if !self.annotations.waiting.is_empty() {
            self.attach_reports();
        }
        self.ensure_volume();
    }
}
