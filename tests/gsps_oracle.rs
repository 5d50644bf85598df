//! Grayscale Softcopy Presentation States against DCMTK's `dcmp2pgm`, which renders an
//! image through a presentation state. highdicom makes the states from corpus images (no
//! real one is in the corpus): a Softcopy VOI window, a Presentation LUT Shape (INVERSE,
//! or IDENTITY on a MONOCHROME1 radiograph, which then shows uninverted), and pydicom adds
//! the spatial transformation (Image Rotation 90, 180, 270; Image Horizontal Flip).
//! `hounsfield render --presentation-state` on the CPU and on the GPU (lavapipe) equals
//! `dcmp2pgm` within 1 grey level.
//!
//! Displayed areas (PS3.3 C.10.4): dcmp2pgm renders the whole image whatever area the state
//! selects, so the expected image is its rendering cut to the area (black outside the
//! image), repeated for a magnification; the area's output is checked the same on the CPU
//! and on the GPU.
//!
//! Presentation LUT tables (C.11.6): highdicom makes states with a Presentation LUT
//! Sequence (gamma curves of 1024 and 4096 entries, 10 and 12 bits) after a window or a
//! VOI LUT table (on the GPU the two tables go as one composed table), on a CT, an MR and
//! the MONOCHROME1 radiograph (where the table replaces the inversion, as DCMTK agrees).
//! The standard does not say how the VOI output is rounded to the table's input: DCMTK
//! truncates where Hounsfield rounds half to even, one entry apart, so the tables are fine
//! enough that one entry is less than one grey level.
//!
//! One deviation of DCMTK is accounted for: a state's pipeline overrides the image's
//! Photometric Interpretation (PS3.4 N.2.1.4, note 1), so a MONOCHROME1 image under
//! Presentation LUT Shape IDENTITY shows its lowest values black; dcmp2pgm keeps the
//! MONOCHROME1 inversion there (under INVERSE the two agree), so for that case the
//! expected image is dcmp2pgm's inverted.

use hounsfield_conformance::{
    gpu, hounsfield_bin, missing, python, read_png_rgb, root, run_python, testdata_dir,
};
use std::path::Path;
use std::process::Command;

const MAKE: &str = r#"
import sys
import highdicom as hd, pydicom
img_path, out, center, width, shape, rotation, flip = sys.argv[1:8]
img = pydicom.dcmread(img_path)
ps = hd.pr.GrayscaleSoftcopyPresentationState(
    referenced_images=[img], series_instance_uid=hd.UID(), series_number=99, sop_instance_uid=hd.UID(),
    instance_number=1, manufacturer="test", manufacturer_model_name="test", software_versions="1",
    device_serial_number="1", content_label="TEST",
    voi_lut_transformations=[hd.pr.SoftcopyVOILUTTransformation(window_center=float(center), window_width=float(width))],
    presentation_lut_transformation=hd.PresentationLUTTransformation(
        presentation_lut_shape=getattr(hd.PresentationLUTShapeValues, shape)))
ps.ImageRotation = int(rotation)
ps.ImageHorizontalFlip = flip
ps.save_as(out)
"#;

/// A state with a Presentation LUT table: `entries` entries of `bits` bits following
/// (i / (entries - 1)) ^ gamma, after a window or (`voi_table` Y) a VOI LUT table over
/// stored values 0-4095 (a cosine curve, 16-bit output).
const MAKE_PLUT: &str = r#"
import sys
import numpy as np, highdicom as hd, pydicom
img_path, out, center, width, entries, bits, gamma, voi_table = sys.argv[1:9]
img = pydicom.dcmread(img_path)
n, top = int(entries), 2 ** int(bits) - 1
data = np.round(top * (np.arange(n) / (n - 1)) ** float(gamma)).astype(np.uint16)
if voi_table == "Y":
    x = np.arange(4096)
    t = np.round(65535 * (1 - np.cos(np.pi * x / 4095)) / 2).astype(np.uint16)
    voi = hd.pr.SoftcopyVOILUTTransformation(voi_luts=[hd.VOILUT(first_mapped_value=0, lut_data=t)])
else:
    voi = hd.pr.SoftcopyVOILUTTransformation(window_center=float(center), window_width=float(width))
ps = hd.pr.GrayscaleSoftcopyPresentationState(
    referenced_images=[img], series_instance_uid=hd.UID(), series_number=99, sop_instance_uid=hd.UID(),
    instance_number=1, manufacturer="test", manufacturer_model_name="test", software_versions="1",
    device_serial_number="1", content_label="PLUT", voi_lut_transformations=[voi],
    presentation_lut_transformation=hd.PresentationLUTTransformation(
        presentation_lut=hd.PresentationLUT(first_mapped_value=0, lut_data=data)))
ps.PresentationLUTSequence[0].LUTDescriptor = [n, 0, int(bits)]
ps.save_as(out)
"#;

/// Sets the state's displayed area: top left and bottom right corners (column, row), the
/// Presentation Size Mode and, for MAGNIFY, the magnification.
const SET_AREA: &str = r#"
import sys
import pydicom
src, out, c1, r1, c2, r2, mode, ratio = sys.argv[1:9]
ps = pydicom.dcmread(src)
item = ps.DisplayedAreaSelectionSequence[0]
item.DisplayedAreaTopLeftHandCorner = [int(c1), int(r1)]
item.DisplayedAreaBottomRightHandCorner = [int(c2), int(r2)]
item.PresentationSizeMode = mode
if mode == "MAGNIFY":
    item.PresentationPixelMagnificationRatio = float(ratio)
ps.save_as(out)
"#;

/// A PGM (P5, 8-bit) as written by dcmp2pgm: width, height, pixels.
fn read_pgm(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes[i] == b'#' {
            while bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..i]).to_string());
    }
    assert_eq!(fields[0], "P5", "{}", path.display());
    assert_eq!(fields[3], "255", "{}: 8-bit PGM expected", path.display());
    let (w, h): (u32, u32) = (
        fields[1].parse().unwrap_or(0),
        fields[2].parse().unwrap_or(0),
    );
    (w, h, bytes[i + 1..].to_vec())
}

/// The files, dcmp2pgm and highdicom are there: a fresh output folder `target/tmp/NAME`;
/// else the oracle is reported missing (which fails the test where oracles are required).
fn prerequisites(paths: &[&Path], name: &str) -> Option<std::path::PathBuf> {
    for path in paths {
        if !path.exists() {
            missing(&path.display().to_string());
            return None;
        }
    }
    if Command::new("dcmp2pgm").arg("--version").output().is_err() {
        missing("dcmp2pgm (Debian dcmtk)");
        return None;
    }
    if !Command::new(python())
        .args(["-c", "import highdicom"])
        .status()
        .is_ok_and(|s| s.success())
    {
        missing("highdicom in target/venv");
        return None;
    }
    let out = root().join("target/tmp").join(name);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("mkdir");
    Some(out)
}

/// `hounsfield render IMAGE --presentation-state PS -o PNG ARGS`: width, height, grey.
fn render(image: &Path, ps: &Path, png: &Path, args: &[&str]) -> (u32, u32, Vec<u8>) {
    let run = Command::new(hounsfield_bin())
        .arg("render")
        .arg(image)
        .arg("--presentation-state")
        .arg(ps)
        .arg("-o")
        .arg(png)
        .args(args)
        .output()
        .expect("hounsfield render");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (w, h, rgb) = read_png_rgb(png);
    (w, h, rgb.chunks_exact(3).map(|p| p[0]).collect())
}

/// The largest difference of two grey images of the same size (255 when one is empty).
fn max_diff(ours: &[u8], theirs: &[u8]) -> u8 {
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(255)
}

/// dcmp2pgm's rendering of `image` through `ps`.
fn dcmp2pgm(image: &Path, ps: &Path, pgm: &Path) -> (u32, u32, Vec<u8>) {
    let dcmtk = Command::new("dcmp2pgm")
        .arg("-p")
        .arg(ps)
        .arg(image)
        .arg(pgm)
        .output()
        .expect("dcmp2pgm");
    assert!(
        dcmtk.status.success(),
        "{}",
        String::from_utf8_lossy(&dcmtk.stderr)
    );
    read_pgm(pgm)
}

#[test]
fn presentation_states_render_as_dcmp2pgm_renders_them() {
    let data = testdata_dir();
    let cases = [
        (
            data.join("pydicom-3.0.2/pydicom/data/test_files/CT_small.dcm"),
            ("40", "400", "INVERSE", "90", "Y"),
        ),
        (
            data.join("pydicom-3.0.2/pydicom/data/test_files/MR_small.dcm"),
            ("600", "1200", "IDENTITY", "270", "N"),
        ),
        (
            data.join("pydicom-data-1.0.0/data_store/data/RG3_UNCI.dcm"),
            ("512", "700", "IDENTITY", "180", "Y"),
        ),
        (
            data.join("pydicom-data-1.0.0/data_store/data/RG3_UNCI.dcm"),
            ("400", "500", "INVERSE", "0", "N"),
        ),
    ];
    let paths: Vec<&Path> = cases.iter().map(|(p, _)| p.as_path()).collect();
    let Some(out) = prerequisites(&paths, "gsps-oracle") else {
        return;
    };
    let gpu_ok = gpu().is_some();
    let mut rows = Vec::new();
    for (k, (image, (center, width, shape, rotation, flip))) in cases.iter().enumerate() {
        let ps = out.join(format!("{k}.gsps.dcm"));
        run_python(
            MAKE,
            &[
                image.as_os_str(),
                ps.as_os_str(),
                center.as_ref(),
                width.as_ref(),
                shape.as_ref(),
                rotation.as_ref(),
                flip.as_ref(),
            ],
        );
        let (w, h, mut theirs) = dcmp2pgm(image, &ps, &out.join(format!("{k}.pgm")));
        let mono1 = hounsfield_core::DicomFile::open(image)
            .ok()
            .and_then(|f| f.image().ok().map(|i| i.photometric_interpretation.clone()))
            == Some(hounsfield_core::PhotometricInterpretation::Monochrome1);
        if mono1 && *shape == "IDENTITY" {
            theirs.iter_mut().for_each(|v| *v = 255 - *v);
        }
        let mut worst = Vec::new();
        let renderers: &[&[&str]] = if gpu_ok {
            &[&["--cpu"], &["--renderer", "gpu"]]
        } else {
            &[&["--cpu"]]
        };
        for args in renderers {
            let png = out.join(format!("{k}-{}.png", args.join("")));
            let (ow, oh, ours) = render(image, &ps, &png, args);
            assert_eq!((ow, oh), (w, h), "case {k}: size");
            let d = max_diff(&ours, &theirs);
            assert!(d <= 1, "case {k} {args:?}: differs from dcmp2pgm by {d}");
            worst.push(d);
        }
        let name = image
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        rows.push(format!(
            "{name}: window {center}/{width}, {shape}, rotation {rotation}, flip {flip} -> {w} x {h}; max diff vs dcmp2pgm (CPU, GPU) {worst:?}"
        ));
    }
    for r in rows {
        println!("gsps: {r}");
    }
}

#[test]
fn displayed_areas_show_the_part_of_dcmp2pgms_rendering_they_select() {
    let image = testdata_dir().join("pydicom-3.0.2/pydicom/data/test_files/CT_small.dcm");
    let Some(out) = prerequisites(&[&image], "gsps-area-oracle") else {
        return;
    };
    let base = out.join("base.gsps.dcm");
    run_python(
        MAKE,
        &[
            image.as_os_str(),
            base.as_os_str(),
            "40".as_ref(),
            "400".as_ref(),
            "IDENTITY".as_ref(),
            "0".as_ref(),
            "N".as_ref(),
        ],
    );
    // The whole image as DCMTK renders it (it ignores the displayed area).
    let (w, h, full) = dcmp2pgm(&image, &base, &out.join("base.pgm"));
    let at = |x: i64, y: i64| -> u8 {
        if (0..i64::from(w)).contains(&x) && (0..i64::from(h)).contains(&y) {
            full[(y * i64::from(w) + x) as usize]
        } else {
            0
        }
    };
    // (top left, bottom right as 1-based column and row, mode, magnification, --size):
    // inside the image; partly outside it (black there); magnified twice; fitted into a
    // given size twice the area's; TRUE SIZE (shown as SCALE TO FIT).
    let cases: [([i64; 4], &str, i64, Option<&str>); 5] = [
        ([20, 30, 100, 90], "SCALE TO FIT", 1, None),
        ([-9, 101, 40, 140], "SCALE TO FIT", 1, None),
        ([50, 50, 69, 59], "MAGNIFY", 2, None),
        ([20, 30, 100, 90], "SCALE TO FIT", 2, Some("162x122")),
        ([1, 1, 64, 128], "TRUE SIZE", 1, None),
    ];
    let renderers: &[&str] = if gpu().is_some() {
        &["cpu", "gpu"]
    } else {
        &["cpu"]
    };
    for (k, ([c1, r1, c2, r2], mode, m, size)) in cases.iter().enumerate() {
        let ps = out.join(format!("area{k}.gsps.dcm"));
        let args = [c1, r1, c2, r2, m].map(|v| v.to_string());
        run_python(
            SET_AREA,
            &[
                base.as_os_str(),
                ps.as_os_str(),
                args[0].as_ref(),
                args[1].as_ref(),
                args[2].as_ref(),
                args[3].as_ref(),
                mode.as_ref(),
                args[4].as_ref(),
            ],
        );
        // The area's pixels, each repeated m times across and down.
        let (aw, ah) = ((c2 - c1 + 1) * m, (r2 - r1 + 1) * m);
        let expected: Vec<u8> = (0..ah)
            .flat_map(|y| (0..aw).map(move |x| (x, y)))
            .map(|(x, y)| at(c1 - 1 + x / m, r1 - 1 + y / m))
            .collect();
        for renderer in renderers {
            let mut a = vec!["--renderer", renderer];
            if let Some(s) = size {
                a.extend(["--size", s]);
            }
            let png = out.join(format!("area{k}-{renderer}.png"));
            let (ow, oh, ours) = render(&image, &ps, &png, &a);
            assert_eq!(
                (i64::from(ow), i64::from(oh)),
                (aw, ah),
                "area case {k} ({renderer}): size"
            );
            let d = max_diff(&ours, &expected);
            assert!(
                d <= 1,
                "area case {k} ({renderer}): differs from dcmp2pgm's cut by {d}"
            );
            println!(
                "gsps area: ({c1},{r1})-({c2},{r2}) {mode} x{m} {size:?} on the {renderer}: {ow} x {oh}, max diff {d}"
            );
        }
    }
}

#[test]
fn presentation_lut_tables_render_as_dcmp2pgm_renders_them() {
    let data = testdata_dir();
    let ct = data.join("pydicom-3.0.2/pydicom/data/test_files/CT_small.dcm");
    let mr = data.join("pydicom-3.0.2/pydicom/data/test_files/MR_small.dcm");
    let cr = data.join("pydicom-data-1.0.0/data_store/data/RG3_UNCI.dcm");
    // (image, window centre and width, entries, bits, gamma, VOI LUT table)
    let cases: [(&Path, &str, &str, &str, &str, &str, &str); 4] = [
        (&ct, "40", "400", "4096", "12", "2.0", "N"),
        (&ct, "40", "400", "1024", "10", "1.7", "N"),
        (&cr, "512", "700", "4096", "12", "2.0", "N"),
        (&mr, "0", "0", "4096", "12", "0.8", "Y"),
    ];
    let Some(out) = prerequisites(&[&ct, &mr, &cr], "gsps-plut-oracle") else {
        return;
    };
    let renderers: &[&str] = if gpu().is_some() {
        &["cpu", "gpu"]
    } else {
        &["cpu"]
    };
    for (k, (image, center, width, entries, bits, gamma, voi_table)) in cases.iter().enumerate() {
        let ps = out.join(format!("plut{k}.gsps.dcm"));
        run_python(
            MAKE_PLUT,
            &[
                image.as_os_str(),
                ps.as_os_str(),
                center.as_ref(),
                width.as_ref(),
                entries.as_ref(),
                bits.as_ref(),
                gamma.as_ref(),
                voi_table.as_ref(),
            ],
        );
        let (w, h, theirs) = dcmp2pgm(image, &ps, &out.join(format!("plut{k}.pgm")));
        // The table matters: without it (the plain window) the image differs from DCMTK's
        // by far more than the tolerance, so a renderer ignoring it fails.
        if *voi_table == "N" {
            let png = out.join(format!("plut{k}-plain.png"));
            let plain = Command::new(hounsfield_bin())
                .arg("render")
                .arg(image)
                .args(["--cpu", "--window", &format!("{center},{width}"), "-o"])
                .arg(&png)
                .output()
                .expect("hounsfield render");
            assert!(plain.status.success());
            let (_, _, rgb) = read_png_rgb(&png);
            let d = rgb
                .chunks_exact(3)
                .zip(&theirs)
                .map(|(a, b)| a[0].abs_diff(*b))
                .max()
                .unwrap_or(0);
            assert!(
                d > 8,
                "table case {k}: the table changes too little ({d}) to be tested"
            );
        }
        for renderer in renderers {
            let png = out.join(format!("plut{k}-{renderer}.png"));
            let (ow, oh, ours) = render(image, &ps, &png, &["--renderer", renderer]);
            assert_eq!((ow, oh), (w, h), "table case {k}: size");
            let d = max_diff(&ours, &theirs);
            assert!(
                d <= 1,
                "table case {k} ({renderer}): differs from dcmp2pgm by {d}"
            );
            println!(
                "gsps table: {} {entries} entries of {bits} bits, gamma {gamma}, after {} on the {renderer}: max diff {d}",
                image
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default(),
                if *voi_table == "Y" {
                    "a VOI LUT table".to_string()
                } else {
                    format!("window {center}/{width}")
                },
            );
        }
    }
}
