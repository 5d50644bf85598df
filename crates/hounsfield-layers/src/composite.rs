//! Segment masks painted over a rendered image.

use crate::segmentation::Mask;
use hounsfield_dicom::Geometry;
use hounsfield_pipeline::RenderedImage;
use hounsfield_pipeline::view::View;

/// How segments are painted: filled at `opacity` (times a fractional pixel's coverage),
/// and outlined at full colour along their edge (mask pixels at least half covered with a
/// 4-neighbour that is not).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Fill opacity, 0 to 1.
    pub opacity: f64,
    /// Whether the edge is drawn.
    pub outline: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            opacity: 0.5,
            outline: true,
        }
    }
}

/// A pixel grid in the patient: the centre of pixel (0, 0) and the steps to the next
/// column and the next row (mm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaneGrid {
    /// Centre of pixel (0, 0).
    pub origin: [f64; 3],
    /// Step to the next column.
    pub column_step: [f64; 3],
    /// Step to the next row.
    pub row_step: [f64; 3],
}

impl PlaneGrid {
    /// The grid of an image plane (Image Position, Image Orientation, Pixel Spacing).
    pub fn of(g: &Geometry) -> Option<PlaneGrid> {
        let (o, p, s) = (
            g.image_orientation_patient?,
            g.image_position_patient?,
            g.pixel_spacing?,
        );
        Some(PlaneGrid {
            origin: p,
            column_step: [o[0] * s[1], o[1] * s[1], o[2] * s[1]],
            row_step: [o[3] * s[0], o[4] * s[0], o[5] * s[0]],
        })
    }
}

/// Where a mask lies over the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// On the image's own pixel grid (a mask derived from the image, of its size).
    SameGrid,
    /// Through the patient: image pixels to patient points to mask pixels.
    Patient {
        /// The image's grid.
        image: PlaneGrid,
        /// The mask's grid.
        mask: PlaneGrid,
    },
}

impl Placement {
    /// The mask pixel under continuous image coordinate `q` (pixel centres at +0.5).
    fn pixel(&self, q: [f64; 2]) -> (i64, i64) {
        match self {
            Placement::SameGrid => (q[0].floor() as i64, q[1].floor() as i64),
            Placement::Patient { image, mask } => {
                let (i, j) = (q[0] - 0.5, q[1] - 0.5);
                let p: [f64; 3] = std::array::from_fn(|k| {
                    image.origin[k] + i * image.column_step[k] + j * image.row_step[k]
                });
                let d: [f64; 3] = std::array::from_fn(|k| p[k] - mask.origin[k]);
                let along = |s: [f64; 3]| {
                    let n = s[0] * s[0] + s[1] * s[1] + s[2] * s[2];
                    (d[0] * s[0] + d[1] * s[1] + d[2] * s[2]) / n
                };
                (
                    (along(mask.column_step) + 0.5).floor() as i64,
                    (along(mask.row_step) + 0.5).floor() as i64,
                )
            }
        }
    }
}

/// One mask to paint.
#[derive(Debug, Clone, Copy)]
pub struct Painted<'a> {
    /// The mask.
    pub mask: &'a Mask,
    /// Its colour.
    pub color: [u8; 3],
    /// Where it lies.
    pub placement: Placement,
}

/// Paints `layers` (in order, later ones on top) over `image`, rendered from an image of
/// `columns` x `rows` through `view`: each output pixel takes the mask pixel under the
/// image pixel it shows (the nearest-sample rule of the renderer). Blends are exact in
/// integers: with a = round(opacity x 255) x coverage, out = (c (65025 - a) + colour a +
/// 32512) / 65025. A grey image becomes RGB.
///
/// ```
/// use hounsfield_layers::composite::{Painted, Placement, Style, composite};
/// use hounsfield_layers::segmentation::Mask;
/// use hounsfield_pipeline::{RenderedImage, view::View};
/// let mut image = RenderedImage { width: 2, height: 1, channels: 1, pixels: vec![100, 100], pipeline: None };
/// let mask = Mask { columns: 2, rows: 1, coverage: vec![255, 0] };
/// let layer = Painted { mask: &mask, color: [255, 0, 0], placement: Placement::SameGrid };
/// composite(&mut image, 2, 1, &View::native(2, 1), &[layer], Style { opacity: 0.5, outline: false });
/// assert_eq!(image.pixels, vec![178, 50, 50, 100, 100, 100]);
/// ```
pub fn composite(
    image: &mut RenderedImage,
    columns: u32,
    rows: u32,
    view: &View,
    layers: &[Painted<'_>],
    style: Style,
) {
    if image.channels == 1 {
        image.pixels = image.pixels.iter().flat_map(|&g| [g, g, g]).collect();
        image.channels = 3;
    }
    let channels = usize::from(image.channels);
    let alpha = (style.opacity.clamp(0.0, 1.0) * 255.0).round() as u32;
    let m = view.mapping(columns, rows);
    let (w, h) = (columns as f32, rows as f32);
    for y in 0..image.height {
        for x in 0..image.width {
            let q = m.image_at(x as f32 + 0.5, y as f32 + 0.5);
            if !(q[0] >= 0.0 && q[1] >= 0.0 && q[0] < w && q[1] < h) {
                continue;
            }
            let i = (y as usize * image.width as usize + x as usize) * channels;
            let px = &mut image.pixels[i..i + 3];
            for layer in layers {
                let (mx, my) = layer.placement.pixel([f64::from(q[0]), f64::from(q[1])]);
                let cover = u32::from(layer.mask.at(mx, my));
                if cover == 0 {
                    continue;
                }
                let inside = |x: i64, y: i64| layer.mask.at(x, y) >= 128;
                let edge = style.outline
                    && inside(mx, my)
                    && !(inside(mx - 1, my)
                        && inside(mx + 1, my)
                        && inside(mx, my - 1)
                        && inside(mx, my + 1));
                if edge {
                    px.copy_from_slice(&layer.color);
                    continue;
                }
                let a = alpha * cover;
                for (c, k) in px.iter_mut().zip(layer.color) {
                    *c = ((u32::from(*c) * (65025 - a) + u32::from(k) * a + 32512) / 65025) as u8;
                }
            }
        }
    }
}
