//! Segments over a plane cut through a volume (MPR): each plane pixel takes the segment
//! frame nearest it in the patient and that frame's pixel nearest it.

use crate::composite::{Placement, PlaneGrid};
use crate::segmentation::{Mask, SegmentLayer, Segmentation};
use hounsfield_volume::volume::Plane;
use std::collections::{BTreeMap, HashMap};

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// A frame of a segment stack: its distance along the stack's normal, its grid, its index.
struct Placed {
    distance: f64,
    grid: PlaneGrid,
    frame: usize,
}

impl Segmentation {
    /// The segments over `plane` (cut through a volume in `frame_of_reference`), in the
    /// order of their numbers, on the plane's own pixel grid. Nearest neighbour in 3D: the frames of each segment form a
    /// stack along their normal; a plane pixel takes the frame nearest its centre, when it
    /// lies within half that frame's Slice Thickness of it (else half the smallest gap
    /// between frames, else 0.5 mm), and that frame's pixel nearest its centre.
    pub fn plane_layers(
        &self,
        plane: &Plane,
        frame_of_reference: Option<&str>,
    ) -> Result<Vec<SegmentLayer>, String> {
        let (grid, columns, rows) = (PlaneGrid::of_plane(plane), plane.columns, plane.rows);
        if frame_of_reference.is_some()
            && self.frame_of_reference.is_some()
            && frame_of_reference != self.frame_of_reference.as_deref()
        {
            return Ok(Vec::new());
        }
        let n = columns as usize * rows as usize;
        // The frames of each segment (all frames of a labelmap together).
        let mut stacks: BTreeMap<Option<u16>, Vec<usize>> = BTreeMap::new();
        for (k, f) in self.frames.iter().enumerate() {
            stacks.entry(f.segment).or_default().push(k);
        }
        let mut planes: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
        for frames in stacks.values() {
            let Some(o) = frames
                .iter()
                .find_map(|&k| self.frames[k].geometry.image_orientation_patient)
            else {
                continue;
            };
            let normal = [
                o[1] * o[5] - o[2] * o[4],
                o[2] * o[3] - o[0] * o[5],
                o[0] * o[4] - o[1] * o[3],
            ];
            let mut placed: Vec<Placed> = frames
                .iter()
                .filter_map(|&k| {
                    let g = &self.frames[k].geometry;
                    let grid = PlaneGrid::of(g)?;
                    Some(Placed {
                        distance: dot(grid.origin, normal),
                        grid,
                        frame: k,
                    })
                })
                .collect();
            placed.sort_by(|a, b| a.distance.total_cmp(&b.distance));
            let gap = placed
                .windows(2)
                .map(|w| w[1].distance - w[0].distance)
                .filter(|g| *g > 1e-6)
                .fold(f64::INFINITY, f64::min);
            let tolerance = |k: usize| {
                self.frames[k]
                    .geometry
                    .slice_thickness
                    .filter(|t| *t > 0.0)
                    .map(|t| t / 2.0)
                    .unwrap_or(if gap.is_finite() { gap / 2.0 } else { 0.5 })
            };
            let mut masks: HashMap<usize, Vec<(u16, Mask)>> = HashMap::new();
            for j in 0..rows {
                for i in 0..columns {
                    let (fi, fj) = (f64::from(i), f64::from(j));
                    let p: [f64; 3] = std::array::from_fn(|c| {
                        grid.origin[c] + fi * grid.column_step[c] + fj * grid.row_step[c]
                    });
                    let d = dot(p, normal);
                    // The frame nearest along the normal.
                    let at = placed.partition_point(|f| f.distance < d);
                    let nearest = [at.checked_sub(1), Some(at)]
                        .into_iter()
                        .flatten()
                        .filter(|&k| k < placed.len())
                        .min_by(|&a, &b| {
                            (placed[a].distance - d)
                                .abs()
                                .total_cmp(&(placed[b].distance - d).abs())
                        });
                    let Some(f) = nearest.map(|k| &placed[k]) else {
                        continue;
                    };
                    if (f.distance - d).abs() > tolerance(f.frame) {
                        continue;
                    }
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
}
