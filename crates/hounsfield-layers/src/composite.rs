//! Segment masks painted over a rendered image.

use crate::masks::{MaskStyle, PlacedMasks};
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
    /// The grid of the pixels of a plane cut through a volume.
    pub fn of_plane(plane: &hounsfield_volume::volume::Plane) -> PlaneGrid {
        PlaneGrid {
            origin: plane.origin,
            column_step: plane.u.map(|c| c * plane.spacing),
            row_step: plane.v.map(|c| c * plane.spacing),
        }
    }

    /// Pixel coordinates (centres at integers) of patient point `p` projected onto the
    /// grid along its normal; not finite when a step is zero.
    pub fn pixel_of(&self, p: [f64; 3]) -> [f64; 2] {
        let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        let d = std::array::from_fn(|k| p[k] - self.origin[k]);
        [
            dot(d, self.column_step) / dot(self.column_step, self.column_step),
            dot(d, self.row_step) / dot(self.row_step, self.row_step),
        ]
    }

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
    pub(crate) fn pixel(&self, q: [f64; 2]) -> (i64, i64) {
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
    /// Its fill opacity, 0 to 1 (the outline is opaque).
    pub opacity: f64,
    /// Where it lies.
    pub placement: Placement,
}

/// Segments painted together on an image's pixel grid: per pixel, their colour
/// premultiplied by their coverage, and the coverage (0 to 1), as they are drawn over the
/// image ([`composite`] on the CPU; [`LayerImage::rgba8`] for the GPU, which blends it the
/// same way).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerImage {
    /// Columns (the image's).
    pub columns: u32,
    /// Rows.
    pub rows: u32,
    /// Row by row: premultiplied red, green, blue and the coverage.
    pub pixels: Vec<[f64; 4]>,
}

impl LayerImage {
    /// Paints `layers` in order (later ones over earlier ones) on the pixels of a
    /// `columns` x `rows` image. Each image pixel takes the mask pixel under its centre. A
    /// mask pixel at least half covered with a 4-neighbour that is not is an edge: opaque
    /// in its colour when `outline`; any other covered pixel has the opacity
    /// round(layer's opacity x 255) / 255 times its coverage (of 255). Layers combine as
    /// premultiplied "over": C = colour x a + C (1 - a), A = a + A (1 - a).
    pub fn paint(columns: u32, rows: u32, layers: &[Painted<'_>], outline: bool) -> LayerImage {
        let masks: Vec<(&Mask, Placement)> = layers.iter().map(|l| (l.mask, l.placement)).collect();
        let styles: Vec<MaskStyle> = layers
            .iter()
            .enumerate()
            .map(|(k, l)| MaskStyle::new(k, l.color, l.opacity))
            .collect();
        PlacedMasks::place(columns, rows, &masks).style(&styles, outline)
    }

    /// A `columns` x `rows` layer with nothing painted.
    pub fn blank(columns: u32, rows: u32) -> LayerImage {
        LayerImage {
            columns,
            rows,
            pixels: vec![[0.0; 4]; columns as usize * rows as usize],
        }
    }

    /// Lays `top` (painted on the same grid) over this layer, premultiplied "over" as
    /// [`paint`](Self::paint) combines layers; a layer of another size is left out.
    pub fn over(&mut self, top: &LayerImage) {
        if (top.columns, top.rows) != (self.columns, self.rows) {
            return;
        }
        for (p, t) in self.pixels.iter_mut().zip(&top.pixels) {
            for c in 0..4 {
                p[c] = t[c] + p[c] * (1.0 - t[3]);
            }
        }
    }

    /// Whether nothing is painted.
    pub fn is_empty(&self) -> bool {
        self.pixels.iter().all(|p| p[3] == 0.0)
    }

    /// The texels of [`Renderer::upload_layer`](https://docs.rs/hounsfield-render): each
    /// value times 255, rounded.
    pub fn rgba8(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|p| p.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8))
            .collect()
    }
}

/// Draws `layer` over `image` (rendered through `view` from the image the layer was
/// painted for): each output pixel takes the layer pixel of the image pixel it shows (the
/// renderer's nearest-sample rule) and becomes round(c (1 - A) + 255 C). A grey image
/// becomes RGB.
///
/// ```
/// use hounsfield_layers::composite::{LayerImage, Painted, Placement, composite};
/// use hounsfield_layers::segmentation::Mask;
/// use hounsfield_pipeline::{RenderedImage, view::View};
/// let mut image = RenderedImage { width: 2, height: 1, channels: 1, pixels: vec![100, 100], pipeline: None };
/// let mask = Mask { columns: 2, rows: 1, coverage: vec![255, 0] };
/// let red = Painted { mask: &mask, color: [255, 0, 0], opacity: 0.5, placement: Placement::SameGrid };
/// let layer = LayerImage::paint(2, 1, &[red], false);
/// composite(&mut image, &View::native(2, 1), &layer);
/// assert_eq!(image.pixels, vec![178, 50, 50, 100, 100, 100]);
/// ```
pub fn composite(image: &mut RenderedImage, view: &View, layer: &LayerImage) {
    if image.channels == 1 {
        image.pixels = image.pixels.iter().flat_map(|&g| [g, g, g]).collect();
        image.channels = 3;
    }
    let channels = usize::from(image.channels);
    let m = view.mapping(layer.columns, layer.rows);
    let (w, h) = (layer.columns as f32, layer.rows as f32);
    for y in 0..image.height {
        for x in 0..image.width {
            let q = m.image_at(x as f32 + 0.5, y as f32 + 0.5);
            if !(q[0] >= 0.0 && q[1] >= 0.0 && q[0] < w && q[1] < h) {
                continue;
            }
            let l = layer.pixels
                [q[1].floor() as usize * layer.columns as usize + q[0].floor() as usize];
            if l[3] == 0.0 {
                continue;
            }
            let i = (y as usize * image.width as usize + x as usize) * channels;
            for (c, v) in image.pixels[i..i + 3].iter_mut().zip(&l[..3]) {
                let out = f64::from(*c) * (1.0 - l[3]) + v * 255.0;
                *c = (out + 0.5).floor().clamp(0.0, 255.0) as u8;
            }
        }
    }
}
