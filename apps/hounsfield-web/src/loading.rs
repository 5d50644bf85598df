//! Loads: files and DICOMweb instances added to the viewer, their frames decoded (by a
//! worker, or here for native Pixel Data before one is ready), budgets, and the end of a
//! load.

use super::*;
use hounsfield_viewer::model::ObjectKind;

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

    /// Reads the header of a file of load `batch` from `start`, its first bytes (`whole`
    /// when they are all of it). Returns:
    /// - the id of an image, whose pixels decode later
    ///   ([`next_to_decode`](Self::next_to_decode)), once its header is given to the model
    ///   ([`headers_read`](Self::headers_read));
    /// - -2 when more of the file is needed: a longer start, or the whole file (an object
    ///   without pixel data is read whole, and so is a segmentation, whose frames are its
    ///   masks);
    /// - -1 when nothing more is to do with the file: it was read whole (a segmentation, a
    ///   structure set, a presentation state, a report), or skipped (a message says why).
    pub fn add_header(&mut self, batch: f64, name: String, mut start: Vec<u8>, whole: bool) -> f64 {
        const MORE: f64 = -2.0;
        let batch = batch as u64;
        if !DicomFile::may_be_dicom(&start[..start.len().min(132)]) {
            self.model
                .file_skipped(format!("{name}: not a DICOM file, skipped"));
            return -1.0;
        }
        let header = match DicomFile::header_from_start(&name, &start) {
            Some(header) => header,
            None if !whole => return MORE,
            // Read whole here: `start` is not needed again.
            None => match DicomFile::from_bytes(name.clone(), std::mem::take(&mut start)) {
                Ok(file) => file,
                Err(e) => {
                    self.model.file_skipped(e.to_string());
                    return -1.0;
                }
            },
        };
        match Model::kind_of(&header) {
            ObjectKind::Image => {
                let id = self.next_id;
                self.next_id += 1;
                let info = hounsfield_core::series::InstanceInfo::from_file(&header);
                // The model keeps the header; the pixels are read again when their turn comes.
                let header = if header.encoded_len() > 0 {
                    header.without_pixel_data()
                } else {
                    header
                };
                self.headers
                    .entry(batch)
                    .or_default()
                    .push((id, Arc::new(header), info));
                id as f64
            }
            // A segmentation's frames are its masks: read whole (once).
            ObjectKind::Layer if header.pixels_released() && !whole => MORE,
            ObjectKind::Layer => {
                let file = if header.pixels_released() {
                    DicomFile::from_bytes(name, start)
                } else {
                    Ok(header)
                };
                match file {
                    Ok(file) => self.model.layer_file(Arc::new(file)),
                    Err(e) => self.model.file_skipped(e.to_string()),
                }
                -1.0
            }
            ObjectKind::PresentationState => {
                self.model.presentation_file(&header);
                -1.0
            }
            ObjectKind::Report => {
                self.model.report_file(&header);
                -1.0
            }
            ObjectKind::NoImage => {
                self.model.file_skipped(Model::no_image_reason(&header));
                -1.0
            }
        }
    }

    /// A file of a load could not be read (`reason` names it and says why).
    pub fn skip_file(&mut self, reason: String) {
        self.model.file_skipped(reason);
    }

    /// Gives the model the image headers load `batch` has read so far: the series are
    /// grouped with them, and the images' decoding order is set again over every header
    /// of the load (see [`next_to_decode`](Self::next_to_decode)). The page calls it for
    /// the first image (so that it shows while the other headers are read), now and then
    /// during a long load (progress, slices to scroll), and once at the end.
    pub fn headers_read(&mut self, batch: f64) {
        let batch = batch as u64;
        let parsed = self.headers.remove(&batch).unwrap_or_default();
        if parsed.is_empty() {
            return;
        }
        let (all, queue) = self.queues.entry(batch).or_default();
        all.extend(parsed.iter().cloned());
        let mut again = DecodeQueue::of_instances(all);
        for id in queue.handed_out() {
            again.take(id);
        }
        *queue = again;
        self.model.files_parsed(batch, parsed);
    }

    /// The image of load `batch` to decode next: the one on screen first, then outward
    /// from it (following the reader as they scroll), each within the load's decode
    /// budget (an image past it gets its error and is passed over); -1 when none is left
    /// of the headers given so far.
    pub fn next_to_decode(&mut self, batch: f64) -> f64 {
        let batch = batch as u64;
        loop {
            let on_screen = self.model.decode_focus();
            let Some(id) = self
                .queues
                .get_mut(&batch)
                .and_then(|(_, q)| q.next(on_screen))
            else {
                return -1.0;
            };
            let Some(file) = self.model.instance(id).map(|i| i.file.clone()) else {
                continue;
            };
            if self.reserve(batch, id, &file) {
                return id as f64;
            }
        }
    }

    /// Whether image `id`'s Pixel Data is native (not encapsulated): it decodes without a
    /// codec ([`decode_native`](Self::decode_native)).
    pub fn is_native(&self, id: f64) -> bool {
        self.model
            .instance(id as u64)
            .is_some_and(|i| !i.file.transfer_syntax().is_encapsulated())
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

    /// Decodes image `id` here, on the page's thread, from `bytes` (its whole file) when
    /// its Pixel Data is native ([`is_native`](Self::is_native): the samples are copied,
    /// no codec runs); false, with nothing done, otherwise. The page calls it for the
    /// first files of a load while no decoding worker is ready yet (a worker starts in
    /// about 100 ms), so that the first image needs no worker.
    pub fn decode_native(&mut self, id: f64, bytes: Vec<u8>) -> bool {
        let id = id as u64;
        let Some(name) = self.model.instance(id).map(|i| i.file.name().to_string()) else {
            return false;
        };
        if !self.is_native(id as f64) {
            return false;
        }
        let result = DicomFile::from_bytes(name, bytes)
            .and_then(|file| DecodedImage::decode(&file))
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
        self.headers.remove(&(batch as u64));
        self.queues.remove(&(batch as u64));
        self.model.load_finished(batch as u64, seconds);
    }
}
