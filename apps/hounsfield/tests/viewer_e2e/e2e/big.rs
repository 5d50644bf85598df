//! A thousand-slice series: the screen equals the references at the first and last slice
//! and in the planes, as it does on small series, with the load's headers read first, the
//! slices decoded outward from the one on screen and the planes' volume uploaded a part
//! per frame.

use super::planes;
use super::*;
use hounsfield_core::folder::Catalog;

/// The 1,000-slice 512 x 512 CT that `hounsfield bench series` builds from the shared
/// data (new positions and UIDs), under the build folder.
fn thousand_slices() -> Option<PathBuf> {
    shared("ct-philips-brain")?;
    let root = hounsfield_conformance::root();
    let out = Command::new(env!("CARGO_BIN_EXE_hounsfield"))
        .args(["bench", "series", "--slices", "1000"])
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("hounsfield bench series: {e}"));
    assert!(
        out.status.success(),
        "hounsfield bench series: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let folder = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Some(root.join(folder))
}

#[test]
fn a_thousand_slice_series_shows_its_ends_and_planes_as_the_references() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if !tools_present() {
        return;
    }
    let Some(dir) = thousand_slices() else {
        return;
    };
    // The volume as the core assembles it from the folder, independently of the viewer.
    let catalog = Catalog::scan(std::slice::from_ref(&dir));
    let volume = catalog.volume(0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(volume.stack.slices.len(), 1000);
    let open = |k: usize| {
        catalog
            .open(volume.stack.slices[k].instance)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let first = open(0);

    let x = Xvfb::start(SCREEN);
    let (mut viewer, s) = open_folder(&x, "thousand", &dir, "1000 slices");
    assert_eq!(s["slices"], 1000);
    assert_eq!(s["series"].as_array().map(Vec::len), Some(1));

    // The first slice, then End: the last; each equal to the headless render of its file.
    x.focus(VIEWER_WINDOW);
    x.xdotool(&["mousemove", "0", &(SCREEN.1 - 1).to_string()]);
    for (key, k) in [(None, 0usize), (Some("End"), 999)] {
        if let Some(key) = key {
            x.xdotool(&["key", key]);
        }
        let s = viewer.wait("the slice", |s| {
            s["slice"].as_u64() == Some(k as u64) && s["hover_value"] == false
        });
        let file = open(k);
        assert_eq!(s["file"].as_str(), Some(file.name()), "slice {k}");
        screen_shows_file(&x, &viewer, &s, &file, &format!("slice {k} of 1000"));
    }

    // M: the three planes through the volume's centre, at the middle slice's window,
    // equal to the CPU resampling of the 1,000 slices.
    x.xdotool(&["key", "m"]);
    let s = viewer.wait("three planes", |s| {
        s["layout"] == "Planes"
            && s["mpr"]["planes_drawn"] == serde_json::json!([true, true, true])
            && s["hover_value"] == false
    });
    assert_eq!(s["mpr"]["volume_slices"], 1000);
    let window = (
        s["plane_window"][0].as_f64().unwrap_or(f64::NAN),
        s["plane_window"][1].as_f64().unwrap_or(f64::NAN),
    );
    let middle = open(500)
        .display_parameters(0)
        .unwrap_or_else(|e| panic!("{e}"))
        .windows[0]
        .clone();
    assert_eq!(window, (middle.center, middle.width));
    let screen = x.capture(&viewer.dir);
    planes::panes_follow_the_cpu_resampling(
        &screen,
        &s,
        (&volume, &first),
        window,
        volume.stack.center(),
        "1000 slices",
    );
}
