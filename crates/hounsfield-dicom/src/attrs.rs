//! Typed, validating access to attributes of a data set.

use crate::error::{ErrorKind, KResult};
use dicom_core::Tag;
use dicom_core::header::HasLength;
use dicom_core::value::{PrimitiveValue, Value};
use dicom_object::InMemDicomObject;

/// Typed access to the attributes of a data set (or of a sequence item).
///
/// Absent attributes give `None`; present attributes whose value cannot be read as
/// asked give an [`ErrorKind::InvalidAttribute`] naming the attribute and the value.
#[derive(Clone, Copy)]
pub struct Attributes<'a> {
    obj: &'a InMemDicomObject,
}

/// Renders an error with its chain of sources.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

impl<'a> Attributes<'a> {
    /// Wraps a data set.
    pub fn new(obj: &'a InMemDicomObject) -> Self {
        Attributes { obj }
    }

    /// The underlying data set.
    pub fn object(&self) -> &'a InMemDicomObject {
        self.obj
    }

    fn value(
        &self,
        tag: Tag,
    ) -> Option<&'a Value<InMemDicomObject, dicom_object::mem::InMemFragment>> {
        // `get`, not `element_opt`: that one builds an error (with a backtrace when
        // RUST_BACKTRACE is set) for every absent attribute.
        self.obj.get(tag).map(|e| e.value())
    }

    fn primitive(&self, tag: Tag) -> Option<&'a PrimitiveValue> {
        match self.value(tag)? {
            Value::Primitive(p) if !p.is_empty() => Some(p),
            _ => None,
        }
    }

    /// Whether the attribute is present with a non-empty value.
    pub fn has(&self, tag: Tag) -> bool {
        self.primitive(tag).is_some() || self.items(tag).is_some_and(|i| !i.is_empty())
    }

    /// The value as text, trimmed of padding, multiple values joined by `\`.
    /// Empty values give `None`.
    pub fn string(&self, tag: Tag) -> Option<String> {
        let p = self.primitive(tag)?;
        let s = p.to_str();
        let s = s.trim_matches(|c: char| c == '\0' || c == ' ');
        if s.is_empty() {
            None
        } else {
            Some(s.to_string())
        }
    }

    /// The individual values of a multi-valued text attribute, trimmed.
    pub fn strings(&self, tag: Tag) -> Vec<String> {
        match self.primitive(tag) {
            Some(PrimitiveValue::Strs(v)) => v
                .iter()
                .map(|s| s.trim_matches(['\0', ' ']).to_string())
                .collect(),
            Some(p) => p
                .to_str()
                .split('\\')
                .map(|s| s.trim_matches(['\0', ' ']).to_string())
                .collect(),
            None => Vec::new(),
        }
    }

    /// An unsigned 16-bit value (US), or an integer string within range.
    pub fn u16(&self, tag: Tag, name: &'static str) -> KResult<Option<u16>> {
        match self.int(tag, name)? {
            None => Ok(None),
            Some(v) => u16::try_from(v)
                .map(Some)
                .map_err(|_| invalid(name, v.to_string(), "out of range 0..=65535")),
        }
    }

    /// An integer value (US, SS, UL, SL, IS, ...): the first of several.
    pub fn int(&self, tag: Tag, name: &'static str) -> KResult<Option<i64>> {
        let Some(p) = self.primitive(tag) else {
            return Ok(None);
        };
        match p {
            PrimitiveValue::U16(v) => Ok(v.first().map(|&x| i64::from(x))),
            PrimitiveValue::I16(v) => Ok(v.first().map(|&x| i64::from(x))),
            PrimitiveValue::U32(v) => Ok(v.first().map(|&x| i64::from(x))),
            PrimitiveValue::I32(v) => Ok(v.first().map(|&x| i64::from(x))),
            PrimitiveValue::U64(v) => Ok(v.first().and_then(|&x| i64::try_from(x).ok())),
            PrimitiveValue::I64(v) => Ok(v.first().copied()),
            _ => {
                let s = p.to_str();
                let first = s.split('\\').next().unwrap_or("").trim_matches(['\0', ' ']);
                if first.is_empty() {
                    return Ok(None);
                }
                first
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| invalid(name, s.to_string(), "not an integer"))
            }
        }
    }

    /// All integer values of a multi-valued attribute.
    pub fn ints(&self, tag: Tag, name: &'static str) -> KResult<Vec<i64>> {
        let Some(p) = self.primitive(tag) else {
            return Ok(Vec::new());
        };
        match p {
            PrimitiveValue::U16(v) => Ok(v.iter().map(|&x| i64::from(x)).collect()),
            PrimitiveValue::I16(v) => Ok(v.iter().map(|&x| i64::from(x)).collect()),
            PrimitiveValue::U32(v) => Ok(v.iter().map(|&x| i64::from(x)).collect()),
            PrimitiveValue::I32(v) => Ok(v.iter().map(|&x| i64::from(x)).collect()),
            _ => p
                .to_str()
                .split('\\')
                .map(|t| t.trim_matches(['\0', ' ']))
                .filter(|t| !t.is_empty())
                .map(|t| {
                    t.parse::<i64>()
                        .map_err(|_| invalid(name, p.to_str().to_string(), "not an integer"))
                })
                .collect(),
        }
    }

    /// A decimal value (DS, FL, FD, or an integer VR): the first of several.
    pub fn float(&self, tag: Tag, name: &'static str) -> KResult<Option<f64>> {
        Ok(self.floats(tag, name)?.first().copied())
    }

    /// All decimal values of a multi-valued attribute.
    pub fn floats(&self, tag: Tag, name: &'static str) -> KResult<Vec<f64>> {
        let Some(p) = self.primitive(tag) else {
            return Ok(Vec::new());
        };
        match p {
            PrimitiveValue::F32(v) => Ok(v.iter().map(|&x| f64::from(x)).collect()),
            PrimitiveValue::F64(v) => Ok(v.to_vec()),
            PrimitiveValue::U16(v) => Ok(v.iter().map(|&x| f64::from(x)).collect()),
            PrimitiveValue::I16(v) => Ok(v.iter().map(|&x| f64::from(x)).collect()),
            PrimitiveValue::U32(v) => Ok(v.iter().map(|&x| f64::from(x)).collect()),
            PrimitiveValue::I32(v) => Ok(v.iter().map(|&x| f64::from(x)).collect()),
            _ => {
                let text = p.to_str();
                text.split('\\')
                    .map(|t| t.trim_matches(['\0', ' ']))
                    .filter(|t| !t.is_empty())
                    .map(|t| {
                        t.parse::<f64>()
                            .ok()
                            .filter(|v| v.is_finite())
                            .ok_or_else(|| {
                                invalid(name, text.to_string(), "not a finite decimal number")
                            })
                    })
                    .collect()
            }
        }
    }

    /// The raw bytes of a binary value (OB, OW, US lists, ...) in native byte order.
    pub fn bytes(&self, tag: Tag) -> Option<std::borrow::Cow<'a, [u8]>> {
        let p = self.primitive(tag)?;
        Some(p.to_bytes())
    }

    /// The 16-bit words of a binary value (OW, US, SS), in native byte order.
    pub fn words(&self, tag: Tag) -> Option<Vec<u16>> {
        match self.primitive(tag)? {
            PrimitiveValue::U16(v) => Some(v.to_vec()),
            PrimitiveValue::I16(v) => Some(v.iter().map(|&x| x as u16).collect()),
            PrimitiveValue::U8(v) => Some(
                v.chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The values of an attribute tag (AT) element, such as Dimension Index Pointer; read
    /// as (group, element) pairs when the file's VR made them words or bytes.
    pub fn tags(&self, tag: Tag) -> Vec<Tag> {
        match self.primitive(tag) {
            Some(PrimitiveValue::Tags(v)) => v.to_vec(),
            Some(PrimitiveValue::U16(v)) => v.chunks_exact(2).map(|c| Tag(c[0], c[1])).collect(),
            Some(PrimitiveValue::U8(v)) => v
                .chunks_exact(4)
                .map(|c| {
                    Tag(
                        u16::from_le_bytes([c[0], c[1]]),
                        u16::from_le_bytes([c[2], c[3]]),
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The items of a sequence.
    pub fn items(&self, tag: Tag) -> Option<&'a [InMemDicomObject]> {
        match self.value(tag)? {
            Value::Sequence(s) => Some(s.items()),
            _ => None,
        }
    }

    /// The first item of a sequence.
    pub fn item(&self, tag: Tag) -> Option<Attributes<'a>> {
        self.items(tag)?.first().map(Attributes::new)
    }
}

pub(crate) fn invalid(name: &'static str, value: impl Into<String>, reason: &str) -> ErrorKind {
    ErrorKind::InvalidAttribute {
        name,
        value: value.into(),
        reason: reason.to_string(),
    }
}
