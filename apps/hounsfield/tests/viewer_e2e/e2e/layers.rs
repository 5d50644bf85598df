//! Layers: structure sets, segmentations, colour maps and fusion, over images and planes.

use super::*;

#[test]
fn structure_sets_show_over_their_images_and_j_hides_them() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("hounsfield-e2e-rt-{}", std::process::id()));
    let Some(made) = hounsfield_conformance::made_from_ct("make_rtstruct.py", "pydicom", &dir)
    else {
        return;
    };
    // The slice with the circle and the line, and the structure set.
    let path = PathBuf::from(made["slices"][0].as_str().unwrap_or_default());
    let rt_path = PathBuf::from(made["path"].as_str().unwrap_or_default());
    let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(&x, "structures", &[path.clone(), rt_path.clone()]);
    viewer.wait("the image", |s| s["image_drawn"] == true);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let s = viewer.wait("the contours over the image", |s| {
        s["hover_value"] == false && s["contours"].as_array().is_some_and(|a| !a.is_empty())
    });
    assert_eq!(s["contours"], serde_json::json!(["circle", "line"]));
    // The reference: the CPU render with the contours laid over it.
    let set = hounsfield_core::layers::structures::StructureSet::read(
        DicomFile::open(&rt_path).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let layer = set
        .layer_on(&file, 0, |_| true)
        .unwrap_or_else(|| panic!("no contour on the slice"));
    let (plain, with) = reference_with_layer(&file, &frame, &s, &layer);
    layer_shown(&x, &viewer, &s, &plain, &with, "contours");
    x.focus(VIEWER_WINDOW);
    j_hides_the_layer(&x, &mut viewer, &plain, "contours");
}

#[test]
fn segmentations_show_over_their_images_and_j_hides_them() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("hounsfield-e2e-seg-{}", std::process::id()));
    let Some(made) = hounsfield_conformance::make_segmentations(&dir) else {
        return;
    };
    // One slice and the binary segmentation (three segments, one over the others).
    let path = PathBuf::from(made["slices"][1]["path"].as_str().unwrap_or_default());
    let seg_path = dir.join("binary.seg.dcm");
    let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(&x, "segments", &[path.clone(), seg_path.clone()]);
    viewer.wait("the image", |s| s["image_drawn"] == true);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let s = viewer.wait("the segments over the image", |s| {
        s["hover_value"] == false && s["segments"].as_array().is_some_and(|a| !a.is_empty())
    });
    assert_eq!(
        s["segments"],
        serde_json::json!(["soft tissue", "bone", "disc"]),
        "the segments whose frames belong to the image"
    );
    // The reference: the CPU render with the same layer laid over it.
    let seg = hounsfield_core::layers::segmentation::Segmentation::read(
        DicomFile::open(&seg_path).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let layers = seg.layers_for(&file, 0).unwrap_or_else(|e| panic!("{e}"));
    let layer = hounsfield_core::layers::segmentation::SegmentLayer::paint_all(
        frame.width,
        frame.height,
        &layers,
        hounsfield_core::layers::composite::Style::default(),
    );
    let (plain, with) = reference_with_layer(&file, &frame, &s, &layer);
    layer_shown(&x, &viewer, &s, &plain, &with, "segments");
    // Ctrl+S saves them with the image, as shown.
    x.focus(VIEWER_WINDOW);
    let (_, saved) = viewer.save(&x);
    let (_, _, rgb) = read_png_rgb(&saved);
    let worst = rgb
        .iter()
        .zip(&with)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(255);
    assert!(worst <= 2, "the saved view differs by {worst}");
    j_hides_the_layer(&x, &mut viewer, &plain, "segments");
}

#[test]
fn colour_maps_and_a_fused_series_show_over_the_image() {
    use hounsfield_core::layers::colormap::ColorMap;
    use hounsfield_core::layers::fusion::{Fusion, image_plane};
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("hounsfield-e2e-fuse-{}", std::process::id()));
    let Some(made) = hounsfield_conformance::made_from_ct("make_fusion.py", "pydicom", &dir) else {
        return;
    };
    // A CT slice inside the map, and the map.
    let path = PathBuf::from(made["slices"][13].as_str().unwrap_or_default());
    let map = PathBuf::from(made["map"].as_str().unwrap_or_default());
    let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(&x, "fusion", &[path.clone(), map.clone()]);
    let s = viewer.wait("both series", |s| {
        s["loaded"] == true && s["series"].as_array().is_some_and(|a| a.len() == 2)
    });
    // Tab goes from one series to the other and back; the panel's widgets (lists,
    // colour maps) never keep the keys from the image.
    let ct = |s: &Value| {
        s["fusion"]["candidates"]
            .as_array()
            .is_some_and(|a| a.len() == 1)
    };
    let first = ct(&s);
    viewer.key_until(&x, "Tab", "the other series", |s| ct(s) != first);
    viewer.key_until(&x, "Tab", "the first series again", |s| ct(s) == first);
    if !first {
        viewer.key_until(&x, "Tab", "the CT slice", ct);
    }
    viewer.wait("the CT slice with the map to fuse", |s| {
        ct(s) && s["image_drawn"] == true
    });
    // Shift+I: the CT in hot iron: the colour map of the CPU reference's levels (of
    // its level or the next, as the grey tests allow a level's difference).
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    viewer.key_until(&x, "shift+i", "the CT in hot iron", |s| {
        s["colormap"] == "hot-iron"
    });
    let s = viewer.wait("hot iron on screen", |s| {
        s["image_drawn"] == true && s["hover_value"] == false
    });
    let [_, _, vw, vh] = viewport(&s);
    let (grey, _) = reference_with_layer(
        &file,
        &frame,
        &s,
        &hounsfield_core::layers::composite::LayerImage::blank(frame.width, frame.height),
    );
    let coloured: Vec<Vec<u8>> = [-1i16, 0, 1]
        .iter()
        .map(|d| {
            let mut image = hounsfield_core::pipeline::RenderedImage {
                width: vw,
                height: vh,
                channels: 1,
                pixels: grey
                    .iter()
                    .map(|&g| (i16::from(g) + d).clamp(0, 255) as u8)
                    .collect(),
                pipeline: None,
            };
            ColorMap::HotIron.apply(&mut image, &view_of(&file, vw, vh), &frame);
            image.pixels
        })
        .collect();
    let screen = x.capture(&viewer.dir);
    let nearest = nearest_level(&screen, &s, &coloured);
    layer_shown(&x, &viewer, &s, &grey, &nearest, "hot iron colour map");
    // Three more: jet, viridis, grey again.
    for map in ["jet", "viridis"] {
        viewer.key_until(&x, "shift+i", map, |s| s["colormap"] == map);
    }
    viewer.key_until(&x, "shift+i", "grey again", |s| s["colormap"].is_null());
    viewer.key_until(&x, "z", "the map fused", |s| s["fusion"]["series"].is_u64());
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let s = viewer.wait("the map fused on screen", |s| {
        s["image_drawn"] == true && s["hover_value"] == false
    });
    let window = |s: &Value| -> (f64, f64) {
        let w = &s["fusion"]["style"]["window"];
        (
            w[0].as_f64().unwrap_or(f64::NAN),
            w[1].as_f64().unwrap_or(f64::NAN),
        )
    };
    // The reference: the map resampled onto the slice's pixels by the library, at the
    // window the status reports, over the CPU render.
    let volume = std::sync::Arc::new(
        hounsfield_core::folder::Catalog::scan(std::slice::from_ref(&map))
            .volume(0)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let reference = |s: &Value, colormap: ColorMap, opacity: f64| {
        let (center, width) = window(s);
        let fusion = Fusion {
            pipeline: hounsfield_core::pipeline::GreyPipeline {
                modality: volume.modality.clone(),
                voi: hounsfield_core::pipeline::Voi::Window {
                    center,
                    width,
                    function: hounsfield_core::VoiLutFunction::Linear,
                },
                inverse: false,
                presentation_lut: None,
            },
            volume: volume.clone(),
            colormap,
            opacity,
            frame_of_reference: None,
        };
        let plane = image_plane(&file.geometry(0), frame.width, frame.height)
            .unwrap_or_else(|e| panic!("{e}"));
        reference_with_layer(&file, &frame, s, &fusion.layer(&plane))
    };
    assert_eq!(s["fusion"]["style"]["colormap"], "hot-iron");
    let (plain, with) = reference(&s, ColorMap::HotIron, 0.5);
    layer_shown(&x, &viewer, &s, &plain, &with, "fused map");
    // Shift+Z: the next colour map.
    let s = viewer.key_until(&x, "shift+z", "jet", |s| {
        s["fusion"]["style"]["colormap"] == "jet"
    });
    let (_, with) = reference(&s, ColorMap::Jet, 0.5);
    layer_shown(&x, &viewer, &s, &plain, &with, "fused map in jet");
    // Z again: no other candidate, fusion off.
    let s = viewer.key_until(&x, "z", "fusion off", |s| s["fusion"]["series"].is_null());
    let screen = x.capture(&viewer.dir);
    let (worst, _) = compare(&screen, &s, &plain, 1);
    assert!(worst <= 2, "with fusion off the screen differs by {worst}");
}

/// The screen (status `s`) is the CPU reference with the layer laid over (`with`),
/// within 2, and differs from the plain reference: `what` is on screen.
fn layer_shown(x: &Xvfb, viewer: &Viewer, s: &Value, plain: &[u8], with: &[u8], what: &str) {
    let screen = x.capture(&viewer.dir);
    let (worst, n) = compare(&screen, s, with, 3);
    println!(
        "{what} on: screen vs CPU reference with the {what} laid over: max diff {worst} over {n} pixels"
    );
    assert!(worst <= 2, "the {what} on screen differ by {worst}");
    let (without, _) = compare(&screen, s, plain, 1);
    assert!(
        without > 100,
        "the screen shows no {what} (max diff {without})"
    );
}

/// J (to the focused viewer) hides the layer: status `what` (`segments`, `contours`)
/// empties and the screen is the plain CPU reference, within 2.
fn j_hides_the_layer(x: &Xvfb, viewer: &mut Viewer, plain: &[u8], what: &str) {
    x.xdotool(&["key", "j"]);
    let s = viewer.wait(&format!("{what} off"), |s| {
        s[what].as_array().is_some_and(Vec::is_empty)
    });
    let screen = x.capture(&viewer.dir);
    let (worst, _) = compare(&screen, &s, plain, 1);
    println!("{what} off: screen vs plain CPU reference: max diff {worst}");
    assert!(worst <= 2, "with {what} off the screen differs by {worst}");
}

#[test]
fn segmentations_and_structures_show_over_the_planes() {
    use hounsfield_core::folder::Catalog;
    use hounsfield_core::layers::composite::{Style, composite};
    use hounsfield_core::layers::segmentation::Segmentation;
    use hounsfield_core::volume::{Convention, Orientation};
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let Some(folder) = shared("ct-philips-brain") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("hounsfield-e2e-segp-{}", std::process::id()));
    if hounsfield_conformance::make_segmentations(&dir).is_none() {
        return;
    }
    let seg_path = dir.join("binary.seg.dcm");
    let seg = Segmentation::read(DicomFile::open(&seg_path).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    // A structure set too: its circle and square cross the middle planes.
    let Some(made) = hounsfield_conformance::made_from_ct(
        "make_rtstruct.py",
        "pydicom",
        &dir.join("structures"),
    ) else {
        return;
    };
    let rt_path = std::path::PathBuf::from(made["path"].as_str().expect("path"));
    let structures = hounsfield_core::layers::structures::StructureSet::read(
        DicomFile::open(&rt_path).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let catalog = Catalog::scan(std::slice::from_ref(&folder));
    let volume = catalog.volume(0).unwrap_or_else(|e| panic!("{e}"));
    let first = catalog
        .open(volume.stack.slices[0].instance)
        .unwrap_or_else(|e| panic!("{e}"));
    let reference_uid = first
        .attributes()
        .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID);
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(&x, "segment-planes", &[folder.clone(), seg_path, rt_path]);
    viewer.wait("the series", |s| {
        s["loaded"] == true && s["image_drawn"] == true
    });
    x.focus(VIEWER_WINDOW);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    x.xdotool(&["key", "m"]);
    let s = viewer.wait("three planes", |s| {
        s["layout"] == "Planes"
            && s["mpr"]["planes_drawn"] == serde_json::json!([true, true, true])
            && s["hover_value"] == false
    });
    let window = (
        s["plane_window"][0].as_f64().unwrap_or(f64::NAN),
        s["plane_window"][1].as_f64().unwrap_or(f64::NAN),
    );
    let center = volume.stack.center();
    let screen = x.capture(&viewer.dir);
    let orientations = [
        Orientation::Axial,
        Orientation::Sagittal,
        Orientation::Coronal,
    ];
    let mut painted = 0;
    for (k, o) in orientations.iter().enumerate() {
        let plane = volume
            .stack
            .standard_plane(*o, Convention::Radiological, center);
        let rect = pane(&s, Some(k));
        let [_, _, w, h] = rect;
        let grey = plane_reference(&volume, &first, &plane, None, window, w, h);
        let layers = seg
            .plane_layers(&plane, reference_uid.as_deref())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut layer = hounsfield_core::layers::segmentation::SegmentLayer::paint_all(
            plane.columns,
            plane.rows,
            &layers,
            Style::default(),
        );
        if let Some(contours) = structures.plane_layer(&plane, reference_uid.as_deref(), |_| true) {
            layer.over(&contours);
        }
        let mut with = hounsfield_core::pipeline::RenderedImage {
            width: w,
            height: h,
            channels: 1,
            pixels: grey,
            pipeline: None,
        };
        composite(&mut with, &View::fit(w, h), &layer);
        // The painted pixels off the crosshair, then the rest (grey pixels; coloured
        // ones are the crosshair's).
        let (mut coloured, mut same) = (0usize, 0usize);
        for y in 1..h - 1 {
            for x0 in 1..w - 1 {
                let r = &with.pixels[((y * w + x0) * 3) as usize..][..3];
                // The crosshair (at the volume's centre: the pane's middle) is drawn
                // over the planes.
                let on_crosshair = (i64::from(x0) - i64::from(w / 2)).abs() <= 2
                    || (i64::from(y) - i64::from(h / 2)).abs() <= 2;
                if r[0] == r[1] && r[1] == r[2] || on_crosshair {
                    continue;
                }
                coloured += 1;
                let si = (((rect[1] + y) * SCREEN.0 + rect[0] + x0) * 3) as usize;
                if screen[si..si + 3]
                    .iter()
                    .zip(r)
                    .all(|(a, b)| a.abs_diff(*b) <= 2)
                {
                    same += 1;
                }
            }
        }
        let grey_ref: Vec<u8> = with.pixels.chunks(3).map(|p| p[0]).collect();
        let masked: Vec<u8> = with
            .pixels
            .chunks(3)
            .zip(&grey_ref)
            .map(|(p, g)| if p[0] == p[1] && p[1] == p[2] { *g } else { 0 })
            .collect();
        let (worst, n) = compare_region(&screen, &s, rect, &masked, 1, 1, true);
        println!(
            "{o:?} pane: {same} of {coloured} segment and contour pixels as the CPU reference; grey pixels max diff {worst} over {n}"
        );
        assert!(
            coloured == 0 || same * 100 >= coloured * 99,
            "{o:?}: only {same} of {coloured} segment and contour pixels match"
        );
        assert!(worst <= 2 || n == 0, "{o:?}: grey pixels differ by {worst}");
        painted += coloured;
    }
    assert!(
        painted > 1000,
        "hardly any segment on the planes: {painted}"
    );
}
