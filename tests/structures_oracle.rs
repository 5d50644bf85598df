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
//!
//! Over planes cut through the series (`render FOLDER --plane ... --structures`), NumPy
//! and matplotlib follow the documented rule from the plane geometry the command line
//! prints: an axial plane through a contour slice gets that slice's contours (the check
//! above, on the plane's grid); sagittal and coronal planes get each ROI's cross-section
//! (matplotlib's point-in-polygon at each plane pixel's patient point, within half the
//! contour spacing of the ROI's nearest contour plane), outlined.

use hounsfield_conformance::{gpu, render_to, root, run_python, said_grid, shared};

/// NumPy's check of one render: JSON {points, points_drawn, drawn, far, wrong_colour,
/// edges_short, unchanged_elsewhere}.
const CHECK: &str = r#"
import json, sys
import numpy as np
import pydicom
from PIL import Image
req = json.loads(sys.argv[1])
if "slice" in req:
    ds = pydicom.dcmread(req["slice"], stop_before_pixels=True)
    o = np.array(ds.ImagePositionPatient, float)
    iop = np.array(ds.ImageOrientationPatient, float)
    row, col = iop[:3], iop[3:]
    sr, sc = (float(v) for v in ds.PixelSpacing)
    half = float(getattr(ds, "SliceThickness", 1.0) or 1.0) / 2
else:
    # A plane through the volume: the grid the command line printed; half the smallest
    # gap between the structure set's contour planes (along this plane's normal).
    g = req["grid"]
    o = np.array(g["origin"], float)
    cs, rs = np.array(g["column_step"], float), np.array(g["row_step"], float)
    sc, sr = np.linalg.norm(cs), np.linalg.norm(rs)
    row, col = cs / sc, rs / sr
    levels = sorted({round(float(np.mean(np.array(c["points"], float) @ np.cross(row, col))), 6)
                     for r in req["rois"] for c in r["contours"] if len(c["points"]) >= 3})
    gaps = [b - a for a, b in zip(levels, levels[1:]) if b - a > 1e-3]
    half = min(gaps) / 2 if gaps else 0.5
normal = np.cross(row, col)
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

/// NumPy's and matplotlib's cross-sections of the structure set over a plane across its
/// contours: JSON {expected, drawn, missing, extra, wrong_colour, ambiguous, per_roi}.
const PLANE_CHECK: &str = r#"
import json, sys
import numpy as np
from matplotlib.path import Path
from PIL import Image
req = json.loads(sys.argv[1])
g = req["grid"]
o = np.array(g["origin"], float)
cs, rs = np.array(g["column_step"], float), np.array(g["row_step"], float)
plain = np.array(Image.open(req["plain"]).convert("RGB")).astype(int)
got = np.array(Image.open(req["render"]).convert("RGB")).astype(int)
h, w = plain.shape[:2]
assert (h, w) == (g["rows"], g["columns"])
jj, ii = np.mgrid[0:h, 0:w]
points = o + ii[..., None] * cs + jj[..., None] * rs  # h x w x 3, patient mm
# The contours' normal: the slices' (all contours here lie on the CT's slices).
first = np.array(req["rois"][0]["contours"][0]["points"], float)
normal = np.cross(first[1] - first[0], first[2] - first[0])
normal /= np.linalg.norm(normal)
e1 = (first[1] - first[0]) / np.linalg.norm(first[1] - first[0])
e2 = np.cross(normal, e1)
planes = sorted({round(float(np.mean(np.array(c["points"]) @ normal)), 6)
                 for r in req["rois"] for c in r["contours"] if len(c["points"]) >= 3})
gaps = [b - a for a, b in zip(planes, planes[1:]) if b - a > 1e-3]
half = min(gaps) / 2 if gaps else 0.5
d = points @ normal
q = np.stack([points @ e1, points @ e2], -1).reshape(-1, 2)
plane_normal = np.cross(cs, rs)
plane_normal /= np.linalg.norm(plane_normal)
expected = np.zeros((h, w, 3), int)
has = np.zeros((h, w), bool)
ambiguous = np.zeros((h, w), bool)
near = 1e-4  # mm: what the printed geometry's rounding can move a point
per_roi = {}
def seg_distance(q, a, b):
    dd = b - a
    t = np.clip(((q - a) @ dd) / (dd @ dd), 0, 1)
    return np.linalg.norm(q - (a + t[:, None] * dd), axis=1)
for roi in req["rois"]:
    colour = np.array(roi["color"])
    closed = [np.array(c["points"], float) for c in roi["contours"] if c["type"] == "CLOSED_PLANAR"]
    inside = np.zeros((h, w), bool)
    if closed:
        at = np.array([float(np.mean(c @ normal)) for c in closed])
        # The ROI's contour plane nearest each pixel, within the half.
        levels = np.unique(np.round(at, 6))
        nearest = levels[np.argmin(np.abs(d[..., None] - levels), axis=-1)]
        within = np.abs(d - nearest) <= half
        ambiguous |= np.abs(np.abs(d - nearest) - half) < near
        parity = np.zeros(h * w, int)
        for c, a in zip(closed, at):
            poly = np.stack([c @ e1, c @ e2], -1)
            on = (np.abs(nearest - a) < 1e-3).reshape(-1)
            parity += on & Path(poly).contains_points(q)
            edge = np.full(h * w, np.inf)
            for k in range(len(poly)):
                edge = np.minimum(edge, seg_distance(q, poly[k], poly[(k + 1) % len(poly)]))
            ambiguous |= (on & (edge < near)).reshape(h, w)
        inside = within & (parity.reshape(h, w) % 2 == 1)
    outline = np.zeros((h, w), bool)
    outline[:, 1:] |= inside[:, 1:] & ~inside[:, :-1]
    outline[:, :-1] |= inside[:, :-1] & ~inside[:, 1:]
    outline[1:, :] |= inside[1:, :] & ~inside[:-1, :]
    outline[:-1, :] |= inside[:-1, :] & ~inside[1:, :]
    # A POINT within the half of the plane: a cross of five pixels.
    for c in roi["contours"]:
        if c["type"] != "POINT":
            continue
        for p in np.array(c["points"], float):
            if abs((p - o) @ plane_normal) <= half:
                x = (p - o) @ cs / (cs @ cs)
                y = (p - o) @ rs / (rs @ rs)
                i, j = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
                for di, dj in [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]:
                    if 0 <= i + di < w and 0 <= j + dj < h:
                        outline[j + dj, i + di] = True
    expected[outline] = colour
    has |= outline
    per_roi[roi["name"]] = int(outline.sum())
# A pixel's outline depends on it and its 4-neighbours.
grown = ambiguous.copy()
grown[:, 1:] |= ambiguous[:, :-1]
grown[:, :-1] |= ambiguous[:, 1:]
grown[1:, :] |= ambiguous[:-1, :]
grown[:-1, :] |= ambiguous[1:, :]
drawn = np.any(got != plain, axis=2)
sure = ~grown
result = {
    "expected": int(has.sum()), "drawn": int(drawn.sum()),
    "missing": int((has & ~drawn & sure).sum()),
    "extra": int((drawn & ~has & sure).sum()),
    "wrong_colour": int((has & drawn & sure & np.any(got != expected, axis=2)).sum()),
    "ambiguous": int(grown.sum()), "per_roi": per_roi,
}
print(json.dumps(result))
"#;

#[test]
fn contours_over_planes_are_their_slices_or_their_cross_sections() {
    let dir = root().join("target/tmp/structures-planes-oracle");
    let Some(made) = hounsfield_conformance::made_from_ct("make_rtstruct.py", "matplotlib", &dir)
    else {
        return;
    };
    let folder = shared("ct-philips-brain").expect("the series made_from_ct read");
    let structures = made["path"].as_str().expect("path").to_string();
    let renderers: &[&str] = if gpu().is_some() {
        &["cpu", "gpu"]
    } else {
        &["cpu"]
    };
    // The slice the circle and the line were drawn on, and its position along z.
    let first = made["slices"][0].as_str().expect("slice").to_string();
    let z = String::from_utf8(run_python(
        "import sys, pydicom; print(float(pydicom.dcmread(sys.argv[1]).ImagePositionPatient[2]))",
        &[&first],
    ))
    .expect("utf-8");
    let z = z.trim().to_string();
    // A sagittal plane through the marker (a POINT on the second slice), beside the others.
    let marker = made["rois"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == "marker"))
        .map(|r| r["contours"][0]["points"][0][0].clone())
        .expect("the marker's point");
    let marker_x = format!("{}", marker.as_f64().expect("x"));
    let mut rows = Vec::new();
    for renderer in renderers {
        let planes: &[(&str, &[&str])] = if *renderer == "cpu" {
            &[
                ("sagittal", &[]),
                ("coronal", &[]),
                ("axial", &["--position", z.as_str()]),
                ("sagittal", &["--position", marker_x.as_str()]),
            ]
        } else {
            &[("sagittal", &[])]
        };
        for (plane, extra) in planes {
            let plain = dir.join(format!("{plane}.{renderer}.plain.png"));
            let out = dir.join(format!("{plane}.{renderer}.rt.png"));
            let mut args = vec!["--plane", plane, "--renderer", renderer];
            args.extend_from_slice(extra);
            render_to(&folder, &args, &plain);
            args.extend_from_slice(&["--structures", &structures]);
            let said = render_to(&folder, &args, &out);
            let grid = said_grid(&said, &out);
            let name = format!("{plane} {renderer} {}", extra.join(" "));
            if *plane == "axial" {
                // Parallel to the contours: the slice's own contours, as on an image.
                let request = serde_json::json!({
                    "grid": grid, "plain": plain, "render": out, "rois": made["rois"],
                });
                let r: serde_json::Value =
                    serde_json::from_slice(&run_python(CHECK, &[request.to_string()]))
                        .expect("JSON");
                let n = |k: &str| r[k].as_u64().unwrap_or(u64::MAX);
                println!("{name}: {r}");
                assert_eq!(n("contours"), 2, "{name}: the circle and the line: {r}");
                assert_eq!(n("points_drawn"), n("points"), "{name}: {r}");
                assert_eq!(n("far"), 0, "{name}: {r}");
                assert_eq!(n("wrong_colour"), 0, "{name}: {r}");
                assert_eq!(n("edges_short"), 0, "{name}: {r}");
                rows.push(vec![
                    name,
                    format!("{} contour points", n("points")),
                    n("drawn").to_string(),
                ]);
                continue;
            }
            let request = serde_json::json!({
                "grid": grid, "plain": plain, "render": out, "rois": made["rois"],
            });
            let r: serde_json::Value =
                serde_json::from_slice(&run_python(PLANE_CHECK, &[request.to_string()]))
                    .expect("JSON");
            println!("{name}: {r}");
            let n = |k: &str| r[k].as_u64().unwrap_or(u64::MAX);
            let roi = |k: &str| r["per_roi"][k].as_u64().unwrap_or(0);
            if extra.is_empty() {
                assert!(
                    roi("circle") > 20 && roi("square") > 20,
                    "{name}: the circle and the square cross the middle plane: {r}"
                );
            } else {
                assert_eq!(roi("marker"), 5, "{name}: the marker's cross: {r}");
            }
            assert_eq!(n("missing"), 0, "{name}: outline pixels not drawn: {r}");
            assert_eq!(n("extra"), 0, "{name}: pixels drawn off the outline: {r}");
            assert_eq!(n("wrong_colour"), 0, "{name}: {r}");
            assert!(
                n("ambiguous") * 100 < n("expected"),
                "{name}: too many pixels on an edge to check: {r}"
            );
            rows.push(vec![
                name,
                format!("{} outline pixels", n("expected")),
                n("drawn").to_string(),
            ]);
        }
    }
    hounsfield_conformance::print_table(&["plane", "oracle", "pixels drawn"], &rows);
}
