//! Multi-stack and 4D series assemble as their tags say, and no frame is lost.
//!
//! `tests/scripts/make_4d.py` makes, with pydicom, series from real CT slices: a classic
//! time series (Temporal Position Identifier), an fMRI-like run (Acquisition Number and
//! Time), an Enhanced CT object with two stacks at the same positions and one with three
//! time points, each with its Dimension Organization. It prints, from the values it wrote,
//! which frames each stack and time point holds in slice order and the sum of each frame's
//! stored values. Here the catalog's dimensions must give the same frames in the same
//! order, each volume (stack, time point) must hold those frames' pixels, and
//! `hounsfield info --json` must report the same dimensions.

use hounsfield_conformance::{hounsfield_bin, make_4d, root};
use hounsfield_core::folder::Catalog;
use std::path::Path;

#[test]
fn stacks_and_time_points_hold_the_frames_the_tags_say() {
    let out = root().join("target/tmp/dimensions-oracle");
    let Some(expected) = make_4d(&out) else {
        return;
    };
    let expected = expected.as_object().expect("an object");
    let catalog = Catalog::scan(std::slice::from_ref(&out));
    assert_eq!(
        catalog.series.len(),
        expected.len(),
        "one series per folder"
    );
    let mut frames_checked = 0;
    for (i, series) in catalog.series.iter().enumerate() {
        let folder = series.series_description.clone().unwrap_or_default();
        let stacks = expected[&folder].as_array().expect("stacks");
        let (inputs, dimensions) = catalog.dimensions(i).expect("dimensions");
        assert_eq!(dimensions.stacks.len(), stacks.len(), "{folder}: stacks");
        // Every frame of every file is in the dimensions once.
        let frames_in_files: usize = series
            .instances
            .iter()
            .map(|&k| catalog.instances[k].frames.max(1) as usize)
            .sum();
        assert_eq!(dimensions.frames(), frames_in_files, "{folder}: frames");
        for (s, stack) in stacks.iter().enumerate() {
            let times = stack.as_array().expect("time points");
            let ours = &dimensions.stacks[s];
            assert_eq!(ours.time_points.len(), times.len(), "{folder}: time points");
            for (t, time_point) in times.iter().enumerate() {
                let theirs: Vec<(String, usize, i64)> = time_point
                    .as_array()
                    .expect("frames")
                    .iter()
                    .map(|f| {
                        (
                            f[0].as_str().unwrap_or_default().to_string(),
                            f[1].as_u64().unwrap_or(u64::MAX) as usize,
                            f[2].as_i64().unwrap_or(i64::MIN),
                        )
                    })
                    .collect();
                let order: Vec<(String, usize)> = ours.time_points[t]
                    .inputs
                    .iter()
                    .map(|&k| {
                        let name = Path::new(&inputs[k].name)
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned());
                        (name.unwrap_or_default(), inputs[k].frame)
                    })
                    .collect();
                let want: Vec<(String, usize)> =
                    theirs.iter().map(|(n, f, _)| (n.clone(), *f)).collect();
                assert_eq!(order, want, "{folder}: stack {s}, time point {t}");
                // The volume of that stack and time point holds those frames' pixels.
                let volume = catalog.volume_at(i, s, t).expect("volume");
                let per = (volume.stack.columns * volume.stack.rows) as usize;
                let sums: Vec<i64> = (0..volume.stack.slices.len())
                    .map(|k| {
                        assert!(
                            !volume.data.is_modality_values(),
                            "{folder}: stored values expected"
                        );
                        let slice = volume.data.slice(k, per);
                        (0..slice.len()).map(|i| slice.get(i) as i64).sum()
                    })
                    .collect();
                let want: Vec<i64> = theirs.iter().map(|(_, _, sum)| *sum).collect();
                assert_eq!(sums, want, "{folder}: stack {s}, time point {t}: pixels");
                frames_checked += sums.len();
            }
        }
    }
    println!(
        "dimensions: {frames_checked} frames in their stacks and time points, as pydicom wrote them"
    );
    assert_eq!(frames_checked, 24 + 12 + 12 + 12);

    // The command line reports the same dimensions.
    let bin = hounsfield_bin();
    let info = std::process::Command::new(&bin)
        .args(["info", "--json"])
        .arg(&out)
        .output()
        .expect("run hounsfield info");
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).expect("info json");
    for entry in info["series"].as_array().expect("series") {
        let folder = entry["series_description"].as_str().unwrap_or_default();
        let stacks = expected[folder].as_array().expect("stacks");
        let d = &entry["dimensions"];
        let first = stacks[0].as_array().expect("time points");
        assert_eq!(d["columns"], 512, "{folder}");
        assert_eq!(d["rows"], 512, "{folder}");
        assert_eq!(
            d["slices"],
            first[0].as_array().map_or(0, Vec::len),
            "{folder}"
        );
        assert_eq!(d["time_points"], first.len(), "{folder}");
        assert_eq!(d["stacks"], stacks.len(), "{folder}");
        let axis = match folder {
            "classic-temporal" => Some("Temporal Position Identifier"),
            "classic-acquisitions" => Some("Acquisition Number"),
            "enhanced-temporal" => Some("Temporal Position Index"),
            _ => None,
        };
        assert_eq!(d["time_axis"].as_str(), axis, "{folder}");
    }
}
