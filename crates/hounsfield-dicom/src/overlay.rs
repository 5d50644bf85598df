//! Overlay planes (PS3.3 C.9.2): the bitmaps of groups 6000-601E drawn over an image.
//!
//! An overlay plane has its own size and an origin relative to the image (Overlay Origin,
//! 1-based row and column of its first pixel), one bit per pixel in Overlay Data (packed
//! from the least significant bit of each byte), and, for multi-frame images, Number of
//! Frames in Overlay and Image Frame Origin (the image frame its first frame belongs to).
//! The retired form keeps the bits in unused high bits of Pixel Data (Overlay Bits
//! Allocated equal to Bits Allocated, Overlay Bit Position above the stored bits); it is
//! read for native (uncompressed) pixel data.
//!
//! [`DicomFile::overlay_mask`] unites the planes that belong to one image frame into a
//! mask of the image's size, which the display paints over the image.

use crate::attrs::Attributes;
use crate::error::{Error, ErrorKind, KResult};
use crate::file::DicomFile;
use crate::transfer_syntax::Codec;
use dicom_core::Tag;

/// One overlay plane of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayPlane {
    /// Its group (0x6000, 0x6002, ... 0x601E).
    pub group: u16,
    /// Overlay Rows.
    pub rows: u32,
    /// Overlay Columns.
    pub columns: u32,
    /// Overlay Origin: the image row and column (1-based) of its first pixel.
    pub origin: [i64; 2],
    /// Number of Frames in Overlay (1 when absent).
    pub frames: u32,
    /// Image Frame Origin: the image frame (1-based) of its first frame (1 when absent).
    pub image_frame_origin: u32,
    /// Overlay Type: "G" (graphics) or "R" (region of interest).
    pub kind: String,
    /// Overlay Label and Overlay Description, when given.
    pub label: Option<String>,
    /// Where the bits are.
    bits: Bits,
}

#[derive(Debug, Clone, PartialEq)]
enum Bits {
    /// Overlay Data, packed (least significant bit first).
    Data(Vec<u8>),
    /// Bit `position` of each Pixel Data word (retired; native pixel data only).
    Embedded { position: u16 },
}

/// Which pixels of an image frame an overlay covers: one byte per pixel (1 = set), rows
/// of the image's width.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayMask {
    /// Image columns.
    pub width: u32,
    /// Image rows.
    pub height: u32,
    /// 0 or 1 per pixel.
    pub bits: Vec<u8>,
}

impl OverlayMask {
    /// Whether pixel (column `x`, row `y`) is set.
    pub fn get(&self, x: u32, y: u32) -> bool {
        x < self.width && y < self.height && self.bits[(y * self.width + x) as usize] != 0
    }

    /// Set pixels.
    pub fn count(&self) -> usize {
        self.bits.iter().filter(|&&b| b != 0).count()
    }
}

fn tag(group: u16, element: u16) -> Tag {
    Tag(group, element)
}

impl OverlayPlane {
    /// Reads the plane of `group`, when it has a size.
    fn read(a: Attributes, group: u16, bits_allocated: u16) -> KResult<Option<OverlayPlane>> {
        let int = |e: u16, name: &'static str| a.int(tag(group, e), name);
        let (Some(rows), Some(columns)) = (
            int(0x0010, "Overlay Rows")?,
            int(0x0011, "Overlay Columns")?,
        ) else {
            return Ok(None);
        };
        let dim = |v: i64, name: &'static str| {
            u32::try_from(v)
                .ok()
                .filter(|v| *v > 0 && *v <= 65535)
                .ok_or_else(|| crate::attrs::invalid(name, v.to_string(), "not 1 to 65535"))
        };
        let (rows, columns) = (dim(rows, "Overlay Rows")?, dim(columns, "Overlay Columns")?);
        let origin = a.ints(tag(group, 0x0050), "Overlay Origin")?;
        let origin = match origin[..] {
            [r, c] => [r, c],
            _ => [1, 1],
        };
        let frames = int(0x0015, "Number of Frames in Overlay")?
            .map_or(Ok(1), |v| dim(v, "Number of Frames in Overlay"))?;
        let image_frame_origin =
            int(0x0051, "Image Frame Origin")?.map_or(Ok(1), |v| dim(v, "Image Frame Origin"))?;
        let bits = match a.bytes(tag(group, 0x3000)) {
            Some(data) => Bits::Data(data.into_owned()),
            None => {
                let allocated = int(0x0100, "Overlay Bits Allocated")?.unwrap_or(1);
                let position = int(0x0102, "Overlay Bit Position")?.unwrap_or(0);
                if allocated != i64::from(bits_allocated)
                    || !(0..i64::from(bits_allocated)).contains(&position)
                {
                    return Ok(None);
                }
                Bits::Embedded {
                    position: position as u16,
                }
            }
        };
        let text = |e: u16| {
            a.string(tag(group, e))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Ok(Some(OverlayPlane {
            group,
            rows,
            columns,
            origin,
            frames,
            image_frame_origin,
            kind: text(0x0040).unwrap_or_else(|| "G".into()),
            label: text(0x1500).or_else(|| text(0x0022)),
            bits,
        }))
    }

    /// The overlay frame (0-based) that belongs to image frame `frame` (0-based), if any.
    pub fn frame_for(&self, frame: usize) -> Option<usize> {
        let k = (frame + 1).checked_sub(self.image_frame_origin as usize)?;
        (k < self.frames as usize).then_some(k)
    }

    /// Whether the plane keeps its bits in Pixel Data (the retired form).
    pub fn embedded(&self) -> bool {
        matches!(self.bits, Bits::Embedded { .. })
    }
}

impl DicomFile {
    /// The overlay planes of the file (groups 6000-601E with a size), in group order.
    pub fn overlays(&self) -> Result<Vec<OverlayPlane>, Error> {
        let a = self.attributes();
        let bits_allocated = self.image().map_or(0, |i| i.bits_allocated);
        let mut out = Vec::new();
        for group in (0x6000..=0x601E).step_by(2) {
            if let Some(p) =
                OverlayPlane::read(a, group, bits_allocated).map_err(|k| self.err(k))?
            {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// The union of the overlay planes that belong to image frame `frame` (0-based), as a
    /// mask of the image's size; None when no plane does.
    pub fn overlay_mask(&self, frame: usize) -> Result<Option<OverlayMask>, Error> {
        self.overlay_mask_of(&self.overlays()?, frame)
    }

    /// [`overlay_mask`](Self::overlay_mask) with the planes read once by
    /// [`overlays`](Self::overlays), for a caller that masks every frame.
    pub fn overlay_mask_of(
        &self,
        planes: &[OverlayPlane],
        frame: usize,
    ) -> Result<Option<OverlayMask>, Error> {
        let image = self.image()?;
        let (w, h) = (image.columns, image.rows);
        let mut mask: Option<OverlayMask> = None;
        for p in planes {
            let Some(k) = p.frame_for(frame) else {
                continue;
            };
            let m = mask.get_or_insert_with(|| OverlayMask {
                width: w,
                height: h,
                bits: vec![0; w as usize * h as usize],
            });
            match &p.bits {
                Bits::Data(data) => {
                    // Only the overlay pixels that fall on the image (however large the
                    // header says the overlay is), and only bits the data holds.
                    let per_frame = p.rows as u64 * p.columns as u64;
                    let first = k as u64 * per_frame;
                    let rows = clip(p.origin[0], p.rows, h);
                    let columns = clip(p.origin[1], p.columns, w);
                    for r in rows {
                        for c in columns.clone() {
                            let bit = first + r * u64::from(p.columns) + c;
                            let Some(&byte) =
                                usize::try_from(bit / 8).ok().and_then(|i| data.get(i))
                            else {
                                break;
                            };
                            if byte >> (bit % 8) & 1 == 1 {
                                let y = (p.origin[0] - 1 + r as i64) as usize;
                                let x = (p.origin[1] - 1 + c as i64) as usize;
                                m.bits[y * w as usize + x] = 1;
                            }
                        }
                    }
                }
                Bits::Embedded { position } => {
                    self.embedded_bits(frame, *position, m)
                        .map_err(|k| self.err(k))?;
                }
            }
        }
        Ok(mask)
    }

    /// Bit `position` of the Pixel Data words of `frame` into `mask` (native data only).
    fn embedded_bits(&self, frame: usize, position: u16, mask: &mut OverlayMask) -> KResult<()> {
        let image = self.image().map_err(|e| e.kind)?;
        // Only bits above the stored ones are an overlay's.
        if image.bits_allocated != 16 || image.samples_per_pixel != 1 || position <= image.high_bit
        {
            return Ok(());
        }
        if !matches!(self.transfer_syntax().codec, Codec::Native) {
            return Err(ErrorKind::Unsupported(
                "an overlay in unused bits of compressed Pixel Data".into(),
            ));
        }
        let all = self.encoded_frame(0).map_err(|e| e.kind)?;
        let per = mask.width as usize * mask.height as usize;
        let start = frame * per * 2;
        let Some(words) = all.get(start..start + per * 2) else {
            return Ok(());
        };
        let big = self.transfer_syntax().big_endian;
        for (i, w) in words.chunks_exact(2).enumerate() {
            let v = if big {
                u16::from_be_bytes([w[0], w[1]])
            } else {
                u16::from_le_bytes([w[0], w[1]])
            };
            if v >> position & 1 == 1 {
                mask.bits[i] = 1;
            }
        }
        Ok(())
    }
}

/// The overlay rows (or columns) `0..len` whose image row (column) `origin - 1 + i` lies in
/// `0..size`.
fn clip(origin: i64, len: u32, size: u32) -> std::ops::Range<u64> {
    let start = (1 - origin).max(0);
    let end = (i64::from(size) + 1 - origin).min(i64::from(len));
    if end <= start {
        0..0
    } else {
        start as u64..end as u64
    }
}
