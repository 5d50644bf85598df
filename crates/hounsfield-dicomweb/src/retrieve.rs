//! Retrieving what a URL names: its metadata first, then its pixels: the slice on screen
//! alone, then each series in one request where that is cheaper, instance by instance
//! otherwise.

use crate::{
    ACCEPT_INSTANCE, Cancel, DicomWebUrl, Error, ErrorKind, InstanceMeta, Progress, Server,
    multipart,
};
use futures_util::StreamExt;
use hounsfield_core::DicomFile;
use hounsfield_core::pipeline::{RenderOptions, RenderedImage, render_view};
use hounsfield_core::series::InstanceInfo;
use hounsfield_core::view::{Filter, View};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// The rest of a series comes in one request when at least this many of its instances
/// are still to fetch.
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
    /// For a series, the whole series is asked for in one request (`application/dicom`,
    /// stored syntaxes) at the same time as its metadata, so that the pixels travel while
    /// the metadata is read; its instances are handed over one by one as the body arrives
    /// (natively), the first slice in display order is also asked for alone so that it
    /// shows at once, and whatever the series request did not bring is asked for alone.
    pub async fn load(
        &self,
        url: &DicomWebUrl,
        on_metadata: &mut dyn FnMut(&[InstanceMeta]) -> Vec<usize>,
        on_each: &mut dyn FnMut(usize, Fetched),
        cancel: &Cancel,
    ) -> Result<(), Error> {
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

    async fn load_series(
        &self,
        url: &DicomWebUrl,
        study: &str,
        series: &str,
        on_metadata: &mut dyn FnMut(&[InstanceMeta]) -> Vec<usize>,
        on_each: &mut dyn FnMut(usize, Fetched),
        cancel: &Cancel,
    ) -> Result<(), Error> {
        let on_each = RefCell::new(on_each);
        // Filled once the metadata is in; instances that arrive before wait in `early`.
        let metas: RefCell<Vec<InstanceMeta>> = RefCell::new(Vec::new());
        let by_uid: RefCell<Option<HashMap<String, usize>>> = RefCell::new(None);
        let delivered: RefCell<Vec<bool>> = RefCell::new(Vec::new());
        let early: RefCell<Vec<DicomFile>> = RefCell::new(Vec::new());
        let take_in = |file: DicomFile| {
            let k = match by_uid.borrow().as_ref() {
                None => {
                    early.borrow_mut().push(file);
                    return;
                }
                Some(map) => file
                    .identification()
                    .sop_instance_uid
                    .and_then(|uid| map.get(&uid).copied()),
            };
            let Some(k) = k else {
                return; // not one of the series' images
            };
            if std::mem::replace(&mut delivered.borrow_mut()[k], true) {
                return;
            }
            let f = {
                let metas = metas.borrow();
                self.remember(&metas[k], file.with_name(metas[k].url.clone()))
            };
            (on_each.borrow_mut())(k, Ok(f));
        };
        let head = async {
            let found = self.open(url).await?;
            let order = on_metadata(&found);
            *delivered.borrow_mut() = vec![false; found.len()];
            *by_uid.borrow_mut() = Some(
                found
                    .iter()
                    .enumerate()
                    .map(|(k, m)| (m.sop_instance_uid.clone(), k))
                    .collect(),
            );
            let first = order
                .first()
                .copied()
                .filter(|&k| k < found.len())
                .map(|k| (k, found[k].clone()));
            *metas.borrow_mut() = found;
            for f in early.take() {
                take_in(f);
            }
            let first = first.filter(|(k, _)| !delivered.borrow()[*k]);
            if let Some((k, meta)) = first {
                let r = self.fetch_unless_cancelled(&meta, cancel).await;
                if !std::mem::replace(&mut delivered.borrow_mut()[k], true) {
                    (on_each.borrow_mut())(k, r);
                }
            }
            Ok::<_, Error>(order)
        };
        let whole = async {
            let path = self.url(&format!("/studies/{study}/series/{series}"));
            let mut on_part = |part: multipart::Part| {
                if let Ok(file) = DicomFile::from_bytes(path.as_str(), part.body) {
                    take_in(file);
                }
                !cancel.is_cancelled()
            };
            self.get_parts(&path, ACCEPT_INSTANCE, &mut on_part).await
        };
        let (order, _) = futures_util::future::join(head, whole).await;
        let order = order?;
        // What the series request did not bring (it failed, or left some out), alone.
        let delivered = delivered.into_inner();
        let rest: Vec<usize> = order
            .into_iter()
            .filter(|&k| delivered.get(k) == Some(&false))
            .collect();
        let metas = metas.into_inner();
        let on_each = on_each.into_inner();
        self.fetch_each_with(&metas, &rest, on_each, cancel, false)
            .await;
        Ok(())
    }

    /// Fetches the pixels of `metas[k]` for every k of `order` and hands each result to
    /// `on_each` as it arrives: `order[0]` alone first (the slice on screen shows while
    /// the rest comes), then the rest of each series in one request (its instances handed
    /// over as the body arrives), instances that request did not bring one request each,
    /// `concurrency` at a time, in `order`.
    ///
    /// Frames come in their stored encoding (`transfer-syntax=*`) and decode locally;
    /// a server that cannot send them so is asked for its transcoding, then for the
    /// whole instance. Fetched instances are cached (bounded in bytes), so a second
    /// fetch of the same series costs nothing; failed ones are fetched again. Once `cancel`
    /// is set, what has not started ends with [`ErrorKind::Cancelled`].
    pub async fn fetch_each(
        &self,
        metas: &[InstanceMeta],
        order: &[usize],
        on_each: &mut dyn FnMut(usize, Fetched),
        cancel: &Cancel,
    ) {
        self.fetch_each_with(metas, order, on_each, cancel, true)
            .await;
    }

    async fn fetch_each_with(
        &self,
        metas: &[InstanceMeta],
        order: &[usize],
        on_each: &mut dyn FnMut(usize, Fetched),
        cancel: &Cancel,
        series_requests: bool,
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
                if !series_requests || uncached.len() < SERIES_REQUEST_MIN_INSTANCES {
                    singles.extend(uncached);
                    continue;
                }
                if cancel.is_cancelled() {
                    for k in uncached {
                        deliver(k, Err(self.cancelled()));
                    }
                    continue;
                }
                let mut done = vec![false; metas.len()];
                let result = self
                    .series_at_once(metas, &uncached, cancel, &mut |k, f| {
                        done[k] = true;
                        deliver(k, Ok(f));
                    })
                    .await;
                let missing = uncached.into_iter().filter(|&k| !done[k]);
                match result {
                    Err(e) if e.is_auth() || matches!(e.kind, ErrorKind::Unreachable(_)) => {
                        for k in missing {
                            deliver(k, Err(e.clone()));
                        }
                    }
                    // Not in the response, or the server cannot send the series so (or
                    // sent it wrong): one by one.
                    _ => singles.extend(missing),
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
    /// as `application/dicom` in their stored syntax, each handed to `on_file` as it
    /// arrives (matched by SOP Instance UID). Parts that do not parse or that are not
    /// asked for are left out; the request stops once `cancel` is set.
    async fn series_at_once(
        &self,
        metas: &[InstanceMeta],
        group: &[usize],
        cancel: &Cancel,
        on_file: &mut dyn FnMut(usize, Arc<DicomFile>),
    ) -> Result<(), Error> {
        let m = &metas[group[0]];
        let url = self.url(&format!(
            "/studies/{}/series/{}",
            m.study_instance_uid, m.series_instance_uid
        ));
        let by_uid: HashMap<&str, usize> = group
            .iter()
            .map(|&k| (metas[k].sop_instance_uid.as_str(), k))
            .collect();
        let mut on_part = |part: multipart::Part| {
            if let Ok(file) = DicomFile::from_bytes(url.as_str(), part.body)
                && let Some(k) = file
                    .identification()
                    .sop_instance_uid
                    .and_then(|uid| by_uid.get(uid.as_str()).copied())
            {
                let f = self.remember(&metas[k], file.with_name(metas[k].url.clone()));
                on_file(k, f);
            }
            !cancel.is_cancelled()
        };
        self.get_parts(&url, ACCEPT_INSTANCE, &mut on_part).await
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

/// The order in which a viewer wants `metas`' pixels: series by series as they are
/// listed, each from its first slice in stack order (the one a viewer shows first), stack
/// by stack and time point by time point for multi-stack and 4D series.
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
    let headers: Vec<&DicomFile> = metas.iter().map(|m| &*m.header).collect();
    let infos: Vec<InstanceInfo> = headers.iter().map(|h| InstanceInfo::from_file(h)).collect();
    hounsfield_core::dimensions::display_order(&headers, &infos)
}
