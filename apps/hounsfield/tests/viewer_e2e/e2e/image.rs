//! Images in a real window: window/level drag and presets, overlays, the CPU path.

use super::*;

#[test]
fn window_level_drag_and_preset_in_a_real_window() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let Some(path) = shared("ct-philips-brain/I100") else {
        return;
    };
    let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
    let x = Xvfb::start(SCREEN);
    let started = Instant::now();
    let mut viewer = Viewer::start(&x, "drag", std::slice::from_ref(&path));

    // 1. The first image, with the file's window, equals the headless GPU render.
    let s = viewer.wait("the first image", |s| s["image_drawn"] == true);
    let first = started.elapsed();
    let file_window = (params.windows[0].center, params.windows[0].width);
    assert_eq!(window(&s), file_window);
    let [x0, y0, w, h] = viewport(&s);
    assert!(w > 400 && h > 400, "image area {w} x {h}");
    let view = view_of(&file, w, h);
    let screen = x.capture(&viewer.dir);
    let reference = gpu_reference(&file, &frame, file_window.0, file_window.1, view);
    let (worst, n) = compare(&screen, &s, &reference, 3);
    println!(
        "first image after {:.0} ms; screen vs headless GPU: max diff {worst} over {n} pixels",
        first.as_secs_f64() * 1000.0
    );
    assert!(n > (w * h / 2) as usize, "too few pixels compared");
    assert!(
        worst <= 2,
        "screen differs from the headless render by {worst}"
    );

    // 2. A left drag of (+120, +60) points widens the window by 120 s and raises the
    //    centre by 60 s, s = the data range over 1024 points; the screen follows.
    let (lo, hi) = modality_range(&params.modality_lut, &frame);
    let sens = window_drag_sensitivity(lo, hi);
    let expected = (file_window.0 + 60.0 * sens, file_window.1 + 120.0 * sens);
    let frames_before = viewer.frame_times().len();
    let (cx, cy) = (x0 + w / 2, y0 + h / 2);
    x.xdotool(&["mousemove", &cx.to_string(), &cy.to_string()]);
    x.xdotool(&["mousedown", "1"]);
    for _ in 0..30 {
        x.xdotool(&["mousemove_relative", "--", "4", "2"]);
        std::thread::sleep(Duration::from_millis(15));
    }
    x.xdotool(&["mouseup", "1"]);
    // Move the pointer off the image so that the value overlay does not hide pixels.
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let s = viewer.wait("the dragged window", |s| {
        let (c, w) = window(s);
        (c - expected.0).abs() < 1e-6 && (w - expected.1).abs() < 1e-6
    });
    let mut drag_frames: Vec<f64> = viewer.frame_times()[frames_before..].to_vec();
    let screen = x.capture(&viewer.dir);
    let reference = cpu_reference(&file, &frame, expected.0, expected.1, view);
    let (worst, n) = compare(&screen, &s, &reference, 1);
    println!(
        "after the drag: window {:?}; screen vs CPU reference: max diff {worst} over {n} pixels",
        window(&s)
    );
    assert!(worst <= 2, "after the drag the screen differs by {worst}");
    println!(
        "window/level drag at {w} x {h} ({} frames): median frame time {:.2} ms",
        drag_frames.len(),
        median(&mut drag_frames)
    );

    // 3. Preset 4 is the CT lung window.
    x.focus(VIEWER_WINDOW);
    x.xdotool(&["key", "4"]);
    let s = viewer.wait("the lung preset", |s| window(s) == (-600.0, 1500.0));
    let screen = x.capture(&viewer.dir);
    let reference = cpu_reference(&file, &frame, -600.0, 1500.0, view);
    let (worst, _) = compare(&screen, &s, &reference, 1);
    assert!(worst <= 2, "lung preset: screen differs by {worst}");

    // 4. Ctrl+S saves exactly the image area (without overlays).
    let (s, saved) = viewer.save(&x);
    let (sw, sh, rgb) = read_png_rgb(&saved);
    assert_eq!((sw, sh), (w, h));
    let (worst, _) = compare(&screen, &s, &rgb, 3);
    assert!(
        worst <= 2,
        "the saved view differs from the screen by {worst}"
    );
}

#[test]
fn overlays_show_over_the_image_and_o_hides_them() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let path = hounsfield_conformance::testdata_dir()
        .join("pydicom-data-1.0.0/data_store/data/MR-SIEMENS-DICOM-WithOverlays.dcm");
    if !path.exists() {
        return hounsfield_conformance::missing(&path.display().to_string());
    }
    let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let mask = file
        .overlay_mask(0)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the file has an overlay"));
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(&x, "overlays", std::slice::from_ref(&path));
    viewer.wait("the image", |s| s["image_drawn"] == true);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let s = viewer.wait("the pointer off the image", |s| s["hover_value"] == false);
    assert_eq!(s["overlay_planes"], true, "overlays are on by default");
    let [_, _, vw, vh] = viewport(&s);
    let (plain, with) = reference_painted(&file, &frame, &s, |with, view| {
        hounsfield_core::pipeline::overlay::paint_overlay(with, &mask, view)
    });
    let screen = x.capture(&viewer.dir);
    let (worst, n) = compare(&screen, &s, &with, 1);
    println!(
        "overlays on: screen vs CPU reference with the overlay painted: max diff {worst} over {n} pixels"
    );
    assert!(worst <= 2, "the overlay on screen differs by {worst}");
    let (without, _) = compare(&screen, &s, &plain, 1);
    assert!(
        without > 100,
        "the screen shows no overlay (max diff {without} to the plain image)"
    );
    // Ctrl+S saves them with the image, as shown.
    x.focus(VIEWER_WINDOW);
    let (_, saved) = viewer.save(&x);
    let (sw, sh, rgb) = read_png_rgb(&saved);
    assert_eq!((sw, sh), (vw, vh));
    let grey: Vec<u8> = rgb.chunks_exact(3).map(|p| p[0]).collect();
    let worst = grey
        .iter()
        .zip(&with)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(255);
    assert!(
        worst <= 1,
        "the saved view differs from the reference with overlays by {worst}"
    );
    // O hides them.
    x.xdotool(&["key", "o"]);
    let s = viewer.wait("overlays off", |s| s["overlay_planes"] == false);
    let screen = x.capture(&viewer.dir);
    let (worst, _) = compare(&screen, &s, &plain, 1);
    println!("overlays off: screen vs plain CPU reference: max diff {worst}");
    assert!(
        worst <= 2,
        "with overlays off the screen differs by {worst}"
    );
}

#[test]
fn cpu_renderer_shows_the_cpu_reference() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let Some(path) = shared("ct-philips-brain/I100") else {
        return;
    };
    let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(
        &x,
        "cpu",
        &[
            path.clone(),
            PathBuf::from("--renderer"),
            PathBuf::from("cpu"),
        ],
    );
    // The file's window, then the lung preset: the screen is the CPU reference.
    let s = viewer.wait("the first image", |s| s["image_drawn"] == true);
    assert_eq!(s["renderer"], "cpu");
    let [_, _, w, h] = viewport(&s);
    let view = view_of(&file, w, h);
    let (c, wd) = window(&s);
    let screen = x.capture(&viewer.dir);
    let (worst, n) = compare(&screen, &s, &cpu_reference(&file, &frame, c, wd, view), 1);
    println!("--renderer cpu: screen vs CPU reference: max diff {worst} over {n} pixels");
    assert!(n > (w * h / 2) as usize, "too few pixels compared");
    assert!(
        worst <= 1,
        "--renderer cpu differs from the CPU reference by {worst}"
    );
    x.focus(VIEWER_WINDOW);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    x.xdotool(&["key", "4"]);
    let s = viewer.wait("the lung preset", |s| window(s) == (-600.0, 1500.0));
    let screen = x.capture(&viewer.dir);
    let (worst, _) = compare(
        &screen,
        &s,
        &cpu_reference(&file, &frame, -600.0, 1500.0, view),
        1,
    );
    assert!(worst <= 1, "lung preset on the CPU differs by {worst}");
}
