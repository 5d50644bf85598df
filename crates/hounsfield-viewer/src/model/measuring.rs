//! Measuring in the image pane: pointer steps to measurements, their numbers (through
//! `hounsfield_measure`, as `hounsfield measure` computes them), and what a pane paints.

use super::Model;
use crate::annotate::{Annotation, Drawn, PointerStep, Tool};
use crate::gesture::CLICK_DISTANCE;
use crate::input::{Action, Button, Input, Modifiers, action_for};
use crate::mpr::{Layout, Pane};
use hounsfield_core::measure::{FramePixels, PixelSize, measure_pixels};
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
    /// Whether the input being applied happened in the image pane.
    fn on_image_pane(&self) -> bool {
        self.layout == Layout::Stack || self.active_pane == Pane::Stack
    }

    /// The image position (pixel centres at integers) under pane pixel `p` of a pane of
    /// `size` showing the image on screen.
    pub fn image_point(&self, p: [f32; 2], size: [u32; 2]) -> Option<[f64; 2]> {
        let (_, image, frame) = self.current_image()?;
        let f = &image.frames[frame];
        let m = self
            .view_for(size[0].max(1), size[1].max(1))
            .mapping(f.width, f.height);
        let q = m.image_at(p[0], p[1]);
        Some([
            thousandths(f64::from(q[0]) - 0.5 - SAMPLE_BIAS),
            thousandths(f64::from(q[1]) - 0.5 - SAMPLE_BIAS),
        ])
    }

    /// Where image position `q` (pixel centres at integers) of the image on screen lands
    /// in a pane of `size`, device pixels.
    pub fn pane_point(&self, q: [f64; 2], size: [u32; 2]) -> Option<[f32; 2]> {
        let (_, image, frame) = self.current_image()?;
        let f = &image.frames[frame];
        let m = self
            .view_for(size[0].max(1), size[1].max(1))
            .placement(f.width, f.height);
        let (x, y) = (
            (q[0] + 0.5 + SAMPLE_BIAS) as f32,
            (q[1] + 0.5 + SAMPLE_BIAS) as f32,
        );
        Some([
            m.origin[0] + x * m.axis_x[0] + y * m.axis_y[0],
            m.origin[1] + x * m.axis_x[1] + y * m.axis_y[1],
        ])
    }

    /// The measurements of the image on screen.
    fn annotations_on_screen(&self) -> impl Iterator<Item = &Annotation> {
        let current = self.current;
        self.annotations
            .items
            .iter()
            .filter(move |a| Some(a.slice) == current)
    }

    /// The handle of a measurement on screen nearest pane pixel `p`, within
    /// `HANDLE_REACH`: the measurement and the point's index.
    pub fn handle_at(&self, p: [f32; 2], size: [u32; 2]) -> Option<(u64, usize)> {
        let mut best: Option<(f32, u64, usize)> = None;
        for a in self.annotations_on_screen() {
            for (k, q) in a.handles().iter().enumerate() {
                let Some(h) = self.pane_point(*q, size) else {
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

    /// The action for one input: [`action_for`], except for what measuring takes in the
    /// image pane. With a measuring tool, left drags and clicks draw; with any tool, a
    /// left drag that begins on a measurement's handle moves it, and a click on one
    /// selects the measurement. Apps call this rather than [`action_for`].
    pub fn action_for(&self, input: &Input) -> Option<Action> {
        if self.on_image_pane() && self.current_image().is_some() {
            let a = &self.annotations;
            let busy = a.tool != Tool::WindowLevel || a.pending.is_some();
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
        let Some(q) = self.image_point(now, size) else {
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
        let Some(q0) = self.image_point(start, size) else {
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
        if let Some(id) = self.annotations.pending
            && let Some(a) = self.annotations.get_mut(id)
            && a.slice == slice
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
        self.annotations
            .items
            .push(Annotation::new(id, tool, slice, points));
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
            .and_then(|p| self.pane_point(p, size));
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
        let (Some(q), Some(slice)) = (self.image_point(at, size), self.current) else {
            return;
        };
        if let Some(id) = self.annotations.pending
            && let Some(a) = self.annotations.get_mut(id)
            && a.slice == slice
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
            self.annotations
                .items
                .push(Annotation::new(id, Tool::Probe, slice, vec![q]));
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
        let result = a.roi().and_then(|roi| {
            let inst = self
                .instance(slice.id)
                .ok_or("the image is no longer open")?;
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

    /// The measurements on the image on screen as a pane of `size` paints them.
    pub fn drawn_annotations(&self, size: [u32; 2]) -> Vec<Drawn> {
        let to_pane = |q: &[f64; 2]| self.pane_point(*q, size);
        self.annotations_on_screen()
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
            .chain(self.presentation_drawn(size))
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
}
