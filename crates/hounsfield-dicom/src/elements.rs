//! Every element of a data set as text, nested sequences included: the tag browser of the
//! viewers. Values are plain strings (never markup); long values are shortened and
//! binary values summarised by their length.

use crate::file::DicomFile;
use dicom_core::dictionary::DataDictionary;
use dicom_core::header::Header;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_object::InMemDicomObject;

/// The longest value text shown before it is shortened (characters).
pub const MAX_VALUE_CHARS: usize = 160;

/// One element of a data set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ElementNode {
    /// Group and element numbers.
    pub tag: (u16, u16),
    /// Value Representation, e.g. "PN".
    pub vr: String,
    /// The keyword-like name from the standard dictionary, or "Private" / "Unknown".
    pub name: String,
    /// The value as text (shortened), or a summary for binary and sequence values.
    pub value: String,
    /// Items of a sequence, each a list of elements.
    pub items: Vec<Vec<ElementNode>>,
}

impl ElementNode {
    /// `(gggg,eeee)` in hexadecimal.
    pub fn tag_text(&self) -> String {
        format!("({:04X},{:04X})", self.tag.0, self.tag.1)
    }
}

fn name_of(tag: Tag) -> String {
    if let Some(entry) = StandardDataDictionary.by_tag(tag) {
        return entry.alias.to_string();
    }
    if tag.group() % 2 == 1 {
        if tag.element() < 0x0100 && tag.element() >= 0x0010 {
            "PrivateCreator".into()
        } else {
            "Private".into()
        }
    } else {
        "Unknown".into()
    }
}

fn shorten(mut s: String) -> String {
    if s.chars().count() > MAX_VALUE_CHARS {
        s = s.chars().take(MAX_VALUE_CHARS).collect();
        s.push('…');
    }
    s
}

fn nodes(obj: &InMemDicomObject) -> Vec<ElementNode> {
    obj.iter()
        .map(|e| {
            let tag = e.tag();
            let vr = e.vr();
            let (value, items) = match e.value() {
                Value::Primitive(p) => {
                    let binary = matches!(
                        vr,
                        VR::OB | VR::OW | VR::OF | VR::OD | VR::OL | VR::OV | VR::UN
                    );
                    let text = if binary {
                        format!("<{} bytes>", p.calculate_byte_len())
                    } else {
                        shorten(
                            p.to_str()
                                .trim_matches(|c: char| c == '\0' || c == ' ')
                                .to_string(),
                        )
                    };
                    (text, Vec::new())
                }
                Value::Sequence(seq) => {
                    let items: Vec<Vec<ElementNode>> = seq.items().iter().map(nodes).collect();
                    (
                        format!(
                            "<{} item{}>",
                            items.len(),
                            if items.len() == 1 { "" } else { "s" }
                        ),
                        items,
                    )
                }
                Value::PixelSequence(seq) => {
                    let bytes: usize = seq.fragments().iter().map(Vec::len).sum();
                    (
                        format!(
                            "<encapsulated: {} fragment{}, {} bytes>",
                            seq.fragments().len(),
                            if seq.fragments().len() == 1 { "" } else { "s" },
                            bytes
                        ),
                        Vec::new(),
                    )
                }
            };
            ElementNode {
                tag: (tag.group(), tag.element()),
                vr: vr.to_string().to_string(),
                name: name_of(tag),
                value,
                items,
            }
        })
        .collect()
}

impl DicomFile {
    /// Every element of the file meta group and the data set, in tag order, sequences
    /// nested.
    ///
    /// ```no_run
    /// let file = hounsfield_dicom::DicomFile::open("CT_small.dcm")?;
    /// for e in file.elements() {
    ///     println!("{} {} {} {}", e.tag_text(), e.vr, e.name, e.value);
    /// }
    /// # Ok::<(), hounsfield_dicom::Error>(())
    /// ```
    pub fn elements(&self) -> Vec<ElementNode> {
        nodes(self.dataset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, dicom_value};
    use dicom_dictionary_std::tags;

    #[test]
    fn nested_sequences_and_binary_values() {
        let mut item = InMemDicomObject::new_empty();
        item.put(DataElement::new(
            tags::CODE_VALUE,
            VR::SH,
            PrimitiveValue::from("T-A0100"),
        ));
        let mut obj = InMemDicomObject::new_empty();
        obj.put(DataElement::new(
            tags::PATIENT_NAME,
            VR::PN,
            PrimitiveValue::from("<img src=x onerror=alert(1)>"),
        ));
        obj.put(DataElement::new(
            tags::ANATOMIC_REGION_SEQUENCE,
            VR::SQ,
            dicom_core::value::DataSetSequence::from(vec![item]),
        ));
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            dicom_value!(U16, [1, 2, 3]),
        ));
        obj.put(DataElement::new(
            Tag(0x0009, 0x1001),
            VR::LO,
            PrimitiveValue::from("x".repeat(500)),
        ));
        let n = nodes(&obj);
        // Tag order: (0008,2218), (0009,1001), (0010,0010), (7FE0,0010).
        assert_eq!(n[0].value, "<1 item>");
        assert_eq!(n[0].items[0][0].name, "CodeValue");
        assert_eq!(n[0].items[0][0].value, "T-A0100");
        assert_eq!(n[1].tag, (0x0009, 0x1001));
        assert_eq!(n[1].name, "Private");
        assert_eq!(n[1].value.chars().count(), MAX_VALUE_CHARS + 1);
        assert_eq!(n[2].name, "PatientName");
        assert_eq!(n[2].value, "<img src=x onerror=alert(1)>");
        assert_eq!(n[3].value, "<6 bytes>");
        assert_eq!(n[3].vr, "OW");
    }
}
