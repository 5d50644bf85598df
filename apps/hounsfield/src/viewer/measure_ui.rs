//! Measurements on screen (egui): their lines, handles and numbers over the image pane,
//! and the list of measurements in the series panel.

use super::ui::{UiOutput, pixels_of};
use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Stroke, Vec2};
use hounsfield_viewer::input::Action;
use hounsfield_viewer::model::Model;

/// The colour of measurements, and of the selected one.
const COLOUR: Color32 = Color32::from_rgb(90, 220, 255);
const SELECTED: Color32 = Color32::from_rgb(255, 200, 60);
/// The colour of a presentation state's annotations.
const PRESENTATION: Color32 = Color32::from_rgb(120, 255, 140);

/// Paints the measurements of what `pane` shows over its rectangle `rect`; the areas they
/// cover join `out.overlays`.
pub fn paint(
    ui: &egui::Ui,
    model: &Model,
    pane: hounsfield_viewer::mpr::Pane,
    rect: Rect,
    out: &mut UiOutput,
) {
    let ppp = ui.ctx().pixels_per_point();
    let [_, _, w, h] = pixels_of(rect, ppp);
    let painter = ui.painter_at(rect);
    // Pane device pixels (centres at +0.5) to points.
    let pos = |p: [f32; 2]| {
        Pos2::new(
            rect.min.x + (p[0] - 0.5) / ppp,
            rect.min.y + (p[1] - 0.5) / ppp,
        )
    };
    for d in model.drawn_in(pane, [w, h]) {
        let colour = match (d.presentation, d.selected) {
            (true, _) => PRESENTATION,
            (false, true) => SELECTED,
            (false, false) => COLOUR,
        };
        let stroke = Stroke::new(1.5, colour);
        let mut covered = Rect::NOTHING;
        for line in &d.lines {
            let points: Vec<Pos2> = line.iter().map(|p| pos(*p)).collect();
            for p in &points {
                covered.extend_with(*p);
            }
            painter.add(egui::Shape::line(points, stroke));
        }
        for h in &d.handles {
            let r = Rect::from_center_size(pos(*h), Vec2::splat(7.0));
            covered = covered.union(r);
            painter.rect_stroke(r, 0.0, stroke, egui::StrokeKind::Middle);
        }
        if !d.label.is_empty() {
            let text = d.label.join("\n");
            let at = pos(d.label_at);
            let font = FontId::proportional(13.0);
            let shadow = painter.text(
                at + Vec2::splat(1.0),
                Align2::LEFT_TOP,
                &text,
                font.clone(),
                Color32::BLACK,
            );
            let main = painter.text(at, Align2::LEFT_TOP, &text, font, colour);
            covered = covered.union(shadow.union(main));
        }
        if covered.is_positive() {
            out.overlays.push(covered.expand(2.0));
        }
    }
}

/// The list of measurements: each with its numbers; a click shows its image and selects
/// it, the cross deletes it.
pub fn list(ui: &mut egui::Ui, model: &Model, out: &mut UiOutput) {
    let a = &model.annotations;
    ui.separator();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Measurements").strong());
        ui.label(RichText::new(format!("tool: {}", a.tool.label())).small());
        if !a.items.is_empty()
            && ui
                .small_button("Save")
                .on_hover_text("DICOM SR (TID 1500) and JSON in the save folder (Ctrl+Shift+S)")
                .clicked()
        {
            out.actions.push(Action::SaveMeasurements);
        }
    });
    if a.items.is_empty() {
        ui.label(
            RichText::new("L length, G angle, X rectangle, C ellipse, D freehand, U probe").small(),
        );
        return;
    }
    for (n, m) in a.items.iter().enumerate() {
        ui.horizontal(|ui| {
            if ui.small_button("×").on_hover_text("delete").clicked() {
                out.actions.push(Action::DeleteMeasurement);
                out.actions.insert(0, Action::SelectMeasurement(m.id));
            }
            let plane = m.plane.map_or(String::new(), |(k, _)| {
                format!(
                    " ({} plane)",
                    format!("{:?}", hounsfield_viewer::mpr::ORIENTATIONS[k]).to_lowercase()
                )
            });
            let text = format!(
                "{}. {}{plane}: {}",
                n + 1,
                m.tool.label(),
                m.label().join(", ")
            );
            // Truncated: a long line must not widen the panel (and move the image under
            // a drag).
            let label =
                egui::Button::selectable(a.selected == Some(m.id), RichText::new(text).small())
                    .truncate();
            if ui.add(label).clicked() {
                out.actions.push(Action::SelectMeasurement(m.id));
            }
        });
    }
}
