//! Decoded component planes and chroma upsampling (libjpeg's "fancy" filter).

use super::Decoder;
use crate::Samples;

/// Decoded component planes, each padded to whole blocks (DCT) or exact (lossless).
pub(super) struct Planes {
    /// Per component: width, height (in samples, padded), samples.
    pub(super) planes: Vec<(usize, usize, Vec<i32>)>,
    pub(super) hmax: usize,
    pub(super) vmax: usize,
}

impl Planes {
    pub(super) fn new(dec: &Decoder) -> Planes {
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
    pub(super) fn finish(&self, dec: &Decoder) -> Samples {
        if dec.precision <= 8 {
            Samples::U8(self.interleave(dec, |v| v as u8))
        } else {
            Samples::U16(self.interleave(dec, |v| v as u16))
        }
    }

    pub(super) fn interleave<T: Copy + Default>(
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

pub(super) struct Plane<'p> {
    pub(super) data: &'p [i32],
    pub(super) stride: usize,
    pub(super) w: usize,
    pub(super) h: usize,
}

impl Plane<'_> {
    pub(super) fn row(&self, y: usize) -> &[i32] {
        let y = y.min(self.h - 1);
        &self.data[y * self.stride..y * self.stride + self.w]
    }
}

/// Upsamples a component to the image size into every `n`-th sample of `out` from
/// `k`: libjpeg's triangle ("fancy") filter for 2:1 factors, replication otherwise.
#[allow(clippy::too_many_arguments)]
pub(super) fn upsample<T: Copy>(
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
pub(super) fn h2(
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
