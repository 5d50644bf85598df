//! This crate's own JPEG decoder (ISO/IEC 10918-1, Huffman coding): sequential DCT with 8
//! or 12-bit samples (Baseline, Extended Process 2 & 4) and lossless (Process 14, all
//! predictors, point transform, 2 to 16 bits).
//!
//! Written here because no maintained pure-Rust crate decodes 12-bit DCT JPEG, which the
//! browser build needs too, and because lossless colour must come out without any colour
//! transform. The inverse DCT is the accurate integer algorithm of the IJG libjpeg
//! (`jpeg_idct_islow`), and chroma is upsampled with libjpeg's "fancy" triangle filter,
//! so results follow the reference implementations DICOM toolkits are built on.

use crate::error::{Result, codec_error};
use crate::frame::RawFrame;
use crate::jpeg::{CODEC, JpegHeader, stream_is_ycbcr};
use crate::{ImageDescription, PhotometricInterpretation};

mod huffman;
mod idct;
mod lossless;
mod planes;
mod progressive;
mod sequential;

use huffman::Huffman;
use lossless::decode_lossless_scan;
use planes::Planes;
use progressive::{Coefficients, decode_progressive_scan};
use sequential::decode_dct_scan;

#[rustfmt::skip]
const ZIGZAG: [usize; 64] = [
     0,  1,  8, 16,  9,  2,  3, 10,
    17, 24, 32, 25, 18, 11,  4,  5,
    12, 19, 26, 33, 40, 48, 41, 34,
    27, 20, 13,  6,  7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36,
    29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46,
    53, 60, 61, 54, 47, 55, 62, 63,
];

#[derive(Clone, Debug)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    tq: usize,
}

struct Decoder<'a> {
    data: &'a [u8],
    qt: [[u16; 64]; 4],
    dc: [Option<Huffman>; 4],
    ac: [Option<Huffman>; 4],
    restart_interval: usize,
    precision: u32,
    width: usize,
    height: usize,
    components: Vec<Component>,
    lossless: bool,
    progressive: bool,
}

fn be16(d: &[u8], p: usize) -> usize {
    usize::from(u16::from_be_bytes([d[p], d[p + 1]]))
}

struct Scan {
    comps: Vec<usize>,
    td: Vec<usize>,
    ta: Vec<usize>,
    ss: u8,
    se: u8,
    /// Successive approximation high bit (Ah) and low bit (Al).
    al_high: u8,
    al: u8,
    /// Offset of the entropy-coded data.
    start: usize,
}

impl<'a> Decoder<'a> {
    fn new(data: &'a [u8]) -> Self {
        Decoder {
            data,
            qt: [[0; 64]; 4],
            dc: [None, None, None, None],
            ac: [None, None, None, None],
            restart_interval: 0,
            precision: 8,
            width: 0,
            height: 0,
            components: Vec::new(),
            lossless: false,
            progressive: false,
        }
    }

    /// Reads marker segments from `pos` up to a scan header; returns the scan, or None at EOI.
    fn next_scan(&mut self, mut pos: usize) -> Result<Option<Scan>, String> {
        let d = self.data;
        loop {
            while pos < d.len() && d[pos] != 0xFF {
                pos += 1;
            }
            while pos + 1 < d.len() && d[pos + 1] == 0xFF {
                pos += 1;
            }
            if pos + 1 >= d.len() {
                return Ok(None);
            }
            let marker = d[pos + 1];
            pos += 2;
            match marker {
                0xD8 | 0x01 | 0xD0..=0xD7 => continue,
                0xD9 => return Ok(None),
                _ => {}
            }
            if pos + 2 > d.len() {
                return Err("truncated marker segment".into());
            }
            let len = be16(d, pos);
            if len < 2 || pos + len > d.len() {
                return Err(format!("marker FF{marker:02X} has an invalid length"));
            }
            let seg = &d[pos + 2..pos + len];
            match marker {
                0xDB => self.read_dqt(seg)?,
                0xC4 => self.read_dht(seg)?,
                0xDD => {
                    if seg.len() < 2 {
                        return Err("short DRI".into());
                    }
                    self.restart_interval = be16(seg, 0);
                }
                0xC0 | 0xC1 | 0xC3 => self.read_sof(seg, marker == 0xC3)?,
                0xC2 => {
                    self.read_sof(seg, false)?;
                    self.progressive = true;
                }
                0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                    return Err(format!(
                        "JPEG process with SOF FF{marker:02X} is not supported here"
                    ));
                }
                0xDA => {
                    let scan = self.read_sos(seg, pos + len)?;
                    return Ok(Some(scan));
                }
                _ => {}
            }
            pos += len;
        }
    }

    fn read_dqt(&mut self, mut seg: &[u8]) -> Result<(), String> {
        while !seg.is_empty() {
            let pq = seg[0] >> 4;
            let tq = usize::from(seg[0] & 15);
            if tq > 3 {
                return Err("invalid quantisation table id".into());
            }
            let n = if pq == 0 { 64 } else { 128 };
            if seg.len() < 1 + n {
                return Err("short DQT".into());
            }
            for i in 0..64 {
                let v = if pq == 0 {
                    u16::from(seg[1 + i])
                } else {
                    u16::from_be_bytes([seg[1 + 2 * i], seg[2 + 2 * i]])
                };
                self.qt[tq][ZIGZAG[i]] = v;
            }
            seg = &seg[1 + n..];
        }
        Ok(())
    }

    fn read_dht(&mut self, mut seg: &[u8]) -> Result<(), String> {
        while !seg.is_empty() {
            if seg.len() < 17 {
                return Err("short DHT".into());
            }
            let class = seg[0] >> 4;
            let id = usize::from(seg[0] & 15);
            if id > 3 {
                return Err("invalid Huffman table id".into());
            }
            let mut counts = [0u8; 16];
            counts.copy_from_slice(&seg[1..17]);
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            if seg.len() < 17 + total {
                return Err("short DHT".into());
            }
            let table = Huffman::new(&counts, &seg[17..17 + total])?;
            if class == 0 {
                self.dc[id] = Some(table);
            } else {
                self.ac[id] = Some(table);
            }
            seg = &seg[17 + total..];
        }
        Ok(())
    }

    fn read_sof(&mut self, seg: &[u8], lossless: bool) -> Result<(), String> {
        if !self.components.is_empty() {
            // Hierarchical streams (several frames) are not supported; a second frame
            // header would resize the image under planes already allocated.
            return Err("a second frame header (SOF)".into());
        }
        if seg.len() < 6 {
            return Err("short SOF".into());
        }
        self.lossless = lossless;
        self.precision = u32::from(seg[0]);
        self.height = be16(seg, 1);
        self.width = be16(seg, 3);
        let n = usize::from(seg[5]);
        if seg.len() < 6 + 3 * n || n == 0 || n > 4 {
            return Err("invalid frame header".into());
        }
        if self.height == 0 {
            return Err("DNL (height defined after the scan) is not supported".into());
        }
        let valid_precision = if lossless {
            (2..=16).contains(&self.precision)
        } else {
            self.precision == 8 || self.precision == 12
        };
        if !valid_precision {
            return Err(format!(
                "sample precision {} is not valid for this process",
                self.precision
            ));
        }
        self.components = (0..n)
            .map(|i| {
                let b = &seg[6 + 3 * i..];
                Component {
                    id: b[0],
                    h: usize::from(b[1] >> 4).max(1),
                    v: usize::from(b[1] & 15).max(1),
                    tq: usize::from(b[2] & 3),
                }
            })
            .collect();
        if self.components.iter().any(|c| c.h > 4 || c.v > 4) {
            return Err("invalid sampling factors".into());
        }
        // As libjpeg: each component's sampling divides the largest one (no fractional
        // upsampling).
        let hmax = self.components.iter().map(|c| c.h).max().unwrap_or(1);
        let vmax = self.components.iter().map(|c| c.v).max().unwrap_or(1);
        if self
            .components
            .iter()
            .any(|c| hmax % c.h != 0 || vmax % c.v != 0)
        {
            return Err("fractional sampling factors are not supported".into());
        }
        Ok(())
    }

    fn read_sos(&self, seg: &[u8], start: usize) -> Result<Scan, String> {
        let ns = usize::from(*seg.first().ok_or("short SOS")?);
        if ns == 0 || ns > 4 || seg.len() < 1 + 2 * ns + 3 {
            return Err("invalid scan header".into());
        }
        let mut comps = Vec::new();
        let mut td = Vec::new();
        let mut ta = Vec::new();
        for i in 0..ns {
            let id = seg[1 + 2 * i];
            let c = self
                .components
                .iter()
                .position(|c| c.id == id)
                .ok_or_else(|| format!("scan names unknown component {id}"))?;
            comps.push(c);
            td.push(usize::from(seg[2 + 2 * i] >> 4) & 3);
            ta.push(usize::from(seg[2 + 2 * i] & 15) & 3);
        }
        let p = 1 + 2 * ns;
        Ok(Scan {
            comps,
            td,
            ta,
            ss: seg[p],
            se: seg[p + 1],
            al_high: seg[p + 2] >> 4,
            al: seg[p + 2] & 15,
            start,
        })
    }
}

/// Decodes one JPEG frame with this decoder.
pub(crate) fn decode(data: &[u8], desc: &ImageDescription, frame: usize) -> Result<RawFrame> {
    decode_inner(data, desc).map_err(|m| codec_error(CODEC, frame, m))
}

fn decode_inner(data: &[u8], desc: &ImageDescription) -> Result<RawFrame, String> {
    let header: JpegHeader = crate::jpeg::parse_header(data)?;
    let mut dec = Decoder::new(data);
    let mut planes: Option<Planes> = None;
    let mut coefficients: Option<Coefficients> = None;
    let mut pos = 2;
    while let Some(scan) = dec.next_scan(pos)? {
        if planes.is_none() {
            // Nothing is allocated for a frame header that disagrees with the data set.
            let spp = dec.components.len();
            if dec.width != desc.columns as usize
                || dec.height != desc.rows as usize
                || spp != desc.samples_per_pixel as usize
            {
                return Err(format!(
                    "the stream is {} x {} x {spp}, the image is {} x {} x {}",
                    dec.width, dec.height, desc.columns, desc.rows, desc.samples_per_pixel
                ));
            }
        }
        let p = planes.get_or_insert_with(|| Planes::new(&dec));
        pos = if dec.lossless {
            decode_lossless_scan(&dec, &scan, p)?
        } else if dec.progressive {
            let c = coefficients.get_or_insert_with(|| Coefficients::new(p));
            decode_progressive_scan(&dec, &scan, p, c)?
        } else {
            decode_dct_scan(&dec, &scan, p)?
        };
    }
    let mut planes = planes.ok_or("no scan in the stream")?;
    if let Some(c) = coefficients {
        c.into_planes(&dec, &mut planes);
    }
    let spp = dec.components.len();
    if dec.width != desc.columns as usize
        || dec.height != desc.rows as usize
        || spp != desc.samples_per_pixel as usize
    {
        return Err(format!(
            "the stream is {} x {} x {spp}, the image is {} x {} x {}",
            dec.width, dec.height, desc.columns, desc.rows, desc.samples_per_pixel
        ));
    }
    let samples = planes.finish(&dec);
    let ybr = if spp == 3 {
        if dec.lossless {
            crate::frame::declared_ybr(desc)
        } else {
            stream_is_ycbcr(&header, &desc.photometric_interpretation)
                .then_some(PhotometricInterpretation::YbrFull)
        }
    } else {
        None
    };
    Ok(RawFrame {
        samples,
        components: spp,
        ybr,
    })
}

fn table<'t>(t: &'t [Option<Huffman>; 4], id: usize, kind: &str) -> Result<&'t Huffman, String> {
    t[id]
        .as_ref()
        .ok_or_else(|| format!("scan uses undefined {kind} Huffman table {id}"))
}

fn end_of_scan(data: &[u8], pos: usize, marker: Option<u8>) -> usize {
    if marker.is_some() {
        return pos.saturating_sub(2);
    }
    let mut p = pos.min(data.len());
    while p + 1 < data.len()
        && !(data[p] == 0xFF && data[p + 1] != 0 && !(0xD0..=0xD7).contains(&data[p + 1]))
    {
        p += 1;
    }
    p
}
