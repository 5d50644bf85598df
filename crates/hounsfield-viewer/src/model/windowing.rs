//! Windowing and the view: the pipeline in effect, presets, window drags, values under the cursor.

use super::Model;
use crate::mpr::{Layout, Pane};
use hounsfield_core::pipeline::{GreyPipeline, Voi};
use hounsfield_core::view::View;
use hounsfield_core::{FrameColor, ModalityLut, VoiLutFunction};

impl Model {
    /// The grey pipeline for the slice on screen with the user's window and inversion
    /// (None for colour images, or when nothing is decoded yet).
    pub fn pipeline(&self) -> Option<GreyPipeline> {
        let (_, image, frame) = self.current_image()?;
        let mut pipe = match self.presented_pipeline() {
            Some(p) => p,
            None => image.pipelines.get(frame)?.clone()?,
        };
        if let Some((center, width)) = self.view.window {
            let function = match pipe.voi {
                Voi::Window { function, .. } => function,
                Voi::Table(_) => VoiLutFunction::Linear,
            };
            pipe.voi = Voi::Window {
                center,
                width,
                function,
            };
        }
        pipe.inverse ^= self.view.invert;
        Some(pipe)
    }

    /// The window (centre, width) in effect, if the VOI stage is a window.
    pub fn window(&self) -> Option<(f64, f64)> {
        self.pipeline().and_then(|p| p.window())
    }

    /// The view for a viewport of `width` x `height`.
    pub fn view_for(&self, width: u32, height: u32) -> View {
        // A presentation state's rotation and flip, then the user's.
        let state = self.current_image().and_then(|(inst, image, frame)| {
            let s = self.presentation_for(inst, frame)?;
            let sop = inst.info.sop_instance_uid.as_deref().unwrap_or_default();
            let f = image.frames.get(frame)?;
            Some((s, s.displayed_area(sop, frame), [f.width, f.height]))
        });
        let (fh, fv, turns) = state.map_or((false, false, 0), |(s, _, _)| s.view_transform());
        let view = View {
            width,
            height,
            zoom: self.view.zoom,
            pan: self.view.pan,
            flip_horizontal: self.view.flip_horizontal ^ fh,
            flip_vertical: self.view.flip_vertical ^ fv,
            rotation: (self.view.rotation + turns) % 4,
            pixel_aspect: self.current_image().map_or(1.0, |(_, d, _)| d.pixel_aspect),
            filter: self.view.filter,
        };
        // Its displayed area: the view the user zooms and pans from.
        let Some((_, Some(d), [w, h])) = state else {
            return view;
        };
        view.showing_area(w, h, d.area, d.magnification())
    }

    /// Records the panes as laid out on screen (`[x, y, width, height]`, device pixels).
    pub fn set_panes(&mut self, panes: &[(crate::mpr::Pane, [u32; 4])]) {
        self.pane_sizes.clear();
        self.pane_sizes
            .extend(panes.iter().map(|(p, r)| (*p, [r[2], r[3]])));
    }

    /// Zooms the image pane to 1:1: one image pixel (column spacing) per screen pixel.
    pub(super) fn actual_size(&mut self) {
        let Some(&(_, [w, h])) = self
            .pane_sizes
            .iter()
            .find(|(p, _)| *p == crate::mpr::Pane::Stack)
        else {
            return;
        };
        let Some((_, image, frame)) = self.current_image() else {
            return;
        };
        let f = &image.frames[frame];
        let scale = self.view_for(w.max(1), h.max(1)).scale(f.width, f.height);
        if scale > 0.0 && scale.is_finite() {
            self.view.zoom /= scale;
        }
    }

    /// Whether the image on screen is CT (presets 1-8 are CT windows).
    pub(super) fn is_ct(&self) -> bool {
        self.current_image()
            .is_some_and(|(i, _, _)| i.info.modality.as_deref() == Some("CT"))
    }

    pub(super) fn preset(&mut self, n: u8) {
        let Some((_, image, _)) = self.current_image() else {
            return;
        };
        if image.pipelines.iter().all(Option::is_none) {
            return;
        }
        let (range, windows) = (image.range, image.windows.clone());
        let n = usize::from(n);
        let ct = hounsfield_core::presets::CT;
        let choice = if self.is_ct() {
            match n {
                1..=8 => Some((
                    ct[n - 1].center,
                    ct[n - 1].width,
                    ct[n - 1].name.to_string(),
                )),
                // 9: back to the file's own window.
                _ => {
                    self.view.window = None;
                    self.view.window_label = None;
                    return;
                }
            }
        } else if n <= windows.len() {
            let w = &windows[n - 1];
            let label = w
                .explanation
                .clone()
                .unwrap_or_else(|| format!("file window {n}"));
            Some((w.center, w.width, label))
        } else if n == windows.len() + 1 {
            let (c, w) = hounsfield_core::pipeline::range_window(range);
            Some((c, w, "min-max".into()))
        } else {
            None
        };
        if let Some((c, w, label)) = choice {
            self.view.window = Some((c, w));
            self.view.window_label = Some(label);
        }
    }

    pub(super) fn adjust_window(&mut self, dx: f32, dy: f32) {
        let Some((_, image, _)) = self.current_image() else {
            return;
        };
        let range = image.range;
        // A drag on a plane starts from the planes' window, which may not be the stack's.
        let on_plane = matches!(self.active_pane, Pane::Plane(_)) && self.layout != Layout::Stack;
        let pipe = if on_plane {
            self.mpr_pipeline().or_else(|| self.pipeline())
        } else {
            self.pipeline()
        };
        let Some(pipe) = pipe else {
            return;
        };
        let (c, w) = pipe
            .window()
            .unwrap_or_else(|| hounsfield_core::pipeline::range_window(range));
        let s = hounsfield_core::presets::window_drag_sensitivity(range.0, range.1);
        let width = (w + f64::from(dx) * s).max(1.0);
        let center = c + f64::from(dy) * s;
        self.view.window = Some((center, width));
        self.view.window_label = None;
    }

    /// The value at image position `img` (image pixel coordinates) of the slice on
    /// screen: pixel column and row, and the text of the value in modality units.
    pub fn value_at(&self, img: [f32; 2]) -> Option<(u32, u32, String)> {
        let (_, image, frame) = self.current_image()?;
        let f = &image.frames[frame];
        let (x, y) = (img[0].floor(), img[1].floor());
        if x < 0.0 || y < 0.0 || x >= f.width as f32 || y >= f.height as f32 {
            return None;
        }
        let (x, y) = (x as u32, y as u32);
        let i = (y as usize * f.width as usize + x as usize) * f.channels();
        let text = match (
            &f.color,
            image.pipelines.get(frame).and_then(Option::as_ref),
        ) {
            (FrameColor::Monochrome, Some(pipe)) => {
                let stored = f.samples.get_f64(i);
                let m = hounsfield_core::pipeline::modality_transform(&pipe.modality, stored);
                let units = image.units.as_deref().unwrap_or("");
                if matches!(pipe.modality, ModalityLut::Identity) {
                    format!("{} {units}", fmt_value(m))
                } else {
                    format!("{} {units} (stored {})", fmt_value(m), fmt_value(stored))
                }
            }
            _ if f.channels() == 3 => format!(
                "RGB {} {} {}",
                f.samples.get_f64(i),
                f.samples.get_f64(i + 1),
                f.samples.get_f64(i + 2)
            ),
            _ => format!("index {}", f.samples.get_f64(i)),
        };
        Some((x, y, text.trim_end().to_string()))
    }
}

/// The colour bar of a colour-mapped image: its map, and the values at its ends.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ColourBar {
    /// The colour map.
    pub colormap: hounsfield_core::layers::colormap::ColorMap,
    /// The window's lower edge: its modality value with units, and its real-world value
    /// when the frame has a linear Real World Value Mapping ("0 US · T1 0.5 s").
    pub low: String,
    /// The window's upper edge, the same way.
    pub high: String,
}

impl Model {
    /// Shift+I: the next colour map of grey images (grey, then each map, then grey).
    pub(super) fn cycle_colormap(&mut self) {
        use hounsfield_core::layers::colormap::ColorMap;
        let next = match self.view.colormap {
            None | Some(ColorMap::Grey) => Some(ColorMap::ALL[1]),
            Some(m) => ColorMap::ALL
                .iter()
                .position(|&c| c == m)
                .and_then(|k| ColorMap::ALL.get(k + 1).copied()),
        };
        self.view.colormap = next;
        self.message(format!("colour map: {}", next.map_or("grey", |m| m.name())));
    }

    /// The colour bar of the image on screen, when a colour map and a window apply.
    pub fn colour_bar(&self) -> Option<ColourBar> {
        let colormap = self.view.colormap?;
        let (inst, image, frame) = self.current_image()?;
        let pipe = image.pipelines.get(frame)?.as_ref()?;
        let (c, w) = self.window()?;
        let units = image.units.as_deref().unwrap_or("");
        let mappings = inst
            .file
            .real_world_value_mappings(frame)
            .unwrap_or_default();
        let edge = |m: f64| {
            let mut text = format!("{} {units}", fmt_value(m)).trim_end().to_string();
            // The stored value of modality value m, through a linear Real World Value
            // Mapping (labels of the window's edges, wherever they fall).
            let stored = match &pipe.modality {
                ModalityLut::Identity => Some(m),
                ModalityLut::Rescale {
                    slope, intercept, ..
                } if *slope != 0.0 => Some((m - intercept) / slope),
                _ => None,
            };
            if let (Some(stored), Some(rw)) = (stored, mappings.first())
                && matches!(rw.map, hounsfield_core::RealWorldMap::Linear { .. })
            {
                let unbounded = hounsfield_core::RealWorldValueMapping {
                    first: f64::NEG_INFINITY,
                    last: f64::INFINITY,
                    ..rw.clone()
                };
                if let Some(t) = unbounded.describe(stored) {
                    text.push_str(&format!(" · {t}"));
                }
            }
            text
        };
        Some(ColourBar {
            colormap,
            low: edge(c - w / 2.0),
            high: edge(c + w / 2.0),
        })
    }

    /// The stored value at image position `img` of the slice on screen through each Real
    /// World Value Mapping of its frame ("ADC 0.0012 mm2/s"), one line each; empty when
    /// the frame has none.
    pub fn real_world_at(&self, img: [f32; 2]) -> Vec<String> {
        let Some((inst, image, frame)) = self.current_image() else {
            return Vec::new();
        };
        let f = &image.frames[frame];
        let (x, y) = (img[0].floor(), img[1].floor());
        if f.channels() != 1 || x < 0.0 || y < 0.0 || x >= f.width as f32 || y >= f.height as f32 {
            return Vec::new();
        }
        let stored = f
            .samples
            .get_f64(y as usize * f.width as usize + x as usize);
        inst.file
            .real_world_value_mappings(frame)
            .unwrap_or_default()
            .iter()
            .filter_map(|m| m.describe(stored))
            .collect()
    }
}

/// Multiplies `zoom` by `f` (kept within 5% to 6400%), scaling `pan` with it so that the
/// point at the viewport centre stays put. The same for the images and every plane.
pub(super) fn zoom_by(zoom: &mut f64, pan: &mut [f64; 2], f: f64) {
    let z = (*zoom * f).clamp(0.05, 64.0);
    let f = z / *zoom;
    *zoom = z;
    *pan = [pan[0] * f, pan[1] * f];
}

/// Multiplies `zoom` by `f` about the point `about` (points from the pane's centre, which
/// stays put), then moves `pan` by `d`: a pinch step, the image following the fingers.
pub(super) fn pinch_by(zoom: &mut f64, pan: &mut [f64; 2], f: f64, about: [f32; 2], d: [f32; 2]) {
    let before = *zoom;
    zoom_by(zoom, pan, f);
    // zoom_by scaled pan about the centre: move the centre's fixed point to `about`.
    let f = *zoom / before;
    pan[0] += (1.0 - f) * f64::from(about[0]) + f64::from(d[0]);
    pan[1] += (1.0 - f) * f64::from(about[1]) + f64::from(d[1]);
}

/// Moves `pan` by points dragged.
pub(super) fn pan_by(pan: &mut [f64; 2], dx: f32, dy: f32) {
    pan[0] += f64::from(dx);
    pan[1] += f64::from(dy);
}

pub(super) fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
