//! Segments over a plane cut through a volume (MPR): each plane pixel takes the segment
//! frame nearest it in the patient and that frame's pixel nearest it.

use crate::composite::{Placement, PlaneGrid};
use crate::segmentation::{Mask, SegmentLayer, Segmentation};
use hounsfield_volume::volume::Plane;
use std::collections::{BTreeMap, HashMap};

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The frames of one segment (all frames of a labelmap together) as a stack along their
/// normal, nearest first for a plane pixel: the rule [`Segmentation::plane_layers`]
/// follows, and a GPU with it.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameStack {
    /// The segment (None: a labelmap's frames, whose values are segment numbers).
    pub segment: Option<u16>,
    /// The frames' normal (Image Orientation's row x column).
    pub normal: [f64; 3],
    /// The frames, by their distance along the normal.
    pub frames: Vec<StackFrame>,
}

/// A frame of a [`FrameStack`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StackFrame {
    /// The frame (0-based).
    pub frame: usize,
    /// Its origin's distance along the stack's normal.
    pub distance: f64,
    /// Its pixel grid.
    pub grid: PlaneGrid,
    /// How far from it along the normal a point still takes it: half its Slice Thickness,
    /// else half the smallest gap between the stack's frames, else 0.5 mm.
    pub tolerance: f64,
}

impl FrameStack {
    /// The frame nearest `p` along the normal (the lower one of two as near), when `p`
    /// lies within its tolerance.
    pub fn nearest(&self, p: [f64; 3]) -> Option<&StackFrame> {
        let d = dot(p, self.normal);
        let at = self.frames.partition_point(|f| f.distance < d);
        let f = [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .filter_map(|k| self.frames.get(k))
            .min_by(|a, b| (a.distance - d).abs().total_cmp(&(b.distance - d).abs()))?;
        ((f.distance - d).abs() <= f.tolerance).then_some(f)
    }
}

impl Segmentation {
    /// The segmentation's frames as stacks along their normals, one per segment (one for
    /// all frames of a labelmap), in the order of their segment numbers; frames without a
    /// plane are left out.
    pub fn frame_stacks(&self) -> Vec<FrameStack> {
        let mut stacks: BTreeMap<Option<u16>, Vec<usize>> = BTreeMap::new();
        for (k, f) in self.frames.iter().enumerate() {
            stacks.entry(f.segment).or_default().push(k);
        }
        stacks
            .into_iter()
            .filter_map(|(segment, frames)| {
                let o = frames
                    .iter()
                    .find_map(|&k| self.frames[k].geometry.image_orientation_patient)?;
                let normal = [
                    o[1] * o[5] - o[2] * o[4],
                    o[2] * o[3] - o[0] * o[5],
                    o[0] * o[4] - o[1] * o[3],
                ];
                let mut placed: Vec<StackFrame> = frames
                    .iter()
                    .filter_map(|&k| {
                        let grid = PlaneGrid::of(&self.frames[k].geometry)?;
                        Some(StackFrame {
                            frame: k,
                            distance: dot(grid.origin, normal),
                            grid,
                            tolerance: 0.0,
                        })
                    })
                    .collect();
                placed.sort_by(|a, b| a.distance.total_cmp(&b.distance));
                let gap = placed
                    .windows(2)
                    .map(|w| w[1].distance - w[0].distance)
                    .filter(|g| *g > 1e-6)
                    .fold(f64::INFINITY, f64::min);
                for f in &mut placed {
                    f.tolerance = self.frames[f.frame]
                        .geometry
                        .slice_thickness
                        .filter(|t| *t > 0.0)
                        .map(|t| t / 2.0)
                        .unwrap_or(if gap.is_finite() { gap / 2.0 } else { 0.5 });
                }
                Some(FrameStack {
                    segment,
                    normal,
                    frames: placed,
                })
            })
            .collect()
    }

    /// The segments over `plane` (cut through a volume in `frame_of_reference`), in the
    /// order of their numbers, on the plane's own pixel grid. Nearest neighbour in 3D: the
    /// frames of each segment form a stack along their normal ([`FrameStack::nearest`]);
    /// a plane pixel takes the frame nearest its centre, when it lies within half that
    /// frame's Slice Thickness of it (else half the smallest gap between frames, else
    /// 0.5 mm), and that frame's pixel nearest its centre.
    pub fn plane_layers(
        &self,
        plane: &Plane,
        frame_of_reference: Option<&str>,
    ) -> Result<Vec<SegmentLayer>, String> {
        let (grid, columns, rows) = (PlaneGrid::of_plane(plane), plane.columns, plane.rows);
        if !self.lies_in(frame_of_reference) {
            return Ok(Vec::new());
        }
        let n = columns as usize * rows as usize;
        let mut planes: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
        for stack in self.frame_stacks() {
            let mut masks: HashMap<usize, Vec<(u16, Mask)>> = HashMap::new();
            for j in 0..rows {
                for i in 0..columns {
                    let (fi, fj) = (f64::from(i), f64::from(j));
                    let p: [f64; 3] = std::array::from_fn(|c| {
                        grid.origin[c] + fi * grid.column_step[c] + fj * grid.row_step[c]
                    });
                    let Some(f) = stack.nearest(p) else {
                        continue;
                    };
                    if let std::collections::hash_map::Entry::Vacant(e) = masks.entry(f.frame) {
                        e.insert(self.masks(f.frame)?);
                    }
                    let rel: [f64; 3] = std::array::from_fn(|c| p[c] - f.grid.origin[c]);
                    let along = |s: [f64; 3]| dot(rel, s) / dot(s, s);
                    let (mx, my) = (
                        (along(f.grid.column_step) + 0.5).floor() as i64,
                        (along(f.grid.row_step) + 0.5).floor() as i64,
                    );
                    for (segment, mask) in masks.get(&f.frame).into_iter().flatten() {
                        let cover = mask.at(mx, my);
                        if cover > 0 {
                            planes.entry(*segment).or_insert_with(|| vec![0; n])
                                [j as usize * columns as usize + i as usize] = cover;
                        }
                    }
                }
            }
        }
        Ok(planes
            .into_iter()
            .map(|(segment, coverage)| SegmentLayer {
                segment,
                color: self.segment(segment).map_or([255, 255, 255], |s| s.color),
                mask: Mask {
                    columns,
                    rows,
                    coverage,
                },
                placement: Placement::SameGrid,
            })
            .collect())
    }

    /// The masks a plane takes from the stacks of [`frame_stacks`](Self::frame_stacks),
    /// in the order of their segment numbers (as [`plane_layers`](Self::plane_layers)
    /// lists them): the stack, the segment number a labelmap stack's values must equal
    /// (0: a binary or fractional stack's values are its coverage), and the segment.
    pub fn plane_masks(&self) -> Vec<(usize, u16, u16)> {
        let mut masks: Vec<(usize, u16, u16)> = Vec::new();
        for (k, stack) in self.frame_stacks().iter().enumerate() {
            match stack.segment {
                Some(n) => masks.push((k, 0, n)),
                None => masks.extend(
                    self.segments
                        .iter()
                        .filter(|s| s.number > 0)
                        .map(|s| (k, s.number, s.number)),
                ),
            }
        }
        masks.sort_by_key(|m| m.2);
        masks
    }

    /// Whether the segmentation may lie over a volume in `frame_of_reference` (it does
    /// unless both name theirs and they differ).
    pub fn lies_in(&self, frame_of_reference: Option<&str>) -> bool {
        frame_of_reference.is_none()
            || self.frame_of_reference.is_none()
            || frame_of_reference == self.frame_of_reference.as_deref()
    }
}
