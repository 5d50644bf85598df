//! Loading: files found, parsed, decoded or skipped, grouped into series.

use super::{DecodedImage, Instance, Model};
use hounsfield_core::DicomFile;
use hounsfield_core::series::{InstanceInfo, group_series};
use std::sync::Arc;

impl Model {
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

    pub(super) fn regroup(&mut self) {
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
}
