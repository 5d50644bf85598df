//! Multiplanar reformatting in the viewer, without a window or a GPU: the layouts, the
//! three planes through a linked crosshair (rotatable for oblique planes), their slices,
//! zoom and pan, and the slab.

use hounsfield_core::geometry::{cross, dot};
use hounsfield_core::view::{Filter, View};
use hounsfield_core::volume::{Convention, Orientation, Plane, Slab, SlabMode, Volume};
use std::sync::Arc;

/// How the image area is divided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum Layout {
    /// The series' own images (1 x 1).
    #[default]
    Stack,
    /// Axial, sagittal and coronal side by side (1 x 3).
    Planes,
    /// The series' images with the three planes (2 x 2).
    Grid,
}

impl Layout {
    /// The next layout (the M key).
    pub fn next(self) -> Layout {
        match self {
            Layout::Stack => Layout::Planes,
            Layout::Planes => Layout::Grid,
            Layout::Grid => Layout::Stack,
        }
    }

    /// Its name, as the help and the panel show it.
    pub fn label(self) -> &'static str {
        match self {
            Layout::Stack => "1 x 1 (images)",
            Layout::Planes => "1 x 3 (axial, sagittal, coronal)",
            Layout::Grid => "2 x 2 (images and planes)",
        }
    }

    /// Whether a frame that drew the panes for which `drawn` is true, of those laid out in
    /// `panes` (`[x, y, width, height]` in pixels), showed this layout's images (a
    /// viewer's `image_drawn`): the stack pane in the 1 x 1 layout; every pane with an
    /// area in a layout with planes (its planes wait for their volume).
    ///
    /// ```
    /// use hounsfield_viewer::mpr::{Layout, Pane};
    /// let panes = [(Pane::Stack, [0, 0, 8, 8]), (Pane::Plane(0), [8, 0, 8, 8])];
    /// assert!(Layout::Stack.drawn(&panes[..1], |p| p == Pane::Stack));
    /// assert!(!Layout::Grid.drawn(&panes, |p| p == Pane::Stack));
    /// assert!(Layout::Grid.drawn(&panes, |_| true));
    /// ```
    pub fn drawn(self, panes: &[(Pane, [u32; 4])], drawn: impl Fn(Pane) -> bool) -> bool {
        match self {
            Layout::Stack => drawn(Pane::Stack),
            Layout::Planes | Layout::Grid => {
                let mut shown = panes
                    .iter()
                    .filter(|(_, r)| r[2] > 0 && r[3] > 0)
                    .map(|&(p, _)| p)
                    .peekable();
                shown.peek().is_some() && shown.all(drawn)
            }
        }
    }

    /// The panes and their rectangles `[x, y, width, height]` within `area`.
    pub fn panes(self, area: [f32; 4]) -> Vec<(Pane, [f32; 4])> {
        let [x, y, w, h] = area;
        match self {
            Layout::Stack => vec![(Pane::Stack, area)],
            Layout::Planes => {
                let third = w / 3.0;
                (0..3)
                    .map(|k| {
                        let x0 = (x + third * k as f32).round();
                        let x1 = if k == 2 {
                            x + w
                        } else {
                            (x + third * (k + 1) as f32).round()
                        };
                        (Pane::Plane(k), [x0, y, x1 - x0, h])
                    })
                    .collect()
            }
            Layout::Grid => {
                let (xm, ym) = ((x + w / 2.0).round(), (y + h / 2.0).round());
                vec![
                    (Pane::Stack, [x, y, xm - x, ym - y]),
                    (Pane::Plane(0), [xm, y, x + w - xm, ym - y]),
                    (Pane::Plane(1), [x, ym, xm - x, y + h - ym]),
                    (Pane::Plane(2), [xm, ym, x + w - xm, y + h - ym]),
                ]
            }
        }
    }
}

/// One part of the image area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize)]
pub enum Pane {
    /// The series' own images.
    #[default]
    Stack,
    /// Plane 0 (axial), 1 (sagittal) or 2 (coronal), possibly rotated.
    Plane(usize),
}

/// The standard orientation of each plane view.
pub const ORIENTATIONS: [Orientation; 3] = [
    Orientation::Axial,
    Orientation::Sagittal,
    Orientation::Coronal,
];

/// Crosshair line colours (sRGB) of the planes: axial red, sagittal yellow, coronal green.
pub const COLORS: [[u8; 3]; 3] = [[230, 60, 60], [230, 210, 50], [70, 200, 90]];

/// Zoom and pan of one plane view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaneView {
    /// Magnification over the fitted plane (1 = fit).
    pub zoom: f64,
    /// Pan in pane points.
    pub pan: [f64; 2],
}

impl Default for PaneView {
    fn default() -> Self {
        PaneView {
            zoom: 1.0,
            pan: [0.0, 0.0],
        }
    }
}

/// The planes through a series volume.
#[derive(Debug, Clone)]
pub struct MprState {
    /// The volume the planes cut on the GPU (reduced when the series is larger than the
    /// device's 3D textures or the memory budget).
    pub volume: Arc<Volume>,
    /// The series at its own resolution when [`volume`](Self::volume) is reduced, over
    /// the decoded frames (no copy of the pixels): the planes' grid and slices, the
    /// values under the pointer and the refinement of a still plane come from it.
    pub full: Option<Arc<Volume>>,
    /// The point where the three planes meet (patient coordinates, mm).
    pub crosshair: [f64; 3],
    /// Screen right and down of each plane (unit vectors, patient coordinates).
    pub axes: [([f64; 3], [f64; 3]); 3],
    /// Zoom and pan of each plane's pane.
    pub views: [PaneView; 3],
    /// Slab thickness (mm) and mode; `None` = thin planes.
    pub slab: Option<Slab>,
    /// Radiological (patient left on screen right) or neurological.
    pub convention: Convention,
}

/// `v` rotated by `angle` (radians) about the unit axis `n` (Rodrigues).
fn rotate(v: [f64; 3], n: [f64; 3], angle: f64) -> [f64; 3] {
    let (s, c) = angle.sin_cos();
    let k = cross(n, v);
    let d = dot(n, v) * (1.0 - c);
    [
        v[0] * c + k[0] * s + n[0] * d,
        v[1] * c + k[1] * s + n[1] * d,
        v[2] * c + k[2] * s + n[2] * d,
    ]
}

impl MprState {
    /// Standard planes through the centre of `volume`.
    pub fn new(volume: Arc<Volume>, convention: Convention) -> MprState {
        MprState::with_full(volume, None, convention)
    }

    /// Standard planes through the centre of the series: `volume` cut on the GPU, `full`
    /// the series at its own resolution when `volume` is reduced ([`full`](Self::full)).
    pub fn with_full(
        volume: Arc<Volume>,
        full: Option<Arc<Volume>>,
        convention: Convention,
    ) -> MprState {
        let crosshair = full.as_ref().unwrap_or(&volume).stack.center();
        MprState {
            volume,
            full,
            crosshair,
            axes: ORIENTATIONS.map(|o| o.axes(convention)),
            views: [PaneView::default(); 3],
            slab: None,
            convention,
        }
    }

    /// Back to standard planes through the centre, thin, fitted.
    pub fn reset(&mut self) {
        let slab = self.slab;
        *self = MprState::with_full(self.volume.clone(), self.full.clone(), self.convention);
        self.slab = slab;
    }

    /// The series at its own resolution: [`full`](Self::full) when the volume on the GPU
    /// is reduced, else that volume. Planes are cut on its grid (every slice of the
    /// series, every pixel), so that a reduced volume changes what a plane shows, never
    /// where it lies.
    pub fn exact(&self) -> &Arc<Volume> {
        self.full.as_ref().unwrap_or(&self.volume)
    }

    /// The display convention changed: standard planes again, same crosshair.
    pub fn set_convention(&mut self, convention: Convention) {
        self.convention = convention;
        self.axes = ORIENTATIONS.map(|o| o.axes(convention));
    }

    /// The normal of plane `k`.
    pub fn normal(&self, k: usize) -> [f64; 3] {
        let (u, v) = self.axes[k];
        cross(u, v)
    }

    /// Plane `k` through the crosshair, covering the whole volume.
    pub fn plane(&self, k: usize) -> Plane {
        let (u, v) = self.axes[k];
        self.exact().stack.plane(u, v, self.crosshair)
    }

    /// Whether plane `k` is still a standard plane (not rotated).
    pub fn is_standard(&self, k: usize) -> bool {
        let (u, v) = ORIENTATIONS[k].axes(self.convention);
        let (a, b) = self.axes[k];
        dot(a, u) > 0.999_999 && dot(b, v) > 0.999_999
    }

    /// The positions plane `k` steps through (mm along its normal), and the index of the
    /// one nearest the crosshair.
    pub fn slices(&self, k: usize) -> (Vec<f64>, usize) {
        let n = self.normal(k);
        let positions = self.exact().stack.plane_positions(n);
        let here = dot(self.crosshair, n);
        let index = positions
            .iter()
            .enumerate()
            .min_by(|a, b| (a.1 - here).abs().total_cmp(&(b.1 - here).abs()))
            .map_or(0, |(i, _)| i);
        (positions, index)
    }

    /// Moves the crosshair along plane `k`'s normal to its slice `index` (clamped).
    pub fn go_to(&mut self, k: usize, index: usize) {
        let (positions, _) = self.slices(k);
        let Some(&target) = positions.get(index.min(positions.len().saturating_sub(1))) else {
            return;
        };
        let n = self.normal(k);
        let shift = target - dot(self.crosshair, n);
        self.crosshair = [
            self.crosshair[0] + shift * n[0],
            self.crosshair[1] + shift * n[1],
            self.crosshair[2] + shift * n[2],
        ];
    }

    /// Moves plane `k` by `delta` slices.
    pub fn step(&mut self, k: usize, delta: i64) {
        let (positions, index) = self.slices(k);
        if positions.is_empty() {
            return;
        }
        let next = (index as i64 + delta).clamp(0, positions.len() as i64 - 1);
        self.go_to(k, next as usize);
    }

    /// The view of plane `k` in a `width` x `height` pane (square pixels, bilinear).
    pub fn view(&self, k: usize, width: u32, height: u32) -> View {
        View {
            width,
            height,
            zoom: self.views[k].zoom,
            pan: self.views[k].pan,
            flip_horizontal: false,
            flip_vertical: false,
            rotation: 0,
            pixel_aspect: 1.0,
            filter: Filter::Linear,
        }
    }

    /// Puts the crosshair at pane position (x, y) (pixels from the pane's top left) of
    /// plane `k` shown in a `width` x `height` pane. The plane itself stays.
    pub fn click(&mut self, k: usize, [x, y]: [f32; 2], [width, height]: [u32; 2]) {
        let plane = self.plane(k);
        let at = self
            .view(k, width, height)
            .mapping(plane.columns, plane.rows)
            .image_at(x, y);
        // Image coordinates have pixel centres at +0.5; plane pixels at integers.
        let p = plane.position(f64::from(at[0]) - 0.5, f64::from(at[1]) - 0.5);
        let n = self.normal(k);
        // Keep the point on plane k (rounding aside).
        let off = dot(p, n) - dot(self.crosshair, n);
        self.crosshair = [p[0] - off * n[0], p[1] - off * n[1], p[2] - off * n[2]];
    }

    /// Rotates the other two planes about plane `k`'s normal through the crosshair by
    /// `angle` radians: oblique planes. Plane `k` itself stays as it is on screen.
    pub fn rotate(&mut self, k: usize, angle: f64) {
        let n = self.normal(k);
        for j in 0..3 {
            if j != k {
                let (u, v) = self.axes[j];
                self.axes[j] = (rotate(u, n, angle), rotate(v, n, angle));
            }
        }
    }

    /// Where plane `k` shows the crosshair (plane pixel coordinates, centres at integers),
    /// and for each other plane `j` the direction of its line in plane `k`.
    pub fn crosshair_in(&self, k: usize) -> ([f64; 2], Vec<(usize, [f64; 2])>) {
        let plane = self.plane(k);
        let at = plane.pixel_of(self.crosshair);
        let nk = self.normal(k);
        let lines = (0..3)
            .filter(|&j| j != k)
            .map(|j| {
                let d = cross(nk, self.normal(j));
                (j, [dot(d, plane.u), dot(d, plane.v)])
            })
            .collect();
        (at, lines)
    }

    /// The slab in effect for plane views.
    pub fn slab(&self) -> Option<Slab> {
        self.slab.filter(|s| s.thickness > 0.0)
    }

    /// Cycles the slab mode: thin, MIP, MinIP, mean (keeping the thickness, 10 mm at first).
    pub fn cycle_slab(&mut self) {
        let thickness = self.slab.map_or(10.0, |s| s.thickness);
        self.slab = match self.slab.map(|s| s.mode) {
            None => Some(SlabMode::Mip),
            Some(SlabMode::Mip) => Some(SlabMode::MinIp),
            Some(SlabMode::MinIp) => Some(SlabMode::Mean),
            Some(SlabMode::Mean) => None,
        }
        .map(|mode| Slab { thickness, mode });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hounsfield_core::ModalityLut;
    use hounsfield_core::volume::{Stack, StackInput, VolumeData};

    /// A 4 x 4 x 5 volume, 1 mm voxels, axial slices at z = 0..4.
    fn state() -> MprState {
        let inputs: Vec<StackInput> = (0..5)
            .map(|k| StackInput {
                instance: k,
                name: format!("s{k}"),
                position: Some([0.0, 0.0, k as f64]),
                orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
                pixel_spacing: Some([1.0, 1.0]),
                rows: 4,
                columns: 4,
                ..StackInput::default()
            })
            .collect();
        let stack = Stack::assemble(&inputs).unwrap_or_else(|e| panic!("{e}"));
        let volume = Volume {
            stack,
            data: VolumeData::U16(vec![0; 80]),
            modality: ModalityLut::Identity,
            padding: None,
        };
        MprState::new(Arc::new(volume), Convention::Radiological)
    }

    #[test]
    fn layouts_tile_the_area() {
        for layout in [Layout::Stack, Layout::Planes, Layout::Grid] {
            let panes = layout.panes([10.0, 20.0, 301.0, 200.0]);
            let area: f32 = panes.iter().map(|(_, r)| r[2] * r[3]).sum();
            assert_eq!(area, 301.0 * 200.0, "{layout:?}");
            assert_eq!(layout.next().next().next(), layout);
        }
        let grid = Layout::Grid.panes([0.0, 0.0, 100.0, 100.0]);
        assert_eq!(grid[0], (Pane::Stack, [0.0, 0.0, 50.0, 50.0]));
        assert_eq!(grid[3], (Pane::Plane(2), [50.0, 50.0, 50.0, 50.0]));
    }

    #[test]
    fn stepping_moves_only_that_plane() {
        let mut m = state();
        assert_eq!(m.crosshair, [1.5, 1.5, 2.0]);
        let (positions, index) = m.slices(0);
        assert_eq!((positions.len(), index), (5, 2));
        m.step(0, 1);
        assert_eq!(m.crosshair, [1.5, 1.5, 3.0]);
        m.step(0, 10);
        assert_eq!(m.crosshair[2], 4.0);
        // Sagittal planes step through x at the smallest voxel edge, on voxel centres,
        // along their normal (towards the patient's right, -x).
        let before = m.crosshair;
        m.step(1, 1);
        let first = m.crosshair;
        m.step(1, 1);
        assert_eq!(m.crosshair[1..], before[1..]);
        assert_eq!(first[0].fract(), 0.0, "{first:?}");
        assert!((m.crosshair[0] - (first[0] - 1.0)).abs() < 1e-9);
    }

    #[test]
    fn clicking_moves_the_crosshair_within_the_plane() {
        let mut m = state();
        // Axial plane: 4 x 4 pixels of 1 mm; in a 4 x 4 pane, pixel (x, y) is voxel (x, y).
        let plane = m.plane(0);
        assert_eq!((plane.columns, plane.rows), (4, 4));
        // (Output sampling carries a bias of 1/512 pixel, see `View::mapping`.)
        m.click(0, [0.5, 3.5], [4, 4]);
        assert!((m.crosshair[0] - 0.0).abs() < 0.01, "{:?}", m.crosshair);
        assert!((m.crosshair[1] - 3.0).abs() < 0.01, "{:?}", m.crosshair);
        assert_eq!(m.crosshair[2], 2.0);
        let (at, lines) = m.crosshair_in(0);
        assert!((at[0] - 0.0).abs() < 0.01 && (at[1] - 3.0).abs() < 0.01);
        // The sagittal plane's line in the axial view is vertical, the coronal's horizontal.
        assert_eq!(lines.len(), 2);
        assert!(lines[0].1[0].abs() < 1e-9 && lines[0].1[1].abs() > 0.99);
        assert!(lines[1].1[1].abs() < 1e-9 && lines[1].1[0].abs() > 0.99);
    }

    #[test]
    fn rotating_keeps_planes_orthogonal_and_the_rotated_view_still() {
        let mut m = state();
        m.rotate(0, 30f64.to_radians());
        assert!(m.is_standard(0));
        assert!(!m.is_standard(1) && !m.is_standard(2));
        for (a, b) in [(0, 1), (0, 2), (1, 2)] {
            assert!(dot(m.normal(a), m.normal(b)).abs() < 1e-12);
        }
        // The sagittal normal turned by 30 degrees about z.
        assert!((dot(m.normal(1), [1.0, 0.0, 0.0]).abs() - 30f64.to_radians().cos()).abs() < 1e-12);
        m.reset();
        assert!((0..3).all(|k| m.is_standard(k)));
    }

    #[test]
    fn slab_modes_cycle() {
        let mut m = state();
        let modes: Vec<Option<SlabMode>> = (0..4)
            .map(|_| {
                m.cycle_slab();
                m.slab().map(|s| s.mode)
            })
            .collect();
        assert_eq!(
            modes,
            vec![
                Some(SlabMode::Mip),
                Some(SlabMode::MinIp),
                Some(SlabMode::Mean),
                None
            ]
        );
    }
}
