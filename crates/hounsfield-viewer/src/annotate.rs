//! Measurements drawn on images: the tools, what each one draws, the ROI it measures
//! (through `hounsfield_measure`, the command line's code), and what a viewer paints for
//! it. The model ([`crate::model::Model`]) keeps them, routes pointer steps to them and
//! undoes their changes; each platform paints [`Drawn`] its own way.
//!
//! Points are image pixel coordinates (column, row; pixel centres at integers), as the
//! command line's `--roi` takes them. What each tool draws, and measures:
//!
//! | tool | points | measures |
//! | --- | --- | --- |
//! | length | the drag's two ends | `line:` |
//! | angle | first arm by a drag (its end is the vertex), the second arm's end by a click or a drag | `angle:` |
//! | Cobb angle | two drags, one per line | `cobb:` |
//! | rectangle | the drag's corners; the pixels whose centres lie inside | `rect:` |
//! | ellipse | the drag's corners bound it | `ellipse:` |
//! | freehand | the drag's path, closed | `polygon:` |
//! | probe | a click (or a drag's end) | `point:` |
//!
//! ```
//! use hounsfield_viewer::annotate::{Annotation, Tool};
//! use hounsfield_viewer::model::SliceRef;
//! let a = Annotation::new(1, Tool::Rectangle, SliceRef { id: 0, frame: 0 }, vec![[0.6, 0.5], [3.2, 2.0]]);
//! // The pixel centres inside the box: columns 1 to 3, rows 1 and 2.
//! assert_eq!(a.roi().map(|r| r.spec()), Ok("rect:1,1,3,2".to_string()));
//! ```

use crate::model::SliceRef;
use hounsfield_core::measure::sr::ReportedRegion;
use hounsfield_core::measure::{Measurement, Roi};

/// What a left drag in the image pane does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// Window / level: no measuring tool.
    #[default]
    WindowLevel,
    /// A length.
    Length,
    /// An angle at a vertex.
    Angle,
    /// The Cobb angle between two lines.
    Cobb,
    /// A rectangular region.
    Rectangle,
    /// An elliptical region.
    Ellipse,
    /// A freehand region.
    Freehand,
    /// The value of one pixel.
    Probe,
}

impl Tool {
    /// The tool's name, as the viewers show it.
    pub fn label(self) -> &'static str {
        match self {
            Tool::WindowLevel => "window / level",
            Tool::Length => "length",
            Tool::Angle => "angle",
            Tool::Cobb => "Cobb angle",
            Tool::Rectangle => "rectangle",
            Tool::Ellipse => "ellipse",
            Tool::Freehand => "freehand",
            Tool::Probe => "probe",
        }
    }

    /// Points of a finished measurement (None: freehand, three or more).
    pub fn points(self) -> Option<usize> {
        match self {
            Tool::WindowLevel => Some(0),
            Tool::Probe => Some(1),
            Tool::Length | Tool::Rectangle | Tool::Ellipse => Some(2),
            Tool::Angle => Some(3),
            Tool::Cobb => Some(4),
            Tool::Freehand => None,
        }
    }
}

/// A pointer step in the image pane, positions in the pane's device pixels (see
/// [`crate::input::PanePoints`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PointerStep {
    /// A left drag from `start` is at `now`.
    Drag {
        /// Where it began.
        start: [f32; 2],
        /// Where it is.
        now: [f32; 2],
        /// The pane's size.
        size: [u32; 2],
    },
    /// That drag ended at `now`.
    End {
        /// Where it began.
        start: [f32; 2],
        /// Where it ended.
        now: [f32; 2],
        /// The pane's size.
        size: [u32; 2],
    },
    /// A left click at `at`.
    Click {
        /// Where.
        at: [f32; 2],
        /// The pane's size.
        size: [u32; 2],
    },
}

/// One measurement on one image frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// Unique among the model's measurements.
    pub id: u64,
    /// The tool that drew it.
    pub tool: Tool,
    /// The image frame it was drawn on.
    pub slice: SliceRef,
    /// Its points, image pixel coordinates (see the module's table).
    pub points: Vec<[f64; 2]>,
    /// What it measures, or why it measures nothing (yet).
    pub measured: Result<Measurement, String>,
    /// The plane (MPR pane k and its geometry) it was drawn on, its points in that
    /// plane's pixels; None on an image.
    pub plane: Option<(usize, hounsfield_core::volume::Plane)>,
}

impl Annotation {
    /// A measurement with these points, not measured yet.
    pub fn new(id: u64, tool: Tool, slice: SliceRef, points: Vec<[f64; 2]>) -> Annotation {
        Annotation {
            id,
            tool,
            slice,
            points,
            measured: Err("not measured yet".into()),
            plane: None,
        }
    }

    /// Whether it has all its points.
    pub fn complete(&self) -> bool {
        match self.tool.points() {
            Some(n) => self.points.len() == n,
            None => self.points.len() >= 3,
        }
    }

    /// The ROI it measures (the command line's `--roi`), or why there is none.
    pub fn roi(&self) -> Result<Roi, String> {
        if !self.complete() {
            return Err("unfinished".into());
        }
        let p = &self.points;
        let two = |i: usize, j: usize| [p[i], p[j]];
        Ok(match self.tool {
            Tool::Length => Roi::Line {
                x1: p[0][0],
                y1: p[0][1],
                x2: p[1][0],
                y2: p[1][1],
            },
            Tool::Angle => Roi::Angle {
                points: [p[0], p[1], p[2]],
            },
            Tool::Cobb => Roi::Cobb {
                points: [p[0], p[1], p[2], p[3]],
            },
            Tool::Rectangle => {
                let [a, b] = two(0, 1);
                // The pixel centres inside the box dragged.
                let (x0, x1) = (a[0].min(b[0]).ceil(), a[0].max(b[0]).floor());
                let (y0, y1) = (a[1].min(b[1]).ceil(), a[1].max(b[1]).floor());
                if x1 < x0 || y1 < y0 {
                    return Err("no pixel centre inside the rectangle".into());
                }
                Roi::Rect {
                    x: x0 as i64,
                    y: y0 as i64,
                    width: (x1 - x0) as i64 + 1,
                    height: (y1 - y0) as i64 + 1,
                }
            }
            Tool::Ellipse => {
                let [a, b] = two(0, 1);
                // Halves of thousandths: exact to a ten-thousandth, written short.
                let half = |v: f64| (v * 5000.0).round() / 10000.0;
                let (rx, ry) = (half((a[0] - b[0]).abs()), half((a[1] - b[1]).abs()));
                if rx <= 0.0 || ry <= 0.0 {
                    return Err("the ellipse has no area".into());
                }
                Roi::Ellipse {
                    cx: half(a[0] + b[0]),
                    cy: half(a[1] + b[1]),
                    rx,
                    ry,
                }
            }
            Tool::Freehand => Roi::Polygon { points: p.clone() },
            Tool::Probe => Roi::Point {
                x: p[0][0],
                y: p[0][1],
            },
            Tool::WindowLevel => return Err("no measuring tool".into()),
        })
    }

    /// The lines written beside it: the numbers, or why there are none.
    pub fn label(&self) -> Vec<String> {
        match &self.measured {
            Ok(m) => m.lines(),
            Err(_) if !self.complete() => Vec::new(),
            Err(e) => vec![e.clone()],
        }
    }

    /// What to draw, in image coordinates: polylines (a closed one repeats its first
    /// point).
    pub fn outline(&self) -> Vec<Vec<[f64; 2]>> {
        let p = &self.points;
        match (self.tool, p.len()) {
            (_, 0) => Vec::new(),
            (Tool::Rectangle, 2) => {
                let [a, b] = [p[0], p[1]];
                vec![vec![a, [b[0], a[1]], b, [a[0], b[1]], a]]
            }
            (Tool::Ellipse, 2) => {
                let (c, r) = (
                    [(p[0][0] + p[1][0]) / 2.0, (p[0][1] + p[1][1]) / 2.0],
                    [
                        (p[0][0] - p[1][0]).abs() / 2.0,
                        (p[0][1] - p[1][1]).abs() / 2.0,
                    ],
                );
                let n = 64;
                vec![
                    (0..=n)
                        .map(|i| {
                            let t = std::f64::consts::TAU * f64::from(i) / f64::from(n);
                            [c[0] + r[0] * t.cos(), c[1] + r[1] * t.sin()]
                        })
                        .collect(),
                ]
            }
            (Tool::Freehand, _) => {
                let mut ring = p.clone();
                if self.complete() {
                    ring.push(p[0]);
                }
                vec![ring]
            }
            (Tool::Cobb, 4) => vec![vec![p[0], p[1]], vec![p[2], p[3]]],
            (Tool::Probe, _) => Vec::new(),
            _ => vec![p.clone()],
        }
    }

    /// The points a pointer can grab and move (every point; none for freehand, whose
    /// path is redrawn instead).
    pub fn handles(&self) -> &[[f64; 2]] {
        if self.tool == Tool::Freehand {
            &[]
        } else {
            &self.points
        }
    }
}

/// The tool and points that redraw a region read from a Measurement Report, or None
/// for a graphic no tool draws. Closed polylines (and SCOORD3D polygons) are rectangles (when their four corners
/// are those of an upright box) or freehand regions; open ones of 2, 3 and 4 points are
/// lengths, angles and Cobb angles; ellipses are taken upright (their axes' lengths);
/// circles are ellipses of equal radii.
///
/// ```
/// use hounsfield_core::measure::sr::ReportedRegion;
/// use hounsfield_viewer::annotate::{Tool, from_region};
/// let r = ReportedRegion { label: "x".into(), graphic_type: "ELLIPSE".into(),
///     points: vec![[2.0, 5.0], [10.0, 5.0], [6.0, 3.0], [6.0, 7.0]],
///     sop_instance_uid: "1.2".into(), frame: 0, patient: None };
/// assert_eq!(from_region(&r), Some((Tool::Ellipse, vec![[2.0, 3.0], [10.0, 7.0]])));
/// ```
pub fn from_region(r: &ReportedRegion) -> Option<(Tool, Vec<[f64; 2]>)> {
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let p: Vec<[f64; 2]> = r
        .points
        .iter()
        .map(|q| [round(q[0]), round(q[1])])
        .collect();
    let n = p.len();
    let closed = n >= 4 && p[0] == p[n - 1];
    Some(match (r.graphic_type.as_str(), n) {
        ("POINT", 1) => (Tool::Probe, p),
        ("POLYLINE" | "POLYGON", _) if closed => {
            let ring = &p[..n - 1];
            // (Corners read back from patient coordinates in f32 are a little apart.)
            let same = |a: f64, b: f64| (a - b).abs() < 0.01;
            let upright = ring.len() == 4
                && same(ring[0][1], ring[1][1])
                && same(ring[1][0], ring[2][0])
                && same(ring[2][1], ring[3][1])
                && same(ring[3][0], ring[0][0]);
            if upright {
                (Tool::Rectangle, vec![ring[0], ring[2]])
            } else {
                (Tool::Freehand, ring.to_vec())
            }
        }
        ("POLYLINE", 2) => (Tool::Length, p),
        ("POLYLINE", 3) => (Tool::Angle, p),
        ("POLYLINE", 4) => (Tool::Cobb, p),
        ("ELLIPSE", 4) => {
            let c = [(p[0][0] + p[1][0]) / 2.0, (p[0][1] + p[1][1]) / 2.0];
            let half = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).hypot(a[1] - b[1]) / 2.0;
            let (major, minor) = (half(p[0], p[1]), half(p[2], p[3]));
            let across = (p[0][0] - p[1][0]).abs() >= (p[0][1] - p[1][1]).abs();
            let (rx, ry) = if across {
                (major, minor)
            } else {
                (minor, major)
            };
            (
                Tool::Ellipse,
                vec![
                    [round(c[0] - rx), round(c[1] - ry)],
                    [round(c[0] + rx), round(c[1] + ry)],
                ],
            )
        }
        ("CIRCLE", 2) => {
            let r = (p[0][0] - p[1][0]).hypot(p[0][1] - p[1][1]);
            (
                Tool::Ellipse,
                vec![
                    [round(p[0][0] - r), round(p[0][1] - r)],
                    [round(p[0][0] + r), round(p[0][1] + r)],
                ],
            )
        }
        _ => return None,
    })
}

/// One measurement as a viewer paints it, in the pane's device pixels.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Drawn {
    /// The measurement's [`Annotation::id`].
    pub id: u64,
    /// Whether it is the selected one (Delete removes it).
    pub selected: bool,
    /// Polylines.
    pub lines: Vec<Vec<[f32; 2]>>,
    /// Handles (small squares).
    pub handles: Vec<[f32; 2]>,
    /// The text beside it.
    pub label: Vec<String>,
    /// Where the text's top left goes.
    pub label_at: [f32; 2],
    /// A presentation state's annotation (not a measurement: no handles, its own colour).
    pub presentation: bool,
}

/// The measurements of a model, the tool in use, and their undo history.
#[derive(Debug, Clone, Default)]
pub struct Annotations {
    /// Every measurement, oldest first.
    pub items: Vec<Annotation>,
    /// The tool a left drag uses in the image pane.
    pub tool: Tool,
    /// The measurement Delete removes (the last drawn, moved or clicked).
    pub selected: Option<u64>,
    /// A measurement waiting for its next points (an angle's second arm, a Cobb angle's
    /// second line).
    pub pending: Option<u64>,
    /// The drag in progress: where it began, the measurement and the point it moves
    /// (None: it draws the measurement's next point or path).
    pub(crate) drag: Option<([f32; 2], u64, Option<usize>)>,
    /// Regions of Measurement Reports waiting for their image to be open and decoded.
    pub waiting: Vec<ReportedRegion>,
    next_id: u64,
    undo: Vec<Vec<Annotation>>,
}

/// Changes kept for undo.
const UNDO_DEPTH: usize = 200;

impl Annotations {
    /// A new measurement's id.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Records the measurements as they are, before a change.
    pub(crate) fn checkpoint(&mut self) {
        self.undo.push(self.items.clone());
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
    }

    /// Goes back to before the last change; false when there is none.
    pub fn undo(&mut self) -> bool {
        let Some(items) = self.undo.pop() else {
            return false;
        };
        self.items = items;
        self.drag = None;
        self.pending = self.pending.filter(|id| self.get(*id).is_some());
        self.selected = self.selected.filter(|id| self.get(*id).is_some());
        true
    }

    /// The measurement with this id.
    pub fn get(&self, id: u64) -> Option<&Annotation> {
        self.items.iter().find(|a| a.id == id)
    }

    /// The measurement with this id, to change.
    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut Annotation> {
        self.items.iter_mut().find(|a| a.id == id)
    }

    /// Removes a measurement (recorded for undo); false when there is none.
    pub fn delete(&mut self, id: u64) -> bool {
        if self.get(id).is_none() {
            return false;
        }
        self.checkpoint();
        self.items.retain(|a| a.id != id);
        self.pending = self.pending.filter(|p| *p != id);
        self.selected = None;
        true
    }

    /// Drops the unfinished measurement, if any (not recorded: it never was one).
    pub(crate) fn drop_pending(&mut self) -> bool {
        let Some(id) = self.pending.take() else {
            return false;
        };
        self.items.retain(|a| a.id != id);
        self.selected = self.selected.filter(|s| *s != id);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tool: Tool, points: &[[f64; 2]]) -> Annotation {
        Annotation::new(1, tool, SliceRef { id: 0, frame: 0 }, points.to_vec())
    }

    #[test]
    fn each_tool_measures_the_roi_its_points_make() {
        let spec = |a: Annotation| a.roi().map(|r| r.spec());
        assert_eq!(
            spec(at(Tool::Length, &[[1.0, 2.0], [4.5, 6.0]])),
            Ok("line:1,2,4.5,6".into())
        );
        assert_eq!(
            spec(at(Tool::Ellipse, &[[10.0, 10.0], [2.0, 4.0]])),
            Ok("ellipse:6,7,4,3".into())
        );
        assert_eq!(
            spec(at(Tool::Angle, &[[0.0, 5.0], [0.0, 0.0], [5.0, 0.0]])),
            Ok("angle:0,5,0,0,5,0".into())
        );
        assert_eq!(
            spec(at(Tool::Probe, &[[3.4, 2.6]])),
            Ok("point:3.4,2.6".into())
        );
        assert_eq!(
            spec(at(Tool::Freehand, &[[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])),
            Ok("polygon:0,0,4,0,0,4".into())
        );
        // A box between two pixel centres' columns holds no pixel; an unfinished angle
        // measures nothing yet.
        assert!(
            at(Tool::Rectangle, &[[0.2, 0.0], [0.8, 3.0]])
                .roi()
                .is_err()
        );
        assert!(at(Tool::Angle, &[[0.0, 5.0], [0.0, 0.0]]).roi().is_err());
        assert!(at(Tool::Ellipse, &[[1.0, 1.0], [1.0, 5.0]]).roi().is_err());
    }

    #[test]
    fn undo_goes_back_one_change_at_a_time() {
        let mut a = Annotations::default();
        a.checkpoint();
        let id = a.next_id();
        a.items.push(at(Tool::Length, &[[0.0, 0.0], [1.0, 1.0]]));
        a.items[0].id = id;
        assert!(a.delete(id));
        assert!(a.items.is_empty());
        assert!(a.undo());
        assert_eq!(a.items.len(), 1);
        assert!(a.undo());
        assert!(a.items.is_empty());
        assert!(!a.undo());
    }
}
