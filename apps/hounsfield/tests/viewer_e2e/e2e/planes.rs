//! The planes layout of a tilted series against the CPU resampling, and the crosshair.

use super::*;
use hounsfield_core::volume::Volume;
use std::sync::Arc;

/// The tilted CT as the core assembles it from its folder, independently of the viewer:
/// the folder, the volume, its first slice's file and its middle slice's window (the
/// planes' default).
struct TiltedCt {
    dir: PathBuf,
    volume: Volume,
    first: Arc<DicomFile>,
    middle_window: (f64, f64),
}

fn tilted_ct() -> Option<TiltedCt> {
    use hounsfield_core::folder::Catalog;
    let dir = shared("ct-ge-tilt")?;
    let catalog = Catalog::scan(std::slice::from_ref(&dir));
    let volume = catalog.volume(0).unwrap_or_else(|e| panic!("{e}"));
    let open = |k: usize| {
        let s = &volume.stack.slices[k];
        catalog.open(s.instance).unwrap_or_else(|e| panic!("{e}"))
    };
    let first = open(0);
    let middle = volume.stack.slices.len() / 2;
    let middle_window = open(middle)
        .display_parameters(volume.stack.slices[middle].frame)
        .unwrap_or_else(|e| panic!("{e}"))
        .windows
        .first()
        .map(|w| (w.center, w.width))
        .expect("the middle slice has a window");
    Some(TiltedCt {
        dir,
        volume,
        first,
        middle_window,
    })
}

/// Each of the three panes of `s` (on `screen`) against the CPU resampling of `volume`'s
/// axial, sagittal and coronal planes through `center`, windowed at `window`: within 2
/// grey levels over more than half of each pane.
pub(super) fn panes_follow_the_cpu_resampling(
    screen: &[u8],
    s: &Value,
    (volume, first): (&Volume, &DicomFile),
    window: (f64, f64),
    center: [f64; 3],
    what: &str,
) {
    use hounsfield_core::volume::{Convention, Orientation};
    let orientations = [
        Orientation::Axial,
        Orientation::Sagittal,
        Orientation::Coronal,
    ];
    for (k, o) in orientations.iter().enumerate() {
        let plane = volume
            .stack
            .standard_plane(*o, Convention::Radiological, center);
        let [_, _, w, h] = pane(s, Some(k));
        let reference = plane_reference(volume, first, &plane, None, window, w, h);
        let (worst, n) = compare_pane(screen, s, pane(s, Some(k)), &reference);
        println!(
            "{o:?} pane {w} x {h}, {what}: screen vs CPU resampling max diff {worst} over {n} pixels"
        );
        assert!(
            n > (w * h / 2) as usize,
            "{o:?}: too few pixels compared ({n})"
        );
        assert!(
            worst <= 2,
            "{o:?}: screen differs from the CPU resampling by {worst}"
        );
    }
}

/// M, with the pointer out of the way; the status once the three planes are drawn.
fn show_planes(x: &Xvfb, viewer: &mut Viewer) -> Value {
    x.focus(VIEWER_WINDOW);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    x.xdotool(&["key", "m"]);
    viewer.wait("three planes", |s| {
        s["layout"] == "Planes"
            && s["mpr"]["planes_drawn"] == serde_json::json!([true, true, true])
            && s["hover_value"] == false
    })
}

#[test]
fn planes_of_a_tilted_series_follow_the_cpu_resampling_and_the_crosshair() {
    use hounsfield_core::volume::{Convention, Orientation, Slab, SlabMode};
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let Some(TiltedCt {
        dir,
        volume,
        first,
        middle_window,
    }) = tilted_ct()
    else {
        return;
    };
    let orientations = [
        Orientation::Axial,
        Orientation::Sagittal,
        Orientation::Coronal,
    ];
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(&x, "planes", std::slice::from_ref(&dir));
    let s = viewer.wait("the series", |s| {
        s["loaded"] == true && s["image_drawn"] == true
    });
    // Planes take the window of the volume's middle slice (the stack shows the first
    // slice, with its own).
    assert_eq!(window(&s), {
        let w = &first
            .display_parameters(0)
            .unwrap_or_else(|e| panic!("{e}"))
            .windows[0];
        (w.center, w.width)
    });
    let file_window = middle_window;

    // 1. M: axial, sagittal and coronal panes through the centre of the volume, each
    //    equal to the CPU resampling of the sorted, sheared stack.
    let s = show_planes(&x, &mut viewer);
    assert_eq!(s["mpr"]["volume_slices"], 28);
    assert_eq!(
        (s["plane_window"][0].as_f64(), s["plane_window"][1].as_f64()),
        (Some(file_window.0), Some(file_window.1)),
        "the planes' window is the middle slice's"
    );
    let center = volume.stack.center();
    let got = crosshair(&s);
    assert!(
        (0..3).all(|i| (got[i] - center[i]).abs() < 1e-6),
        "crosshair {got:?}, volume centre {center:?}"
    );
    let screen = x.capture(&viewer.dir);
    panes_follow_the_cpu_resampling(
        &screen,
        &s,
        (&volume, &first),
        file_window,
        center,
        "the volume",
    );

    // 2. A click in the axial pane moves the crosshair there; the sagittal and coronal
    //    planes move through it.
    let [ax, ay, aw, ah] = pane(&s, Some(0));
    let (px, py) = (aw / 2 + 70, ah / 2 - 50);
    x.xdotool(&["mousemove", &(ax + px).to_string(), &(ay + py).to_string()]);
    x.xdotool(&["click", "1"]);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let axial = volume
        .stack
        .standard_plane(Orientation::Axial, Convention::Radiological, center);
    let view = View {
        filter: Filter::Linear,
        ..View::fit(aw, ah)
    };
    // The click lands at the pixel centre under the pointer.
    let img = view
        .mapping(axial.columns, axial.rows)
        .image_at(px as f32 + 0.5, py as f32 + 0.5);
    let want = axial.position(f64::from(img[0]) - 0.5, f64::from(img[1]) - 0.5);
    let s = viewer.wait("the crosshair to move", |s| {
        let c = crosshair(s);
        (c[0] - center[0]).abs() > 1.0 && s["hover_value"] == false
    });
    let got = crosshair(&s);
    println!("click: crosshair {got:?}, expected {want:?}");
    assert!(
        (0..3).all(|i| (got[i] - want[i]).abs() < 0.01),
        "crosshair {got:?}, expected {want:?}"
    );
    let screen = x.capture(&viewer.dir);
    for k in [1, 2] {
        let plane = volume
            .stack
            .standard_plane(orientations[k], Convention::Radiological, got);
        let [_, _, w, h] = pane(&s, Some(k));
        let reference = plane_reference(&volume, &first, &plane, None, file_window, w, h);
        let (worst, n) = compare_pane(&screen, &s, pane(&s, Some(k)), &reference);
        println!(
            "after the click, {:?}: max diff {worst} over {n} pixels",
            orientations[k]
        );
        assert!(
            worst <= 2,
            "{:?} after the click differs by {worst}",
            orientations[k]
        );
    }

    // 3. B: a 10 mm MIP slab in every plane, equal to the CPU MIP of the same slab.
    x.xdotool(&["key", "b"]);
    let s = viewer.wait("the MIP slab", |s| {
        s["mpr"]["slab"]["mode"] == "Mip" && s["hover_value"] == false
    });
    let slab = Slab {
        thickness: s["mpr"]["slab"]["thickness"].as_f64().unwrap_or(f64::NAN),
        mode: SlabMode::Mip,
    };
    let screen = x.capture(&viewer.dir);
    let plane = volume
        .stack
        .standard_plane(Orientation::Coronal, Convention::Radiological, got);
    let [_, _, w, h] = pane(&s, Some(2));
    let reference = plane_reference(&volume, &first, &plane, Some(slab), file_window, w, h);
    let (worst, n) = compare_pane(&screen, &s, pane(&s, Some(2)), &reference);
    println!(
        "coronal {} mm MIP: max diff {worst} over {n} pixels",
        slab.thickness
    );
    assert!(worst <= 2, "coronal MIP differs by {worst}");

    // 4. The wheel over the sagittal pane moves only the sagittal plane.
    let [sx, sy, sw, sh] = pane(&s, Some(1));
    let before = s["mpr"]["planes"].clone();
    x.xdotool(&[
        "mousemove",
        &(sx + sw / 2).to_string(),
        &(sy + sh / 2).to_string(),
    ]);
    x.xdotool(&["click", "5"]);
    let s = viewer.wait("the sagittal plane to move", |s| {
        s["mpr"]["planes"][1]["slice"] != before[1]["slice"]
    });
    assert_eq!(s["mpr"]["planes"][0]["slice"], before[0]["slice"]);
    assert_eq!(s["mpr"]["planes"][2]["slice"], before[2]["slice"]);
    let moved = crosshair(&s);
    assert!((moved[1] - got[1]).abs() < 1e-9 && (moved[2] - got[2]).abs() < 1e-9);

    // 5. M again: the 2 x 2 layout with the series' own images.
    x.xdotool(&["key", "m"]);
    let s = viewer.wait("the 2 x 2 layout", |s| {
        s["layout"] == "Grid" && s["image_drawn"] == true
    });
    assert_eq!(s["panes"].as_array().map(Vec::len), Some(4));
}

/// A memory budget smaller than the series (4 MiB for 14 MiB of voxels): the planes are
/// cut through a reduced volume (every 2nd column and row of the tilted CT) and the
/// viewer says so; once they stay still they are refined, unasked, from every voxel: each
/// pane then equals the CPU resampling of the full series. (That a moving plane shows the
/// reduced volume is the scene's unit test: here it would be a race with the refinement.)
#[test]
fn planes_over_the_volume_budget_say_so_and_are_refined_once_still() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let Some(TiltedCt {
        dir,
        volume: full,
        first,
        middle_window: window,
    }) = tilted_ct()
    else {
        return;
    };
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start_with(
        &x,
        "budget",
        std::slice::from_ref(&dir),
        &["--volume-budget", "4"],
    );
    viewer.wait("the series", |s| {
        s["loaded"] == true && s["image_drawn"] == true
    });
    let s = show_planes(&x, &mut viewer);
    let said = "256 x 256 x 28 of 512 x 512 x 28 voxels (memory budget 4 MiB)";
    assert_eq!(s["mpr_reduction"], said);
    assert!(
        s["messages"].as_array().is_some_and(|m| m
            .iter()
            .any(|x| x.as_str().is_some_and(|x| x.contains(said)))),
        "{}",
        s["messages"]
    );
    let s = viewer.wait("the planes refined from every voxel", |s| {
        s["mpr_refined"] == serde_json::json!([true, true, true])
            && s["planes_redraw_after_ms"].is_null()
    });
    assert_eq!(
        s["mpr_reduction"], said,
        "the volume on the GPU stays reduced"
    );
    let screen = x.capture(&viewer.dir);
    panes_follow_the_cpu_resampling(
        &screen,
        &s,
        (&full, &first),
        window,
        full.stack.center(),
        "the planes refined from every voxel",
    );
}
