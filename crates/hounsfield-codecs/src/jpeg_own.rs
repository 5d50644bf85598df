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
use crate::{ImageDescription, PhotometricInterpretation, Samples};

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

/// A Huffman table prepared for decoding (ISO 10918-1 F.2.2.3), with a 9-bit lookahead.
#[derive(Clone)]
struct Huffman {
    /// For each 9-bit prefix: (code length, value), length 0 when longer than 9 bits.
    fast: Vec<(u8, u8)>,
    maxcode: [i32; 18],
    valptr: [i32; 17],
    mincode: [i32; 17],
    values: Vec<u8>,
}

const FAST_BITS: u32 = 9;

impl Huffman {
    fn new(counts: &[u8; 16], values: &[u8]) -> Result<Huffman, String> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 || total > values.len() {
            return Err("invalid Huffman table".into());
        }
        let mut maxcode = [-1i32; 18];
        let mut valptr = [0i32; 17];
        let mut mincode = [0i32; 17];
        let mut fast = vec![(0u8, 0u8); 1 << FAST_BITS];
        let mut code = 0i32;
        let mut k = 0usize;
        for len in 1..=16usize {
            let n = usize::from(counts[len - 1]);
            valptr[len] = k as i32;
            mincode[len] = code;
            for _ in 0..n {
                if len as u32 <= FAST_BITS {
                    let shift = FAST_BITS - len as u32;
                    let base = (code as usize) << shift;
                    for j in 0..(1usize << shift) {
                        if let Some(e) = fast.get_mut(base + j) {
                            *e = (len as u8, values[k]);
                        }
                    }
                }
                code += 1;
                k += 1;
            }
            maxcode[len] = if n > 0 { code - 1 } else { -1 };
            if code > (1 << len) {
                return Err("over-subscribed Huffman table".into());
            }
            code <<= 1;
        }
        maxcode[17] = i32::MAX;
        Ok(Huffman {
            fast,
            maxcode,
            valptr,
            mincode,
            values: values[..total].to_vec(),
        })
    }
}

/// Reads entropy-coded bits, removing stuffed zero bytes and stopping at markers.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    nbits: u32,
    /// A marker met inside the entropy-coded data (RSTn, EOI, ...).
    marker: Option<u8>,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Bits {
            data,
            pos,
            acc: 0,
            nbits: 0,
            marker: None,
        }
    }

    #[inline]
    fn refill(&mut self) {
        while self.nbits <= 56 {
            let byte = if self.marker.is_some() || self.pos >= self.data.len() {
                0
            } else {
                let b = self.data[self.pos];
                if b == 0xFF {
                    let next = self.data.get(self.pos + 1).copied().unwrap_or(0xD9);
                    if next == 0x00 {
                        self.pos += 2;
                        0xFF
                    } else if next == 0xFF {
                        // Fill byte before a marker.
                        self.pos += 1;
                        continue;
                    } else {
                        self.marker = Some(next);
                        self.pos += 2;
                        0
                    }
                } else {
                    self.pos += 1;
                    b
                }
            };
            self.acc |= u64::from(byte) << (56 - self.nbits);
            self.nbits += 8;
        }
    }

    #[inline]
    fn peek(&mut self, n: u32) -> u32 {
        if self.nbits < n {
            self.refill();
        }
        (self.acc >> (64 - n)) as u32
    }

    #[inline]
    fn skip(&mut self, n: u32) {
        self.acc <<= n;
        self.nbits -= n;
    }

    #[inline]
    fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.peek(n);
        self.skip(n);
        v
    }

    #[inline]
    fn decode(&mut self, h: &Huffman) -> Result<u8, String> {
        let p = self.peek(16);
        let (len, val) = h.fast[(p >> (16 - FAST_BITS)) as usize];
        if len > 0 {
            self.skip(u32::from(len));
            return Ok(val);
        }
        let mut len = FAST_BITS as usize + 1;
        while len <= 16 {
            let code = (p >> (16 - len)) as i32;
            if code <= h.maxcode[len] {
                self.skip(len as u32);
                let idx = h.valptr[len] + code - h.mincode[len];
                return h
                    .values
                    .get(idx as usize)
                    .copied()
                    .ok_or_else(|| "bad Huffman code".to_string());
            }
            len += 1;
        }
        Err("corrupt entropy-coded data (no Huffman code matches)".into())
    }

    /// A magnitude category's extra bits, sign-extended (ISO 10918-1 F.2.2.1, EXTEND).
    #[inline]
    fn receive_extend(&mut self, s: u8) -> i32 {
        if s == 0 {
            return 0;
        }
        let s = u32::from(s.min(16));
        let v = self.bits(s) as i32;
        if v < (1 << (s - 1)) {
            v - (1 << s) + 1
        } else {
            v
        }
    }

    /// Consumes a RSTn marker at a restart boundary; returns the offset to resume at.
    fn restart(&mut self) -> Result<usize, String> {
        // Discard buffered bits; find the marker if it was not reached yet.
        if self.marker.is_none() {
            let mut p = self.pos;
            while p + 1 < self.data.len()
                && !(self.data[p] == 0xFF && (0xD0..=0xD7).contains(&self.data[p + 1]))
            {
                p += 1;
            }
            if p + 1 >= self.data.len() {
                return Err("restart marker missing".into());
            }
            self.pos = p + 2;
        } else if !matches!(self.marker, Some(0xD0..=0xD7)) {
            return Err("restart marker missing".into());
        }
        self.marker = None;
        self.acc = 0;
        self.nbits = 0;
        Ok(self.pos)
    }
}

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

/// Decoded component planes, each padded to whole blocks (DCT) or exact (lossless).
struct Planes {
    /// Per component: width, height (in samples, padded), samples.
    planes: Vec<(usize, usize, Vec<i32>)>,
    hmax: usize,
    vmax: usize,
}

impl Planes {
    fn new(dec: &Decoder) -> Planes {
        let hmax = dec.components.iter().map(|c| c.h).max().unwrap_or(1);
        let vmax = dec.components.iter().map(|c| c.v).max().unwrap_or(1);
        let (mcux, mcuy) = if dec.lossless {
            (hmax, vmax)
        } else {
            (8 * hmax, 8 * vmax)
        };
        let mcus_x = dec.width.div_ceil(mcux);
        let mcus_y = dec.height.div_ceil(mcuy);
        let planes = dec
            .components
            .iter()
            .map(|c| {
                let unit = if dec.lossless { 1 } else { 8 };
                let w = mcus_x * c.h * unit;
                let h = mcus_y * c.v * unit;
                (w, h, vec![0i32; w * h])
            })
            .collect();
        Planes { planes, hmax, vmax }
    }

    /// Crops, upsamples and interleaves into the output lane.
    fn finish(&self, dec: &Decoder) -> Samples {
        if dec.precision <= 8 {
            Samples::U8(self.interleave(dec, |v| v as u8))
        } else {
            Samples::U16(self.interleave(dec, |v| v as u16))
        }
    }

    fn interleave<T: Copy + Default>(
        &self,
        dec: &Decoder,
        cast: impl Fn(i32) -> T + Copy,
    ) -> Vec<T> {
        let (w, h) = (dec.width, dec.height);
        let n = self.planes.len();
        let mut out = vec![T::default(); w * h * n];
        for (k, (c, (pw, _, plane))) in dec.components.iter().zip(&self.planes).enumerate() {
            // The component's own size (ISO 10918-1 A.1.1).
            let cw = (w * c.h).div_ceil(self.hmax);
            let ch = (h * c.v).div_ceil(self.vmax);
            let src = Plane {
                data: plane,
                stride: *pw,
                w: cw,
                h: ch,
            };
            upsample(
                &src,
                self.hmax / c.h,
                self.vmax / c.v,
                w,
                h,
                &mut out,
                n,
                k,
                cast,
            );
        }
        out
    }
}

struct Plane<'p> {
    data: &'p [i32],
    stride: usize,
    w: usize,
    h: usize,
}

impl Plane<'_> {
    fn row(&self, y: usize) -> &[i32] {
        let y = y.min(self.h - 1);
        &self.data[y * self.stride..y * self.stride + self.w]
    }
}

/// Upsamples a component to the image size into every `n`-th sample of `out` from
/// `k`: libjpeg's triangle ("fancy") filter for 2:1 factors, replication otherwise.
#[allow(clippy::too_many_arguments)]
fn upsample<T: Copy>(
    p: &Plane,
    fx: usize,
    fy: usize,
    w: usize,
    h: usize,
    out: &mut [T],
    n: usize,
    k: usize,
    cast: impl Fn(i32) -> T,
) {
    let mut line = vec![0i32; w];
    for y in 0..h {
        match (fx, fy) {
            (1, 1) => line.copy_from_slice(&p.row(y)[..w]),
            (2, 1) if p.w > 1 => h2(
                p.row(y),
                &mut line,
                |a, b, bias| (3 * a + b + bias) >> 2,
                1,
                2,
            ),
            (2, 2) if p.w > 1 => {
                let j = y / 2;
                // Vertical neighbour: the row above for even output rows, below for odd.
                let other = if y % 2 == 0 {
                    p.row(j.saturating_sub(1))
                } else {
                    p.row(j + 1)
                };
                let sums: Vec<i32> = p
                    .row(j)
                    .iter()
                    .zip(other)
                    .map(|(&a, &b)| 3 * a + b)
                    .collect();
                h2(&sums, &mut line, |a, b, bias| (3 * a + b + bias) >> 4, 8, 7);
            }
            (1, 2) => {
                let j = y / 2;
                let (other, bias) = if y % 2 == 0 {
                    (p.row(j.saturating_sub(1)), 1)
                } else {
                    (p.row(j + 1), 2)
                };
                for ((o, &a), &b) in line.iter_mut().zip(p.row(j)).zip(other) {
                    *o = (3 * a + b + bias) >> 2;
                }
            }
            _ => {
                let r = p.row(y / fy);
                for (x, o) in line.iter_mut().enumerate() {
                    *o = r[(x / fx).min(p.w - 1)];
                }
            }
        }
        for (x, &v) in line.iter().enumerate() {
            out[(y * w + x) * n + k] = cast(v);
        }
    }
}

/// Horizontal 2:1 triangle upsampling of `src` into `dst` (cropped to its length):
/// even outputs weigh the left neighbour, odd outputs the right one; the first and last
/// outputs copy the edge sample.
fn h2(
    src: &[i32],
    dst: &mut [i32],
    f: impl Fn(i32, i32, i32) -> i32,
    bias_even: i32,
    bias_odd: i32,
) {
    let m = src.len();
    for (x, o) in dst.iter_mut().enumerate() {
        let i = x / 2;
        *o = if x % 2 == 0 {
            if i == 0 {
                f(src[0], src[0], bias_even)
            } else {
                f(src[i], src[i - 1], bias_even)
            }
        } else if i + 1 >= m {
            f(src[i.min(m - 1)], src[i.min(m - 1)], bias_odd)
        } else {
            f(src[i], src[i + 1], bias_odd)
        };
    }
}

fn table<'t>(t: &'t [Option<Huffman>; 4], id: usize, kind: &str) -> Result<&'t Huffman, String> {
    t[id]
        .as_ref()
        .ok_or_else(|| format!("scan uses undefined {kind} Huffman table {id}"))
}

/// Decodes a sequential DCT scan into the planes; returns the offset after the scan data.
fn decode_dct_scan(dec: &Decoder, scan: &Scan, planes: &mut Planes) -> Result<usize, String> {
    // Sequential frames code whole blocks whatever the scan's spectral selection says;
    // IJG libjpeg warns about such headers (JWRN_NOT_SEQUENTIAL) and decodes the same way.
    let _ = (scan.ss, scan.se);
    let mut bits = Bits::new(dec.data, scan.start);
    let dcs: Vec<&Huffman> = scan
        .td
        .iter()
        .map(|&t| table(&dec.dc, t, "DC"))
        .collect::<Result<_, _>>()?;
    let acs: Vec<&Huffman> = scan
        .ta
        .iter()
        .map(|&t| table(&dec.ac, t, "AC"))
        .collect::<Result<_, _>>()?;
    let mut pred = vec![0i32; scan.comps.len()];
    let single = scan.comps.len() == 1;
    // Blocks per MCU and MCU grid.
    let (mcus_x, mcus_y) = if single {
        let c = &dec.components[scan.comps[0]];
        let cw = (dec.width * c.h).div_ceil(planes.hmax);
        let ch = (dec.height * c.v).div_ceil(planes.vmax);
        (cw.div_ceil(8), ch.div_ceil(8))
    } else {
        (
            dec.width.div_ceil(8 * planes.hmax),
            dec.height.div_ceil(8 * planes.vmax),
        )
    };
    let level_shift = 1i32 << (dec.precision - 1);
    let maxval = (1i32 << dec.precision) - 1;
    let pass1_bits = if dec.precision == 8 { 2 } else { 1 };
    let mut coef = [0i32; 64];
    let mut todo = dec.restart_interval;
    for my in 0..mcus_y {
        for mx in 0..mcus_x {
            if dec.restart_interval > 0 {
                if todo == 0 {
                    bits.restart()?;
                    pred.iter_mut().for_each(|p| *p = 0);
                    todo = dec.restart_interval;
                }
                todo -= 1;
            }
            for (k, &ci) in scan.comps.iter().enumerate() {
                let c = &dec.components[ci];
                let q = &dec.qt[c.tq];
                let (bh, bv) = if single { (1, 1) } else { (c.h, c.v) };
                for by in 0..bv {
                    for bx in 0..bh {
                        coef.fill(0);
                        let s = bits.decode(dcs[k])?;
                        if s > 16 {
                            return Err("invalid DC magnitude category".into());
                        }
                        // As libjpeg: the predictor an int, the coefficient a JCOEF (i16),
                        // so hostile streams wrap instead of overflowing.
                        pred[k] = pred[k].wrapping_add(bits.receive_extend(s));
                        coef[0] = i32::from(pred[k] as i16) * i32::from(q[0]);
                        let mut i = 1;
                        while i < 64 {
                            let rs = bits.decode(acs[k])?;
                            let (r, s) = (usize::from(rs >> 4), rs & 15);
                            if s == 0 {
                                if r != 15 {
                                    break;
                                }
                                i += 16;
                                continue;
                            }
                            i += r;
                            if i > 63 {
                                return Err("AC coefficient index beyond 63".into());
                            }
                            let z = ZIGZAG[i];
                            coef[z] = bits.receive_extend(s) * i32::from(q[z]);
                            i += 1;
                        }
                        let (pw, _, plane) = &mut planes.planes[ci];
                        let x0 = if single { mx * 8 } else { (mx * c.h + bx) * 8 };
                        let y0 = if single { my * 8 } else { (my * c.v + by) * 8 };
                        let pw = *pw;
                        if y0 + 8 <= plane.len() / pw && x0 + 8 <= pw {
                            idct_islow(
                                &coef,
                                &mut plane[y0 * pw + x0..],
                                pw,
                                pass1_bits,
                                level_shift,
                                maxval,
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(end_of_scan(dec.data, bits.pos, bits.marker))
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

/// Quantised coefficients of every block, kept across the scans of a progressive frame
/// (ISO 10918-1 Annex G); one array of 64 per block, in natural order.
struct Coefficients {
    /// Per component: blocks across, blocks down, coefficients.
    comps: Vec<(usize, usize, Vec<i32>)>,
}

impl Coefficients {
    fn new(planes: &Planes) -> Self {
        Coefficients {
            comps: planes
                .planes
                .iter()
                .map(|(w, h, _)| (w / 8, h / 8, vec![0i32; w * h]))
                .collect(),
        }
    }

    /// Dequantises and transforms every block into the planes.
    fn into_planes(self, dec: &Decoder, planes: &mut Planes) {
        let level_shift = 1i32 << (dec.precision - 1);
        let maxval = (1i32 << dec.precision) - 1;
        let pass1_bits = if dec.precision == 8 { 2 } else { 1 };
        let mut coef = [0i32; 64];
        for ((c, (bw, bh, data)), (pw, _, plane)) in dec
            .components
            .iter()
            .zip(self.comps)
            .zip(planes.planes.iter_mut())
        {
            let q = &dec.qt[c.tq];
            for by in 0..bh {
                for bx in 0..bw {
                    let block = &data[(by * bw + bx) * 64..][..64];
                    for i in 0..64 {
                        coef[i] = i32::from(block[i] as i16) * i32::from(q[i]);
                    }
                    idct_islow(
                        &coef,
                        &mut plane[by * 8 * *pw + bx * 8..],
                        *pw,
                        pass1_bits,
                        level_shift,
                        maxval,
                    );
                }
            }
        }
    }
}

/// Decodes one scan of a progressive frame into the coefficients (G.1.2): DC first and
/// refinement scans (interleaved or not), AC first and refinement scans (one component),
/// with end-of-band runs. Returns the offset after the scan data.
fn decode_progressive_scan(
    dec: &Decoder,
    scan: &Scan,
    planes: &Planes,
    coefs: &mut Coefficients,
) -> Result<usize, String> {
    let (ss, se) = (usize::from(scan.ss), usize::from(scan.se));
    let ah = scan.al_high;
    let al = u32::from(scan.al);
    if ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && scan.comps.len() != 1) {
        return Err("invalid progressive scan parameters".into());
    }
    let mut bits = Bits::new(dec.data, scan.start);
    let dc_first = ss == 0 && ah == 0;
    let dcs: Vec<Option<&Huffman>> = scan
        .td
        .iter()
        .map(|&t| {
            if dc_first {
                table(&dec.dc, t, "DC").map(Some)
            } else {
                Ok(None)
            }
        })
        .collect::<Result<_, _>>()?;
    let acs: Vec<Option<&Huffman>> = scan
        .ta
        .iter()
        .map(|&t| {
            if ss > 0 {
                table(&dec.ac, t, "AC").map(Some)
            } else {
                Ok(None)
            }
        })
        .collect::<Result<_, _>>()?;
    let single = scan.comps.len() == 1;
    let (mcus_x, mcus_y) = if single {
        let c = &dec.components[scan.comps[0]];
        let cw = (dec.width * c.h).div_ceil(planes.hmax);
        let ch = (dec.height * c.v).div_ceil(planes.vmax);
        (cw.div_ceil(8), ch.div_ceil(8))
    } else {
        (
            dec.width.div_ceil(8 * planes.hmax),
            dec.height.div_ceil(8 * planes.vmax),
        )
    };
    let mut pred = vec![0i32; scan.comps.len()];
    let mut eobrun = 0u32;
    let mut todo = dec.restart_interval;
    let (p1, m1) = (1i32 << al, -1i32 << al);
    for my in 0..mcus_y {
        for mx in 0..mcus_x {
            if dec.restart_interval > 0 {
                if todo == 0 {
                    bits.restart()?;
                    pred.iter_mut().for_each(|p| *p = 0);
                    eobrun = 0;
                    todo = dec.restart_interval;
                }
                todo -= 1;
            }
            for (k, &ci) in scan.comps.iter().enumerate() {
                let c = &dec.components[ci];
                let (bh, bv) = if single { (1, 1) } else { (c.h, c.v) };
                for by in 0..bv {
                    for bx in 0..bh {
                        let (bw, bhh, data) = &mut coefs.comps[ci];
                        let (x, y) = if single {
                            (mx, my)
                        } else {
                            (mx * c.h + bx, my * c.v + by)
                        };
                        if x >= *bw || y >= *bhh {
                            continue;
                        }
                        let block = &mut data[(y * *bw + x) * 64..][..64];
                        if ss == 0 {
                            if let Some(dc) = dcs[k] {
                                let s = bits.decode(dc)?;
                                if s > 16 {
                                    return Err("invalid DC magnitude category".into());
                                }
                                pred[k] = pred[k].wrapping_add(bits.receive_extend(s));
                                block[0] = i32::from((pred[k] << al) as i16);
                            } else if bits.bits(1) == 1 {
                                block[0] |= p1;
                            }
                            continue;
                        }
                        let ac = acs[k].ok_or("missing AC table")?;
                        if ah == 0 {
                            // AC first scan.
                            if eobrun > 0 {
                                eobrun -= 1;
                                continue;
                            }
                            let mut i = ss;
                            while i <= se {
                                let rs = bits.decode(ac)?;
                                let (r, s) = (u32::from(rs >> 4), rs & 15);
                                if s != 0 {
                                    i += r as usize;
                                    if i > 63 {
                                        return Err("AC coefficient index beyond 63".into());
                                    }
                                    block[ZIGZAG[i]] =
                                        i32::from((bits.receive_extend(s) << al) as i16);
                                } else if r == 15 {
                                    i += 15;
                                } else {
                                    eobrun = (1 << r) + bits.bits(r) - 1;
                                    break;
                                }
                                i += 1;
                            }
                            continue;
                        }
                        // AC refinement scan (libjpeg's decode_mcu_AC_refine).
                        let mut i = ss;
                        if eobrun == 0 {
                            while i <= se {
                                let rs = bits.decode(ac)?;
                                let mut r = i32::from(rs >> 4);
                                let mut s = 0i32;
                                if rs & 15 != 0 {
                                    s = if bits.bits(1) == 1 { p1 } else { m1 };
                                } else if r != 15 {
                                    eobrun = (1 << r) + bits.bits(r as u32);
                                    break;
                                }
                                while i <= se {
                                    let z = ZIGZAG[i];
                                    if block[z] != 0 {
                                        if bits.bits(1) == 1 && block[z] & p1 == 0 {
                                            block[z] += if block[z] >= 0 { p1 } else { m1 };
                                        }
                                    } else {
                                        r -= 1;
                                        if r < 0 {
                                            break;
                                        }
                                    }
                                    i += 1;
                                }
                                if s != 0 && i <= 63 {
                                    block[ZIGZAG[i]] = s;
                                }
                                i += 1;
                            }
                        }
                        if eobrun > 0 {
                            while i <= se {
                                let z = ZIGZAG[i];
                                if block[z] != 0 && bits.bits(1) == 1 && block[z] & p1 == 0 {
                                    block[z] += if block[z] >= 0 { p1 } else { m1 };
                                }
                                i += 1;
                            }
                            eobrun -= 1;
                        }
                    }
                }
            }
        }
    }
    Ok(end_of_scan(dec.data, bits.pos, bits.marker))
}

const CONST_BITS: i32 = 13;

/// The IJG accurate integer inverse DCT (`jpeg_idct_islow`), writing level-shifted,
/// clamped samples to `out` with the given row stride.
fn idct_islow(
    coef: &[i32; 64],
    out: &mut [i32],
    stride: usize,
    pass1_bits: i32,
    shift: i32,
    maxval: i32,
) {
    const F0_298: i64 = 2446;
    const F0_390: i64 = 3196;
    const F0_541: i64 = 4433;
    const F0_765: i64 = 6270;
    const F0_899: i64 = 7373;
    const F1_175: i64 = 9633;
    const F1_501: i64 = 12299;
    const F1_847: i64 = 15137;
    const F1_961: i64 = 16069;
    const F2_053: i64 = 16819;
    const F2_562: i64 = 20995;
    const F3_072: i64 = 25172;
    let descale = |x: i64, n: i32| (x + (1i64 << (n - 1))) >> n;
    let mut ws = [0i64; 64];
    // Pass 1: columns.
    for col in 0..8 {
        let c = |r: usize| i64::from(coef[r * 8 + col]);
        if (1..8).all(|r| coef[r * 8 + col] == 0) {
            let dc = c(0) << pass1_bits;
            for r in 0..8 {
                ws[r * 8 + col] = dc;
            }
            continue;
        }
        let (z2, z3) = (c(2), c(6));
        let z1 = (z2 + z3) * F0_541;
        let tmp2 = z1 + z3 * -F1_847;
        let tmp3 = z1 + z2 * F0_765;
        let (z2, z3) = (c(0), c(4));
        let tmp0 = (z2 + z3) << CONST_BITS;
        let tmp1 = (z2 - z3) << CONST_BITS;
        let (tmp10, tmp13, tmp11, tmp12) = (tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2);
        let (t0, t1, t2, t3) = odd(c(7), c(5), c(3), c(1));
        let n = CONST_BITS - pass1_bits;
        ws[col] = descale(tmp10 + t3, n);
        ws[7 * 8 + col] = descale(tmp10 - t3, n);
        ws[8 + col] = descale(tmp11 + t2, n);
        ws[6 * 8 + col] = descale(tmp11 - t2, n);
        ws[2 * 8 + col] = descale(tmp12 + t1, n);
        ws[5 * 8 + col] = descale(tmp12 - t1, n);
        ws[3 * 8 + col] = descale(tmp13 + t0, n);
        ws[4 * 8 + col] = descale(tmp13 - t0, n);
    }
    // Pass 2: rows.
    let n = CONST_BITS + pass1_bits + 3;
    let put = |v: i64| (v as i32).wrapping_add(shift).clamp(0, maxval);
    for row in 0..8 {
        let w = &ws[row * 8..row * 8 + 8];
        let o = &mut out[row * stride..row * stride + 8];
        let (z2, z3) = (w[2], w[6]);
        let z1 = (z2 + z3) * F0_541;
        let tmp2 = z1 + z3 * -F1_847;
        let tmp3 = z1 + z2 * F0_765;
        let tmp0 = (w[0] + w[4]) << CONST_BITS;
        let tmp1 = (w[0] - w[4]) << CONST_BITS;
        let (tmp10, tmp13, tmp11, tmp12) = (tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2);
        let (t0, t1, t2, t3) = odd(w[7], w[5], w[3], w[1]);
        o[0] = put(descale(tmp10 + t3, n));
        o[7] = put(descale(tmp10 - t3, n));
        o[1] = put(descale(tmp11 + t2, n));
        o[6] = put(descale(tmp11 - t2, n));
        o[2] = put(descale(tmp12 + t1, n));
        o[5] = put(descale(tmp12 - t1, n));
        o[3] = put(descale(tmp13 + t0, n));
        o[4] = put(descale(tmp13 - t0, n));
    }

    fn odd(tmp0: i64, tmp1: i64, tmp2: i64, tmp3: i64) -> (i64, i64, i64, i64) {
        let z1 = tmp0 + tmp3;
        let z2 = tmp1 + tmp2;
        let z3 = tmp0 + tmp2;
        let z4 = tmp1 + tmp3;
        let z5 = (z3 + z4) * F1_175;
        let (mut t0, mut t1, mut t2, mut t3) =
            (tmp0 * F0_298, tmp1 * F2_053, tmp2 * F3_072, tmp3 * F1_501);
        let z1 = z1 * -F0_899;
        let z2 = z2 * -F2_562;
        let z3 = z3 * -F1_961 + z5;
        let z4 = z4 * -F0_390 + z5;
        t0 += z1 + z3;
        t1 += z2 + z4;
        t2 += z2 + z3;
        t3 += z1 + z4;
        (t0, t1, t2, t3)
    }
}

/// Decodes a lossless scan (ISO 10918-1 Annex H).
fn decode_lossless_scan(dec: &Decoder, scan: &Scan, planes: &mut Planes) -> Result<usize, String> {
    let predictor = scan.ss;
    if !(0..=7).contains(&predictor) {
        return Err(format!("invalid lossless predictor {predictor}"));
    }
    let pt = u32::from(scan.al);
    if pt >= dec.precision {
        return Err("point transform exceeds the precision".into());
    }
    for &ci in &scan.comps {
        let c = &dec.components[ci];
        if c.h != 1 || c.v != 1 {
            return Err("subsampled lossless JPEG is not supported".into());
        }
    }
    let dcs: Vec<&Huffman> = scan
        .td
        .iter()
        .map(|&t| table(&dec.dc, t, "DC"))
        .collect::<Result<_, _>>()?;
    let mut bits = Bits::new(dec.data, scan.start);
    let (w, h) = (dec.width, dec.height);
    let initial = 1i32 << (dec.precision - pt - 1);
    let mask = 0xFFFF;
    let ri = dec.restart_interval;
    let mut todo = ri;
    // First row of the scan or of a restart interval predicts from the left only.
    let mut first_row_of_interval = true;
    let mut restart_pending = false;
    for y in 0..h {
        for x in 0..w {
            if ri > 0 {
                if todo == 0 {
                    bits.restart()?;
                    todo = ri;
                    restart_pending = true;
                }
                todo -= 1;
            }
            if restart_pending && x == 0 {
                first_row_of_interval = true;
                restart_pending = false;
            }
            for (k, &ci) in scan.comps.iter().enumerate() {
                let (pw, _, plane) = &mut planes.planes[ci];
                let pw = *pw;
                let s = bits.decode(dcs[k])?;
                let diff = match s {
                    0 => 0,
                    16 => 32768,
                    1..=15 => bits.receive_extend(s),
                    _ => return Err("invalid difference category".into()),
                };
                let i = y * pw + x;
                let pred = if first_row_of_interval {
                    if x == 0 { initial } else { plane[i - 1] }
                } else if x == 0 {
                    plane[i - pw]
                } else {
                    let (ra, rb, rc) = (plane[i - 1], plane[i - pw], plane[i - pw - 1]);
                    match predictor {
                        0 => 0,
                        1 => ra,
                        2 => rb,
                        3 => rc,
                        4 => ra + rb - rc,
                        5 => ra + ((rb - rc) >> 1),
                        6 => rb + ((ra - rc) >> 1),
                        _ => (ra + rb) / 2,
                    }
                };
                plane[i] = (pred + diff) & mask;
            }
        }
        first_row_of_interval = false;
    }
    if pt > 0 {
        for &ci in &scan.comps {
            for v in planes.planes[ci].2.iter_mut() {
                *v <<= pt;
            }
        }
    }
    Ok(end_of_scan(dec.data, bits.pos, bits.marker))
}
