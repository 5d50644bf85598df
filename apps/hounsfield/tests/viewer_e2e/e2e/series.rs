//! Series: a folder and the wheel, a 4D series, a DICOMweb study from the browser.

use super::*;

#[test]
fn a_folder_opens_as_a_series_and_the_wheel_scrolls_slices() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let Some(dir) = shared("ct-philips-brain") else {
        return;
    };
    let x = Xvfb::start(SCREEN);
    let (mut viewer, s) = open_folder(&x, "folder", &dir, "28 slices");
    // One series of 28 images; DIRFILE skipped with a message naming it.
    let series = s["series"].as_array().cloned().unwrap_or_default();
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0]["instances"], 28, "{series:?}");
    let names: Vec<String> = s["series_files"][0]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names.len(), 28);
    assert_eq!(s["slices"], 28);
    assert!(
        s["messages"].as_array().is_some_and(|m| m
            .iter()
            .any(|m| m.as_str().is_some_and(|m| m.contains("DIRFILE")))),
        "no message about DIRFILE: {}",
        s["messages"]
    );
    // Slices in order of position along the normal (z here: axial, no tilt).
    let z: Vec<f64> = names
        .iter()
        .map(|n| {
            let f = DicomFile::open(n).unwrap_or_else(|e| panic!("{e}"));
            f.geometry(0)
                .image_position_patient
                .map_or(f64::NAN, |p| p[2])
        })
        .collect();
    assert!(
        z.windows(2).all(|p| p[0] < p[1]),
        "not sorted by position: {z:?}"
    );

    // Down three times: three slices on.
    let [x0, y0, w, h] = viewport(&s);
    let first = s["slice"].as_u64().unwrap_or(u64::MAX);
    x.focus(VIEWER_WINDOW);
    x.xdotool(&[
        "mousemove",
        &(x0 + w / 2).to_string(),
        &(y0 + h / 2).to_string(),
    ]);
    for _ in 0..3 {
        x.xdotool(&["key", "Down"]);
    }
    let target = first + 3;
    viewer.wait("three slices on", |s| s["slice"].as_u64() == Some(target));
    // The wheel: towards the user goes on, away goes back by as much. (Under Xvfb a
    // synthetic wheel click reaches winit twice, press and release, so the test checks
    // direction and symmetry rather than a count.)
    x.xdotool(&["click", "5"]);
    let on = viewer.wait("the wheel to go on", |s| {
        s["slice"].as_u64().is_some_and(|k| k > target)
    });
    x.xdotool(&["click", "4"]);
    let s = viewer.wait("the wheel to come back", |s| {
        s["slice"].as_u64() == Some(target)
    });
    println!(
        "wheel: one notch moved from slice {target} to {}",
        on["slice"]
    );
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let s = viewer.wait("the pointer off the image", |s2| {
        s2["slice"] == s["slice"] && s2["hover_value"] == false
    });
    let shown = s["file"].as_str().unwrap_or_default().to_string();
    assert_eq!(shown, names[target as usize]);
    let file = DicomFile::open(&shown).unwrap_or_else(|e| panic!("{e}"));
    screen_shows_file(&x, &viewer, &s, &file, &format!("slice {target}"));
}

#[test]
fn a_4d_series_steps_and_plays_its_time_points_at_the_same_slice() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let out = hounsfield_conformance::root().join("target/tmp/viewer-4d");
    let Some(expected) = hounsfield_conformance::make_4d(&out) else {
        return;
    };
    // 8 positions x 3 time points (Temporal Position Identifier), one file each.
    let times = &expected["classic-temporal"][0];
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(&x, "4d", &[out.join("classic-temporal")]);
    let s = viewer.wait("the series", |s| {
        s["loaded"] == true && s["image_drawn"] == true
    });
    let series = s["series"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        series.len(),
        1,
        "one series, not one per time point: {series:?}"
    );
    assert_eq!(series[0]["time_points"], 3, "{series:?}");
    assert_eq!(series[0]["time_axis"], "Temporal Position Identifier");
    assert_eq!(
        (s["slices"].clone(), s["time_point"].clone()),
        (8.into(), 0.into())
    );
    let file_at = |t: usize, k: usize| times[t][k][0].as_str().unwrap_or_default().to_string();
    let name = |s: &Value| {
        let f = s["file"].as_str().unwrap_or_default();
        std::path::Path::new(f)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    assert_eq!(name(&s), file_at(0, 0), "it opens at time point 1, slice 1");
    // Two slices on, then N: the next time point at the same slice.
    let [x0, y0, w, h] = viewport(&s);
    x.focus(VIEWER_WINDOW);
    x.xdotool(&[
        "mousemove",
        &(x0 + w / 2).to_string(),
        &(y0 + h / 2).to_string(),
    ]);
    x.xdotool(&["key", "Down", "Down"]);
    viewer.wait("two slices on", |s| s["slice"] == 2);
    x.xdotool(&["key", "n"]);
    viewer.wait("time point 2", |s| s["time_point"] == 1 && s["slice"] == 2);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let s = viewer.wait("the pointer off the image", |s| s["hover_value"] == false);
    assert_eq!(name(&s), file_at(1, 2));
    let path = out.join("classic-temporal").join(file_at(1, 2));
    let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
    let (c, wdt) = (params.windows[0].center, params.windows[0].width);
    let screen = x.capture(&viewer.dir);
    let reference = gpu_reference(&file, &frame, c, wdt, view_of(&file, w, h));
    let (worst, n) = compare(&screen, &s, &reference, 3);
    println!(
        "4D: time point 2, slice 3 ({}): screen vs headless GPU max diff {worst} over {n} pixels",
        file_at(1, 2)
    );
    assert!(
        worst <= 2,
        "time point 2 differs from the headless render by {worst}"
    );
    // Space plays the time points (wrapping), not the slices.
    x.focus(VIEWER_WINDOW);
    x.xdotool(&["key", "space"]);
    viewer.wait("cine through time point 3", |s| {
        s["time_point"] == 2 && s["slice"] == 2
    });
    viewer.wait("cine wrapping to time point 1", |s| {
        s["time_point"] == 0 && s["slice"] == 2
    });
    x.xdotool(&["key", "space"]);
    let s = viewer.wait("cine stopped", |s| s["cine"] == false);
    assert_eq!(s["slice"], 2, "cine kept the slice");
}

#[test]
fn dicomweb_study_browser_opens_a_series_equal_to_the_files() {
    use hounsfield_conformance::orthanc::Orthanc;
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let Some(dir) = shared("ct-philips-brain") else {
        return;
    };
    let Some(orthanc) = Orthanc::start(None) else {
        return;
    };
    let (files, _) = hounsfield_core::folder::expand(std::slice::from_ref(&dir));
    let mut by_sop = std::collections::HashMap::new();
    for f in &files {
        if let Ok(d) = DicomFile::open(f)
            && d.has_pixel_data()
        {
            orthanc.upload(f);
            if let Some(uid) = d.identification().sop_instance_uid {
                by_sop.insert(uid, f.clone());
            }
        }
    }
    assert_eq!(by_sop.len(), 28);
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(&x, "dicomweb", &[PathBuf::from(orthanc.root())]);
    let click = |r: &Value| {
        let r: Vec<f64> = r
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        assert_eq!(r.len(), 4, "a rectangle: {r:?}");
        let (cx, cy) = ((r[0] + r[2] / 2.0) as u32, (r[1] + r[3] / 2.0) as u32);
        x.xdotool(&["mousemove", &cx.to_string(), &cy.to_string()]);
        x.xdotool(&["click", "1"]);
    };

    // 1. `hounsfield ROOT` starts with the browser, which searches at once.
    let s = viewer.wait("the study list", |s| {
        s["browser"]["studies"] == 1 && s["browser"]["study_rows"][0].is_array()
    });
    assert_eq!(s["browser"]["open"], true);
    // 2. A click on the study lists its series, with a thumbnail.
    click(&s["browser"]["study_rows"][0]);
    let s = viewer.wait("the series list", |s| {
        s["browser"]["series"] == 1
            && s["browser"]["thumbnails"] == 1
            && s["browser"]["series_open"][0].is_array()
    });
    // 3. Open: the series loads, shown from its first slice, like the folder.
    click(&s["browser"]["series_open"][0]);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let s = viewer.wait("the series from the server", |s| {
        s["loaded"] == true
            && s["image_drawn"] == true
            && s["slices"] == 28
            && s["browser"]["open"] == false
    });
    assert_eq!(s["series"].as_array().map(Vec::len), Some(1), "{s}");
    assert_eq!(s["slice"], 0);
    let url = s["file"]
        .as_str()
        .unwrap_or_else(|| panic!("no file in {s}"));
    assert!(url.starts_with(&orthanc.root()), "{url}");
    let sop = url.rsplit('/').next().unwrap_or_default();
    let path = by_sop
        .get(sop)
        .unwrap_or_else(|| panic!("{sop} is not one of the uploaded files"));
    // The first slice in stack order, as the core orders the folder.
    let catalog = hounsfield_core::folder::Catalog::scan(std::slice::from_ref(&dir));
    let stack = catalog.stack(0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(catalog.path(stack.slices[0].instance), Some(path.as_path()));
    let file = DicomFile::open(path).unwrap_or_else(|e| panic!("{e}"));
    let frame = file.decode_frame(0).unwrap_or_else(|e| panic!("{e}"));
    let params = file.display_parameters(0).unwrap_or_else(|e| panic!("{e}"));
    let file_window = (params.windows[0].center, params.windows[0].width);
    assert_eq!(window(&s), file_window);
    let [_, _, w, h] = viewport(&s);
    let screen = x.capture(&viewer.dir);
    let reference = gpu_reference(
        &file,
        &frame,
        file_window.0,
        file_window.1,
        view_of(&file, w, h),
    );
    let (worst, n) = compare(&screen, &s, &reference, 3);
    println!(
        "series over DICOMweb: first slice vs headless GPU render of the file: max diff {worst} over {n} pixels"
    );
    assert!(n > (w * h / 2) as usize, "too few pixels compared");
    assert!(worst <= 2, "the slice from the server differs by {worst}");

    // 4. Faults: a series the server does not have, opened with the one it has: a
    //    message naming the server and the status, the viewer stays up, and the good
    //    series loads whole.
    drop(viewer);
    let good = url
        .rsplit_once("/instances/")
        .map_or(url, |(series, _)| series);
    let missing = format!(
        "{}/series/1.2.3.4.5.6.7.8.9",
        good.rsplit_once("/series/")
            .map_or(good, |(study, _)| study)
    );
    let mut viewer = Viewer::start(
        &x,
        "dicomweb-faults",
        &[PathBuf::from(&missing), PathBuf::from(good)],
    );
    let s = viewer.wait("the good series beside the missing one", |s| {
        s["loaded"] == true && s["image_drawn"] == true && s["slices"] == 28
    });
    let messages: Vec<&str> = s["messages"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        messages
            .iter()
            .any(|m| m.contains(&orthanc.root()) && m.contains("404")),
        "no message names the server and the 404: {messages:?}"
    );
    assert!(
        viewer.child.try_wait().ok().flatten().is_none(),
        "the viewer exited"
    );
}
