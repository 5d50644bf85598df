//! Frames between the page's workers and the viewer: decoded in a worker into plain
//! objects with transferable buffers, and rebuilt on the page's side.

use hounsfield_core::{
    DicomFile, Error, ErrorKind, Frame, FrameColor, Jpeg2000Component, Samples,
    set_jpeg2000_decoder,
};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// The error as a JavaScript `Error`; named `CodecNotBuilt` when the file needs the codec
/// module (the caller loads it, calls [`use_jpeg2000_decoder`] and tries again).
pub(crate) fn decode_error(e: &Error) -> JsValue {
    let error = js_sys::Error::new(&e.to_string());
    if matches!(e.kind, ErrorKind::CodecNotBuilt { .. }) {
        error.set_name("CodecNotBuilt");
    }
    error.into()
}

thread_local! {
    static JPEG2000: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Decodes JPEG 2000 and HTJ2K from now on with `decode` (the codec module's
/// `decode_jpeg2000`: bytes in, `[{width, height, data: Int32Array}]` out).
#[wasm_bindgen]
pub fn use_jpeg2000_decoder(decode: js_sys::Function) {
    JPEG2000.with(|f| *f.borrow_mut() = Some(decode));
    set_jpeg2000_decoder(jpeg2000_through_js);
}

fn jpeg2000_through_js(data: &[u8]) -> Result<Vec<Jpeg2000Component>, String> {
    let decode = JPEG2000
        .with(|f| f.borrow().clone())
        .ok_or("the codec module is not loaded")?;
    let comps = decode
        .call1(&JsValue::NULL, &js_sys::Uint8Array::from(data))
        .map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))?;
    js_sys::Array::from(&comps)
        .iter()
        .map(|c| {
            let get = |k: &str| js_sys::Reflect::get(&c, &JsValue::from_str(k)).ok();
            let num = |k: &str| get(k).and_then(|v| v.as_f64()).map(|v| v as u32);
            let data = get("data")
                .filter(|d| d.is_instance_of::<js_sys::Int32Array>())
                .ok_or("the codec module gave no samples")?;
            Ok(Jpeg2000Component {
                width: num("width").ok_or("the codec module gave no width")?,
                height: num("height").ok_or("the codec module gave no height")?,
                data: js_sys::Int32Array::from(data).to_vec(),
            })
        })
        .collect()
}

/// Decodes every frame of a DICOM file (in a Web Worker): an array of
/// `{width, height, color, lane, bits_stored, signed, data}` with `data` an ArrayBuffer of
/// little-endian samples, ready to transfer back to the page.
#[wasm_bindgen]
pub fn decode_frames(name: String, bytes: Vec<u8>) -> Result<js_sys::Array, JsValue> {
    let file = DicomFile::from_bytes(name, bytes).map_err(|e| decode_error(&e))?;
    let frames = file.decode_all_frames().map_err(|e| decode_error(&e))?;
    let out = js_sys::Array::new();
    for f in frames {
        let o = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
        set("width", f.width.into())?;
        set("height", f.height.into())?;
        set(
            "color",
            match f.color {
                FrameColor::Monochrome => "mono",
                FrameColor::Rgb => "rgb",
                FrameColor::PaletteIndex => "palette",
            }
            .into(),
        )?;
        set("lane", f.samples.lane().into())?;
        set("bits_stored", f.bits_stored.into())?;
        set("signed", f.signed.into())?;
        let bytes = f.samples.to_le_bytes();
        set(
            "data",
            js_sys::Uint8Array::from(bytes.as_slice()).buffer().into(),
        )?;
        out.push(&o);
    }
    Ok(out)
}

/// Rebuilds a frame from [`decode_frames`]' description and bytes.
pub(crate) fn frame_of(o: &JsValue) -> Result<Frame, String> {
    let get =
        |k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).map_err(|_| format!("no {k}"));
    let num = |k: &str| get(k)?.as_f64().ok_or(format!("bad {k}"));
    let text = |k: &str| get(k)?.as_string().ok_or(format!("bad {k}"));
    let width = num("width")? as u32;
    let height = num("height")? as u32;
    let data = js_sys::Uint8Array::new(&get("data")?).to_vec();
    let lane = text("lane")?;
    let samples = Samples::from_le_bytes(&lane, &data).ok_or(format!("bad {lane} samples"))?;
    let color = match text("color")?.as_str() {
        "rgb" => FrameColor::Rgb,
        "palette" => FrameColor::PaletteIndex,
        _ => FrameColor::Monochrome,
    };
    let frame = Frame {
        width,
        height,
        color,
        samples,
        bits_stored: num("bits_stored")? as u16,
        signed: get("signed")?.is_truthy(),
    };
    let expected = width as usize * height as usize * frame.channels();
    if frame.samples.len() != expected {
        return Err(format!(
            "{} samples for a {width} x {height} frame",
            frame.samples.len()
        ));
    }
    Ok(frame)
}
