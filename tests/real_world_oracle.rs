//! Real World Value Mapping against highdicom. `tests/scripts/make_pmap.py` writes
//! Parametric Maps with highdicom over two real CT slices: 16-bit values with a linear
//! mapping, float values (Float Pixel Data) with a linear mapping, and 16-bit values with
//! a Real World Value LUT. At points over both frames of each, the real-world value that
//! `hounsfield measure --roi point:X,Y --json` reports (the viewers' pointer readout uses
//! the same mapping) equals highdicom's own Real World Value transform
//! (`RealWorldValueMapping.apply`) of the pixel as pydicom decodes it, with the file's
//! label and units. (highdicom's whole-image reader does not take Float Pixel Data.)

use hounsfield_conformance::{hounsfield_bin, root, run_python};
use std::process::Command;

/// highdicom's real-world values of the pixels asked for: JSON {file: {frame: [[x, y,
/// value]]}}, and each file's label and units.
const ORACLE: &str = r#"
import json, sys, warnings
warnings.filterwarnings("ignore")
import highdicom as hd
import pydicom
req = json.loads(sys.argv[1])
out = {}
for path, points in req.items():
    ds = pydicom.dcmread(path)
    item = ds.SharedFunctionalGroupsSequence[0].RealWorldValueMappingSequence[0]
    # The item read as highdicom's mapping (its reader of whole images fails on Float
    # Pixel Data), applied to pydicom's decoded frames.
    item.__class__ = hd.pm.RealWorldValueMapping
    pixels = ds.pixel_array
    frames = {}
    for n in (1, 2):
        f = item.apply(pixels[n - 1])
        frames[str(n)] = [[x, y, float(f[y, x])] for x, y in points]
    out[path] = {"frames": frames, "label": item.LUTLabel, "units": item.MeasurementUnitsCodeSequence[0].CodeValue}
print(json.dumps(out))
"#;

#[test]
fn point_values_equal_highdicoms_real_world_transform() {
    let dir = root().join("target/tmp/real-world-oracle");
    let Some(made) = hounsfield_conformance::made_from_ct("make_pmap.py", "highdicom", &dir) else {
        return;
    };
    // Points across the image: background, soft tissue, bone, edges.
    let points: Vec<[u32; 2]> = vec![
        [0, 0],
        [511, 511],
        [256, 256],
        [200, 300],
        [256, 60],
        [100, 256],
        [300, 140],
        [256, 400],
        [180, 200],
        [330, 330],
    ];
    let files: Vec<String> = made["files"]
        .as_object()
        .expect("files")
        .values()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert_eq!(files.len(), 3);
    let request: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .map(|f| (f.clone(), serde_json::json!(points)))
        .collect();
    let oracle: serde_json::Value = serde_json::from_slice(&run_python(
        ORACLE,
        &[serde_json::Value::Object(request).to_string()],
    ))
    .expect("JSON values");
    let mut compared = 0;
    for file in &files {
        let want = &oracle[file];
        for frame in ["1", "2"] {
            let mut cmd = Command::new(hounsfield_bin());
            cmd.args(["measure", file, "--frame", frame, "--json"]);
            for [x, y] in &points {
                cmd.arg("--roi").arg(format!("point:{x},{y}"));
            }
            let o = cmd.output().expect("hounsfield measure");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let got: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
            let measurements = got["measurements"].as_array().expect("measurements");
            for (k, expected) in want["frames"][frame]
                .as_array()
                .expect("points")
                .iter()
                .enumerate()
            {
                let rw = &measurements[k]["real_world"][0];
                let value = rw["value"].as_f64().unwrap_or(f64::NAN);
                let oracle_value = expected[2].as_f64().unwrap_or(f64::NAN);
                // highdicom maps float pixel data in single precision, Hounsfield in
                // double: they agree to a float's precision there, exactly otherwise.
                let tolerance = if file.contains("float") { 1e-6 } else { 1e-12 };
                assert!(
                    (value - oracle_value).abs() <= tolerance * oracle_value.abs().max(1.0),
                    "{file} frame {frame} at {expected}: {value} against highdicom's {oracle_value}"
                );
                assert_eq!(rw["label"], want["label"], "{file}");
                assert_eq!(rw["units"], want["units"], "{file}");
                compared += 1;
            }
        }
        println!(
            "{file}: {} = highdicom at {} points over 2 frames",
            want["label"],
            points.len()
        );
    }
    assert_eq!(compared, files.len() * 2 * points.len());
}
