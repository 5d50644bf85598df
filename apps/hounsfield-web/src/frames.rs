//! Frames between the page's workers and the viewer: decoded in a worker into plain
//! objects with transferable buffers, and rebuilt on the page's side.

use crate::js_err;
use hounsfield_core::{DicomFile, Frame, FrameColor, Samples};
use wasm_bindgen::prelude::*;

/// Decodes every frame of a DICOM file (in a Web Worker): an array of
/// `{width, height, color, lane, bits_stored, signed, data}` with `data` an ArrayBuffer of
/// little-endian samples, ready to transfer back to the page.
#[wasm_bindgen]
pub fn decode_frames(name: String, bytes: Vec<u8>) -> Result<js_sys::Array, JsValue> {
    let file = DicomFile::from_bytes(name, bytes).map_err(js_err)?;
    let frames = file.decode_all_frames().map_err(js_err)?;
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
