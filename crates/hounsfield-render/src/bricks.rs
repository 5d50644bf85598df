//! How a volume is split into textures (bricks) along its slices, and which plane pixels
//! each brick draws.
//!
//! Bricks overlap by one slice: brick `b` holds slices `b * step ..= b * step + step`,
//! so the two slices a thin plane's sample interpolates between always lie in one brick.
//! A plane of a bricked volume is then drawn one brick at a time, each pass over the
//! pixels whose samples all lie in its brick (a scissor around them, and a test per
//! pixel), at about the cost of one texture; the pixels of a slab whose samples lie in
//! several bricks come last, in a pass that chooses among the textures per voxel, which
//! costs a CPU rasteriser every texture at every voxel.

use hounsfield_core::volume::Sampling;

/// Most textures (bricks) one volume is split into along its slices, when it is deeper
/// than the device's textures.
pub const MAX_BRICKS: u32 = 4;

/// The bricks of a volume of `slices` slices in textures of at most `depth` slices (or
/// layers): how many, and the slices from one brick's first to the next one's. None when
/// it needs more than [`MAX_BRICKS`].
///
/// ```
/// use hounsfield_render::volume::{BrickLayout, MAX_BRICKS};
/// // 3,000 slices in arrays of 2,048 layers: two bricks, sharing slice 1,500.
/// let l = BrickLayout::new(3000, 2048).unwrap();
/// assert_eq!((l.bricks, l.step), (2, 1500));
/// assert!(BrickLayout::new(10_000, 2048).is_none());
/// # let _ = MAX_BRICKS;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrickLayout {
    /// Textures.
    pub bricks: u32,
    /// Slices from one brick's first slice to the next one's (each brick holds one more,
    /// the next one's first; the last holds the rest).
    pub step: u32,
}

impl BrickLayout {
    /// The layout of `slices` slices in textures of at most `depth`.
    pub fn new(slices: u32, depth: u32) -> Option<BrickLayout> {
        if slices <= depth {
            return Some(BrickLayout {
                bricks: 1,
                step: slices.max(1),
            });
        }
        if depth < 2 {
            return None;
        }
        let bricks = (slices - 1).div_ceil(depth - 1);
        (bricks <= MAX_BRICKS).then(|| BrickLayout {
            bricks,
            // Balanced: every brick but the last holds step + 1 <= depth slices.
            step: (slices - 1).div_ceil(bricks),
        })
    }

    /// The slices of brick `b` of a volume of `slices` slices: its first, and how many.
    pub fn slices_of(&self, b: u32, slices: u32) -> (u32, u32) {
        let first = b * self.step;
        let count = if self.bricks == 1 {
            slices
        } else {
            (self.step + 1).min(slices.saturating_sub(first))
        };
        (first, count)
    }
}

/// The textures of a volume of `[columns, rows, slices]` on a device of `limits`: whether
/// they are 2D texture arrays (a layer a slice) rather than 3D textures, and its bricks;
/// None when neither holds it. Arrays wherever they hold it: the GPU's API zero-fills a
/// texture before the first write that covers part of it, and tracks that per layer of
/// an array but per whole 3D texture, so the first part of a 3D volume's upload waits
/// while all of it is cleared (on a CPU device, about a second for 500 MB). A volume in
/// more array bricks than 3D ones costs no more for its planes (drawn a brick at a
/// time), except for a slab's pixels whose samples cross a brick's edge.
pub(crate) fn volume_textures(
    limits: &wgpu::Limits,
    [w, h, n]: [u32; 3],
) -> Option<(bool, BrickLayout)> {
    let fits = |side: u32| w <= side && h <= side;
    let arrays = fits(limits.max_texture_dimension_2d)
        .then(|| BrickLayout::new(n, limits.max_texture_array_layers))
        .flatten();
    let d3 = limits.max_texture_dimension_3d;
    arrays.map(|l| (true, l)).or_else(|| {
        fits(d3)
            .then(|| BrickLayout::new(n, d3))
            .flatten()
            .map(|l| (false, l))
    })
}

/// How the planes' shader sees a brick: a 2D array (`layered`) or a 3D texture.
pub(crate) fn brick_view_dimension(layered: bool) -> wgpu::TextureViewDimension {
    if layered {
        wgpu::TextureViewDimension::D2Array
    } else {
        wgpu::TextureViewDimension::D3
    }
}

/// Per brick, the rectangle `[x, y, width, height]` of a `columns` x `rows` plane that
/// holds every pixel whose samples all lie in the brick's part of the volume; None where
/// no pixel does. A pixel's samples lie at `reach[0]` to `reach[1]` (mm) from its
/// distance along the slice normal (`sampling.distance`, at pixel centres; 0 and 0 for a
/// thin plane). The parts meet at each brick's first slice; the first part reaches down
/// without end, the last up (the pixels outside the volume are drawn with them). A pixel
/// near a part's edge may lie in two rectangles: the shader decides per pixel.
pub(crate) fn brick_bands(
    sampling: &Sampling,
    size: (u32, u32),
    layout: BrickLayout,
    [near, far]: [f64; 2],
) -> Vec<Option<[u32; 4]>> {
    let (at, tolerance) = boundaries(sampling);
    (0..layout.bricks)
        .map(|b| {
            let lo = if b == 0 {
                f64::NEG_INFINITY
            } else {
                at(b * layout.step) - tolerance - near
            };
            let hi = if b + 1 == layout.bricks {
                f64::INFINITY
            } else {
                at((b + 1) * layout.step) + tolerance - far
            };
            band(sampling, size, (lo, hi))
        })
        .collect()
}

/// The rectangle of the plane that holds every pixel whose samples (at `reach[0]` to
/// `reach[1]` mm from its distance, `reach[0] < reach[1]`) lie in more than one brick:
/// those whose samples reach across a part's edge. None for a thin plane.
pub(crate) fn several_bricks_band(
    sampling: &Sampling,
    size: (u32, u32),
    layout: BrickLayout,
    [near, far]: [f64; 2],
) -> Option<[u32; 4]> {
    if far <= near {
        return None;
    }
    let (at, tolerance) = boundaries(sampling);
    (1..layout.bricks)
        .filter_map(|b| {
            let edge = at(b * layout.step);
            band(
                sampling,
                size,
                (edge - far - tolerance, edge - near + tolerance),
            )
        })
        .reduce(|[x0, y0, w0, h0], [x1, y1, w1, h1]| {
            let (x, y) = (x0.min(x1), y0.min(y1));
            [x, y, (x0 + w0).max(x1 + w1) - x, (y0 + h0).max(y1 + h1) - y]
        })
}

/// The distance of slice k along the normal (mm), and the rounding allowed around it
/// (of the shader's f32 arithmetic, well inside a slice's spacing).
fn boundaries(sampling: &Sampling) -> (impl Fn(u32) -> f64 + '_, f64) {
    let n = sampling.slices.len();
    let at = move |k: u32| f64::from(sampling.slices[(k as usize).min(n.saturating_sub(1))][2]);
    let span = (at(n.saturating_sub(1) as u32) - at(0)).abs();
    (at, 1e-4 * span + 1e-3)
}

/// The rectangle of the plane around the pixels whose distance lies in `[lo, hi]`.
fn band(
    sampling: &Sampling,
    (columns, rows): (u32, u32),
    (lo, hi): (f64, f64),
) -> Option<[u32; 4]> {
    let [a, dx, dy, _] = sampling.distance.map(f64::from);
    let (w, h) = (f64::from(columns), f64::from(rows));
    // The pixels of each row (column) with lo <= d <= hi make one interval, which moves
    // linearly from the first row (column) to the last: the two end rows' intervals hold
    // all of them between.
    let x = span_along(a, dx, dy, (lo, hi), w, h)?;
    let y = span_along(a, dy, dx, (lo, hi), h, w)?;
    Some([x.0, y.0, x.1 - x.0, y.1 - y.0])
}

/// The pixel indices `[first, end)` along an axis of `len` pixels (coefficient `along`)
/// where `a + along * i + across * j` lies in `[lo, hi]` for some `j` in `[0, other)`,
/// widened by a pixel; None when there are none.
fn span_along(
    a: f64,
    along: f64,
    across: f64,
    (lo, hi): (f64, f64),
    len: f64,
    other: f64,
) -> Option<(u32, u32)> {
    let ends = [a, a + across * (other - 1.0)];
    let (first, last) = if along.abs() < 1e-12 {
        if ends[0].max(ends[1]) < lo || ends[0].min(ends[1]) > hi {
            return None;
        }
        (0.0, len - 1.0)
    } else {
        let mut first = f64::INFINITY;
        let mut last = f64::NEG_INFINITY;
        for e in ends {
            let (p, q) = ((lo - e) / along, (hi - e) / along);
            first = first.min(p.min(q));
            last = last.max(p.max(q));
        }
        (first.floor() - 1.0, last.ceil() + 1.0)
    };
    let first = first.max(0.0);
    let last = last.min(len - 1.0);
    (first <= last).then(|| (first as u32, last as u32 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(d2: u32, layers: u32, d3: u32) -> wgpu::Limits {
        wgpu::Limits {
            max_texture_dimension_2d: d2,
            max_texture_array_layers: layers,
            max_texture_dimension_3d: d3,
            ..wgpu::Limits::downlevel_defaults()
        }
    }

    /// Arrays wherever they hold the volume (no zero-fill of the whole volume before its
    /// first part), 3D textures where they do not, and the bricks of each.
    #[test]
    fn volumes_take_arrays_wherever_they_hold_them() {
        // lavapipe: 2048 layers, 3D textures of 4096.
        // (arrays, bricks) of each volume.
        let textures = |l: &wgpu::Limits, size| {
            volume_textures(l, size).map(|(arrays, layout)| (arrays, layout.bricks))
        };
        let lavapipe = limits(8192, 2048, 4096);
        assert_eq!(textures(&lavapipe, [512, 512, 1000]), Some((true, 1)));
        assert_eq!(textures(&lavapipe, [512, 512, 3000]), Some((true, 2)));
        assert_eq!(
            textures(&lavapipe, [512, 512, 4 * 2047 + 1]),
            Some((true, 4))
        );
        assert_eq!(
            textures(&lavapipe, [512, 512, 4 * 2047 + 2]),
            Some((false, 2))
        );
        // SwiftShader in Chromium: 256 layers.
        let swiftshader = limits(8192, 256, 2048);
        assert_eq!(textures(&swiftshader, [512, 512, 1000]), Some((true, 4)));
        assert_eq!(textures(&swiftshader, [512, 512, 1030]), Some((false, 1)));
        // Wider than the arrays' 2D side; too large for either.
        assert_eq!(
            textures(&limits(256, 2048, 2048), [512, 512, 100]),
            Some((false, 1))
        );
        assert_eq!(textures(&limits(8192, 256, 256), [512, 512, 2000]), None);
    }

    /// Every slice pair (k, k + 1) lies in one brick, every brick fits the textures, and
    /// the bricks cover the volume.
    #[test]
    fn bricks_share_a_slice_so_every_pair_lies_in_one() {
        for depth in [2u32, 3, 4, 7, 16, 256] {
            for n in 1..=(4 * depth + 3) {
                let Some(l) = BrickLayout::new(n, depth) else {
                    assert!(n > MAX_BRICKS * (depth - 1) + 1, "{n} in {depth}");
                    continue;
                };
                assert!(l.bricks <= MAX_BRICKS);
                let mut covered = vec![false; n as usize];
                for b in 0..l.bricks {
                    let (first, count) = l.slices_of(b, n);
                    assert!(count >= 1 && count <= depth, "{n} in {depth}: brick {b}");
                    (first..first + count).for_each(|k| covered[k as usize] = true);
                }
                assert!(covered.iter().all(|&c| c), "{n} in {depth}");
                for k0 in 0..n.saturating_sub(1) {
                    let b = (k0 / l.step).min(l.bricks - 1);
                    let (first, count) = l.slices_of(b, n);
                    assert!(
                        k0 >= first && k0 + 1 < first + count,
                        "{n} in {depth}: {k0}"
                    );
                }
            }
        }
    }

    /// The bands of a sagittal-like plane (distance along its rows) split its rows at the
    /// bricks' first slices; an oblique plane's bands hold every pixel of their part.
    #[test]
    fn bands_hold_the_pixels_of_their_part() {
        let sampling = |distance: [f32; 4]| Sampling {
            column: [0.0; 4],
            row: [0.0; 4],
            distance,
            slices: (0..100).map(|k| [0.0, 0.0, k as f32 * 2.0]).collect(),
            uniform_spacing: 2.0,
            end_margin: [1.0, 1.0],
            ascending: true,
            slab_offsets: Vec::new(),
            padding: None,
        };
        let layout = BrickLayout::new(100, 40).unwrap();
        assert_eq!((layout.bricks, layout.step), (3, 33));
        // Rows at 0.5 mm from -10 mm: brick 1 starts at 66 mm, row 152.
        let s = sampling([-10.0, 0.0, 0.5, 0.0]);
        let bands = brick_bands(&s, (64, 500), layout, [0.0; 2]);
        let [x, y, w, h] = bands[1].unwrap();
        assert_eq!((x, w), (0, 64));
        assert!(
            y <= 152 && y + h >= 284 && y >= 149 && y + h <= 288,
            "{y} {h}"
        );
        assert_eq!(bands[0].unwrap()[1], 0);
        assert_eq!(bands[2].unwrap()[1] + bands[2].unwrap()[3], 500);
        // Every pixel of an oblique plane lies in the band of its part.
        let s = sampling([-30.0, 0.3, 0.2, 0.0]);
        let bands = brick_bands(&s, (300, 400), layout, [0.0; 2]);
        for j in 0..400u32 {
            for i in 0..300u32 {
                let d = -30.0 + 0.3 * f64::from(i) + 0.2 * f64::from(j);
                let k0 = (d / 2.0).floor().clamp(0.0, 99.0) as u32;
                let b = (k0 / layout.step).min(layout.bricks - 1) as usize;
                let [x, y, w, h] = bands[b].unwrap_or_else(|| panic!("({i}, {j}): no band"));
                assert!(
                    i >= x && i < x + w && j >= y && j < y + h,
                    "({i}, {j}) not in {b}"
                );
            }
        }
        // A slab whose samples reach 3 mm each way along the slices: every pixel lies in
        // the band of the brick all its samples lie in, or in the band for several.
        let reach = 3.0;
        let bands = brick_bands(&s, (300, 400), layout, [-reach, reach]);
        let several = several_bricks_band(&s, (300, 400), layout, [-reach, reach]).unwrap();
        let brick = |d: f64| ((d / 2.0).floor().clamp(0.0, 99.0) as u32 / layout.step).min(2);
        let inside =
            |[x, y, w, h]: [u32; 4], i: u32, j: u32| i >= x && i < x + w && j >= y && j < y + h;
        let mut counts = [0; 2];
        for j in 0..400u32 {
            for i in 0..300u32 {
                let d = -30.0 + 0.3 * f64::from(i) + 0.2 * f64::from(j);
                let (b0, b1) = (brick(d - reach), brick(d + reach));
                if b0 == b1 {
                    assert!(
                        bands[b0 as usize].is_some_and(|r| inside(r, i, j)),
                        "({i}, {j})"
                    );
                    counts[0] += 1;
                } else {
                    assert!(inside(several, i, j), "({i}, {j}) across {b0} and {b1}");
                    counts[1] += 1;
                }
            }
        }
        assert!(counts[0] > 0 && counts[1] > 0, "{counts:?}");
        // An axial plane (one distance) meets one brick.
        let s = sampling([70.0, 0.0, 0.0, 0.0]);
        let bands = brick_bands(&s, (64, 64), layout, [0.0; 2]);
        assert_eq!(bands, vec![None, Some([0, 0, 64, 64]), None]);
        assert_eq!(several_bricks_band(&s, (64, 64), layout, [-1.0, 1.0]), None);
        // The same plane as a slab reaching across slice 33 (66 mm): drawn whole by the
        // pass for several bricks, by none of the bricks' passes.
        assert_eq!(
            several_bricks_band(&s, (64, 64), layout, [-5.0, 5.0]),
            Some([0, 0, 64, 64])
        );
        assert_eq!(
            brick_bands(&s, (64, 64), layout, [-5.0, 5.0]),
            vec![None, None, None]
        );
    }
}
