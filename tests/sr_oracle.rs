//! Measurements saved as DICOM Structured Reports (TID 1500), checked by two readers
//! nobody here wrote: `dciodvfy` (dicom3tools) validates each report against the
//! Comprehensive SR IOD and reports no error, and highdicom reads back every measurement
//! group: its tracking identifier, the Image Region (graphic type and points, which are the
//! ROI's in SCOORD coordinates: pixel centres at +0.5), the image (and frame) it was
//! selected from, and each number with its unit, equal to what `hounsfield measure --json`
//! printed. Patient and study are the image's. Files: a CT (HU), an MR (no units), a
//! frame of a multi-frame MR, a CR measured at the detector.

use hounsfield_conformance::{hounsfield_bin, missing, python, root, run_python, testdata_dir};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const READ: &str = r#"
import json, sys, warnings
warnings.filterwarnings("ignore")
import highdicom as hd, pydicom
path = sys.argv[1]
ds = pydicom.dcmread(path)
doc = hd.sr.srread(path)
groups = []
for g in doc.content.get_planar_roi_measurement_groups():
    ref = g.roi.ContentSequence[0].ReferencedSOPSequence[0]
    groups.append({
        "id": g.tracking_identifier,
        "graphic_type": g.roi.graphic_type.value,
        "points": g.roi.value.tolist(),
        "image": ref.ReferencedSOPInstanceUID,
        "frame": int(ref.ReferencedFrameNumber) if "ReferencedFrameNumber" in ref else None,
        "measurements": {m.name.meaning: [float(m.value), m.unit.value] for m in g.get_measurements()},
    })
evidence = [s.ReferencedSOPInstanceUID for e in ds.CurrentRequestedProcedureEvidenceSequence
            for se in e.ReferencedSeriesSequence for s in se.ReferencedSOPSequence]
print(json.dumps({"groups": groups, "patient_id": ds.PatientID, "study": ds.StudyInstanceUID,
                  "modality": ds.Modality, "template": ds.ContentTemplateSequence[0].TemplateIdentifier,
                  "evidence": evidence}))
"#;

const IMAGE: &str = r#"
import json, sys, pydicom
d = pydicom.dcmread(sys.argv[1], stop_before_pixels=True)
print(json.dumps({"patient_id": d.get("PatientID", ""), "study": d.StudyInstanceUID, "sop": d.SOPInstanceUID,
                  "frames": int(d.get("NumberOfFrames", 1) or 1), "rows": d.Rows, "columns": d.Columns}))
"#;

/// The files, dciodvfy and highdicom are there; else the oracle is reported missing
/// (which fails the test where oracles are required).
fn prerequisites(paths: &[&Path]) -> bool {
    if let Some(f) = paths.iter().find(|f| !f.exists()) {
        missing(&f.display().to_string());
        return false;
    }
    if Command::new("dciodvfy").arg("-help").output().is_err() {
        missing("dciodvfy (Debian dicom3tools)");
        return false;
    }
    if !Command::new(python())
        .args(["-c", "import highdicom"])
        .status()
        .is_ok_and(|s| s.success())
    {
        missing("highdicom in target/venv");
        return false;
    }
    true
}

/// What `dciodvfy` says of `path`, and its error lines.
fn dciodvfy(path: &Path) -> (String, Vec<String>) {
    let v = Command::new("dciodvfy")
        .arg(path)
        .output()
        .expect("dciodvfy");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    let errors = said
        .lines()
        .filter(|l| l.starts_with("Error"))
        .map(str::to_string)
        .collect();
    (said, errors)
}

fn python_json(script: &str, arg: &Path) -> Value {
    serde_json::from_slice(&run_python(script, &[arg])).expect("json")
}

/// The ROIs measured on a `w` x `h` image: one of each kind.
fn rois(w: f64, h: f64) -> Vec<String> {
    vec![
        format!("ellipse:{},{},{},{}", w / 2.0, h / 2.0, w / 4.0, h / 5.0),
        format!(
            "rect:{},{},{},{}",
            (w / 5.0).floor(),
            (h / 6.0).floor(),
            (w / 3.0).floor(),
            (h / 4.0).floor()
        ),
        format!(
            "polygon:{},{},{},{},{},{}",
            w * 0.2,
            h * 0.3,
            w * 0.8,
            h * 0.25,
            w * 0.5,
            h * 0.9
        ),
        format!("point:{},{}", w / 3.0, h / 2.0),
        format!("line:1.5,2,{},{}", w - 3.0, h - 1.25),
        format!("angle:2,3,{},{},{},{}", w / 2.0, h / 2.0, w - 4.0, 5.0),
        format!(
            "cobb:0,0,{},{},0,{},{},{}",
            w - 1.0,
            h / 5.0,
            h - 1.0,
            w - 1.0,
            h / 2.0
        ),
    ]
}

/// The Image Region highdicom should read for `roi` (SCOORD: pixel centres at +0.5).
fn region(roi: &str) -> (&'static str, Vec<[f64; 2]>) {
    let (kind, v) = roi.split_once(':').unwrap_or_default();
    let n: Vec<f64> = v.split(',').filter_map(|x| x.parse().ok()).collect();
    let s = |x: f64, y: f64| [x + 0.5, y + 0.5];
    let pairs = |n: &[f64]| n.chunks(2).map(|p| s(p[0], p[1])).collect::<Vec<_>>();
    match kind {
        "ellipse" => {
            let (cx, cy, rx, ry) = (n[0], n[1], n[2], n[3]);
            let (a, b) = (
                [s(cx - rx, cy), s(cx + rx, cy)],
                [s(cx, cy - ry), s(cx, cy + ry)],
            );
            let (major, minor) = if rx >= ry { (a, b) } else { (b, a) };
            ("ELLIPSE", vec![major[0], major[1], minor[0], minor[1]])
        }
        "rect" => {
            let (x0, y0, x1, y1) = (n[0], n[1], n[0] + n[2], n[1] + n[3]);
            (
                "POLYLINE",
                vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]],
            )
        }
        "polygon" => {
            let mut p = pairs(&n);
            p.push(p[0]);
            ("POLYLINE", p)
        }
        "point" => ("POINT", pairs(&n)),
        _ => ("POLYLINE", pairs(&n)),
    }
}

/// highdicom's concept names for the keys of `measure --json`.
const NUMBERS: [(&str, &str); 7] = [
    ("Length", "length_mm"),
    ("Angle", "angle_deg"),
    ("Area", "area_mm2"),
    ("Mean", "mean"),
    ("Standard Deviation", "sd"),
    ("Minimum", "min"),
    ("Maximum", "max"),
];

#[test]
fn measurement_reports_pass_dciodvfy_and_read_back_in_highdicom() {
    let data = testdata_dir();
    let files = [
        (
            "CT",
            data.join("pydicom-3.0.2/pydicom/data/test_files/CT_small.dcm"),
            1,
        ),
        (
            "MR",
            data.join("pydicom-3.0.2/pydicom/data/test_files/MR_small.dcm"),
            1,
        ),
        (
            "multi-frame MR",
            data.join("pydicom-data-1.0.0/data_store/data/emri_small.dcm"),
            3,
        ),
        (
            "CR",
            data.join("pydicom-3.0.2/pydicom/data/test_files/dicomdirtests/77654033/CR1/6154"),
            1,
        ),
    ];
    let paths: Vec<&Path> = files.iter().map(|(_, f, _)| f.as_path()).collect();
    if !prerequisites(&paths) {
        return;
    }
    let out = root().join("target/tmp/sr-oracle");
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut rows = Vec::new();
    for (label, path, frame) in &files {
        let image = python_json(IMAGE, path);
        let (w, h) = (
            image["columns"].as_f64().unwrap_or(0.0),
            image["rows"].as_f64().unwrap_or(0.0),
        );
        let rois = rois(w, h);
        let sr = out.join(format!("{}.sr.dcm", label.replace(' ', "-")));
        let _ = std::fs::remove_file(&sr);
        let mut cmd = Command::new(hounsfield_bin());
        cmd.arg("measure")
            .arg(path)
            .args(["--frame", &frame.to_string(), "--json", "--sr"])
            .arg(&sr);
        for r in &rois {
            cmd.args(["--roi", r]);
        }
        let run = cmd.output().expect("hounsfield measure");
        assert!(
            run.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let cli: Value = serde_json::from_slice(&run.stdout).expect("json");
        // dciodvfy: no error.
        let (said, errors) = dciodvfy(&sr);
        assert!(errors.is_empty(), "{label}: dciodvfy says\n{said}");
        assert!(
            said.contains("ComprehensiveSR"),
            "{label}: dciodvfy: {said}"
        );
        let warnings = said.lines().filter(|l| l.starts_with("Warning")).count();
        // highdicom reads it back.
        let back = python_json(READ, &sr);
        assert_eq!(back["template"], "1500");
        assert_eq!(back["modality"], "SR");
        assert_eq!(back["patient_id"], image["patient_id"], "{label}: patient");
        assert_eq!(back["study"], image["study"], "{label}: study");
        assert_eq!(back["evidence"], serde_json::json!([image["sop"]]));
        let groups = back["groups"].as_array().expect("groups");
        assert_eq!(groups.len(), rois.len(), "{label}: one group per ROI");
        let mut numbers = 0;
        for (k, (g, roi)) in groups.iter().zip(&rois).enumerate() {
            let ours = &cli["measurements"][k];
            assert_eq!(ours["roi"].as_str(), Some(roi.as_str()));
            let (kind, _) = roi.split_once(':').unwrap_or_default();
            let id = g["id"].as_str().unwrap_or_default();
            assert!(
                id.ends_with(&format!(" {}", k + 1)),
                "{label}: tracking id {id}"
            );
            let (graphic, points) = region(roi);
            assert_eq!(g["graphic_type"], graphic, "{label} {kind}");
            let got: Vec<[f64; 2]> = g["points"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            [
                                p[0].as_f64().unwrap_or(f64::NAN),
                                p[1].as_f64().unwrap_or(f64::NAN),
                            ]
                        })
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(got.len(), points.len(), "{label} {kind}: points");
            for (a, b) in got.iter().zip(&points) {
                assert!(
                    (a[0] - b[0]).abs() < 1e-3 && (a[1] - b[1]).abs() < 1e-3,
                    "{label} {kind}: point {a:?}, expected {b:?}"
                );
            }
            assert_eq!(g["image"], image["sop"], "{label} {kind}: image");
            let frames = image["frames"].as_u64().unwrap_or(1);
            let want_frame = (frames > 1).then_some(*frame);
            assert_eq!(
                g["frame"].as_u64(),
                want_frame.map(|f| f as u64),
                "{label}: frame"
            );
            let m = &g["measurements"];
            let mut expected = 0;
            for (name, key) in NUMBERS {
                // Lengths of images without a pixel size are in pixels.
                let key = if key == "length_mm" && ours[key].is_null() {
                    "length_pixels"
                } else {
                    key
                };
                let Some(want) = ours[key].as_f64() else {
                    assert!(m[name].is_null(), "{label} {kind}: {name} not measured");
                    continue;
                };
                expected += 1;
                let got = m[name][0].as_f64().unwrap_or(f64::NAN);
                assert_eq!(got, want, "{label} {kind}: {name}");
                let unit = m[name][1].as_str().unwrap_or_default();
                let want_unit = match key {
                    "length_mm" => "mm",
                    "length_pixels" => "{pixels}",
                    "angle_deg" => "deg",
                    "area_mm2" => "mm2",
                    _ if ours["units"] == "HU" => "[hnsf'U]",
                    _ => "1",
                };
                assert_eq!(unit, want_unit, "{label} {kind}: {name} unit");
            }
            assert!(expected > 0, "{label} {kind}: no number");
            assert_eq!(
                m.as_object().map_or(0, |o| o.len()),
                expected,
                "{label} {kind}: {m}"
            );
            numbers += expected;
        }
        rows.push(format!(
            "{label}: {} groups, {numbers} numbers read back by highdicom; dciodvfy: 0 errors, {warnings} warnings",
            groups.len()
        ));
    }
    for r in rows {
        println!("sr: {r}");
    }
}

const READ_3D: &str = r#"
import json, sys, warnings
warnings.filterwarnings("ignore")
import highdicom as hd
doc = hd.sr.srread(sys.argv[1])
groups = []
for g in doc.content.get_planar_roi_measurement_groups():
    groups.append({
        "id": g.tracking_identifier,
        "value_type": g.roi.value_type.value,
        "graphic_type": g.roi.graphic_type.value,
        "points": g.roi.value.tolist(),
        "frame_of_reference": g.roi.frame_of_reference_uid,
        "measurements": {m.name.meaning: [float(m.value), m.unit.value] for m in g.get_measurements()},
    })
print(json.dumps({"groups": groups, "sop_class": doc.SOPClassUID}))
"#;

/// Measurements on a plane cut through a volume are written in the patient: SCOORD3D
/// Image Regions with the image's Frame of Reference, in a Comprehensive 3D SR. `dciodvfy` finds no error; highdicom
/// reads each region as a 3D region whose points are the plane's pixel positions in the
/// patient, and the numbers with their units.
#[test]
fn plane_measurements_are_written_in_the_patient() {
    use hounsfield_core::measure::sr::{
        PlaneGeometry, ReportContext, ReportEntry, measurement_report,
    };
    use hounsfield_core::measure::{PixelSize, Roi, Spacing, measure_pixels};
    let path = testdata_dir().join("pydicom-3.0.2/pydicom/data/test_files/CT_small.dcm");
    if !prerequisites(&[&path]) {
        return;
    }
    let image = hounsfield_core::DicomFile::open(&path).expect("CT");
    let frame_of_reference = image
        .attributes()
        .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID)
        .expect("the CT has a Frame of Reference");
    // An oblique plane of 0.7 mm pixels.
    let (c, s) = (0.6_f64, 0.8_f64);
    let plane = PlaneGeometry {
        origin: [-120.5, 40.25, -310.0],
        column_step: [0.7 * c, 0.0, 0.7 * s],
        row_step: [0.0, 0.7, 0.0],
    };
    let size = PixelSize {
        row_mm: 0.7,
        column_mm: 0.7,
        spacing: Spacing::Patient,
    };
    let rois = [
        "line:10,20.5,200,130",
        "angle:5,5,50,60,120,8",
        "cobb:0,0,90,10,0,50,90,40",
    ];
    let measured: Vec<_> = rois
        .iter()
        .map(|r| {
            let roi = Roi::parse(r).expect("roi");
            measure_pixels(&roi, size, None).expect("measure")
        })
        .collect();
    let labels: Vec<String> = (1..=rois.len()).map(|k| format!("plane {k}")).collect();
    let entries: Vec<ReportEntry> = measured
        .iter()
        .zip(&labels)
        .map(|(m, label)| ReportEntry {
            measurement: m,
            image: &image,
            frame: 0,
            label,
            plane: Some(plane),
        })
        .collect();
    let context = ReportContext {
        date_time: ("20260101".into(), "120000".into()),
        series_number: 9901,
        device_name: "Hounsfield".into(),
    };
    let mut n = 0;
    let bytes = measurement_report(&entries, &context, &mut || {
        n += 1;
        format!("2.25.{n}")
    })
    .expect("report");
    let out = root().join("target/tmp/sr-oracle");
    std::fs::create_dir_all(&out).expect("mkdir");
    let sr = out.join("plane.sr.dcm");
    std::fs::write(&sr, bytes).expect("write");
    let (said, errors) = dciodvfy(&sr);
    assert!(errors.is_empty(), "dciodvfy says\n{said}");
    let back: Value = serde_json::from_slice(&run_python(READ_3D, &[&sr])).expect("json");
    // Comprehensive 3D SR: the SR class that holds SCOORD3D.
    assert_eq!(back["sop_class"], "1.2.840.10008.5.1.4.1.1.88.34");
    let groups = back["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), rois.len());
    for ((g, roi), m) in groups.iter().zip(rois).zip(&measured) {
        assert_eq!(g["value_type"], "SCOORD3D", "{roi}");
        assert_eq!(g["graphic_type"], "POLYLINE", "{roi}");
        assert_eq!(g["frame_of_reference"], frame_of_reference.as_str());
        let (_, v) = roi.split_once(':').unwrap_or_default();
        let n: Vec<f64> = v.split(',').filter_map(|x| x.parse().ok()).collect();
        let want: Vec<[f64; 3]> = n
            .chunks(2)
            .map(|p| {
                std::array::from_fn(|k| {
                    plane.origin[k] + p[0] * plane.column_step[k] + p[1] * plane.row_step[k]
                })
            })
            .collect();
        let got = g["points"].as_array().expect("points");
        assert_eq!(got.len(), want.len(), "{roi}");
        for (a, b) in got.iter().zip(&want) {
            for k in 0..3 {
                let x = a[k].as_f64().unwrap_or(f64::NAN);
                assert!((x - b[k]).abs() < 1e-3, "{roi}: {a} against {b:?}");
            }
        }
        let numbers = &g["measurements"];
        if let Some(length) = m.length {
            // Numeric Value is a 16-character decimal string.
            let got = numbers["Length"][0].as_f64().unwrap_or(f64::NAN);
            assert!((got - length).abs() < 1e-9, "{roi}: {got} against {length}");
            assert_eq!(numbers["Length"][1], "mm");
            // The length is the distance of the ends in the patient.
            let d: f64 = (0..3)
                .map(|k| (want[0][k] - want[1][k]).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!((length - d).abs() < 1e-9, "{roi}: {length} against {d}");
        }
        if let Some(angle) = m.angle {
            let got = numbers["Angle"][0].as_f64().unwrap_or(f64::NAN);
            assert!((got - angle).abs() < 1e-9, "{roi}: {got} against {angle}");
            assert_eq!(numbers["Angle"][1], "deg");
        }
    }
    println!(
        "sr: {} measurements on an oblique plane as SCOORD3D, read back by highdicom; dciodvfy: 0 errors",
        groups.len()
    );
}

/// Regions drawn on a plane (`hounsfield measure FOLDER --plane ... --sr`): each ROI kind
/// on a sagittal plane of a real CT is written as a SCOORD3D region (POLYGON for closed
/// regions, ELLIPSE, POINT; POLYLINE for lines and angles) in the series' Frame of
/// Reference. `dciodvfy` finds no error; highdicom reads each region's points at the
/// patient positions the printed plane geometry gives, and the numbers and units the
/// command printed.
#[test]
fn plane_regions_from_the_command_line_are_written_in_the_patient() {
    let Some(folder) = hounsfield_conformance::shared("ct-philips-brain") else {
        return;
    };
    if !prerequisites(&[&folder]) {
        return;
    }
    let out = root().join("target/tmp/sr-oracle");
    std::fs::create_dir_all(&out).expect("mkdir");
    let sr = out.join("plane-regions.sr.dcm");
    let _ = std::fs::remove_file(&sr);
    let run = |rois: &[String], sr: Option<&Path>| -> Value {
        let mut cmd = Command::new(hounsfield_bin());
        cmd.arg("measure")
            .arg(&folder)
            .args(["--plane", "sagittal", "--json"]);
        for r in rois {
            cmd.arg("--roi").arg(r);
        }
        if let Some(sr) = sr {
            cmd.arg("--sr").arg(sr);
        }
        let o = cmd.output().expect("hounsfield measure");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).expect("json")
    };
    let plane = run(&["line:0,0,1,1".into()], None)["plane"].clone();
    let size = |k: &str| plane[k].as_f64().unwrap_or(f64::NAN);
    let rois = rois(size("columns"), size("rows"));
    let cli = run(&rois, Some(&sr));
    let (said, errors) = dciodvfy(&sr);
    assert!(errors.is_empty(), "dciodvfy says\n{said}");
    let back: Value = serde_json::from_slice(&run_python(READ_3D, &[&sr])).expect("json");
    let groups = back["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), rois.len());
    let step =
        |k: &str| -> [f64; 3] { std::array::from_fn(|i| plane[k][i].as_f64().unwrap_or(f64::NAN)) };
    let (origin, column, row) = (step("origin"), step("column_step"), step("row_step"));
    for (k, (g, roi)) in groups.iter().zip(&rois).enumerate() {
        let (graphic, points) = region(roi);
        let closed = roi.starts_with("rect") || roi.starts_with("polygon");
        let graphic = if closed { "POLYGON" } else { graphic };
        assert_eq!(g["value_type"], "SCOORD3D", "{roi}");
        assert_eq!(g["graphic_type"], graphic, "{roi}");
        let got = g["points"].as_array().expect("points");
        assert_eq!(got.len(), points.len(), "{roi}");
        for (a, p) in got.iter().zip(&points) {
            // SCOORD coordinates (centres at +0.5) back to the plane's pixels.
            let (x, y) = (p[0] - 0.5, p[1] - 0.5);
            for i in 0..3 {
                let want = origin[i] + x * column[i] + y * row[i];
                let v = a[i].as_f64().unwrap_or(f64::NAN);
                assert!((v - want).abs() < 1e-3, "{roi}: {a} against {want} ({i})");
            }
        }
        let ours = &cli["measurements"][k];
        for (name, key) in NUMBERS {
            let Some(want) = ours[key].as_f64() else {
                continue;
            };
            let m = &g["measurements"][name];
            assert_eq!(m[0].as_f64(), Some(want), "{roi}: {name}");
            if ["mean", "sd", "min", "max"].contains(&key) {
                assert_eq!(m[1], "[hnsf'U]", "{roi}: {name}");
            }
        }
    }
    println!(
        "sr: {} measurements on a sagittal plane of a CT (every ROI kind) as SCOORD3D, read back by highdicom; dciodvfy: 0 errors",
        groups.len()
    );
}

/// `--sr` never writes over an image (nor any file that is not a measurement report): the
/// command fails, names the file, and leaves its bytes as they were; an earlier report is
/// replaced.
#[test]
fn the_report_never_replaces_an_image() {
    let data = testdata_dir().join("pydicom-3.0.2/pydicom/data/test_files");
    let (ct, mr) = (data.join("CT_small.dcm"), data.join("MR_small.dcm"));
    if !prerequisites(&[&ct, &mr]) {
        return;
    }
    let out = root().join("target/tmp/sr-oracle");
    std::fs::create_dir_all(&out).expect("mkdir");
    let other = out.join("other-image.dcm");
    std::fs::copy(&mr, &other).expect("copy");
    let before = std::fs::read(&other).expect("read");
    let measure = |sr: &Path| {
        Command::new(hounsfield_bin())
            .arg("measure")
            .arg(&ct)
            .args(["--roi", "rect:10,10,20,20", "--sr"])
            .arg(sr)
            .output()
            .expect("hounsfield measure")
    };
    for target in [&other, &ct] {
        let o = measure(target);
        let said = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{} was written over", target.display());
        assert!(
            said.contains(&target.display().to_string()) && said.contains("not overwritten"),
            "{said}"
        );
    }
    assert_eq!(std::fs::read(&other).expect("read"), before);
    let report = out.join("again.sr.dcm");
    let _ = std::fs::remove_file(&report);
    for _ in 0..2 {
        let o = measure(&report);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}
