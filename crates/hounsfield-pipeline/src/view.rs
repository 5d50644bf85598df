//! The view transform: which image position each output pixel shows.
//!
//! Output pixel centres map to image coordinates by an affine function,
//! `img = fma(p.y, axis_y, fma(p.x, axis_x, origin))`, evaluated in f32 with fused
//! multiply-adds by both the CPU reference and the WGSL shader, so that both sample the
//! same image positions. Image pixel `i` covers `[i, i + 1)`.
//!
//! Sample points are moved by [`SAMPLE_BIAS`] of a pixel along both image axes. Without
//! it, simple zoom factors put sample points exactly on pixel boundaries, where a GPU
//! that does not fuse the multiply-adds picks the neighbouring pixel (or breaks a
//! rounding tie the other way) and the GPU and the reference would disagree.

use hounsfield_dicom::{PixelPadding, Samples};

/// The offset, in image pixels, of every sample point (see the module documentation).
pub const SAMPLE_BIAS: f64 = 1.0 / 512.0;

/// Marks sample points that fall outside what is sampled (a plane beyond its volume).
/// Renderers show values below [`NO_DATA_BELOW`] as background.
pub const NO_DATA: f32 = -1.0e38;
/// Samples below this are no data (also after interpolation with [`NO_DATA`]).
pub const NO_DATA_BELOW: f32 = -1.0e30;

/// Minimum and maximum of the samples that hold data: [`Samples::min_max`] with the
/// [`NO_DATA`] samples of resampled float frames left out.
///
/// ```
/// use hounsfield_dicom::{PixelPadding, Samples};
/// use hounsfield_pipeline::view::{NO_DATA, data_min_max};
/// assert_eq!(data_min_max(&Samples::F32(vec![NO_DATA, 2.0, -3.0])), Some((-3.0, 2.0)));
/// ```
pub fn data_min_max(samples: &Samples) -> Option<(f64, f64)> {
    match samples {
        Samples::F32(v) => {
            let data = v.iter().copied().filter(|x| *x >= NO_DATA_BELOW);
            let lo = data.clone().fold(f32::INFINITY, f32::min);
            let hi = data.fold(f32::NEG_INFINITY, f32::max);
            (lo <= hi).then_some((f64::from(lo), f64::from(hi)))
        }
        other => other.min_max(),
    }
}

/// Minimum and maximum of the samples that hold data and are not padding: [`data_min_max`]
/// with the stored values of `padding` left out too. None when nothing is left.
///
/// ```
/// use hounsfield_dicom::{PixelPadding, Samples};
/// use hounsfield_pipeline::view::data_min_max_without;
/// let s = Samples::I16(vec![-2000, 5, -3, -2000]);
/// let padding = PixelPadding { low: -2000, high: -2000 };
/// assert_eq!(data_min_max_without(&s, Some(padding)), Some((-3.0, 5.0)));
/// ```
pub fn data_min_max_without(
    samples: &Samples,
    padding: Option<PixelPadding>,
) -> Option<(f64, f64)> {
    let Some(p) = padding else {
        return data_min_max(samples);
    };
    let below = f64::from(NO_DATA_BELOW);
    let (lo, hi) = (0..samples.len())
        .map(|i| samples.get_f64(i))
        .filter(|&v| v >= below && !p.contains(v))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    (lo <= hi).then_some((lo, hi))
}

/// How stored values between pixel centres are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Filter {
    /// The value of the pixel the position falls in.
    #[default]
    Nearest,
    /// Bilinear interpolation of stored values (before any windowing); palette indices
    /// are never interpolated.
    Linear,
}

/// A view of an image in an output rectangle.
///
/// ```
/// use hounsfield_pipeline::view::View;
/// // A 512 x 512 image in a 1024 x 512 viewport: fitted, centred, 1 pixel = 1 pixel.
/// let m = View::fit(1024, 512).mapping(512, 512);
/// let [x, y] = m.image_at(512.5, 0.5);
/// assert!((x - 256.5).abs() < 0.01 && (y - 0.5).abs() < 0.01);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct View {
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// Magnification relative to fitting the image in the output (1 = fit).
    pub zoom: f64,
    /// Translation in output pixels.
    pub pan: [f64; 2],
    /// Mirror left-right (flips apply before rotation).
    pub flip_horizontal: bool,
    /// Mirror top-bottom.
    pub flip_vertical: bool,
    /// Clockwise quarter turns (0..=3).
    pub rotation: u8,
    /// Height of a pixel relative to its width (row spacing / column spacing, from Pixel
    /// Spacing or Pixel Aspect Ratio); 1 for square pixels.
    pub pixel_aspect: f64,
    /// Nearest or bilinear sampling.
    pub filter: Filter,
}

/// `a * b + c` rounded once, as `f32::mul_add` (and the shaders' `fma`) computes it, but
/// fast where the CPU has no fused multiply-add (WebAssembly, x86-64 without FMA), where
/// `mul_add` is a library call: the product of two `f32` is exact in `f64`, and the sum
/// rounded to `f64` and then to `f32` is the fused result except when that second rounding
/// meets a tie that the first one made (the test of musl's `fmaf`); then `mul_add` itself.
#[inline(always)]
pub fn fma32(a: f32, b: f32, c: f32) -> f32 {
    let xy = f64::from(a) * f64::from(b);
    let z = f64::from(c);
    let r = xy + z;
    if r.to_bits() & 0x1fff_ffff != 0x1000_0000 || !r.is_finite() || (r - xy == z && r - z == xy) {
        r as f32
    } else {
        a.mul_add(b, c)
    }
}

/// The bilinear interpolation at `s` (coordinates with pixel centres at integers) of the
/// values `load(column, row)` gives, as the shaders compute it (`fma` for each lerp).
#[inline(always)]
pub fn bilinear(s: [f32; 2], load: impl Fn(i64, i64) -> f32) -> f32 {
    let (x0, y0) = (s[0].floor(), s[1].floor());
    let (fx, fy) = (s[0] - x0, s[1] - y0);
    let (x0, y0) = (x0 as i64, y0 as i64);
    let (v00, v10, v01, v11) = (
        load(x0, y0),
        load(x0 + 1, y0),
        load(x0, y0 + 1),
        load(x0 + 1, y0 + 1),
    );
    let top = fma32(v10 - v00, fx, v00);
    let bottom = fma32(v11 - v01, fx, v01);
    fma32(bottom - top, fy, top)
}

/// The affine mapping of output pixel centres to image coordinates, in f32.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Mapping {
    /// Image coordinates of the centre of output pixel (0, 0).
    pub origin: [f32; 2],
    /// Change of image coordinates per output pixel to the right.
    pub axis_x: [f32; 2],
    /// Change of image coordinates per output pixel down.
    pub axis_y: [f32; 2],
}

impl Mapping {
    /// The image coordinate shown at output position (x, y) (pixel centres at +0.5).
    #[inline]
    pub fn image_at(&self, x: f32, y: f32) -> [f32; 2] {
        [
            fma32(y, self.axis_y[0], fma32(x, self.axis_x[0], self.origin[0])),
            fma32(y, self.axis_y[1], fma32(x, self.axis_x[1], self.origin[1])),
        ]
    }
}

impl View {
    /// The image fitted into a `width` x `height` output, nearest sampling.
    pub fn fit(width: u32, height: u32) -> View {
        View {
            width,
            height,
            zoom: 1.0,
            pan: [0.0, 0.0],
            flip_horizontal: false,
            flip_vertical: false,
            rotation: 0,
            pixel_aspect: 1.0,
            filter: Filter::Nearest,
        }
    }

    /// One output pixel per image pixel, the image at the top left.
    pub fn native(columns: u32, rows: u32) -> View {
        View::fit(columns, rows)
    }

    /// Output pixels per image column at the current zoom.
    pub fn scale(&self, columns: u32, rows: u32) -> f64 {
        let aspect = if self.pixel_aspect > 0.0 {
            self.pixel_aspect
        } else {
            1.0
        };
        let (w, h) = (f64::from(columns), f64::from(rows) * aspect);
        let (w, h) = if self.rotation % 2 == 1 {
            (h, w)
        } else {
            (w, h)
        };
        let fit = (f64::from(self.width) / w).min(f64::from(self.height) / h);
        fit * self.zoom
    }

    /// The mapping of output pixels to image coordinates in f64: origin, x axis, y axis.
    fn mapping_f64(&self, columns: u32, rows: u32) -> [[f64; 2]; 3] {
        let aspect = if self.pixel_aspect > 0.0 {
            self.pixel_aspect
        } else {
            1.0
        };
        let s = self.scale(columns, rows);
        // Output offset d from the viewport centre (minus pan) -> rotate back -> unflip ->
        // physical offset / s -> image offset (rows shrink by the aspect).
        let (sin, cos) = match self.rotation % 4 {
            0 => (0.0, 1.0),
            1 => (1.0, 0.0),
            2 => (0.0, -1.0),
            _ => (-1.0, 0.0),
        };
        let fx = if self.flip_horizontal { -1.0 } else { 1.0 };
        let fy = if self.flip_vertical { -1.0 } else { 1.0 };
        // Inverse rotation of (dx, dy) by the clockwise angle: (cos dx + sin dy, -sin dx + cos dy).
        let ax = [cos * fx / s, -sin * fy / (s * aspect)];
        let ay = [sin * fx / s, cos * fy / (s * aspect)];
        let c_out = [
            f64::from(self.width) / 2.0 + self.pan[0],
            f64::from(self.height) / 2.0 + self.pan[1],
        ];
        let c_img = [f64::from(columns) / 2.0, f64::from(rows) / 2.0];
        let origin = [
            c_img[0] - c_out[0] * ax[0] - c_out[1] * ay[0] + SAMPLE_BIAS,
            c_img[1] - c_out[0] * ax[1] - c_out[1] * ay[1] + SAMPLE_BIAS,
        ];
        [origin, ax, ay]
    }

    /// This view zoomed and panned to show `area` of a `columns` x `rows` image in the
    /// middle of the output: whole and as large as the output allows, or at
    /// `magnification` output pixels per image column. `area` is `[left, top, right,
    /// bottom]` in image coordinates (pixel edges at integers), as a presentation state's
    /// displayed area gives it; the flips and turns stay. This view's own zoom and pan
    /// apply on top, as they do on a fitted image (zoom about the output's centre, then
    /// pan), so a user's zoom and pan work from the area as from the whole image.
    ///
    /// ```
    /// use hounsfield_pipeline::view::View;
    /// // Columns 20-100 and rows 30-90 (1-based) of a 128 x 128 image, at 1:1.
    /// let v = View::fit(81, 61).showing_area(128, 128, [19.0, 29.0, 100.0, 90.0], None);
    /// let [x, y] = v.mapping(128, 128).image_at(0.5, 0.5);
    /// assert!((x - 19.5).abs() < 0.01 && (y - 29.5).abs() < 0.01);
    /// ```
    pub fn showing_area(
        mut self,
        columns: u32,
        rows: u32,
        area: [f64; 4],
        magnification: Option<f64>,
    ) -> View {
        let (user_zoom, user_pan) = (self.zoom, self.pan);
        self.zoom = 1.0;
        self.pan = [0.0, 0.0];
        let fit = self.scale(columns, rows);
        let aspect = if self.pixel_aspect > 0.0 {
            self.pixel_aspect
        } else {
            1.0
        };
        let (w, h) = (area[2] - area[0], (area[3] - area[1]) * aspect);
        let (w, h) = if self.rotation % 2 == 1 {
            (h, w)
        } else {
            (w, h)
        };
        let s = magnification
            .unwrap_or_else(|| (f64::from(self.width) / w).min(f64::from(self.height) / h));
        if !(s.is_finite() && s > 0.0 && fit.is_finite() && fit > 0.0) {
            return self;
        }
        self.zoom = s / fit;
        // The output's centre shows the image centre moved by -(pan.x * ax + pan.y * ay):
        // solve for the pan that moves it to the area's centre.
        let [_, ax, ay] = self.mapping_f64(columns, rows);
        let e = [
            (area[0] + area[2]) / 2.0 - f64::from(columns) / 2.0,
            (area[1] + area[3]) / 2.0 - f64::from(rows) / 2.0,
        ];
        let det = ax[0] * ay[1] - ay[0] * ax[1];
        if det == 0.0 || !det.is_finite() {
            return self;
        }
        let pan = [
            -(ay[1] * e[0] - ay[0] * e[1]) / det,
            -(-ax[1] * e[0] + ax[0] * e[1]) / det,
        ];
        self.zoom *= user_zoom;
        self.pan = [
            pan[0] * user_zoom + user_pan[0],
            pan[1] * user_zoom + user_pan[1],
        ];
        self
    }

    /// The mapping of output pixels to image coordinates for a `columns` x `rows` image.
    pub fn mapping(&self, columns: u32, rows: u32) -> Mapping {
        let [o, ax, ay] = self.mapping_f64(columns, rows);
        Mapping {
            origin: [o[0] as f32, o[1] as f32],
            axis_x: [ax[0] as f32, ax[1] as f32],
            axis_y: [ay[0] as f32, ay[1] as f32],
        }
    }

    /// The inverse of [`mapping`](Self::mapping): where image position `q` lands in the
    /// output, `origin + q.x * axis_x + q.y * axis_y` (computed in f64, then rounded).
    pub fn placement(&self, columns: u32, rows: u32) -> Mapping {
        let [o, ax, ay] = self.mapping_f64(columns, rows);
        let det = ax[0] * ay[1] - ay[0] * ax[1];
        let fx = [ay[1] / det, -ax[1] / det];
        let fy = [-ay[0] / det, ax[0] / det];
        let origin = [
            -(fx[0] * o[0] + fy[0] * o[1]),
            -(fx[1] * o[0] + fy[1] * o[1]),
        ];
        Mapping {
            origin: [origin[0] as f32, origin[1] as f32],
            axis_x: [fx[0] as f32, fx[1] as f32],
            axis_y: [fy[0] as f32, fy[1] as f32],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(m: &Mapping, x: f32, y: f32) -> [f32; 2] {
        let [a, b] = m.image_at(x, y);
        [a - SAMPLE_BIAS as f32, b - SAMPLE_BIAS as f32]
    }

    #[test]
    fn native_view_is_identity() {
        let m = View::native(7, 5).mapping(7, 5);
        assert_eq!(at(&m, 0.5, 0.5), [0.5, 0.5]);
        assert_eq!(at(&m, 6.5, 4.5), [6.5, 4.5]);
    }

    #[test]
    fn rotation_and_flip() {
        // A quarter turn clockwise: the top-left output pixel shows the bottom-left image pixel.
        let mut v = View::native(4, 4);
        v.rotation = 1;
        let m = v.mapping(4, 4);
        assert_eq!(at(&m, 0.5, 0.5), [0.5, 3.5]);
        let mut v = View::native(4, 4);
        v.flip_horizontal = true;
        assert_eq!(at(&v.mapping(4, 4), 0.5, 0.5), [3.5, 0.5]);
    }

    #[test]
    fn showing_an_area() {
        // Fitted: the area's corners at the output's corners, turned a quarter.
        let mut v = View::fit(61, 81);
        v.rotation = 1;
        let v = v.showing_area(128, 100, [19.0, 29.0, 100.0, 90.0], None);
        let m = v.mapping(128, 100);
        // A quarter turn clockwise: the output's top left shows the area's bottom left.
        assert_eq!(at(&m, 0.5, 0.5), [19.5, 89.5]);
        assert_eq!(at(&m, 60.5, 80.5), [99.5, 29.5]);
        // Magnified twice, centred: two output pixels per image pixel.
        let v = View::fit(40, 40).showing_area(128, 128, [10.0, 20.0, 30.0, 40.0], Some(2.0));
        let m = v.mapping(128, 128);
        assert_eq!(at(&m, 0.5, 0.5), [10.25, 20.25]);
        assert_eq!(at(&m, 39.5, 39.5), [29.75, 39.75]);
    }

    #[test]
    fn placement_inverts_mapping() {
        let mut v = View::fit(333, 217);
        v.zoom = 1.7;
        v.rotation = 3;
        v.flip_vertical = true;
        v.pan = [12.0, -5.5];
        v.pixel_aspect = 1.3;
        let (m, p) = (v.mapping(100, 80), v.placement(100, 80));
        for (x, y) in [(0.5f32, 0.5f32), (100.0, 50.0), (332.5, 216.5)] {
            let q = m.image_at(x, y);
            let back = p.image_at(q[0], q[1]);
            assert!(
                (back[0] - x).abs() < 1e-3 && (back[1] - y).abs() < 1e-3,
                "{x},{y} -> {q:?} -> {back:?}"
            );
        }
    }

    #[test]
    fn zoom_and_aspect() {
        let mut v = View::fit(200, 200);
        v.zoom = 2.0;
        // 100 x 100 image, fit scale 2, zoom 2: 4 output pixels per image pixel around the centre.
        let m = v.mapping(100, 100);
        assert_eq!(at(&m, 100.0, 100.0), [50.0, 50.0]);
        assert_eq!(at(&m, 104.0, 100.0), [51.0, 50.0]);
        let mut v = View::fit(100, 200);
        v.pixel_aspect = 2.0;
        // Rows twice as tall: a 100 x 100 image fills 100 x 200.
        let m = v.mapping(100, 100);
        assert_eq!(at(&m, 0.5, 1.0), [0.5, 0.5]);
    }
}
