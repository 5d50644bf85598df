//! Measuring in the image pane: pointer steps to measurements, their numbers (through
//! `hounsfield_measure`, as `hounsfield measure` computes them), and what a pane paints.

use super::Model;
use crate::annotate::{Annotation, Drawn, PointerStep, Tool};
use crate::gesture::CLICK_DISTANCE;
use crate::input::{Action, Button, Input, Modifiers, action_for};
use crate::mpr::{Layout, Pane};
use hounsfield_core::measure::{
    FramePixels, PixelSize, PlanePixels, measure_on_plane, measure_pixels,
};
use hounsfield_core::view::SAMPLE_BIAS;

/// How near a press must be to a handle to grab it, device pixels.
pub const HANDLE_REACH: f32 = 8.0;
/// A freehand path takes a new point once the pointer moved this far, device pixels.
const FREEHAND_STEP: f32 = 3.0;

fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Image coordinates kept to a thousandth of a pixel: what the pointer can say, written
/// short in a ROI's text.
fn thousandths(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl Model {
    /// The pane measuring acts in: the pane of the input being applied (the image pane
    /// in the images layout).
    fn measure_pane(&self) -> Pane {
        if self.layout == Layout::Stack {
            Pane::Stack
        } else {
            self.active_pane
        }
    }

    /// The mapping of pane pixels to the pixels of what `pane` shows (the image on screen
    /// or plane k), and that image's size, for a pane of `size`.
    fn pane_view(
        &self,
        pane: Pane,
        size: [u32; 2],
    ) -> Option<(hounsfield_core::view::View, [u32; 2])> {
        let (w, h) = (size[0].max(1), size[1].max(1));
        match pane {
            Pane::Stack => {
                let (_, image, frame) = self.current_image()?;
                let f = &image.frames[frame];
                Some((self.view_for(w, h), [f.width, f.height]))
            }
            Pane::Plane(k) => {
                let mpr = self.mpr.as_ref().filter(|_| self.layout != Layout::Stack)?;
                let plane = mpr.plane(k);
                Some((mpr.view(k, w, h), [plane.columns, plane.rows]))
            }
        }
    }

    /// The position (pixel centres at integers) under pane pixel `p` of `pane` (of
    /// `size`): in the image on screen, or in plane k's pixels.
    pub fn point_in(&self, pane: Pane, p: [f32; 2], size: [u32; 2]) -> Option<[f64; 2]> {
        let (view, [w, h]) = self.pane_view(pane, size)?;
        let q = view.mapping(w, h).image_at(p[0], p[1]);
        Some([
            thousandths(f64::from(q[0]) - 0.5 - SAMPLE_BIAS),
            thousandths(f64::from(q[1]) - 0.5 - SAMPLE_BIAS),
        ])
    }

    /// Where position `q` (pixel centres at integers) of what `pane` shows lands in it
    /// (of `size`), device pixels.
    pub fn pane_point_in(&self, pane: Pane, q: [f64; 2], size: [u32; 2]) -> Option<[f32; 2]> {
        let (view, [w, h]) = self.pane_view(pane, size)?;
        let m = view.placement(w, h);
        let (x, y) = (
            (q[0] + 0.5 + SAMPLE_BIAS) as f32,
            (q[1] + 0.5 + SAMPLE_BIAS) as f32,
        );
        Some([
            m.origin[0] + x * m.axis_x[0] + y * m.axis_y[0],
            m.origin[1] + x * m.axis_x[1] + y * m.axis_y[1],
        ])
    }

    /// [`point_in`](Self::point_in) the image pane.
    pub fn image_point(&self, p: [f32; 2], size: [u32; 2]) -> Option<[f64; 2]> {
        self.point_in(Pane::Stack, p, size)
    }

    /// [`pane_point_in`](Self::pane_point_in) the image pane.
    pub fn pane_point(&self, q: [f64; 2], size: [u32; 2]) -> Option<[f32; 2]> {
        self.pane_point_in(Pane::Stack, q, size)
    }

    /// The plane `pane` shows, as measurements on it record it.
    fn plane_of(&self, pane: Pane) -> Option<(usize, hounsfield_core::volume::Plane)> {
        match pane {
            Pane::Plane(k) if self.layout != Layout::Stack => {
                Some((k, self.mpr.as_ref()?.plane(k)))
            }
            _ => None,
        }
    }

    /// Whether measurement `a` belongs to what `pane` shows now.
    fn shown_in(&self, a: &Annotation, pane: Pane) -> bool {
        match pane {
            Pane::Stack => a.plane.is_none() && Some(a.slice) == self.current,
            Pane::Plane(_) => a.plane.is_some() && a.plane == self.plane_of(pane),
        }
    }

    /// The unfinished angle or Cobb angle, when it is on what `pane` shows.
    fn pending_in(&self, pane: Pane) -> Option<u64> {
        let id = self.annotations.pending?;
        let a = self.annotations.get(id)?;
        self.shown_in(a, pane).then_some(id)
    }

    /// The measurements on what `pane` shows.
    fn annotations_in(&self, pane: Pane) -> impl Iterator<Item = &Annotation> {
        self.annotations
            .items
            .iter()
            .filter(move |a| self.shown_in(a, pane))
    }

    /// The handle of a measurement in `pane` nearest pane pixel `p`, within
    /// `HANDLE_REACH`: the measurement and the point's index.
    pub fn handle_in(&self, pane: Pane, p: [f32; 2], size: [u32; 2]) -> Option<(u64, usize)> {
        let mut best: Option<(f32, u64, usize)> = None;
        for a in self.annotations_in(pane) {
            for (k, q) in a.handles().iter().enumerate() {
                let Some(h) = self.pane_point_in(pane, *q, size) else {
                    continue;
                };
                let d = distance(h, p);
                if d <= HANDLE_REACH && best.is_none_or(|b| d < b.0) {
                    best = Some((d, a.id, k));
                }
            }
        }
        best.map(|(_, id, k)| (id, k))
    }

    /// [`handle_in`](Self::handle_in) the pane of the input being applied.
    pub fn handle_at(&self, p: [f32; 2], size: [u32; 2]) -> Option<(u64, usize)> {
        self.handle_in(self.measure_pane(), p, size)
    }

    /// The action for one input: [`action_for`], except for what measuring takes in the
    /// image pane. With a measuring tool, left drags and clicks draw; with any tool, a
    /// left drag that begins on a measurement's handle moves it, and a click on one
    /// selects the measurement. Apps call this rather than [`action_for`].
    pub fn action_for(&self, input: &Input) -> Option<Action> {
        let pane = self.measure_pane();
        if self.pane_view(pane, [1, 1]).is_some() {
            let a = &self.annotations;
            let busy = a.pending.is_some() || a.tool != Tool::WindowLevel;
            match input {
                Input::Drag {
                    button: Button::Left,
                    modifiers,
                    at: Some(p),
                    ..
                } if *modifiers == Modifiers::default()
                    && (busy
                        || a.drag.is_some_and(|(s, ..)| s == p.start)
                        || self.handle_at(p.start, p.size).is_some()) =>
                {
                    return Some(Action::Measure(PointerStep::Drag {
                        start: p.start,
                        now: p.now,
                        size: p.size,
                    }));
                }
                Input::DragEnd {
                    button: Button::Left,
                    at: Some(p),
                } if a.drag.is_some_and(|(s, ..)| s == p.start) => {
                    return Some(Action::Measure(PointerStep::End {
                        start: p.start,
                        now: p.now,
                        size: p.size,
                    }));
                }
                Input::Click { at, size } if busy || self.handle_at(*at, *size).is_some() => {
                    return Some(Action::Measure(PointerStep::Click {
                        at: *at,
                        size: *size,
                    }));
                }
                _ => {}
            }
        }
        action_for(input)
    }

    /// Takes `tool`; the angle's key again takes the Cobb angle. An unfinished
    /// measurement is dropped.
    pub(super) fn set_tool(&mut self, tool: Tool) {
        let a = &mut self.annotations;
        a.drop_pending();
        a.drag = None;
        a.tool = if tool == Tool::Angle && a.tool == Tool::Angle {
            Tool::Cobb
        } else {
            tool
        };
    }

    /// Applies a pointer step of [`Action::Measure`].
    pub(super) fn measure_step(&mut self, step: PointerStep) {
        match step {
            PointerStep::Drag { start, now, size } => self.measure_drag(start, now, size),
            PointerStep::End { start, now, size } => {
                self.measure_drag(start, now, size);
                self.end_drag(start);
            }
            PointerStep::Click { at, size } => self.measure_click(at, size),
        }
    }

    fn measure_drag(&mut self, start: [f32; 2], now: [f32; 2], size: [u32; 2]) {
        let pane = self.measure_pane();
        let Some(q) = self.point_in(pane, now, size) else {
            return;
        };
        match self.annotations.drag {
            Some((s, id, point)) if s == start => {
                self.move_point(id, point, q, now, size);
                return;
            }
            _ => {}
        }
        let Some(slice) = self.current else {
            return;
        };
        let Some(q0) = self.point_in(pane, start, size) else {
            return;
        };
        let moved = distance(start, now) > CLICK_DISTANCE;
        // A handle: move it.
        if let Some((id, k)) = self.handle_at(start, size) {
            self.annotations.checkpoint();
            self.annotations.drag = Some((start, id, Some(k)));
            self.annotations.selected = Some(id);
            self.move_point(id, Some(k), q, now, size);
            return;
        }
        // The next points of an unfinished angle or Cobb angle.
        if let Some(id) = self.pending_in(pane)
            && let Some(a) = self.annotations.get_mut(id)
        {
            match (a.tool, a.points.len()) {
                (Tool::Angle, 2) => a.points.push(q),
                (Tool::Cobb, 2) if moved => a.points.extend([q0, q]),
                _ => return,
            }
            let last = a.points.len() - 1;
            self.annotations.drag = Some((start, id, Some(last)));
            self.remeasure(id);
            return;
        }
        let tool = self.annotations.tool;
        let plane = self.plane_of(pane);
        if tool == Tool::WindowLevel || (!moved && tool != Tool::Probe) {
            return;
        }
        self.annotations.drop_pending();
        self.annotations.checkpoint();
        let id = self.annotations.next_id();
        let points = if tool == Tool::Probe {
            vec![q]
        } else {
            vec![q0, q]
        };
        let point = (tool != Tool::Freehand).then_some(points.len() - 1);
        let mut a = Annotation::new(id, tool, slice, points);
        a.plane = plane;
        self.annotations.items.push(a);
        self.annotations.drag = Some((start, id, point));
        self.annotations.selected = Some(id);
        self.remeasure(id);
    }

    /// Moves point `point` of measurement `id` to `q`, or (None) adds `q` to a freehand
    /// path when the pointer (at pane pixel `now`) has moved far enough from its end.
    fn move_point(
        &mut self,
        id: u64,
        point: Option<usize>,
        q: [f64; 2],
        now: [f32; 2],
        size: [u32; 2],
    ) {
        let last = self
            .annotations
            .get(id)
            .and_then(|a| a.points.last().copied())
            .and_then(|p| self.pane_point_in(self.measure_pane(), p, size));
        let Some(a) = self.annotations.get_mut(id) else {
            return;
        };
        match point {
            Some(k) if k < a.points.len() => a.points[k] = q,
            Some(_) => return,
            None => {
                if last.is_some_and(|l| distance(l, now) < FREEHAND_STEP) {
                    return;
                }
                a.points.push(q);
                // A freehand region is measured when it is closed.
                return;
            }
        }
        self.remeasure(id);
    }

    fn end_drag(&mut self, start: [f32; 2]) {
        let Some((s, id, _)) = self.annotations.drag else {
            return;
        };
        if s != start {
            return;
        }
        self.annotations.drag = None;
        let Some(a) = self.annotations.get(id) else {
            return;
        };
        if a.complete() {
            if self.annotations.pending == Some(id) {
                self.annotations.pending = None;
            }
            self.remeasure(id);
        } else if matches!(a.tool, Tool::Angle | Tool::Cobb) {
            self.annotations.pending = Some(id);
        } else {
            // A freehand path of fewer than three points: no region.
            self.annotations.items.retain(|a| a.id != id);
            self.annotations.undo();
        }
    }

    fn measure_click(&mut self, at: [f32; 2], size: [u32; 2]) {
        if let Some((id, _)) = self.handle_at(at, size) {
            self.annotations.selected = Some(id);
            return;
        }
        let pane = self.measure_pane();
        let (Some(q), Some(slice)) = (self.point_in(pane, at, size), self.current) else {
            return;
        };
        if let Some(id) = self.pending_in(pane)
            && let Some(a) = self.annotations.get_mut(id)
            && a.tool == Tool::Angle
            && a.points.len() == 2
        {
            a.points.push(q);
            self.annotations.pending = None;
            self.remeasure(id);
            return;
        }
        if self.annotations.tool == Tool::Probe {
            self.annotations.checkpoint();
            let id = self.annotations.next_id();
            let mut a = Annotation::new(id, Tool::Probe, slice, vec![q]);
            a.plane = self.plane_of(pane);
            self.annotations.items.push(a);
            self.annotations.selected = Some(id);
            self.remeasure(id);
        }
    }

    /// Selects measurement `id` and shows the image it was drawn on.
    pub(super) fn select_measurement(&mut self, id: u64) {
        let Some(slice) = self.annotations.get(id).map(|a| a.slice) else {
            return;
        };
        self.annotations.selected = Some(id);
        if self.current == Some(slice) {
            return;
        }
        let Some(index) = self.index_of(slice.id) else {
            return;
        };
        if let Some(s) = self
            .series
            .iter()
            .position(|s| s.instances.contains(&index))
        {
            self.select_series_index(s);
        }
        self.current = Some(slice);
        self.follow_first = false;
        self.cine = false;
        self.ensure_volume();
    }

    /// Measures `id` again on the pixels of its frame.
    pub(super) fn remeasure(&mut self, id: u64) {
        let Some(a) = self.annotations.get(id) else {
            return;
        };
        let slice = a.slice;
        let plane = a.plane;
        let result = a.roi().and_then(|roi| {
            let inst = self.instance(slice.id);
            // On a plane: in the patient (square pixels of its spacing); regions over the
            // plane's pixels, as `hounsfield measure FOLDER --plane` takes them.
            if let Some((_, plane)) = plane {
                // Every voxel of the series, also when the planes' volume on the GPU is reduced.
                let volume = self.mpr.as_ref().map(|m| m.exact());
                let units = inst.and_then(|i| i.image.as_ref()?.units.as_deref());
                return match volume {
                    Some(volume) => measure_on_plane(volume, &plane, &roi, units),
                    None if !roi.has_pixels() => {
                        measure_pixels(&roi, PlanePixels::pixel_size(&plane), None)
                    }
                    None => Err("the planes are not built".into()),
                };
            }
            let inst = inst.ok_or("the image is no longer open")?;
            let size = PixelSize::of(&inst.file, slice.frame);
            let image = inst.image.as_ref();
            let frame = image.and_then(|i| i.frames.get(slice.frame));
            let pipe = image.and_then(|i| i.pipelines.get(slice.frame)?.as_ref());
            let pixels = match (image, frame, pipe) {
                (Some(image), Some(frame), Some(pipe)) => Some(FramePixels {
                    frame,
                    modality: &pipe.modality,
                    padding: image.padding,
                    units: image.units.as_deref(),
                }),
                (_, Some(_), None) if roi.has_pixels() => {
                    return Err("regions are measured on grey images (modality values)".into());
                }
                _ => None,
            };
            measure_pixels(&roi, size, pixels)
        });
        if let Some(a) = self.annotations.get_mut(id) {
            a.measured = result;
        }
    }

    /// The measurements on the image on screen as a pane of `size` paints them (with the
    /// annotations of its presentation state).
    pub fn drawn_annotations(&self, size: [u32; 2]) -> Vec<Drawn> {
        self.drawn_in(Pane::Stack, size)
    }

    /// The measurements on what `pane` shows as it paints them at `size`.
    pub fn drawn_in(&self, pane: Pane, size: [u32; 2]) -> Vec<Drawn> {
        let to_pane = |q: &[f64; 2]| self.pane_point_in(pane, *q, size);
        let presentation = if pane == Pane::Stack {
            self.presentation_drawn(size)
        } else {
            Vec::new()
        };
        self.annotations_in(pane)
            .map(|a| {
                let lines: Vec<Vec<[f32; 2]>> = a
                    .outline()
                    .iter()
                    .map(|l| l.iter().filter_map(to_pane).collect())
                    .collect();
                let handles: Vec<[f32; 2]> = a.handles().iter().filter_map(to_pane).collect();
                let anchor = a
                    .points
                    .iter()
                    .filter_map(to_pane)
                    .fold(None, |best: Option<[f32; 2]>, p| {
                        Some(best.map_or(p, |b| if p[0] > b[0] { p } else { b }))
                    })
                    .unwrap_or([0.0, 0.0]);
                Drawn {
                    id: a.id,
                    selected: self.annotations.selected == Some(a.id),
                    lines,
                    handles,
                    label: a.label(),
                    label_at: [anchor[0] + 2.0 * HANDLE_REACH, anchor[1] - HANDLE_REACH],
                    presentation: false,
                }
            })
            .chain(presentation)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;
    use super::*;
    use crate::input::{Key, PanePoints};
    use hounsfield_core::measure::line_length;

    const SIZE: [u32; 2] = [400, 400];

    /// A left drag from `a` to `b` (pane pixels), then its release, as the apps feed them.
    fn drag(m: &mut Model, a: [f32; 2], b: [f32; 2]) {
        let at = Some(PanePoints {
            start: a,
            now: b,
            size: SIZE,
        });
        for input in [
            Input::Drag {
                button: Button::Left,
                delta: [b[0] - a[0], b[1] - a[1]],
                modifiers: Modifiers::default(),
                at,
            },
            Input::DragEnd {
                button: Button::Left,
                at,
            },
        ] {
            if let Some(action) = m.action_for(&input) {
                m.apply(action);
            }
        }
    }

    fn key(m: &mut Model, c: char) {
        let input = Input::Key {
            key: Key::Letter(c),
            modifiers: Modifiers::default(),
        };
        if let Some(action) = m.action_for(&input) {
            m.apply(action);
        }
    }

    fn specs(m: &Model) -> Vec<String> {
        let roi = |a: &Annotation| a.roi().map_or_else(|e| e, |r| r.spec());
        m.annotations.items.iter().map(roi).collect()
    }

    #[test]
    fn tools_draw_handles_move_and_undo_goes_back() {
        // A 4 x 4 image fitted into 400 x 400 pixels: 100 pixels per image pixel, so pane
        // pixel 50 is the centre of image pixel 0.
        let mut m = model();
        m.set_panes(&[(Pane::Stack, [0, 0, 400, 400])]);
        assert_eq!(m.image_point([50.0, 350.0], SIZE), Some([0.0, 3.0]));
        key(&mut m, 'l');
        drag(&mut m, [50.0, 50.0], [350.0, 50.0]);
        assert_eq!(specs(&m), vec!["line:0,0,3,0"]);
        assert_eq!(m.view.window, None, "a measuring drag does not window");
        let inst = m
            .instance(m.current.map_or(0, |c| c.id))
            .map(|i| i.file.clone());
        let size = PixelSize::of(&inst.unwrap_or_else(|| panic!("no instance")), 0);
        let length = m.annotations.items[0]
            .measured
            .as_ref()
            .ok()
            .and_then(|x| x.length);
        assert_eq!(length, Some(line_length(0.0, 0.0, 3.0, 0.0, &size)));
        // With window / level back, a drag from a handle moves that point; elsewhere it
        // windows.
        key(&mut m, 'w');
        drag(&mut m, [352.0, 48.0], [350.0, 350.0]);
        assert_eq!(specs(&m), vec!["line:0,0,3,3"]);
        drag(&mut m, [200.0, 200.0], [220.0, 200.0]);
        assert!(m.view.window.is_some());
        // Undo the move, delete, undo the deletion.
        m.apply(Action::Undo);
        assert_eq!(specs(&m), vec!["line:0,0,3,0"]);
        m.apply(Action::DeleteMeasurement);
        assert!(m.annotations.items.is_empty());
        m.apply(Action::Undo);
        assert_eq!(specs(&m), vec!["line:0,0,3,0"]);
        // A rectangle over the pixel centres of columns and rows 0 to 2: the stored values
        // (row * 4 + column) * 100, rescaled by -1024.
        key(&mut m, 'x');
        drag(&mut m, [40.0, 40.0], [260.0, 260.0]);
        let rect = &m.annotations.items[1];
        assert_eq!(rect.roi().map(|r| r.spec()), Ok("rect:0,0,3,3".into()));
        let stats = rect
            .measured
            .as_ref()
            .ok()
            .and_then(|x| x.statistics.clone());
        let values: Vec<f64> = (0..3)
            .flat_map(|y| (0..3).map(move |x| f64::from((y * 4 + x) * 100) - 1024.0))
            .collect();
        assert_eq!(
            stats.map(|s| (s.mean, s.pixels)),
            Some((values.iter().sum::<f64>() / 9.0, 9))
        );
    }

    #[test]
    fn an_angle_takes_a_drag_then_a_click_and_esc_puts_the_tool_down() {
        let mut m = model();
        m.set_panes(&[(Pane::Stack, [0, 0, 400, 400])]);
        key(&mut m, 'g');
        drag(&mut m, [50.0, 50.0], [50.0, 350.0]);
        assert_eq!(m.annotations.pending, Some(m.annotations.items[0].id));
        assert!(m.annotations.items[0].label().is_empty(), "unfinished");
        if let Some(action) = m.action_for(&Input::Click {
            at: [350.0, 350.0],
            size: SIZE,
        }) {
            m.apply(action);
        }
        assert_eq!(specs(&m), vec!["angle:0,0,0,3,3,3"]);
        let angle = m.annotations.items[0]
            .measured
            .as_ref()
            .ok()
            .and_then(|x| x.angle);
        assert!(angle.is_some_and(|a| (a - 90.0).abs() < 1e-9), "{angle:?}");
        // G again: the Cobb angle, two drags.
        key(&mut m, 'g');
        assert_eq!(m.annotations.tool, Tool::Cobb);
        // (Away from the angle's handles, which a drag would move.)
        drag(&mut m, [150.0, 50.0], [350.0, 150.0]);
        drag(&mut m, [150.0, 250.0], [350.0, 250.0]);
        assert_eq!(specs(&m)[1], "cobb:1,0,3,1,1,2,3,2");
        let cobb = m.annotations.items[1]
            .measured
            .as_ref()
            .ok()
            .and_then(|x| x.angle);
        assert!(cobb.is_some_and(|a| a > 0.0 && a < 90.0), "{cobb:?}");
        let esc = Input::Key {
            key: Key::Escape,
            modifiers: Modifiers::default(),
        };
        if let Some(action) = m.action_for(&esc) {
            m.apply(action);
        }
        assert_eq!(m.annotations.tool, Tool::WindowLevel);
        assert_eq!(m.annotations.items.len(), 2);
    }

    #[test]
    fn a_length_on_a_plane_is_in_patient_millimetres_and_stays_with_its_plane() {
        use crate::mpr::Layout;
        let mut m = model();
        m.apply(Action::Layout(Some(Layout::Planes)));
        assert!(m.mpr.is_some(), "{:?}", m.mpr_note);
        m.active_pane = Pane::Plane(1);
        key(&mut m, 'l');
        drag(&mut m, [60.0, 100.0], [330.0, 290.0]);
        let a = m
            .annotations
            .items
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("no length"));
        let (k, plane) = a.plane.unwrap_or_else(|| panic!("not on a plane"));
        assert_eq!(k, 1);
        // The length is the distance of the two ends in the patient.
        let [p, q] = [a.points[0], a.points[1]];
        let (x, y) = (plane.position(p[0], p[1]), plane.position(q[0], q[1]));
        let want = ((x[0] - y[0]).powi(2) + (x[1] - y[1]).powi(2) + (x[2] - y[2]).powi(2)).sqrt();
        let got = a
            .measured
            .as_ref()
            .ok()
            .and_then(|x| x.length)
            .unwrap_or(f64::NAN);
        assert!(
            (got - want).abs() < 1e-9,
            "{got} mm, {want} mm in the patient"
        );
        assert_eq!(m.drawn_in(Pane::Plane(1), SIZE).len(), 1);
        assert!(m.drawn_in(Pane::Plane(0), SIZE).is_empty());
        assert!(m.drawn_in(Pane::Stack, SIZE).is_empty());
        // An ellipse and a probe on the plane: the statistics of the plane's pixels as
        // the CPU resampling shows them (through the volume's Modality LUT).
        key(&mut m, 'c');
        drag(&mut m, [185.0, 120.0], [215.0, 280.0]);
        key(&mut m, 'u');
        if let Some(action) = m.action_for(&Input::Click {
            at: [200.0, 210.0],
            size: SIZE,
        }) {
            m.apply(action);
        }
        assert_eq!(m.annotations.items.len(), 3);
        let volume = m.mpr.as_ref().map(|x| x.volume.clone());
        let volume = volume.unwrap_or_else(|| panic!("no volume"));
        let shown = hounsfield_core::volume::resample(&volume, &plane, None);
        for b in &m.annotations.items[1..] {
            assert_eq!(b.plane, Some((1, plane)));
            let roi = b.roi().unwrap_or_else(|e| panic!("{e}"));
            let want = hounsfield_core::measure::region_statistics(
                &shown,
                &volume.modality,
                None,
                &roi,
                &PixelSize {
                    row_mm: plane.spacing,
                    column_mm: plane.spacing,
                    spacing: hounsfield_core::measure::Spacing::Patient,
                },
            );
            assert!(want.as_ref().is_ok_and(|s| s.pixels > 0), "{want:?}");
            let got = b.measured.as_ref().map(|x| x.statistics.clone());
            assert_eq!(got.ok().flatten(), want.ok(), "{}", roi.spec());
        }
        assert_eq!(m.drawn_in(Pane::Plane(1), SIZE).len(), 3);
        m.apply(Action::Slice(1));
        if m.mpr.as_ref().map(|x| x.plane(1)) != Some(plane) {
            assert!(m.drawn_in(Pane::Plane(1), SIZE).is_empty());
        }
    }
}
