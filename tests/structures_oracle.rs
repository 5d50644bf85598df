//! RT Structure Sets drawn over images, against the points they were made from. pydicom
//! writes a structure set over a real CT from known patient points
//! (`tests/scripts/make_rtstruct.py`): a closed circle and an open line on one slice, a
//! closed square and a POINT on the next. For every slice of the series,
//! `hounsfield render --structures` (CPU and GPU paths) is checked by NumPy, which projects
//! the points with the slice's own geometry read by pydicom:
//!
//! - every contour point of the slice is drawn, in its ROI's colour, at the pixel whose
//!   centre is nearest its projection;
//! - every pixel drawn has the colour of one of the slice's ROIs and lies within half a
//!   pixel's diagonal of one of its contours' edges (closed contours joined back to their
//!   first point; within a pixel of a POINT, drawn as a cross), and each edge is drawn
//!   along its whole length (a pixel per pixel of length, at least);
//! - every other pixel, and every pixel of the slices without contours, is the plain
//!   render's.

use hounsfield_conformance::{gpu, render_to, root, run_python, shared};

/// NumPy's check of one render: JSON {points, points_drawn, drawn, far, wrong_colour,
/// edges_short, unchanged_elsewhere}.
const CHECK: &str = r#"
import json, sys
import numpy as np
import pydicom
from PIL import Image
req = json.loads(sys.argv[1])
ds = pydicom.dcmread(req["slice"], stop_before_pixels=True)
o = np.array(ds.ImagePositionPatient, float)
iop = np.array(ds.ImageOrientationPatient, float)
row, col = iop[:3], iop[3:]
normal = np.cross(row, col)
sr, sc = (float(v) for v in ds.PixelSpacing)
half = float(getattr(ds, "SliceThickness", 1.0) or 1.0) / 2
plain = np.array(Image.open(req["plain"]).convert("RGB")).astype(int)
got = np.array(Image.open(req["render"]).convert("RGB")).astype(int)
h, w = plain.shape[:2]
on = []  # (colour, [(x, y)], closed, kind) of contours in this slice's plane
for roi in req["rois"]:
    for c in roi["contours"]:
        p = np.array(c["points"], float) - o
        if np.all(np.abs(p @ normal) <= half):
            on.append((roi["color"], np.stack([p @ row / sc, p @ col / sr], 1), c["type"]))
drawn = np.any(got != plain, axis=2)
result = {"contours": len(on), "points": 0, "points_drawn": 0, "drawn": int(drawn.sum()),
          "far": 0, "wrong_colour": 0, "edges_short": 0}
colours = [tuple(c) for c, _, _ in on]
near = 0.5 * 2 ** 0.5 + 1e-9
edges = []
for colour, xy, kind in on:
    pts = list(xy)
    if kind == "POINT":
        # A cross of five pixels: the point's and its four neighbours'.
        c = np.floor(pts[0] + 0.5)
        edges.append((c, c, 1.0))
    else:
        edges += [(a, b, near) for a, b in zip(pts[:-1], pts[1:])]
        if kind == "CLOSED_PLANAR":
            edges.append((pts[-1], pts[0], near))
    for x, y in xy:
        i, j = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
        if 0 <= i < w and 0 <= j < h:
            result["points"] += 1
            result["points_drawn"] += int(tuple(got[j, i]) == tuple(colour))
def distance(q, a, b):
    d = b - a
    n = float(d @ d)
    t = 0.0 if n == 0 else min(1.0, max(0.0, float((q - a) @ d) / n))
    return float(np.linalg.norm(q - (a + t * d)))
for j, i in zip(*np.nonzero(drawn)):
    if tuple(got[j, i]) not in colours:
        result["wrong_colour"] += 1
    q = np.array([i, j], float)
    if not any(distance(q, a, b) <= tol + 1e-9 for a, b, tol in edges):
        result["far"] += 1
for a, b, tol in edges:
    close = sum(1 for j, i in zip(*np.nonzero(drawn)) if distance(np.array([i, j], float), a, b) <= tol)
    if close < int(np.floor(np.abs(b - a).max())):
        result["edges_short"] += 1
print(json.dumps(result))
"#;

#[test]
fn contours_are_drawn_where_their_patient_points_lie() {
    let Some(series) = shared("ct-philips-brain") else {
        return;
    };
    let dir = root().join("target/tmp/structures-oracle");
    let Some(made) = hounsfield_conformance::made_from_ct("make_rtstruct.py", "pydicom", &dir)
    else {
        return;
    };
    let structures = made["path"].as_str().expect("path").to_string();
    let renderers: &[&str] = if gpu().is_some() {
        &["cpu", "gpu"]
    } else {
        &["cpu"]
    };
    let mut files: Vec<_> = std::fs::read_dir(&series)
        .expect("series")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n != "DIRFILE"))
        .collect();
    files.sort();
    // The GPU path draws the same layer: the slices with contours and their neighbours in
    // name order suffice.
    let made_on: Vec<_> = made["slices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(std::path::PathBuf::from))
        .collect();
    let hits: Vec<usize> = (0..files.len())
        .filter(|&k| {
            made_on
                .iter()
                .any(|n| n.file_name() == files[k].file_name())
        })
        .collect();
    let (mut with, mut points, mut drawn, mut renders) = (0, 0, 0, 0);
    for renderer in renderers {
        for (k, file) in files.iter().enumerate() {
            if *renderer == "gpu" && !hits.iter().any(|&h| k + 1 >= h && k <= h + 1) {
                continue;
            }
            renders += 1;
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("x");
            let plain = dir.join(format!("{name}.{renderer}.plain.png"));
            let out = dir.join(format!("{name}.{renderer}.rt.png"));
            render_to(file, &["--renderer", renderer], &plain);
            render_to(
                file,
                &["--renderer", renderer, "--structures", &structures],
                &out,
            );
            let request = serde_json::json!({
                "slice": file, "plain": plain, "render": out, "rois": made["rois"],
            });
            let r: serde_json::Value =
                serde_json::from_slice(&run_python(CHECK, &[request.to_string()])).expect("JSON");
            let n = |k: &str| r[k].as_u64().unwrap_or(u64::MAX);
            assert_eq!(n("points_drawn"), n("points"), "{name} {renderer}: {r}");
            assert_eq!(
                n("far"),
                0,
                "{name} {renderer}: pixels away from the contours: {r}"
            );
            assert_eq!(n("wrong_colour"), 0, "{name} {renderer}: {r}");
            assert_eq!(n("edges_short"), 0, "{name} {renderer}: {r}");
            if n("contours") > 0 {
                with += 1;
                points += n("points");
                drawn += n("drawn");
            } else {
                assert_eq!(
                    n("drawn"),
                    0,
                    "{name} {renderer}: drawn on a slice without contours"
                );
            }
        }
    }
    println!(
        "structures: {renders} renders of {} slices ({renderers:?}); {with} with contours ({points} contour points at their pixels, {drawn} pixels drawn, all within half a pixel's diagonal of the contours); the others unchanged",
        files.len()
    );
    assert_eq!(with, 2 * renderers.len(), "contours on two slices");
}
