//! Specific Character Set (0008,0005): the text of SH, LO, ST, PN, LT, UC and UT values
//! decoded as PS3.5 6.1 and PS3.3 C.12.1.1.2 say, code extensions (ISO 2022 escape
//! sequences) included: Japanese (ISO 2022 IR 13, 87, 159), Korean (IR 149), Chinese
//! (IR 58), the ISO 8859 parts, Thai, and the stand-alone UTF-8, GB18030 and GBK.
//!
//! The element walk hands text to dicom-object as ISO 8859-1, which maps every byte to
//! one character and so keeps the bytes; [`CharacterSets::recode`] then decodes them here
//! with the file's character sets. The rules follow pydicom's reading of the standard
//! (its `charset_files` are the oracle of the tests): a value without escape sequences
//! is decoded with the first character set; otherwise each fragment that starts with an
//! escape sequence is decoded with the set that sequence designates, a delimiter
//! (`^` in person names, CR, LF, TAB and FF in text) returning single-byte sets to the
//! first one; person names are decoded group by group (`=`). The character tables are
//! dicom-encoding's.
//!
//! ```
//! use hounsfield_dicom::CharacterSets;
//! let sets = CharacterSets::new(&["".into(), "ISO 2022 IR 87".into()]);
//! // "Yamada^Tarou=" then 山田 in JIS X 0208 between ESC $ B and ESC ( B.
//! let name = b"Yamada^Tarou=\x1b$B;3ED\x1b(B";
//! assert_eq!(sets.decode_person_name(name), "Yamada^Tarou=山田");
//! ```

use dicom_core::header::Header;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_encoding::text::{SpecificCharacterSet, TextCodec};
use dicom_object::InMemDicomObject;

const ESC: u8 = 0x1b;
/// Delimiters of text values that return the code elements to the first set.
const TEXT_DELIMITERS: &[u8] = b"\r\n\t\x0c";
/// The same for the components of person names.
const NAME_DELIMITERS: &[u8] = b"^";

/// One character set of the list.
#[derive(Debug, Clone, PartialEq)]
enum Set {
    /// ISO 8859-1 (also the default repertoire, as pydicom reads it).
    Latin1,
    /// ISO 8859-9 (ISO_IR 148), which dicom-encoding lacks: Latin-1 with six letters
    /// changed.
    Turkish,
    /// A set of dicom-encoding, decoded after the escape sequence is removed.
    Codec(SpecificCharacterSet),
    /// JIS X 0208 or 0212 (ISO 2022 IR 87, 159): decoded by ISO-2022-JP with the escape
    /// sequence kept, since that decoder follows it.
    Jis,
}

impl Set {
    /// The set a value of Specific Character Set names (None if unknown).
    fn of_term(term: &str) -> Option<Set> {
        let code = |c: &str| SpecificCharacterSet::from_code(c).map(Set::Codec);
        let term = term.trim();
        Some(match term {
            "" | "ISO_IR 6" | "ISO 2022 IR 6" | "ISO_IR 100" | "ISO 2022 IR 100" => Set::Latin1,
            "ISO_IR 148" | "ISO 2022 IR 148" => Set::Turkish,
            "ISO 2022 IR 87" | "ISO 2022 IR 159" => Set::Jis,
            "ISO_IR 13" | "ISO 2022 IR 13" => code("ISO_IR 13")?,
            "ISO 2022 IR 149" => code("ISO_IR 149")?,
            "ISO 2022 IR 58" | "ISO 2022 58" | "ISO 2022 GBK" | "GBK" => code("GBK")?,
            other => code(&other.replace("ISO 2022 IR ", "ISO_IR "))?,
        })
    }

    /// The set an escape sequence designates, and the sequence's length.
    fn of_escape(bytes: &[u8]) -> Option<(Set, usize)> {
        let code = |c: &str| SpecificCharacterSet::from_code(c).map(Set::Codec);
        let four = bytes.get(..4).unwrap_or(bytes);
        let three = bytes.get(..3).unwrap_or(bytes);
        Some(match (four, three) {
            (b"\x1b$)C", _) => (code("ISO_IR 149")?, 4),
            (b"\x1b$)A", _) => (code("GBK")?, 4),
            (b"\x1b$(D", _) => (Set::Jis, 4),
            (_, b"\x1b$B") => (Set::Jis, 3),
            (_, b"\x1b(B") => (Set::Latin1, 3),
            (_, b"\x1b(J" | b"\x1b)I") => (code("ISO_IR 13")?, 3),
            (_, b"\x1b-A") => (Set::Latin1, 3),
            (_, b"\x1b-M") => (Set::Turkish, 3),
            (_, [ESC, b'-', c]) => {
                let term = match c {
                    b'B' => "ISO_IR 101",
                    b'C' => "ISO_IR 109",
                    b'D' => "ISO_IR 110",
                    b'F' => "ISO_IR 126",
                    b'G' => "ISO_IR 127",
                    b'H' => "ISO_IR 138",
                    b'L' => "ISO_IR 144",
                    b'T' => "ISO_IR 166",
                    _ => return None,
                };
                (code(term)?, 3)
            }
            _ => return None,
        })
    }

    fn decode(&self, bytes: &[u8]) -> String {
        match self {
            Set::Latin1 => bytes.iter().map(|&b| char::from(b)).collect(),
            Set::Turkish => bytes
                .iter()
                .map(|&b| match b {
                    0xd0 => 'Ğ',
                    0xdd => 'İ',
                    0xde => 'Ş',
                    0xf0 => 'ğ',
                    0xfd => 'ı',
                    0xfe => 'ş',
                    _ => char::from(b),
                })
                .collect(),
            Set::Codec(c) => c
                .decode(bytes)
                .unwrap_or_else(|_| Set::Latin1.decode(bytes)),
            Set::Jis => SpecificCharacterSet::from_code("ISO_IR 87")
                .and_then(|c| c.decode(bytes).ok())
                .unwrap_or_else(|| Set::Latin1.decode(bytes)),
        }
    }
}

/// The character sets of a data set, from its Specific Character Set (0008,0005).
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterSets {
    /// In the order of the attribute's values; the first is the initial set.
    sets: Vec<Set>,
    /// Values of the attribute that name no known set (decoded as the first set).
    pub unknown: Vec<String>,
    /// The set dicom-parser decodes with after reading the attribute (it follows the first
    /// value): text of sequence items with their own Specific Character Set reaches
    /// [`recode`](Self::recode) decoded with it, and is mapped back to bytes with it.
    parser: Option<SpecificCharacterSet>,
}

/// The bytes `text` came from, when `set` decoded them: UTF-8 as it is; single-byte sets
/// through a table made with the set's own decoder (so that no encoder tables are linked
/// into the browser build). None for other multi-byte sets or characters not in the set.
fn bytes_decoded_by(set: &SpecificCharacterSet, text: &str) -> Option<Vec<u8>> {
    if set.name() == "ISO_IR 192" {
        return Some(text.as_bytes().to_vec());
    }
    let mut table = std::collections::HashMap::new();
    for b in 0..=255u8 {
        if let Ok(decoded) = set.decode(&[b]) {
            let mut chars = decoded.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                table.entry(c).or_insert(b);
            }
        }
    }
    text.chars().map(|c| table.get(&c).copied()).collect()
}

impl CharacterSets {
    /// The sets named by the values of Specific Character Set; an empty list is the
    /// default repertoire.
    pub fn new(values: &[String]) -> CharacterSets {
        let mut sets = Vec::new();
        let mut unknown = Vec::new();
        for v in values {
            match Set::of_term(v) {
                Some(s) => sets.push(s),
                None => unknown.push(v.trim().to_string()),
            }
        }
        if sets.is_empty() || values.first().is_some_and(|v| Set::of_term(v).is_none()) {
            sets.insert(0, Set::Latin1);
        }
        let parser = values
            .first()
            .and_then(|v| SpecificCharacterSet::from_code(v.trim()));
        CharacterSets {
            sets,
            unknown,
            parser,
        }
    }

    /// Whether decoding is the identity on the ISO 8859-1 text dicom-object holds.
    pub fn is_latin1(&self) -> bool {
        self.sets.iter().all(|s| *s == Set::Latin1)
    }

    /// Decodes one text value (no `\` separators), `delimiters` returning single-byte
    /// sets to the first set.
    fn decode_with(&self, bytes: &[u8], delimiters: &[u8]) -> String {
        let first = &self.sets[0];
        if !bytes.contains(&ESC) {
            return first.decode(bytes);
        }
        let mut out = String::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = rest[1..]
                .iter()
                .position(|&b| b == ESC)
                .map_or(rest.len(), |i| i + 1);
            let (fragment, next) = rest.split_at(end);
            rest = next;
            if fragment[0] != ESC {
                out.push_str(&first.decode(fragment));
                continue;
            }
            match Set::of_escape(fragment) {
                Some((Set::Jis, _)) if self.sets.contains(&Set::Jis) => {
                    out.push_str(&Set::Jis.decode(fragment));
                }
                Some((set, n)) if self.sets.contains(&set) || set == Set::Latin1 => {
                    let body = &fragment[n..];
                    match body.iter().position(|b| delimiters.contains(b)) {
                        Some(i) => {
                            out.push_str(&set.decode(&body[..i]));
                            out.push_str(&first.decode(&body[i..]));
                        }
                        None => out.push_str(&set.decode(body)),
                    }
                }
                _ => out.push_str(&first.decode(fragment)),
            }
        }
        out
    }

    /// Decodes one text value of SH, LO, ST, LT, UC or UT.
    pub fn decode_text(&self, bytes: &[u8]) -> String {
        self.decode_with(bytes, TEXT_DELIMITERS)
    }

    /// Decodes one person name: each component group (`=`) on its own, trailing empty
    /// groups dropped.
    pub fn decode_person_name(&self, bytes: &[u8]) -> String {
        let end = bytes
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        let bytes = &bytes[..end];
        let mut groups: Vec<String> = bytes
            .split(|&b| b == b'=')
            .map(|g| self.decode_with(g, NAME_DELIMITERS))
            .collect();
        while groups.last().is_some_and(|g| g.is_empty()) {
            groups.pop();
        }
        groups.join("=")
    }

    /// Decodes again, with these sets, every text value of `object` and its sequences
    /// that dicom-object read as ISO 8859-1 (items with their own Specific Character
    /// Set use theirs).
    pub fn recode(&self, object: InMemDicomObject) -> InMemDicomObject {
        let mut out = InMemDicomObject::new_empty();
        for mut element in object {
            let vr = element.vr();
            if let Some(items) = element.items_mut() {
                for item in items.iter_mut() {
                    let taken = std::mem::replace(item, InMemDicomObject::new_empty());
                    let own = taken
                        .get(dicom_dictionary_std::tags::SPECIFIC_CHARACTER_SET)
                        .and_then(|e| e.to_multi_str().ok())
                        .map(|v| CharacterSets::new(&v));
                    *item = own.as_ref().unwrap_or(self).recode(taken);
                }
            } else if matches!(
                vr,
                VR::SH | VR::LO | VR::ST | VR::PN | VR::LT | VR::UC | VR::UT
            ) && let Some(value) = self.recode_value(element.value().primitive(), vr)
            {
                element = DataElement::new(element.tag(), vr, value);
            }
            out.put(element);
        }
        out
    }

    fn recode_value(&self, value: Option<&PrimitiveValue>, vr: VR) -> Option<PrimitiveValue> {
        let strings: Vec<&str> = match value? {
            PrimitiveValue::Str(s) => vec![s.as_str()],
            PrimitiveValue::Strs(v) => v.iter().map(String::as_str).collect(),
            _ => return None,
        };
        let mut decoded = Vec::with_capacity(strings.len());
        for s in strings {
            // Every character came from one byte, unless dicom-parser decoded the value with
            // the set an item's own Specific Character Set named: then encode it back.
            let bytes: Vec<u8> = match s.chars().map(|c| u8::try_from(c).ok()).collect() {
                Some(bytes) => bytes,
                None => bytes_decoded_by(self.parser.as_ref()?, s)?,
            };
            decoded.push(match vr {
                VR::PN => self.decode_person_name(&bytes),
                _ => self.decode_text(&bytes),
            });
        }
        Some(PrimitiveValue::Strs(decoded.into()))
    }
}
