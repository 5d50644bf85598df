//! What is measured: regions, lines, angles and points in image pixel coordinates, their
//! command-line syntax, and which pixels a region holds.

/// A region, a line, an angle or a point in image pixel coordinates (column, row; pixel
/// centres at integers).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Roi {
    /// Columns `x`..`x + width - 1`, rows `y`..`y + height - 1`.
    Rect {
        /// First column.
        x: i64,
        /// First row.
        y: i64,
        /// Columns.
        width: i64,
        /// Rows.
        height: i64,
    },
    /// The pixels whose centres lie within the ellipse of centre (cx, cy), radius rx in
    /// columns and ry in rows.
    Ellipse {
        /// Centre column.
        cx: f64,
        /// Centre row.
        cy: f64,
        /// Radius in columns.
        rx: f64,
        /// Radius in rows.
        ry: f64,
    },
    /// The pixels whose centres lie inside the closed polygon through `points` (a
    /// freehand region), by the even-odd rule; a centre on a left or top edge is inside,
    /// on a right or bottom edge outside (the crossing test with half-open edges).
    Polygon {
        /// The vertices, at least three.
        points: Vec<[f64; 2]>,
    },
    /// The segment from (x1, y1) to (x2, y2).
    Line {
        /// Start column.
        x1: f64,
        /// Start row.
        y1: f64,
        /// End column.
        x2: f64,
        /// End row.
        y2: f64,
    },
    /// The angle at `points[1]` between the arms to `points[0]` and `points[2]`.
    Angle {
        /// First arm's end, the vertex, second arm's end.
        points: [[f64; 2]; 3],
    },
    /// The Cobb angle: the angle between the line through `points[0]`, `points[1]` and
    /// the line through `points[2]`, `points[3]` (lines have no direction: 0 to 90
    /// degrees).
    Cobb {
        /// Two points on each line.
        points: [[f64; 2]; 4],
    },
    /// The pixel whose centre is nearest (x, y) (coordinates rounded half away from zero).
    Point {
        /// Column.
        x: f64,
        /// Row.
        y: f64,
    },
}

const SYNTAX: &str = "ellipse:CX,CY,RX,RY, rect:X,Y,W,H, polygon:X1,Y1,X2,Y2,X3,Y3[,...], line:X1,Y1,X2,Y2, angle:X1,Y1,XV,YV,X2,Y2, cobb:X1,Y1,X2,Y2,X3,Y3,X4,Y4 or point:X,Y";

impl Roi {
    /// Reads the command-line syntax: `ellipse:CX,CY,RX,RY`, `rect:X,Y,W,H`,
    /// `polygon:X1,Y1,X2,Y2,X3,Y3[,...]`, `line:X1,Y1,X2,Y2`, `angle:X1,Y1,XV,YV,X2,Y2`,
    /// `cobb:X1,Y1,X2,Y2,X3,Y3,X4,Y4` or `point:X,Y` ([`spec`](Self::spec) writes it).
    ///
    /// ```
    /// use hounsfield_measure::Roi;
    /// let angle = Roi::parse("angle:0,10,0,0,10,0")?;
    /// assert_eq!(Roi::parse(&angle.spec())?, angle);
    /// assert!(Roi::parse("polygon:0,0,1,1").is_err()); // two points are no region
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(text: &str) -> Result<Roi, String> {
        let (kind, values) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?}: expected {SYNTAX}"))?;
        let n: Vec<f64> = values
            .split(',')
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("{text:?}: {v:?} is not a number"))
            })
            .collect::<Result<_, _>>()?;
        if !n.iter().all(|v| v.is_finite()) {
            return Err(format!("{text:?}: numbers must be finite"));
        }
        let count = |expected: usize| {
            if n.len() == expected {
                Ok(())
            } else {
                Err(format!(
                    "{text:?}: {expected} numbers expected, {} given",
                    n.len()
                ))
            }
        };
        let whole = |v: f64| {
            (v.fract() == 0.0 && v.abs() < 1e9)
                .then_some(v as i64)
                .ok_or_else(|| format!("{text:?}: a rectangle takes whole pixels"))
        };
        let point = |i: usize| [n[2 * i], n[2 * i + 1]];
        match kind.trim() {
            "ellipse" => {
                count(4)?;
                if n[2] <= 0.0 || n[3] <= 0.0 {
                    return Err(format!("{text:?}: the radii must be positive"));
                }
                Ok(Roi::Ellipse {
                    cx: n[0],
                    cy: n[1],
                    rx: n[2],
                    ry: n[3],
                })
            }
            "rect" => {
                count(4)?;
                let (x, y, width, height) =
                    (whole(n[0])?, whole(n[1])?, whole(n[2])?, whole(n[3])?);
                if width <= 0 || height <= 0 {
                    return Err(format!("{text:?}: width and height must be positive"));
                }
                Ok(Roi::Rect {
                    x,
                    y,
                    width,
                    height,
                })
            }
            "polygon" => {
                if n.len() < 6 || n.len() % 2 == 1 {
                    return Err(format!(
                        "{text:?}: a polygon takes three or more points (X,Y pairs), {} numbers given",
                        n.len()
                    ));
                }
                Ok(Roi::Polygon {
                    points: (0..n.len() / 2).map(point).collect(),
                })
            }
            "line" => {
                count(4)?;
                Ok(Roi::Line {
                    x1: n[0],
                    y1: n[1],
                    x2: n[2],
                    y2: n[3],
                })
            }
            "angle" => {
                count(6)?;
                Ok(Roi::Angle {
                    points: [point(0), point(1), point(2)],
                })
            }
            "cobb" => {
                count(8)?;
                Ok(Roi::Cobb {
                    points: [point(0), point(1), point(2), point(3)],
                })
            }
            "point" => {
                count(2)?;
                Ok(Roi::Point { x: n[0], y: n[1] })
            }
            other => Err(format!("{other:?}: expected {SYNTAX}")),
        }
    }

    /// The command-line syntax of this ROI (numbers written so that they read back
    /// exactly).
    pub fn spec(&self) -> String {
        let join = |kind: &str, v: &[f64]| {
            let numbers: Vec<String> = v.iter().map(|x| x.to_string()).collect();
            format!("{kind}:{}", numbers.join(","))
        };
        let flat = |p: &[[f64; 2]]| p.iter().flatten().copied().collect::<Vec<f64>>();
        match self {
            Roi::Rect {
                x,
                y,
                width,
                height,
            } => format!("rect:{x},{y},{width},{height}"),
            Roi::Ellipse { cx, cy, rx, ry } => join("ellipse", &[*cx, *cy, *rx, *ry]),
            Roi::Polygon { points } => join("polygon", &flat(points)),
            Roi::Line { x1, y1, x2, y2 } => join("line", &[*x1, *y1, *x2, *y2]),
            Roi::Angle { points } => join("angle", &flat(points)),
            Roi::Cobb { points } => join("cobb", &flat(points)),
            Roi::Point { x, y } => join("point", &[*x, *y]),
        }
    }

    /// Whether the ROI is a region (or a point) with pixel statistics.
    pub fn has_pixels(&self) -> bool {
        matches!(
            self,
            Roi::Rect { .. } | Roi::Ellipse { .. } | Roi::Polygon { .. } | Roi::Point { .. }
        )
    }

    /// Whether the centre of pixel (column `x`, row `y`) is in the region (never for a
    /// line or an angle).
    pub fn contains(&self, x: i64, y: i64) -> bool {
        match self {
            Roi::Rect {
                x: x0,
                y: y0,
                width,
                height,
            } => x >= *x0 && x < x0 + width && y >= *y0 && y < y0 + height,
            Roi::Ellipse { cx, cy, rx, ry } => {
                let dx = (x as f64 - cx) / rx;
                let dy = (y as f64 - cy) / ry;
                dx * dx + dy * dy <= 1.0
            }
            Roi::Polygon { points } => polygon_contains(points, x as f64, y as f64),
            Roi::Point { x: px, y: py } => x as f64 == px.round() && y as f64 == py.round(),
            Roi::Line { .. } | Roi::Angle { .. } | Roi::Cobb { .. } => false,
        }
    }

    /// The rows and columns the region may cover: (x0, y0, x1, y1), inclusive (empty for
    /// lines and angles).
    pub(crate) fn bounds(&self) -> (i64, i64, i64, i64) {
        let clamp = |v: f64| v.clamp(-1e12, 1e12) as i64;
        match self {
            Roi::Rect {
                x,
                y,
                width,
                height,
            } => (*x, *y, x + width - 1, y + height - 1),
            Roi::Ellipse { cx, cy, rx, ry } => (
                clamp((cx - rx).floor()),
                clamp((cy - ry).floor()),
                clamp((cx + rx).ceil()),
                clamp((cy + ry).ceil()),
            ),
            Roi::Polygon { points } => {
                let (mut x0, mut y0) = (f64::INFINITY, f64::INFINITY);
                let (mut x1, mut y1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
                for [x, y] in points {
                    (x0, y0, x1, y1) = (x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y));
                }
                (
                    clamp(x0.floor()),
                    clamp(y0.floor()),
                    clamp(x1.ceil()),
                    clamp(y1.ceil()),
                )
            }
            Roi::Point { x, y } => {
                let (x, y) = (clamp(x.round()), clamp(y.round()));
                (x, y, x, y)
            }
            Roi::Line { .. } | Roi::Angle { .. } | Roi::Cobb { .. } => (0, 0, -1, -1),
        }
    }
}

/// The even-odd crossing test at (x, y): a horizontal ray to the right crosses each edge
/// whose rows straddle y (half-open: an edge holds its lower end, not its upper one).
fn polygon_contains(points: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut inside = false;
    let mut j = points.len().saturating_sub(1);
    for (i, &[xi, yi]) in points.iter().enumerate() {
        let [xj, yj] = points[j];
        if (yi > y) != (yj > y) {
            let cross = xi + (y - yi) / (yj - yi) * (xj - xi);
            if x < cross {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse_and_hold_the_pixels_the_rule_says() {
        assert_eq!(
            Roi::parse("rect:1,2,3,4"),
            Ok(Roi::Rect {
                x: 1,
                y: 2,
                width: 3,
                height: 4
            })
        );
        assert!(Roi::parse("rect:1,2,0,4").is_err());
        assert!(Roi::parse("rect:1.5,2,3,4").is_err());
        assert!(Roi::parse("ellipse:1,2,0,4").is_err());
        assert!(Roi::parse("circle:1,2,3,4").is_err());
        assert!(Roi::parse("line:1,2,3").is_err());
        assert!(Roi::parse("line:1,2,3,nan").is_err());
        assert!(Roi::parse("polygon:1,2,3,4,5").is_err());
        assert!(Roi::parse("angle:1,2,3,4").is_err());
        // A circle of radius 1 around (5, 5): the centre and its four neighbours.
        let c = Roi::parse("ellipse:5,5,1,1").unwrap_or_else(|e| panic!("{e}"));
        let inside: Vec<(i64, i64)> = (3..8)
            .flat_map(|y| (3..8).map(move |x| (x, y)))
            .filter(|&(x, y)| c.contains(x, y))
            .collect();
        assert_eq!(inside, vec![(5, 4), (4, 5), (5, 5), (6, 5), (5, 6)]);
        let r = Roi::Rect {
            x: 1,
            y: 1,
            width: 2,
            height: 1,
        };
        assert!(r.contains(1, 1) && r.contains(2, 1) && !r.contains(3, 1) && !r.contains(1, 2));
    }

    #[test]
    fn polygons_hold_centres_by_the_crossing_rule() {
        // The square with corners (1, 1) and (3, 3): the left and top edges are in, the
        // right and bottom ones out, so it holds 2 x 2 pixel centres like rect:1,1,2,2.
        let square = Roi::parse("polygon:1,1,3,1,3,3,1,3").unwrap_or_else(|e| panic!("{e}"));
        let rect = Roi::parse("rect:1,1,2,2").unwrap_or_else(|e| panic!("{e}"));
        for y in -1..6 {
            for x in -1..6 {
                assert_eq!(square.contains(x, y), rect.contains(x, y), "({x}, {y})");
            }
        }
        // A triangle holds no centre outside its bounds, and its spec reads back.
        let t = Roi::parse("polygon:0.5,0.5,6.5,0.5,0.5,6.5").unwrap_or_else(|e| panic!("{e}"));
        assert!(t.contains(1, 1) && t.contains(5, 1) && !t.contains(5, 5));
        assert_eq!(Roi::parse(&t.spec()), Ok(t));
        let p = Roi::parse("point:2.4,3.6").unwrap_or_else(|e| panic!("{e}"));
        assert!(p.contains(2, 4) && !p.contains(3, 4));
    }
}
