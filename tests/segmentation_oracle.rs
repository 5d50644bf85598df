//! Segmentations (DICOM SEG) drawn over images, against highdicom. highdicom makes a
//! binary SEG (three segments: a HU range, bone, and a disc that overlaps both), a
//! fractional (probability) SEG and a labelmap SEG from three slices of a real CT, and a copy of the binary
//! one with its references to the source images removed (its frames then belong to an
//! image by lying in its plane). For each slice, `hounsfield render --segmentation`:
//!
//! - says each segment's colour: its Recommended Display CIELab Value as sRGB, within 2 of
//!   highdicom's conversion (littleCMS);
//! - paints, pixel for pixel, what NumPy paints from highdicom's masks of that slice
//!   (`get_pixels_by_source_instance`) over the same render without segments, by the rule
//!   the README states: segmentations in the order given, segments by number, each mask
//!   pixel at least half covered with a 4-neighbour that is not opaque in its colour,
//!   every other covered pixel at opacity x coverage, combined premultiplied "over" and
//!   laid over the grey (exactly on the CPU; within 2 on the GPU, which composes the
//!   placed masks in `shaders/masks.wgsl` and blends the 8-bit texels it makes); every
//!   other pixel is the plain render's;
//! - gives the same picture from the copy without references as from the original, on the
//!   CPU and on the GPU path.

use hounsfield_conformance::{
    hounsfield_bin, make_segmentations, read_png_rgb, render_to, root, run_python,
};
use std::path::{Path, PathBuf};
use std::process::Command;

const PAINT: &str = r#"
import json, sys
import numpy as np
from PIL import Image
req = json.loads(sys.argv[1])
g = np.array(Image.open(req["plain"]).convert("RGB")).astype(np.float64)
h, w = g.shape[:2]
alpha = float(round(req["opacity"] * 255))
C = np.zeros((h, w, 3))
A = np.zeros((h, w))
for layer in req["layers"]:
    covers, colors = layer[0], layer[1]
    # Optionally, the segments (channels) a segment list shows; the others are hidden.
    keep = layer[2] if len(layer) > 2 else None
    cover = np.load(covers).astype(np.float64)
    for k in range(cover.shape[-1]):
        if keep is not None and k not in keep:
            continue
        c = cover[..., k]
        inside = c >= 128
        pad = np.pad(inside, 1, constant_values=False)
        edge = inside & ~(pad[1:-1, :-2] & pad[1:-1, 2:] & pad[:-2, 1:-1] & pad[2:, 1:-1])
        a = np.where(edge, 1.0, alpha * c / 65025.0)
        col = np.array(colors[k], np.float64) / 255.0
        on = c > 0
        C = np.where(on[..., None], col * a[..., None] + C * (1.0 - a[..., None]), C)
        A = np.where(on, a + A * (1.0 - a), A)
out = np.where((A > 0)[..., None], np.floor(g * (1.0 - A[..., None]) + C * 255.0 + 0.5), g)
np.save(req["out"], np.clip(out, 0, 255).astype(np.uint8))
"#;

/// The GPU draws the layer as 8-bit texels blended by its blend unit (the coverage and
/// the premultiplied colour each rounded to 1/255).
const GPU_TOLERANCE: u8 = 2;

fn render(args: &[&str], file: &Path, out: &Path) -> String {
    render_to(file, args, out)
}

/// The colours `render` says it paints segments in, in order.
fn said_colors(said: &str) -> Vec<[i64; 3]> {
    said.lines()
        .filter_map(|l| {
            l.split_once(": rgb(")?
                .1
                .strip_suffix(')')
                .map(str::to_string)
        })
        .map(|c| {
            let v: Vec<i64> = c.split(", ").filter_map(|x| x.parse().ok()).collect();
            [v[0], v[1], v[2]]
        })
        .collect()
}

#[test]
fn segments_are_painted_as_highdicom_reads_them() {
    let dir = root().join("target/tmp/segmentation-oracle");
    let Some(made) = make_segmentations(&dir) else {
        return;
    };
    let seg = |name: &str| dir.join(format!("{name}.seg.dcm"));
    let (binary, fractional, labelmap, unreferenced) = (
        seg("binary"),
        seg("fractional"),
        seg("labelmap"),
        seg("unreferenced"),
    );
    let mut checked = 0usize;
    let mut gpu_worst = 0u8;
    let mut painted = 0usize;
    for s in made["slices"].as_array().expect("slices") {
        let file = PathBuf::from(s["path"].as_str().expect("path"));
        let uid = s["uid"].as_str().expect("uid");
        for (renderer, segs) in [
            ("cpu", vec![&binary, &fractional]),
            ("cpu", vec![&labelmap]),
            ("gpu", vec![&binary, &fractional]),
            ("gpu", vec![&labelmap]),
        ] {
            let names: Vec<&str> = if segs.len() == 2 {
                vec!["binary", "fractional"]
            } else if segs[0] == &labelmap {
                vec!["labelmap"]
            } else {
                vec!["binary"]
            };
            let kind = names.join("+");
            let plain = dir.join(format!("{uid}.{renderer}.plain.png"));
            render(&["--renderer", renderer], &file, &plain);
            let mut args = vec!["--renderer", renderer];
            for p in &segs {
                args.extend(["--segmentation", p.to_str().expect("utf-8")]);
            }
            let out = dir.join(format!("{uid}.{renderer}.{kind}.seg.png"));
            let said = render(&args, &file, &out);
            // The colours: highdicom's conversion of the same CIELab values.
            let ours = said_colors(&said);
            let theirs: Vec<[i64; 3]> = names
                .iter()
                .flat_map(|n| made["rgb"][n].as_array().expect("rgb").iter())
                .map(|c| std::array::from_fn(|k| c[k].as_i64().unwrap_or(-1)))
                .collect();
            assert_eq!(ours.len(), theirs.len(), "{said}");
            for (a, b) in ours.iter().zip(&theirs) {
                assert!(
                    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 2),
                    "colour {a:?}, highdicom {b:?}"
                );
            }
            // The pixels: NumPy paints highdicom's masks with those colours.
            let mut layers = Vec::new();
            let mut at = 0;
            for n in &names {
                let k = made["rgb"][n].as_array().map_or(0, Vec::len);
                let covers = dir.join(format!("{uid}.{n}.npy"));
                layers.push(serde_json::json!([covers, ours[at..at + k]]));
                at += k;
            }
            let want = dir.join(format!("{uid}.{renderer}.{kind}.want.npy"));
            let request = serde_json::json!({
                "plain": plain, "opacity": 0.5, "layers": layers, "out": want,
            });
            run_python(PAINT, &[request.to_string()]);
            let want = read_npy_rgb(&want);
            let (w, h, got) = read_png_rgb(&out);
            assert_eq!(got.len(), (w * h * 3) as usize);
            let (_, _, before) = read_png_rgb(&plain);
            // The CPU is exact; the GPU composes the masks in single precision into 8-bit
            // texels and blends those in its blend unit.
            let tolerance = if renderer == "cpu" { 0 } else { GPU_TOLERANCE };
            let diffs: Vec<u8> = got.iter().zip(&want).map(|(a, b)| a.abs_diff(*b)).collect();
            let worst = diffs.iter().copied().max().unwrap_or(0);
            let differ = diffs.iter().filter(|d| **d > 0).count();
            assert!(
                worst <= tolerance,
                "{uid} {renderer} {kind}: {differ} samples differ from NumPy, by up to {worst}"
            );
            if renderer == "gpu" {
                gpu_worst = gpu_worst.max(worst);
            }
            painted += got
                .chunks(3)
                .zip(before.chunks(3))
                .filter(|(a, b)| a != b)
                .count();
            // Placed by their planes, the same segments give the same picture.
            if names[0] == "binary" {
                let mut args = vec!["--renderer", renderer, "--segmentation"];
                args.push(unreferenced.to_str().expect("utf-8"));
                if segs.len() == 2 {
                    args.extend(["--segmentation", fractional.to_str().expect("utf-8")]);
                }
                let by_plane = dir.join(format!("{uid}.{renderer}.plane.png"));
                render(&args, &file, &by_plane);
                let (_, _, again) = read_png_rgb(&by_plane);
                assert!(again == got, "{uid} {renderer}: placed by plane differs");
            }
            checked += 1;
        }
    }
    println!(
        "segmentation: {checked} renders (3 slices; binary + fractional and labelmap on the CPU and on the GPU) equal NumPy's painting of highdicom's masks ({painted} pixels painted; the GPU within {gpu_worst}); colours within 2 of highdicom's; placed by plane = by reference"
    );
    assert!(painted > 10_000, "hardly anything was painted: {painted}");
}

/// A segment list: `render --segmentation --segments 1,3 --segment-opacity 0.4` paints
/// segments 1 and 3 of the binary SEG (two of three overlapping ones) at that opacity,
/// as NumPy paints highdicom's masks of those two alone, exactly (the CPU path).
#[test]
fn a_segment_list_paints_the_segments_shown() {
    let dir = root().join("target/tmp/segmentation-list");
    let Some(made) = make_segmentations(&dir) else {
        return;
    };
    let binary = dir.join("binary.seg.dcm");
    let mut painted = 0usize;
    for s in made["slices"].as_array().expect("slices") {
        let file = PathBuf::from(s["path"].as_str().expect("path"));
        let uid = s["uid"].as_str().expect("uid");
        let plain = dir.join(format!("{uid}.plain.png"));
        render(&["--renderer", "cpu"], &file, &plain);
        let out = dir.join(format!("{uid}.list.png"));
        let said = render(
            &[
                "--renderer",
                "cpu",
                "--segmentation",
                binary.to_str().expect("utf-8"),
                "--segments",
                "1,3",
                "--segment-opacity",
                "0.4",
            ],
            &file,
            &out,
        );
        let colors = said_colors(&said);
        assert_eq!(colors.len(), 3, "{said}");
        let want = dir.join(format!("{uid}.list.want.npy"));
        let covers = dir.join(format!("{uid}.binary.npy"));
        let request = serde_json::json!({
            "plain": plain, "opacity": 0.4, "layers": [[covers, colors, [0, 2]]], "out": want,
        });
        run_python(PAINT, &[request.to_string()]);
        let want = read_npy_rgb(&want);
        let (_, _, got) = read_png_rgb(&out);
        let (_, _, before) = read_png_rgb(&plain);
        let differ = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(differ, 0, "{uid}: {differ} samples differ from NumPy");
        painted += got
            .chunks(3)
            .zip(before.chunks(3))
            .filter(|(a, b)| a != b)
            .count();
    }
    println!(
        "segment list: segments 1 and 3 of 3 at opacity 0.4 equal NumPy's painting ({painted} pixels painted)"
    );
    assert!(painted > 1_000, "hardly anything was painted: {painted}");
}

/// An RGB uint8 array of shape (h, w, 3) saved by NumPy.
fn read_npy_rgb(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("npy");
    let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    bytes[10 + header..].to_vec()
}

/// Where the segments of a SEG lie on a plane, written again with pydicom and NumPy: each
/// plane pixel (its centre from the plane geometry `measure --plane --json` prints) takes,
/// for each segment, the segment's frame nearest it along the frames' normal when within
/// half their Slice Thickness, and that frame's pixel nearest it; the coverage (0-255) of
/// each segment on the plane, as NumPy files named after the segmentation and segment.
const PLANE: &str = r#"
import json, sys
import numpy as np, pydicom
req = json.loads(sys.argv[1])
plane = req["plane"]
W, H = plane["columns"], plane["rows"]
origin, cs, rs = (np.array(plane[k], float) for k in ("origin", "column_step", "row_step"))
Y, X = np.mgrid[0:H, 0:W]
P = origin + X[..., None] * cs + Y[..., None] * rs
out = []
for path, name in req["segmentations"]:
    d = pydicom.dcmread(path)
    shared = d.SharedFunctionalGroupsSequence[0]
    o = np.array(shared.PlaneOrientationSequence[0].ImageOrientationPatient, float)
    row_dir, col_dir = o[:3], o[3:]
    normal = np.cross(row_dir, col_dir)
    measures = shared.PixelMeasuresSequence[0]
    row_mm, col_mm = (float(v) for v in measures.PixelSpacing)
    half = float(measures.SliceThickness) / 2
    frames = d.pixel_array.reshape(-1, d.Rows, d.Columns).astype(np.float64)
    if d.SegmentationType == "FRACTIONAL":
        frames = np.rint(frames * 255 / float(d.MaximumFractionalValue))
    else:
        frames = (frames > 0) * 255.0
    per = d.PerFrameFunctionalGroupsSequence
    def segment(f):
        g = f if "SegmentIdentificationSequence" in f else shared
        return int(g.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
    for number in sorted({segment(f) for f in per}):
        ks = [k for k, f in enumerate(per) if segment(f) == number]
        pos = np.array([[float(v) for v in per[k].PlanePositionSequence[0].ImagePositionPatient] for k in ks])
        dist = pos @ normal
        dp = P @ normal
        nearest = np.argmin(np.abs(dp[..., None] - dist), axis=-1)
        near = np.abs(dp - dist[nearest]) <= half
        rel = P - pos[nearest]
        mx = np.floor(rel @ row_dir / col_mm + 0.5).astype(int)
        my = np.floor(rel @ col_dir / row_mm + 0.5).astype(int)
        inside = near & (mx >= 0) & (my >= 0) & (mx < d.Columns) & (my < d.Rows)
        cover = np.zeros((H, W))
        f = np.array(ks)[nearest]
        cover[inside] = frames[f[inside], my[inside], mx[inside]]
        file = f"{req['out']}.{name}.{number}.npy"
        np.save(file, cover[..., None])
        out.append(file)
print(json.dumps(out))
"#;

/// Segments over planes: `render FOLDER --plane P --segmentation ...` (the whole CT, the
/// binary and the fractional SEG over three of its slices) paints, pixel for pixel, what
/// NumPy paints from the segments placed on the plane by [`PLANE`] over the plain plane
/// render; on a coronal and a sagittal plane through the segments, on the CPU (exactly)
/// and on the GPU (placed and composed there, within 2).
#[test]
fn segments_on_planes_are_the_nearest_frames_pixels() {
    let dir = root().join("target/tmp/segmentation-planes");
    if make_segmentations(&dir).is_none() {
        return;
    }
    let Some(folder) = hounsfield_conformance::shared("ct-philips-brain") else {
        return;
    };
    let segs = [
        (dir.join("binary.seg.dcm"), "binary"),
        (dir.join("fractional.seg.dcm"), "fractional"),
    ];
    let mut painted = 0usize;
    let mut gpu_worst = 0u8;
    for (orientation, renderer) in [
        ("coronal", "cpu"),
        ("sagittal", "cpu"),
        ("coronal", "gpu"),
        ("sagittal", "gpu"),
    ] {
        let plain = dir.join(format!("{orientation}.{renderer}.plain.png"));
        let out = dir.join(format!("{orientation}.{renderer}.seg.png"));
        let plane_args = ["--plane", orientation, "--renderer", renderer];
        render(&plane_args, &folder, &plain);
        let mut args = plane_args.to_vec();
        for (p, _) in &segs {
            args.extend(["--segmentation", p.to_str().expect("utf-8")]);
        }
        let said = render(&args, &folder, &out);
        let colors = said_colors(&said);
        let geometry = Command::new(hounsfield_bin())
            .arg("measure")
            .arg(&folder)
            .args(["--plane", orientation, "--json", "--roi", "line:0,0,1,1"])
            .output()
            .expect("hounsfield measure");
        let geometry: serde_json::Value =
            serde_json::from_slice(&geometry.stdout).expect("measure --json");
        let request = serde_json::json!({
            "plane": geometry["plane"],
            "segmentations": segs.iter().map(|(p, n)| serde_json::json!([p, n])).collect::<Vec<_>>(),
            "out": dir.join(orientation),
        });
        let covers: Vec<String> =
            serde_json::from_slice(&run_python(PLANE, &[request.to_string()])).expect("json");
        // Binary: segments 1-3; fractional: 1; in the order `render` names their colours.
        assert_eq!(covers.len(), colors.len(), "{said}");
        let layers: Vec<serde_json::Value> = covers
            .iter()
            .zip(&colors)
            .map(|(c, rgb)| serde_json::json!([c, [rgb]]))
            .collect();
        let want = dir.join(format!("{orientation}.{renderer}.want.npy"));
        let request = serde_json::json!({
            "plain": plain, "opacity": 0.5, "layers": layers, "out": want,
        });
        run_python(PAINT, &[request.to_string()]);
        let want = read_npy_rgb(&want);
        let (_, _, got) = read_png_rgb(&out);
        let (_, _, before) = read_png_rgb(&plain);
        // The CPU is exact; the GPU places the masks in single precision and blends the
        // 8-bit texels it composes.
        let tolerance = if renderer == "cpu" { 0 } else { GPU_TOLERANCE };
        let diffs: Vec<u8> = got.iter().zip(&want).map(|(a, b)| a.abs_diff(*b)).collect();
        let worst = diffs.iter().copied().max().unwrap_or(0);
        let differ = diffs.iter().filter(|d| **d > tolerance).count();
        assert_eq!(
            differ, 0,
            "{orientation} {renderer}: {differ} samples differ from NumPy by more than {tolerance} (up to {worst})"
        );
        if renderer == "gpu" {
            gpu_worst = gpu_worst.max(worst);
        }
        let n = got
            .chunks(3)
            .zip(before.chunks(3))
            .filter(|(a, b)| a != b)
            .count();
        assert!(n > 1000, "{orientation}: only {n} pixels painted");
        painted += n;
    }
    println!(
        "segmentation on planes: coronal and sagittal planes of the CT with the binary and fractional SEG equal NumPy's nearest-frame placement ({painted} pixels painted; the GPU, which places them in shaders/mask_planes.wgsl, within {gpu_worst})"
    );
}
