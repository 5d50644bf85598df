//! Loads: files and DICOMweb instances added to the viewer, their frames decoded (by a
//! worker, or here for native Pixel Data before one is ready), budgets, and the end of a
//! load.

use super::*;

#[wasm_bindgen]
impl WebViewer {
    /// A load of `files` files begins; returns its batch number.
    pub fn begin_load(&mut self, files: u32) -> f64 {
        let batch = self.next_batch;
        self.next_batch += 1;
        self.model.begin_load(batch);
        self.model.files_found(files as usize);
        self.budgets
            .insert(batch, LoadBudget::new(self.decode_limits));
        batch as f64
    }

    /// Sets what one file, and one load, may decode to (MiB; loads begun later). A file
    /// over either is not decoded; its error says so.
    pub fn set_decode_budget(&mut self, per_file_mib: f64, per_load_mib: f64) {
        let bytes = |mib: f64| (mib.max(0.0) * 1048576.0) as u64;
        self.decode_limits = DecodeLimits {
            per_file: bytes(per_file_mib),
            per_load: bytes(per_load_mib),
        };
    }

    /// The decode budget in MiB: `[per_file, per_load]`.
    pub fn decode_budget(&self) -> Vec<f64> {
        let mib = |bytes: u64| bytes as f64 / 1048576.0;
        vec![
            mib(self.decode_limits.per_file),
            mib(self.decode_limits.per_load),
        ]
    }

    /// Sets the most the planes' volume may take (MiB; 0 for no budget): a larger series
    /// is cut at a reduced resolution (every n-th column, row or slice), and `status()`'s
    /// `mpr_reduction` says so.
    pub fn set_volume_budget(&mut self, mib: f64) {
        let bytes = (mib.max(0.0) * 1048576.0) as u64;
        self.model.set_volume_budget((bytes > 0).then_some(bytes));
    }

    /// The planes' volume budget in MiB (0 for none).
    pub fn volume_budget(&self) -> f64 {
        self.model
            .volume_limits()
            .max_bytes
            .map_or(0.0, |b| b as f64 / 1048576.0)
    }

    /// Reads the header of a file of load `batch`; returns its id for [`set_frames`](Self::set_frames),
    /// or -1 when it is not to be decoded: not a DICOM image (a message says why), or
    /// over the load's decode budget (the instance shows why).
    pub fn add_file(&mut self, batch: f64, name: String, bytes: Vec<u8>) -> f64 {
        if !DicomFile::may_be_dicom(&bytes[..bytes.len().min(132)]) {
            self.model
                .file_skipped(format!("{name}: not a DICOM file, skipped"));
            return -1.0;
        }
        match DicomFile::from_bytes(name.clone(), bytes) {
            Ok(file) if Model::is_layer(&file) => {
                self.model.layer_file(Arc::new(file));
                -1.0
            }
            Ok(file) if file.has_pixel_data() => {
                let id = self.next_id;
                self.next_id += 1;
                let info = hounsfield_core::series::InstanceInfo::from_file(&file);
                let file = Arc::new(file);
                self.model.file_parsed(batch as u64, id, file.clone(), info);
                if self.reserve(batch as u64, id, &file) {
                    id as f64
                } else {
                    -1.0
                }
            }
            Ok(file) if Model::is_presentation_state(&file) => {
                self.model.presentation_file(&file);
                -1.0
            }
            Ok(file) if Model::is_report(&file) => {
                self.model.report_file(&file);
                -1.0
            }
            Ok(_) => {
                self.model
                    .file_skipped(format!("{name}: no image in this DICOM object, skipped"));
                -1.0
            }
            Err(e) => {
                self.model.file_skipped(e.to_string());
                -1.0
            }
        }
    }

    /// The frames of file `id`, decoded by a worker ([`decode_frames`]' array).
    pub fn set_frames(&mut self, id: f64, frames: js_sys::Array) {
        let id = id as u64;
        let result = (|| {
            let file = self
                .model
                .instance(id)
                .map(|i| i.file.clone())
                .ok_or("unknown file")?;
            let frames: Vec<Frame> = frames
                .iter()
                .map(|f| frame_of(&f))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{}: {e}", file.name()))?;
            DecodedImage::from_frames(&file, frames)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })();
        self.model.file_decoded(id, result);
    }

    /// Decodes file `id` here, on the page's thread, when its Pixel Data is native (not
    /// encapsulated: the samples are copied, no codec runs); false, with nothing done,
    /// otherwise. The page calls it for the first files of a load while no decoding worker
    /// is ready yet (a worker starts in about 100 ms), so that the first image needs no
    /// worker.
    pub fn decode_native(&mut self, id: f64) -> bool {
        let id = id as u64;
        let Some(file) = self.model.instance(id).map(|i| i.file.clone()) else {
            return false;
        };
        if file.transfer_syntax().is_encapsulated() {
            return false;
        }
        let result = DecodedImage::decode(&file)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        self.model.file_decoded(id, result);
        true
    }

    /// Adds the instances of `remote` to load `batch` from their metadata alone (series,
    /// geometry and windows before any pixel); returns their ids, index for index.
    pub fn add_remote(&mut self, batch: f64, remote: &RemoteLoad) -> Vec<f64> {
        let headers: Vec<_> = (0..remote.count())
            .filter_map(|k| remote.header(k))
            .collect();
        let parsed: Vec<_> = headers
            .into_iter()
            .map(|file| {
                let id = self.next_id;
                self.next_id += 1;
                let info = hounsfield_core::series::InstanceInfo::from_file(&file);
                (id, file, info)
            })
            .collect();
        let files: Vec<_> = parsed.iter().map(|(id, f, _)| (*id, f.clone())).collect();
        // One grouping of the series for all the instances.
        self.model.files_parsed(batch as u64, parsed);
        files
            .into_iter()
            .map(|(id, file)| {
                if !self.reserve(batch as u64, id, &file) {
                    self.over_budget.insert(id);
                }
                id as f64
            })
            .collect()
    }

    /// Instance `k` of `remote` (viewer id `id`) arrived: decodes it (on this thread)
    /// into the viewer. Returns false, keeping the instance, when it needs the codec
    /// module: the caller loads it ([`use_jpeg2000_decoder`]) and calls this again.
    pub fn take_remote(&mut self, remote: &RemoteLoad, k: usize, id: f64) -> bool {
        let id = id as u64;
        let taken = remote.take(k);
        if self.over_budget.remove(&id) {
            // Its error is set already; the pixels are dropped undecoded.
            return true;
        }
        match taken {
            None => {}
            Some(Ok(file)) => match DecodedImage::decode(&file) {
                Err(e) if matches!(e.kind, hounsfield_core::ErrorKind::CodecNotBuilt { .. }) => {
                    remote.put_back(k, file);
                    return false;
                }
                result => self
                    .model
                    .file_decoded(id, result.map(Arc::new).map_err(|e| e.to_string())),
            },
            Some(Err(e)) if matches!(e.kind, hounsfield_dicomweb::ErrorKind::Cancelled) => {
                self.model.instances_cancelled(&[id], None);
            }
            Some(Err(e)) => self.model.file_decoded(id, Err(e.to_string())),
        }
        true
    }

    /// Adds a message to the status line.
    pub fn message(&mut self, text: String) {
        self.model.message(text);
    }

    /// File `id` could not be decoded.
    pub fn set_failed(&mut self, id: f64, message: String) {
        self.model.file_decoded(id as u64, Err(message));
    }

    /// Load `batch` is done, after `seconds`.
    pub fn finish_load(&mut self, batch: f64, seconds: f64) {
        self.budgets.remove(&(batch as u64));
        self.model.load_finished(batch as u64, seconds);
    }
}
