//! A small writer of the data sets this crate creates, as Part 10 files in Explicit VR
//! Little Endian (PS3.5 7.1.2, PS3.10 7.1). Written here rather than with dicom-object's
//! writer, which links the text encoders of every Specific Character Set: about 200 KiB
//! (gzipped) more in the browser page, for reports that are always UTF-8 (ISO_IR 192).

use hounsfield_dicom::Tag;
use std::collections::BTreeMap;

/// A value this writer encodes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A text value of a string VR ("CS", "UI", "PN", "UT", ...).
    Text(&'static str, String),
    /// FD: one 64-bit float.
    F64(f64),
    /// FL: 32-bit floats.
    F32(Vec<f32>),
    /// SQ: items.
    Sequence(Vec<DataSet>),
}

/// A data set: elements by tag (written in ascending order).
pub type DataSet = BTreeMap<Tag, Value>;

/// VRs with a 32-bit length (and two reserved bytes) in Explicit VR.
fn long_vr(vr: &str) -> bool {
    matches!(
        vr,
        "OB" | "OD" | "OF" | "OL" | "OV" | "OW" | "SQ" | "SV" | "UC" | "UN" | "UR" | "UT" | "UV"
    )
}

fn header(out: &mut Vec<u8>, tag: Tag, vr: &str, len: usize) {
    out.extend_from_slice(&tag.group().to_le_bytes());
    out.extend_from_slice(&tag.element().to_le_bytes());
    out.extend_from_slice(vr.as_bytes());
    if long_vr(vr) {
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    } else {
        out.extend_from_slice(&(len as u16).to_le_bytes());
    }
}

fn write_set(out: &mut Vec<u8>, set: &DataSet) {
    for (tag, value) in set {
        match value {
            Value::Text(vr, text) => {
                let mut bytes = text.as_bytes().to_vec();
                if bytes.len() % 2 == 1 {
                    bytes.push(if *vr == "UI" { 0 } else { b' ' });
                }
                header(out, *tag, vr, bytes.len());
                out.extend_from_slice(&bytes);
            }
            Value::F64(v) => {
                header(out, *tag, "FD", 8);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Value::F32(v) => {
                header(out, *tag, "FL", 4 * v.len());
                for x in v {
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
            Value::Sequence(items) => {
                // Undefined lengths, delimited (PS3.5 7.5).
                header(out, *tag, "SQ", 0xFFFF_FFFF);
                for item in items {
                    out.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
                    write_set(out, item);
                    out.extend_from_slice(&[0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
                }
                out.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
            }
        }
    }
}

/// The Part 10 file of `set`: preamble, "DICM", the File Meta Information (SOP Class and
/// Instance from the set, Explicit VR Little Endian, `implementation` class UID and version
/// name), then the data set.
pub fn write_file(set: &DataSet, implementation: (&str, &str)) -> Result<Vec<u8>, String> {
    let text = |tag: Tag| match set.get(&tag) {
        Some(Value::Text(_, t)) => Ok(t.clone()),
        _ => Err(format!("the data set has no {tag}")),
    };
    let (class, instance) = (text(Tag(0x0008, 0x0016))?, text(Tag(0x0008, 0x0018))?);
    let mut meta = DataSet::new();
    let ui = |v: &str| Value::Text("UI", v.to_string());
    meta.insert(Tag(0x0002, 0x0002), ui(&class));
    meta.insert(Tag(0x0002, 0x0003), ui(&instance));
    meta.insert(Tag(0x0002, 0x0010), ui("1.2.840.10008.1.2.1"));
    meta.insert(Tag(0x0002, 0x0012), ui(implementation.0));
    meta.insert(
        Tag(0x0002, 0x0013),
        Value::Text("SH", implementation.1.to_string()),
    );
    let mut group = Vec::new();
    // File Meta Information Version: OB 00 01.
    header(&mut group, Tag(0x0002, 0x0001), "OB", 2);
    group.extend_from_slice(&[0, 1]);
    write_set(&mut group, &meta);
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    header(&mut out, Tag(0x0002, 0x0000), "UL", 4);
    out.extend_from_slice(&(group.len() as u32).to_le_bytes());
    out.extend_from_slice(&group);
    write_set(&mut out, set);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_read_back_with_dicom_object() {
        let mut item = DataSet::new();
        item.insert(Tag(0x0008, 0x0100), Value::Text("SH", "121049".into()));
        let mut set = DataSet::new();
        set.insert(
            Tag(0x0008, 0x0016),
            Value::Text("UI", "1.2.840.10008.5.1.4.1.1.88.33".into()),
        );
        set.insert(Tag(0x0008, 0x0018), Value::Text("UI", "2.25.1".into()));
        set.insert(Tag(0x0010, 0x0010), Value::Text("PN", "Doe^Jöhn".into()));
        set.insert(Tag(0x0040, 0xA161), Value::F64(-0.1));
        set.insert(Tag(0x0070, 0x0022), Value::F32(vec![1.5, 2.5]));
        set.insert(Tag(0x0040, 0xA043), Value::Sequence(vec![item]));
        set.insert(Tag(0x0008, 0x0005), Value::Text("CS", "ISO_IR 192".into()));
        let bytes = write_file(&set, ("2.25.2", "TEST")).unwrap_or_else(|e| panic!("{e}"));
        let file = hounsfield_dicom::DicomFile::from_bytes("x.dcm", bytes)
            .unwrap_or_else(|e| panic!("{e}"));
        let a = file.attributes();
        assert_eq!(a.string(Tag(0x0010, 0x0010)).as_deref(), Some("Doe^Jöhn"));
        assert_eq!(
            file.identification().sop_instance_uid.as_deref(),
            Some("2.25.1")
        );
        assert_eq!(
            a.float(Tag(0x0040, 0xA161), "FD").ok().flatten(),
            Some(-0.1)
        );
    }
}
