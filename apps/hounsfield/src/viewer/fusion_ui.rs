//! Colour in the side panel: the colour map of grey images, and the fusion section (the
//! series fused over the one on screen, its colour map and opacity, and a colour bar over
//! its window).

use super::ui::UiOutput;
use egui::{Color32, RichText};
use hounsfield_core::layers::colormap::ColorMap;
use hounsfield_viewer::input::Action;
use hounsfield_viewer::model::Model;

/// The colour map of grey images (Shift+I).
pub fn colormap(ui: &mut egui::Ui, model: &Model, out: &mut UiOutput) {
    let now = model.view.colormap;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Colour map").small());
        egui::ComboBox::from_id_salt("image-colormap")
            .selected_text(now.map_or("grey", |m| m.name()))
            .show_ui(ui, |ui| {
                for map in ColorMap::ALL {
                    let choice = (map != ColorMap::Grey).then_some(map);
                    if ui.selectable_label(now == choice, map.name()).clicked() {
                        out.actions.push(Action::Colormap(choice));
                    }
                }
            });
    });
    if let Some(bar) = model.colour_bar() {
        colour_bar(ui, bar.colormap, &bar.low, &bar.high);
    }
}

/// A colour bar of `map` (level 0 at the left), with the values at its ends below it.
fn colour_bar(ui: &mut egui::Ui, map: ColorMap, low: &str, high: &str) {
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width().min(200.0), 12.0),
        egui::Sense::hover(),
    );
    let step = rect.width() / 256.0;
    for (l, [r, g, b]) in map.table().into_iter().enumerate() {
        let x = rect.left() + l as f32 * step;
        let cell = egui::Rect::from_min_max(
            egui::pos2(x, rect.top()),
            egui::pos2(x + step + 0.5, rect.bottom()),
        );
        ui.painter()
            .rect_filled(cell, 0.0, Color32::from_rgb(r, g, b));
    }
    ui.horizontal(|ui| {
        ui.label(RichText::new(low).small());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.label(RichText::new(high).small());
        });
    });
}

/// Shown when another series of the Frame of Reference on screen is open.
pub fn section(ui: &mut egui::Ui, model: &Model, out: &mut UiOutput) {
    let status = model.fusion_status();
    if status.candidates.is_empty() && status.series.is_none() {
        return;
    }
    ui.separator();
    ui.label(RichText::new("Fusion").strong());
    let label = |i: Option<usize>| {
        i.and_then(|i| model.series.get(i))
            .map_or("none".to_string(), |s| s.label())
    };
    egui::ComboBox::from_id_salt("fusion-series")
        .selected_text(label(status.series))
        .show_ui(ui, |ui| {
            for choice in std::iter::once(None).chain(status.candidates.iter().map(|&i| Some(i))) {
                if ui
                    .selectable_label(status.series == choice, label(choice))
                    .clicked()
                {
                    out.actions.push(Action::Fuse(choice));
                }
            }
        });
    let style = status.style;
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("fusion-colormap")
            .selected_text(style.colormap.name())
            .show_ui(ui, |ui| {
                for map in ColorMap::ALL {
                    if ui
                        .selectable_label(style.colormap == map, map.name())
                        .clicked()
                    {
                        out.actions.push(Action::FusionStyle {
                            colormap: Some(map),
                            opacity: None,
                            window: None,
                        });
                    }
                }
            });
        let mut opacity = style.opacity;
        if ui
            .add(egui::Slider::new(&mut opacity, 0.0..=1.0).show_value(false))
            .on_hover_text("opacity")
            .changed()
        {
            out.actions.push(Action::FusionStyle {
                colormap: None,
                opacity: Some(opacity),
                window: None,
            });
        }
    });
    // The colour bar: level 0 (not drawn over the image) at the left, 255 at the right.
    if let Some(bar) = &status.colour_bar {
        colour_bar(ui, bar.colormap, &bar.low, &bar.high);
    }
}
