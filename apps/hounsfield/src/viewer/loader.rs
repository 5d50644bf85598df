//! Loading off the UI thread: sources (paths, folders, bytes) to parsed instances and
//! decoded frames, reported one event at a time so that the first image shows while the
//! rest of a series decodes.

use super::model::{DecodedImage, Model, ObjectKind, contained};
use hounsfield_core::DicomFile;
use hounsfield_core::budget::{DecodeLimits, LoadBudget};
use hounsfield_core::folder;
use hounsfield_core::series::InstanceInfo;
use hounsfield_dicomweb::{Cancel, DicomWebUrl, ErrorKind, Options, Server, block_on, redact};
use hounsfield_viewer::decode_order::{DecodeQueue, display_order_of};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Where instances come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file, or a folder searched recursively.
    Path(PathBuf),
    /// An object in memory (the embedded sample, a download).
    Bytes { name: String, data: Arc<[u8]> },
    /// A DICOMweb study, series or instance (`ROOT/studies/UID[/series/UID]`), with how to
    /// reach the server.
    DicomWeb { url: String, options: Options },
}

/// What a load reports.
#[derive(Debug)]
pub enum LoadEvent {
    /// The sources were expanded to `files` candidate files.
    Found { files: usize },
    /// A file that is not a displayable DICOM image, and why.
    Skipped { reason: String },
    /// A Measurement Report (TID 1500): its measurements go over their images.
    Report { file: Arc<DicomFile> },
    /// A Grayscale Softcopy Presentation State: it applies to the images it references.
    PresentationState { file: Arc<DicomFile> },
    /// A DICOM Segmentation or an RT Structure Set: drawn over the images it belongs to.
    Layer { file: Arc<DicomFile> },
    /// Instances read, their headers only (`(id, header, info)` each; not decoded yet):
    /// a folder's come in one event, so that its series are grouped once.
    Parsed {
        batch: u64,
        instances: Vec<(u64, Arc<DicomFile>, InstanceInfo)>,
    },
    /// Its frames, decoded.
    Decoded {
        id: u64,
        result: Result<Arc<DecodedImage>, String>,
    },
    /// A DICOMweb server refused the credentials (or asked for some): the viewer asks
    /// the user for them.
    Credentials { root: String, reason: String },
    /// Instances announced by `Parsed` whose pixels will not come: the load was
    /// cancelled (another series was opened from the server).
    Cancelled { ids: Vec<u64>, reason: String },
    /// Everything of the batch is done.
    Finished {
        batch: u64,
        elapsed: std::time::Duration,
    },
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Files of `sources`, folders expanded recursively (see [`folder::expand`]), with the
/// problems met. Sources in memory are kept as they are, after the files.
pub fn expand(sources: Vec<Source>) -> (Vec<Source>, Vec<String>) {
    let mut paths = Vec::new();
    let mut bytes = Vec::new();
    for s in sources {
        match s {
            Source::Path(p) => paths.push(p),
            other => bytes.push(other),
        }
    }
    let (files, problems) = folder::expand(&paths);
    let mut out: Vec<Source> = files.into_iter().map(Source::Path).collect();
    out.extend(bytes);
    (out, problems)
}

fn read_source(source: &Source) -> Result<DicomFile, String> {
    match source {
        Source::Bytes { name, data } => {
            DicomFile::from_bytes(name.clone(), data.to_vec()).map_err(|e| e.to_string())
        }
        // Looks at the start first: folders hold other files too, and those are not read whole.
        Source::Path(p) => folder::open_if_dicom(p),
        Source::DicomWeb { url, .. } => Err(format!("{}: not a file", redact(url))),
    }
}

/// The instance on screen, as the viewer tells its loads (0: none): files decode from it
/// outward (see [`DecodeQueue`]).
pub type Focus = Arc<AtomicU64>;

/// Loads `sources` on a thread of its own (decoding on as many workers as there are
/// cores, within `limits`, nearest `focus` first) and reports through `sink`. Returns at
/// once.
pub fn spawn(
    batch: u64,
    sources: Vec<Source>,
    limits: DecodeLimits,
    cancel: Cancel,
    focus: Focus,
    sink: impl Fn(LoadEvent) + Send + Sync + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name(format!("hounsfield load {batch}"))
        .spawn(move || {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            run(batch, sources, limits, &cancel, &focus, &sink, cores)
        })
        .unwrap_or_else(|e| panic!("cannot start a loader thread: {e}"))
}

type Sink<'a> = &'a (dyn Fn(LoadEvent) + Send + Sync);

/// The load itself, on the calling thread. The headers of every file are read first (the
/// start of each file, on every core) and reported in one [`LoadEvent::Parsed`]; then the
/// images decode on every core in the order of a [`DecodeQueue`]: the instance in `focus`
/// first (the first in stack order when none), then outward from it, following `focus`
/// as it changes; local files on `cores` workers. A file whose frames would take the load
/// past `limits` is not decoded; its error says so.
pub fn run(
    batch: u64,
    sources: Vec<Source>,
    limits: DecodeLimits,
    cancel: &Cancel,
    focus: &AtomicU64,
    sink: Sink,
    cores: usize,
) {
    let start = std::time::Instant::now();
    let budget = LoadBudget::new(limits);
    let (remote, sources): (Vec<Source>, Vec<Source>) = sources
        .into_iter()
        .partition(|s| matches!(s, Source::DicomWeb { .. }));
    for source in remote {
        if let Source::DicomWeb { url, options } = source {
            load_dicomweb(batch, &url, options, &budget, cancel, sink);
        }
    }
    let (files, problems) = expand(sources);
    sink(LoadEvent::Found { files: files.len() });
    for reason in problems {
        sink(LoadEvent::Skipped { reason });
    }
    let workers = cores.clamp(1, files.len().max(1));
    // Headers first, in folder order. The first image read goes to the viewer and decodes
    // at once, so that it shows while the other headers are read.
    let next = AtomicUsize::new(0);
    let headers: Vec<Mutex<Option<Header>>> = files.iter().map(|_| Mutex::new(None)).collect();
    let first: Mutex<Option<(usize, u64)>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(source) = files.get(i) else {
                        break;
                    };
                    let header = read_header(source, sink);
                    let shown_first = header.as_ref().and_then(|(file, info)| {
                        let mut first = lock(&first);
                        if first.is_some() {
                            return None;
                        }
                        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                        *first = Some((i, id));
                        sink(LoadEvent::Parsed {
                            batch,
                            instances: vec![(id, file.clone(), info.clone())],
                        });
                        Some(id)
                    });
                    *lock(&headers[i]) = header;
                    if let Some(id) = shown_first {
                        decode_one(id, source, &budget, sink);
                    }
                }
            });
        }
    });
    let first = first.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut instances = Vec::new();
    let mut source_of: HashMap<u64, &Source> = HashMap::new();
    for (i, header) in headers.into_iter().enumerate() {
        if let Some((file, info)) = header.into_inner().unwrap_or_else(|p| p.into_inner()) {
            let id = match first {
                Some((k, id)) if k == i => id,
                _ => NEXT_ID.fetch_add(1, Ordering::Relaxed),
            };
            source_of.insert(id, &files[i]);
            instances.push((id, file, info));
        }
    }
    tracing::info!(
        "{} headers read in {:.0} ms",
        instances.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    // Then the pixels, the slice on screen first (the first image is decoded).
    let mut queue = DecodeQueue::of_instances(&instances);
    if let Some((_, id)) = first {
        queue.take(id);
        instances.retain(|(i, _, _)| *i != id);
    }
    let queue = Mutex::new(queue);
    if !instances.is_empty() {
        sink(LoadEvent::Parsed { batch, instances });
    }
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let on_screen = Some(focus.load(Ordering::Relaxed)).filter(|&id| id != 0);
                    let next = lock(&queue).next(on_screen);
                    let Some(id) = next else {
                        break;
                    };
                    let Some(source) = source_of.get(&id) else {
                        break;
                    };
                    decode_one(id, source, &budget, sink);
                }
            });
        }
    });
    sink(LoadEvent::Finished {
        batch,
        elapsed: start.elapsed(),
    });
}

/// A DICOMweb study or series: every instance announced from the metadata, then the
/// pixels (the first slice in stack order first), decoded on as many workers as there are
/// cores as they arrive.
fn load_dicomweb(
    batch: u64,
    url: &str,
    options: Options,
    budget: &LoadBudget,
    cancel: &Cancel,
    sink: Sink,
) {
    let name = redact(url);
    let opened = DicomWebUrl::parse(url).and_then(|u| Ok((Server::new(url, options)?, u)));
    let (server, parsed) = match opened {
        Ok(x) => x,
        Err(e) => {
            sink(LoadEvent::Skipped {
                reason: e.to_string(),
            });
            return;
        }
    };
    let ids: RefCell<Vec<u64>> = RefCell::new(Vec::new());
    let mut cancelled = Vec::new();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (tx, rx) = std::sync::mpsc::channel::<(u64, Arc<DicomFile>)>();
    let rx = Mutex::new(rx);
    let result = std::thread::scope(|scope| {
        for _ in 0..workers {
            let rx = &rx;
            scope.spawn(move || {
                loop {
                    let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((id, file)) = job else {
                        break;
                    };
                    let result = DecodedImage::decode_within(&file, budget);
                    sink(LoadEvent::Decoded { id, result });
                }
            });
        }
        let result = block_on(server.load(
            &parsed,
            &mut |metas| {
                sink(LoadEvent::Found { files: metas.len() });
                let instances: Vec<_> = metas
                    .iter()
                    .map(|m| {
                        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                        (id, m.header.clone(), InstanceInfo::from_file(&m.header))
                    })
                    .collect();
                *ids.borrow_mut() = instances.iter().map(|(id, _, _)| *id).collect();
                let order = display_order_of(&instances);
                if !instances.is_empty() {
                    sink(LoadEvent::Parsed { batch, instances });
                }
                order
            },
            &mut |k, r| {
                let id = ids.borrow()[k];
                match r {
                    Ok(file) => {
                        let _ = tx.send((id, file));
                    }
                    Err(e) if matches!(e.kind, ErrorKind::Cancelled) => cancelled.push(id),
                    Err(e) => sink(LoadEvent::Decoded {
                        id,
                        result: Err(e.to_string()),
                    }),
                }
            },
            cancel,
        ));
        drop(tx);
        result
    });
    let ids = ids.into_inner();
    match result {
        Err(e) if e.is_auth() => sink(LoadEvent::Credentials {
            root: parsed.root.clone(),
            reason: e.to_string(),
        }),
        Err(e) => sink(LoadEvent::Skipped {
            reason: e.to_string(),
        }),
        Ok(()) if ids.is_empty() => sink(LoadEvent::Skipped {
            reason: format!("{name}: no images there"),
        }),
        Ok(()) => {}
    }
    if !cancelled.is_empty() {
        let reason = format!(
            "{name}: loading stopped for another series; {} of {} instances not fetched (open it again to fetch them)",
            cancelled.len(),
            ids.len()
        );
        sink(LoadEvent::Cancelled {
            ids: cancelled,
            reason,
        });
    }
}

/// `m` locked, even if a thread panicked holding it (what it guards stays usable).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A header read and what it tells of its instance.
type Header = (Arc<DicomFile>, InstanceInfo);

fn name_of(source: &Source) -> String {
    match source {
        Source::Path(p) => p.display().to_string(),
        Source::Bytes { name, .. } => name.clone(),
        Source::DicomWeb { url, .. } => redact(url),
    }
}

/// Reads the header of `source` (the start of a file; an object in memory is parsed
/// whole): an image's header is returned; reports, presentation states and layers go to
/// `sink` whole, and other files as skipped.
fn read_header(source: &Source, sink: Sink) -> Option<Header> {
    let name = name_of(source);
    let header = contained(&name, || match source {
        Source::Path(p) => folder::open_header_if_dicom(p),
        other => read_source(other),
    });
    let file = match header {
        Ok(f) => f,
        Err(reason) => {
            sink(LoadEvent::Skipped { reason });
            return None;
        }
    };
    match Model::kind_of(&file) {
        ObjectKind::Image => {}
        ObjectKind::Layer => {
            // A segmentation's frames are its masks: read whole (a structure set, without
            // pixel data, was).
            let whole = if file.pixels_released() {
                contained(&name, || read_source(source))
            } else {
                Ok(file)
            };
            match whole {
                Ok(whole) => sink(LoadEvent::Layer {
                    file: Arc::new(whole),
                }),
                Err(reason) => sink(LoadEvent::Skipped { reason }),
            }
            return None;
        }
        ObjectKind::PresentationState => {
            sink(LoadEvent::PresentationState {
                file: Arc::new(file),
            });
            return None;
        }
        ObjectKind::Report => {
            sink(LoadEvent::Report {
                file: Arc::new(file),
            });
            return None;
        }
        ObjectKind::NoImage => {
            sink(LoadEvent::Skipped {
                reason: Model::no_image_reason(&file),
            });
            return None;
        }
    }
    let info = InstanceInfo::from_file(&file);
    // The viewer keeps the header; the pixels are read again when their turn comes.
    let file = if file.encoded_len() > 0 {
        file.without_pixel_data()
    } else {
        file
    };
    Some((Arc::new(file), info))
}

/// Reads `source` whole and decodes instance `id`'s frames within `budget`; the encoded
/// pixels go as soon as they are decoded.
fn decode_one(id: u64, source: &Source, budget: &LoadBudget, sink: Sink) {
    let name = name_of(source);
    let result = contained(&name, || {
        let file = read_source(source)?;
        DecodedImage::decode_within(&file, budget)
    });
    sink(LoadEvent::Decoded { id, result });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The shared data folder `rel`; None (a failure unless missing data is allowed) when
    /// absent.
    fn data(rel: &str) -> Option<PathBuf> {
        let dir = hounsfield_conformance::shared_data_dir().join(rel);
        if dir.is_dir() {
            Some(dir)
        } else {
            hounsfield_conformance::missing(&dir.display().to_string());
            None
        }
    }

    /// Runs a load of `sources` within `limits`; returns its events.
    fn load(sources: Vec<Source>, limits: DecodeLimits) -> Vec<LoadEvent> {
        let events = Mutex::new(Vec::new());
        let sink = |e: LoadEvent| events.lock().unwrap_or_else(|p| p.into_inner()).push(e);
        run(
            1,
            sources,
            limits,
            &Cancel::default(),
            &AtomicU64::new(0),
            &sink,
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        );
        events.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    #[test]
    fn folders_are_searched_and_other_files_skipped() {
        let Some(dir) = data("ct-philips-brain") else {
            return;
        };
        let tmp = std::env::temp_dir().join(format!("hounsfield-loader-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.join("notes.txt"), b"not an image").unwrap_or_else(|e| panic!("{e}"));
        let events = load(
            vec![
                Source::Path(dir),
                Source::Path(tmp.clone()),
                Source::Path(PathBuf::from("/nonexistent/hounsfield")),
            ],
            DecodeLimits::default(),
        );
        let _ = std::fs::remove_dir_all(&tmp);
        let found = events.iter().find_map(|e| match e {
            LoadEvent::Found { files, .. } => Some(*files),
            _ => None,
        });
        assert_eq!(found, Some(30), "28 slices, DIRFILE and notes.txt");
        let skipped: Vec<&String> = events
            .iter()
            .filter_map(|e| match e {
                LoadEvent::Skipped { reason, .. } => Some(reason),
                _ => None,
            })
            .collect();
        assert_eq!(skipped.len(), 3, "{skipped:?}");
        assert!(
            skipped
                .iter()
                .any(|r| r.contains("DIRFILE") && r.contains("no image"))
        );
        assert!(
            skipped
                .iter()
                .any(|r| r.contains("notes.txt") && r.contains("not a DICOM"))
        );
        assert!(skipped.iter().any(|r| r.contains("no such file")));
        let decoded = events
            .iter()
            .filter(|e| matches!(e, LoadEvent::Decoded { result: Ok(_), .. }))
            .count();
        assert_eq!(decoded, 28);
        assert!(matches!(events.last(), Some(LoadEvent::Finished { .. })));
    }

    #[test]
    fn headers_come_first_and_slices_decode_outward_from_the_one_on_screen() {
        let Some(dir) = data("ct-philips-brain") else {
            return;
        };
        // The viewer's own slice order (its model); a reader on slice 20 of 28 as soon as
        // the headers arrive, who scrolls to slice 3 once six images are decoded.
        let model = Mutex::new(hounsfield_viewer::model::Model::new());
        let focus = AtomicU64::new(0);
        let slices = Mutex::new(Vec::new());
        let parsed = Mutex::new(Vec::new());
        let decoded = Mutex::new(Vec::new());
        let sink = |e: LoadEvent| match e {
            LoadEvent::Parsed { batch, instances } => {
                let mut m = lock(&model);
                let mut p = lock(&parsed);
                p.push(instances.iter().map(|(id, _, _)| *id).collect::<Vec<_>>());
                m.files_parsed(batch, instances);
                if p.len() == 1 {
                    // The first image read, alone, to show at once.
                    assert!(lock(&decoded).is_empty(), "pixels before the first header");
                    return;
                }
                assert_eq!(
                    *lock(&decoded),
                    p[0],
                    "only the first image before the headers"
                );
                m.select_series(0);
                let order: Vec<u64> = m.slices().iter().map(|s| s.id).collect();
                focus.store(order[20], Ordering::Relaxed);
                *lock(&slices) = order;
            }
            LoadEvent::Decoded { id, result } => {
                assert!(result.is_ok(), "{result:?}");
                let mut d = lock(&decoded);
                d.push(id);
                if d.len() == 6 {
                    focus.store(lock(&slices)[3], Ordering::Relaxed);
                }
            }
            _ => {}
        };
        // One worker: the images decode in the order they are handed out.
        run(
            1,
            vec![Source::Path(dir)],
            DecodeLimits::default(),
            &Cancel::default(),
            &focus,
            &sink,
            1,
        );
        let slices = slices.into_inner().unwrap_or_else(|p| p.into_inner());
        let parsed = parsed.into_inner().unwrap_or_else(|p| p.into_inner());
        let decoded = decoded.into_inner().unwrap_or_else(|p| p.into_inner());
        assert_eq!(slices.len(), 28);
        assert_eq!(parsed.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 27]);
        // The first image read decoded first; the others outward from slice 20 (after it
        // first), then from slice 3, each once.
        let first = slices.iter().position(|&id| id == decoded[0]);
        let at = |k: &[usize], n: usize| -> Vec<u64> {
            k.iter()
                .filter(|&&k| Some(k) != first)
                .take(n)
                .map(|&k| slices[k])
                .collect()
        };
        assert_eq!(decoded[1..6], at(&[20, 21, 19, 22, 18, 23, 17], 5));
        let done: Vec<u64> = decoded[..6].to_vec();
        let from_3: Vec<u64> = at(&[3, 4, 2, 5, 1, 6, 0, 7, 8, 9, 10], 11)
            .into_iter()
            .filter(|id| !done.contains(id))
            .take(8)
            .collect();
        assert_eq!(decoded[6..14], from_3);
        let mut all = decoded.clone();
        all.sort_unstable();
        let mut want = slices.clone();
        want.sort_unstable();
        assert_eq!(all, want);
    }

    #[test]
    fn a_load_stops_decoding_at_its_budget() {
        let Some(dir) = data("ct-philips-brain") else {
            return;
        };
        // Room for ten of the 28 slices of 512 x 512 16-bit samples.
        let slice = 512 * 512 * 2;
        let limits = DecodeLimits {
            per_file: slice,
            per_load: 10 * slice,
        };
        let events = load(vec![Source::Path(dir.clone())], limits);
        let (mut decoded, mut refused) = (0, Vec::new());
        for e in &events {
            match e {
                LoadEvent::Decoded { result: Ok(_), .. } => decoded += 1,
                LoadEvent::Decoded { result: Err(e), .. } => refused.push(e.clone()),
                _ => {}
            }
        }
        assert_eq!(decoded, 10);
        assert_eq!(refused.len(), 18);
        assert!(
            refused
                .iter()
                .all(|e| e.contains("decode budget of 5 MiB per load")),
            "{refused:?}"
        );
        // The per-file limit: one byte short of a slice refuses every file.
        let limits = DecodeLimits {
            per_file: slice - 1,
            per_load: u64::MAX,
        };
        let events = load(vec![Source::Path(dir)], limits);
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, LoadEvent::Decoded { result: Ok(_), .. }))
        );
    }
}
