//! The segment list of the side panel.

use super::ui::UiOutput;
use egui::{Color32, RichText};
use hounsfield_viewer::input::Action;
use hounsfield_viewer::model::Model;

/// The segment list: each segment of the segmentations opened, in its colour, with a box
/// that shows or hides it and its fill opacity.
pub fn list(ui: &mut egui::Ui, model: &Model, out: &mut UiOutput) {
    if model.segment_list.is_empty() {
        return;
    }
    ui.separator();
    ui.label(RichText::new("Segments").strong());
    let several = model
        .segment_list
        .iter()
        .any(|e| e.segmentation != model.segment_list[0].segmentation);
    for (index, e) in model.segment_list.iter().enumerate() {
        ui.horizontal(|ui| {
            let [r, g, b] = e.color;
            let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
            ui.painter()
                .rect_filled(rect, 2.0, Color32::from_rgb(r, g, b));
            let mut visible = e.visible;
            let name = if several {
                format!("{}.{} {}", e.segmentation + 1, e.number, e.label)
            } else {
                format!("{} {}", e.number, e.label)
            };
            if ui
                .checkbox(&mut visible, RichText::new(name).small())
                .changed()
            {
                out.actions.push(Action::SetSegment {
                    index,
                    visible: Some(visible),
                    opacity: None,
                });
            }
            let mut opacity = e.opacity;
            if ui
                .add(egui::Slider::new(&mut opacity, 0.0..=1.0).show_value(false))
                .on_hover_text("fill opacity")
                .changed()
            {
                out.actions.push(Action::SetSegment {
                    index,
                    visible: None,
                    opacity: Some(opacity),
                });
            }
        });
    }
}
