//! DICOMweb in the browser: the client of `hounsfield-dicomweb` (reqwest on `fetch`)
//! behind a small JavaScript API. The page searches with [`DicomWeb`], opens a study or
//! series as a [`RemoteLoad`] (its metadata: every instance described before any pixel),
//! adds its instances to the viewer with [`WebViewer::add_remote`](crate::WebViewer), and
//! hands each fetched instance over with `take_remote` as it arrives.

use crate::js_err;
use hounsfield_core::DicomFile;
use hounsfield_dicomweb::{
    Auth, Cancel, DicomWebUrl, Fetched, InstanceMeta, Options, Server, StudyQuery, display_order,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// A DICOMweb server, for the page.
#[wasm_bindgen]
pub struct DicomWeb {
    server: Rc<Server>,
}

#[wasm_bindgen]
impl DicomWeb {
    /// A server at `root` (an absolute URL); `user` and `password` for HTTP Basic, or
    /// `token` for a Bearer token, when given.
    #[wasm_bindgen(constructor)]
    pub fn new(
        root: String,
        user: Option<String>,
        password: Option<String>,
        token: Option<String>,
    ) -> Result<DicomWeb, JsValue> {
        let auth = match (
            user.filter(|u| !u.is_empty()),
            token.filter(|t| !t.is_empty()),
        ) {
            (Some(user), _) => Some(Auth::Basic {
                user,
                password: password.unwrap_or_default(),
            }),
            (None, Some(t)) => Some(Auth::Bearer(t)),
            (None, None) => None,
        };
        let options = Options {
            auth,
            ..Options::default()
        };
        let server = Server::new(&root, options).map_err(js_err)?;
        Ok(DicomWeb {
            server: Rc::new(server),
        })
    }

    /// The service root, without credentials.
    pub fn root(&self) -> String {
        self.server.root().to_string()
    }

    /// QIDO-RS: studies matching `query` (JSON: `patient_name`, `patient_id`,
    /// `study_date`, `modality`, `accession_number`, `limit`, `offset`); resolves to the
    /// studies as JSON text.
    pub fn search_studies(&self, query: String) -> js_sys::Promise {
        let server = self.server.clone();
        future_to_promise(async move {
            let q: StudyQuery = serde_json::from_str(&query).map_err(js_err)?;
            let found = server.search_studies(&q).await.map_err(js_err)?;
            Ok(serde_json::to_string(&found).map_err(js_err)?.into())
        })
    }

    /// QIDO-RS: the series of `study`, as JSON text.
    pub fn search_series(&self, study: String) -> js_sys::Promise {
        let server = self.server.clone();
        future_to_promise(async move {
            let found = server.search_series(&study).await.map_err(js_err)?;
            Ok(serde_json::to_string(&found).map_err(js_err)?.into())
        })
    }

    /// A `size` x `size` thumbnail of a series (its middle instance with the file's
    /// window): resolves to `{width, height, rgba}` with `rgba` a Uint8ClampedArray.
    pub fn thumbnail(&self, study: String, series: String, size: u32) -> js_sys::Promise {
        let server = self.server.clone();
        future_to_promise(async move {
            let image = server
                .series_thumbnail(&study, &series, size)
                .await
                .map_err(js_err)?;
            let rgba: Vec<u8> = match image.channels {
                1 => image.pixels.iter().flat_map(|&v| [v, v, v, 255]).collect(),
                _ => image
                    .pixels
                    .chunks_exact(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect(),
            };
            let o = js_sys::Object::new();
            let set = |k: &str, v: JsValue| js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
            set("width", image.width.into())?;
            set("height", image.height.into())?;
            set(
                "rgba",
                js_sys::Uint8ClampedArray::from(rgba.as_slice()).into(),
            )?;
            Ok(o.into())
        })
    }

    /// WADO-RS metadata of `url` (`ROOT/studies/UID[/series/UID]`, on this server):
    /// resolves to a [`RemoteLoad`] whose instances are described, no pixel fetched.
    pub fn open(&self, url: String) -> js_sys::Promise {
        let server = self.server.clone();
        future_to_promise(async move {
            let parsed = DicomWebUrl::parse(&url).map_err(js_err)?;
            let metas = server.open(&parsed).await.map_err(js_err)?;
            let order = display_order(&metas);
            let results = RefCell::new(vec![None; metas.len()]);
            Ok(RemoteLoad {
                inner: Rc::new(Inner {
                    server,
                    metas,
                    order,
                    results,
                    cancel: Cancel::default(),
                }),
            }
            .into())
        })
    }
}

struct Inner {
    server: Rc<Server>,
    metas: Vec<InstanceMeta>,
    order: Vec<usize>,
    /// Fetched instances not yet taken by the viewer.
    results: RefCell<Vec<Option<Fetched>>>,
    cancel: Cancel,
}

/// A study or series being loaded from a server.
#[wasm_bindgen]
pub struct RemoteLoad {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl RemoteLoad {
    /// Number of image instances.
    pub fn count(&self) -> usize {
        self.inner.metas.len()
    }

    /// Fetches the pixels, the first slice in stack order first (one request for the rest
    /// of each series when it is not too large); calls `on_each(k)` as instance `k`
    /// arrives (or fails). Resolves when all are done or the load is cancelled.
    pub fn fetch(&self, on_each: js_sys::Function) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let mut deliver = |k: usize, r: Fetched| {
                if let Some(slot) = inner.results.borrow_mut().get_mut(k) {
                    *slot = Some(r);
                }
                let _ = on_each.call1(&JsValue::NULL, &JsValue::from(k as u32));
            };
            inner
                .server
                .fetch_each(&inner.metas, &inner.order, &mut deliver, &inner.cancel)
                .await;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Stops the fetch: what has not started is not fetched.
    pub fn cancel(&self) {
        self.inner.cancel.cancel();
    }
}

impl RemoteLoad {
    /// The header of instance `k` (pixels pending).
    pub(crate) fn header(&self, k: usize) -> Option<Arc<DicomFile>> {
        self.inner.metas.get(k).map(|m| m.header.clone())
    }

    /// Returns instance `k` to be taken again (after the codec module has loaded).
    pub(crate) fn put_back(&self, k: usize, file: Arc<DicomFile>) {
        if let Some(slot) = self.inner.results.borrow_mut().get_mut(k) {
            *slot = Some(Ok(file));
        }
    }

    /// The fetched instance `k`, once (None when not there yet).
    pub(crate) fn take(&self, k: usize) -> Option<Fetched> {
        self.inner.results.borrow_mut().get_mut(k)?.take()
    }
}
