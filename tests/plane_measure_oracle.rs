//! Region statistics on planes (MPR) against NumPy. `hounsfield measure FOLDER --plane P
//! --json` measures an ellipse, the whole plane (over the pixels outside the volume and
//! a CT's padding), a quarter of it, a concave freehand polygon and a probe on planes cut
//! through real series: a plain axial CT (sagittal and coronal) and a CT with gantry tilt
//! and variable slice spacing (coronal, sagittal and an axial plane, which crosses its
//! tilted slices).
//!
//! pydicom reads the slices and NumPy samples the plane again from the geometry the
//! command prints (the centre of pixel (0, 0) and the steps to the next column and row):
//! each pixel's patient point is placed between the two slices around it along the slice
//! normal (beyond the end slices, within half the end gap), bilinear in each slice at the
//! point's own column and row there (inside the slice's pixel area; edge pixels repeat
//! beyond their centres), then linear between the slices, on modality values. A pixel
//! outside the volume is not part of a region; one whose samples take a Pixel Padding
//! voxel (with a weight above zero) is counted and left out of the numbers, as on an
//! image. The same inclusion rules as `measure_oracle` pick the region's pixels.

use hounsfield_conformance::{hounsfield_bin, missing, python, run_python, shared};
use std::path::Path;

const SCRIPT: &str = r#"
import json, os, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, pydicom
from pydicom.pixels import apply_modality_lut
sys.path.insert(0, "tests/scripts")
from padding import padding_range
req = json.loads(sys.argv[1])
EPS = float(req["eps"])
ds = []
for name in sorted(os.listdir(req["folder"])):
    try:
        d = pydicom.dcmread(os.path.join(req["folder"], name))
    except Exception:
        continue
    if "PixelData" in d:
        ds.append(d)
row = np.array(ds[0].ImageOrientationPatient[:3], float)
col = np.array(ds[0].ImageOrientationPatient[3:], float)
normal = np.cross(row, col)
ds.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, float), normal)))
pos = np.array([[float(v) for v in d.ImagePositionPatient] for d in ds])
dist = pos @ normal
dist = dist - dist[0]
gaps = np.diff(dist)
stored = np.stack([d.pixel_array for d in ds])
values = np.stack([apply_modality_lut(d.pixel_array.astype(np.float64), d) for d in ds])
pad = padding_range(ds[0])
padded = (stored >= pad[0]) & (stored <= pad[1]) if pad else np.zeros(stored.shape, bool)
row_mm, col_mm = (float(v) for v in ds[0].PixelSpacing)
n, h, w = stored.shape
plane = req["plane"]
W, H = plane["columns"], plane["rows"]
origin, cs, rs = (np.array(plane[k], float) for k in ("origin", "column_step", "row_step"))
Y, X = np.mgrid[0:H, 0:W]
P = origin + X[..., None] * cs + Y[..., None] * rs
d = (P - pos[0]) @ normal
# A point within f64 rounding of a slice is on it.
near = dist[np.clip(np.searchsorted(dist, d), 0, n - 1)]
d = np.where(np.abs(d - near) < EPS, near, d)
near = dist[np.clip(np.searchsorted(dist, d) - 1, 0, n - 1)]
d = np.where(np.abs(d - near) < EPS, near, d)
inside = (d >= -gaps[0] / 2) & (d <= dist[-1] + gaps[-1] / 2)
k0 = np.clip(np.searchsorted(dist, d, side="right") - 1, 0, n - 1)
k0 = np.where(d >= dist[-1], n - 1, k0)
k1 = np.where((d <= 0) | (d >= dist[-1]), k0, np.minimum(k0 + 1, n - 1))
a, b = dist[k0], dist[k1]
with np.errstate(divide="ignore", invalid="ignore"):
    t = np.where(b > a, np.clip((d - a) / (b - a), 0, 1), 0.0)
def sample(k):
    rel = P - pos[k]
    c = (rel @ row) / col_mm
    r = (rel @ col) / row_mm
    # A point within f64 rounding of a voxel's centre line is on it.
    c = np.where(np.abs(c - np.round(c)) < EPS, np.round(c), c)
    r = np.where(np.abs(r - np.round(r)) < EPS, np.round(r), r)
    ok = (c >= -0.5) & (r >= -0.5) & (c <= w - 0.5) & (r <= h - 0.5)
    x0, y0 = np.floor(c), np.floor(r)
    fx, fy = c - x0, r - y0
    x0, y0 = x0.astype(int), y0.astype(int)
    def at(arr, x, y):
        return arr[k, np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)]
    v00, v10, v01, v11 = (at(values, x0 + i, y0 + j) for i, j in ((0, 0), (1, 0), (0, 1), (1, 1)))
    top = v00 + (v10 - v00) * fx
    bottom = v01 + (v11 - v01) * fx
    v = top + (bottom - top) * fy
    pd = at(padded, x0, y0) | ((fx > 0) & at(padded, x0 + 1, y0)) | ((fy > 0) & at(padded, x0, y0 + 1)) \
        | ((fx > 0) & (fy > 0) & at(padded, x0 + 1, y0 + 1))
    return ok, v, pd
ok0, v0, p0 = sample(k0)
ok1, v1, p1 = sample(k1)
second = (k1 != k0) & (t != 0)
inside &= ok0 & (ok1 | ~second)
pad_px = p0 | (second & p1)
value = v0 + (v1 - v0) * np.where(second, t, 0.0)
out = {}
for name, spec in req["rois"].items():
    kind, nums = spec.split(":")
    v = [float(x) for x in nums.split(",")]
    if kind == "ellipse":
        mask = ((X - v[0]) / v[2]) ** 2 + ((Y - v[1]) / v[3]) ** 2 <= 1
    elif kind == "rect":
        mask = (X >= v[0]) & (X < v[0] + v[2]) & (Y >= v[1]) & (Y < v[1] + v[3])
    elif kind == "point":
        mask = (X == np.floor(v[0] + 0.5)) & (Y == np.floor(v[1] + 0.5))
    else:
        pts = list(zip(v[0::2], v[1::2]))
        mask = np.zeros((H, W), bool)
        for (xa, ya), (xb, yb) in zip(pts, pts[1:] + pts[:1]):
            straddle = (ya > Y) != (yb > Y)
            with np.errstate(divide="ignore", invalid="ignore"):
                cross = xa + (Y - ya) / (yb - ya) * (xb - xa)
            mask ^= straddle & (X < cross)
    m = mask & inside
    keep = value[m & ~pad_px]
    out[name] = {"pixels": int(m.sum()), "padding": int((m & pad_px).sum()),
                 "outside": int((mask & ~inside).sum()),
                 "mean": float(keep.mean()), "sd": float(keep.std()),
                 "min": float(keep.min()), "max": float(keep.max())}
print(json.dumps(out))
"#;

/// `hounsfield measure FOLDER --plane ... --json` with `rois`.
fn measure(folder: &Path, plane: &[&str], rois: &[String]) -> serde_json::Value {
    let mut cmd = std::process::Command::new(hounsfield_bin());
    cmd.arg("measure").arg(folder).args(plane).arg("--json");
    for r in rois {
        cmd.arg("--roi").arg(r);
    }
    let out = cmd.output().expect("run hounsfield measure");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn region_statistics_on_planes_match_numpy() {
    if !python().exists() {
        missing("the test Python (pydicom, NumPy)");
        return;
    }
    let cases: [(&str, &[&str]); 5] = [
        ("ct-philips-brain", &["--plane", "sagittal"]),
        (
            "ct-philips-brain",
            &["--plane", "coronal", "--slice", "200"],
        ),
        ("ct-ge-tilt", &["--plane", "coronal"]),
        ("ct-ge-tilt", &["--plane", "sagittal", "--slice", "300"]),
        ("ct-ge-tilt", &["--plane", "axial", "--slice", "200"]),
    ];
    let (mut regions, mut outside, mut padded, mut worst) = (0, 0, 0, 0.0f64);
    for (name, plane) in cases {
        let Some(folder) = shared(name) else {
            return;
        };
        let label = format!("{name} {}", plane.join(" "));
        let probe = measure(&folder, plane, &["line:0,0,1,1".into()]);
        let p = &probe["plane"];
        let (w, h) = (
            p["columns"].as_f64().unwrap_or(0.0),
            p["rows"].as_f64().unwrap_or(0.0),
        );
        let poly = [
            (0.2, 0.3, 0.3127, 0.1931),
            (0.7, 0.2, 0.2719, 0.4417),
            (0.8, 0.7, 0.1173, 0.3313),
            (0.45, 0.55, 0.2237, 0.1571),
            (0.3, 0.85, 0.0917, 0.3779),
        ]
        .iter()
        .map(|(fx, fy, dx, dy)| format!("{},{}", fx * w + dx, fy * h + dy))
        .collect::<Vec<_>>()
        .join(",");
        let rois = [
            (
                "ellipse",
                format!(
                    "ellipse:{},{},{},{}",
                    w / 2.0 - 0.25,
                    h / 2.0 + 0.5,
                    w / 3.0,
                    h / 4.0
                ),
            ),
            ("plane", format!("rect:0,0,{w},{h}")),
            (
                "corner",
                format!("rect:0,0,{},{}", (w / 2.0).floor(), (h / 2.0).floor()),
            ),
            ("polygon", format!("polygon:{poly}")),
            (
                "point",
                format!("point:{},{}", w / 3.0 + 0.4, h / 2.0 - 0.3),
            ),
        ];
        let specs: Vec<String> = rois.iter().map(|(_, r)| r.clone()).collect();
        let ours = measure(&folder, plane, &specs);
        assert_eq!(ours["plane"], *p, "{label}: the same plane twice");
        let request = serde_json::json!({
            "folder": folder.display().to_string(),
            "plane": p,
            "eps": 1e-6,
            "rois": rois
                .iter()
                .map(|(n, r)| (n.to_string(), serde_json::Value::from(r.as_str())))
                .collect::<serde_json::Map<_, _>>(),
        });
        let theirs: serde_json::Value =
            serde_json::from_slice(&run_python(SCRIPT, &[request.to_string()])).expect("json");
        for (k, (roi, spec)) in rois.iter().enumerate() {
            let (m, t) = (&ours["measurements"][k], &theirs[roi]);
            assert_eq!(m["roi"].as_str(), Some(spec.as_str()), "{label}");
            assert_eq!(m["units"], "HU", "{label} {roi}");
            for key in ["pixels", "padding_pixels"] {
                let tkey = if key == "pixels" { "pixels" } else { "padding" };
                assert_eq!(
                    m[key].as_u64(),
                    t[tkey].as_u64(),
                    "{label} {roi}: {key} (NumPy: {t})"
                );
            }
            // The command samples in f32 (as the GPU does), NumPy in f64: a few
            // thousandths of a HU apart on values of a thousand.
            for key in ["mean", "sd", "min", "max"] {
                let (a, b) = (
                    m[key].as_f64().unwrap_or(f64::NAN),
                    t[key].as_f64().unwrap_or(f64::NAN),
                );
                worst = worst.max((a - b).abs());
                assert!(
                    (a - b).abs() <= 0.01,
                    "{label} {roi}: {key} {a} HU, NumPy {b}"
                );
            }
            let spacing = p["spacing_mm"].as_f64().unwrap_or(f64::NAN);
            let area = m["area_mm2"].as_f64().unwrap_or(f64::NAN);
            let pixels = t["pixels"].as_f64().unwrap_or(f64::NAN);
            assert!(
                (area - pixels * spacing * spacing).abs() < 1e-6 * area.max(1.0),
                "{label} {roi}: area {area}"
            );
            regions += 1;
            outside += usize::from(t["outside"].as_u64().unwrap_or(0) > 0);
            padded += usize::from(t["padding"].as_u64().unwrap_or(0) > 0);
        }
    }
    println!(
        "plane measure: {regions} regions on 5 planes against NumPy (largest difference {worst:.5} HU); {outside} reached outside the volume, {padded} had padding left out"
    );
    assert!(outside >= 2, "no region reached outside the volume");
    assert!(padded >= 2, "no region had padding to leave out");
}
