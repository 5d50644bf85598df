//! # hounsfield-dicomweb
//!
//! A DICOMweb client (PS3.18): QIDO-RS searches, WADO-RS metadata, frames in their stored
//! encoding, whole instances and bulk data, giving [`hounsfield_core::DicomFile`] objects
//! that decode with the project's own decoders. The same code runs natively (on a small
//! Tokio runtime, see [`block_on`]) and in the browser (reqwest on `fetch`).
//!
//! ```no_run
//! use hounsfield_dicomweb::{Server, Options, StudyQuery, block_on};
//! let server = Server::new("http://127.0.0.1:8042/dicom-web", Options::default())?;
//! let studies = block_on(server.search_studies(&StudyQuery {
//!     patient_name: Some("HEAD*".into()), ..Default::default() }))?;
//! let series = block_on(server.search_series(&studies[0].study_instance_uid))?;
//! let metas = block_on(server.series_metadata(&studies[0].study_instance_uid,
//!                                              &series[0].series_instance_uid))?;
//! // Headers first (geometry, windows), then the pixels, the first slice first.
//! let files = block_on(server.fetch_instances(&metas, &[0], &|_| {}, &Default::default()));
//! let frame = files[0].as_ref().map_err(|e| e.clone())?.decode_frame(0);
//! # Ok::<(), hounsfield_dicomweb::Error>(())
//! ```

#![warn(missing_docs)]

mod cache;
mod error;
pub mod metadata;
pub mod multipart;
mod qido;
mod retrieve;
mod url;

pub use error::{Error, ErrorKind};
pub use metadata::InstanceMeta;
pub use qido::{InstanceResult, SeriesResult, StudyQuery, StudyResult};
pub use retrieve::{Fetched, display_order};
pub use url::{DicomWebUrl, is_url, redact};

use cache::Cache;
use hounsfield_core::{DicomFile, EncodedPixels, TransferSyntax};
use metadata::EXPLICIT_VR_LITTLE_ENDIAN;
use multipart::MediaType;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// How to authenticate. Sent on every request (QIDO, metadata, frames, bulk data);
/// never printed: its `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP Basic.
    Basic {
        /// The user name.
        user: String,
        /// The password (never printed).
        password: String,
    },
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { user, .. } => write!(f, "Basic({user}, password hidden)"),
            Auth::Bearer(_) => f.write_str("Bearer(hidden)"),
        }
    }
}

/// Connection settings.
#[derive(Clone)]
pub struct Options {
    /// How to authenticate, if the server asks.
    pub auth: Option<Auth>,
    /// Extra headers sent on every request (an API key, say). Values are never printed.
    pub headers: Vec<(String, String)>,
    /// Requests in flight at once (default 6).
    pub concurrency: usize,
    /// Bytes of fetched instances kept in memory for reuse (default 1 GiB).
    pub cache_bytes: usize,
    /// Give up on a request after this long (native only; default 60 s).
    pub timeout: std::time::Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            auth: None,
            headers: Vec::new(),
            concurrency: 6,
            cache_bytes: 1 << 30,
            timeout: std::time::Duration::from_secs(60),
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("auth", &self.auth)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("concurrency", &self.concurrency)
            .field("cache_bytes", &self.cache_bytes)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Options {
    /// Settings from the environment (native): `HOUNSFIELD_DICOMWEB_USER` and
    /// `HOUNSFIELD_DICOMWEB_PASSWORD` (Basic), or `HOUNSFIELD_DICOMWEB_TOKEN` (Bearer);
    /// `HOUNSFIELD_DICOMWEB_HEADERS`, lines of `Name: value`; `HOUNSFIELD_DICOMWEB_CONCURRENCY`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_env() -> Options {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mut o = Options::default();
        if let Some(token) = var("HOUNSFIELD_DICOMWEB_TOKEN") {
            o.auth = Some(Auth::Bearer(token));
        } else if let Some(user) = var("HOUNSFIELD_DICOMWEB_USER") {
            o.auth = Some(Auth::Basic {
                user,
                password: var("HOUNSFIELD_DICOMWEB_PASSWORD").unwrap_or_default(),
            });
        }
        if let Some(h) = var("HOUNSFIELD_DICOMWEB_HEADERS") {
            o.headers = h
                .lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
                .collect();
        }
        if let Some(n) = var("HOUNSFIELD_DICOMWEB_CONCURRENCY").and_then(|v| v.parse().ok()) {
            o.concurrency = n;
        }
        o
    }
}

/// Progress of a fetch: instances done (fetched or failed) of the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Instances fetched or failed.
    pub done: usize,
    /// Instances asked for.
    pub total: usize,
    /// Bytes received so far.
    pub bytes: u64,
}

/// A flag that cancels a fetch: requests not yet started end with
/// [`ErrorKind::Cancelled`] once it is set (when the user switches series, say).
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Sets the flag: requests not yet started end as cancelled.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// Whether the flag is set.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Indices `0..n` starting at `first` and going outward (first, first + 1, first - 1,
/// ...): the fetch order that shows the slice on screen first and its neighbours next.
///
/// ```
/// assert_eq!(hounsfield_dicomweb::outward(5, 1), vec![1, 2, 0, 3, 4]);
/// ```
pub fn outward(n: usize, first: usize) -> Vec<usize> {
    let first = first.min(n.saturating_sub(1));
    let mut v = Vec::with_capacity(n);
    for d in 0..n {
        if first + d < n {
            v.push(first + d);
        }
        if d > 0 && d <= first {
            v.push(first - d);
        }
        if v.len() == n {
            break;
        }
    }
    v
}

/// A DICOMweb server.
pub struct Server {
    root: String,
    options: Options,
    http: reqwest::Client,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("root", &self.root)
            .field("options", &self.options)
            .finish()
    }
}

const ACCEPT_JSON: &str = "application/dicom+json";
const ACCEPT_FRAMES_STORED: &str =
    "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*";
const ACCEPT_FRAMES: &str = "multipart/related; type=\"application/octet-stream\"";
pub(crate) const ACCEPT_INSTANCE: &str =
    "multipart/related; type=\"application/dicom\"; transfer-syntax=*";

impl Server {
    /// A server at service root `root` (`http://host:port/dicom-web`). Credentials in
    /// the URL are used for Basic authentication unless `options` names others.
    pub fn new(root: &str, mut options: Options) -> Result<Server, Error> {
        let url = DicomWebUrl::parse(root)?;
        if options.auth.is_none() {
            options.auth = url.auth.clone();
        }
        options.concurrency = options.concurrency.clamp(1, 64);
        let http = client(&options)
            .map_err(|e| Error::new(&url.root, "", ErrorKind::Unreachable(e.to_string())))?;
        Ok(Server {
            cache: Mutex::new(Cache::new(options.cache_bytes)),
            root: url.root,
            options,
            http,
        })
    }

    /// The service root, without credentials.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The settings in use.
    pub fn options(&self) -> &Options {
        &self.options
    }

    pub(crate) fn request_name(&self, url: &str) -> String {
        format!("GET {}", url.strip_prefix(&self.root).unwrap_or(url))
    }

    /// GET `url` with `accept`; the response once its status says success, or an error
    /// naming the request and the status.
    async fn send(&self, url: &str, accept: &str) -> Result<(MediaType, reqwest::Response), Error> {
        let what = self.request_name(url);
        let err = |kind| Error::new(&self.root, what.clone(), kind);
        let mut rb = self.http.get(url).header("Accept", accept);
        match &self.options.auth {
            Some(Auth::Basic { user, password }) => rb = rb.basic_auth(user, Some(password)),
            Some(Auth::Bearer(t)) => rb = rb.bearer_auth(t),
            None => {}
        }
        for (n, v) in &self.options.headers {
            rb = rb.header(n.as_str(), v.as_str());
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| err(ErrorKind::Unreachable(describe_reqwest(&e))))?;
        let status = resp.status();
        let media = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(MediaType::parse)
            .unwrap_or_default();
        if !status.is_success() {
            return Err(err(ErrorKind::Status {
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_string(),
            }));
        }
        Ok((media, resp))
    }

    fn cut_short(&self, url: &str, e: &reqwest::Error) -> Error {
        Error::new(
            &self.root,
            self.request_name(url),
            ErrorKind::Protocol(format!("the body was cut short: {}", describe_reqwest(e))),
        )
    }

    /// GET `url` with `accept`; the body and its media type, or an error naming the
    /// request and the status.
    async fn get(&self, url: &str, accept: &str) -> Result<(MediaType, Vec<u8>), Error> {
        let (media, resp) = self.send(url, accept).await?;
        let body = resp.bytes().await.map_err(|e| self.cut_short(url, &e))?;
        Ok((media, Vec::from(body)))
    }

    /// GET a multipart body and hand each part to `on_part` as soon as it is complete
    /// (natively, as the body arrives; in the browser, once it is in), so that a long
    /// answer is never held whole. The body must end with its closing delimiter. Stops
    /// reading, without error, once `on_part` answers false.
    pub(crate) async fn get_parts(
        &self,
        url: &str,
        accept: &str,
        on_part: &mut dyn FnMut(multipart::Part) -> bool,
    ) -> Result<(), Error> {
        let (media, resp) = self.send(url, accept).await?;
        let mut splitter = self.splitter(url, &media)?;
        let protocol =
            |m: String| Error::new(&self.root, self.request_name(url), ErrorKind::Protocol(m));
        #[cfg(not(target_arch = "wasm32"))]
        {
            let mut resp = resp;
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.cut_short(url, &e))? {
                for part in splitter.push(&chunk).map_err(protocol)? {
                    if !on_part(part) {
                        return Ok(());
                    }
                }
            }
        }
        #[cfg(target_arch = "wasm32")]
        {
            let body = resp.bytes().await.map_err(|e| self.cut_short(url, &e))?;
            for part in splitter.push(&body).map_err(protocol)? {
                if !on_part(part) {
                    return Ok(());
                }
            }
        }
        splitter.finish().map_err(protocol)
    }

    async fn get_json(&self, url: &str) -> Result<Vec<Value>, Error> {
        let (_, body) = self.get(url, ACCEPT_JSON).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new()); // 204 No Content: nothing matched
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(a)) => Ok(a),
            Ok(_) => Err(Error::new(
                &self.root,
                self.request_name(url),
                ErrorKind::Protocol("expected a JSON array".into()),
            )),
            Err(e) => Err(Error::new(
                &self.root,
                self.request_name(url),
                ErrorKind::Protocol(format!("JSON: {e}")),
            )),
        }
    }

    pub(crate) async fn get_multipart(
        &self,
        url: &str,
        accept: &str,
    ) -> Result<(MediaType, Vec<multipart::Part>), Error> {
        let (media, body) = self.get(url, accept).await?;
        let parts = self.split_multipart(url, &media, &body)?;
        Ok((media, parts))
    }

    fn split_multipart(
        &self,
        url: &str,
        media: &MediaType,
        body: &[u8],
    ) -> Result<Vec<multipart::Part>, Error> {
        let mut splitter = self.splitter(url, media)?;
        let protocol =
            |m: String| Error::new(&self.root, self.request_name(url), ErrorKind::Protocol(m));
        let parts = splitter.push(body).map_err(protocol)?;
        splitter.finish().map_err(protocol)?;
        Ok(parts)
    }

    /// A splitter for a body of type `media`, which must be `multipart/related` with a
    /// boundary.
    fn splitter(&self, url: &str, media: &MediaType) -> Result<multipart::Splitter, Error> {
        let protocol =
            |m: String| Error::new(&self.root, self.request_name(url), ErrorKind::Protocol(m));
        if media.essence != "multipart/related" {
            return Err(protocol(format!(
                "expected multipart/related, got {:?}",
                media.essence
            )));
        }
        let boundary = media
            .param("boundary")
            .ok_or_else(|| protocol("multipart/related without a boundary".into()))?;
        multipart::Splitter::new(boundary).map_err(protocol)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    /// QIDO-RS: studies matching `query`.
    pub async fn search_studies(&self, query: &StudyQuery) -> Result<Vec<StudyResult>, Error> {
        let params = query
            .parameters()
            .map_err(|m| Error::new(&self.root, "search", ErrorKind::Url(m)))?;
        let mut url = reqwest::Url::parse(&self.url("/studies"))
            .map_err(|e| Error::new(&self.root, "search", ErrorKind::Url(e.to_string())))?;
        url.query_pairs_mut().extend_pairs(params);
        let found = self.get_json(url.as_str()).await?;
        Ok(found.iter().map(StudyResult::from_json).collect())
    }

    /// QIDO-RS: the series of a study.
    pub async fn search_series(&self, study: &str) -> Result<Vec<SeriesResult>, Error> {
        let found = self
            .get_json(&self.url(&format!(
                "/studies/{study}/series?includefield=0008103E&includefield=00201209"
            )))
            .await?;
        let mut s: Vec<SeriesResult> = found.iter().map(SeriesResult::from_json).collect();
        s.sort_by_key(|r| r.series_number.unwrap_or(i64::MAX));
        Ok(s)
    }

    /// QIDO-RS: the instances of a series.
    pub async fn search_instances(
        &self,
        study: &str,
        series: &str,
    ) -> Result<Vec<InstanceResult>, Error> {
        let found = self
            .get_json(&self.url(&format!("/studies/{study}/series/{series}/instances")))
            .await?;
        let mut s: Vec<InstanceResult> = found.iter().map(InstanceResult::from_json).collect();
        s.sort_by_key(|r| r.instance_number.unwrap_or(i64::MAX));
        Ok(s)
    }

    /// WADO-RS: the metadata of every instance of a series (one request), with standard
    /// bulk data fetched; instances that are not images are left out.
    pub async fn series_metadata(
        &self,
        study: &str,
        series: &str,
    ) -> Result<Vec<InstanceMeta>, Error> {
        self.metadata(&format!("/studies/{study}/series/{series}/metadata"))
            .await
    }

    /// WADO-RS: the metadata of every instance of a study (one request).
    pub async fn study_metadata(&self, study: &str) -> Result<Vec<InstanceMeta>, Error> {
        self.metadata(&format!("/studies/{study}/metadata")).await
    }

    pub(crate) async fn metadata(&self, path: &str) -> Result<Vec<InstanceMeta>, Error> {
        let url = self.url(path);
        let objects = self.get_json(&url).await?;
        let what = self.request_name(&url);
        let mut out = Vec::with_capacity(objects.len());
        for obj in objects {
            let mut prepared = metadata::prepare(obj)
                .map_err(|m| Error::new(&self.root, what.clone(), ErrorKind::Protocol(m)))?;
            if !prepared.is_image() {
                continue; // not an image (a report, a presentation state)
            }
            let mut fetched = Vec::with_capacity(prepared.bulk.len());
            for b in std::mem::take(&mut prepared.bulk) {
                let bytes = self.bulk(&b.uri).await?;
                fetched.push((b, bytes));
            }
            let meta = metadata::instance(&self.root, prepared, fetched)
                .map_err(|m| Error::new(&self.root, what.clone(), ErrorKind::Dicom(m)))?;
            out.push(meta);
        }
        Ok(out)
    }

    /// Bulk data from a BulkDataURI. Absolute URIs on another origin are taken as the
    /// server's own name for itself and re-rooted onto the configured root, so that
    /// credentials never go to a host the user did not name.
    async fn bulk(&self, uri: &str) -> Result<Vec<u8>, Error> {
        let url = self.same_origin(uri);
        let (_, mut parts) = self.get_multipart(&url, ACCEPT_FRAMES).await?;
        if parts.len() != 1 {
            return Err(Error::new(
                &self.root,
                self.request_name(&url),
                ErrorKind::Protocol(format!("{} parts for one bulk data element", parts.len())),
            ));
        }
        Ok(std::mem::take(&mut parts[0].body))
    }

    fn same_origin(&self, uri: &str) -> String {
        if !is_url(uri) {
            return format!("{}/{}", self.root, uri.trim_start_matches('/'));
        }
        if uri.starts_with(&self.root) {
            return uri.to_string();
        }
        // Keep the part from /studies/ (or /bulk...) on: the server's view of its own root
        // may differ from ours (proxies, localhost vs 127.0.0.1).
        match uri.find("/studies/") {
            Some(k) => format!("{}{}", self.root, &uri[k..]),
            None => uri.to_string(),
        }
    }

    /// The instance of `meta` with its pixels: its frames in their stored encoding
    /// (WADO-RS frames), else the whole instance; from the cache when fetched before.
    pub async fn fetch_instance(&self, meta: &InstanceMeta) -> Result<Arc<DicomFile>, Error> {
        if let Some(f) = self.lock_cache().get(&meta.sop_instance_uid) {
            return Ok(f);
        }
        let frame_list: Vec<String> = (1..=meta.frames).map(|f| f.to_string()).collect();
        let frames_url = format!("{}/frames/{}", meta.url, frame_list.join(","));
        let mut first_failure = None;
        for accept in [ACCEPT_FRAMES_STORED, ACCEPT_FRAMES] {
            match self.frames(&frames_url, accept, meta).await {
                Ok(f) => return Ok(self.remember(meta, f)),
                Err(e) if e.is_auth() || matches!(e.kind, ErrorKind::Unreachable(_)) => {
                    return Err(e);
                }
                Err(e) => {
                    first_failure.get_or_insert(e);
                }
            }
        }
        // Last: the whole instance.
        match self.whole_instance(&meta.url).await {
            Ok(f) => Ok(self.remember(meta, f)),
            Err(mut e) => {
                if let Some(first) = &first_failure {
                    e.kind = match e.kind {
                        ErrorKind::Status { status, reason } => ErrorKind::Status {
                            status,
                            reason: format!("{reason} (frames: {first})"),
                        },
                        other => other,
                    };
                }
                Err(e)
            }
        }
    }

    pub(crate) fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn remember(&self, meta: &InstanceMeta, f: DicomFile) -> Arc<DicomFile> {
        let f = Arc::new(f);
        self.lock_cache()
            .put(meta.sop_instance_uid.clone(), f.clone(), f.encoded_len());
        f
    }

    async fn frames(
        &self,
        url: &str,
        accept: &str,
        meta: &InstanceMeta,
    ) -> Result<DicomFile, Error> {
        let (media, parts) = self.get_multipart(url, accept).await?;
        let what = self.request_name(url);
        let protocol = |m: String| Error::new(&self.root, what.clone(), ErrorKind::Protocol(m));
        if parts.len() != meta.frames as usize {
            return Err(protocol(format!(
                "{} frames asked for, {} sent",
                meta.frames,
                parts.len()
            )));
        }
        // The syntax: each part's own, else the type parameter of the whole body, else
        // Explicit VR Little Endian (PS3.18 8.7.3.3.2).
        let outer = media.param("type").map(MediaType::parse);
        let syntax_of = |p: &multipart::Part| -> String {
            p.media_type()
                .and_then(|t| t.param("transfer-syntax").map(str::to_string))
                .or_else(|| {
                    outer
                        .as_ref()
                        .and_then(|t| t.param("transfer-syntax").map(str::to_string))
                })
                .unwrap_or_else(|| EXPLICIT_VR_LITTLE_ENDIAN.to_string())
        };
        let syntax = syntax_of(&parts[0]);
        if let Some(p) = parts.iter().find(|p| syntax_of(p) != syntax) {
            return Err(protocol(format!(
                "frames in two transfer syntaxes ({syntax} and {})",
                syntax_of(p)
            )));
        }
        let ts = TransferSyntax::from_uid(&syntax);
        let frames: Vec<Vec<u8>> = parts.into_iter().map(|p| p.body).collect();
        let pixels = if ts.is_encapsulated() {
            EncodedPixels::Frames(frames)
        } else {
            EncodedPixels::Native {
                bytes: frames.concat(),
                word_vr: meta.pixel_ow,
            }
        };
        DicomFile::from_dataset(&meta.url, meta.header.dataset().clone(), &syntax, pixels)
            .map_err(|e| Error::new(&self.root, what.clone(), ErrorKind::Dicom(e.to_string())))
    }

    async fn whole_instance(&self, url: &str) -> Result<DicomFile, Error> {
        let (_, mut parts) = self.get_multipart(url, ACCEPT_INSTANCE).await?;
        let what = self.request_name(url);
        if parts.len() != 1 {
            return Err(Error::new(
                &self.root,
                what,
                ErrorKind::Protocol(format!("{} parts for one instance", parts.len())),
            ));
        }
        DicomFile::from_bytes(url, std::mem::take(&mut parts[0].body))
            .map_err(|e| Error::new(&self.root, what, ErrorKind::Dicom(e.to_string())))
    }
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    if e.is_timeout() {
        s.push_str(" (timed out)");
    }
    s
}

#[cfg(not(target_arch = "wasm32"))]
fn client(options: &Options) -> Result<reqwest::Client, reqwest::Error> {
    // One process-wide TLS provider (ring); installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10).min(options.timeout))
        .timeout(options.timeout)
        .build()
}

#[cfg(target_arch = "wasm32")]
fn client(_: &Options) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder().build()
}

/// Runs a future of this crate to completion on the calling thread (native), with a
/// small Tokio runtime of its own.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime on the current thread")
        .block_on(f)
}
