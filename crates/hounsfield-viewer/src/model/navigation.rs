//! Navigation: the series and slice on screen, stepping and cine.

use super::{DecodedImage, Instance, Model, Series, SeriesLayout, SliceRef};
use std::sync::Arc;

impl Model {
    pub(super) fn show_instance(&mut self, index: usize) {
        if let Some(s) = self
            .series
            .iter()
            .position(|s| s.instances.contains(&index))
        {
            self.select_series_index(s);
        }
        self.current = Some(SliceRef {
            id: self.instances[index].id,
            frame: 0,
        });
        self.follow_first = true;
    }

    pub(super) fn series_key(s: &Series) -> (Option<String>, Option<String>, usize) {
        (
            s.study_instance_uid.clone(),
            s.series_instance_uid.clone(),
            s.part,
        )
    }

    /// Index of the series on screen.
    pub fn current_series_index(&self) -> Option<usize> {
        let key = self.current_series.as_ref()?;
        self.series.iter().position(|s| &Self::series_key(s) == key)
    }

    pub(super) fn select_series_index(&mut self, index: usize) {
        if let Some(s) = self.series.get(index) {
            self.current_series = Some(Self::series_key(s));
        }
    }

    /// Shows series `index` at its first decoded slice, with the file's window.
    pub fn select_series(&mut self, index: usize) {
        if self.current_series_index() == Some(index) {
            return;
        }
        self.select_series_index(index);
        self.cine = false;
        self.current = self
            .slices()
            .into_iter()
            .find(|s| self.instance(s.id).is_some_and(|i| i.image.is_some()))
            .or_else(|| self.slices().first().copied());
        self.follow_first = true;
        self.view.window = None;
        self.view.window_label = None;
        self.ensure_volume();
    }

    /// The instance a loader decodes from, outward (see
    /// [`DecodeQueue`](crate::decode_order::DecodeQueue)): the one on screen once the
    /// reader has moved through the slices; before that, the first slice of the series on
    /// screen, which takes the screen as soon as it decodes (`follow_first`), whichever
    /// slice showed first. None while nothing is on screen.
    pub fn decode_focus(&self) -> Option<u64> {
        if self.follow_first
            && let Some(first) = self.slices().first()
        {
            return Some(first.id);
        }
        self.current.map(|c| c.id)
    }

    /// The slices of the series on screen, in order: those of the stack and time point
    /// on screen (every frame of the series when it is one volume).
    pub fn slices(&self) -> Vec<SliceRef> {
        let Some((layout, s, t)) = self.current_place() else {
            return Vec::new();
        };
        layout.dimensions.stacks[s].time_points[t]
            .inputs
            .iter()
            .map(|&k| layout.frames[k])
            .collect()
    }

    /// The layout of the series on screen, and the stack and time point of the slice on
    /// screen (the first ones before a slice is shown).
    fn current_place(&self) -> Option<(&SeriesLayout, usize, usize)> {
        let layout = self.layouts.get(self.current_series_index()?)?;
        if layout.dimensions.stacks.is_empty() {
            return None;
        }
        let place = self
            .current
            .and_then(|c| layout.frames.iter().position(|f| *f == c))
            .and_then(|k| layout.dimensions.locate(k));
        let (s, t) = place.map_or((0, 0), |(s, t, _)| (s, t));
        Some((layout, s, t))
    }

    /// Where `slice` is in the series on screen: (stack, time point, slice).
    pub(super) fn place_of(&self, slice: SliceRef) -> Option<(usize, usize, usize)> {
        let layout = self.layouts.get(self.current_series_index()?)?;
        let k = layout.frames.iter().position(|f| *f == slice)?;
        layout.dimensions.locate(k)
    }

    /// Where the slice on screen is among the series' stacks and time points: (stack,
    /// stacks, time point, time points), 0-based.
    pub fn dimension_position(&self) -> Option<(usize, usize, usize, usize)> {
        let (layout, s, t) = self.current_place()?;
        let d = &layout.dimensions;
        Some((s, d.stacks.len(), t, d.stacks[s].time_points.len()))
    }

    /// The time point and stack on screen, for people ("time 2/3 (trigger 120 ms)"), when
    /// the series has more than one of either.
    pub fn dimension_labels(&self) -> Vec<String> {
        let Some((layout, s, t)) = self.current_place() else {
            return Vec::new();
        };
        let d = &layout.dimensions;
        let mut out = Vec::new();
        let stack = &d.stacks[s];
        if d.stacks.len() > 1 {
            let label = stack
                .label
                .as_deref()
                .map_or(String::new(), |l| format!(" ({l})"));
            out.push(format!("Stack {}/{}{label}", s + 1, d.stacks.len()));
        }
        if stack.time_points.len() > 1 {
            let value = match (d.time_axis, stack.time_points[t].value) {
                (Some(axis), Some(v)) => format!(" ({})", axis.label(v)),
                _ => String::new(),
            };
            out.push(format!("Time {}/{}{value}", t + 1, stack.time_points.len()));
        }
        out
    }

    /// Moves `delta` time points (wrapping with `wrap`), or to the next stack with
    /// `stack`, keeping the slice's place in its stack.
    pub(super) fn step_dimension(&mut self, delta: i64, wrap: bool, stack: bool) {
        let Some((layout, s, t)) = self.current_place() else {
            return;
        };
        let d = &layout.dimensions;
        let (pos, _) = self.slice_position();
        let (s2, t2) = if stack {
            let n = d.stacks.len() as i64;
            let s2 = (s as i64 + delta).rem_euclid(n) as usize;
            (s2, t.min(d.stacks[s2].time_points.len() - 1))
        } else {
            let n = d.stacks[s].time_points.len() as i64;
            let next = t as i64 + delta;
            let t2 = if wrap {
                next.rem_euclid(n)
            } else {
                next.clamp(0, n - 1)
            };
            (s, t2 as usize)
        };
        let target = &d.stacks[s2].time_points[t2].inputs;
        if let Some(&k) = target.get(pos.min(target.len().saturating_sub(1))) {
            self.current = Some(layout.frames[k]);
            self.follow_first = false;
        }
    }

    /// Position of the slice on screen among [`slices`](Self::slices), and their count.
    pub fn slice_position(&self) -> (usize, usize) {
        let slices = self.slices();
        let pos = self
            .current
            .and_then(|c| slices.iter().position(|s| *s == c))
            .unwrap_or(0);
        (pos, slices.len())
    }

    /// The instance and decoded image on screen.
    pub fn current_image(&self) -> Option<(&Instance, &Arc<DecodedImage>, usize)> {
        let c = self.current?;
        let inst = self.instance(c.id)?;
        let image = inst.image.as_ref()?;
        (c.frame < image.frames.len()).then_some((inst, image, c.frame))
    }

    pub(super) fn step(&mut self, delta: i64, wrap: bool) {
        let slices = self.slices();
        if slices.is_empty() {
            return;
        }
        let (pos, n) = self.slice_position();
        let n = n as i64;
        let next = pos as i64 + delta;
        let next = if wrap {
            next.rem_euclid(n)
        } else {
            next.clamp(0, n - 1)
        };
        self.current = Some(slices[next as usize]);
    }

    /// Advances the cine loop by one time point of a 4D series, else by one slice
    /// (wrapping).
    pub fn cine_step(&mut self) {
        match self.dimension_position() {
            Some((_, _, _, times)) if times > 1 => {
                self.step_dimension(1, true, false);
                // The planes follow the time point.
                self.ensure_volume();
            }
            _ => self.step(1, true),
        }
    }

    /// Time between cine frames: the file's, else 10 frames/s.
    pub fn cine_interval_ms(&self) -> f64 {
        self.current_image()
            .and_then(|(_, d, _)| d.frame_time_ms)
            .unwrap_or(100.0)
            .clamp(5.0, 5000.0)
    }

    /// Position of the slice on screen along the slice normal, in mm.
    pub fn slice_location(&self) -> Option<f64> {
        let (_, image, frame) = self.current_image()?;
        let p = (*image.positions.get(frame)?)?;
        let n = image.normal?;
        Some(p[0] * n[0] + p[1] * n[1] + p[2] * n[2])
    }
}
