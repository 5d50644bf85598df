//! The CPU reference pipeline through a view, for grey frames, fast: the sample type
//! resolved once per image and the pipeline tabulated over the frame's integers. Pixel
//! for pixel what [`crate::sample`] followed by
//! [`crate::GreyPipeline::display`] gives (the tests below hold it to that).

use crate::view::{Filter, View};
use crate::{GreyPipeline, Voi};
use hounsfield_dicom::{Frame, Samples, VoiLutFunction};

/// The display levels of the integers over a frame's range of values. An interpolated
/// value between two integers whose levels agree has that level too, because the pipeline
/// is monotone between neighbouring integers when its VOI stage is a LINEAR or
/// LINEAR_EXACT window (after a rescale, which is monotone, or a Modality LUT table, which
/// maps the value to the entry of one of the two integers); only values between integers
/// of different levels run the pipeline themselves. The result is the pipeline's, exactly.
struct LevelTable {
    base: i64,
    levels: Vec<u8>,
    /// The levels never go down, or never go up, over the whole range (a rescale or no
    /// Modality LUT, then the window): every value between two values of one level has it.
    monotone: bool,
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
        let (lo, hi) = crate::view::data_min_max(&frame.samples)?;
        // Integers beyond 2^24 are not all f32 values; 2^16 levels cost about a millisecond.
        let limit = f64::from(1u32 << 24);
        if !(linear && lo >= -limit && hi <= limit) || hi - lo > 65536.0 {
            return None;
        }
        let base = lo.floor() as i64;
        let top = hi.ceil() as i64 + 1;
        let levels = (base..=top).map(|s| pipe.display(s as f64)).collect();
        // A Presentation LUT keeps the chain monotone only when its entries are.
        let monotone_lut =
            |d: &[u16]| d.windows(2).all(|w| w[0] <= w[1]) || d.windows(2).all(|w| w[0] >= w[1]);
        let monotone = !matches!(pipe.modality, hounsfield_dicom::ModalityLut::Table { .. })
            && pipe
                .presentation_lut
                .as_ref()
                .is_none_or(|l| monotone_lut(&l.data));
        Some(LevelTable {
            base,
            levels,
            monotone,
        })
    }

    /// The level of integer `v`, which lies in the table's range.
    #[inline(always)]
    fn of_integer(&self, v: f32) -> u8 {
        self.levels[(v as i64 - self.base) as usize]
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
    let t = table.as_ref();
    match &frame.samples {
        Samples::U8(d) => grey_view(frame, d, f32::from, true, view, pipe, t),
        Samples::I16(d) => grey_view(frame, d, f32::from, true, view, pipe, t),
        Samples::U16(d) => grey_view(frame, d, f32::from, true, view, pipe, t),
        Samples::U32(d) => grey_view(frame, d, |x| x as f32, true, view, pipe, t),
        Samples::I32(d) => grey_view(frame, d, |x| x as f32, true, view, pipe, t),
        Samples::F32(d) => grey_view(frame, d, |x| x, false, view, pipe, t),
        Samples::F64(d) => grey_view(frame, d, |x| x as f32, false, view, pipe, t),
    }
}

/// The rows of [`render_grey_view`] for one sample type: [`sample`] and the pipeline per
/// output pixel, black outside the image and where a plane has no data. `integer`: the
/// samples are integers (exact in f32 wherever a level table exists).
///
/// [`sample`]: crate::sample
fn grey_view<T: Copy + Send + Sync>(
    frame: &Frame,
    data: &[T],
    to_f32: impl Fn(T) -> f32 + Sync,
    integer: bool,
    view: &View,
    pipe: &GreyPipeline,
    table: Option<&LevelTable>,
) -> Vec<u8> {
    let level = |v: f32| match table {
        Some(t) => t.level(v, pipe),
        None => pipe.display(f64::from(v)),
    };
    let map = view.mapping(frame.width, frame.height);
    let (ow, oh) = (view.width as usize, view.height as usize);
    let mut out = vec![0u8; ow * oh];
    // Views are turned by multiples of 90 degrees: each image axis follows one output axis.
    if map.axis_y[0] == 0.0 && map.axis_x[1] == 0.0 {
        let s = Separable::new(frame, view, &map, false);
        s.render::<T, false>(data, &to_f32, integer, table, &level, &mut out);
    } else if map.axis_x[0] == 0.0 && map.axis_y[1] == 0.0 {
        let s = Separable::new(frame, view, &map, true);
        s.render::<T, true>(data, &to_f32, integer, table, &level, &mut out);
    }
    // Otherwise the view is degenerate (a zero or non-finite scale): its coordinates are
    // not numbers, outside every image, and the output stays black.
    out
}

/// Where one output column (or row) samples along one image axis: the two neighbours
/// (indices along the axis, times the stride for rows) and the weight of the second, or
/// outside the image.
#[derive(Clone, Copy)]
struct AxisSample {
    first: usize,
    second: usize,
    weight: f32,
    inside: bool,
}

/// No cell: the sample's neighbours are not next to each other (clamped at an edge).
const NO_CELL: usize = usize::MAX;

/// The level of a cell whose four samples do not share one.
const MIXED: u16 = 0x100;

/// For each cell of four neighbouring integer samples that a linear view interpolates
/// between, their level when the four share it, else [`MIXED`]: under a monotone pipeline
/// every value interpolated in the cell has that level (see [`Separable::render`]), so an
/// output pixel there is one lookup instead of four samples and their levels. Made once
/// per image and pipeline over the cells the view reaches, and only when they are no
/// more than the view's pixels.
struct Cells {
    /// Row-major over the cells reached, `columns` wide.
    levels: Vec<u16>,
    /// Each x-axis sample's term of the index into `levels` ([`NO_CELL`] when none).
    x_terms: Vec<usize>,
    /// Each y-axis sample's term of the index into `levels` ([`NO_CELL`] when none).
    y_terms: Vec<usize>,
}

impl Cells {
    /// `xs`: the samples along the image's x axis (indices with stride 1); `ys`: along its
    /// y axis (indices with stride `width`). None when no sample pairs neighbours or the
    /// cells reached outnumber `limit`.
    fn new<T: Copy + Sync>(
        data: &[T],
        to_f32: &(impl Fn(T) -> f32 + Sync),
        width: usize,
        table: &LevelTable,
        xs: &[AxisSample],
        ys: &[AxisSample],
        limit: usize,
    ) -> Option<Cells> {
        // A sample inside the image between two neighbours (not clamped at an edge).
        let pair = |a: &AxisSample, stride: usize| a.inside && a.second == a.first + stride;
        let pairs = |axis: &[AxisSample], stride: usize| {
            let firsts = axis
                .iter()
                .filter(|a| pair(a, stride))
                .map(|a| a.first / stride);
            let (lo, hi) = firsts.fold((usize::MAX, 0), |(lo, hi), k| (lo.min(k), hi.max(k)));
            (lo <= hi).then_some((lo, hi))
        };
        let ((x0, x1), (y0, y1)) = (pairs(xs, 1)?, pairs(ys, width)?);
        let columns = x1 - x0 + 1;
        if columns * (y1 - y0 + 1) > limit {
            return None;
        }
        let row_levels = |y: usize| {
            data[y * width + x0..=y * width + x1 + 1]
                .iter()
                .map(|&v| table.of_integer(to_f32(v)))
        };
        let mut levels = vec![MIXED; columns * (y1 - y0 + 1)];
        crate::for_each_row(&mut levels, columns, |k, out| {
            let (above, below) = (row_levels(y0 + k), row_levels(y0 + k + 1));
            let mut pairs = above.zip(below);
            let Some((mut a0, mut b0)) = pairs.next() else {
                return;
            };
            for (o, (a1, b1)) in out.iter_mut().zip(pairs) {
                if a0 == a1 && a0 == b0 && a0 == b1 {
                    *o = u16::from(a0);
                }
                (a0, b0) = (a1, b1);
            }
        });
        let terms = |axis: &[AxisSample], stride: usize, lo: usize, scale: usize| {
            axis.iter()
                .map(|a| {
                    if pair(a, stride) {
                        (a.first / stride - lo) * scale
                    } else {
                        NO_CELL
                    }
                })
                .collect()
        };
        Some(Cells {
            levels,
            x_terms: terms(xs, 1, x0, 1),
            y_terms: terms(ys, width, y0, columns),
        })
    }
}

/// A view whose mapping is separable: `Mapping::image_at` gives each image coordinate
/// from one output coordinate alone (the other one's axis term is an exact zero, which
/// `fma32` adds exactly), so the coordinates, neighbours and weights are computed once per
/// output column and row, and the pixels are those of the general path.
struct Separable {
    /// Along the image axis that follows output columns.
    columns: Vec<AxisSample>,
    /// Along the image axis that follows output rows.
    rows: Vec<AxisSample>,
    linear: bool,
    /// The frame's width: the stride of its rows.
    width: usize,
}

impl Separable {
    /// `turned`: output columns follow image rows (a view turned by 90 or 270 degrees).
    fn new(frame: &Frame, view: &View, map: &crate::view::Mapping, turned: bool) -> Separable {
        let linear = view.filter == Filter::Linear;
        let (w, h) = (frame.width as usize, frame.height as usize);
        // One image axis: `n` samples, indices scaled by `stride`; `at(i)` its coordinate.
        let axis = |count: u32, n: usize, stride: usize, at: &dyn Fn(f32) -> f32| {
            (0..count)
                .map(|i| {
                    let c = at(i as f32 + 0.5);
                    let inside = c >= 0.0 && c < n as f32;
                    let clamp = |k: i64| k.clamp(0, n as i64 - 1) as usize * stride;
                    if linear {
                        let s = c - 0.5;
                        let f = s.floor();
                        AxisSample {
                            first: clamp(f as i64),
                            second: clamp(f as i64 + 1),
                            weight: s - f,
                            inside,
                        }
                    } else {
                        let k = clamp(c.floor() as i64);
                        AxisSample {
                            first: k,
                            second: k,
                            weight: 0.0,
                            inside,
                        }
                    }
                })
                .collect::<Vec<_>>()
        };
        use crate::view::fma32;
        let (o, ax, ay) = (map.origin, map.axis_x, map.axis_y);
        let (columns, rows) = if turned {
            (
                axis(view.width, h, w, &|x| fma32(x, ax[1], o[1])),
                axis(view.height, w, 1, &|y| fma32(y, ay[0], o[0])),
            )
        } else {
            (
                axis(view.width, w, 1, &|x| fma32(x, ax[0], o[0])),
                axis(view.height, h, w, &|y| fma32(y, ay[1], o[1])),
            )
        };
        Separable {
            columns,
            rows,
            linear,
            width: w,
        }
    }

    /// The pixels; `TURNED` as in [`Separable::new`].
    fn render<T: Copy + Send + Sync, const TURNED: bool>(
        &self,
        data: &[T],
        to_f32: &(impl Fn(T) -> f32 + Sync),
        integer: bool,
        table: Option<&LevelTable>,
        level: &(impl Fn(f32) -> u8 + Sync),
        out: &mut [u8],
    ) {
        use crate::view::fma32;
        // Integer samples under a monotone pipeline: a bilinear value lies between its four
        // neighbours (the differences of integers are exact, each lerp stays between its
        // ends), so where they share a level the pixel has it without interpolating.
        let flat = table.filter(|t| integer && t.monotone);
        let ow = self.columns.len();
        // Where the view magnifies, that test is made once per cell of four samples.
        let cells = flat.filter(|_| self.linear).and_then(|t| {
            let (xs, ys) = if TURNED {
                (&self.rows, &self.columns)
            } else {
                (&self.columns, &self.rows)
            };
            Cells::new(data, to_f32, self.width, t, xs, ys, ow * self.rows.len())
        });
        let (column_terms, row_terms) = match &cells {
            Some(c) if TURNED => (&c.y_terms[..], &c.x_terms[..]),
            Some(c) => (&c.x_terms[..], &c.y_terms[..]),
            None => (&[][..], &[][..]),
        };
        // One output pixel from the samples around it; None where there is no data.
        let pixel = |r: &AxisSample, c: &AxisSample| -> Option<u8> {
            // (x, y) image neighbours: the column's axis is x unless the view is turned.
            let (xs, ys) = if TURNED { (r, c) } else { (c, r) };
            let v00 = to_f32(data[ys.first + xs.first]);
            if !self.linear {
                return (v00 >= crate::view::NO_DATA_BELOW).then(|| match flat {
                    Some(t) => t.of_integer(v00),
                    None => level(v00),
                });
            }
            let v10 = to_f32(data[ys.first + xs.second]);
            let v01 = to_f32(data[ys.second + xs.first]);
            let v11 = to_f32(data[ys.second + xs.second]);
            if let Some(t) = flat {
                let l = t.of_integer(v00);
                if t.of_integer(v10) == l && t.of_integer(v01) == l && t.of_integer(v11) == l {
                    return Some(l);
                }
            }
            let top = fma32(v10 - v00, xs.weight, v00);
            let bottom = fma32(v11 - v01, xs.weight, v01);
            let v = fma32(bottom - top, ys.weight, top);
            (v >= crate::view::NO_DATA_BELOW).then(|| level(v))
        };
        let row = |y: usize, out: &mut [u8]| {
            let r = &self.rows[y];
            if !r.inside {
                return;
            }
            match (&cells, row_terms.get(y)) {
                (Some(cells), Some(&rt)) if rt != NO_CELL => {
                    let levels = &cells.levels[..];
                    for ((o, c), &ct) in out.iter_mut().zip(&self.columns).zip(column_terms) {
                        if !c.inside {
                            continue;
                        }
                        if ct != NO_CELL {
                            let l = levels[rt + ct];
                            if l != MIXED {
                                *o = l as u8;
                                continue;
                            }
                        }
                        if let Some(v) = pixel(r, c) {
                            *o = v;
                        }
                    }
                }
                _ => {
                    for (o, c) in out.iter_mut().zip(&self.columns) {
                        if c.inside
                            && let Some(v) = pixel(r, c)
                        {
                            *o = v;
                        }
                    }
                }
            }
        };
        crate::for_each_row(out, ow, row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use crate::view::fma32;
    use hounsfield_dicom::FrameColor;
    use hounsfield_dicom::Lut;
    use hounsfield_dicom::ModalityLut;

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
                            crate::view::NO_DATA
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
            View {
                rotation: 3,
                flip_vertical: true,
                zoom: 2.3,
                pan: [-7.5, 3.25],
                filter: Filter::Linear,
                ..View::fit(130, 90)
            },
            View {
                rotation: 2,
                filter: Filter::Linear,
                ..View::fit(64, 64)
            },
            // Degenerate: a zero scale maps every pixel to no coordinate (black).
            View {
                zoom: 0.0,
                ..View::fit(20, 10)
            },
        ];
        // Presentation LUTs: none, a monotone one and one that is not (its entries go up
        // and down, so levels shared by four samples say nothing of the values between).
        let plut = |data: Vec<u16>| Lut {
            first_mapped: 0,
            bits: 8,
            data,
            explanation: None,
        };
        let presentation_luts = [
            None,
            Some(plut((0..256).map(|k| (k * k / 255) as u16).collect())),
            Some(plut((0..256).map(|k| (k % 7 * 40) as u16).collect())),
        ];
        let mut checked = 0;
        for f in &frames {
            for modality in &modalities {
                for voi in &vois {
                    for (inverse, presentation_lut) in [false, true]
                        .into_iter()
                        .flat_map(|i| presentation_luts.iter().map(move |p| (i, p.clone())))
                    {
                        let pipe = GreyPipeline {
                            modality: modality.clone(),
                            voi: voi.clone(),
                            inverse,
                            presentation_lut,
                        };
                        for view in &views {
                            assert_eq!(
                                render_grey_view(f, &pipe, view),
                                reference(f, &pipe, view),
                                "{} {modality:?} {voi:?} inverse {inverse} {:?} {view:?}",
                                f.samples.lane(),
                                pipe.presentation_lut.as_ref().map(|l| &l.data[..4])
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 5 * 4 * 4 * 2 * 3 * 8);
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
