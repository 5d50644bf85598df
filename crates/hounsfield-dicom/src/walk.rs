//! A validating walk over encoded data elements (PS3.5 section 7).
//!
//! Before the attributes are handed to dicom-object, the whole data set is walked once:
//! every defined length is checked against the bytes its container really holds, nesting
//! is bounded, and the top-level Pixel Data element is located (its value, or its
//! encapsulated items). Nothing is allocated from a length found in the data, so a header
//! that claims gigabytes cannot make the reader allocate them.

use crate::error::{KResult, malformed};
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// The deepest sequence nesting accepted.
pub(crate) const MAX_DEPTH: usize = 64;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_DELIMITATION: (u16, u16) = (0xFFFE, 0xE00D);
const SEQUENCE_DELIMITATION: (u16, u16) = (0xFFFE, 0xE0DD);

/// The byte-level encoding of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Encoding {
    pub big_endian: bool,
    pub explicit_vr: bool,
}

impl Encoding {
    pub const EXPLICIT_LE: Encoding = Encoding {
        big_endian: false,
        explicit_vr: true,
    };

    fn u16(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
}

/// One element found at the top level of a data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ElementSpan {
    pub group: u16,
    pub element: u16,
    /// The explicit VR, or the dictionary's VR for implicit data (None when unknown).
    pub vr: Option<VR>,
    /// Offset of the tag.
    pub start: usize,
    /// Offset of the value.
    pub value_start: usize,
    /// The encoded length (None when undefined).
    pub length: Option<u32>,
    /// Offset just past the element (after the delimiter for undefined lengths).
    pub end: usize,
    /// For encapsulated pixel data: the value ranges of the items (first = offset table).
    pub items: Vec<std::ops::Range<usize>>,
    /// A binary number element, this one or one inside its items, whose length is not a
    /// multiple of its value size: dicom-parser would read it out of step with the walk.
    pub uneven: Option<(u16, u16)>,
}

impl ElementSpan {
    pub fn tag(&self) -> (u16, u16) {
        (self.group, self.element)
    }
}

/// VRs whose explicit encoding has a 2-byte reserved field and a 4-byte length.
fn has_long_length(vr: &[u8]) -> bool {
    matches!(
        vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

fn dictionary_vr(tag: (u16, u16)) -> Option<VR> {
    match StandardDataDictionary.by_tag(Tag(tag.0, tag.1))?.vr() {
        VirtualVr::Exact(vr) => Some(vr),
        VirtualVr::Xs => Some(VR::US),
        VirtualVr::Ox | VirtualVr::Px => Some(VR::OW),
        VirtualVr::Lt => Some(VR::LT),
        _ => None,
    }
}

fn vr_from_bytes(b: &[u8]) -> Option<VR> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Walks data elements in `data[start..end]`.
pub(crate) struct Walker<'a> {
    data: &'a [u8],
    enc: Encoding,
    /// The first uneven binary number element met since the top-level element began.
    uneven: std::cell::Cell<Option<(u16, u16)>>,
}

/// The value size of the binary number VRs whose values dicom-parser reads one by one.
fn value_size(vr: VR) -> Option<usize> {
    match vr {
        VR::US | VR::SS => Some(2),
        VR::UL | VR::SL | VR::FL | VR::AT | VR::OF | VR::OL => Some(4),
        VR::FD | VR::SV | VR::UV | VR::OD | VR::OV => Some(8),
        _ => None,
    }
}

struct Header {
    group: u16,
    element: u16,
    vr: Option<VR>,
    length: u32,
    header_len: usize,
}

/// Whether `len` bytes from `start` end by `limit`, without computing `start + len`
/// (which wraps on 32-bit targets for lengths near 2^32).
fn fits(start: usize, len: usize, limit: usize) -> bool {
    start <= limit && len <= limit - start
}

impl<'a> Walker<'a> {
    pub fn new(data: &'a [u8], enc: Encoding) -> Self {
        Walker {
            data,
            enc,
            uneven: std::cell::Cell::new(None),
        }
    }

    fn need(&self, pos: usize, n: usize, limit: usize, what: &str) -> KResult<()> {
        if !fits(pos, n, limit) {
            return Err(crate::ErrorKind::Truncated {
                what: what.to_string(),
                offset: pos,
                needed: n as u64,
                available: limit.saturating_sub(pos),
            });
        }
        Ok(())
    }

    /// Reads an element header at `pos`. `meta`: the element is a top-level element of the
    /// file meta group, where implicit VR is tolerated.
    fn header(&self, pos: usize, limit: usize, enc: Encoding, meta: bool) -> KResult<Header> {
        self.need(pos, 8, limit, "element header")?;
        let b = &self.data[pos..];
        let group = enc.u16(&b[0..]);
        let element = enc.u16(&b[2..]);
        if group == 0xFFFE {
            return Ok(Header {
                group,
                element,
                vr: None,
                length: enc.u32(&b[4..]),
                header_len: 8,
            });
        }
        // The file meta group is always explicit VR little endian; a few writers use
        // implicit VR there, which the VR bytes reveal. Only there: a group 0002 element
        // inside the data set is read as the data set's encoding, as dicom-parser reads it.
        let explicit = if meta && group == 0x0002 && !enc.big_endian {
            b[4].is_ascii_uppercase() && b[5].is_ascii_uppercase()
        } else {
            enc.explicit_vr
        };
        if !explicit {
            return Ok(Header {
                group,
                element,
                vr: dictionary_vr((group, element)),
                length: enc.u32(&b[4..]),
                header_len: 8,
            });
        }
        let vr_bytes = &b[4..6];
        if !(vr_bytes[0].is_ascii_uppercase() && vr_bytes[1].is_ascii_uppercase()) {
            return Err(malformed(
                pos,
                format!(
                    "element ({group:04X},{element:04X}) has no valid VR (bytes {:02X} {:02X})",
                    vr_bytes[0], vr_bytes[1]
                ),
            ));
        }
        let vr = vr_from_bytes(vr_bytes);
        // An unknown VR reads as UN (a 4-byte length), as dicom-parser reads it: the walk
        // must cut the data where the parser will, or the lengths it checked are not the
        // ones the parser uses.
        if vr.is_none() || has_long_length(vr_bytes) {
            self.need(pos, 12, limit, "element header")?;
            Ok(Header {
                group,
                element,
                vr,
                length: enc.u32(&b[8..]),
                header_len: 12,
            })
        } else {
            Ok(Header {
                group,
                element,
                vr,
                length: u32::from(enc.u16(&b[6..])),
                header_len: 8,
            })
        }
    }

    /// Walks the top-level elements of `data[start..end]`, validating nested content.
    /// With `only_group`, stops at the first element of another group.
    pub fn top_level(
        &self,
        start: usize,
        end: usize,
        only_group: Option<u16>,
    ) -> KResult<Vec<ElementSpan>> {
        self.walk_top_level(start, end, only_group, false)
            .map(|(spans, _)| spans)
    }

    /// Like [`top_level`](Self::top_level) over a data set, but stops at the first
    /// top-level pixel data element ((7FE0,0008), (7FE0,0009) or (7FE0,0010)): its header
    /// is read, its value is not. Returns the elements before it and whether it was
    /// reached, so that a header can be read from the start of a file alone.
    pub fn top_level_before_pixels(
        &self,
        start: usize,
        end: usize,
    ) -> KResult<(Vec<ElementSpan>, bool)> {
        self.walk_top_level(start, end, None, true)
    }

    fn walk_top_level(
        &self,
        start: usize,
        end: usize,
        only_group: Option<u16>,
        stop_at_pixels: bool,
    ) -> KResult<(Vec<ElementSpan>, bool)> {
        let mut out = Vec::new();
        let mut pos = start;
        while pos < end {
            // Trailing padding shorter than an element header is tolerated.
            if end - pos < 8 && self.data[pos..end].iter().all(|&b| b == 0) {
                break;
            }
            if let Some(g) = only_group {
                self.need(pos, 2, end, "element tag")?;
                if self.enc.u16(&self.data[pos..]) != g {
                    break;
                }
            }
            let h = self.header(pos, end, self.enc, only_group == Some(0x0002))?;
            if stop_at_pixels && h.group == 0x7FE0 && matches!(h.element, 0x0008 | 0x0009 | 0x0010)
            {
                return Ok((out, true));
            }
            let span = self.element(pos, end, h, self.enc, 0, true)?;
            pos = span.end;
            out.push(span);
        }
        Ok((out, false))
    }

    fn element(
        &self,
        pos: usize,
        limit: usize,
        h: Header,
        enc: Encoding,
        depth: usize,
        top: bool,
    ) -> KResult<ElementSpan> {
        let tag = (h.group, h.element);
        let value_start = pos + h.header_len;
        if h.group == 0xFFFE {
            return Err(malformed(
                pos,
                format!(
                    "unexpected item tag ({:04X},{:04X}) outside a sequence",
                    h.group, h.element
                ),
            ));
        }
        if h.length != UNDEFINED {
            let len = h.length as usize;
            if !fits(value_start, len, limit) {
                return Err(crate::ErrorKind::Truncated {
                    what: format!("element ({:04X},{:04X})", h.group, h.element),
                    offset: pos,
                    needed: u64::from(h.length),
                    available: limit.saturating_sub(value_start),
                });
            }
            if h.vr == Some(VR::SQ) {
                self.sequence_items(value_start, value_start + len, false, enc, depth + 1)?;
            }
            if h.vr
                .and_then(value_size)
                .is_some_and(|size| !len.is_multiple_of(size))
                && self.uneven.get().is_none()
            {
                self.uneven.set(Some(tag));
            }
            return Ok(ElementSpan {
                group: h.group,
                element: h.element,
                vr: h.vr,
                start: pos,
                value_start,
                length: Some(h.length),
                end: value_start + len,
                items: Vec::new(),
                uneven: if top { self.uneven.take() } else { None },
            });
        }
        // Undefined length: a sequence, or encapsulated pixel data at the top level.
        let is_pixel_data = top && tag == (0x7FE0, 0x0010);
        if is_pixel_data {
            let (items, end) = self.encapsulated(value_start, limit)?;
            return Ok(ElementSpan {
                group: h.group,
                element: h.element,
                vr: h.vr,
                start: pos,
                value_start,
                length: None,
                end,
                items,
                uneven: None,
            });
        }
        // Items of a sequence encoded as UN with undefined length are implicit VR little
        // endian (PS3.5 section 6.2.2, CP-246).
        let item_enc = match h.vr {
            Some(VR::UN) => Encoding {
                big_endian: false,
                explicit_vr: false,
            },
            _ => enc,
        };
        match h.vr {
            Some(VR::SQ) | Some(VR::UN) | None => {}
            Some(vr) => {
                return Err(malformed(
                    pos,
                    format!(
                        "element ({:04X},{:04X}) with VR {vr:?} has an undefined length",
                        h.group, h.element
                    ),
                ));
            }
        }
        let end = self.sequence_items(value_start, limit, true, item_enc, depth + 1)?;
        Ok(ElementSpan {
            group: h.group,
            element: h.element,
            vr: Some(h.vr.unwrap_or(VR::SQ)),
            start: pos,
            value_start,
            length: None,
            end,
            items: Vec::new(),
            uneven: if top { self.uneven.take() } else { None },
        })
    }

    /// Walks the items of a sequence; returns the offset after the sequence.
    fn sequence_items(
        &self,
        mut pos: usize,
        limit: usize,
        undefined: bool,
        enc: Encoding,
        depth: usize,
    ) -> KResult<usize> {
        if depth > MAX_DEPTH {
            return Err(malformed(
                pos,
                format!("sequences nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        loop {
            if !undefined && pos >= limit {
                return Ok(pos);
            }
            let h = self.header(pos, limit, enc, false)?;
            let item_start = pos + 8;
            match (h.group, h.element) {
                SEQUENCE_DELIMITATION if undefined => return Ok(item_start),
                ITEM => {
                    if h.length == UNDEFINED {
                        pos = self.item_content(item_start, limit, true, enc, depth)?;
                    } else {
                        let len = h.length as usize;
                        if !fits(item_start, len, limit) {
                            return Err(crate::ErrorKind::Truncated {
                                what: "sequence item".into(),
                                offset: pos,
                                needed: u64::from(h.length),
                                available: limit.saturating_sub(item_start),
                            });
                        }
                        self.item_content(item_start, item_start + len, false, enc, depth)?;
                        pos = item_start + len;
                    }
                }
                other => {
                    return Err(malformed(
                        pos,
                        format!(
                            "expected a sequence item, found ({:04X},{:04X})",
                            other.0, other.1
                        ),
                    ));
                }
            }
        }
    }

    /// Walks the elements of one item; returns the offset after the item.
    fn item_content(
        &self,
        mut pos: usize,
        limit: usize,
        undefined: bool,
        enc: Encoding,
        depth: usize,
    ) -> KResult<usize> {
        loop {
            if !undefined && pos >= limit {
                return Ok(pos);
            }
            let h = self.header(pos, limit, enc, false)?;
            if (h.group, h.element) == ITEM_DELIMITATION {
                if undefined {
                    return Ok(pos + 8);
                }
                // A stray delimiter in a defined-length item: tolerated, as DCMTK does.
                pos += 8;
                continue;
            }
            let span = self.element(pos, limit, h, enc, depth, false)?;
            pos = span.end;
        }
    }

    /// Walks encapsulated pixel data items up to the sequence delimiter.
    fn encapsulated(
        &self,
        mut pos: usize,
        limit: usize,
    ) -> KResult<(Vec<std::ops::Range<usize>>, usize)> {
        let mut items = Vec::new();
        loop {
            self.need(pos, 8, limit, "encapsulated pixel data item")?;
            let b = &self.data[pos..];
            // Items of encapsulated pixel data are always little endian.
            let group = u16::from_le_bytes([b[0], b[1]]);
            let element = u16::from_le_bytes([b[2], b[3]]);
            let len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            match (group, element) {
                SEQUENCE_DELIMITATION => return Ok((items, pos + 8)),
                ITEM => {
                    if len == UNDEFINED {
                        return Err(malformed(
                            pos,
                            "encapsulated pixel data item with undefined length",
                        ));
                    }
                    let start = pos + 8;
                    let len = len as usize;
                    if !fits(start, len, limit) {
                        return Err(crate::ErrorKind::Truncated {
                            what: format!("pixel data fragment {}", items.len()),
                            offset: pos,
                            needed: len as u64,
                            available: limit.saturating_sub(start),
                        });
                    }
                    items.push(start..start + len);
                    pos = start + len;
                }
                other => {
                    return Err(malformed(
                        pos,
                        format!(
                            "expected a pixel data item or sequence delimiter, found ({:04X},{:04X})",
                            other.0, other.1
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explicit_le(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&tag.0.to_le_bytes());
        v.extend_from_slice(&tag.1.to_le_bytes());
        v.extend_from_slice(vr);
        if has_long_length(vr) {
            v.extend_from_slice(&[0, 0]);
            v.extend_from_slice(&(value.len() as u32).to_le_bytes());
        } else {
            v.extend_from_slice(&(value.len() as u16).to_le_bytes());
        }
        v.extend_from_slice(value);
        v
    }

    #[test]
    fn finds_native_pixel_data() {
        let mut d = explicit_le((0x0028, 0x0010), b"US", &[2, 0]);
        d.extend(explicit_le((0x7FE0, 0x0010), b"OW", &[1, 2, 3, 4]));
        let spans = Walker::new(&d, Encoding::EXPLICIT_LE)
            .top_level(0, d.len(), None)
            .unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].tag(), (0x7FE0, 0x0010));
        assert_eq!(&d[spans[1].value_start..spans[1].end], &[1, 2, 3, 4]);
    }

    #[test]
    fn rejects_a_length_beyond_the_data() {
        let mut d = explicit_le((0x7FE0, 0x0010), b"OW", &[1, 2, 3, 4]);
        d[8..12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        let err = Walker::new(&d, Encoding::EXPLICIT_LE)
            .top_level(0, d.len(), None)
            .unwrap_err();
        assert!(matches!(err, crate::ErrorKind::Truncated { .. }), "{err}");
    }

    #[test]
    fn rejects_deep_nesting() {
        // (0008,1115) SQ undefined, item undefined, repeated.
        let mut d = Vec::new();
        for _ in 0..(MAX_DEPTH + 2) {
            d.extend_from_slice(&[
                0x08, 0x00, 0x15, 0x11, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            d.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let err = Walker::new(&d, Encoding::EXPLICIT_LE)
            .top_level(0, d.len(), None)
            .unwrap_err();
        assert!(err.to_string().contains("nested"), "{err}");
    }

    #[test]
    fn walks_encapsulated_items() {
        let mut d = vec![
            0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        d.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
        d.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 2, 0, 0, 0, 9, 9]);
        d.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        let spans = Walker::new(&d, Encoding::EXPLICIT_LE)
            .top_level(0, d.len(), None)
            .unwrap();
        assert_eq!(spans[0].items.len(), 2);
        assert_eq!(&d[spans[0].items[1].clone()], &[9, 9]);
        // Without the delimiter the data is truncated.
        let cut = &d[..d.len() - 8];
        assert!(
            Walker::new(cut, Encoding::EXPLICIT_LE)
                .top_level(0, cut.len(), None)
                .is_err()
        );
    }
}
