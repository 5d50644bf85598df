//! WADO-RS metadata (DICOM JSON, PS3.18 F.2) as hounsfield-core objects whose pixels are
//! still on the server.

use crate::qido::values;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_object::InMemDicomObject;
use hounsfield_core::{DicomFile, EncodedPixels};
use serde_json::Value;
use std::sync::Arc;

/// Explicit VR Little Endian: what frames are in when the server names no syntax.
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";

/// One instance as its metadata describes it.
#[derive(Debug, Clone)]
pub struct InstanceMeta {
    /// Study Instance UID (0020,000D).
    pub study_instance_uid: String,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: String,
    /// SOP Instance UID (0008,0018).
    pub sop_instance_uid: String,
    /// The instance's resource, `ROOT/studies/.../series/.../instances/...` (also the
    /// name of its objects in messages).
    pub url: String,
    /// Number of Frames (1 when absent).
    pub frames: u32,
    /// The object as a hounsfield-core file whose pixels are pending: enough to group
    /// series, assemble volumes and choose windows before any pixels arrive. Its data
    /// set (standard bulk data filled in) is the one the fetched object gets.
    pub header: Arc<DicomFile>,
    /// Whether Pixel Data is OW (matters for big endian frames).
    pub pixel_ow: bool,
    /// Bulk data elements left out (private ones, and ones nested in sequences).
    pub skipped_bulk: Vec<String>,
}

/// A BulkDataURI found at the top level of an instance's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkData {
    /// The element the data belongs to.
    pub tag: Tag,
    /// Its value representation.
    pub vr: VR,
    /// Where to fetch the value.
    pub uri: String,
}

/// One instance's DICOM JSON without what the client handles itself.
pub(crate) struct Prepared {
    /// The object without Pixel Data and bulk data.
    pub json: Value,
    /// Pixel Data's VR, when the object has pixel data.
    pub pixel_vr: Option<String>,
    /// Standard bulk data to fetch.
    pub bulk: Vec<BulkData>,
    /// What was left out, for notes.
    pub skipped: Vec<String>,
}

impl Prepared {
    /// Whether the object is an image. Some servers (Orthanc 1.10 for compressed
    /// instances) leave Pixel Data out of the metadata: an object with Rows and Columns
    /// is an image all the same.
    pub fn is_image(&self) -> bool {
        self.pixel_vr.is_some()
            || (self.json.get("00280010").is_some() && self.json.get("00280011").is_some())
    }
}

/// Splits one instance's DICOM JSON into the parts the client handles itself: Pixel Data
/// and the bulk data to fetch.
pub(crate) fn prepare(mut obj: Value) -> Result<Prepared, String> {
    let map = obj
        .as_object_mut()
        .ok_or("an instance's metadata is not a JSON object")?;
    let mut bulk = Vec::new();
    let mut skipped = Vec::new();
    let mut pixel_vr = None;
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let Some(el) = map.get(&key) else { continue };
        let tag = parse_tag(&key).ok_or_else(|| format!("{key:?} is not a tag"))?;
        if tag == Tag(0x7FE0, 0x0010) {
            pixel_vr = el.get("vr").and_then(Value::as_str).map(str::to_string);
            map.remove(&key);
            continue;
        }
        if matches!(tag, Tag(0x7FE0, 0x0008) | Tag(0x7FE0, 0x0009)) {
            return Err("float pixel data is not supported over DICOMweb frames".into());
        }
        if let Some(uri) = el.get("BulkDataURI").and_then(Value::as_str) {
            let vr = el
                .get("vr")
                .and_then(Value::as_str)
                .and_then(|v| v.parse::<VR>().ok())
                .unwrap_or(VR::UN);
            if tag.group() % 2 == 1 {
                skipped.push(format!("private bulk data ({:04X},{:04X})", tag.0, tag.1));
            } else {
                bulk.push(BulkData {
                    tag,
                    vr,
                    uri: uri.to_string(),
                });
            }
            map.remove(&key);
        } else if contains_bulk(el) {
            skipped.push(format!(
                "bulk data inside the sequence ({:04X},{:04X})",
                tag.0, tag.1
            ));
            strip_bulk(map.get_mut(&key).expect("key present"));
        }
    }
    Ok(Prepared {
        json: obj,
        pixel_vr,
        bulk,
        skipped,
    })
}

fn contains_bulk(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("BulkDataURI") || m.values().any(contains_bulk),
        Value::Array(a) => a.iter().any(contains_bulk),
        _ => false,
    }
}

fn strip_bulk(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, e| e.get("BulkDataURI").is_none());
            m.values_mut().for_each(strip_bulk);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_bulk),
        _ => {}
    }
}

fn parse_tag(s: &str) -> Option<Tag> {
    if s.len() != 8 {
        return None;
    }
    let v = u32::from_str_radix(s, 16).ok()?;
    Some(Tag((v >> 16) as u16, v as u16))
}

/// Builds the instance of server `root` from its prepared JSON and the fetched bulk data.
pub(crate) fn instance(
    root: &str,
    prepared: Prepared,
    bulk: Vec<(BulkData, Vec<u8>)>,
) -> Result<InstanceMeta, String> {
    let Prepared {
        json,
        pixel_vr,
        skipped,
        ..
    } = prepared;
    let uid = |tag: &str, what: &str| {
        values(&json, tag)
            .into_iter()
            .next()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("the metadata has no {what}"))
    };
    let study_instance_uid = uid("0020000D", "Study Instance UID")?;
    let series_instance_uid = uid("0020000E", "Series Instance UID")?;
    let sop_instance_uid = uid("00080018", "SOP Instance UID")?;
    let url = format!(
        "{root}/studies/{study_instance_uid}/series/{series_instance_uid}/instances/{sop_instance_uid}"
    );
    // Most servers leave the Transfer Syntax UID out of the metadata.
    let transfer_syntax_uid = values(&json, "00020010").into_iter().next();
    let mut dataset: InMemDicomObject =
        dicom_json::from_value(json).map_err(|e| format!("DICOM JSON: {e}"))?;
    for (b, bytes) in bulk {
        dataset.put(DataElement::new(b.tag, b.vr, PrimitiveValue::from(bytes)));
    }
    let frames = hounsfield_core::Attributes::new(&dataset)
        .int(hounsfield_core::tags::NUMBER_OF_FRAMES, "Number of Frames")
        .ok()
        .flatten()
        .map_or(1, |n| n.clamp(1, i64::from(u32::MAX)) as u32);
    let header = DicomFile::from_dataset(
        url.as_str(),
        dataset,
        transfer_syntax_uid
            .as_deref()
            .unwrap_or(EXPLICIT_VR_LITTLE_ENDIAN),
        EncodedPixels::Pending,
    )
    .map_err(|e| e.to_string())?;
    // Without Pixel Data in the metadata, its VR follows Bits Allocated (PS3.5 8.2).
    let pixel_ow = match pixel_vr.as_deref() {
        Some(vr) => vr == "OW",
        None => header.image().is_ok_and(|i| i.bits_allocated > 8),
    };
    Ok(InstanceMeta {
        study_instance_uid,
        series_instance_uid,
        sop_instance_uid,
        url,
        frames,
        header: Arc::new(header),
        pixel_ow,
        skipped_bulk: skipped,
    })
}
