//! Measurements drawn with the mouse against the command line, and their SR.

use super::*;

/// `hounsfield measure FILE --roi ROI --json`: the one measurement it prints.
fn measure_cli(path: &std::path::Path, roi: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_hounsfield"))
        .arg("measure")
        .arg(path)
        .args(["--roi", roi, "--json"])
        .output()
        .unwrap_or_else(|e| panic!("hounsfield measure: {e}"));
    assert!(
        out.status.success(),
        "hounsfield measure --roi {roi}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    doc["measurements"][0].clone()
}

#[test]
fn a_length_and_an_ellipse_drawn_with_the_mouse_measure_as_the_command_line() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let Some(path) = shared("ct-philips-brain/I100") else {
        return;
    };
    let file = DicomFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let x = Xvfb::start(SCREEN);
    let mut viewer = Viewer::start(&x, "measure", std::slice::from_ref(&path));
    let s = viewer.wait("the image", |s| s["image_drawn"] == true);
    let [x0, y0, w, h] = viewport(&s);
    let image = file.image().unwrap_or_else(|e| panic!("{e}"));
    let mapping = view_of(&file, w, h).mapping(image.columns, image.rows);
    // The image position (pixel centres at integers) under screen pixel (px, py).
    let image_at = |px: u32, py: u32| {
        let q = mapping.image_at((px - x0) as f32 + 0.5, (py - y0) as f32 + 0.5);
        let bias = hounsfield_core::view::SAMPLE_BIAS;
        [f64::from(q[0]) - 0.5 - bias, f64::from(q[1]) - 0.5 - bias]
    };
    let drag = |from: (u32, u32), to: (u32, u32)| {
        x.xdotool(&["mousemove", &from.0.to_string(), &from.1.to_string()]);
        x.xdotool(&["mousedown", "1"]);
        for i in 1..=12 {
            let t = f64::from(i) / 12.0;
            let p = |a: u32, b: u32| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round();
            x.xdotool(&[
                "mousemove",
                &p(from.0, to.0).to_string(),
                &p(from.1, to.1).to_string(),
            ]);
            std::thread::sleep(Duration::from_millis(15));
        }
        x.xdotool(&["mouseup", "1"]);
    };
    let (cx, cy) = (x0 + w / 2, y0 + h / 2);
    let count = |n: usize| {
        move |s: &Value| {
            s["measurements"]
                .as_array()
                .is_some_and(|m| m.len() == n && m.iter().all(|m| m["complete"] == true))
        }
    };
    // L, then a drag: a length.
    x.focus(VIEWER_WINDOW);
    x.xdotool(&["key", "l"]);
    viewer.wait("the length tool", |s| s["tool"] == "length");
    let (a, b) = ((cx - 120, cy - 10), (cx + 90, cy + 70));
    drag(a, b);
    viewer.wait("the length", count(1));
    // C, then a drag: an ellipse.
    x.xdotool(&["key", "c"]);
    viewer.wait("the ellipse tool", |s| s["tool"] == "ellipse");
    let (c, d) = ((cx - 70, cy - 150), (cx + 40, cy - 60));
    drag(c, d);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    let s = viewer.wait("the ellipse", count(2));
    let m = &s["measurements"];
    assert_eq!(
        (m[0]["tool"].as_str(), m[1]["tool"].as_str()),
        (Some("length"), Some("ellipse"))
    );
    // Where the pointer went, in image coordinates.
    let numbers = |roi: &Value| -> Vec<f64> {
        let text = roi.as_str().unwrap_or_default();
        let (_, v) = text.split_once(':').unwrap_or_default();
        v.split(',').filter_map(|x| x.parse().ok()).collect()
    };
    let (pa, pb) = (image_at(a.0, a.1), image_at(b.0, b.1));
    let (pc, pd) = (image_at(c.0, c.1), image_at(d.0, d.1));
    let expected_line = [pa[0], pa[1], pb[0], pb[1]];
    let expected_ellipse = [
        (pc[0] + pd[0]) / 2.0,
        (pc[1] + pd[1]) / 2.0,
        (pd[0] - pc[0]).abs() / 2.0,
        (pd[1] - pc[1]).abs() / 2.0,
    ];
    for (roi, expected) in [
        (&m[0]["roi"], &expected_line[..]),
        (&m[1]["roi"], &expected_ellipse[..]),
    ] {
        let got = numbers(roi);
        assert_eq!(got.len(), 4, "{roi}");
        for (g, e) in got.iter().zip(expected) {
            assert!(
                (g - e).abs() < 0.01,
                "{roi}: expected {expected:?} from the pointer"
            );
        }
    }
    // The numbers the viewer shows are the command line's.
    for (k, keys) in [
        (0, &["length_mm"][..]),
        (1, &["mean", "sd", "min", "max", "area_mm2", "pixels"][..]),
    ] {
        let roi = m[k]["roi"].as_str().unwrap_or_default();
        let cli = measure_cli(&path, roi);
        for key in keys {
            assert!(m[k][key].is_number(), "{roi}: no {key} in {}", m[k]);
            assert_eq!(
                m[k][key], cli[key],
                "{roi}: {key} in the viewer and on the command line"
            );
        }
        println!("{roi}: {} (as hounsfield measure)", m[k]["label"]);
    }
    let label = m[0]["label"][0].as_str().unwrap_or_default();
    let length = m[0]["length_mm"].as_f64().unwrap_or(f64::NAN);
    assert_eq!(label, format!("{length:.2} mm"));
    // The length is drawn on screen: the measurement colour near its middle.
    let screen = x.capture(&viewer.dir);
    let mid = ((a.0 + b.0) / 2, (a.1 + b.1) / 2);
    let drawn = (mid.1 - 2..=mid.1 + 2).any(|y| {
        (mid.0 - 2..=mid.0 + 2).any(|x| {
            let i = ((y * SCREEN.0 + x) * 3) as usize;
            let p = &screen[i..i + 3];
            p[0] < 160 && p[1] > 170 && p[2] > 200
        })
    });
    assert!(drawn, "no measurement line on screen near {mid:?}");
    // Delete removes the selected (last) one; Ctrl+Z brings it back.
    x.focus(VIEWER_WINDOW);
    x.xdotool(&["key", "Delete"]);
    viewer.wait("the ellipse deleted", count(1));
    x.xdotool(&["key", "ctrl+z"]);
    viewer.wait("the ellipse back", count(2));
    // Ctrl+Shift+S saves them as a DICOM SR (and JSON); opened with the image, the
    // report puts the same measurements back.
    x.xdotool(&["key", "ctrl+shift+s"]);
    viewer.wait("the measurements saved", |s| {
        s["messages"].as_array().is_some_and(|m| {
            m.iter().any(|m| {
                m.as_str()
                    .is_some_and(|m| m.contains("saved the measurements"))
            })
        })
    });
    let report = std::fs::read_dir(&viewer.dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "dcm"))
        .unwrap_or_else(|| panic!("no report saved"));
    let kept = std::env::temp_dir().join(format!("hounsfield-e2e-{}.sr.dcm", std::process::id()));
    std::fs::copy(&report, &kept).unwrap_or_else(|e| panic!("{e}"));
    drop(viewer);
    let mut viewer = Viewer::start(&x, "measure-again", &[path.clone(), kept.clone()]);
    let again = viewer.wait("the measurements from the report", count(2));
    let _ = std::fs::remove_file(&kept);
    for k in 0..2 {
        let (a, b) = (&m[k], &again["measurements"][k]);
        for key in [
            "tool",
            "roi",
            "length_mm",
            "mean",
            "sd",
            "min",
            "max",
            "area_mm2",
            "pixels",
        ] {
            assert_eq!(a[key], b[key], "{key} of measurement {k} after the report");
        }
    }
}
