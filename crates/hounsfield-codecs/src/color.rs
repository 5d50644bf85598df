//! Colour space conversions of PS3.3 C.7.6.3.1.2.
//!
//! YBR_FULL (and YBR_FULL_422 once upsampled) is the full-range YCbCr of ITU-R BT.601
//! whose forward equations the standard gives with coefficients rounded to four places
//! (Y = .2990R + .5870G + .1140B, ...). The inverse used here is the exact inverse of the
//! unrounded matrix those coefficients come from (Kr = 0.299, Kb = 0.114), rounded to
//! the nearest integer and clamped — the conversion libjpeg, DCMTK and pydicom apply.
//! YBR_PARTIAL_* uses the studio-swing equations of the same clause (Y in 16..235,
//! chrominance in 16..240 for 8 bits, scaled for other depths). YBR_ICT is the same
//! matrix as YBR_FULL; YBR_RCT uses the reversible integer transform of ISO 15444-1.

use crate::{PhotometricInterpretation, Samples};

const KR: f64 = 0.299;
const KB: f64 = 0.114;
const KG: f64 = 1.0 - KR - KB;

/// Converts interleaved YBR samples of `bits` bits to RGB, in place of the input lane.
pub(crate) fn ybr_to_rgb(samples: Samples, pi: &PhotometricInterpretation, bits: u16) -> Samples {
    // In f64: exact powers of two, also for depths below 8 bits (a scale below 1).
    let bits = i32::from(bits.clamp(1, 32));
    let max = 2f64.powi(bits) - 1.0;
    let half = 2f64.powi(bits - 1);
    let scale = 2f64.powi(bits - 8);
    let conv: Box<dyn Fn(f64, f64, f64) -> [f64; 3]> = match pi {
        PhotometricInterpretation::YbrRct => Box::new(move |y, cb, cr| {
            // Reversible colour transform (ISO 15444-1 G.2), offsets removed.
            let (cb, cr) = (cb - half, cr - half);
            let g = y - ((cb + cr) / 4.0).floor();
            [cr + g, g, cb + g]
        }),
        PhotometricInterpretation::YbrPartial422 | PhotometricInterpretation::YbrPartial420 => {
            Box::new(move |y, cb, cr| {
                let (y, cb, cr) = (
                    (y - 16.0 * scale) * 255.0 / 219.0,
                    (cb - half) * 255.0 / 224.0,
                    (cr - half) * 255.0 / 224.0,
                );
                full(y, cb, cr)
            })
        }
        _ => Box::new(move |y, cb, cr| full(y, cb - half, cr - half)),
    };
    let round = |v: f64| (v + 0.5).floor().clamp(0.0, max);
    fn each<T: Copy>(
        v: &mut [T],
        get: impl Fn(T) -> f64,
        put: impl Fn(f64) -> T,
        conv: &dyn Fn(f64, f64, f64) -> [f64; 3],
    ) {
        for px in v.chunks_exact_mut(3) {
            let rgb = conv(get(px[0]), get(px[1]), get(px[2]));
            for c in 0..3 {
                px[c] = put(rgb[c]);
            }
        }
    }
    match samples {
        Samples::U8(mut v)
            if matches!(
                pi,
                PhotometricInterpretation::YbrFull
                    | PhotometricInterpretation::YbrFull422
                    | PhotometricInterpretation::YbrIct
            ) =>
        {
            ybr_full_8bit(&mut v);
            Samples::U8(v)
        }
        Samples::U8(mut v) => {
            each(&mut v, f64::from, |x| round(x) as u8, &*conv);
            Samples::U8(v)
        }
        Samples::U16(mut v) => {
            each(&mut v, f64::from, |x| round(x) as u16, &*conv);
            Samples::U16(v)
        }
        Samples::U32(mut v) => {
            each(&mut v, f64::from, |x| round(x) as u32, &*conv);
            Samples::U32(v)
        }
        other => other,
    }
}

/// YBR_FULL to RGB for 8-bit samples with tables: Y is an integer, so
/// round(Y + t) = Y + round(t) and only the chrominance terms need tabulating; the
/// results are identical to the per-pixel formula.
fn ybr_full_8bit(v: &mut [u8]) {
    use std::sync::OnceLock;
    struct Tables {
        r: [i16; 256],
        b: [i16; 256],
        g: Vec<i16>,
    }
    static TABLES: OnceLock<Tables> = OnceLock::new();
    let t = TABLES.get_or_init(|| {
        let mut r = [0i16; 256];
        let mut b = [0i16; 256];
        let mut g = vec![0i16; 65536];
        for c in 0..256 {
            let [rr, _, _] = full(0.0, 0.0, c as f64 - 128.0);
            let [_, _, bb] = full(0.0, c as f64 - 128.0, 0.0);
            r[c] = (rr + 0.5).floor() as i16;
            b[c] = (bb + 0.5).floor() as i16;
        }
        for cb in 0..256 {
            for cr in 0..256 {
                let [_, gg, _] = full(0.0, cb as f64 - 128.0, cr as f64 - 128.0);
                g[cb * 256 + cr] = (gg + 0.5).floor() as i16;
            }
        }
        Tables { r, b, g }
    });
    for px in v.chunks_exact_mut(3) {
        let (y, cb, cr) = (i16::from(px[0]), usize::from(px[1]), usize::from(px[2]));
        px[0] = (y + t.r[cr]).clamp(0, 255) as u8;
        px[1] = (y + t.g[cb * 256 + cr]).clamp(0, 255) as u8;
        px[2] = (y + t.b[cb]).clamp(0, 255) as u8;
    }
}

/// Full-range inverse with centred chrominance.
#[inline]
fn full(y: f64, cb: f64, cr: f64) -> [f64; 3] {
    [
        y + 2.0 * (1.0 - KR) * cr,
        y - (2.0 * (1.0 - KB) * KB / KG) * cb - (2.0 * (1.0 - KR) * KR / KG) * cr,
        y + 2.0 * (1.0 - KB) * cb,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forward equations exactly as PS3.3 C.7.6.3.1.2 prints them for YBR_FULL.
    fn forward(r: f64, g: f64, b: f64) -> [f64; 3] {
        [
            0.2990 * r + 0.5870 * g + 0.1140 * b,
            -0.1687 * r - 0.3313 * g + 0.5000 * b + 128.0,
            0.5000 * r - 0.4187 * g - 0.0813 * b + 128.0,
        ]
    }

    #[test]
    fn inverse_of_the_standard_equations_within_one() {
        let mut worst = 0.0f64;
        for r in (0..256).step_by(5) {
            for g in (0..256).step_by(7) {
                for b in (0..256).step_by(3) {
                    let [y, cb, cr] = forward(r as f64, g as f64, b as f64);
                    let px = [y.round() as u8, cb.round() as u8, cr.round() as u8];
                    let Samples::U8(out) = ybr_to_rgb(
                        Samples::U8(px.to_vec()),
                        &PhotometricInterpretation::YbrFull,
                        8,
                    ) else {
                        unreachable!()
                    };
                    for (o, e) in out.iter().zip([r, g, b]) {
                        worst = worst.max((f64::from(*o) - e as f64).abs());
                    }
                }
            }
        }
        // Rounding Y, Cb and Cr to integers alone costs up to two levels in G.
        assert!(worst <= 2.0, "worst round trip error {worst}");
    }

    #[test]
    fn neutral_grey_stays_grey() {
        let Samples::U8(out) = ybr_to_rgb(
            Samples::U8(vec![77, 128, 128]),
            &PhotometricInterpretation::YbrFull,
            8,
        ) else {
            unreachable!()
        };
        assert_eq!(out, vec![77, 77, 77]);
    }
}
