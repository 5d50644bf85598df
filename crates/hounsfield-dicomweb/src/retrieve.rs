//! Retrieving what a URL names: its metadata first, then its pixels: the slice on screen
//! alone, then each series in one request where that is cheaper, instance by instance
//! otherwise.

use crate::{
    ACCEPT_INSTANCE, Cancel, DicomWebUrl, Error, ErrorKind, InstanceMeta, Progress, Server,
};
use futures_util::StreamExt;
use hounsfield_core::DicomFile;
use hounsfield_core::pipeline::{RenderOptions, RenderedImage, render_view};
use hounsfield_core::series::{InstanceInfo, group_series};
use hounsfield_core::view::{Filter, View};
use hounsfield_core::volume::{Stack, StackInput};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// The rest of a series comes in one request when its pixels are estimated at no more
/// than this (the whole response is held in memory while it is split)...
const SERIES_REQUEST_MAX_BYTES: u64 = 256 << 20;
/// ... and at least this many of its instances are still to fetch.
const SERIES_REQUEST_MIN_INSTANCES: usize = 3;

/// One fetched instance, or why it could not be.
pub type Fetched = Result<Arc<DicomFile>, Error>;

impl Server {
    /// The image instances `url` names (a study, a series or one instance), described by
    /// their metadata alone: no pixel is fetched.
    pub async fn open(&self, url: &DicomWebUrl) -> Result<Vec<InstanceMeta>, Error> {
        let Some(study) = url.study.as_deref() else {
            return Err(Error::new(
                &self.root,
                "",
                ErrorKind::Url(
                    "name a study or a series (ROOT/studies/UID[/series/UID]); a search lists them"
                        .into(),
                ),
            ));
        };
        let mut metas = match (url.series.as_deref(), url.instance.as_deref()) {
            (Some(series), Some(sop)) => {
                self.metadata(&format!(
                    "/studies/{study}/series/{series}/instances/{sop}/metadata"
                ))
                .await?
            }
            (Some(series), None) => self.series_metadata(study, series).await?,
            (None, _) => self.study_metadata(study).await?,
        };
        if let Some(sop) = url.instance.as_deref() {
            metas.retain(|m| m.sop_instance_uid == sop);
        }
        Ok(metas)
    }

    /// Everything `url` names, as a viewer wants it: the metadata, handed to
    /// `on_metadata`, which answers the order it wants the pixels in (the slice on screen
    /// first, e.g. [`display_order`]); then the pixels, each handed to `on_each` as it
    /// arrives (see [`fetch_each`](Self::fetch_each)).
    ///
    /// For a series (natively), the whole series is asked for in one request at the same
    /// time as its metadata, so that the pixels travel while the metadata is read; that
    /// request is given up once the metadata says the series is larger than 256 MiB (or
    /// its body passes that), and the instances come one request each.
    pub async fn load(
        &self,
        url: &DicomWebUrl,
        on_metadata: &mut dyn FnMut(&[InstanceMeta]) -> Vec<usize>,
        on_each: &mut dyn FnMut(usize, Fetched),
        cancel: &Cancel,
    ) -> Result<(), Error> {
        #[cfg(not(target_arch = "wasm32"))]
        if let (Some(study), Some(series), None) = (&url.study, &url.series, &url.instance) {
            return self
                .load_series(url, study, series, on_metadata, on_each, cancel)
                .await;
        }
        let metas = self.open(url).await?;
        let order = on_metadata(&metas);
        self.fetch_each(&metas, &order, on_each, cancel).await;
        Ok(())
    }

    #[cfg(not(target_arch = "wasm32"))]
    async fn load_series(
        &self,
        url: &DicomWebUrl,
        study: &str,
        series: &str,
        on_metadata: &mut dyn FnMut(&[InstanceMeta]) -> Vec<usize>,
        on_each: &mut dyn FnMut(usize, Fetched),
        cancel: &Cancel,
    ) -> Result<(), Error> {
        let cap = std::cell::Cell::new(SERIES_REQUEST_MAX_BYTES as usize);
        let on_each = RefCell::new(on_each);
        let head = async {
            let metas = self.open(url).await?;
            if estimated_bytes(&metas, &(0..metas.len()).collect::<Vec<_>>())
                > SERIES_REQUEST_MAX_BYTES
            {
                cap.set(0); // too large to hold whole: the other request gives up
            }
            let order = on_metadata(&metas);
            let first = order.first().copied().filter(|&k| k < metas.len());
            if let Some(k) = first {
                let r = self.fetch_unless_cancelled(&metas[k], cancel).await;
                (on_each.borrow_mut())(k, r);
            }
            Ok::<_, Error>((metas, order, first))
        };
        let whole = async {
            let path = format!("/studies/{study}/series/{series}");
            self.get_multipart_capped(&self.url(&path), ACCEPT_INSTANCE, &cap)
                .await
        };
        let (head, whole) = futures_util::future::join(head, whole).await;
        let (metas, order, first) = head?;
        if let Ok(Some(parts)) = whole {
            let by_uid: HashMap<&str, usize> = metas
                .iter()
                .enumerate()
                .map(|(k, m)| (m.sop_instance_uid.as_str(), k))
                .collect();
            for part in parts {
                if let Ok(file) = DicomFile::from_bytes(url.root.as_str(), part.body)
                    && let Some(k) = file
                        .identification()
                        .sop_instance_uid
                        .and_then(|uid| by_uid.get(uid.as_str()).copied())
                {
                    self.remember(&metas[k], file.with_name(metas[k].url.clone()));
                }
            }
        }
        // What the series request brought is in the cache now; the rest is asked for.
        let rest: Vec<usize> = order.into_iter().filter(|&k| Some(k) != first).collect();
        let on_each = on_each.into_inner();
        self.fetch_each(&metas, &rest, on_each, cancel).await;
        Ok(())
    }

    /// Fetches the pixels of `metas[k]` for every k of `order` and hands each result to
    /// `on_each` as it arrives: `order[0]` alone first (the slice on screen shows while
    /// the rest comes), then the rest of each series in one request when it is not too
    /// large, else `concurrency` instance requests at a time, in `order`.
    ///
    /// Frames come in their stored encoding (`transfer-syntax=*`) and decode locally;
    /// a server that cannot send them so is asked for its transcoding, then for the
    /// whole instance; a series request that fails falls back to instance requests.
    /// Fetched instances are cached (bounded in bytes), so a second fetch of the same
    /// series costs nothing; failed ones are fetched again. Once `cancel` is set, what has
    /// not started ends with [`ErrorKind::Cancelled`].
    pub async fn fetch_each(
        &self,
        metas: &[InstanceMeta],
        order: &[usize],
        on_each: &mut dyn FnMut(usize, Fetched),
        cancel: &Cancel,
    ) {
        let mut seen = vec![false; metas.len()];
        let wanted: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&k| k < metas.len() && !std::mem::replace(&mut seen[k], true))
            .collect();
        let Some((&first, rest)) = wanted.split_first() else {
            return;
        };
        // The slice on screen and the rest at the same time, each result handed over as
        // it arrives (the callback is only borrowed between awaits).
        let on_each = RefCell::new(on_each);
        let deliver = |k: usize, r: Fetched| (on_each.borrow_mut())(k, r);
        let first_one = async {
            deliver(
                first,
                self.fetch_unless_cancelled(&metas[first], cancel).await,
            );
        };
        let the_rest = async {
            let mut singles = Vec::new();
            for group in series_groups(metas, rest) {
                let (cached, uncached): (Vec<usize>, Vec<usize>) = {
                    let cache = self.lock_cache();
                    group
                        .iter()
                        .partition(|&&k| cache.contains(&metas[k].sop_instance_uid))
                };
                singles.extend(cached);
                if uncached.len() < SERIES_REQUEST_MIN_INSTANCES
                    || estimated_bytes(metas, &uncached) > SERIES_REQUEST_MAX_BYTES
                {
                    singles.extend(uncached);
                    continue;
                }
                if cancel.is_cancelled() {
                    for k in uncached {
                        deliver(k, Err(self.cancelled()));
                    }
                    continue;
                }
                match self.series_at_once(metas, &uncached).await {
                    Ok(mut found) => {
                        for k in uncached {
                            match found.remove(&k) {
                                Some(f) => deliver(k, Ok(f)),
                                None => singles.push(k), // not in the response: asked alone
                            }
                        }
                    }
                    Err(e) if e.is_auth() || matches!(e.kind, ErrorKind::Unreachable(_)) => {
                        for k in uncached {
                            deliver(k, Err(e.clone()));
                        }
                    }
                    // The server cannot send the series so (or sent it wrong): one by one.
                    Err(_) => singles.extend(uncached),
                }
            }
            let mut stream = futures_util::stream::iter(singles)
                .map(|k| async move { (k, self.fetch_unless_cancelled(&metas[k], cancel).await) })
                .buffer_unordered(self.options.concurrency);
            while let Some((k, r)) = stream.next().await {
                deliver(k, r);
            }
        };
        futures_util::future::join(first_one, the_rest).await;
    }

    /// [`fetch_each`](Self::fetch_each) collected: results in the order of `metas`
    /// (instances not in `order` are `Cancelled`), with `progress` after each.
    pub async fn fetch_instances(
        &self,
        metas: &[InstanceMeta],
        order: &[usize],
        progress: &(dyn Fn(Progress) + Sync),
        cancel: &Cancel,
    ) -> Vec<Fetched> {
        let mut out: Vec<Fetched> = metas.iter().map(|_| Err(self.cancelled())).collect();
        let mut seen = vec![false; metas.len()];
        let total = order
            .iter()
            .filter(|&&k| k < metas.len() && !std::mem::replace(&mut seen[k], true))
            .count();
        let mut done = 0;
        let mut bytes = 0u64;
        let mut on_each = |k: usize, r: Fetched| {
            done += 1;
            if let Ok(f) = &r {
                bytes += f.encoded_len() as u64;
            }
            out[k] = r;
            progress(Progress { done, total, bytes });
        };
        self.fetch_each(metas, order, &mut on_each, cancel).await;
        out
    }

    fn cancelled(&self) -> Error {
        Error::new(&self.root, "", ErrorKind::Cancelled)
    }

    async fn fetch_unless_cancelled(&self, meta: &InstanceMeta, cancel: &Cancel) -> Fetched {
        if cancel.is_cancelled() {
            return Err(self.cancelled());
        }
        self.fetch_instance(meta).await
    }

    /// The instances `group` (all of one series) from one request for the whole series
    /// as `application/dicom` in their stored syntax, by SOP Instance UID. Parts that do
    /// not parse or that are not asked for are left out.
    async fn series_at_once(
        &self,
        metas: &[InstanceMeta],
        group: &[usize],
    ) -> Result<HashMap<usize, Arc<DicomFile>>, Error> {
        let m = &metas[group[0]];
        let url = self.url(&format!(
            "/studies/{}/series/{}",
            m.study_instance_uid, m.series_instance_uid
        ));
        let (_, parts) = self.get_multipart(&url, ACCEPT_INSTANCE).await?;
        let by_uid: HashMap<&str, usize> = group
            .iter()
            .map(|&k| (metas[k].sop_instance_uid.as_str(), k))
            .collect();
        let mut out = HashMap::with_capacity(group.len());
        for part in parts {
            let Ok(file) = DicomFile::from_bytes(url.as_str(), part.body) else {
                continue;
            };
            let Some(k) = file
                .identification()
                .sop_instance_uid
                .and_then(|uid| by_uid.get(uid.as_str()).copied())
            else {
                continue;
            };
            let file = file.with_name(metas[k].url.clone());
            out.insert(k, self.remember(&metas[k], file));
        }
        Ok(out)
    }
}

impl Server {
    /// A thumbnail of a series, `size` x `size` pixels: its middle instance (by Instance
    /// Number), fetched alone, drawn through the display pipeline with the file's window
    /// (grey or RGB, see [`RenderedImage::channels`]).
    pub async fn series_thumbnail(
        &self,
        study: &str,
        series: &str,
        size: u32,
    ) -> Result<RenderedImage, Error> {
        let instances = self.search_instances(study, series).await?;
        let dicom = |m: String| Error::new(&self.root, "thumbnail", ErrorKind::Dicom(m));
        let middle = instances
            .get(instances.len() / 2)
            .ok_or_else(|| dicom(format!("series {series} has no instances")))?;
        let url = DicomWebUrl {
            root: self.root.clone(),
            study: Some(study.to_string()),
            series: Some(series.to_string()),
            instance: Some(middle.sop_instance_uid.clone()),
            auth: None,
        };
        let metas = self.open(&url).await?;
        let meta = metas
            .first()
            .ok_or_else(|| dicom(format!("{}: not an image", url.root)))?;
        let file = self.fetch_instance(meta).await?;
        let frame = file.decode_frame(0).map_err(|e| dicom(e.to_string()))?;
        let params = file
            .display_parameters(0)
            .map_err(|e| dicom(e.to_string()))?;
        let view = View {
            filter: Filter::Linear,
            ..View::fit(size, size)
        };
        render_view(&frame, &params, &RenderOptions::default(), &view)
            .map_err(|e| dicom(format!("{}: {e}", file.name())))
    }
}

/// `order` split by series, each group in `order`'s order, the groups in the order of
/// their first member.
fn series_groups(metas: &[InstanceMeta], order: &[usize]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    for &k in order {
        let key = (
            metas[k].study_instance_uid.as_str(),
            metas[k].series_instance_uid.as_str(),
        );
        let g = *index.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(k);
    }
    groups
}

/// An upper bound of the pixel bytes of `group` (4 bytes a sample point, as for 32-bit
/// grey or 8-bit RGBA), from the headers.
fn estimated_bytes(metas: &[InstanceMeta], group: &[usize]) -> u64 {
    group
        .iter()
        .map(|&k| {
            let id = InstanceInfo::from_file(&metas[k].header);
            u64::from(id.rows) * u64::from(id.columns) * u64::from(id.frames.max(1)) * 4
        })
        .sum()
}

/// The order in which a viewer wants `metas`' pixels: series by series as they are
/// listed, each from its first slice in stack order (the one a viewer shows first),
/// instances outside any stack after those of their series.
///
/// ```no_run
/// # use hounsfield_dicomweb::{Server, Options, DicomWebUrl, display_order, block_on};
/// let url = DicomWebUrl::parse("http://127.0.0.1:8042/dicom-web/studies/1.2.3")?;
/// let server = Server::new(&url.root, Options::default())?;
/// let metas = block_on(server.open(&url))?;
/// let order = display_order(&metas);
/// block_on(server.fetch_each(&metas, &order, &mut |k, r| { let _ = (k, r); }, &Default::default()));
/// # Ok::<(), hounsfield_dicomweb::Error>(())
/// ```
pub fn display_order(metas: &[InstanceMeta]) -> Vec<usize> {
    let infos: Vec<InstanceInfo> = metas
        .iter()
        .map(|m| InstanceInfo::from_file(&m.header))
        .collect();
    let mut seen = vec![false; metas.len()];
    let mut order = Vec::with_capacity(metas.len());
    for series in group_series(&infos) {
        let inputs: Vec<StackInput> = series
            .instances
            .iter()
            .flat_map(|&k| StackInput::from_file(k, &metas[k].header))
            .collect();
        let stacked: Vec<usize> = Stack::assemble(&inputs)
            .map(|s| s.slices.iter().map(|s| s.instance).collect())
            .unwrap_or_default();
        for k in stacked.into_iter().chain(series.instances.iter().copied()) {
            if k < seen.len() && !std::mem::replace(&mut seen[k], true) {
                order.push(k);
            }
        }
    }
    order.extend((0..metas.len()).filter(|&k| !seen[k]));
    order
}
