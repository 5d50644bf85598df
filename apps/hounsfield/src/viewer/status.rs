//! The status file (`--status-file`): a JSON description of what is on screen, for
//! scripts and tests, rewritten after every drawn frame. Its keys are those of
//! [`hounsfield_viewer::status::Status`], shared with the browser viewer's `status()`,
//! plus this viewer's own: `series_files` (each series' file names in slice order),
//! `viewport`, `overlays`, `hover_value`, `panes`, `mpr` and
//! `browser` (the study browser).

use super::mpr::{self, Pane};
use super::{App, ui};
use hounsfield_viewer::status::{Drawing, DrawingPath, Status};

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
            // From the scene that draws: the CPU path resamples its planes itself.
            "planes_drawn": (0..3)
                .map(|k| match &self.cpu {
                    Some(cpu) => cpu.plane_ready(k),
                    None => self.scene.plane_ready(k),
                })
                .collect::<Vec<_>>(),
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
        let drawing = Drawing {
            renderer: if self.cpu.is_some() {
                DrawingPath::Cpu
            } else {
                DrawingPath::Gpu
            },
            frames_drawn: self.frames_drawn,
            image_drawn: drawn,
        };
        let rect = |r: &egui::Rect| {
            [
                (r.min.x * ppp).floor(),
                (r.min.y * ppp).floor(),
                (r.width() * ppp).ceil() + 1.0,
                (r.height() * ppp).ceil() + 1.0,
            ]
        };
        // The shared schema (hounsfield_viewer::status), then what only this viewer has.
        let mut status = match serde_json::to_value(Status::of(&self.model, drawing)) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return,
        };
        let m = &self.model;
        let native = serde_json::json!({
            "series_files": m.series.iter().map(|s| s.instances.iter().map(|&i| m.instances[i].file.name()).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "viewport": viewport,
            "overlays": out.overlays.iter().map(rect).collect::<Vec<_>>(),
            "hover_value": out.hover_value,
            "panes": panes.iter().map(|(p, v)| serde_json::json!({"pane": p, "viewport": v})).collect::<Vec<_>>(),
            "mpr": self.mpr_status(),
            "browser": self.browser.status(|r| rect(r)),
        });
        if let serde_json::Value::Object(extra) = native {
            status.extend(extra);
        }
        let status = serde_json::Value::Object(status);
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, status.to_string()).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}
