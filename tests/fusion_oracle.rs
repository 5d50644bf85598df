//! Fusion and colour maps against oracles nobody here wrote.
//!
//! - The colour maps' tables equal pydicom's Hot Iron palette (the PS3.6 Color Palette)
//!   and matplotlib's jet and viridis (their values rounded to the nearest level).
//! - `tests/scripts/make_fusion.py` makes a coarser, mirrored "map" of the shared CT in
//!   its Frame of Reference (every other slice from the fifth, 2 x 2 pixels averaged,
//!   another Modality LUT). `hounsfield render --fuse MAP` over CT images and planes (CPU and GPU paths)
//!   is checked by NumPy: SciPy resamples the map (read by pydicom) trilinearly at each
//!   pixel's patient position, pydicom's `apply_windowing` makes the level, pydicom's and
//!   matplotlib's tables the colour, blended over the plain render at the opacity; every
//!   pixel inside the map must be that blend within 1 (allowing the level next to it,
//!   for values on a level's edge), every pixel well outside it the plain render's.
//! - A series in another Frame of Reference is refused, with both UIDs named.
//! - `render --colormap` (images, zoomed images, planes; CPU and GPU paths) shows each
//!   pixel of the grey render in the oracle's colour of its level, exactly (the
//!   background outside a plane's volume stays black).

use hounsfield_conformance::{gpu, render_to, root, run_python, shared};
use hounsfield_core::layers::colormap::ColorMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The oracle's colour tables: {name: [[r, g, b]; 256]}.
const TABLES: &str = r#"
import json, warnings
warnings.filterwarnings("ignore")
import numpy as np
import matplotlib
from pydicom.pixels import apply_color_lut
out = {"hot-iron": apply_color_lut(np.arange(256, dtype=np.uint8), palette="HOT_IRON").tolist()}
for name in ("jet", "viridis"):
    rgb = matplotlib.colormaps[name](np.arange(256))[:, :3]
    out[name] = np.floor(rgb * 255 + 0.5).astype(int).tolist()
out["grey"] = [[v, v, v] for v in range(256)]
print(json.dumps(out))
"#;

/// NumPy's check of renders: a JSON list of requests in, one JSON result per request out.
const CHECK: &str = r#"
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np
import matplotlib
import scipy.ndimage
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, apply_windowing
sys.path.insert(0, "tests/scripts")
from series import read_slices

def tables(name):
    if name == "hot-iron":
        return apply_color_lut(np.arange(256, dtype=np.uint8), palette="HOT_IRON").astype(float)
    if name == "grey":
        return np.repeat(np.arange(256, dtype=float)[:, None], 3, 1)
    return np.floor(matplotlib.colormaps[name](np.arange(256))[:, :3] * 255 + 0.5)

results = []
for req in json.loads(sys.argv[1]):
    slices = read_slices(req["fused"])
    first = slices[0][1]
    o = np.array(first.ImageOrientationPatient, float)
    row_dir, col_dir = o[:3], o[3:]
    normal = np.cross(row_dir, col_dir)
    sr, sc = (float(v) for v in first.PixelSpacing)
    p0 = np.array(first.ImagePositionPatient, float)
    d = [float((np.array(ds.ImagePositionPatient, float) - p0) @ normal) for _, ds in slices]
    dz = d[1] - d[0]
    assert np.allclose(np.diff(d), dz), "the made map has uniform slices"
    vol = np.stack([ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept) for _, ds in slices])
    g = req["grid"]
    h, w = g["rows"], g["columns"]
    j, i = np.mgrid[0:h, 0:w].astype(float)
    pts = (np.array(g["origin"])[None, None, :] + i[..., None] * np.array(g["column_step"])
           + j[..., None] * np.array(g["row_step"]))
    rel = pts - p0
    coords = np.stack([rel @ normal / dz, rel @ col_dir / sr, rel @ row_dir / sc])
    value = scipy.ndimage.map_coordinates(vol, coords.reshape(3, -1), order=1, mode="nearest").reshape(h, w)
    hi = np.array(vol.shape, float)[:, None, None] - 1
    inside = np.all((coords >= 0) & (coords <= hi), axis=0)
    outside = np.any((coords < -1) | (coords > hi + 1), axis=0)
    win = Dataset()
    win.PhotometricInterpretation = "MONOCHROME2"
    win.BitsStored, win.PixelRepresentation = 8, 0
    win.WindowCenter, win.WindowWidth = req["window"]
    win.VOILUTFunction = "LINEAR"
    level = np.floor(apply_windowing(value, win) + 0.5).astype(int)
    table = tables(req["colormap"])
    a = round(req["opacity"] * 255) / 255
    plain = np.array(Image.open(req["plain"]).convert("RGB")).astype(float)
    got = np.array(Image.open(req["render"]).convert("RGB")).astype(float)
    def blend(lv):
        lv = np.clip(lv, 0, 255)
        out = np.floor(plain * (1 - a) + table[lv] * a + 0.5)
        return np.where((lv > 0)[..., None], out, plain)
    ok = np.zeros((h, w), bool)
    for step in (0, -1, 1):
        ok |= np.all(np.abs(got - blend(level + step)) <= 1, axis=2)
    results.append({
        "inside": int(inside.sum()),
        "coloured": int((inside & (level > 0)).sum()),
        "bad_inside": int((inside & ~ok).sum()),
        "exact_level": int((inside & np.all(np.abs(got - blend(level)) <= 1, axis=2)).sum()),
        "outside": int(outside.sum()),
        "changed_outside": int((outside & np.any(got != plain, axis=2)).sum()),
    })
print(json.dumps(results))
"#;

#[test]
fn colour_maps_equal_the_dicom_palette_and_matplotlib() {
    if shared("ct-philips-brain").is_none() {
        return;
    }
    let oracle: serde_json::Value =
        serde_json::from_slice(&run_python::<&str>(TABLES, &[])).expect("JSON tables");
    for map in ColorMap::ALL {
        let want: Vec<[u8; 3]> =
            serde_json::from_value(oracle[map.name()].clone()).expect("a table of 256");
        assert_eq!(want.len(), 256);
        let got = map.table();
        let differ: Vec<usize> = (0..256).filter(|&l| got[l] != want[l]).collect();
        assert!(
            differ.is_empty(),
            "{map}: levels {differ:?} differ, e.g. {:?} against {:?}",
            differ.first().map(|&l| got[l]),
            differ.first().map(|&l| want[l])
        );
    }
}

#[test]
fn colour_mapped_renders_are_the_oracle_table_over_the_grey_render() {
    let Some(series) = shared("ct-philips-brain") else {
        return;
    };
    let oracle: serde_json::Value =
        serde_json::from_slice(&run_python::<&str>(TABLES, &[])).expect("JSON tables");
    let dir = root().join("target/tmp/colormap-oracle");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("output folder");
    let mut slice = std::fs::read_dir(&series)
        .expect("series")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n != "DIRFILE"))
        .collect::<Vec<_>>();
    slice.sort();
    let renderers: &[&str] = if gpu().is_some() {
        &["cpu", "gpu"]
    } else {
        &["cpu"]
    };
    let cases: [(&Path, &[&str], &str); 3] = [
        (&slice[12], &["--window", "40,400"], "hot-iron"),
        (
            &slice[12],
            &["--window", "40,400", "--zoom", "2"],
            "viridis",
        ),
        (
            &series,
            &["--plane", "sagittal", "--window", "40,400"],
            "jet",
        ),
    ];
    let mut checked = 0;
    for renderer in renderers {
        for (k, (source, args, map)) in cases.iter().enumerate() {
            let plain = dir.join(format!("{k}.{renderer}.plain.png"));
            let coloured = dir.join(format!("{k}.{renderer}.{map}.png"));
            let mut with = args.to_vec();
            with.extend(["--renderer", renderer]);
            render_to(source, &with, &plain);
            with.extend(["--colormap", map]);
            render_to(source, &with, &coloured);
            let table: Vec<[u8; 3]> =
                serde_json::from_value(oracle[*map].clone()).expect("a table of 256");
            let (w, h, grey) = hounsfield_conformance::read_png_rgb(&plain);
            let (cw, ch, rgb) = hounsfield_conformance::read_png_rgb(&coloured);
            assert_eq!((w, h), (cw, ch));
            // Background (outside the plane's volume) stays black where the grey render
            // is 0 there.
            let background = grey
                .chunks_exact(3)
                .zip(rgb.chunks_exact(3))
                .filter(|(g, c)| g[0] == 0 && c == &[0, 0, 0] && table[0] != [0, 0, 0])
                .count();
            let differ = grey
                .chunks_exact(3)
                .zip(rgb.chunks_exact(3))
                .filter(|(g, c)| table[usize::from(g[0])] != [c[0], c[1], c[2]])
                .count()
                - background;
            assert!(
                background * 100 <= (w * h) as usize,
                "{renderer} {map}: {background} background pixels"
            );
            let levels: std::collections::BTreeSet<u8> =
                grey.chunks_exact(3).map(|g| g[0]).collect();
            println!(
                "{renderer} {} {map}: {differ} of {} pixels differ from the table over the grey render ({} levels; {background} background)",
                source.display(),
                w * h,
                levels.len()
            );
            assert_eq!(differ, 0, "{renderer} {map}");
            assert!(levels.len() > 100, "too few levels to check the map");
            checked += 1;
        }
    }
    assert!(checked >= 3);
}

/// Makes the map into `dir` with `make_fusion.py`: (source slices in order, map folder,
/// the map in another Frame of Reference).
fn make(dir: &Path) -> Option<(Vec<PathBuf>, PathBuf, PathBuf)> {
    let made = hounsfield_conformance::made_from_ct("make_fusion.py", "pydicom", dir)?;
    let path = |v: &serde_json::Value| PathBuf::from(v.as_str().expect("a path"));
    let slices = made["slices"]
        .as_array()
        .expect("slices")
        .iter()
        .map(path)
        .collect();
    Some((slices, path(&made["map"]), path(&made["elsewhere"])))
}

/// The pixel grid of a source slice, as pydicom reads it.
fn slice_grid(slice: &Path) -> serde_json::Value {
    let script = r#"
import json, sys
import numpy as np
import pydicom
ds = pydicom.dcmread(sys.argv[1], stop_before_pixels=True)
o = np.array(ds.ImageOrientationPatient, float)
sr, sc = (float(v) for v in ds.PixelSpacing)
print(json.dumps({"origin": [float(v) for v in ds.ImagePositionPatient],
                  "column_step": (o[:3] * sc).tolist(), "row_step": (o[3:] * sr).tolist(),
                  "rows": int(ds.Rows), "columns": int(ds.Columns)}))
"#;
    serde_json::from_slice(&run_python(script, &[slice])).expect("JSON grid")
}

#[test]
fn fused_images_and_planes_equal_a_scipy_resampling_of_the_second_series() {
    let dir = root().join("target/tmp/fusion-oracle");
    let Some((slices, map, _)) = make(&dir) else {
        return;
    };
    let has_gpu = gpu().is_some();
    let map_s = map.to_str().expect("utf-8 path");
    let window = [300.0, 1400.0];
    let fuse = |colormap: &str, renderer: &str| -> Vec<String> {
        [
            "--fuse",
            map_s,
            "--fuse-window",
            "300,1400",
            "--fuse-opacity",
            "0.6",
            "--fuse-colormap",
            colormap,
            "--renderer",
            renderer,
        ]
        .map(str::to_string)
        .to_vec()
    };
    let mut requests = Vec::new();
    let mut names = Vec::new();
    // Images: on a map slice (12), between two (13), before the map (1: nothing drawn).
    let mut cases = vec![
        (12, "hot-iron", "cpu"),
        (13, "jet", "cpu"),
        (1, "viridis", "cpu"),
    ];
    if has_gpu {
        cases.push((13, "hot-iron", "gpu"));
    }
    for (k, colormap, renderer) in cases {
        let file = &slices[k];
        let plain = dir.join(format!("{k}.{renderer}.plain.png"));
        let out = dir.join(format!("{k}.{renderer}.{colormap}.png"));
        render_to(file, &["--renderer", renderer], &plain);
        let args = fuse(colormap, renderer);
        let said = render_to(
            file,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            &out,
        );
        assert!(said.contains("hounsfield: fused"), "{said}");
        requests.push(serde_json::json!({
            "fused": map, "grid": slice_grid(file), "window": window, "colormap": colormap,
            "opacity": 0.6, "plain": plain, "render": out,
        }));
        names.push(format!("slice {k} {colormap} {renderer}"));
    }
    // Planes through the CT volume.
    let folder = slices[0].parent().expect("the series folder").to_path_buf();
    let mut planes = vec![("coronal", "viridis", "cpu")];
    if has_gpu {
        planes.push(("sagittal", "hot-iron", "gpu"));
    }
    for (plane, colormap, renderer) in planes {
        let plain = dir.join(format!("{plane}.{renderer}.plain.png"));
        let out = dir.join(format!("{plane}.{renderer}.{colormap}.png"));
        render_to(&folder, &["--plane", plane, "--renderer", renderer], &plain);
        let mut args = vec!["--plane".to_string(), plane.to_string()];
        args.extend(fuse(colormap, renderer));
        let said = render_to(
            &folder,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            &out,
        );
        requests.push(serde_json::json!({
            "fused": map, "grid": hounsfield_conformance::said_grid(&said, &out), "window": window,
            "colormap": colormap, "opacity": 0.6, "plain": plain, "render": out,
        }));
        names.push(format!("{plane} plane {colormap} {renderer}"));
    }
    let results: Vec<serde_json::Value> = serde_json::from_slice(&run_python(
        CHECK,
        &[serde_json::Value::Array(requests).to_string()],
    ))
    .expect("JSON results");
    for (name, r) in names.iter().zip(&results) {
        println!("{name}: {r}");
        let n = |k: &str| r[k].as_u64().unwrap_or(u64::MAX);
        if name.starts_with("slice 1 ") {
            assert!(n("inside") == 0 && n("outside") > 200_000, "{name}: {r}");
        } else {
            assert!(
                n("coloured") > 1000,
                "{name}: too little of the map shows: {r}"
            );
        }
        assert_eq!(
            n("bad_inside"),
            0,
            "{name}: fused pixels differ from SciPy's: {r}"
        );
        assert!(
            n("exact_level") * 1000 >= n("inside") * 995,
            "{name}: too many pixels on the next level: {r}"
        );
        assert_eq!(
            n("changed_outside"),
            0,
            "{name}: drawn outside the map: {r}"
        );
    }
    assert!(
        results.iter().any(|r| r["outside"].as_u64() > Some(1000)),
        "some render reaches outside the map"
    );
}

#[test]
fn a_series_in_another_frame_of_reference_is_refused() {
    let dir = root().join("target/tmp/fusion-refused");
    let Some((slices, _, elsewhere)) = make(&dir) else {
        return;
    };
    let o = Command::new(hounsfield_conformance::hounsfield_bin())
        .arg("render")
        .arg(&slices[6])
        .arg("--fuse")
        .arg(&elsewhere)
        .arg("-o")
        .arg(dir.join("refused.png"))
        .output()
        .expect("hounsfield render");
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "fused without a registration: {said}");
    assert!(
        said.contains("Frame of Reference") && said.contains("registration"),
        "{said}"
    );
    assert!(!dir.join("refused.png").exists());
}
