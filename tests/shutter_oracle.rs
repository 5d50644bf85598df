//! Display shutters (PS3.3 C.7.6.11) against the standard's geometry written again in
//! NumPy. No file of the corpus has one, so pydicom adds them to real images (a CT, an MR,
//! a CR): rectangular, circular, polygonal and combined shutters, with and without a
//! Shutter Presentation Value. NumPy marks the covered pixels (outside any shape: a
//! rectangle's 1-based edges included, a circle by the distance of pixel centres in
//! 1-based pixel numbers, edge included, a polygon by the even-odd crossing rule with
//! half-open edges) and expects `hounsfield render --cpu` to equal its own
//! `--no-shutters` render where visible and round(P-value x 255 / 65535) where covered,
//! exactly; the GPU render (lavapipe) equals the CPU's.

use hounsfield_conformance::{
    gpu, hounsfield_bin, missing, python, read_png_rgb, root, run_python, testdata_dir,
};
use std::path::Path;
use std::process::Command;

const MAKE: &str = r#"
import json, sys
import numpy as np, pydicom
out = sys.argv[1]
sources = sys.argv[2:]
made = []
for k, src in enumerate(sources):
    d0 = pydicom.dcmread(src)
    h, w = int(d0.Rows), int(d0.Columns)
    variants = {
        "rect": dict(shape=["RECTANGULAR"], rect=(w // 5, w - w // 6, h // 7, h - h // 4)),
        "circle": dict(shape=["CIRCULAR"], circle=((h + 1) // 2, w // 2 - 1, min(w, h) // 3), value=30000),
        "polygon": dict(shape=["POLYGONAL"], poly=[(2, w // 2), (h // 2, w - 2), (h - 3, w // 3), (h // 3, 3)], value=65535),
        "rect+circle": dict(shape=["RECTANGULAR", "CIRCULAR"], rect=(3, w - 10, 5, h - 2),
                            circle=(h // 2, w // 2, min(w, h) // 2 - 2), value=12345),
    }
    for name, v in variants.items():
        d = pydicom.dcmread(src)
        d.ShutterShape = v["shape"]
        covered = np.zeros((h, w), bool)
        rows, cols = np.mgrid[1:h + 1, 1:w + 1]
        if "rect" in v:
            l, r, u, lo = v["rect"]
            d.ShutterLeftVerticalEdge, d.ShutterRightVerticalEdge = l, r
            d.ShutterUpperHorizontalEdge, d.ShutterLowerHorizontalEdge = u, lo
            covered |= ~((cols >= l) & (cols <= r) & (rows >= u) & (rows <= lo))
        if "circle" in v:
            cr, cc, rad = v["circle"]
            d.CenterOfCircularShutter = [cr, cc]
            d.RadiusOfCircularShutter = rad
            covered |= (rows - cr) ** 2 + (cols - cc) ** 2 > rad ** 2
        if "poly" in v:
            p = v["poly"]
            d.VerticesOfThePolygonalShutter = [x for q in p for x in q]
            inside = np.zeros((h, w), bool)
            for (ya, xa), (yb, xb) in zip(p, p[1:] + p[:1]):
                straddle = (ya > rows) != (yb > rows)
                with np.errstate(divide="ignore", invalid="ignore"):
                    cross = xa + (rows - ya) / (yb - ya) * (xb - xa)
                inside ^= straddle & (cols < cross)
            covered |= ~inside
        value = v.get("value")
        if value is not None:
            d.ShutterPresentationValue = value
        path = f"{out}/{k}-{name}.dcm"
        d.save_as(path)
        np.save(f"{out}/{k}-{name}.npy", covered)
        made.append({"path": path, "grey": int(round((value or 0) * 255 / 65535)), "covered": int(covered.sum()),
                     "pixels": h * w, "mask": f"{out}/{k}-{name}.npy"})
print(json.dumps(made))
"#;

fn render(path: &Path, out: &Path, args: &[&str]) -> (u32, u32, Vec<u8>) {
    let run = Command::new(hounsfield_bin())
        .arg("render")
        .arg(path)
        .arg("-o")
        .arg(out)
        .args(args)
        .output()
        .expect("hounsfield render");
    assert!(
        run.status.success(),
        "render {}: {}",
        path.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    read_png_rgb(out)
}

#[test]
fn shutters_cover_what_the_standard_says_on_the_cpu_and_the_gpu() {
    let data = testdata_dir().join("pydicom-3.0.2/pydicom/data/test_files");
    let sources = [
        data.join("CT_small.dcm"),
        data.join("MR_small.dcm"),
        data.join("dicomdirtests/77654033/CR1/6154"),
    ];
    for s in &sources {
        if !s.exists() {
            return missing(&s.display().to_string());
        }
    }
    if !python().exists() {
        return missing("the pydicom venv (target/venv)");
    }
    let out = root().join("target/tmp/shutter-oracle");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut args = vec![out.as_os_str()];
    args.extend(sources.iter().map(|s| s.as_os_str()));
    let made: serde_json::Value = serde_json::from_slice(&run_python(MAKE, &args)).expect("json");
    let gpu_ok = gpu().is_some();
    let mut rows = Vec::new();
    for m in made.as_array().expect("list") {
        let path = Path::new(m["path"].as_str().unwrap_or_default());
        let grey = m["grey"].as_u64().unwrap_or(0) as u8;
        let mask = read_npy_bool(Path::new(m["mask"].as_str().unwrap_or_default()));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let (w, h, plain) = render(
            path,
            &out.join(format!("{name}.plain.png")),
            &["--cpu", "--no-shutters"],
        );
        let (_, _, shut) = render(path, &out.join(format!("{name}.cpu.png")), &["--cpu"]);
        assert_eq!(mask.len(), (w * h) as usize, "{name}: mask size");
        let covered = mask.iter().filter(|c| **c).count();
        assert_eq!(covered as u64, m["covered"].as_u64().unwrap_or(0));
        assert!(
            covered > 0 && covered < mask.len(),
            "{name}: {covered} covered"
        );
        for (i, c) in mask.iter().enumerate() {
            let want = if *c {
                [grey; 3]
            } else {
                [plain[3 * i], plain[3 * i + 1], plain[3 * i + 2]]
            };
            assert_eq!(
                &shut[3 * i..3 * i + 3],
                &want,
                "{name}: pixel ({}, {}) {}",
                i as u32 % w,
                i as u32 / w,
                if *c { "covered" } else { "visible" }
            );
        }
        let mut gpu_diff = None;
        if gpu_ok {
            let (_, _, g) = render(path, &out.join(format!("{name}.gpu.png")), &[]);
            let worst = g
                .iter()
                .zip(&shut)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap_or(255);
            assert!(
                worst <= 1,
                "{name}: the GPU render differs from the CPU's by {worst}"
            );
            gpu_diff = Some(worst);
        }
        rows.push(format!(
            "{name}: {covered} of {} pixels covered in grey {grey}, exact on the CPU; GPU max diff {gpu_diff:?}",
            mask.len()
        ));
    }
    for r in &rows {
        println!("shutter: {r}");
    }
    assert_eq!(rows.len(), 12);
}

/// A NumPy .npy file of booleans (version 1, C order).
fn read_npy_bool(path: &Path) -> Vec<bool> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}", path.display());
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = String::from_utf8_lossy(&bytes[10..10 + header_len]);
    assert!(
        header.contains("'|b1'") && header.contains("'fortran_order': False"),
        "{header}"
    );
    bytes[10 + header_len..].iter().map(|b| *b != 0).collect()
}
