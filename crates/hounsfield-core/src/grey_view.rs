//! The CPU reference pipeline through a view, for grey frames, fast: the sample type
//! resolved once per image and the pipeline tabulated over the frame's integers. Pixel
//! for pixel what [`crate::pipeline::sample`] followed by
//! [`crate::pipeline::GreyPipeline::display`] gives (the tests below hold it to that).

use crate::display::VoiLutFunction;
use crate::image::{Frame, Samples};
use crate::pipeline::{GreyPipeline, Voi};
use crate::view::{Filter, View, bilinear};

/// The display levels of the integers over a frame's range of values. An interpolated
/// value between two integers whose levels agree has that level too, because the pipeline
/// is monotone between neighbouring integers when its VOI stage is a LINEAR or
/// LINEAR_EXACT window (after a rescale, which is monotone, or a Modality LUT table, which
/// maps the value to the entry of one of the two integers); only values between integers
/// of different levels run the pipeline themselves. The result is the pipeline's, exactly.
struct LevelTable {
    base: i64,
    levels: Vec<u8>,
}

impl LevelTable {
    /// None when the VOI stage is a table or a sigmoid, or the range is too wide to tabulate.
    fn new(frame: &Frame, pipe: &GreyPipeline) -> Option<LevelTable> {
        let linear = matches!(
            pipe.voi,
            Voi::Window {
                function: VoiLutFunction::Linear | VoiLutFunction::LinearExact,
                ..
            }
        );
        let (lo, hi) = frame.samples.min_max()?;
        // Integers beyond 2^24 are not all f32 values; 2^16 levels cost about a millisecond.
        let limit = f64::from(1u32 << 24);
        if !(linear && lo >= -limit && hi <= limit) || hi - lo > 65536.0 {
            return None;
        }
        let base = lo.floor() as i64;
        let top = hi.ceil() as i64 + 1;
        let levels = (base..=top).map(|s| pipe.display(s as f64)).collect();
        Some(LevelTable { base, levels })
    }

    #[inline(always)]
    fn level(&self, v: f32, pipe: &GreyPipeline) -> u8 {
        let f = v.floor();
        let k = (f as i64 - self.base) as usize;
        match (self.levels.get(k), self.levels.get(k + 1)) {
            (Some(&a), Some(&b)) if a == b || f == v => a,
            _ => pipe.display(f64::from(v)),
        }
    }
}

/// A grey frame through `pipe` as seen through `view`: what the general path of
/// `render_view_with` computes for it, pixel for pixel, with the sample type resolved
/// once per image instead of per sample and the pipeline tabulated ([`LevelTable`]).
pub(crate) fn render_grey_view(frame: &Frame, pipe: &GreyPipeline, view: &View) -> Vec<u8> {
    let table = LevelTable::new(frame, pipe);
    let level = |v: f32| match &table {
        Some(t) => t.level(v, pipe),
        None => pipe.display(f64::from(v)),
    };
    match &frame.samples {
        Samples::U8(d) => grey_view(frame, d, f32::from, view, level),
        Samples::I16(d) => grey_view(frame, d, f32::from, view, level),
        Samples::U16(d) => grey_view(frame, d, f32::from, view, level),
        Samples::U32(d) => grey_view(frame, d, |x| x as f32, view, level),
        Samples::I32(d) => grey_view(frame, d, |x| x as f32, view, level),
        Samples::F32(d) => grey_view(frame, d, |x| x, view, level),
        Samples::F64(d) => grey_view(frame, d, |x| x as f32, view, level),
    }
}

/// The rows of [`render_grey_view`] for one sample type: [`sample`] and the pipeline per
/// output pixel, black outside the image and where a plane has no data.
fn grey_view<T: Copy + Send + Sync>(
    frame: &Frame,
    data: &[T],
    to_f32: impl Fn(T) -> f32 + Sync,
    view: &View,
    level: impl Fn(f32) -> u8 + Sync,
) -> Vec<u8> {
    let map = view.mapping(frame.width, frame.height);
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (fw, fh) = (frame.width as f32, frame.height as f32);
    let linear = view.filter == Filter::Linear;
    let load = |x: i64, y: i64| -> f32 {
        let x = x.clamp(0, w as i64 - 1) as usize;
        let y = y.clamp(0, h as i64 - 1) as usize;
        to_f32(data[y * w + x])
    };
    let row = |y: usize, out: &mut [u8]| {
        for (x, o) in out.iter_mut().enumerate() {
            let img = map.image_at(x as f32 + 0.5, y as f32 + 0.5);
            if !(img[0] >= 0.0 && img[1] >= 0.0 && img[0] < fw && img[1] < fh) {
                continue;
            }
            let v = if linear {
                bilinear([img[0] - 0.5, img[1] - 0.5], load)
            } else {
                load(img[0].floor() as i64, img[1].floor() as i64)
            };
            if v >= crate::volume::NO_DATA_BELOW {
                *o = level(v);
            }
        }
    };
    let (ow, oh) = (view.width as usize, view.height as usize);
    let mut out = vec![0u8; ow * oh];
    crate::pipeline::for_each_row(&mut out, ow, row);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display::ModalityLut;
    use crate::image::FrameColor;
    use crate::lut::Lut;
    use crate::pipeline::sample;
    use crate::view::fma32;

    /// The definition: `sample`, then the pipeline, per output pixel.
    fn reference(frame: &Frame, pipe: &GreyPipeline, view: &View) -> Vec<u8> {
        let map = view.mapping(frame.width, frame.height);
        let mut out = vec![0u8; (view.width * view.height) as usize];
        for y in 0..view.height {
            for x in 0..view.width {
                let img = map.image_at(x as f32 + 0.5, y as f32 + 0.5);
                if let Some(v) = sample(frame, img, view.filter, 0) {
                    out[(y * view.width + x) as usize] = pipe.display(f64::from(v));
                }
            }
        }
        out
    }

    /// A pseudo-random 61 x 47 frame of `samples` values.
    fn frame(samples: Samples) -> Frame {
        Frame {
            width: 61,
            height: 47,
            color: FrameColor::Monochrome,
            samples,
            bits_stored: 16,
            signed: true,
        }
    }

    fn values(n: usize, lo: i64, span: i64) -> Vec<i64> {
        let mut x = 12345u64;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                lo + ((x >> 33) % span as u64) as i64
            })
            .collect()
    }

    #[test]
    fn equals_the_sampled_pipeline_for_every_lane_filter_view_and_stage() {
        let n = 61 * 47;
        let frames = [
            frame(Samples::I16(
                values(n, -1024, 3000).iter().map(|&v| v as i16).collect(),
            )),
            frame(Samples::U16(
                values(n, 0, 4096).iter().map(|&v| v as u16).collect(),
            )),
            frame(Samples::U8(
                values(n, 0, 256).iter().map(|&v| v as u8).collect(),
            )),
            frame(Samples::I32(
                values(n, -70000, 140000)
                    .iter()
                    .map(|&v| v as i32)
                    .collect(),
            )),
            frame(Samples::F32(
                values(n, -500, 1000)
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        if i % 13 == 0 {
                            crate::volume::NO_DATA
                        } else {
                            v as f32 * 0.37
                        }
                    })
                    .collect(),
            )),
        ];
        // A table that is not monotone, starting below the data.
        let table = Lut {
            first_mapped: -100,
            bits: 16,
            data: (0..5000).map(|k| ((k * 7) % 1000) as u16).collect(),
            explanation: None,
        };
        let modalities = [
            ModalityLut::Identity,
            ModalityLut::Rescale {
                slope: 1.0,
                intercept: -1024.0,
                rescale_type: None,
            },
            ModalityLut::Rescale {
                slope: -0.73,
                intercept: 12.5,
                rescale_type: None,
            },
            ModalityLut::Table {
                lut: table,
                lut_type: None,
            },
        ];
        let vois = [
            Voi::Window {
                center: 40.0,
                width: 80.0,
                function: VoiLutFunction::Linear,
            },
            Voi::Window {
                center: 300.0,
                width: 1500.0,
                function: VoiLutFunction::LinearExact,
            },
            Voi::Window {
                center: 10.0,
                width: 1.0,
                function: VoiLutFunction::Linear,
            },
            Voi::Window {
                center: 10.0,
                width: 200.0,
                function: VoiLutFunction::Sigmoid,
            },
        ];
        let views = [
            View::native(61, 47),
            View {
                zoom: 3.7,
                pan: [5.0, -9.0],
                rotation: 1,
                ..View::fit(150, 120)
            },
            View {
                pixel_aspect: 1.6,
                flip_horizontal: true,
                filter: Filter::Linear,
                ..View::fit(97, 211)
            },
            View {
                zoom: 0.41,
                filter: Filter::Linear,
                ..View::fit(40, 33)
            },
            View {
                zoom: 9.0,
                filter: Filter::Linear,
                ..View::fit(173, 149)
            },
        ];
        let mut checked = 0;
        for f in &frames {
            for modality in &modalities {
                for voi in &vois {
                    for inverse in [false, true] {
                        let pipe = GreyPipeline {
                            modality: modality.clone(),
                            voi: voi.clone(),
                            inverse,
                        };
                        for view in &views {
                            assert_eq!(
                                render_grey_view(f, &pipe, view),
                                reference(f, &pipe, view),
                                "{} {modality:?} {voi:?} inverse {inverse} {view:?}",
                                f.samples.lane()
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 5 * 4 * 4 * 2 * 5);
    }

    /// The fast path of `fma32` (the f64 result, when it is no tie) gives `mul_add`'s
    /// bits; its tie branch is `mul_add` itself.
    #[test]
    fn fma32_is_mul_add() {
        let mut x = 99u64;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x
        };
        for k in 0..2_000_000u32 {
            let r = next();
            let (a, b, c) = if k % 2 == 0 {
                // Any finite values.
                let f = |bits: u64| {
                    let v = f32::from_bits(bits as u32);
                    if v.is_finite() { v } else { 1.5 }
                };
                (f(r), f(r >> 32), f(next()))
            } else {
                // Values of the kind views and bilinear weights produce, where ties happen.
                let f =
                    |bits: u64, scale: f32| ((bits & 0xffffff) as f32 / 16777216.0 - 0.5) * scale;
                (f(r, 1024.0), f(r >> 24, 4.0), f(r >> 40, 2048.0))
            };
            let want = a.mul_add(b, c);
            let got = fma32(a, b, c);
            assert!(
                got.to_bits() == want.to_bits(),
                "{a:e} * {b:e} + {c:e}: {got:e} != {want:e}"
            );
        }
    }
}
