//! The CPU reference against pydicom's display functions, for what DCMTK 3.6.7 does not
//! implement or implements differently:
//! - VOI LUT Functions LINEAR, LINEAR_EXACT (C.11.2.1.3.2) and SIGMOID (C.11.2.1.3.1) on
//!   real-valued modality output (`apply_modality_lut` + `apply_windowing`), within 1 of
//!   8-bit output;
//! - Palette Color LUT expansion, including segmented and 8/16-bit palettes, against
//!   `apply_color_lut`, exactly (PALETTE COLOR images, supplemental palettes and the
//!   Color Palette objects of the pydicom wheel).
//!
//! Lossy JPEG files are left out of the VOI comparison (their decoded values may differ
//! by the decoder's rounding, bounded in `decode_oracle.rs`). pydicom's `apply_color_lut`
//! reads LUT data of big endian files in little endian order; those palettes are checked
//! against DCMTK in `display_oracle.rs` instead.

use hounsfield_conformance::{corpus, missing, print_table, python, root};
use hounsfield_core::pipeline::{RenderOptions, VoiSelection, modality_range, render_frame};
use hounsfield_core::{DicomFile, FrameColor, PaletteColorLut, VoiLutFunction};
use std::process::Command;

struct VoiCase {
    id: String,
    label: String,
    path: std::path::PathBuf,
    center: f64,
    width: f64,
    function: VoiLutFunction,
}

fn function_name(f: VoiLutFunction) -> &'static str {
    match f {
        VoiLutFunction::Linear => "LINEAR",
        VoiLutFunction::LinearExact => "LINEAR_EXACT",
        VoiLutFunction::Sigmoid => "SIGMOID",
    }
}

#[test]
fn voi_functions_and_palettes_match_pydicom() {
    let Some(files) = corpus() else {
        return missing("the test corpus (pydicom wheels and ../shared/data)");
    };
    if !python().exists() {
        return missing("the pydicom oracle (target/venv)");
    }
    let mut voi_cases = Vec::new();
    let mut palettes: Vec<(String, String, std::path::PathBuf)> = Vec::new();
    for (k, f) in files.iter().enumerate() {
        let Ok(file) = DicomFile::open(&f.path) else {
            continue;
        };
        let Ok(image) = file.image().cloned() else {
            // Color Palette objects carry a palette and no image.
            let a = file.attributes();
            if PaletteColorLut::from_attributes(&a, false)
                .ok()
                .flatten()
                .is_some()
            {
                palettes.push((format!("p{k}"), f.label.clone(), f.path.clone()));
            }
            continue;
        };
        let Ok(frame) = file.decode_frame(0) else {
            continue;
        };
        let Ok(params) = file.display_parameters(0) else {
            continue;
        };
        if params.palette.is_some() {
            palettes.push((format!("p{k}"), f.label.clone(), f.path.clone()));
        }
        let lossy_jpeg = file.transfer_syntax().lossy
            && file.transfer_syntax().codec == hounsfield_core::Codec::Jpeg;
        if frame.color != FrameColor::Monochrome
            || image.float
            || params.supplemental_palette
            || lossy_jpeg
        {
            continue;
        }
        let (lo, hi) = modality_range(&params.modality_lut, &frame);
        let mid = ((lo + hi) / 2.0).round();
        let half = ((hi - lo) / 2.0).round().max(2.0);
        for (j, (function, width)) in [
            (VoiLutFunction::Linear, half),
            (VoiLutFunction::LinearExact, half),
            (VoiLutFunction::LinearExact, 1.0),
            (VoiLutFunction::Sigmoid, half),
        ]
        .into_iter()
        .enumerate()
        {
            voi_cases.push(VoiCase {
                id: format!("v{k}_{j}"),
                label: f.label.clone(),
                path: f.path.clone(),
                center: mid,
                width,
                function,
            });
        }
    }
    let out = root().join("target/oracle/pydicom-display");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("oracle dir");
    let mut requests: Vec<serde_json::Value> = voi_cases
        .iter()
        .map(|c| {
            serde_json::json!({"id": c.id, "kind": "voi", "file": c.path, "frame": 0,
                "center": c.center, "width": c.width, "function": function_name(c.function)})
        })
        .collect();
    requests.extend(
        palettes
            .iter()
            .map(|(id, _, p)| serde_json::json!({"id": id, "kind": "palette", "file": p})),
    );
    let req_path = out.join("requests.json");
    std::fs::write(&req_path, serde_json::to_vec(&requests).expect("json"))
        .expect("write requests");
    let status = Command::new(python())
        .arg(root().join("tests/scripts/pydicom_display.py"))
        .arg(&out)
        .arg(&req_path)
        .status()
        .expect("run python");
    assert!(status.success(), "pydicom_display.py failed");

    let mut rows = Vec::new();
    let mut failures = 0;
    for c in &voi_cases {
        let case = format!("{} {},{}", function_name(c.function), c.center, c.width);
        let theirs = std::fs::read(out.join(format!("{}.bin", c.id)));
        let detail = match theirs {
            Err(_) => {
                let why =
                    std::fs::read_to_string(out.join(format!("{}.err", c.id))).unwrap_or_default();
                rows.push(vec![
                    c.label.clone(),
                    case,
                    "skip".into(),
                    format!("pydicom cannot: {why}"),
                ]);
                continue;
            }
            Ok(t) => {
                let file = DicomFile::open(&c.path).expect("opened before");
                let frame = file.decode_frame(0).expect("decoded before");
                let params = file.display_parameters(0).expect("read before");
                let options = RenderOptions {
                    voi: VoiSelection::Window {
                        center: c.center,
                        width: c.width,
                    },
                    voi_function: Some(c.function),
                    invert: false,
                };
                let mut ours = render_frame(&frame, &params, &options).expect("render");
                if params.inverse() {
                    // pydicom's apply_windowing has no presentation stage.
                    ours.pixels.iter_mut().for_each(|v| *v = 255 - *v);
                }
                if t.len() != ours.pixels.len() {
                    Err(format!(
                        "{} samples, pydicom {}",
                        ours.pixels.len(),
                        t.len()
                    ))
                } else {
                    let worst = t
                        .iter()
                        .zip(&ours.pixels)
                        .map(|(a, b)| a.abs_diff(*b))
                        .max()
                        .unwrap_or(0);
                    if worst <= 1 {
                        Ok(format!("max |diff| {worst}"))
                    } else {
                        Err(format!("max |diff| {worst}"))
                    }
                }
            }
        };
        let (status, text) = match detail {
            Ok(t) => ("ok", t),
            Err(t) => {
                failures += 1;
                ("FAIL", t)
            }
        };
        rows.push(vec![c.label.clone(), case, status.into(), text]);
    }
    for (id, label, path) in &palettes {
        let file = DicomFile::open(path).expect("opened before");
        let a = file.attributes();
        let signed = file.image().map(|d| d.signed).unwrap_or(false);
        let ours = PaletteColorLut::from_attributes(&a, signed)
            .expect("palette")
            .expect("palette");
        if file.transfer_syntax().big_endian {
            rows.push(vec![
                label.clone(),
                "palette".into(),
                "skip".into(),
                "big endian: pydicom misreads the LUT byte order; DCMTK checks it".into(),
            ]);
            continue;
        }
        let (status, text) = match std::fs::read(out.join(format!("{id}.bin"))) {
            Err(_) => {
                let why =
                    std::fs::read_to_string(out.join(format!("{id}.err"))).unwrap_or_default();
                ("skip", format!("pydicom cannot read it: {why}"))
            }
            Ok(t) => {
                let theirs: Vec<u16> = t
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let mut ok = theirs.len() == 3 * ours.red.len();
                for (i, rgb) in theirs.chunks_exact(3).enumerate() {
                    ok &= rgb == [ours.red.data[i], ours.green.data[i], ours.blue.data[i]];
                }
                if ok {
                    (
                        "ok",
                        format!(
                            "{} entries of {} bits, exact",
                            ours.red.len(),
                            ours.red.bits
                        ),
                    )
                } else {
                    failures += 1;
                    (
                        "FAIL",
                        format!(
                            "{} entries differ from apply_color_lut ({} values)",
                            ours.red.len(),
                            theirs.len()
                        ),
                    )
                }
            }
        };
        rows.push(vec![label.clone(), "palette".into(), status.into(), text]);
    }
    print_table(&["file", "case", "result", "detail"], &rows);
    println!("\n{} comparisons, {failures} failures", rows.len());
    assert!(rows.len() > 300, "too few comparisons ({})", rows.len());
    assert_eq!(
        failures, 0,
        "CPU reference differs from pydicom (table above)"
    );
}
