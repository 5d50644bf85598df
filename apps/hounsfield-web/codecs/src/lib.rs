//! The browser page's codec module: JPEG 2000 and High-Throughput JPEG 2000, decoded by
//! OpenJPEG's Rust port (`openjp2`). The page's own module leaves these codecs out (a
//! sixth of its size); when a file needs them, the page or a decoding worker imports this
//! module and hands [`decode_jpeg2000`] to its viewer (`use_jpeg2000_decoder`), which
//! checks the codestream against the image before calling it.
//!
//! Built for `wasm32-unknown-unknown` only (`apps/hounsfield-web/build.sh`); natively the
//! crate is empty.
#![cfg(target_arch = "wasm32")]

// The C allocation functions of the core serve OpenJPEG's port.
use hounsfield_core as _;
use wasm_bindgen::prelude::*;

/// Decodes a J2K codestream (or a JP2 file): an array of components, each
/// `{width, height, data}` with `data` an `Int32Array` of `width * height` samples, after
/// the inverse multiple-component transform.
#[wasm_bindgen]
pub fn decode_jpeg2000(data: &[u8]) -> Result<js_sys::Array, JsValue> {
    let image = jpeg2k::Image::from_bytes_with(data, jpeg2k::DecodeParameters::new())
        .map_err(|e| JsValue::from_str(&format!("OpenJPEG cannot decode the codestream ({e})")))?;
    let out = js_sys::Array::new();
    for c in image.components() {
        let o = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
        set("width", c.width().into())?;
        set("height", c.height().into())?;
        set("data", js_sys::Int32Array::from(c.data()).into())?;
        out.push(&o);
    }
    Ok(out)
}
