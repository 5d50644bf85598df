//! Segment masks placed on an image's pixel grid, then styled: the two halves of
//! [`LayerImage::paint`]. A renderer keeps the placed masks (an integer texture, one layer
//! per mask) and restyles them when a segment's colour, opacity or visibility changes,
//! without placing them again; [`PlacedMasks::style`] is the reference of that
//! composition.
//!
//! ```
//! use hounsfield_layers::composite::Placement;
//! use hounsfield_layers::masks::{EDGE, MaskStyle, PlacedMasks};
//! use hounsfield_layers::segmentation::Mask;
//! // A 3 x 3 mask covering its first two columns: every covered pixel has a 4-neighbour
//! // outside the mask (past the image's edge or in the last column), so all are edges.
//! let mask = Mask { columns: 3, rows: 3, coverage: vec![255, 255, 0, 255, 255, 0, 255, 255, 0] };
//! let placed = PlacedMasks::place(3, 3, &[(&mask, Placement::SameGrid)]);
//! assert_eq!(placed.layers[0][..3], [255 | EDGE, 255 | EDGE, 0]);
//! let red = MaskStyle::new(0, [255, 0, 0], 0.5);
//! let layer = placed.style(&[red], false);
//! assert_eq!(layer.pixels[0][3], 128.0 / 255.0);
//! ```

use crate::composite::{LayerImage, Placement};
use crate::segmentation::Mask;

/// Set in a placed texel when its mask pixel is an edge: at least half covered, with a
/// 4-neighbour that is not.
pub const EDGE: u16 = 0x100;

/// Masks on a `columns` x `rows` image grid, one texel per image pixel and mask: the
/// coverage (0-255) of the mask pixel under the pixel's centre, with [`EDGE`] set when
/// that mask pixel is an edge.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedMasks {
    /// Columns (the image's).
    pub columns: u32,
    /// Rows.
    pub rows: u32,
    /// Per mask, row by row.
    pub layers: Vec<Vec<u16>>,
}

/// How one placed mask is drawn: its layer in [`PlacedMasks::layers`], colour and fill
/// opacity (of 255).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskStyle {
    /// The mask's index in [`PlacedMasks::layers`].
    pub layer: usize,
    /// Its colour.
    pub color: [u8; 3],
    /// Its fill opacity: round(opacity x 255).
    pub alpha: u8,
}

impl MaskStyle {
    /// Mask `layer` in `color`, filled at `opacity` (0 to 1).
    pub fn new(layer: usize, color: [u8; 3], opacity: f64) -> MaskStyle {
        MaskStyle {
            layer,
            color,
            alpha: (opacity.clamp(0.0, 1.0) * 255.0).round() as u8,
        }
    }
}

impl PlacedMasks {
    /// Places `masks` on the pixels of a `columns` x `rows` image: each image pixel takes
    /// the mask pixel under its centre.
    pub fn place(columns: u32, rows: u32, masks: &[(&Mask, Placement)]) -> PlacedMasks {
        let layers = masks
            .iter()
            .map(|(mask, placement)| {
                let inside = |x: i64, y: i64| mask.at(x, y) >= 128;
                let mut texels = vec![0u16; columns as usize * rows as usize];
                for j in 0..rows {
                    for i in 0..columns {
                        let q = [f64::from(i) + 0.5, f64::from(j) + 0.5];
                        let (mx, my) = placement.pixel(q);
                        let cover = mask.at(mx, my);
                        if cover == 0 {
                            continue;
                        }
                        let edge = inside(mx, my)
                            && !(inside(mx - 1, my)
                                && inside(mx + 1, my)
                                && inside(mx, my - 1)
                                && inside(mx, my + 1));
                        texels[j as usize * columns as usize + i as usize] =
                            u16::from(cover) | if edge { EDGE } else { 0 };
                    }
                }
                texels
            })
            .collect();
        PlacedMasks {
            columns,
            rows,
            layers,
        }
    }

    /// The masks `styles` name, drawn in order (later ones over earlier ones): an edge
    /// texel is opaque in its colour when `outline`; any other covered texel has the
    /// opacity alpha / 255 times its coverage (of 255). Masks combine as premultiplied
    /// "over": C = colour x a + C (1 - a), A = a + A (1 - a). A style naming no mask draws
    /// nothing.
    pub fn style(&self, styles: &[MaskStyle], outline: bool) -> LayerImage {
        let mut layer = LayerImage::blank(self.columns, self.rows);
        for s in styles {
            let Some(texels) = self.layers.get(s.layer) else {
                continue;
            };
            let k = s.color.map(|c| f64::from(c) / 255.0);
            let alpha = f64::from(s.alpha);
            for (p, &v) in layer.pixels.iter_mut().zip(texels) {
                let cover = v & 0xff;
                if cover == 0 {
                    continue;
                }
                let a = if outline && v & EDGE != 0 {
                    1.0
                } else {
                    alpha * f64::from(cover) / 65025.0
                };
                for c in 0..3 {
                    p[c] = k[c] * a + p[c] * (1.0 - a);
                }
                p[3] = a + p[3] * (1.0 - a);
            }
        }
        layer
    }

    /// The masks `styles` name ([`style`](Self::style)) laid over `under` (or nothing),
    /// and `over` laid on top (premultiplied "over", [`LayerImage::over`]).
    pub fn paint_between(
        &self,
        under: Option<&LayerImage>,
        styles: &[MaskStyle],
        outline: bool,
        over: Option<&LayerImage>,
    ) -> LayerImage {
        let mut layer = under
            .cloned()
            .unwrap_or_else(|| LayerImage::blank(self.columns, self.rows));
        layer.over(&self.style(styles, outline));
        if let Some(over) = over {
            layer.over(over);
        }
        layer
    }

    /// Bytes the texels take.
    pub fn bytes(&self) -> usize {
        self.layers.iter().map(|l| l.len() * 2).sum()
    }
}

/// What is drawn over an image or a plane, in the parts a renderer keeps apart: the fused
/// series under, the segment masks placed on its grid with their styles, and the structure
/// sets' contours over. [`paint`](Self::paint) composes them on the CPU; a GPU composes
/// the same parts (hounsfield-render's `Renderer::compose_masks`).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerParts {
    /// The fused series (premultiplied RGBA on the grid), under the segments.
    pub under: Option<LayerImage>,
    /// The segment masks on the grid.
    pub masks: PlacedMasks,
    /// The masks drawn, in order.
    pub styles: Vec<MaskStyle>,
    /// Whether the segments' edges are drawn opaque.
    pub outline: bool,
    /// The contours, over the segments.
    pub over: Option<LayerImage>,
}

impl LayerParts {
    /// The parts composed on the CPU: the segments styled over the layer under them, the
    /// layer over them on top (premultiplied "over", [`LayerImage::over`]).
    pub fn paint(&self) -> LayerImage {
        self.masks.paint_between(
            self.under.as_ref(),
            &self.styles,
            self.outline,
            self.over.as_ref(),
        )
    }
}
