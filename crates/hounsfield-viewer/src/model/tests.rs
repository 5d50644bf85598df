//! The model's unit tests, and the instances and models the other modules' tests build.

use super::*;
use hounsfield_core::Samples;
use hounsfield_core::pipeline::{GreyPipeline, Voi, modality_range};
use hounsfield_core::presets::window_drag_sensitivity;
use hounsfield_core::volume::{Stack, StackInput};
use hounsfield_core::{Frame, FrameColor, ModalityLut, VoiLutFunction, VoiWindow};
use std::collections::HashMap;

/// Adds an [`instance`] to `m` and hands the model its decoded image, as a loader does.
pub(crate) fn add_decoded(
    m: &mut Model,
    id: u64,
    z: f64,
    values: &[i16],
    window: Option<(f64, f64)>,
) {
    let mut inst = instance(id, z, values, window);
    let image = inst.image.take();
    m.add_instance(inst);
    m.set_decoded(id, image.ok_or_else(String::new));
}

/// A CT-like instance with `frames` frames of 4 x 4 pixels.
pub(crate) fn instance(id: u64, z: f64, values: &[i16], window: Option<(f64, f64)>) -> Instance {
    let frame = Frame {
        width: 4,
        height: 4,
        color: FrameColor::Monochrome,
        samples: Samples::I16(values.to_vec()),
        bits_stored: 16,
        signed: true,
    };
    let modality = ModalityLut::Rescale {
        slope: 1.0,
        intercept: -1024.0,
        rescale_type: None,
    };
    let (lo, hi) = modality_range(&modality, &frame);
    let (c, w) = window.unwrap_or(((lo + hi + 1.0) / 2.0, hi - lo + 1.0));
    let pipe = GreyPipeline {
        modality,
        voi: Voi::Window {
            center: c,
            width: w,
            function: VoiLutFunction::Linear,
        },
        inverse: false,
        presentation_lut: None,
    };
    let info = InstanceInfo {
        name: format!("i{id}"),
        study_instance_uid: Some("1".into()),
        series_instance_uid: Some("1.1".into()),
        modality: Some("CT".into()),
        rows: 4,
        columns: 4,
        frames: 1,
        image_orientation_patient: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
        image_position_patient: Some([0.0, 0.0, z]),
        ..InstanceInfo::default()
    };
    let file =
        DicomFile::from_bytes("embedded", crate::SAMPLE.to_vec()).unwrap_or_else(|e| panic!("{e}"));
    Instance {
        id,
        batch: 0,
        info,
        file: Arc::new(file),
        image: Some(Arc::new(DecodedImage {
            frames: vec![frame],
            pipelines: vec![Some(pipe)],
            windows: window
                .map(|(center, width)| VoiWindow {
                    center,
                    width,
                    explanation: None,
                })
                .into_iter()
                .collect(),
            range: (lo, hi),
            pixel_aspect: 1.0,
            positions: vec![Some([0.0, 0.0, z])],
            normal: Some([0.0, 0.0, 1.0]),
            frame_time_ms: None,
            units: Some("HU".into()),
            palette: None,
            padding: None,
            overlays: Vec::new(),
            shutter: None,
        })),
        error: None,
        inputs: Vec::new(),
    }
}

pub(super) fn model() -> Model {
    let mut m = Model::new();
    let values: Vec<i16> = (0..16).map(|v| v * 100).collect();
    for (id, z) in [(7, 10.0), (8, -10.0), (9, 0.0)] {
        add_decoded(&mut m, id, z, &values, Some((40.0, 80.0)));
    }
    m
}

#[test]
fn first_decoded_shows_and_slices_follow_positions() {
    let mut m = model();
    // Instance 7 decoded first, then 8 which comes first along z took its place.
    assert_eq!(m.current.map(|c| c.id), Some(8));
    let order: Vec<u64> = m.slices().iter().map(|s| s.id).collect();
    assert_eq!(order, vec![8, 9, 7]);
    assert_eq!(m.slice_position(), (0, 3));
    m.apply(Action::Slice(2));
    assert_eq!(m.current.map(|c| c.id), Some(7));
    m.apply(Action::Slice(-1));
    assert_eq!(m.current.map(|c| c.id), Some(9));
    m.apply(Action::Slice(-10));
    assert_eq!(m.current.map(|c| c.id), Some(8));
    m.apply(Action::LastSlice);
    assert_eq!(m.current.map(|c| c.id), Some(7));
    m.apply(Action::Slice(5));
    assert_eq!(m.current.map(|c| c.id), Some(7));
    m.cine_step();
    assert_eq!(m.current.map(|c| c.id), Some(8));
}

#[test]
fn decoding_starts_at_the_first_slice_until_the_reader_moves_then_follows_them() {
    let values: Vec<i16> = (0..16).map(|v| v * 100).collect();
    let mut m = Model::new();
    assert_eq!(m.decode_focus(), None, "nothing on screen");
    // The first file read is the middle slice (z = 0); the other headers arrive before
    // any other pixel.
    let mut images = HashMap::new();
    for (id, z) in [(9, 0.0), (7, 10.0), (8, -10.0), (6, 20.0)] {
        let mut inst = instance(id, z, &values, None);
        images.insert(id, inst.image.take());
        m.add_instance(inst);
    }
    let mut decode = |m: &mut Model, id: u64| {
        let image = images.remove(&id).flatten().ok_or_else(String::new);
        m.set_decoded(id, image);
    };
    decode(&mut m, 9);
    assert_eq!(
        m.current.map(|c| c.id),
        Some(9),
        "the first image decoded shows"
    );
    // The screen goes to the first slice once it decodes: decode it next, not the
    // neighbours of the slice shown for now.
    assert_eq!(m.decode_focus(), Some(8));
    decode(&mut m, 8);
    assert_eq!(m.current.map(|c| c.id), Some(8));
    // The reader scrolls to the last slice: decoding follows them.
    m.apply(Action::LastSlice);
    assert_eq!(m.decode_focus(), Some(6));
}

#[test]
fn a_key_zooms_to_one_image_pixel_per_screen_pixel() {
    let mut m = model();
    // Before the platform lays out its panes, 1:1 has nothing to go by.
    m.apply(Action::ActualSize);
    assert_eq!(m.view.zoom, 1.0);
    m.set_panes(&[(Pane::Stack, [0, 0, 1000, 800])]);
    m.apply(Action::Zoom(1.7));
    m.apply(Action::ActualSize);
    let scale = m.view_for(1000, 800).scale(4, 4);
    assert!((scale - 1.0).abs() < 1e-12, "scale {scale}");
    m.apply(Action::Fit);
    assert_eq!(m.view_for(1000, 800).scale(4, 4), 200.0);
}

#[test]
fn k_moves_to_the_other_stack_at_the_same_slice() {
    // Two stacks at the same two positions, as an enhanced object's Dimension
    // Organization parts them (ids 1x: stack 1, 2x: stack 2).
    let mut m = Model::new();
    let values: Vec<i16> = (0..16).collect();
    for (id, z, stack) in [
        (10, 0.0, "stack 1"),
        (20, 0.0, "stack 2"),
        (11, 5.0, "stack 1"),
        (21, 5.0, "stack 2"),
    ] {
        let mut inst = instance(id, z, &values, Some((40.0, 80.0)));
        let image = inst.image.take();
        m.add_instance(inst);
        let k = m.instances.len() - 1;
        let d = &mut m.instances[k].inputs[0].dimensions;
        d.explicit = true;
        d.stack = Some(stack.into());
        m.regroup();
        m.set_decoded(id, image.ok_or_else(String::new));
    }
    assert_eq!(m.layouts[0].dimensions.stacks.len(), 2);
    assert_eq!(m.current.map(|c| c.id), Some(10));
    m.apply(Action::Slice(1));
    m.apply(Action::NextStack);
    assert_eq!(m.current.map(|c| c.id), Some(21));
    assert_eq!(m.dimension_labels(), vec!["Stack 2/2 (stack 2)"]);
    // K wraps to the first stack.
    m.apply(Action::NextStack);
    assert_eq!(m.current.map(|c| c.id), Some(11));
}

#[test]
fn a_4d_series_steps_and_plays_through_its_time_points_at_the_same_slice() {
    use hounsfield_core::dimensions::TimeAxis;
    // Two positions, each at two Temporal Position Identifiers (ids 1x at time 1, 2x
    // at time 2), added out of order.
    let mut m = Model::new();
    let values: Vec<i16> = (0..16).collect();
    for (id, z, t) in [
        (21, 5.0, 2.0),
        (10, 0.0, 1.0),
        (11, 5.0, 1.0),
        (20, 0.0, 2.0),
    ] {
        let mut inst = instance(id, z, &values, Some((40.0, 80.0)));
        let image = inst.image.take();
        m.add_instance(inst);
        let k = m.instances.len() - 1;
        m.instances[k].inputs[0].dimensions.times = vec![(TimeAxis::TemporalPositionIdentifier, t)];
        m.regroup();
        m.set_decoded(id, image.ok_or_else(String::new));
    }
    assert_eq!(m.series.len(), 1, "one series, not one per time point");
    let d = &m.layouts[0].dimensions;
    assert_eq!((d.time_points(), d.slices(), d.frames()), (2, 2, 4));
    // It opens at the first time point, first slice.
    assert_eq!(m.current.map(|c| c.id), Some(10));
    let ids = |m: &Model| m.slices().iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(ids(&m), vec![10, 11]);
    m.apply(Action::Slice(1));
    assert_eq!(m.slice_position(), (1, 2));
    // N / P: the other time point, same slice.
    m.apply(Action::TimePoint(1));
    assert_eq!(m.current.map(|c| c.id), Some(21));
    assert_eq!(m.dimension_position(), Some((0, 1, 1, 2)));
    assert_eq!(ids(&m), vec![20, 21]);
    m.apply(Action::TimePoint(1));
    assert_eq!(
        m.current.map(|c| c.id),
        Some(21),
        "N stops at the last time point"
    );
    m.apply(Action::TimePoint(-1));
    assert_eq!(m.current.map(|c| c.id), Some(11));
    // Cine plays the time points (wrapping), not the slices.
    m.cine_step();
    assert_eq!(m.current.map(|c| c.id), Some(21));
    m.cine_step();
    assert_eq!(m.current.map(|c| c.id), Some(11));
    m.apply(Action::TimePoint(1));
    assert_eq!(m.dimension_labels(), vec!["Time 2/2 (temporal position 2)"]);
    // The planes are those of the time point on screen, also while cine plays.
    m.apply(Action::Layout(Some(Layout::Planes)));
    let volume_of = |m: &Model| {
        m.mpr.as_ref().map(|x| {
            x.volume
                .stack
                .slices
                .iter()
                .map(|s| m.instances[s.instance].id)
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(volume_of(&m), Some(vec![20, 21]));
    m.cine_step();
    assert_eq!(volume_of(&m), Some(vec![10, 11]));
}

/// Three slices along z (instances 0, 1, 2 at z = 10, -10, 0), each with `window`
/// of its id and values `base + 100 k`.
fn planes_model(windows: [Option<(f64, f64)>; 3], bases: [i16; 3]) -> (Model, Stack) {
    let mut m = Model::new();
    let mut inputs = Vec::new();
    for (k, (id, z)) in [(7, 10.0), (8, -10.0), (9, 0.0)].into_iter().enumerate() {
        let values: Vec<i16> = (0..16).map(|v| bases[k] + v * 100).collect();
        add_decoded(&mut m, id, z, &values, windows[k]);
        inputs.push(StackInput {
            instance: k,
            position: Some([0.0, 0.0, z]),
            orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            pixel_spacing: Some([1.0, 1.0]),
            rows: 4,
            columns: 4,
            ..StackInput::default()
        });
    }
    let stack = Stack::assemble(&inputs).unwrap_or_else(|e| panic!("{e}"));
    (m, stack)
}

#[test]
fn planes_take_the_middle_slice_window_or_the_volume_range() {
    // The first slice along z (instance 1, z = -10) is on screen; the middle one is
    // instance 2 (z = 0), whose window the planes take.
    let (m, stack) = planes_model(
        [Some((40.0, 80.0)), Some((5.0, 10.0)), Some((300.0, 900.0))],
        [0; 3],
    );
    assert_eq!(m.current.map(|c| c.id), Some(8));
    assert_eq!(m.window(), Some((5.0, 10.0)));
    let voi = m.planes_voi(&stack).and_then(|v| match v {
        Voi::Window { center, width, .. } => Some((center, width)),
        Voi::Table(_) => None,
    });
    assert_eq!(voi, Some((300.0, 900.0)));
    // Without windows in the files: min-max over every slice, not the middle one.
    let (m, stack) = planes_model([None; 3], [-500, 0, 200]);
    let (lo, hi) = (-500.0 - 1024.0, 200.0 + 1500.0 - 1024.0);
    let voi = m.planes_voi(&stack).and_then(|v| match v {
        Voi::Window { center, width, .. } => Some((center, width)),
        Voi::Table(_) => None,
    });
    assert_eq!(voi, Some(((lo + hi + 1.0) / 2.0, hi - lo + 1.0)));
}

#[test]
fn projection_images_take_their_letters_from_patient_orientation() {
    let mut m = Model::new();
    let mut inst = instance(1, 0.0, &[0; 16], None);
    inst.info.image_orientation_patient = None;
    inst.info.patient_orientation = Some(["A".into(), "FR".into()]);
    let image = inst.image.take();
    m.add_instance(inst);
    m.set_decoded(1, image.ok_or_else(String::new));
    let edges = |m: &Model| crate::overlay::stack_overlay(m, [64, 64], None, false).edges;
    // Right, left, bottom, top.
    assert_eq!(edges(&m), ["A", "P", "FR", "HL"].map(String::from));
    m.apply(Action::FlipHorizontal);
    assert_eq!(edges(&m), ["P", "A", "FR", "HL"].map(String::from));
    m.apply(Action::FlipVertical);
    assert_eq!(edges(&m), ["P", "A", "HL", "FR"].map(String::from));
    // A quarter turn clockwise of the unflipped image: what was at the top (HL) is at
    // the right.
    m.apply(Action::FlipVertical);
    m.apply(Action::FlipHorizontal);
    m.apply(Action::TurnQuarter(1));
    assert_eq!(edges(&m), ["HL", "FR", "A", "P"].map(String::from));
    m.apply(Action::TurnQuarter(-1));
    assert_eq!(edges(&m), ["A", "P", "FR", "HL"].map(String::from));
}

#[test]
fn turns_move_the_orientation_letters_and_zoom_is_the_pixel_scale() {
    let mut m = model();
    let overlay = |m: &Model| crate::overlay::stack_overlay(m, [64, 32], None, false);
    // 4 x 4 pixels fitted into 64 x 32: 8 screen pixels per image pixel.
    assert!(
        overlay(&m)
            .bottom_left
            .iter()
            .any(|l| l.starts_with("Zoom 800%"))
    );
    // Axial: rows run to the patient's left, columns to the back.
    assert_eq!(overlay(&m).edges, ["L", "R", "P", "A"].map(String::from));
    m.apply(Action::TurnQuarter(1));
    assert_eq!(overlay(&m).edges, ["A", "P", "L", "R"].map(String::from));
    assert!(
        overlay(&m)
            .bottom_left
            .iter()
            .any(|l| l.contains("turned 90°"))
    );
    m.apply(Action::TurnQuarter(1));
    m.apply(Action::TurnQuarter(1));
    m.apply(Action::TurnQuarter(1));
    assert_eq!(m.view.rotation, 0);
}

#[test]
fn window_drag_is_scaled_to_the_data_range() {
    let mut m = model();
    assert_eq!(m.window(), Some((40.0, 80.0)));
    m.apply(Action::AdjustWindow {
        dx: 100.0,
        dy: -50.0,
    });
    // Modality values -1024 .. 476.
    let s = window_drag_sensitivity(-1024.0, 476.0);
    assert_eq!(m.window(), Some((40.0 - 50.0 * s, 80.0 + 100.0 * s)));
    // The width never drops below 1.
    m.apply(Action::AdjustWindow {
        dx: -1.0e6,
        dy: 0.0,
    });
    assert_eq!(m.window().map(|w| w.1), Some(1.0));
    // The user's window holds for every slice of the series.
    m.apply(Action::Slice(-1));
    assert_eq!(m.window().map(|w| w.1), Some(1.0));
}

#[test]
fn presets_invert_reset() {
    let mut m = model();
    m.apply(Action::Preset(4));
    assert_eq!(m.window(), Some((-600.0, 1500.0)));
    assert_eq!(m.view.window_label.as_deref(), Some("lung"));
    m.apply(Action::Preset(9));
    assert_eq!(m.window(), Some((40.0, 80.0)));
    m.apply(Action::Invert);
    assert!(m.pipeline().is_some_and(|p| p.inverse));
    m.apply(Action::Zoom(2.0));
    m.apply(Action::Pan { dx: 5.0, dy: 0.0 });
    m.apply(Action::FlipHorizontal);
    m.apply(Action::Zoom(2.0));
    assert_eq!((m.view.zoom, m.view.pan), (4.0, [10.0, 0.0]));
    m.apply(Action::Fit);
    assert_eq!((m.view.zoom, m.view.pan), (1.0, [0.0, 0.0]));
    assert!(m.view.flip_horizontal);
    m.apply(Action::Preset(1));
    m.apply(Action::Reset);
    assert_eq!(m.view, ViewSettings::default());
    assert_eq!(m.window(), Some((40.0, 80.0)));
}

#[test]
fn non_ct_presets_are_file_windows_then_min_max() {
    let mut m = model();
    for inst in &mut m.instances {
        inst.info.modality = Some("MR".into());
    }
    m.apply(Action::Preset(1));
    assert_eq!(m.window(), Some((40.0, 80.0)));
    m.apply(Action::Preset(2));
    assert_eq!(m.window(), Some(((-1024.0 + 476.0 + 1.0) / 2.0, 1501.0)));
    m.apply(Action::Preset(3));
    assert_eq!(m.window(), Some(((-1024.0 + 476.0 + 1.0) / 2.0, 1501.0)));
}

#[test]
fn value_under_the_cursor_in_modality_units() {
    let m = model();
    // Pixel (1, 2) holds stored 900 -> -124 HU.
    assert_eq!(
        m.value_at([1.5, 2.2]),
        Some((1, 2, "-124 HU (stored 900)".to_string()))
    );
    assert_eq!(m.value_at([4.0, 0.0]), None);
    assert_eq!(m.value_at([-0.1, 0.0]), None);
    assert_eq!(m.slice_location(), Some(-10.0));
}

#[test]
fn effects_and_a_load_batch_takes_focus() {
    let mut m = model();
    assert_eq!(m.apply(Action::Save), Some(Effect::Save));
    assert_eq!(m.apply(Action::OpenDialog), Some(Effect::OpenDialog));
    let p = vec![PathBuf::from("x")];
    assert_eq!(m.apply(Action::Open(p.clone())), Some(Effect::Open(p)));
    // A second series opened later is shown when its first image decodes.
    let mut other = instance(20, 0.0, &[0; 16], None);
    other.batch = 1;
    other.info.series_instance_uid = Some("2.2".into());
    let image = other.image.take();
    m.focus_batch = Some(1);
    m.add_instance(other);
    assert_eq!(m.current.map(|c| c.id), Some(8));
    m.set_decoded(20, image.ok_or_else(String::new));
    assert_eq!(m.current.map(|c| c.id), Some(20));
    assert_eq!(m.series.len(), 2);
    m.apply(Action::NextSeries);
    assert_eq!(m.current.map(|c| c.id), Some(8));
}

#[test]
fn status_reports_the_model_and_the_drawing() {
    use crate::status::{Drawing, DrawingPath, STATUS_MESSAGES, Status};
    let mut m = model();
    let drawn = Drawing {
        renderer: DrawingPath::Webgpu,
        frames_drawn: 3,
        image_drawn: true,
    };
    let s = Status::of(&m, drawn);
    assert!(s.loaded);
    assert_eq!(s.series.len(), 1);
    assert_eq!((s.series[0].instances, s.series[0].decoded), (3, 3));
    assert!(s.series[0].current);
    assert_eq!(s.current_series, Some(0));
    assert_eq!((s.slice, s.slices), (0, 3));
    assert_eq!(s.window, Some((40.0, 80.0)));
    assert_eq!(s.renderer, DrawingPath::Webgpu);
    // Not drawn yet: not loaded.
    let s = Status::of(
        &m,
        Drawing {
            image_drawn: false,
            ..drawn
        },
    );
    assert!(!s.loaded);
    // The newest messages, oldest first.
    for i in 0..STATUS_MESSAGES + 5 {
        m.message(format!("m{i}"));
    }
    let s = Status::of(&m, drawn);
    assert_eq!(s.messages.len(), STATUS_MESSAGES);
    assert_eq!(s.messages[0], "m5");
}

#[test]
fn a_pinch_keeps_the_point_between_the_fingers_under_them() {
    let mut m = model();
    m.apply(Action::Pan { dx: 6.0, dy: -2.0 });
    // Image point under `a` (points from the pane's centre): (a - pan) / zoom.
    let under = |m: &Model, a: [f64; 2]| {
        [
            (a[0] - m.view.pan[0]) / m.view.zoom,
            (a[1] - m.view.pan[1]) / m.view.zoom,
        ]
    };
    let before = under(&m, [30.0, 10.0]);
    m.apply(Action::Pinch {
        zoom: 2.0,
        about: [30.0, 10.0],
        dx: -4.0,
        dy: 5.0,
    });
    assert_eq!(m.view.zoom, 2.0);
    assert_eq!(under(&m, [26.0, 15.0]), before);
}

#[test]
fn a_volume_over_the_budget_or_the_device_is_reduced_and_says_so() {
    use crate::status::{Drawing, DrawingPath, Status};
    use hounsfield_core::volume::{VolumeData, VolumeLimits};
    // Three 4 x 4 slices 10 mm apart with 1 mm pixels: 96 bytes of voxels.
    let mut m = model();
    assert!(!m.set_volume_budget(Some(40)), "nothing to rebuild yet");
    m.apply(Action::Layout(Some(Layout::Planes)));
    let full_values: Vec<i16> = (0..16).map(|v| v * 100).collect();
    let shown = |m: &Model| {
        let v = &m
            .mpr
            .as_ref()
            .unwrap_or_else(|| panic!("{:?}", m.mpr_note))
            .volume;
        assert!(v.data.is_signed(), "not signed stored values");
        let per = (v.stack.columns * v.stack.rows) as usize;
        let data: Vec<i16> = (0..v.stack.slices.len())
            .flat_map(|k| {
                let s = v.data.slice(k, per);
                (0..s.len()).map(move |i| s.get(i) as i16)
            })
            .collect();
        ((v.stack.columns, v.stack.rows, v.stack.slices.len()), data)
    };
    // Thin slices are the fine direction here: every 2nd column and row is kept.
    let (size, data) = shown(&m);
    assert_eq!(size, (2, 2, 3));
    let kept: Vec<i16> = [0, 2, 8, 10].iter().map(|&i| full_values[i]).collect();
    assert_eq!(data, kept.repeat(3));
    let said = "2 x 2 x 3 of 4 x 4 x 3 voxels (memory budget 40 bytes)";
    assert_eq!(m.mpr_reduction.as_deref(), Some(said));
    assert!(
        m.messages.iter().any(|x| x.contains(said)),
        "{:?}",
        m.messages
    );
    let drawn = Drawing {
        renderer: DrawingPath::Cpu,
        frames_drawn: 1,
        image_drawn: true,
    };
    assert_eq!(Status::of(&m, drawn).mpr_reduction.as_deref(), Some(said));
    let overlay = crate::overlay::plane_overlay(&m, 1, [200, 200], None);
    assert!(
        overlay
            .top_left
            .iter()
            .any(|l| l == "Reduced: 2 x 2 x 3 voxels"),
        "{:?}",
        overlay.top_left
    );
    // Every slice of a volume is a decoded image's own frame (the same memory).
    let shares = |m: &Model, full: bool| {
        let volume = m.mpr.as_ref().and_then(|x| {
            if full {
                x.full.as_ref()
            } else {
                Some(&x.volume)
            }
        });
        let Some(VolumeData::Frames(f)) = volume.map(|v| &v.data) else {
            return false;
        };
        m.instances.iter().all(|i| {
            i.image.as_ref().is_some_and(|img| {
                f.iter()
                    .any(|s| std::ptr::eq(s.samples(), &img.frames[0].samples))
            })
        })
    };
    // Beside the reduced volume, the series at its own resolution over the same frames:
    // the planes lie on its grid, and the values under the pointer are its own.
    assert!(
        shares(&m, true),
        "the series beside the reduced volume copies the frames"
    );
    let mpr = m.mpr.as_ref().unwrap_or_else(|| panic!("no planes"));
    assert_eq!((mpr.plane(0).columns, mpr.plane(0).rows), (4, 4));
    assert_eq!(mpr.slices(0).0.len(), 3);
    // Column 3 is not kept by the reduction (nor is it between two kept ones, where
    // these linear values would interpolate exactly): 300 - 1024.
    let point = mpr.plane(0).position(3.0, 0.0);
    let value = m.volume_value_at(point).unwrap_or_default();
    assert!(value.starts_with("-724"), "{value}");
    assert!(!m.mpr_refined.iter().any(|&r| r) && m.mpr_refine_pending());
    assert_eq!(
        m.planes_redraw_after_ms(),
        Some(super::REFINE_AFTER_MS),
        "a frame once the planes stayed still"
    );
    // Without the budget: the full volume again, sharing the decoded frames.
    assert!(m.set_volume_budget(None));
    assert_eq!(shown(&m), ((4, 4, 3), full_values.repeat(3)));
    assert!(shares(&m, false), "the full volume copies the frames");
    assert!(m.mpr.as_ref().is_some_and(|x| x.full.is_none()));
    assert!(
        !m.mpr_refine_pending() && m.planes_redraw_after_ms().is_none(),
        "nothing to refine at full resolution"
    );
    assert_eq!(m.mpr_reduction, None);
    assert_eq!(Status::of(&m, drawn).mpr_reduction, None);
    // A device whose volumes stop at 2 slices: every 2nd slice.
    assert!(m.set_device_volume_limits(VolumeLimits {
        max_slices: 2,
        ..VolumeLimits::default()
    }));
    assert_eq!(shown(&m).0, (4, 4, 2));
    assert_eq!(
        m.mpr_reduction.as_deref(),
        Some("4 x 4 x 2 of 4 x 4 x 3 voxels (larger than the device's 3D textures)")
    );
    // The same limits again: nothing to do.
    assert!(!m.set_device_volume_limits(VolumeLimits {
        max_slices: 2,
        ..VolumeLimits::default()
    }));
}
