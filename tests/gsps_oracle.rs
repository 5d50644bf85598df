//! Grayscale Softcopy Presentation States against DCMTK's `dcmp2pgm`, which renders an
//! image through a presentation state. highdicom makes the states from corpus images (no
//! real one is in the corpus): a Softcopy VOI window, a Presentation LUT Shape (INVERSE,
//! or IDENTITY on a MONOCHROME1 radiograph, which then shows uninverted), and pydicom adds
//! the spatial transformation (Image Rotation 90, 180, 270; Image Horizontal Flip).
//! `hounsfield render --presentation-state` on the CPU and on the GPU (lavapipe) equals
//! `dcmp2pgm` within 1 grey level.
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
    for (path, _) in &cases {
        if !path.exists() {
            return missing(&path.display().to_string());
        }
    }
    if Command::new("dcmp2pgm").arg("--version").output().is_err() {
        return missing("dcmp2pgm (Debian dcmtk)");
    }
    if !Command::new(python())
        .args(["-c", "import highdicom"])
        .status()
        .is_ok_and(|s| s.success())
    {
        return missing("highdicom in target/venv");
    }
    let out = root().join("target/tmp/gsps-oracle");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("mkdir");
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
        let pgm = out.join(format!("{k}.pgm"));
        let dcmtk = Command::new("dcmp2pgm")
            .arg("-p")
            .arg(&ps)
            .arg(image)
            .arg(&pgm)
            .output()
            .expect("dcmp2pgm");
        assert!(
            dcmtk.status.success(),
            "{}",
            String::from_utf8_lossy(&dcmtk.stderr)
        );
        let (w, h, mut theirs) = read_pgm(&pgm);
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
            let run = Command::new(hounsfield_bin())
                .arg("render")
                .arg(image)
                .arg("--presentation-state")
                .arg(&ps)
                .arg("-o")
                .arg(&png)
                .args(*args)
                .output()
                .expect("hounsfield render");
            assert!(
                run.status.success(),
                "{}",
                String::from_utf8_lossy(&run.stderr)
            );
            let (ow, oh, ours) = read_png_rgb(&png);
            assert_eq!((ow, oh), (w, h), "case {k}: size");
            let d = ours
                .chunks_exact(3)
                .zip(&theirs)
                .map(|(a, b)| a[0].abs_diff(*b))
                .max()
                .unwrap_or(255);
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
