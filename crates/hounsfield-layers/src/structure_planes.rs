//! RT Structure Set contours over a plane cut through a volume (MPR).
//!
//! Contours are planar polygons, most often drawn on the slices of the planning scan. A
//! plane parallel to them shows the contours of the contour plane nearest it, drawn as on
//! an image; a plane across them (a sagittal or coronal plane through axial contours)
//! shows each ROI's cross-section: the region its closed contours enclose, each
//! contour standing for a slab one contour spacing thick, outlined.

use crate::composite::{LayerImage, PlaneGrid};
use crate::structures::{Contour, StructureSet, draw_contour};
use hounsfield_volume::geometry::{cross, dot, normalize};
use hounsfield_volume::volume::Plane;

/// Normals closer than this (1 - cosine of their angle) are the same orientation.
const PARALLEL: f64 = 1e-6;
/// Contour planes closer than this (mm) along their normal are the same plane.
const SAME_PLANE: f64 = 1e-3;

/// A closed contour projected into its own plane.
struct Polygon {
    points: Vec<[f64; 2]>,
    min: [f64; 2],
    max: [f64; 2],
}

impl Polygon {
    /// Whether `q` is inside (crossing number, half-open edges).
    fn contains(&self, q: [f64; 2]) -> bool {
        if q[0] < self.min[0] || q[0] > self.max[0] || q[1] < self.min[1] || q[1] > self.max[1] {
            return false;
        }
        let mut inside = false;
        let n = self.points.len();
        for k in 0..n {
            let (a, b) = (self.points[k], self.points[(k + 1) % n]);
            if (a[1] > q[1]) != (b[1] > q[1]) {
                let x = a[0] + (q[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if q[0] < x {
                    inside = !inside;
                }
            }
        }
        inside
    }
}

/// The closed contours of one ROI in one orientation, by contour plane.
struct Stack {
    normal: [f64; 3],
    e1: [f64; 3],
    e2: [f64; 3],
    /// (distance along the normal, the polygons there), by distance.
    slices: Vec<(f64, Vec<Polygon>)>,
}

impl Stack {
    /// The contour plane nearest patient point `p` along the normal, when within `half`
    /// of it (ties go to the lower plane).
    fn nearest_slice(&self, p: [f64; 3], half: f64) -> Option<usize> {
        let d = dot(p, self.normal);
        let at = self.slices.partition_point(|s| s.0 < d);
        [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .filter(|&k| k < self.slices.len())
            .min_by(|&a, &b| {
                (self.slices[a].0 - d)
                    .abs()
                    .total_cmp(&(self.slices[b].0 - d).abs())
            })
            .filter(|&k| (self.slices[k].0 - d).abs() <= half)
    }

    /// Whether patient point `p` lies in the region: within `half` of the nearest contour
    /// plane along the normal, inside an odd number of that plane's contours.
    #[cfg(test)]
    fn contains(&self, p: [f64; 3], half: f64) -> bool {
        self.nearest_slice(p, half)
            .is_some_and(|k| self.odd_at(k, p))
    }

    /// Whether the projection of `p` lies inside an odd number of slice `k`'s contours.
    fn odd_at(&self, k: usize, p: [f64; 3]) -> bool {
        let q = [dot(p, self.e1), dot(p, self.e2)];
        self.slices[k].1.iter().filter(|g| g.contains(q)).count() % 2 == 1
    }

    /// Where the line q0 + t dq (in the contour plane's coordinates) crosses the
    /// contours of slice `k`: the values of t, sorted. A point of the line is inside when
    /// an odd number of them lie beyond its t (the crossing-number rule along the line;
    /// an edge counts when its ends lie on either side, one of them strictly above).
    fn crossings(&self, k: usize, q0: [f64; 2], dq: [f64; 2]) -> Vec<f64> {
        let side = |a: [f64; 2]| dq[0] * (a[1] - q0[1]) - dq[1] * (a[0] - q0[0]);
        let len2 = dq[0] * dq[0] + dq[1] * dq[1];
        let mut ts = Vec::new();
        for polygon in &self.slices[k].1 {
            let n = polygon.points.len();
            for e in 0..n {
                let (a, b) = (polygon.points[e], polygon.points[(e + 1) % n]);
                let (sa, sb) = (side(a), side(b));
                if (sa > 0.0) != (sb > 0.0) {
                    let u = sa / (sa - sb);
                    let c = [a[0] + u * (b[0] - a[0]), a[1] + u * (b[1] - a[1])];
                    ts.push(((c[0] - q0[0]) * dq[0] + (c[1] - q0[1]) * dq[1]) / len2);
                }
            }
        }
        ts.sort_by(f64::total_cmp);
        ts
    }
}

/// Which pixels of `plane` lie in the region of any of `stacks` (row by row; see
/// [`Stack::contains`] for one point): the nearest contour plane per pixel, then, per row
/// and contour plane, the contours' crossings with the row's line.
fn inside_pixels(plane: &Plane, stacks: &[Stack], half: f64) -> Vec<bool> {
    let (w, h) = (plane.columns as usize, plane.rows as usize);
    let mut inside = vec![false; w * h];
    for s in stacks {
        let step = plane.u.map(|c| c * plane.spacing);
        let dq = [dot(step, s.e1), dot(step, s.e2)];
        let along = dq[0] * dq[0] + dq[1] * dq[1] > 1e-18;
        for j in 0..h {
            let p0 = plane.position(0.0, j as f64);
            let q0 = [dot(p0, s.e1), dot(p0, s.e2)];
            // The crossings of this row, per contour plane met.
            let mut rows: Vec<(usize, Vec<f64>)> = Vec::new();
            for i in 0..w {
                let p = plane.position(i as f64, j as f64);
                let Some(k) = s.nearest_slice(p, half) else {
                    continue;
                };
                let odd = if along {
                    let at = match rows.iter().position(|r| r.0 == k) {
                        Some(at) => at,
                        None => {
                            rows.push((k, s.crossings(k, q0, dq)));
                            rows.len() - 1
                        }
                    };
                    let ts = &rows[at].1;
                    let t = i as f64;
                    (ts.len() - ts.partition_point(|c| *c <= t)) % 2 == 1
                } else {
                    // The row runs along the normal: every pixel projects to one point.
                    s.odd_at(k, p)
                };
                inside[j * w + i] |= odd;
            }
        }
    }
    inside
}

/// The unit normal of a contour's points (Newell's method), its sign fixed so that its
/// largest component is positive (contours wound either way share it); None for fewer
/// than three points or points on a line.
fn contour_normal(points: &[[f64; 3]]) -> Option<[f64; 3]> {
    if points.len() < 3 {
        return None;
    }
    let mut n = [0.0; 3];
    for (k, a) in points.iter().enumerate() {
        let b = points[(k + 1) % points.len()];
        n[0] += (a[1] - b[1]) * (a[2] + b[2]);
        n[1] += (a[2] - b[2]) * (a[0] + b[0]);
        n[2] += (a[0] - b[0]) * (a[1] + b[1]);
    }
    let n = normalize(n)?;
    let largest = (0..3)
        .max_by(|&a, &b| n[a].abs().total_cmp(&n[b].abs()))
        .unwrap_or(0);
    Some(if n[largest] < 0.0 { n.map(|c| -c) } else { n })
}

fn parallel(a: [f64; 3], b: [f64; 3]) -> bool {
    dot(a, b).abs() >= 1.0 - PARALLEL
}

/// A contour's plane: its normal (that of `fallback` for fewer than three points) and
/// its points' mean distance along it.
fn contour_plane(contour: &Contour, fallback: [f64; 3]) -> ([f64; 3], f64) {
    let n = contour_normal(&contour.points).unwrap_or(fallback);
    let d = contour.points.iter().map(|p| dot(*p, n)).sum::<f64>() / contour.points.len() as f64;
    (n, d)
}

impl StructureSet {
    /// Half the contours' slab: half the smallest gap between two contour planes of the
    /// set (any ROI) along one normal, else 0.5 mm.
    fn plane_half_thickness(&self) -> f64 {
        let mut planes: Vec<([f64; 3], Vec<f64>)> = Vec::new();
        for contour in self.rois.iter().flat_map(|r| &r.contours) {
            let Some(n) = contour_normal(&contour.points) else {
                continue;
            };
            let (n, d) = contour_plane(contour, n);
            match planes.iter_mut().find(|(m, _)| parallel(*m, n)) {
                Some((m, ds)) => ds.push(d * dot(*m, n).signum()),
                None => planes.push((n, vec![d])),
            }
        }
        let gap = planes
            .iter_mut()
            .flat_map(|(_, ds)| {
                ds.sort_by(f64::total_cmp);
                ds.windows(2)
                    .map(|w| w[1] - w[0])
                    .filter(|g| *g > SAME_PLANE)
                    .collect::<Vec<_>>()
            })
            .fold(f64::INFINITY, f64::min);
        if gap.is_finite() { gap / 2.0 } else { 0.5 }
    }

    /// The ROIs' contours over `plane` (cut through a volume in `frame_of_reference`), on
    /// the plane's pixels, one pixel wide in each ROI's colour (None when none shows);
    /// `shown` picks the ROIs (by their index in [`rois`](Self::rois)).
    ///
    /// Each contour stands for a slab half the smallest gap between the set's contour
    /// planes thick on either side (0.5 mm when it has one plane only). A plane parallel
    /// to an ROI's contours shows those of the contour plane nearest it, when within that
    /// half: drawn as on an image ([`layer_on`](Self::layer_on)). A plane across them
    /// shows the ROI's cross-section: a plane pixel is inside when, in the ROI's contour
    /// plane nearest the pixel's centre (within the half), an odd number of its closed
    /// contours enclose the centre's projection; the inside pixels with a 4-neighbour
    /// outside are drawn. Open contours show on parallel planes only; a POINT shows as a
    /// cross of five pixels on any plane it lies within the half of. ROIs in another
    /// Frame of Reference are not drawn; later ROIs draw over earlier ones.
    ///
    /// ```
    /// use hounsfield_layers::structures::StructureSet;
    /// # fn show(set: &StructureSet, plane: &hounsfield_volume::volume::Plane) {
    /// // Every ROI over a sagittal plane of the planning CT.
    /// if let Some(layer) = set.plane_layer(plane, None, |_| true) {
    ///     println!("{} x {} contour layer", layer.columns, layer.rows);
    /// }
    /// # }
    /// ```
    pub fn plane_layer(
        &self,
        plane: &Plane,
        frame_of_reference: Option<&str>,
        shown: impl Fn(usize) -> bool,
    ) -> Option<LayerImage> {
        let (columns, rows) = (plane.columns, plane.rows);
        let mut layer = LayerImage::blank(columns, rows);
        let half = self.plane_half_thickness();
        let grid = PlaneGrid::of_plane(plane);
        let mut drawn = false;
        for (index, roi) in self.rois.iter().enumerate() {
            if !shown(index) {
                continue;
            }
            if let (Some(a), Some(b)) = (&roi.frame_of_reference, frame_of_reference)
                && a != b
            {
                continue;
            }
            // Contours parallel to the plane: those of the nearest contour plane.
            let plane_distance = dot(plane.origin, plane.normal);
            let parallel_ones: Vec<(&Contour, f64)> = roi
                .contours
                .iter()
                .filter(|c| c.points.len() > 1 && c.geometric_type != "POINT")
                .filter_map(|c| {
                    let n = contour_normal(&c.points).unwrap_or(plane.normal);
                    parallel(n, plane.normal)
                        .then(|| (c, contour_plane(c, plane.normal).1 - plane_distance))
                })
                .collect();
            if let Some(nearest) = parallel_ones
                .iter()
                .map(|(_, d)| *d)
                .min_by(|a, b| a.abs().total_cmp(&b.abs()))
                .filter(|d| d.abs() <= half)
            {
                for (contour, d) in &parallel_ones {
                    if (d - nearest).abs() <= SAME_PLANE {
                        let pixels: Vec<_> =
                            contour.points.iter().map(|p| grid.pixel_of(*p)).collect();
                        draw_contour(&mut layer, &pixels, contour, roi.color);
                        drawn = true;
                    }
                }
            }
            // Points within the half of the plane.
            for contour in roi
                .contours
                .iter()
                .filter(|c| c.geometric_type == "POINT" || c.points.len() == 1)
            {
                let near: Vec<[f64; 3]> = contour
                    .points
                    .iter()
                    .copied()
                    .filter(|p| {
                        let d: [f64; 3] = std::array::from_fn(|k| p[k] - plane.origin[k]);
                        dot(d, plane.normal).abs() <= half
                    })
                    .collect();
                if !near.is_empty() {
                    let point = Contour {
                        geometric_type: "POINT".into(),
                        points: near,
                    };
                    let pixels: Vec<_> = point.points.iter().map(|p| grid.pixel_of(*p)).collect();
                    draw_contour(&mut layer, &pixels, &point, roi.color);
                    drawn = true;
                }
            }
            // Closed contours across the plane: the cross-section's outline.
            let stacks = stacks(roi.contours.iter().filter(|c| {
                c.geometric_type == "CLOSED_PLANAR"
                    && contour_normal(&c.points).is_some_and(|n| !parallel(n, plane.normal))
            }));
            if stacks.is_empty() {
                continue;
            }
            let (w, h) = (columns as usize, rows as usize);
            let inside = inside_pixels(plane, &stacks, half);
            let rgba = [
                f64::from(roi.color[0]) / 255.0,
                f64::from(roi.color[1]) / 255.0,
                f64::from(roi.color[2]) / 255.0,
                1.0,
            ];
            for j in 0..h {
                for i in 0..w {
                    if !inside[j * w + i] {
                        continue;
                    }
                    let edge = (i > 0 && !inside[j * w + i - 1])
                        || (i + 1 < w && !inside[j * w + i + 1])
                        || (j > 0 && !inside[(j - 1) * w + i])
                        || (j + 1 < h && !inside[(j + 1) * w + i]);
                    if edge {
                        layer.pixels[j * w + i] = rgba;
                        drawn = true;
                    }
                }
            }
        }
        drawn.then_some(layer)
    }
}

/// Closed contours grouped by orientation, then by contour plane.
fn stacks<'a>(contours: impl Iterator<Item = &'a Contour>) -> Vec<Stack> {
    let mut stacks: Vec<Stack> = Vec::new();
    for contour in contours {
        let Some(n) = contour_normal(&contour.points) else {
            continue;
        };
        let k = match stacks.iter().position(|s| parallel(s.normal, n)) {
            Some(k) => k,
            None => {
                // Any two axes across the normal.
                let axis = if n[0].abs() < 0.9 {
                    [1.0, 0.0, 0.0]
                } else {
                    [0.0, 1.0, 0.0]
                };
                let Some(e1) = normalize(cross(n, axis)) else {
                    continue;
                };
                stacks.push(Stack {
                    normal: n,
                    e1,
                    e2: cross(n, e1),
                    slices: Vec::new(),
                });
                stacks.len() - 1
            }
        };
        let s = &mut stacks[k];
        let (_, d) = contour_plane(contour, s.normal);
        let points: Vec<[f64; 2]> = contour
            .points
            .iter()
            .map(|p| [dot(*p, s.e1), dot(*p, s.e2)])
            .collect();
        let fold = |f: fn(f64, f64) -> f64, start: f64| {
            points
                .iter()
                .fold([start; 2], |m, p| [f(m[0], p[0]), f(m[1], p[1])])
        };
        let polygon = Polygon {
            min: fold(f64::min, f64::INFINITY),
            max: fold(f64::max, f64::NEG_INFINITY),
            points,
        };
        match s
            .slices
            .iter_mut()
            .find(|(e, _)| (e - d).abs() <= SAME_PLANE)
        {
            Some((_, polygons)) => polygons.push(polygon),
            None => s.slices.push((d, vec![polygon])),
        }
    }
    for s in &mut stacks {
        s.slices.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    stacks
}

#[cfg(test)]
mod tests {
    use super::{Polygon, contour_normal};

    #[test]
    fn a_square_holds_its_centre_and_not_what_lies_beside_it() {
        let square = Polygon {
            points: vec![[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]],
            min: [0.0, 0.0],
            max: [2.0, 2.0],
        };
        assert!(square.contains([1.0, 1.0]));
        assert!(!square.contains([3.0, 1.0]));
        assert!(!square.contains([1.0, -0.5]));
    }

    #[test]
    fn row_crossings_give_the_point_test() {
        use hounsfield_volume::volume::Plane;
        // A concave contour (an L) with a hole, on z = 0, cut by an oblique plane.
        let l = vec![
            [0.0, 0.0, 0.0],
            [8.0, 0.0, 0.0],
            [8.0, 3.0, 0.0],
            [3.0, 3.0, 0.0],
            [3.0, 8.0, 0.0],
            [0.0, 8.0, 0.0],
        ];
        let hole = vec![
            [1.0, 1.0, 0.0],
            [2.0, 1.0, 0.0],
            [2.0, 2.0, 0.0],
            [1.0, 2.0, 0.0],
        ];
        let contour = |points| crate::structures::Contour {
            geometric_type: "CLOSED_PLANAR".into(),
            points,
        };
        let contours = [contour(l), contour(hole)];
        let stacks = super::stacks(contours.iter());
        let (u, v) = ([0.8, 0.6, 0.0], [0.0, 0.0, -1.0]);
        let plane = Plane {
            origin: [-1.0, -0.7, 0.9],
            u,
            v,
            normal: hounsfield_volume::geometry::cross(u, v),
            columns: 60,
            rows: 8,
            spacing: 0.23,
        };
        let rows = super::inside_pixels(&plane, &stacks, 0.5);
        let mut count = 0;
        for j in 0..8 {
            for i in 0..60 {
                let p = plane.position(f64::from(i), f64::from(j));
                let point = stacks.iter().any(|s| s.contains(p, 0.5));
                assert_eq!(
                    rows[j as usize * 60 + i as usize],
                    point,
                    "pixel ({i}, {j})"
                );
                count += usize::from(point);
            }
        }
        assert!(count > 50, "the plane crosses the contour: {count}");
    }

    #[test]
    fn contours_wound_either_way_share_their_normal() {
        let a = [[0.0, 0.0, 5.0], [1.0, 0.0, 5.0], [1.0, 1.0, 5.0]];
        let b = [a[2], a[1], a[0]];
        assert_eq!(contour_normal(&a), Some([0.0, 0.0, 1.0]));
        assert_eq!(contour_normal(&b), contour_normal(&a));
        assert_eq!(contour_normal(&a[..2]), None);
    }
}
