//! Display shutters (PS3.3 C.7.6.11): the parts of an image a projection radiograph's
//! header asks the display to cover (collimation outside the exposed field), in the
//! Shutter Presentation Value.
//!
//! Each shape keeps the image visible inside it: a rectangle between the Shutter Left and
//! Right Vertical Edges (columns) and the Upper and Lower Horizontal Edges (rows), edges
//! included; a circle of Radius of Circular Shutter around Center of Circular Shutter; a
//! polygon through the Vertices of the Polygonal Shutter. All in 1-based pixel numbers
//! (row, column), a pixel being inside a circle or a polygon when its centre is (the
//! circle's edge included; the polygon by the even-odd rule). With several shapes, what
//! lies outside any of them is covered.

use crate::attrs::Attributes;
use crate::error::Error;
use crate::file::DicomFile;
use crate::overlay::OverlayMask;
use dicom_core::Tag;

/// One shape of a display shutter.
#[derive(Debug, Clone, PartialEq)]
pub enum ShutterShape {
    /// Visible: columns `left..=right`, rows `upper..=lower` (1-based).
    Rectangular {
        /// Shutter Left Vertical Edge.
        left: i64,
        /// Shutter Right Vertical Edge.
        right: i64,
        /// Shutter Upper Horizontal Edge.
        upper: i64,
        /// Shutter Lower Horizontal Edge.
        lower: i64,
    },
    /// Visible: pixels whose centres lie within `radius` of `center` (row, column).
    Circular {
        /// Center of Circular Shutter: row, column.
        center: [i64; 2],
        /// Radius of Circular Shutter, pixels.
        radius: i64,
    },
    /// Visible: pixels whose centres lie inside the polygon (row, column vertices).
    Polygonal {
        /// Vertices of the Polygonal Shutter.
        vertices: Vec<[i64; 2]>,
    },
}

/// The display shutter of an image.
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayShutter {
    /// Its shapes.
    pub shapes: Vec<ShutterShape>,
    /// Shutter Presentation Value: the P-value (0 to 65535) of the covered area (0, black,
    /// when absent).
    pub presentation_value: u16,
}

impl ShutterShape {
    /// Whether pixel (0-based column `x`, row `y`) is visible through this shape.
    pub fn shows(&self, x: i64, y: i64) -> bool {
        let (row, column) = (y + 1, x + 1);
        match self {
            ShutterShape::Rectangular {
                left,
                right,
                upper,
                lower,
            } => column >= *left && column <= *right && row >= *upper && row <= *lower,
            ShutterShape::Circular { center, radius } => {
                let (dr, dc) = (row - center[0], column - center[1]);
                dr * dr + dc * dc <= radius * radius
            }
            ShutterShape::Polygonal { vertices } => {
                let (px, py) = (column as f64, row as f64);
                let mut inside = false;
                let mut j = vertices.len().saturating_sub(1);
                for (i, v) in vertices.iter().enumerate() {
                    let (yi, xi) = (v[0] as f64, v[1] as f64);
                    let (yj, xj) = (vertices[j][0] as f64, vertices[j][1] as f64);
                    if (yi > py) != (yj > py) && px < xi + (py - yi) / (yj - yi) * (xj - xi) {
                        inside = !inside;
                    }
                    j = i;
                }
                inside
            }
        }
    }
}

impl DisplayShutter {
    /// The covered pixels of a `width` x `height` image (1 = covered).
    pub fn mask(&self, width: u32, height: u32) -> OverlayMask {
        let mut bits = vec![0u8; width as usize * height as usize];
        for y in 0..height {
            for x in 0..width {
                let shown = self
                    .shapes
                    .iter()
                    .all(|s| s.shows(i64::from(x), i64::from(y)));
                bits[(y * width + x) as usize] = u8::from(!shown);
            }
        }
        OverlayMask {
            width,
            height,
            bits,
        }
    }

    /// The grey level (0-255) of the covered area on an 8-bit display.
    pub fn grey(&self) -> u8 {
        ((f64::from(self.presentation_value) * 255.0 / 65535.0).round()) as u8
    }
}

const SHUTTER_SHAPE: Tag = Tag(0x0018, 0x1600);
const LEFT: Tag = Tag(0x0018, 0x1602);
const RIGHT: Tag = Tag(0x0018, 0x1604);
const UPPER: Tag = Tag(0x0018, 0x1606);
const LOWER: Tag = Tag(0x0018, 0x1608);
const CENTER: Tag = Tag(0x0018, 0x1610);
const RADIUS: Tag = Tag(0x0018, 0x1612);
const VERTICES: Tag = Tag(0x0018, 0x1620);
const PRESENTATION_VALUE: Tag = Tag(0x0018, 0x1622);

/// The display shutter described by `a` (an image's top level or a presentation state):
/// None without a Shutter Shape; an error naming the attribute when a shape's attributes
/// are missing or malformed. BITMAP shutters (overlay planes) are left out.
pub fn display_shutter(a: &Attributes<'_>) -> Result<Option<DisplayShutter>, String> {
    let kinds = a.strings(SHUTTER_SHAPE);
    if kinds.is_empty() {
        return Ok(None);
    }
    let one = |tag: Tag, name: &'static str| -> Result<i64, String> {
        match a.ints(tag, name).map_err(|e| e.to_string())?[..] {
            [v] => Ok(v),
            _ => Err(format!("{name} must hold one integer")),
        }
    };
    let mut shapes = Vec::new();
    for kind in kinds {
        match kind.trim() {
            "RECTANGULAR" => shapes.push(ShutterShape::Rectangular {
                left: one(LEFT, "Shutter Left Vertical Edge")?,
                right: one(RIGHT, "Shutter Right Vertical Edge")?,
                upper: one(UPPER, "Shutter Upper Horizontal Edge")?,
                lower: one(LOWER, "Shutter Lower Horizontal Edge")?,
            }),
            "CIRCULAR" => {
                let c = a
                    .ints(CENTER, "Center of Circular Shutter")
                    .map_err(|e| e.to_string())?;
                let [row, column] = c[..] else {
                    return Err("Center of Circular Shutter must hold a row and a column".into());
                };
                shapes.push(ShutterShape::Circular {
                    center: [row, column],
                    radius: one(RADIUS, "Radius of Circular Shutter")?,
                });
            }
            "POLYGONAL" => {
                let v = a
                    .ints(VERTICES, "Vertices of the Polygonal Shutter")
                    .map_err(|e| e.to_string())?;
                if v.len() < 6 || v.len() % 2 == 1 {
                    return Err(
                        "Vertices of the Polygonal Shutter must hold three or more row, column pairs"
                            .into(),
                    );
                }
                shapes.push(ShutterShape::Polygonal {
                    vertices: v.chunks(2).map(|p| [p[0], p[1]]).collect(),
                });
            }
            // A bitmap shutter is an overlay plane (drawn with the overlays).
            "BITMAP" => {}
            other => return Err(format!("Shutter Shape {other:?} is not one PS3.3 defines")),
        }
    }
    if shapes.is_empty() {
        return Ok(None);
    }
    let presentation_value = a
        .ints(PRESENTATION_VALUE, "Shutter Presentation Value")
        .map_err(|e| e.to_string())?
        .first()
        .map_or(0, |v| (*v).clamp(0, 65535) as u16);
    Ok(Some(DisplayShutter {
        shapes,
        presentation_value,
    }))
}

impl DicomFile {
    /// The image's display shutter (Display Shutter module), if it has one.
    pub fn display_shutter(&self) -> Result<Option<DisplayShutter>, Error> {
        display_shutter(&self.attributes()).map_err(|reason| {
            self.err(crate::error::ErrorKind::InvalidAttribute {
                name: "Display Shutter",
                value: String::new(),
                reason,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_show_what_the_standard_says() {
        let r = ShutterShape::Rectangular {
            left: 2,
            right: 3,
            upper: 1,
            lower: 1,
        };
        // Columns 2 and 3 (x 1 and 2) of row 1 (y 0).
        assert!(
            r.shows(1, 0) && r.shows(2, 0) && !r.shows(0, 0) && !r.shows(3, 0) && !r.shows(1, 1)
        );
        let c = ShutterShape::Circular {
            center: [3, 3],
            radius: 1,
        };
        let shown: Vec<(i64, i64)> = (0..5)
            .flat_map(|y| (0..5).map(move |x| (x, y)))
            .filter(|&(x, y)| c.shows(x, y))
            .collect();
        assert_eq!(shown, vec![(2, 1), (1, 2), (2, 2), (3, 2), (2, 3)]);
        let shutter = DisplayShutter {
            shapes: vec![r, c],
            presentation_value: 65535,
        };
        // Both shapes: only what both show.
        let m = shutter.mask(5, 5);
        let open: Vec<usize> = (0..25).filter(|i| m.bits[*i] == 0).collect();
        assert_eq!(
            open,
            Vec::<usize>::new(),
            "the rectangle's row 1 is outside the circle"
        );
        assert_eq!(shutter.grey(), 255);
    }
}
