//! Lookup tables: Modality and VOI LUTs (PS3.3 C.11.1, C.11.2) and Palette Color LUTs
//! (C.7.6.3.1.5, C.7.6.3.1.6), including segmented palettes (C.7.9.2).

use crate::attrs::{Attributes, invalid};
use crate::error::{ErrorKind, KResult};
use dicom_core::Tag;
use dicom_dictionary_std::tags;

/// A lookup table: `data[i]` is the output for input `first_mapped + i`; inputs below
/// the first are mapped to the first entry, inputs above the last to the last entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Lut {
    /// The first input value mapped (the second value of the LUT Descriptor).
    pub first_mapped: i64,
    /// Bits per entry (the third value of the LUT Descriptor).
    pub bits: u16,
    /// The entries.
    #[serde(skip)]
    pub data: Vec<u16>,
    /// LUT Explanation (0028,3003), if any.
    pub explanation: Option<String>,
}

impl Lut {
    /// The entry for `input`, clamped to the table.
    #[inline]
    pub fn lookup(&self, input: i64) -> u16 {
        let i = (input - self.first_mapped).clamp(0, self.data.len() as i64 - 1);
        self.data[i as usize]
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the table is empty (never for a parsed table).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The largest value an entry can take, 2^bits - 1.
    pub fn max_output(&self) -> f64 {
        ((1u64 << self.bits.clamp(1, 16)) - 1) as f64
    }

    /// Reads a LUT from a descriptor and data attribute of `a`. `signed_input` says how the
    /// first-mapped value is to be read when its VR does not say (PS3.3 C.11.1.1).
    pub(crate) fn read(
        a: &Attributes,
        descriptor: Tag,
        data: Tag,
        name: &'static str,
        signed_input: bool,
    ) -> KResult<Option<Lut>> {
        let desc = a.ints(descriptor, name)?;
        if desc.is_empty() {
            return Ok(None);
        }
        let (entries, first, bits) = parse_descriptor(&desc, name, signed_input)?;
        let words = a.words(data);
        let bytes = a.bytes(data);
        let Some(words) = words else {
            return Err(ErrorKind::MissingAttribute(name));
        };
        let data = unpack_entries(&words, bytes.as_deref(), entries, bits, name)?;
        Ok(Some(Lut {
            first_mapped: first,
            bits,
            data,
            explanation: a.string(tags::LUT_EXPLANATION),
        }))
    }
}

/// Reads a LUT Descriptor: (entries, first mapped, bits).
pub(crate) fn parse_descriptor(
    desc: &[i64],
    name: &'static str,
    signed_input: bool,
) -> KResult<(usize, i64, u16)> {
    if desc.len() != 3 {
        return Err(invalid(
            name,
            format!("{desc:?}"),
            "a LUT Descriptor has three values",
        ));
    }
    // The number of entries is unsigned even where the VR is SS; 0 means 65536.
    let entries = match (desc[0] as u16) as usize {
        0 => 65536,
        n => n,
    };
    let first = if signed_input {
        i64::from(desc[1] as u16 as i16)
    } else {
        i64::from(desc[1] as u16)
    };
    let bits = desc[2];
    if !(1..=16).contains(&bits) {
        return Err(invalid(
            name,
            format!("{desc:?}"),
            "bits per entry must be 1..=16",
        ));
    }
    Ok((entries, first, bits as u16))
}

/// LUT data is OW (or US): one entry per 16-bit word. Some writers pack 8-bit entries two
/// per word (byte order of the data set); those are recognised by their length.
fn unpack_entries(
    words: &[u16],
    bytes: Option<&[u8]>,
    entries: usize,
    bits: u16,
    name: &'static str,
) -> KResult<Vec<u16>> {
    if words.len() >= entries {
        return Ok(words[..entries].to_vec());
    }
    if bits <= 8
        && let Some(b) = bytes
        && b.len() >= entries
    {
        return Ok(b[..entries].iter().map(|&x| u16::from(x)).collect());
    }
    Err(invalid(
        name,
        format!("{} words", words.len()),
        &format!("the descriptor announces {entries} entries"),
    ))
}

/// Expands segmented palette data (PS3.3 C.7.9.2): discrete, linear and indirect
/// segments. `data` holds the segment stream as entries (bytes for 8-bit palettes,
/// words for 16-bit ones). Linear segments are interpolated and rounded half to even,
/// and indirect offsets index the stream, as pydicom expands them.
pub(crate) fn expand_segmented(
    data: &[u16],
    entries: usize,
    eight_bit: bool,
    name: &'static str,
) -> KResult<Vec<u16>> {
    let mut out: Vec<u16> = Vec::with_capacity(entries.min(65536));
    // Indirect segments can replay one another: bound the segments executed, generously
    // for real palettes (each segment adds at least one entry, or is read once).
    let mut work = 4 * (entries + data.len()) + 64;
    expand_into(data, &mut out, None, eight_bit, 0, entries, &mut work, name)?;
    if out.len() < entries {
        return Err(invalid(
            name,
            format!("{} entries", out.len()),
            &format!("the segments expand to fewer than {entries} entries"),
        ));
    }
    out.truncate(entries);
    Ok(out)
}

/// Expands a segmented palette stream (PS3.3 C.7.9.2) to `entries` entries: discrete,
/// linear and indirect segments, as pydicom expands them. `stream` holds the segment
/// words, or for an 8-bit palette its bytes, one per element. Fails, naming the problem,
/// for a stream that is truncated, expands to too few entries, nests or repeats its
/// indirect segments without bound, or uses an unknown opcode.
///
/// ```
/// use hounsfield_dicom::expand_segmented_palette;
/// // Discrete 0, 100; then linear to 400 over 3 entries.
/// let lut = expand_segmented_palette(&[0, 2, 0, 100, 1, 3, 400], 5, false)?;
/// assert_eq!(lut, vec![0, 100, 200, 300, 400]);
/// # Ok::<(), hounsfield_dicom::ErrorKind>(())
/// ```
pub fn expand_segmented_palette(
    stream: &[u16],
    entries: usize,
    eight_bit: bool,
) -> Result<Vec<u16>, ErrorKind> {
    expand_segmented(
        stream,
        entries,
        eight_bit,
        "Segmented Palette Color Lookup Table Data",
    )
}

#[allow(clippy::too_many_arguments)]
fn expand_into(
    data: &[u16],
    out: &mut Vec<u16>,
    max_segments: Option<usize>,
    eight_bit: bool,
    depth: u32,
    limit: usize,
    work: &mut usize,
    name: &'static str,
) -> KResult<()> {
    let bad = |why: &str| invalid(name, format!("{} segment words", data.len()), why);
    if depth > 8 {
        return Err(bad("indirect segments nest too deeply"));
    }
    let mut i = 0;
    let mut segments = 0;
    while i + 1 < data.len() && out.len() <= limit {
        *work = work
            .checked_sub(1)
            .ok_or_else(|| bad("indirect segments repeat one another without end"))?;
        let (op, n) = (data[i], usize::from(data[i + 1]));
        i += 2;
        match op {
            0 => {
                let seg = data
                    .get(i..i + n)
                    .ok_or_else(|| bad("a discrete segment is truncated"))?;
                out.extend_from_slice(seg);
                i += n;
            }
            1 => {
                let y0 = f64::from(
                    *out.last()
                        .ok_or_else(|| bad("a linear segment cannot come first"))?,
                );
                let y1 = f64::from(
                    *data
                        .get(i)
                        .ok_or_else(|| bad("a linear segment is truncated"))?,
                );
                i += 1;
                // numpy.linspace(y0 + step, y1, n), rounded half to even.
                let start = y0 + (y1 - y0) / n.max(1) as f64;
                let delta = if n > 1 {
                    (y1 - start) / (n - 1) as f64
                } else {
                    0.0
                };
                for k in 0..n {
                    let v = if k + 1 == n {
                        y1
                    } else {
                        k as f64 * delta + start
                    };
                    out.push(v.round_ties_even().clamp(0.0, 65535.0) as u16);
                }
            }
            2 => {
                if out.is_empty() {
                    return Err(bad("an indirect segment cannot come first"));
                }
                let offset = if eight_bit {
                    let b = data
                        .get(i..i + 4)
                        .ok_or_else(|| bad("an indirect segment is truncated"))?;
                    i += 4;
                    ((usize::from(b[3]) << 8 | usize::from(b[2])) << 16)
                        | (usize::from(b[1]) << 8 | usize::from(b[0]))
                } else {
                    let w = data
                        .get(i..i + 2)
                        .ok_or_else(|| bad("an indirect segment is truncated"))?;
                    i += 2;
                    (usize::from(w[1]) << 16) | usize::from(w[0])
                };
                let tail = data
                    .get(offset..)
                    .ok_or_else(|| bad("an indirect segment points outside the data"))?;
                expand_into(tail, out, Some(n), eight_bit, depth + 1, limit, work, name)?;
            }
            other => return Err(bad(&format!("unknown segment opcode {other}"))),
        }
        segments += 1;
        if Some(segments) == max_segments {
            break;
        }
    }
    Ok(())
}

/// The red, green and blue Palette Color LUTs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PaletteColorLut {
    /// Red Palette Color Lookup Table.
    pub red: Lut,
    /// Green Palette Color Lookup Table.
    pub green: Lut,
    /// Blue Palette Color Lookup Table.
    pub blue: Lut,
}

impl PaletteColorLut {
    /// Reads the palette of an image (PALETTE COLOR, or a supplemental palette) or of a
    /// Color Palette object. Returns `None` when no descriptors are present.
    pub fn from_attributes(a: &Attributes, signed_input: bool) -> KResult<Option<PaletteColorLut>> {
        let channels = [
            (
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                tags::SEGMENTED_RED_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                "Red Palette Color Lookup Table",
            ),
            (
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                tags::SEGMENTED_GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                "Green Palette Color Lookup Table",
            ),
            (
                tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR,
                tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                tags::SEGMENTED_BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA,
                "Blue Palette Color Lookup Table",
            ),
        ];
        let mut luts = Vec::with_capacity(3);
        for (desc_tag, data_tag, seg_tag, name) in channels {
            let desc = a.ints(desc_tag, name)?;
            if desc.is_empty() {
                return Ok(None);
            }
            let (entries, first, bits) = parse_descriptor(&desc, name, signed_input)?;
            let data = if let Some(words) = a.words(data_tag) {
                unpack_entries(&words, a.bytes(data_tag).as_deref(), entries, bits, name)?
            } else if let Some(words) = a.words(seg_tag) {
                // 8-bit segmented palettes are a stream of bytes (C.7.9.2).
                let stream: Vec<u16> = if bits <= 8 {
                    a.bytes(seg_tag)
                        .map(|b| b.iter().map(|&x| u16::from(x)).collect())
                        .unwrap_or_default()
                } else {
                    words
                };
                expand_segmented(&stream, entries, bits <= 8, name)?
            } else {
                return Err(ErrorKind::MissingAttribute(name));
            };
            luts.push(Lut {
                first_mapped: first,
                bits,
                data,
                explanation: None,
            });
        }
        let blue = luts.pop().unwrap_or_else(|| unreachable!());
        let green = luts.pop().unwrap_or_else(|| unreachable!());
        let red = luts.pop().unwrap_or_else(|| unreachable!());
        Ok(Some(PaletteColorLut { red, green, blue }))
    }

    /// The 8-bit RGB colour of an index: entries scaled from their bit depth.
    #[inline]
    pub fn rgb8(&self, index: i64) -> [u8; 3] {
        [
            scale_to_8(&self.red, self.red.lookup(index)),
            scale_to_8(&self.green, self.green.lookup(index)),
            scale_to_8(&self.blue, self.blue.lookup(index)),
        ]
    }

    /// Whether `index` lies inside the table (for supplemental palettes).
    pub fn covers(&self, index: i64) -> bool {
        index >= self.red.first_mapped && index < self.red.first_mapped + self.red.data.len() as i64
    }
}

/// Scales a palette entry to 8 bits: 16-bit entries keep their high byte (PS3.3
/// C.7.6.3.1.5: palettes of 16-bit entries use the full range).
#[inline]
fn scale_to_8(lut: &Lut, v: u16) -> u8 {
    if lut.bits <= 8 {
        v.min(255) as u8
    } else {
        (v >> (lut.bits - 8)) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segmented_discrete_linear_indirect() {
        // Discrete 0,10; linear to 40 in 3 steps; indirect copy of the first segment.
        let words = [0, 2, 0, 10, 1, 3, 40, 2, 1, 0, 0];
        let out = expand_segmented(&words, 7, false, "test").unwrap();
        assert_eq!(out, vec![0, 10, 20, 30, 40, 0, 10]);
    }

    #[test]
    fn descriptor_zero_means_65536() {
        let (n, first, bits) = parse_descriptor(&[0, 0, 16], "test", false).unwrap();
        assert_eq!((n, first, bits), (65536, 0, 16));
        let (_, first, _) = parse_descriptor(&[4096, -2048, 16], "test", true).unwrap();
        assert_eq!(first, -2048);
    }
}
