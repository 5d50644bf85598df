//! JPEG (ISO/IEC 10918-1): header inspection and the colour-space rules; decoding is
//! this crate's own decoder (module `jpeg_own`), bit-exact with IJG libjpeg.

use crate::error::{Result, codec_error};
use crate::frame::RawFrame;
use crate::{ImageDescription, PhotometricInterpretation};

pub(crate) const CODEC: &str = "JPEG";

/// What the markers before the first scan say.
#[derive(Debug, Clone, Default)]
pub(crate) struct JpegHeader {
    pub sof: u8,
    pub precision: u8,
    pub height: u16,
    pub width: u16,
    pub component_ids: Vec<u8>,
    pub jfif: bool,
    /// Adobe APP14 transform flag (0 = none, 1 = YCbCr, 2 = YCCK).
    pub adobe_transform: Option<u8>,
}

impl JpegHeader {
    pub fn arithmetic(&self) -> bool {
        self.sof >= 0xC9
    }
}

/// Reads the markers up to the frame header.
pub(crate) fn parse_header(data: &[u8]) -> Result<JpegHeader, String> {
    if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
        return Err("the frame does not start with a JPEG SOI marker".into());
    }
    let mut h = JpegHeader::default();
    let mut pos = 2;
    loop {
        // Skip fill bytes.
        while pos < data.len() && data[pos] == 0xFF && data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        if pos + 4 > data.len() {
            return Err("the stream ends before a frame header".into());
        }
        if data[pos] != 0xFF {
            return Err(format!("expected a marker at byte {pos}"));
        }
        let marker = data[pos + 1];
        let len = usize::from(u16::from_be_bytes([data[pos + 2], data[pos + 3]]));
        if len < 2 || pos + 2 + len > data.len() {
            return Err(format!("marker FF{marker:02X} has an invalid length {len}"));
        }
        let seg = &data[pos + 4..pos + 2 + len];
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if seg.len() < 6 {
                    return Err("short frame header".into());
                }
                h.sof = marker;
                h.precision = seg[0];
                h.height = u16::from_be_bytes([seg[1], seg[2]]);
                h.width = u16::from_be_bytes([seg[3], seg[4]]);
                let n = usize::from(seg[5]);
                if seg.len() < 6 + 3 * n {
                    return Err("short frame header".into());
                }
                h.component_ids = (0..n).map(|i| seg[6 + 3 * i]).collect();
                return Ok(h);
            }
            0xE0 if seg.starts_with(b"JFIF\0") => h.jfif = true,
            0xEE if seg.starts_with(b"Adobe") && seg.len() >= 12 => {
                h.adobe_transform = Some(seg[11])
            }
            _ => {}
        }
        pos += 2 + len;
    }
}

/// Whether a 3-component lossy stream holds YCbCr: the stream's own signals first
/// (component identifiers R G B, Adobe APP14, JFIF), then the Photometric Interpretation.
pub(crate) fn stream_is_ycbcr(h: &JpegHeader, pi: &PhotometricInterpretation) -> bool {
    if matches!(
        h.component_ids.as_slice(),
        [b'R', b'G', b'B'] | [b'r', b'g', b'b']
    ) {
        return false;
    }
    if let Some(t) = h.adobe_transform {
        return t != 0;
    }
    if h.jfif {
        return true;
    }
    pi.is_ybr()
}

/// Decodes frame `frame` (0-based, for messages) of an image described by `desc` from
/// its JPEG (ISO 10918-1) bytes into exact stored values (see [`Samples`](crate::Samples)).
///
/// The description is checked first ([`ImageDescription::check`], and integer samples); nothing is allocated
/// for a frame that the data cannot fill.
pub fn decode(data: &[u8], desc: &ImageDescription, frame: usize) -> Result<crate::Frame> {
    desc.check_compressed()?;
    crate::frame::finish(decode_raw(data, desc, frame)?, desc)
}

/// Decodes one frame into the codec's raw output.
pub(crate) fn decode_raw(data: &[u8], desc: &ImageDescription, frame: usize) -> Result<RawFrame> {
    let err = |m: String| codec_error(CODEC, frame, m);
    let header = parse_header(data).map_err(&err)?;
    if u32::from(header.width) != desc.columns || u32::from(header.height) != desc.rows {
        return Err(err(format!(
            "the stream is {} x {}, the image is {} x {}",
            header.width, header.height, desc.columns, desc.rows
        )));
    }
    let spp = desc.samples_per_pixel as usize;
    if header.component_ids.len() != spp {
        return Err(err(format!(
            "the stream has {} components, Samples per Pixel is {spp}",
            header.component_ids.len()
        )));
    }
    if header.arithmetic() {
        return Err(err("arithmetic-coded JPEG is not supported".into()));
    }
    // Before anything is allocated: the stream can plausibly fill the frame. Lossless
    // coding spends at least one bit on every sample; DCT coding at least one bit on
    // every 8 x 8 block of the first component (its DC difference).
    let lossless = matches!(header.sof, 0xC3 | 0xC7);
    let most_pixels = (data.len() as u64).saturating_mul(if lossless { 8 } else { 512 });
    if desc.pixels() > most_pixels {
        return Err(err(format!(
            "the stream holds {} bytes, too few for {} x {} x {spp} samples",
            data.len(),
            desc.columns,
            desc.rows
        )));
    }
    crate::jpeg_own::decode(data, desc, frame)
}
