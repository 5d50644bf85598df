//! Navigation: the series and slice on screen, stepping and cine.

use super::{DecodedImage, Instance, Model, Series, SliceRef};
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

    /// The slices of the series on screen, in order: each instance's frames.
    pub fn slices(&self) -> Vec<SliceRef> {
        let Some(series) = self.current_series_index().and_then(|i| self.series.get(i)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for &index in &series.instances {
            let inst = &self.instances[index];
            let frames = inst
                .image
                .as_ref()
                .map_or(inst.info.frames.max(1) as usize, |d| d.frames.len());
            out.extend((0..frames).map(|frame| SliceRef { id: inst.id, frame }));
        }
        out
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

    /// Advances the cine loop by one slice (wrapping).
    pub fn cine_step(&mut self) {
        self.step(1, true);
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
