//! JPEG-LS (ISO/IEC 14495-1 | ITU-T T.87) decoder: lossless and near-lossless, 2 to 16
//! bits, one to four components, interleave modes none, line and sample, preset coding
//! parameters (LSE), restart intervals and the HP1-HP3 colour transforms of CharLS.
//!
//! Written here because the browser build needs pure Rust and no maintained crate
//! decodes colour JPEG-LS (`pure_jpegls` handles a single component only), and because
//! the CharLS bindings are C++. Tested against pylibjpeg-libjpeg on the corpus.

use crate::error::{Result, codec_error};
use crate::frame::RawFrame;
use crate::{ImageDescription, Samples};

const CODEC: &str = "JPEG-LS";

/// Run-length order table J (ISO 14495-1 A.7.1.1).
const J: [u32; 32] = [
    0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13,
    14, 15,
];

/// Decodes frame `frame` (0-based, for messages) of an image described by `desc` from
/// its JPEG-LS bytes into exact stored values (see [`Samples`]).
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
    let expected = (
        desc.columns as usize,
        desc.rows as usize,
        desc.samples_per_pixel as usize,
    );
    let img = decode_stream(data, Some(expected)).map_err(err)?;
    let spp = desc.samples_per_pixel as usize;
    if img.width != desc.columns as usize
        || img.height != desc.rows as usize
        || img.components != spp
    {
        return Err(codec_error(
            CODEC,
            frame,
            format!(
                "the stream is {} x {} x {}, the image is {} x {} x {spp}",
                img.width, img.height, img.components, desc.columns, desc.rows
            ),
        ));
    }
    let samples = if img.precision <= 8 {
        Samples::U8(img.samples.into_iter().map(|v| v as u8).collect())
    } else {
        Samples::U16(img.samples)
    };
    Ok(RawFrame {
        samples,
        components: spp,
        ybr: crate::frame::declared_ybr(desc),
    })
}

/// A decoded JPEG-LS image: samples interleaved by pixel.
pub(crate) struct LsImage {
    pub width: usize,
    pub height: usize,
    pub components: usize,
    pub precision: u32,
    pub samples: Vec<u16>,
}

#[derive(Clone, Copy, Default)]
struct Preset {
    maxval: i32,
    t1: i32,
    t2: i32,
    t3: i32,
    reset: i32,
}

/// Decodes a whole JPEG-LS stream. With `expected` (width, height, components), a frame
/// header that disagrees is rejected before anything is allocated.
pub(crate) fn decode_stream(
    d: &[u8],
    expected: Option<(usize, usize, usize)>,
) -> Result<LsImage, String> {
    if d.len() < 4 || d[0] != 0xFF || d[1] != 0xD8 {
        return Err("the frame does not start with an SOI marker".into());
    }
    let mut pos = 2;
    let mut frame: Option<(u32, usize, usize, Vec<u8>)> = None;
    let mut preset = Preset::default();
    let mut restart = 0usize;
    let mut transform = 0u8;
    let mut out: Vec<u16> = Vec::new();
    let mut decoded = Vec::new();
    loop {
        while pos < d.len() && d[pos] != 0xFF {
            pos += 1;
        }
        while pos + 1 < d.len() && d[pos + 1] == 0xFF {
            pos += 1;
        }
        if pos + 1 >= d.len() {
            break;
        }
        let marker = d[pos + 1];
        pos += 2;
        if marker == 0xD9 {
            break;
        }
        if matches!(marker, 0xD8 | 0x01 | 0xD0..=0xD7) {
            continue;
        }
        if pos + 2 > d.len() {
            return Err("truncated marker segment".into());
        }
        let len = usize::from(u16::from_be_bytes([d[pos], d[pos + 1]]));
        if len < 2 || pos + len > d.len() {
            return Err(format!("marker FF{marker:02X} has an invalid length"));
        }
        let seg = &d[pos + 2..pos + len];
        match marker {
            0xF7 => {
                if seg.len() < 6 {
                    return Err("short SOF55".into());
                }
                let p = u32::from(seg[0]);
                let h = usize::from(u16::from_be_bytes([seg[1], seg[2]]));
                let w = usize::from(u16::from_be_bytes([seg[3], seg[4]]));
                let n = usize::from(seg[5]);
                if !(2..=16).contains(&p) || n == 0 || n > 4 || seg.len() < 6 + 3 * n {
                    return Err("invalid JPEG-LS frame header".into());
                }
                if w == 0 || h == 0 {
                    return Err(
                        "zero image dimension (LSE dimension extension not supported)".into(),
                    );
                }
                if let Some((ew, eh, en)) = expected
                    && (ew, eh, en) != (w, h, n)
                {
                    return Err(format!(
                        "the stream is {w} x {h} x {n}, the image is {ew} x {eh} x {en}"
                    ));
                }
                let ids: Vec<u8> = (0..n).map(|i| seg[6 + 3 * i]).collect();
                if (0..n).any(|i| seg[7 + 3 * i] != 0x11) {
                    return Err("subsampled JPEG-LS components are not supported".into());
                }
                out = vec![0u16; w * h * n];
                decoded = vec![false; n];
                frame = Some((p, w, h, ids));
            }
            0xF8 => {
                let id = *seg.first().ok_or("short LSE")?;
                if id != 1 {
                    return Err(format!(
                        "JPEG-LS LSE type {id} (mapping tables) is not supported"
                    ));
                }
                if seg.len() < 11 {
                    return Err("short LSE".into());
                }
                let v = |i: usize| i32::from(u16::from_be_bytes([seg[i], seg[i + 1]]));
                preset = Preset {
                    maxval: v(1),
                    t1: v(3),
                    t2: v(5),
                    t3: v(7),
                    reset: v(9),
                };
            }
            0xDD => {
                if seg.len() < 2 {
                    return Err("short DRI".into());
                }
                restart = usize::from(u16::from_be_bytes([seg[0], seg[1]]));
            }
            0xE8 if seg.len() >= 5 && &seg[..4] == b"mrfx" => transform = seg[4],
            0xDA => {
                let (p, w, h, ids) = frame.as_ref().ok_or("scan before the frame header")?;
                let ns = usize::from(*seg.first().ok_or("short SOS")?);
                if ns == 0 || seg.len() < 1 + 2 * ns + 3 {
                    return Err("invalid scan header".into());
                }
                let comps: Vec<usize> = (0..ns)
                    .map(|i| {
                        ids.iter()
                            .position(|&c| c == seg[1 + 2 * i])
                            .ok_or("scan names an unknown component")
                    })
                    .collect::<Result<_, _>>()?;
                let near = i32::from(seg[1 + 2 * ns]);
                let ilv = seg[2 + 2 * ns];
                let pt = seg[3 + 2 * ns] & 15;
                if pt != 0 {
                    return Err("JPEG-LS point transform is not supported".into());
                }
                let scan = ScanSetup {
                    params: Params::new(*p, near, &preset)?,
                    width: *w,
                    height: *h,
                    components: comps,
                    total_components: ids.len(),
                    ilv,
                    restart,
                };
                let start = pos + len;
                let end = decode_scan(d, start, &scan, &mut out)?;
                for &c in &scan.components {
                    decoded[c] = true;
                }
                pos = end;
                continue;
            }
            _ => {}
        }
        pos += len;
    }
    let (p, w, h, ids) = frame.ok_or("no JPEG-LS frame header")?;
    if decoded.iter().any(|&x| !x) {
        return Err("not every component has a scan".into());
    }
    if transform != 0 && ids.len() >= 3 {
        inverse_hp(transform, &mut out, ids.len(), p)?;
    }
    Ok(LsImage {
        width: w,
        height: h,
        components: ids.len(),
        precision: p,
        samples: out,
    })
}

/// CharLS's HP1, HP2, HP3 reversible colour transforms (signalled by an APP8 "mrfx").
fn inverse_hp(t: u8, out: &mut [u16], n: usize, precision: u32) -> Result<(), String> {
    let range = 1i32 << precision;
    let (half, quarter, mask) = (range / 2, range / 4, range - 1);
    for px in out.chunks_exact_mut(n) {
        let (v1, v2, v3) = (i32::from(px[0]), i32::from(px[1]), i32::from(px[2]));
        let (r, g, b) = match t {
            1 => (v1 + v2 - half, v2, v3 + v2 - half),
            2 => {
                let r = (v1 + v2 - half) & mask;
                (r, v2, v3 + ((r + v2) >> 1) - half)
            }
            3 => {
                let g = v1 - ((v3 + v2) >> 2) + quarter;
                (v3 + g - half, g, v2 + g - half)
            }
            _ => return Err(format!("unknown JPEG-LS colour transform {t}")),
        };
        px[0] = (r & mask) as u16;
        px[1] = (g & mask) as u16;
        px[2] = (b & mask) as u16;
    }
    Ok(())
}

/// Coding parameters of a scan (ISO 14495-1 A.2 and C.2.4.1.1).
#[derive(Clone, Copy, Debug)]
struct Params {
    maxval: i32,
    near: i32,
    t1: i32,
    t2: i32,
    t3: i32,
    reset: i32,
    range: i32,
    qbpp: u32,
    limit: u32,
}

impl Params {
    fn new(precision: u32, near: i32, preset: &Preset) -> Result<Params, String> {
        let maxval = if preset.maxval > 0 {
            preset.maxval
        } else {
            (1 << precision) - 1
        };
        if near < 0 || near > (maxval / 2).min(255) {
            return Err(format!("invalid NEAR {near}"));
        }
        let (d1, d2, d3) = default_thresholds(maxval, near);
        let t1 = if preset.t1 > 0 { preset.t1 } else { d1 };
        let t2 = if preset.t2 > 0 { preset.t2 } else { d2 };
        let t3 = if preset.t3 > 0 { preset.t3 } else { d3 };
        let reset = if preset.reset > 0 { preset.reset } else { 64 };
        let range = (maxval + 2 * near) / (2 * near + 1) + 1;
        let qbpp = bits_for(range);
        let bpp = bits_for(maxval + 1).max(2);
        let limit = 2 * (bpp + bpp.max(8));
        Ok(Params {
            maxval,
            near,
            t1,
            t2,
            t3,
            reset,
            range,
            qbpp,
            limit,
        })
    }

    #[inline]
    fn quantize(&self, d: i32) -> i32 {
        if d <= -self.t3 {
            -4
        } else if d <= -self.t2 {
            -3
        } else if d <= -self.t1 {
            -2
        } else if d < -self.near {
            -1
        } else if d <= self.near {
            0
        } else if d < self.t1 {
            1
        } else if d < self.t2 {
            2
        } else if d < self.t3 {
            3
        } else {
            4
        }
    }

    /// Rx from the prediction and the (dequantised, signed) error, with the modulo
    /// reduction undone and clamped (A.4.5 / A.6.4).
    #[inline]
    fn reconstruct(&self, px: i32, err: i32) -> i32 {
        let step = 2 * self.near + 1;
        let mut v = px + err * step;
        if v < -self.near {
            v += self.range * step;
        } else if v > self.maxval + self.near {
            v -= self.range * step;
        }
        v.clamp(0, self.maxval)
    }
}

/// Smallest b with 2^b >= n.
fn bits_for(n: i32) -> u32 {
    let mut b = 0;
    while (1i64 << b) < i64::from(n) {
        b += 1;
    }
    b
}

fn default_thresholds(maxval: i32, near: i32) -> (i32, i32, i32) {
    let clamp = |i: i32, j: i32| if i > maxval || i < j { j } else { i };
    if maxval >= 128 {
        // FACTOR * (BASIC_T - k) + k with BASIC_T1..3 = 3, 7, 21.
        let factor = (maxval.min(4095) + 128) / 256;
        let t1 = clamp(factor + 2 + 3 * near, near + 1);
        let t2 = clamp(factor * (7 - 3) + 3 + 5 * near, t1);
        let t3 = clamp(factor * (21 - 4) + 4 + 7 * near, t2);
        (t1, t2, t3)
    } else {
        let factor = 256 / (maxval + 1);
        let t1 = clamp((3 / factor + 3 * near).max(2), near + 1);
        let t2 = clamp((7 / factor + 5 * near).max(3), t1);
        let t3 = clamp((21 / factor + 7 * near).max(4), t2);
        (t1, t2, t3)
    }
}

struct ScanSetup {
    params: Params,
    width: usize,
    height: usize,
    components: Vec<usize>,
    total_components: usize,
    ilv: u8,
    restart: usize,
}

/// Reads the JPEG-LS bit stream: after a 0xFF byte the next byte carries 7 bits.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
    acc: u64,
    nbits: u32,
    last_ff: bool,
    overrun: usize,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize, end: usize) -> Self {
        Bits {
            data,
            pos,
            end,
            acc: 0,
            nbits: 0,
            last_ff: false,
            overrun: 0,
        }
    }

    #[inline]
    fn refill(&mut self) {
        while self.nbits <= 56 {
            if self.pos >= self.end {
                // Past the data: zeros, counted so that corrupt streams stop.
                self.overrun += 1;
                self.nbits += 8;
                continue;
            }
            let b = self.data[self.pos];
            self.pos += 1;
            if self.last_ff {
                self.acc |= u64::from(b & 0x7F) << (64 - 7 - self.nbits);
                self.nbits += 7;
            } else {
                self.acc |= u64::from(b) << (64 - 8 - self.nbits);
                self.nbits += 8;
            }
            self.last_ff = b == 0xFF;
        }
    }

    #[inline]
    fn bit(&mut self) -> bool {
        if self.nbits == 0 {
            self.refill();
        }
        let b = self.acc >> 63 != 0;
        self.acc <<= 1;
        self.nbits -= 1;
        b
    }

    #[inline]
    fn value(&mut self, n: u32) -> i32 {
        if n == 0 {
            return 0;
        }
        if self.nbits < n {
            self.refill();
        }
        let v = (self.acc >> (64 - n)) as i32;
        self.acc <<= n;
        self.nbits -= n;
        v
    }

    /// Counts zero bits up to and including the next one bit.
    #[inline]
    fn zeros(&mut self) -> Result<u32, String> {
        let mut count = 0;
        loop {
            if self.nbits == 0 {
                self.refill();
            }
            let lz = (self.acc.leading_zeros()).min(self.nbits);
            if lz < self.nbits {
                // lz + 1 can be 64: the shift empties the accumulator.
                self.acc = self.acc.checked_shl(lz + 1).unwrap_or(0);
                self.nbits -= lz + 1;
                return Ok(count + lz);
            }
            count += lz;
            self.acc = 0;
            self.nbits = 0;
            if count > 64 || self.overrun > 8 {
                return Err("corrupt JPEG-LS bit stream".into());
            }
        }
    }

    fn reset_at(&mut self, pos: usize, end: usize) {
        self.pos = pos;
        self.end = end;
        self.acc = 0;
        self.nbits = 0;
        self.last_ff = false;
    }
}

#[derive(Clone, Copy)]
struct Context {
    a: i32,
    b: i32,
    c: i32,
    n: i32,
}

#[derive(Clone, Copy)]
struct RunContext {
    a: i32,
    n: i32,
    nn: i32,
    ritype: i32,
}

struct State {
    p: Params,
    ctx: Vec<Context>,
    run: [RunContext; 2],
}

impl State {
    fn new(p: Params) -> Self {
        let a = ((p.range + 32) / 64).max(2);
        State {
            p,
            ctx: vec![
                Context {
                    a,
                    b: 0,
                    c: 0,
                    n: 1
                };
                365
            ],
            run: [
                RunContext {
                    a,
                    n: 1,
                    nn: 0,
                    ritype: 0,
                },
                RunContext {
                    a,
                    n: 1,
                    nn: 0,
                    ritype: 1,
                },
            ],
        }
    }

    #[inline]
    fn decode_value(&self, bits: &mut Bits, k: u32, limit: u32) -> Result<i32, String> {
        let high = bits.zeros()?;
        let qbpp = self.p.qbpp;
        if high >= limit.saturating_sub(qbpp + 1) {
            return Ok(bits.value(qbpp) + 1);
        }
        if k == 0 {
            return Ok(high as i32);
        }
        Ok(((high as i32) << k) + bits.value(k))
    }

    #[inline]
    fn regular(&mut self, bits: &mut Bits, qs: i32, predicted: i32) -> Result<i32, String> {
        let sign = if qs < 0 { -1 } else { 1 };
        let q = (qs * sign) as usize;
        let p = self.p;
        let cx = self.ctx[q];
        let mut k = 0u32;
        while (cx.n << k) < cx.a && k < 24 {
            k += 1;
        }
        let px = (predicted + sign * cx.c).clamp(0, p.maxval);
        let m = self.decode_value(bits, k, p.limit)?;
        // Inverse of the error mapping (A.5.2).
        let mut err = if m & 1 == 1 { -((m + 1) >> 1) } else { m >> 1 };
        if err.abs() > 65535 {
            return Err("corrupt JPEG-LS bit stream (error value out of range)".into());
        }
        if k == 0 && p.near == 0 && 2 * cx.b + cx.n - 1 < 0 {
            err = -err - 1;
        }
        // Context update (A.6.1) and bias correction (A.6.2).
        let c = &mut self.ctx[q];
        c.a += err.abs();
        c.b += err * (2 * p.near + 1);
        if c.n == p.reset {
            c.a >>= 1;
            c.b >>= 1;
            c.n >>= 1;
        }
        c.n += 1;
        if c.b + c.n <= 0 {
            c.b += c.n;
            if c.b <= -c.n {
                c.b = -c.n + 1;
            }
            if c.c > -128 {
                c.c -= 1;
            }
        } else if c.b > 0 {
            c.b -= c.n;
            if c.b > 0 {
                c.b = 0;
            }
            if c.c < 127 {
                c.c += 1;
            }
        }
        Ok(p.reconstruct(px, sign * err))
    }

    /// Decodes the error of a run interruption sample (A.7.2).
    fn ri_error(&mut self, bits: &mut Bits, which: usize, run_index: usize) -> Result<i32, String> {
        let cx = self.run[which];
        let temp = cx.a + (cx.n >> 1) * cx.ritype;
        let mut k = 0u32;
        while (cx.n << k) < temp && k < 24 {
            k += 1;
        }
        let limit = self.p.limit.saturating_sub(J[run_index] + 1);
        let em = self.decode_value(bits, k, limit)?;
        let t = em + cx.ritype;
        let map = t & 1 == 1;
        let abs = (t + i32::from(map)) / 2;
        let err = if (k != 0 || 2 * cx.nn >= cx.n) == map {
            -abs
        } else {
            abs
        };
        let c = &mut self.run[which];
        if err < 0 {
            c.nn += 1;
        }
        c.a += (em + 1 - c.ritype) >> 1;
        if c.n == self.p.reset {
            c.a >>= 1;
            c.n >>= 1;
            c.nn >>= 1;
        }
        c.n += 1;
        Ok(err)
    }
}

/// Decodes a run length (A.7.1.2); returns the number of samples in the run.
fn run_length(bits: &mut Bits, run_index: &mut usize, remaining: usize) -> Result<usize, String> {
    let mut index = 0usize;
    while bits.bit() {
        let rg = 1usize << J[*run_index];
        let count = rg.min(remaining - index);
        index += count;
        if count == rg && *run_index < 31 {
            *run_index += 1;
        }
        if index == remaining {
            break;
        }
        if bits.overrun > 8 {
            return Err("corrupt JPEG-LS bit stream".into());
        }
    }
    if index != remaining {
        index += bits.value(J[*run_index]) as usize;
    }
    if index > remaining {
        return Err("run length beyond the end of the line".into());
    }
    Ok(index)
}

#[inline]
fn predict(ra: i32, rb: i32, rc: i32) -> i32 {
    if rc >= ra.max(rb) {
        ra.min(rb)
    } else if rc <= ra.min(rb) {
        ra.max(rb)
    } else {
        ra + rb - rc
    }
}

#[inline]
fn sign_of(n: i32) -> i32 {
    if n >= 0 { 1 } else { -1 }
}

/// Decodes one line of one component. `prev` and `cur` hold the line with one sample of
/// margin on each side (index x + 1 is sample x).
fn decode_line(
    st: &mut State,
    bits: &mut Bits,
    prev: &mut [i32],
    cur: &mut [i32],
    w: usize,
    run_index: &mut usize,
) -> Result<(), String> {
    prev[w + 1] = prev[w];
    cur[0] = prev[1];
    let p = st.p;
    let mut x = 0;
    let mut rb = prev[0];
    let mut rd = prev[1];
    while x < w {
        let ra = cur[x];
        let rc = rb;
        rb = rd;
        rd = prev[x + 2];
        let qs = 81 * p.quantize(rd - rb) + 9 * p.quantize(rb - rc) + p.quantize(rc - ra);
        if qs != 0 {
            cur[x + 1] = st.regular(bits, qs, predict(ra, rb, rc))?;
            x += 1;
        } else {
            let len = run_length(bits, run_index, w - x)?;
            cur[x + 1..x + 1 + len].fill(ra);
            let end = x + len;
            if end < w {
                let rb_end = prev[end + 1];
                cur[end + 1] = if (ra - rb_end).abs() <= p.near {
                    let e = st.ri_error(bits, 1, *run_index)?;
                    p.reconstruct(ra, e)
                } else {
                    let e = st.ri_error(bits, 0, *run_index)?;
                    p.reconstruct(rb_end, e * sign_of(rb_end - ra))
                };
                *run_index = run_index.saturating_sub(1);
                x = end + 1;
            } else {
                x = end;
            }
            rb = prev[x];
            rd = prev[(x + 1).min(w + 1)];
        }
    }
    Ok(())
}

/// Decodes one line of all components in sample-interleaved mode.
fn decode_line_sample(
    st: &mut State,
    bits: &mut Bits,
    prev: &mut [Vec<i32>],
    cur: &mut [Vec<i32>],
    w: usize,
    run_index: &mut usize,
) -> Result<(), String> {
    let n = prev.len();
    for c in 0..n {
        prev[c][w + 1] = prev[c][w];
        cur[c][0] = prev[c][1];
    }
    let p = st.p;
    let mut qs = [0i32; 4];
    let mut x = 0;
    while x < w {
        let mut all_zero = true;
        for c in 0..n {
            let (ra, rc, rb, rd) = (cur[c][x], prev[c][x], prev[c][x + 1], prev[c][x + 2]);
            qs[c] = 81 * p.quantize(rd - rb) + 9 * p.quantize(rb - rc) + p.quantize(rc - ra);
            all_zero &= qs[c] == 0;
        }
        if !all_zero {
            for c in 0..n {
                let (ra, rc, rb) = (cur[c][x], prev[c][x], prev[c][x + 1]);
                cur[c][x + 1] = st.regular(bits, qs[c], predict(ra, rb, rc))?;
            }
            x += 1;
            continue;
        }
        let len = run_length(bits, run_index, w - x)?;
        for line in cur.iter_mut() {
            let ra = line[x];
            line[x + 1..x + 1 + len].fill(ra);
        }
        let end = x + len;
        if end < w {
            for c in 0..n {
                let (ra, rb) = (cur[c][x], prev[c][end + 1]);
                let e = st.ri_error(bits, 0, *run_index)?;
                cur[c][end + 1] = p.reconstruct(rb, e * sign_of(rb - ra));
            }
            *run_index = run_index.saturating_sub(1);
            x = end + 1;
        } else {
            x = end;
        }
    }
    Ok(())
}

/// Finds the end of the entropy-coded data: the first 0xFF followed by a byte with its
/// high bit set (a marker).
fn scan_end(d: &[u8], start: usize) -> usize {
    let mut p = start;
    while p + 1 < d.len() {
        if d[p] == 0xFF && d[p + 1] >= 0x80 {
            return p;
        }
        p += 1;
    }
    d.len()
}

/// Decodes one scan into `out` (interleaved by pixel); returns the offset after it.
fn decode_scan(d: &[u8], start: usize, s: &ScanSetup, out: &mut [u16]) -> Result<usize, String> {
    let (w, h) = (s.width, s.height);
    let n_total = s.total_components;
    let interleaved = s.components.len() > 1;
    if interleaved && !matches!(s.ilv, 1 | 2) {
        return Err(format!(
            "interleave mode {} with {} components",
            s.ilv,
            s.components.len()
        ));
    }
    if !interleaved && s.ilv != 0 && s.components.len() != 1 {
        return Err("invalid interleave mode".into());
    }
    let lines_per_comp = if s.ilv == 1 { s.components.len() } else { 1 };
    let ncomp = s.components.len();
    let mut st = State::new(s.params);
    let mut end = scan_end(d, start);
    let mut bits = Bits::new(d, start, end);
    let mut prev: Vec<Vec<i32>> = vec![vec![0; w + 2]; ncomp];
    let mut cur: Vec<Vec<i32>> = vec![vec![0; w + 2]; ncomp];
    let mut run_index = vec![0usize; lines_per_comp];
    let interval = if s.restart > 0 { s.restart } else { usize::MAX };
    for y in 0..h {
        if y > 0 && y % interval == 0 {
            // A restart marker: reset the coder, the contexts and the line buffers.
            if end + 1 >= d.len() || !(0xD0..=0xD7).contains(&d[end + 1]) {
                return Err("restart marker missing".into());
            }
            let next = end + 2;
            end = scan_end(d, next);
            bits.reset_at(next, end);
            st = State::new(s.params);
            prev.iter_mut()
                .chain(cur.iter_mut())
                .for_each(|l| l.fill(0));
            run_index.fill(0);
        }
        if s.ilv == 2 && interleaved {
            decode_line_sample(
                &mut st,
                &mut bits,
                &mut prev,
                &mut cur,
                w,
                &mut run_index[0],
            )?;
        } else {
            for c in 0..ncomp {
                let ri = if s.ilv == 1 { c } else { 0 };
                decode_line(
                    &mut st,
                    &mut bits,
                    &mut prev[c],
                    &mut cur[c],
                    w,
                    &mut run_index[ri],
                )?;
            }
        }
        if bits.overrun > 8 {
            return Err("the JPEG-LS stream ends before the image".into());
        }
        for (k, &comp) in s.components.iter().enumerate() {
            let row = &mut out[y * w * n_total..(y + 1) * w * n_total];
            for x in 0..w {
                row[x * n_total + comp] = cur[k][x + 1] as u16;
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_thresholds_follow_c_2_4_1_1() {
        // 8-bit lossless: the standard's defaults 3, 7, 21.
        assert_eq!(default_thresholds(255, 0), (3, 7, 21));
        // 12-bit lossless: factor 16.
        assert_eq!(default_thresholds(4095, 0), (18, 67, 276));
        // 16-bit: MAXVAL capped at 4095 for the factor.
        assert_eq!(default_thresholds(65535, 0), (18, 67, 276));
    }

    #[test]
    fn rejects_garbage() {
        assert!(decode_stream(&[0xFF, 0xD8, 0xFF, 0xD9], None).is_err());
        assert!(decode_stream(b"not jpeg-ls", None).is_err());
    }
}
