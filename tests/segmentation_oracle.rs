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
//!   pixel at least half covered with a 4-neighbour that is not drawn in its colour, every
//!   other covered pixel blended at opacity x coverage (exact integer blend); every other
//!   pixel is the plain render's;
//! - gives the same picture from the copy without references as from the original, on the
//!   CPU and on the GPU path.

use hounsfield_conformance::{
    hounsfield_bin, missing, python, read_png_rgb, root, run_python, shared,
};
use std::path::{Path, PathBuf};
use std::process::Command;

const MAKE: &str = r#"
import copy, json, os, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, pydicom, highdicom as hd
from pydicom.sr.codedict import codes
folder, out = sys.argv[1], sys.argv[2]
ds = []
for n in sorted(os.listdir(folder)):
    try:
        d = pydicom.dcmread(os.path.join(folder, n))
    except Exception:
        continue
    if "PixelData" in d:
        ds.append(d)
ds.sort(key=lambda d: float(d.ImagePositionPatient[2]))
src = ds[12:15]
hu = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in src])
Y, X = np.mgrid[0:src[0].Rows, 0:src[0].Columns]
disc = ((X - 300) ** 2 + (Y - 220) ** 2) < 60 ** 2
masks = np.stack([(hu >= -5) & (hu <= 80), hu > 300, np.broadcast_to(disc, hu.shape)], axis=-1).astype(np.uint8)
def desc(n, label, color):
    return hd.seg.SegmentDescription(
        segment_number=n, segment_label=label,
        segmented_property_category=codes.SCT.Tissue, segmented_property_type=codes.SCT.Tissue,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        display_color=hd.color.CIELabColor.from_string(color))
common = dict(manufacturer="test", manufacturer_model_name="test", software_versions="1", device_serial_number="1")
colors = {"binary": ["red", "yellow", "lime"], "fractional": ["darkviolet"]}
seg = hd.seg.Segmentation(src, masks, hd.seg.SegmentationTypeValues.BINARY,
    [desc(k + 1, l, c) for k, (l, c) in enumerate(zip(["soft tissue", "bone", "disc"], colors["binary"]))],
    hd.UID(), 1, hd.UID(), 1, **common)
seg.save_as(os.path.join(out, "binary.seg.dcm"))
frac = (np.clip((X - 150) / 250.0, 0, 1) * disc).astype(np.float32)
seg2 = hd.seg.Segmentation(src, np.stack([frac] * 3)[..., None], hd.seg.SegmentationTypeValues.FRACTIONAL,
    [desc(1, "probability", colors["fractional"][0])], hd.UID(), 2, hd.UID(), 1,
    fractional_type=hd.seg.SegmentationFractionalTypeValues.PROBABILITY, max_fractional_value=255, **common)
seg2.save_as(os.path.join(out, "fractional.seg.dcm"))
labels = np.where(masks[..., 2] > 0, 3, np.where(masks[..., 1] > 0, 2, np.where(masks[..., 0] > 0, 1, 0))).astype(np.uint8)
seg3 = hd.seg.Segmentation(src, labels, hd.seg.SegmentationTypeValues.LABELMAP,
    [desc(k + 1, l, c) for k, (l, c) in enumerate(zip(["soft tissue", "bone", "disc"], colors["binary"]))],
    hd.UID(), 3, hd.UID(), 1, **common)
seg3.save_as(os.path.join(out, "labelmap.seg.dcm"))
colors["labelmap"] = colors["binary"]
# The same segments with no reference to their source images: placed by their planes.
bare = pydicom.dcmread(os.path.join(out, "binary.seg.dcm"))
for item in bare.PerFrameFunctionalGroupsSequence:
    if "DerivationImageSequence" in item:
        del item.DerivationImageSequence
bare.save_as(os.path.join(out, "unreferenced.seg.dcm"))
rgb = {k: [list(hd.color.CIELabColor.from_string(c).to_rgb()) for c in v] for k, v in colors.items()}
# The masks of each source slice, per segmentation, as highdicom gives them.
slices = []
for d in src:
    uid = d.SOPInstanceUID
    per = {}
    for name in ("binary", "fractional", "labelmap"):
        s = hd.seg.segread(os.path.join(out, f"{name}.seg.dcm"))
        numbers = list(s.segment_numbers)
        m = s.get_pixels_by_source_instance(source_sop_instance_uids=[uid], segment_numbers=numbers,
                                            combine_segments=False, rescale_fractional=True)[0]
        if name == "labelmap":
            m = np.stack([m[..., 0] == n for n in numbers], axis=-1) if m.shape[-1] == 1 else m
        cover = np.rint(m.astype(np.float64) * 255).astype(np.uint8) if name == "fractional" else (m > 0).astype(np.uint8) * 255
        np.save(os.path.join(out, f"{uid}.{name}.npy"), cover)
        per[name] = numbers
    slices.append({"path": d.filename, "uid": uid, "segments": per})
print(json.dumps({"slices": slices, "rgb": rgb}))
"#;

const PAINT: &str = r#"
import json, os, sys
import numpy as np
from PIL import Image
req = json.loads(sys.argv[1])
img = np.array(Image.open(req["plain"]).convert("RGB")).astype(np.int64)
h, w = img.shape[:2]
alpha = int(round(req["opacity"] * 255))
for name, colors in req["layers"]:
    cover = np.load(os.path.join(req["dir"], f"{req['uid']}.{name}.npy")).astype(np.int64)
    for k in range(cover.shape[-1]):
        c = cover[..., k]
        inside = c >= 128
        pad = np.pad(inside, 1, constant_values=False)
        edge = inside & ~(pad[1:-1, :-2] & pad[1:-1, 2:] & pad[:-2, 1:-1] & pad[2:, 1:-1])
        a = alpha * c
        col = np.array(colors[k], np.int64)
        blend = (img * (65025 - a[..., None]) + col * a[..., None] + 32512) // 65025
        img = np.where((c > 0)[..., None], blend, img)
        img = np.where(edge[..., None], col, img)
np.save(req["out"], img.astype(np.uint8))
"#;

fn render(args: &[&str], file: &Path, out: &Path) -> String {
    let o = Command::new(hounsfield_bin())
        .arg("render")
        .arg(file)
        .args(args)
        .arg("-o")
        .arg(out)
        .output()
        .expect("hounsfield render");
    let said = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{said}");
    said
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
    let Some(folder) = shared("ct-philips-brain") else {
        return;
    };
    if !Command::new(python())
        .args(["-c", "import highdicom, PIL"])
        .status()
        .is_ok_and(|s| s.success())
    {
        missing("highdicom and Pillow in target/venv");
        return;
    }
    let dir = root().join("target/tmp/segmentation-oracle");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let made: serde_json::Value =
        serde_json::from_slice(&run_python(MAKE, &[folder.as_os_str(), dir.as_os_str()]))
            .expect("json");
    let seg = |name: &str| dir.join(format!("{name}.seg.dcm"));
    let (binary, fractional, labelmap, unreferenced) = (
        seg("binary"),
        seg("fractional"),
        seg("labelmap"),
        seg("unreferenced"),
    );
    let mut checked = 0usize;
    let mut painted = 0usize;
    for s in made["slices"].as_array().expect("slices") {
        let file = PathBuf::from(s["path"].as_str().expect("path"));
        let uid = s["uid"].as_str().expect("uid");
        for (renderer, segs) in [
            ("cpu", vec![&binary, &fractional]),
            ("cpu", vec![&labelmap]),
            ("gpu", vec![&binary]),
        ] {
            let plain = dir.join(format!("{uid}.{renderer}.plain.png"));
            render(&["--renderer", renderer], &file, &plain);
            let mut args = vec!["--renderer", renderer];
            for p in &segs {
                args.extend(["--segmentation", p.to_str().expect("utf-8")]);
            }
            let out = dir.join(format!("{uid}.{renderer}.{}.seg.png", segs.len()));
            let said = render(&args, &file, &out);
            // The colours: highdicom's conversion of the same CIELab values.
            let ours = said_colors(&said);
            let names: Vec<&str> = if segs.len() == 2 {
                vec!["binary", "fractional"]
            } else if segs[0] == &labelmap {
                vec!["labelmap"]
            } else {
                vec!["binary"]
            };
            let kind = names.join("+");
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
                layers.push(serde_json::json!([n, ours[at..at + k]]));
                at += k;
            }
            let want = dir.join(format!("{uid}.{renderer}.{kind}.want.npy"));
            let request = serde_json::json!({
                "plain": plain, "dir": dir, "uid": uid, "opacity": 0.5,
                "layers": layers, "out": want,
            });
            run_python(PAINT, &[request.to_string()]);
            let want = read_npy_rgb(&want);
            let (w, h, got) = read_png_rgb(&out);
            assert_eq!(got.len(), (w * h * 3) as usize);
            let (_, _, before) = read_png_rgb(&plain);
            let differ = got.iter().zip(&want).filter(|(a, b)| a != b).count();
            assert_eq!(
                differ, 0,
                "{uid} {renderer}: {differ} samples differ from NumPy"
            );
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
        "segmentation: {checked} renders (3 slices; binary + fractional and labelmap on the CPU, binary on the GPU) equal NumPy's painting of highdicom's masks ({painted} pixels painted); colours within 2 of highdicom's; placed by plane = by reference"
    );
    assert!(painted > 10_000, "hardly anything was painted: {painted}");
}

/// An RGB uint8 array of shape (h, w, 3) saved by NumPy.
fn read_npy_rgb(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("npy");
    let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    bytes[10 + header..].to_vec()
}
