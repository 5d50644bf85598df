//! The text a viewer shows over its panes: corner lines, orientation letters and the
//! value under the pointer, as plain strings (each platform paints them its own way; the
//! browser as DOM text, never as HTML).
//!
//! ```
//! use hounsfield_viewer::model::Model;
//! use hounsfield_viewer::overlay::stack_overlay;
//! let model = Model::new();
//! let o = stack_overlay(&model, [512, 512], None, false);
//! assert!(o.center.is_some()); // nothing open: the hint in the middle
//! ```

use crate::model::Model;
use crate::mpr;
use hounsfield_core::volume::orientation_label;

/// The text of one pane.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PaneOverlay {
    /// Lines of the top left corner: patient name and ID, study description and date.
    pub top_left: Vec<String>,
    /// Lines of the top right corner: series, image number, modality.
    pub top_right: Vec<String>,
    /// Lines of the bottom left corner: window (or VOI LUT), inversion, zoom.
    pub bottom_left: Vec<String>,
    /// Lines of the bottom right corner: the position and value under the pointer.
    pub bottom_right: Vec<String>,
    /// Orientation letters at the right, left, bottom and top edges (empty when unknown).
    pub edges: [String; 4],
    /// A message in the middle (nothing open, loading, why no planes).
    pub center: Option<String>,
    /// Whether `bottom_right` holds the value under the pointer.
    pub hover_value: bool,
}

/// A number as a window value: no decimals when whole.
pub fn trim(v: f64) -> String {
    if (v - v.round()).abs() < 0.005 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The overlay of the series' images in a pane of `size` pixels, with the pointer at
/// `pointer` (pixels from the pane's top left, device pixel centres) if over it.
/// `drop_hint` adds how to open files to the empty-pane message.
pub fn stack_overlay(
    model: &Model,
    size: [u32; 2],
    pointer: Option<[f32; 2]>,
    drop_hint: bool,
) -> PaneOverlay {
    let mut o = PaneOverlay::default();
    let Some((inst, image, frame)) = model.current_image() else {
        o.center = Some(if model.progress.loads > 0 {
            "Loading…".to_string()
        } else if drop_hint {
            "Drop DICOM files or folders here, or press Ctrl+O to open them.\nH shows the keys."
                .to_string()
        } else {
            "Open DICOM files or folders to view them.".to_string()
        });
        return o;
    };
    let info = &inst.info;
    let or = |v: &Option<String>| v.clone().unwrap_or_default();
    o.top_left = vec![
        or(&info.patient_name),
        or(&info.patient_id),
        or(&info.study_description),
        or(&info.study_date),
    ];
    o.top_right = vec![
        format!(
            "{}{}",
            info.series_number
                .map(|n| format!("Series {n}  "))
                .unwrap_or_default(),
            or(&info.series_description)
        ),
        format!(
            "{}{}",
            or(&info.modality),
            info.instance_number
                .map(|n| format!("  Instance {n}"))
                .unwrap_or_default()
        ),
        format!("{} x {}", info.columns, info.rows),
    ];
    if let Some(lossy) = &info.lossy {
        o.top_right.push(lossy.label());
    }
    let (pos, count) = model.slice_position();
    match model.pipeline() {
        Some(p) => match p.window() {
            Some((c, w)) => o.bottom_left.push(format!(
                "W {}  L {}{}",
                trim(w),
                trim(c),
                model
                    .view
                    .window_label
                    .as_ref()
                    .map(|l| format!("  ({l})"))
                    .unwrap_or_default()
            )),
            None => o.bottom_left.push("VOI LUT".into()),
        },
        None => o.bottom_left.push("colour".into()),
    }
    if model.view.invert {
        o.bottom_left.push("inverted".into());
    }
    if image.shutter.is_some() && !model.view.shutters {
        o.bottom_left.push("shutter off".into());
    }
    if let Some(state) = model.current_presentation() {
        o.bottom_left.push(format!(
            "Presentation state{}",
            state
                .label
                .as_deref()
                .map(|l| format!(" \"{l}\""))
                .unwrap_or_default()
        ));
    }
    // Zoom as screen pixels per image pixel (100% = 1:1), not over the fitted size.
    let f = &image.frames[frame];
    let view = model.view_for(size[0].max(1), size[1].max(1));
    let mut zoom_line = format!("Zoom {:.0}%", view.scale(f.width, f.height) * 100.0);
    if model.view.rotation != 0 {
        zoom_line.push_str(&format!(
            "  turned {}°",
            u32::from(model.view.rotation) * 90
        ));
    }
    if model.view.flip_horizontal {
        zoom_line.push_str("  flipped L-R");
    }
    if model.view.flip_vertical {
        zoom_line.push_str("  flipped T-B");
    }
    o.bottom_left.push(zoom_line);
    let frames = image.frames.len();
    let mut slice_line = format!("Image {}/{}", pos + 1, count);
    if frames > 1 {
        slice_line.push_str(&format!("  (frame {}/{frames})", frame + 1));
    }
    if model.cine {
        slice_line.push_str("  ▶ cine");
    }
    o.bottom_left.push(slice_line);
    // The stack and time point of a multi-stack or 4D series.
    o.bottom_left.extend(model.dimension_labels());
    if let Some(z) = model.slice_location() {
        o.bottom_left.push(format!("Pos {z:.2} mm"));
    }
    let m = view.mapping(f.width, f.height);
    let img = pointer.map(|[px, py]| m.image_at(px, py));
    if let Some(img) = img
        && let Some((x, y, v)) = model.value_at(img)
    {
        o.bottom_right.push(format!("x {x}  y {y}"));
        o.bottom_right.push(v);
        // Real-world values (parametric maps), and the fused series' value.
        o.bottom_right.extend(model.real_world_at(img));
        o.bottom_right.extend(model.fused_value_at(img));
        o.hover_value = true;
    }
    // Orientation letters: where the screen's right and down point in the image (after
    // flips and turns), then in the patient.
    let (ax, ay) = (m.axis_x, m.axis_y);
    if let Some(d) = info.image_orientation_patient {
        // From Image Orientation (Patient): image columns run along d[0..3], rows along
        // d[3..6].
        let toward = |a: [f32; 2]| {
            // Unit length: the view's scale does not change the direction.
            let n = f64::from(a[0].abs().max(a[1].abs())).max(f64::MIN_POSITIVE);
            let (u, v) = (f64::from(a[0]) / n, f64::from(a[1]) / n);
            [
                u * d[0] + v * d[3],
                u * d[1] + v * d[4],
                u * d[2] + v * d[5],
            ]
        };
        let (right, down) = (toward(ax), toward(ay));
        let neg = |d: [f64; 3]| [-d[0], -d[1], -d[2]];
        o.edges = [
            orientation_label(right),
            orientation_label(neg(right)),
            orientation_label(down),
            orientation_label(neg(down)),
        ];
    } else if let Some([row, column]) = &info.patient_orientation {
        // Without it, from Patient Orientation: the rows run towards `row`, the columns
        // towards `column` (PS3.3 C.7.6.1.1.1).
        let toward = |a: [f32; 2]| {
            if a[0] > 0.0 {
                row.clone()
            } else if a[0] < 0.0 {
                opposite_direction(row)
            } else if a[1] > 0.0 {
                column.clone()
            } else {
                opposite_direction(column)
            }
        };
        let (right, down) = (toward(ax), toward(ay));
        let (left, up) = (opposite_direction(&right), opposite_direction(&down));
        o.edges = [right, left, down, up];
    }
    o
}

/// The opposite of a Patient Orientation value (each letter: A and P, L and R, H and F);
/// empty when a letter is not one of those six.
///
/// ```
/// use hounsfield_viewer::overlay::opposite_direction;
/// assert_eq!(opposite_direction("AFL"), "PHR");
/// assert_eq!(opposite_direction("CR"), "");
/// ```
pub fn opposite_direction(direction: &str) -> String {
    direction
        .chars()
        .map(|c| match c {
            'A' => Some('P'),
            'P' => Some('A'),
            'L' => Some('R'),
            'R' => Some('L'),
            'H' => Some('F'),
            'F' => Some('H'),
            _ => None,
        })
        .collect::<Option<String>>()
        .unwrap_or_default()
}

/// The overlay of plane view `k` in a pane of `size` pixels, with the pointer at
/// `pointer` (pixels from the pane's top left) if over it.
pub fn plane_overlay(
    model: &Model,
    k: usize,
    size: [u32; 2],
    pointer: Option<[f32; 2]>,
) -> PaneOverlay {
    let mut o = PaneOverlay::default();
    let Some(m) = &model.mpr else {
        o.center = Some(
            model
                .mpr_note
                .clone()
                .unwrap_or_else(|| "Building the volume…".into()),
        );
        return o;
    };
    if let Some((done, all)) = model.mpr_upload {
        o.center = Some(format!(
            "Putting the volume on the GPU: {done} of {all} slices…"
        ));
        return o;
    }
    let plane = m.plane(k);
    o.edges = plane.edge_labels();
    let name = format!("{:?}", mpr::ORIENTATIONS[k]);
    let (positions, index) = m.slices(k);
    let n = m.normal(k);
    let depth = m.crosshair[0] * n[0] + m.crosshair[1] * n[1] + m.crosshair[2] * n[2];
    o.top_left = vec![
        if m.is_standard(k) {
            name
        } else {
            format!("Oblique ({name})")
        },
        format!("Slice {}/{}  {depth:.1} mm", index + 1, positions.len()),
    ];
    if let Some(slab) = m.slab() {
        o.top_left.push(format!(
            "{} slab {:.1} mm",
            slab.mode.label(),
            slab.thickness
        ));
    }
    if model.mpr_reduction.is_some() && !model.mpr_refined.get(k).copied().unwrap_or(false) {
        // Every n-th voxel: a radiologist must know fine detail may be missing (until the
        // still plane is refined from every voxel).
        let s = &m.volume.stack;
        o.top_left.push(format!(
            "Reduced: {} x {} x {} voxels",
            s.columns,
            s.rows,
            s.slices.len()
        ));
    }
    if let Some((c, w)) = model.mpr_pipeline().and_then(|p| p.window()) {
        o.bottom_left.push(format!("W {}  L {}", trim(w), trim(c)));
    }
    o.bottom_left
        .push(format!("Zoom {:.0}%", m.views[k].zoom * 100.0));
    if let Some([x, y]) = pointer {
        let img = m
            .view(k, size[0].max(1), size[1].max(1))
            .mapping(plane.columns, plane.rows)
            .image_at(x, y);
        let q = plane.position(f64::from(img[0]) - 0.5, f64::from(img[1]) - 0.5);
        if let Some(v) = model.volume_value_at(q) {
            o.bottom_right
                .push(format!("({:.1}, {:.1}, {:.1}) mm", q[0], q[1], q[2]));
            o.bottom_right.push(v);
            o.hover_value = true;
        }
    }
    o
}

/// Where plane `k` shows its pixel (i, j) (plane pixel centres at integers), in pixels
/// from the top left of a pane of `size` pixels.
pub fn plane_to_pane(model: &Model, k: usize, size: [u32; 2], ij: [f64; 2]) -> Option<[f32; 2]> {
    let m = model.mpr.as_ref()?;
    let plane = m.plane(k);
    let place = m
        .view(k, size[0].max(1), size[1].max(1))
        .placement(plane.columns, plane.rows);
    let (qx, qy) = (ij[0] as f32 + 0.5, ij[1] as f32 + 0.5);
    Some([
        place.origin[0] + qx * place.axis_x[0] + qy * place.axis_y[0],
        place.origin[1] + qx * place.axis_x[1] + qy * place.axis_y[1],
    ])
}

/// The crosshair lines of plane view `k` in a pane of `size` pixels: for each other plane,
/// its colour and two points of its line (pane pixels), through the crosshair.
pub fn crosshair_lines(
    model: &Model,
    k: usize,
    size: [u32; 2],
) -> Vec<([u8; 3], [f32; 2], [f32; 2])> {
    let Some(m) = &model.mpr else {
        return Vec::new();
    };
    let (at, lines) = m.crosshair_in(k);
    let Some(c) = plane_to_pane(model, k, size, at) else {
        return Vec::new();
    };
    lines
        .into_iter()
        .filter_map(|(j, d)| {
            let e = plane_to_pane(model, k, size, [at[0] + d[0], at[1] + d[1]])?;
            (e != c).then_some((mpr::COLORS[j], c, e))
        })
        .collect()
}
