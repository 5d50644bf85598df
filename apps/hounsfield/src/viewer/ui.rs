//! The viewer's panels and overlays (egui): series list, tag browser, status bar with
//! progress, corner overlays, help.
//!
//! Input over the image is read from the frame's raw input *before* the UI pass
//! ([`inputs_from_raw`]) and applied to the model once, so that the overlays and the
//! image of a frame agree, and so that egui's extra layout passes (which replay the same
//! input) cannot apply a drag or a key twice. Clicks on panel widgets come back as
//! [`UiOutput`] and are applied after the pass for the same reason.

use super::input::{Action, Button, Input, Key, Modifiers};
use super::model::Model;
use super::mpr::{self, Layout, Pane};
use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Vec2};
use hounsfield_core::ElementNode;
use hounsfield_viewer::gesture::{Gestures, PaneAt};
use hounsfield_viewer::overlay::{self, PaneOverlay};

/// What one pass of the UI produced.
#[derive(Debug)]
pub struct UiOutput {
    /// The image area, in points.
    pub viewport: Rect,
    /// Areas covered by overlay text, in points.
    pub overlays: Vec<Rect>,
    /// Actions from panel widgets (buttons), applied after the pass.
    pub actions: Vec<Action>,
    /// A series picked in the list.
    pub select_series: Option<usize>,
    /// The panes of the image area, in points.
    pub panes: Vec<(Pane, Rect)>,
    /// Whether a value under the pointer is shown.
    pub hover_value: bool,
    /// The DICOMweb button was clicked.
    pub toggle_browser: bool,
}

impl Default for UiOutput {
    fn default() -> Self {
        UiOutput {
            viewport: Rect::NOTHING,
            overlays: Vec::new(),
            actions: Vec::new(),
            select_series: None,
            panes: Vec::new(),
            hover_value: false,
            toggle_browser: false,
        }
    }
}

/// State the UI keeps between frames.
#[derive(Default)]
pub struct UiState {
    /// Drags, clicks, double clicks and wheel notches (the viewer crate's gesture model).
    gestures: Gestures,
    /// The tag browser's filter.
    filter: String,
    /// Elements of the instance in the tag browser.
    tags: Option<(u64, Vec<ElementNode>)>,
    /// The image area of the last frame, in points.
    viewport: Option<Rect>,
    /// Modifier keys held.
    modifiers: egui::Modifiers,
    /// The panes of the last frame, in points.
    panes: Vec<(Pane, Rect)>,
}

fn key_of(key: egui::Key) -> Option<Key> {
    use egui::Key as K;
    Some(match key {
        K::Num0 => Key::Digit(0),
        K::Num1 => Key::Digit(1),
        K::Num2 => Key::Digit(2),
        K::Num3 => Key::Digit(3),
        K::Num4 => Key::Digit(4),
        K::Num5 => Key::Digit(5),
        K::Num6 => Key::Digit(6),
        K::Num7 => Key::Digit(7),
        K::Num8 => Key::Digit(8),
        K::Num9 => Key::Digit(9),
        K::Space => Key::Space,
        K::ArrowUp => Key::Up,
        K::ArrowDown => Key::Down,
        K::ArrowLeft => Key::Left,
        K::ArrowRight => Key::Right,
        K::PageUp => Key::PageUp,
        K::PageDown => Key::PageDown,
        K::Home => Key::Home,
        K::End => Key::End,
        K::Tab => Key::Tab,
        K::Escape => Key::Escape,
        K::F1 => Key::F1,
        K::Delete => Key::Delete,
        K::Backspace => Key::Backspace,
        other => {
            let name = other.name();
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => Key::Letter(c.to_ascii_lowercase()),
                _ => return None,
            }
        }
    })
}

fn modifiers_of(m: egui::Modifiers) -> Modifiers {
    Modifiers {
        ctrl: m.ctrl || m.command,
        shift: m.shift,
        alt: m.alt,
    }
}

/// Builds the whole UI for one frame (it may run more than once per frame: it only
/// paints and reports).
pub fn build(ui: &mut egui::Ui, model: &Model, state: &mut UiState) -> UiOutput {
    let mut out = UiOutput::default();
    let ctx = ui.ctx().clone();
    status_bar(ui, model, &mut out);
    if model.show_series && !model.series.is_empty() {
        series_panel(ui, model, &mut out);
    }
    if model.show_tags {
        tag_panel(ui, model, state);
    }
    if model.layout != Layout::Stack {
        planes_panel(ui, model, &mut out);
    }
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE)
        .show(ui, |ui| {
            let rect = ui.max_rect();
            out.viewport = rect;
            let response = ui.allocate_rect(rect, Sense::hover());
            let hover = response.hover_pos();
            let area = [rect.min.x, rect.min.y, rect.width(), rect.height()];
            for (pane, [x, y, w, h]) in model.layout.panes(area) {
                let r = Rect::from_min_size(Pos2::new(x, y), Vec2::new(w, h));
                out.panes.push((pane, r));
                match pane {
                    Pane::Stack => overlays(ui, model, r, hover, &mut out),
                    Pane::Plane(k) => plane_overlays(ui, model, k, r, hover, &mut out),
                }
            }
            if out.panes.len() > 1 {
                // Thin separators between panes.
                let painter = ui.painter_at(rect);
                let stroke = egui::Stroke::new(1.0, Color32::from_gray(90));
                for (_, r) in &out.panes {
                    painter.rect_stroke(*r, 0.0, stroke, egui::StrokeKind::Inside);
                }
            }
        });
    state.viewport = Some(out.viewport);
    state.panes = out.panes.clone();
    if model.show_help {
        help_window(&ctx, model, &mut out);
    }
    // The viewer's keys (Tab: next series, Space: cine, arrows: slices) belong to the
    // image, not to the panel's buttons and lists: a widget other than a text field keeps
    // no keyboard focus (egui gives it on a click, or to the next widget on Tab).
    if !ctx.text_edit_focused()
        && let Some(id) = ctx.memory(|m| m.focused())
    {
        ctx.memory_mut(|m| m.surrender_focus(id));
    }
    out
}

fn button_of(b: egui::PointerButton) -> Option<Button> {
    match b {
        egui::PointerButton::Primary => Some(Button::Left),
        egui::PointerButton::Secondary => Some(Button::Right),
        egui::PointerButton::Middle => Some(Button::Middle),
        _ => None,
    }
}

/// A pane's rectangle (points) in target pixels `[x, y, width, height]`, rounded as the
/// renderer's viewports are.
pub fn pixels_of(r: Rect, ppp: f32) -> [u32; 4] {
    let x0 = (r.min.x * ppp).round().max(0.0) as u32;
    let y0 = (r.min.y * ppp).round().max(0.0) as u32;
    let x1 = ((r.max.x * ppp).round().max(0.0) as u32).max(x0);
    let y1 = ((r.max.y * ppp).round().max(0.0) as u32).max(y0);
    [x0, y0, x1 - x0, y1 - y0]
}

/// The inputs of this frame that concern the image (drags and wheel over it, double
/// clicks on it, keys unless a text field has the keyboard, dropped files), from the
/// raw input and the layout of the previous frame, each with the pane it happened in.
pub fn inputs_from_raw(
    raw: &egui::RawInput,
    ctx: &egui::Context,
    state: &mut UiState,
) -> Vec<(Input, Option<Pane>)> {
    let mut inputs = Vec::new();
    // Keys go to the image unless a text field (the tag filter, the DICOMweb fields)
    // has them.
    let keyboard = !ctx.text_edit_focused();
    let ppp = ctx.pixels_per_point();
    let over_image = |pos: Pos2| {
        state.viewport.is_some_and(|r| r.contains(pos))
            && ctx
                .layer_id_at(pos)
                .is_none_or(|l| l.order == egui::Order::Background)
    };
    let pane_at =
        |panes: &[(Pane, Rect)], pos: Pos2| panes.iter().find(|(_, r)| r.contains(pos)).copied();
    let now = raw.time.unwrap_or(0.0);
    let xy = |p: Pos2| [p.x, p.y];
    for event in &raw.events {
        let modifiers = modifiers_of(state.modifiers);
        let gesture = match event {
            egui::Event::ModifiersChanged(m) => {
                state.modifiers = *m;
                None
            }
            egui::Event::PointerMoved(pos) => state.gestures.moved(xy(*pos), modifiers),
            egui::Event::PointerButton {
                pos,
                button,
                pressed: true,
                ..
            } if !state.gestures.dragging() && over_image(*pos) => {
                button_of(*button).and_then(|b| state.gestures.press(xy(*pos), b, now))
            }
            egui::Event::PointerButton {
                pos,
                button,
                pressed: false,
                ..
            } => button_of(*button).and_then(|b| state.gestures.release(xy(*pos), b)),
            egui::Event::PointerGone => {
                state.gestures.leave();
                None
            }
            egui::Event::MouseWheel {
                unit,
                delta,
                modifiers,
                ..
            } if state
                .gestures
                .pointer()
                .is_some_and(|[x, y]| over_image(Pos2::new(x, y))) =>
            {
                let lines = match unit {
                    egui::MouseWheelUnit::Line => delta.y,
                    egui::MouseWheelUnit::Point => delta.y / 50.0,
                    egui::MouseWheelUnit::Page => delta.y * 10.0,
                };
                state.gestures.wheel(lines, modifiers_of(*modifiers))
            }
            egui::Event::Key {
                key,
                pressed: true,
                modifiers,
                ..
            } if keyboard => {
                if let Some(key) = key_of(*key) {
                    let pane = state
                        .gestures
                        .pointer()
                        .and_then(|[x, y]| pane_at(&state.panes, Pos2::new(x, y)))
                        .map(|(p, _)| p);
                    inputs.push((
                        Input::Key {
                            key,
                            modifiers: modifiers_of(*modifiers),
                        },
                        pane,
                    ));
                }
                None
            }
            _ => None,
        };
        let pane_of = |[x, y]: [f32; 2]| pane_at(&state.panes, Pos2::new(x, y));
        // A click's position: the centre of the device pixel under the pointer.
        let pane_pixel = |at: [f32; 2]| {
            pane_of(at).map(|(_, r)| {
                let [px, py, w, h] = pixels_of(r, ppp);
                PaneAt {
                    pixel: [at[0] * ppp - px as f32 + 0.5, at[1] * ppp - py as f32 + 0.5],
                    size: [w, h],
                    center: [r.center().x, r.center().y],
                    scale: ppp,
                }
            })
        };
        if let Some((input, at)) = gesture.and_then(|g| g.input(pane_pixel)) {
            inputs.push((input, at.and_then(pane_of).map(|(p, _)| p)));
        }
    }
    let dropped: Vec<std::path::PathBuf> = raw
        .dropped_files
        .iter()
        .map(|f| f.path().to_path_buf())
        .collect();
    if !dropped.is_empty() {
        inputs.push((Input::Dropped(dropped), None));
    }
    inputs
}

/// Panels paint no fill: the window's clear colour is the panel colour already (see
/// [`panel_color`]), and on a CPU Vulkan device a full-height panel fill costs more than
/// drawing the image.
fn panel_frame(ui: &egui::Ui) -> egui::Frame {
    egui::Frame::side_top_panel(ui.style()).fill(Color32::TRANSPARENT)
}

/// The colour of panels, as 0-1 components of the (non-sRGB) target.
pub fn panel_color(ctx: &egui::Context) -> [f32; 4] {
    let c = ctx.global_style().visuals.panel_fill;
    [
        f32::from(c.r()) / 255.0,
        f32::from(c.g()) / 255.0,
        f32::from(c.b()) / 255.0,
        1.0,
    ]
}

fn status_bar(ui: &mut egui::Ui, model: &Model, out: &mut UiOutput) {
    egui::Panel::bottom("status")
        .frame(panel_frame(ui))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.button("Open…").on_hover_text("Ctrl+O").clicked() {
                    out.actions.push(Action::OpenDialog);
                }
                if ui
                    .button("DICOMweb…")
                    .on_hover_text("search and open studies on a DICOMweb server (PACS)")
                    .clicked()
                {
                    out.toggle_browser = true;
                }
                if ui.button("Help").on_hover_text("H").clicked() {
                    out.actions.push(Action::ToggleHelp);
                }
                let p = &model.progress;
                if p.loads > 0 {
                    ui.add(
                        egui::ProgressBar::new(p.fraction())
                            .desired_width(220.0)
                            .text(format!(
                                "files {}/{}  frames {}/{}",
                                p.files_done, p.files_found, p.frames_decoded, p.frames_total
                            )),
                    );
                }
                if let Some(last) = model.messages.last() {
                    let n = model.messages.len();
                    ui.label(RichText::new(last).small()).on_hover_ui(|ui| {
                        for m in model.messages.iter().rev().take(30) {
                            ui.label(m);
                        }
                        if n > 30 {
                            ui.label(format!("… {} more in the log", n - 30));
                        }
                    });
                }
            });
        });
}

fn series_panel(ui: &mut egui::Ui, model: &Model, out: &mut UiOutput) {
    let mut select = None;
    egui::Panel::left("series")
        .frame(panel_frame(ui))
        .resizable(true)
        .default_size(230.0)
        .show(ui, |ui| {
            ui.heading("Series");
            egui::ScrollArea::vertical().show(ui, |ui| {
                let current = model.current_series_index();
                let mut last_study = None;
                for (i, s) in model.series.iter().enumerate() {
                    if last_study != Some(&s.study_instance_uid) {
                        last_study = Some(&s.study_instance_uid);
                        let first = s.instances.first().map(|&k| &model.instances[k].info);
                        let patient = first
                            .and_then(|f| f.patient_name.clone())
                            .unwrap_or_else(|| "(no patient name)".into());
                        let study = first
                            .map(|f| {
                                format!(
                                    "{} {}",
                                    f.study_date.clone().unwrap_or_default(),
                                    f.study_description.clone().unwrap_or_default()
                                )
                            })
                            .unwrap_or_default();
                        ui.separator();
                        ui.label(RichText::new(patient).strong());
                        ui.label(RichText::new(study.trim()).small());
                    }
                    let decoded = s
                        .instances
                        .iter()
                        .filter(|&&k| model.instances[k].image.is_some())
                        .count();
                    let mut label = s.label();
                    if decoded < s.instances.len() {
                        label.push_str(&format!(" — {decoded}/{} decoded", s.instances.len()));
                    }
                    if ui.selectable_label(current == Some(i), label).clicked() {
                        select = Some(i);
                    }
                }
                super::measure_ui::list(ui, model, out);
                super::segments_ui::list(ui, model, out);
                super::fusion_ui::section(ui, model, out);
                ui.separator();
                super::fusion_ui::colormap(ui, model, out);
            });
        });
    out.select_series = select;
}

fn matches_filter(node: &ElementNode, filter: &str) -> bool {
    filter.is_empty()
        || node.name.to_lowercase().contains(filter)
        || node.tag_text().to_lowercase().contains(filter)
        || node.value.to_lowercase().contains(filter)
        || node
            .items
            .iter()
            .any(|item| item.iter().any(|n| matches_filter(n, filter)))
}

fn element_rows(ui: &mut egui::Ui, nodes: &[ElementNode], filter: &str, path: &str) {
    for (k, node) in nodes.iter().enumerate() {
        if !matches_filter(node, filter) {
            continue;
        }
        let head = format!("{} {} {}", node.tag_text(), node.vr, node.name);
        if node.items.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(head).monospace().small());
                ui.label(RichText::new(&node.value).small());
            });
        } else {
            let id = format!("{path}/{k}");
            egui::CollapsingHeader::new(
                RichText::new(format!("{head} {}", node.value))
                    .monospace()
                    .small(),
            )
            .id_salt(&id)
            .default_open(!filter.is_empty())
            .show(ui, |ui| {
                for (n, item) in node.items.iter().enumerate() {
                    egui::CollapsingHeader::new(RichText::new(format!("Item {}", n + 1)).small())
                        .id_salt(format!("{id}/{n}"))
                        .default_open(true)
                        .show(ui, |ui| {
                            element_rows(ui, item, filter, &format!("{id}/{n}"))
                        });
                }
            });
        }
    }
}

fn tag_panel(ui: &mut egui::Ui, model: &Model, state: &mut UiState) {
    egui::Panel::right("tags")
        .frame(panel_frame(ui))
        .resizable(true)
        .default_size(420.0)
        .show(ui, |ui| {
            ui.heading("Tags");
            ui.horizontal(|ui| {
                ui.label("Filter");
                ui.text_edit_singleline(&mut state.filter);
            });
            let Some(current) = model.current else {
                ui.label("No image open.");
                return;
            };
            if state.tags.as_ref().map(|t| t.0) != Some(current.id) {
                state.tags = model
                    .instance(current.id)
                    .map(|i| (current.id, i.file.elements()));
            }
            if let Some(inst) = model.instance(current.id) {
                ui.label(RichText::new(inst.file.name()).small());
            }
            let filter = state.filter.to_lowercase();
            egui::ScrollArea::both().show(ui, |ui| {
                if let Some((_, nodes)) = &state.tags {
                    element_rows(ui, nodes, &filter, "root");
                }
            });
        });
}

fn help_window(ctx: &egui::Context, model: &Model, out: &mut UiOutput) {
    let mut open = model.show_help;
    egui::Window::new("Hounsfield — keys and mouse")
        .open(&mut open)
        .anchor(Align2::CENTER_CENTER, Vec2::ZERO)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("help").striped(true).show(ui, |ui| {
                for (k, v) in hounsfield_viewer::input::HELP {
                    ui.label(RichText::new(*k).strong());
                    ui.label(*v);
                    ui.end_row();
                }
            });
        });
    if !open {
        out.actions.push(Action::Dismiss);
    }
}

/// Paints `lines` in a corner of `rect` with a shadow; returns the area covered.
fn corner(ui: &egui::Ui, rect: Rect, align: Align2, lines: &[String]) -> Option<Rect> {
    let text: String = lines
        .iter()
        .filter(|l| !l.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    if text.is_empty() {
        return None;
    }
    let margin = 6.0;
    let anchor = Pos2::new(
        match align.x() {
            egui::Align::Min => rect.min.x + margin,
            egui::Align::Center => rect.center().x,
            egui::Align::Max => rect.max.x - margin,
        },
        match align.y() {
            egui::Align::Min => rect.min.y + margin,
            egui::Align::Center => rect.center().y,
            egui::Align::Max => rect.max.y - margin,
        },
    );
    let painter = ui.painter_at(rect);
    let font = FontId::proportional(13.0);
    let shadow = painter.text(
        anchor + Vec2::splat(1.0),
        align,
        &text,
        font.clone(),
        Color32::BLACK,
    );
    let main = painter.text(anchor, align, &text, font, Color32::from_rgb(235, 225, 120));
    Some(shadow.union(main).expand(1.0))
}

/// The pointer in pane `r`'s device pixels (at the centre of the pixel under it).
fn pane_pointer(r: Rect, hover: Option<Pos2>, ppp: f32) -> Option<[f32; 2]> {
    hover
        .filter(|p| r.contains(*p))
        .map(|p| [(p.x - r.min.x) * ppp + 0.5, (p.y - r.min.y) * ppp + 0.5])
}

/// Paints a pane's overlay text in `r`.
fn paint_overlay(ui: &egui::Ui, r: Rect, o: PaneOverlay, out: &mut UiOutput) {
    if let Some(text) = o.center {
        if let Some(c) = corner(ui, r, Align2::CENTER_CENTER, &[text]) {
            out.overlays.push(c);
        }
        return;
    }
    edge_labels(ui, r, o.edges, out);
    for (align, lines) in [
        (Align2::LEFT_TOP, o.top_left),
        (Align2::RIGHT_TOP, o.top_right),
        (Align2::LEFT_BOTTOM, o.bottom_left),
        (Align2::RIGHT_BOTTOM, o.bottom_right),
    ] {
        if let Some(c) = corner(ui, r, align, &lines) {
            out.overlays.push(c);
        }
    }
    out.hover_value |= o.hover_value;
}

fn overlays(ui: &egui::Ui, model: &Model, rect: Rect, hover: Option<Pos2>, out: &mut UiOutput) {
    let ppp = ui.ctx().pixels_per_point();
    let [_, _, w, h] = pixels_of(rect, ppp);
    let o = overlay::stack_overlay(model, [w, h], pane_pointer(rect, hover, ppp), true);
    paint_overlay(ui, rect, o, out);
    super::measure_ui::paint(ui, model, Pane::Stack, rect, out);
}

/// Paints orientation letters `[right, left, bottom, top]` at the edge midpoints of `r`.
fn edge_labels(ui: &egui::Ui, r: Rect, labels: [String; 4], out: &mut UiOutput) {
    let painter = ui.painter_at(r);
    let [right, left, bottom, top] = labels;
    let font = FontId::proportional(14.0);
    let color = Color32::from_rgb(235, 225, 120);
    for (text, pos, align) in [
        (
            left,
            Pos2::new(r.min.x + 4.0, r.center().y),
            Align2::LEFT_CENTER,
        ),
        (
            right,
            Pos2::new(r.max.x - 4.0, r.center().y),
            Align2::RIGHT_CENTER,
        ),
        (
            top,
            Pos2::new(r.center().x, r.min.y + 4.0),
            Align2::CENTER_TOP,
        ),
        (
            bottom,
            Pos2::new(r.center().x, r.max.y - 4.0),
            Align2::CENTER_BOTTOM,
        ),
    ] {
        if text.is_empty() {
            continue;
        }
        let a = painter.text(
            pos + Vec2::splat(1.0),
            align,
            &text,
            font.clone(),
            Color32::BLACK,
        );
        let b = painter.text(pos, align, &text, font.clone(), color);
        out.overlays.push(a.union(b).expand(1.0));
    }
}

fn plane_overlays(
    ui: &egui::Ui,
    model: &Model,
    k: usize,
    r: Rect,
    hover: Option<Pos2>,
    out: &mut UiOutput,
) {
    let ppp = ui.ctx().pixels_per_point();
    let [_, _, w, h] = pixels_of(r, ppp);
    // Crosshair: the other planes' lines through the crosshair, with a gap around it.
    let painter = ui.painter_at(r);
    for ([cr, cg, cb], c, e) in overlay::crosshair_lines(model, k, [w, h]) {
        let c = Pos2::new(r.min.x + c[0] / ppp, r.min.y + c[1] / ppp);
        let e = Pos2::new(r.min.x + e[0] / ppp, r.min.y + e[1] / ppp);
        let dir = (e - c).normalized();
        if !dir.x.is_finite() || !dir.y.is_finite() {
            continue;
        }
        let stroke = egui::Stroke::new(1.0, Color32::from_rgb(cr, cg, cb));
        let far = r.width() + r.height();
        let gap = 10.0;
        painter.line_segment([c - dir * far, c - dir * gap], stroke);
        painter.line_segment([c + dir * gap, c + dir * far], stroke);
    }
    let o = overlay::plane_overlay(model, k, [w, h], pane_pointer(r, hover, ppp));
    paint_overlay(ui, r, o, out);
    super::measure_ui::paint(ui, model, Pane::Plane(k), r, out);
}

/// The planes' controls: layout, convention, slab, one slider per plane, reset.
fn planes_panel(ui: &mut egui::Ui, model: &Model, out: &mut UiOutput) {
    egui::Panel::right("planes")
        .frame(panel_frame(ui))
        .resizable(false)
        .default_size(230.0)
        .show(ui, |ui| {
            ui.heading("Planes");
            for layout in [Layout::Stack, Layout::Planes, Layout::Grid] {
                if ui
                    .selectable_label(model.layout == layout, layout.label())
                    .on_hover_text("M")
                    .clicked()
                {
                    out.actions.push(Action::Layout(Some(layout)));
                }
            }
            ui.separator();
            let Some(m) = &model.mpr else {
                ui.label(model.mpr_note.clone().unwrap_or_default());
                return;
            };
            if let Some(r) = &model.mpr_reduction {
                ui.label(format!("Reduced resolution: {r}"));
                if m.full.is_some() {
                    ui.label("Still planes are refined from every voxel");
                }
            }
            if let Some((done, all)) = model.mpr_upload {
                ui.label(format!("Putting the volume on the GPU: {done} of {all} slices"));
            }
            let mut neuro = model.convention == hounsfield_core::volume::Convention::Neurological;
            if ui
                .checkbox(&mut neuro, "Patient left on screen left")
                .on_hover_text("Neurological convention; radiology viewers show the patient's left on the right")
                .changed()
            {
                out.actions.push(Action::Neurological(neuro));
            }
            ui.separator();
            ui.label("Slab (B)");
            let mut mode = m.slab().map(|s| s.mode);
            let thickness = m.slab.map_or(10.0, |s| s.thickness);
            ui.horizontal(|ui| {
                use hounsfield_core::volume::SlabMode;
                for (label, value) in [
                    ("thin", None),
                    ("MIP", Some(SlabMode::Mip)),
                    ("MinIP", Some(SlabMode::MinIp)),
                    ("mean", Some(SlabMode::Mean)),
                ] {
                    ui.radio_value(&mut mode, value, label);
                }
            });
            let mut t = thickness;
            let slider = ui.add_enabled(
                mode.is_some(),
                egui::Slider::new(&mut t, 1.0..=100.0)
                    .logarithmic(true)
                    .suffix(" mm")
                    .text("thickness"),
            );
            if mode != m.slab().map(|s| s.mode) || slider.changed() {
                out.actions.push(Action::Slab(mode.map(|mode| {
                    hounsfield_core::volume::Slab { thickness: t, mode }
                })));
            }
            ui.separator();
            for k in 0..3 {
                let (positions, index) = m.slices(k);
                let [r, g, b] = mpr::COLORS[k];
                ui.label(
                    RichText::new(format!("{:?}", mpr::ORIENTATIONS[k]))
                        .color(Color32::from_rgb(r, g, b)),
                );
                let mut i = index + 1;
                let n = positions.len().max(1);
                if ui
                    .add(egui::Slider::new(&mut i, 1..=n).text("slice"))
                    .changed()
                {
                    out.actions.push(Action::GoToPlaneSlice {
                        plane: k,
                        index: i - 1,
                    });
                }
            }
            ui.separator();
            if ui.button("Reset planes").on_hover_text("R").clicked() {
                out.actions.push(Action::Reset);
            }
            let report = &m.volume.stack.report;
            ui.label(
                RichText::new(format!(
                    "{} slices, {}",
                    report.slices,
                    report
                        .spacing
                        .map(|(lo, hi)| if hi - lo > 0.01 {
                            format!("spacing {lo:.2} to {hi:.2} mm")
                        } else {
                            format!("spacing {hi:.2} mm")
                        })
                        .unwrap_or_default()
                ))
                .small(),
            );
            for w in &report.warnings {
                ui.label(RichText::new(w).small().color(Color32::from_rgb(230, 180, 80)));
            }
        });
}
