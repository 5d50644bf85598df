//! The status file (`--status-file`): a JSON description of what is on screen, for
//! scripts and tests, rewritten after every drawn frame.

use super::mpr::{self, Pane};
use super::{App, ui};

impl App {
    /// The planes, for the status file.
    fn mpr_status(&self) -> serde_json::Value {
        let Some(x) = &self.model.mpr else {
            return serde_json::Value::Null;
        };
        let planes: Vec<serde_json::Value> = (0..3)
            .map(|k| {
                let (positions, index) = x.slices(k);
                serde_json::json!({
                    "orientation": mpr::ORIENTATIONS[k],
                    "standard": x.is_standard(k),
                    "slice": index,
                    "slices": positions.len(),
                    "zoom": x.views[k].zoom,
                    "plane": x.plane(k),
                })
            })
            .collect();
        serde_json::json!({
            "crosshair": x.crosshair,
            "slab": x.slab(),
            "convention": x.convention,
            "volume_slices": x.volume.stack.slices.len(),
            "planes_drawn": (0..3).map(|k| self.scene.plane_ready(k)).collect::<Vec<_>>(),
            "planes": planes,
        })
    }

    pub(super) fn write_status(
        &self,
        viewport: [u32; 4],
        panes: &[(Pane, [u32; 4])],
        out: &ui::UiOutput,
        ppp: f32,
        drawn: bool,
    ) {
        let Some(path) = &self.options.status_file else {
            return;
        };
        let m = &self.model;
        let (pos, count) = m.slice_position();
        let current = m.current_image();
        let rect = |r: &egui::Rect| {
            [
                (r.min.x * ppp).floor(),
                (r.min.y * ppp).floor(),
                (r.width() * ppp).ceil() + 1.0,
                (r.height() * ppp).ceil() + 1.0,
            ]
        };
        let status = serde_json::json!({
            "loaded": m.progress.loads == 0 && m.instances.iter().all(|i| i.image.is_some() || i.error.is_some()),
            "progress": m.progress,
            "frames_drawn": self.frames_drawn,
            "image_drawn": drawn,
            "series": m.series.iter().map(|s| serde_json::json!({
                "label": s.label(),
                "series_instance_uid": s.series_instance_uid,
                "instances": s.instances.iter().map(|&i| m.instances[i].file.name()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "current_series": m.current_series_index(),
            "slice": pos,
            "slices": count,
            "file": current.map(|(i, _, _)| i.file.name()),
            "frame": current.map(|(_, _, f)| f),
            "frames": current.map(|(_, d, _)| d.frames.len()),
            "window": m.window(),
            "window_label": m.view.window_label,
            "invert": m.view.invert,
            "zoom": m.view.zoom,
            "pan": m.view.pan,
            "flip_horizontal": m.view.flip_horizontal,
            "flip_vertical": m.view.flip_vertical,
            "cine": m.cine,
            "viewport": viewport,
            "overlays": out.overlays.iter().map(rect).collect::<Vec<_>>(),
            "messages": m.messages,
            "help": m.show_help,
            "tags": m.show_tags,
            "hover_value": out.hover_value,
            "layout": m.layout,
            "panes": panes.iter().map(|(p, v)| serde_json::json!({"pane": p, "viewport": v})).collect::<Vec<_>>(),
            "active_pane": m.active_pane,
            "mpr_note": m.mpr_note,
            "mpr": self.mpr_status(),
            "browser": self.browser.status(|r| rect(r)),
            "renderer": if self.cpu.is_some() { "cpu" } else { "gpu" },
        });
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, status.to_string()).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}
