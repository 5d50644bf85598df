//! Region statistics, lengths and angles against NumPy: for every grey, classic (not
//! enhanced) image of the corpus in a lossless syntax, an ellipse and a rectangle sized to
//! the image, a quarter of the image from its corner (over a CT's padding), a concave
//! freehand polygon (the even-odd rule, its edges off every pixel centre), a probe (the
//! nearest pixel), a line across it, an angle and a Cobb angle (in the patient: pixels
//! scaled by their size). pydicom reads the stored values of frame 0 and applies the Modality LUT; NumPy keeps
//! the pixels whose centres satisfy the same inclusion rule (pixel centres at integers:
//! ((x-CX)/RX)^2 + ((y-CY)/RY)^2 <= 1, columns X..X+W-1 and rows Y..Y+H-1), leaves out
//! Pixel Padding Value / Range, and gives the mean, population standard deviation, minimum
//! and maximum. The pixel size follows PS3.3 10.7.1.3, written again in Python: Pixel
//! Spacing for cross-sectional images; for projection radiographs a Pixel Spacing that
//! differs from Imager Pixel Spacing (or has a Calibration Type), else Imager Pixel
//! Spacing divided by the Estimated Radiographic Magnification Factor when there is one;
//! pixels when nothing is known. `hounsfield measure --json` prints the same numbers.

use hounsfield_conformance::{
    hounsfield_bin, missing, pydicom_per_file, python, python_per_path, root,
};
use hounsfield_core::DicomFile;
use hounsfield_core::measure::{Roi, measure};
use std::path::Path;

const SCRIPT: &str = r#"
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, pydicom
from pydicom.pixels import apply_modality_lut
sys.path.insert(0, "tests/scripts")
from padding import padding_range
PROJECTION = {"CR", "DX", "MG", "RG", "XA", "RF", "IO", "PX", "DF", "GM"}
def pair(v):
    try:
        v = [float(x) for x in v]
        return v if len(v) == 2 and all(x > 0 and np.isfinite(x) for x in v) else None
    except Exception:
        return None
for path in sys.stdin.read().splitlines():
    try:
        d = pydicom.dcmread(path)
        if "PerFrameFunctionalGroupsSequence" in d or not str(d.get("PhotometricInterpretation", "")).startswith("MONOCHROME"):
            print(json.dumps(None)); continue
        a = d.pixel_array
        if int(d.get("NumberOfFrames", 1) or 1) > 1:
            a = a[0]
        h, w = a.shape[:2]
        m = apply_modality_lut(a.astype(np.float64), d)
        keep = np.ones(a.shape, bool)
        if padding_range(d) is not None:
            lo, hi = padding_range(d)
            keep = (a < lo) | (a > hi)
        ps, ips = pair(d.get("PixelSpacing")), pair(d.get("ImagerPixelSpacing"))
        modality = str(d.get("Modality", "")).strip()
        projection = modality in PROJECTION or (ips is not None and "ImageOrientationPatient" not in d)
        calibrated = "PixelSpacingCalibrationType" in d
        if not projection:
            size, spacing = (ps, "Patient") if ps else (None, "Pixels")
        elif ps and ips and (calibrated or ps != ips):
            size, spacing = ps, "Calibrated"
        elif ps and not ips:
            size, spacing = ps, ("Calibrated" if calibrated else "Detector")
        elif ips:
            try:
                f = float(d.get("EstimatedRadiographicMagnificationFactor"))
            except Exception:
                f = None
            if f and f > 0:
                size, spacing = [ips[0] / f, ips[1] / f], "Magnification"
            else:
                size, spacing = ips, "Detector"
        else:
            size, spacing = None, "Pixels"
        row, col = size if size else (1.0, 1.0)
        Y, X = np.mgrid[0:h, 0:w]
        cx, cy, rx, ry = w / 2 - 0.25, h / 2 + 0.5, w / 3, h / 4
        x0, y0, rw, rh = w // 4, h // 4, max(w // 3, 1), max(h // 5, 1)
        # A concave freehand polygon, its vertices off the pixel grid so that no edge
        # passes through a pixel centre (then every inclusion rule agrees); the even-odd
        # crossing test written again here.
        poly = [(0.2 * w + 0.3127, 0.3 * h + 0.1931), (0.7 * w + 0.2719, 0.2 * h + 0.4417),
                (0.8 * w + 0.1173, 0.7 * h + 0.3313), (0.45 * w + 0.2237, 0.55 * h + 0.1571),
                (0.3 * w + 0.0917, 0.85 * h + 0.3779)]
        inside = np.zeros(a.shape[:2], bool)
        for (xa, ya), (xb, yb) in zip(poly, poly[1:] + poly[:1]):
            straddle = (ya > Y) != (yb > Y)
            with np.errstate(divide="ignore", invalid="ignore"):
                cross = xa + (Y - ya) / (yb - ya) * (xb - xa)
            inside ^= straddle & (X < cross)
        # A probe: the pixel whose centre is nearest.
        px, py = w / 3 + 0.4, h / 2 - 0.3
        regions = {
            "polygon": inside,
            "point": (X == np.floor(px + 0.5)) & (Y == np.floor(py + 0.5)),
            "ellipse": ((X - cx) / rx) ** 2 + ((Y - cy) / ry) ** 2 <= 1,
            "rect": (X >= x0) & (X < x0 + rw) & (Y >= y0) & (Y < y0 + rh),
            # A quarter of the image from its corner: over the padding of a CT's corners.
            "corner": (X < max(w // 2, 1)) & (Y < max(h // 2, 1)),
        }
        out = {"spacing": spacing, "size": [row, col],
               "rois": {"ellipse": f"ellipse:{cx!r},{cy!r},{rx!r},{ry!r}", "rect": f"rect:{x0},{y0},{rw},{rh}", "corner": f"rect:0,0,{max(w // 2, 1)},{max(h // 2, 1)}",
                        "line": f"line:1.5,2,{w - 3},{h - 1.25}",
                        "polygon": "polygon:" + ",".join(f"{v!r}" for p in poly for v in p),
                        "point": f"point:{px!r},{py!r}",
                        "angle": f"angle:1.5,2,{w / 2!r},{h / 3!r},{w - 3},{h - 1.25}",
                        "cobb": f"cobb:0,0,{w - 1},{h / 5!r},0,{h - 1},{w - 1},{h / 2!r}"}}
        for name, mask in regions.items():
            v = m[mask & keep]
            out[name] = {"pixels": int(mask.sum()), "padding": int((mask & ~keep).sum()),
                         "mean": float(v.mean()) if v.size else None, "sd": float(v.std()) if v.size else None,
                         "min": float(v.min()) if v.size else None, "max": float(v.max()) if v.size else None,
                         "area": float(mask.sum()) * row * col if size else None}
        out["length"] = float(np.hypot((w - 3 - 1.5) * col, (h - 1.25 - 2) * row))
        def between(u, v):
            return float(np.degrees(np.arctan2(abs(u[0] * v[1] - u[1] * v[0]), u[0] * v[0] + u[1] * v[1])))
        vertex = (w / 2, h / 3)
        out["angle"] = between(((1.5 - vertex[0]) * col, (2 - vertex[1]) * row),
                               ((w - 3 - vertex[0]) * col, (h - 1.25 - vertex[1]) * row))
        cobb = between(((w - 1) * col, (h / 5) * row), ((w - 1) * col, (h / 2 - (h - 1)) * row))
        out["cobb"] = 180 - cobb if cobb > 90 else cobb
        print(json.dumps(out))
    except Exception as e:
        print(json.dumps(None))
"#;

/// Relative agreement (sums of many values: the order of additions differs).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn region_statistics_and_lengths_match_numpy() {
    // Lossy syntaxes left out: their decoders may differ by a grey level (the decode
    // oracle covers that), which is not what this test is about.
    let Some(answers) = pydicom_per_file(SCRIPT, |d| {
        !d.transfer_syntax().lossy
            && d.image()
                .is_ok_and(|i| i.samples_per_pixel == 1 && i.number_of_frames >= 1)
    }) else {
        return;
    };
    let mut tally = Tally::default();
    let mut cli_checked = Vec::new();
    for (f, file, theirs) in &answers {
        if theirs.is_null() {
            continue;
        }
        check_file(&f.label, file, theirs, &mut tally);
        let spacing = theirs["spacing"].as_str().unwrap_or_default();
        // The command line prints the same numbers (a few files of different kinds).
        if cli_checked.len() < 3 && !cli_checked.contains(&spacing.to_string()) {
            cli_checked.push(spacing.to_string());
            check_cli(&f.path, theirs);
        }
    }
    let Tally {
        regions,
        angles,
        padded,
        spacings,
    } = &tally;
    println!(
        "measure: {regions} regions (ellipses, rectangles, freehand polygons, probes) and {angles} angles against NumPy ({padded} with padding left out); pixel sizes {spacings:?}; command line checked for {cli_checked:?}"
    );
    assert!(*regions >= 160, "only {regions} regions were compared");
    assert!(*angles >= 40, "only {angles} angles were compared");
    assert!(*padded >= 1, "no region had padding to leave out");
    for kind in ["Patient", "Detector", "Pixels"] {
        assert!(
            spacings.contains_key(kind),
            "no file measured with {kind} pixel size: {spacings:?}"
        );
    }
}

/// Counts of what [`check_file`] compared.
#[derive(Default)]
struct Tally {
    regions: usize,
    angles: usize,
    padded: usize,
    spacings: std::collections::BTreeMap<String, usize>,
}

/// Compares every measurement of `file` (`label`) with pydicom and NumPy's `theirs`.
fn check_file(label: &str, file: &DicomFile, theirs: &serde_json::Value, tally: &mut Tally) {
    let spacing = theirs["spacing"].as_str().unwrap_or_default();
    for name in [
        "ellipse", "rect", "corner", "polygon", "point", "line", "angle", "cobb",
    ] {
        let roi = Roi::parse(theirs["rois"][name].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{}: {e}", label));
        let ours = measure(file, 0, &roi);
        if name == "angle" || name == "cobb" {
            let angle = ours
                .unwrap_or_else(|e| panic!("{}: {e}", label))
                .angle
                .unwrap_or(f64::NAN);
            let want = theirs[name].as_f64().unwrap_or(f64::NAN);
            assert!(
                (angle - want).abs() < 1e-9,
                "{label} {name}: {angle} degrees, NumPy {want}"
            );
            tally.angles += 1;
            continue;
        }
        if name == "line" {
            let m = ours.unwrap_or_else(|e| panic!("{}: {e}", label));
            assert_eq!(format!("{:?}", m.pixel_size.spacing), spacing, "{}", label);
            let size = theirs["size"].as_array().expect("size");
            assert_eq!(
                [m.pixel_size.row_mm, m.pixel_size.column_mm],
                [
                    size[0].as_f64().unwrap_or(0.0),
                    size[1].as_f64().unwrap_or(0.0)
                ],
                "{}: pixel size",
                label
            );
            let length = m.length.unwrap_or(f64::NAN);
            let want = theirs["length"].as_f64().unwrap_or(f64::NAN);
            assert!(
                close(length, want),
                "{}: length {length}, NumPy {want}",
                label
            );
            *tally.spacings.entry(spacing.to_string()).or_insert(0) += 1;
            continue;
        }
        let t = &theirs[name];
        if t["mean"].is_null() {
            // Every pixel of the region is padding: an error that says so.
            let e = ours.expect_err("a region of padding only is an error");
            assert!(e.contains("Pixel Padding"), "{}: {e}", label);
            continue;
        }
        let s = ours
            .unwrap_or_else(|e| panic!("{}: {e}", label))
            .statistics
            .expect("statistics");
        let num = |k: &str| t[k].as_f64().unwrap_or(f64::NAN);
        assert_eq!(
            s.pixels as u64,
            t["pixels"].as_u64().unwrap_or(0),
            "{} {name}: pixels",
            label
        );
        assert_eq!(
            s.padding_pixels as u64,
            t["padding"].as_u64().unwrap_or(0),
            "{} {name}: padding",
            label
        );
        for (k, ours) in [
            ("mean", s.mean),
            ("sd", s.sd),
            ("min", s.min),
            ("max", s.max),
        ] {
            assert!(
                close(ours, num(k)),
                "{} {name}: {k} {ours}, NumPy {}",
                label,
                num(k)
            );
        }
        match (s.area_mm2, t["area"].as_f64()) {
            (Some(a), Some(b)) => {
                assert!(close(a, b), "{} {name}: area {a}, NumPy {b}", label)
            }
            (a, b) => assert_eq!(a, b, "{} {name}: area", label),
        }
        tally.regions += 1;
        tally.padded += usize::from(s.padding_pixels > 0);
    }
}

/// `hounsfield measure --json` on `path` with the regions of `theirs`.
fn check_cli(path: &Path, theirs: &serde_json::Value) {
    let bin = hounsfield_bin();
    let mut cmd = std::process::Command::new(&bin);
    cmd.arg("measure").arg(path).arg("--json");
    for name in ["ellipse", "rect", "line"] {
        cmd.arg("--roi")
            .arg(theirs["rois"][name].as_str().unwrap_or_default());
    }
    let out = cmd.output().expect("run hounsfield measure");
    if theirs["ellipse"]["mean"].is_null() || theirs["rect"]["mean"].is_null() {
        assert!(!out.status.success(), "a region of padding only must fail");
        return;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let m = &doc["measurements"];
    for (k, name) in ["ellipse", "rect"].iter().enumerate() {
        for key in ["mean", "sd", "min", "max"] {
            let (a, b) = (
                m[k][key].as_f64().unwrap_or(f64::NAN),
                theirs[name][key].as_f64().unwrap_or(f64::NAN),
            );
            assert!(
                close(a, b),
                "{}: measure --json {name} {key} {a}, NumPy {b}",
                path.display()
            );
        }
        assert_eq!(m[k]["pixels"], theirs[name]["pixels"], "{}", path.display());
        match (m[k]["area_mm2"].as_f64(), theirs[name]["area"].as_f64()) {
            (Some(a), Some(b)) => assert!(close(a, b), "{}: area {a}, NumPy {b}", path.display()),
            (a, b) => assert_eq!(a, b, "{}: area", path.display()),
        }
    }
    let length = if theirs["spacing"] == "Pixels" {
        &m[2]["length_pixels"]
    } else {
        &m[2]["length_mm"]
    };
    assert!(
        close(
            length.as_f64().unwrap_or(f64::NAN),
            theirs["length"].as_f64().unwrap_or(0.0)
        ),
        "{}: length",
        path.display()
    );
}

/// Projection radiographs as PS3.3 10.7.1.3 distinguishes them, made with pydicom from a
/// real CR (Imager Pixel Spacing only): with an Estimated Radiographic Magnification
/// Factor, with a calibrated Pixel Spacing (and its Calibration Type), and with a Pixel
/// Spacing that only repeats the detector's.
#[test]
fn radiograph_calibrations_give_the_pixel_size_they_say() {
    let source = hounsfield_conformance::testdata_dir()
        .join("pydicom-3.0.2/pydicom/data/test_files/dicomdirtests/77654033/CR1/6154");
    if !source.exists() || !python().exists() {
        return missing("the pydicom wheel's CR and the pydicom oracle");
    }
    let out = root().join("target/tmp/measure-calibrations");
    std::fs::create_dir_all(&out).expect("output folder");
    let made = std::process::Command::new(python())
        .arg("-c")
        .arg(
            r#"
import sys, pydicom
src, out = sys.argv[1], sys.argv[2]
for name, change in [
    ("magnification", lambda d: setattr(d, "EstimatedRadiographicMagnificationFactor", 1.25)),
    ("calibrated", lambda d: (setattr(d, "PixelSpacing", [0.12, 0.11]), setattr(d, "PixelSpacingCalibrationType", "GEOMETRY"))),
    ("detector-copy", lambda d: setattr(d, "PixelSpacing", list(d.ImagerPixelSpacing))),
]:
    d = pydicom.dcmread(src)
    change(d)
    d.save_as(f"{out}/{name}.dcm")
"#,
        )
        .arg(&source)
        .arg(&out)
        .status()
        .expect("run python");
    assert!(made.success(), "the variants were not written");
    let names = ["magnification", "calibrated", "detector-copy"];
    let paths: Vec<std::path::PathBuf> =
        names.iter().map(|n| out.join(format!("{n}.dcm"))).collect();
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let mut tally = Tally::default();
    for ((name, path), line) in names.iter().zip(&paths).zip(python_per_path(SCRIPT, &refs)) {
        let theirs: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert!(!theirs.is_null(), "{name}: pydicom could not read it");
        let file = DicomFile::open(path).unwrap_or_else(|e| panic!("{e}"));
        check_file(name, &file, &theirs, &mut tally);
    }
    let kinds: Vec<&String> = tally.spacings.keys().collect();
    println!("radiograph calibrations: {kinds:?}");
    assert_eq!(kinds, ["Calibrated", "Detector", "Magnification"]);
}
