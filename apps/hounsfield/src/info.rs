//! `hounsfield info`.

use hounsfield_core::folder::Catalog;
use hounsfield_core::{DicomFile, ModalityLut, Summary};
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(files: &[PathBuf], json: bool) -> Result<ExitCode, String> {
    if files
        .iter()
        .any(|p| p.is_dir() || crate::dicomweb::is_dicomweb(p))
    {
        return run_folders(files, json);
    }
    let mut failed = false;
    let mut out = Vec::new();
    for path in files {
        match DicomFile::open(path) {
            Ok(file) => {
                let summary = file.summary();
                if json {
                    out.push(serde_json::to_value(&summary).map_err(|e| e.to_string())?);
                } else {
                    print_text(&summary);
                }
            }
            Err(e) => {
                failed = true;
                if json {
                    out.push(serde_json::json!({ "file": path.display().to_string(), "error": e.kind.to_string() }));
                } else {
                    eprintln!("{e}");
                }
            }
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn print_text(s: &Summary) {
    let id = &s.identification;
    println!("{}", s.file);
    println!(
        "  patient        {} (id {})",
        opt(&id.patient_name),
        opt(&id.patient_id)
    );
    println!(
        "  study          {} {} uid {}",
        opt(&id.study_date),
        opt(&id.study_description),
        opt(&id.study_instance_uid)
    );
    println!(
        "  series         #{} {} uid {}",
        opt(&id.series_number),
        opt(&id.series_description),
        opt(&id.series_instance_uid)
    );
    println!(
        "  modality       {}   instance {}",
        opt(&id.modality),
        opt(&id.instance_number)
    );
    println!(
        "  transfer syntax {} ({})",
        s.transfer_syntax_name, s.transfer_syntax_uid
    );
    match (&s.image, &s.image_error) {
        (Some(img), _) => {
            println!(
                "  image          {} x {} x {} frames, {} samples, {}",
                img.columns,
                img.rows,
                img.number_of_frames,
                img.samples_per_pixel,
                img.photometric_interpretation
            );
            println!(
                "  bits           allocated {}, stored {}, high bit {}, {}{}",
                img.bits_allocated,
                img.bits_stored,
                img.high_bit,
                if img.signed { "signed" } else { "unsigned" },
                if img.samples_per_pixel > 1 {
                    format!(", planar configuration {}", img.planar_configuration)
                } else {
                    String::new()
                }
            );
        }
        (None, Some(e)) => println!("  image          {e}"),
        (None, None) => {}
    }
    if let Some(d) = &s.display {
        match &d.modality_lut {
            ModalityLut::Identity => {}
            ModalityLut::Rescale {
                slope,
                intercept,
                rescale_type,
            } => println!(
                "  rescale        slope {slope}, intercept {intercept}{}",
                rescale_type
                    .as_ref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            ),
            ModalityLut::Table { lut, .. } => println!(
                "  modality LUT   {} entries from {}, {} bits",
                lut.len(),
                lut.first_mapped,
                lut.bits
            ),
        }
        for (i, w) in d.windows.iter().enumerate() {
            println!(
                "  window {}       center {}, width {}{}",
                i + 1,
                w.center,
                w.width,
                w.explanation
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            );
        }
        if d.voi_lut_function != hounsfield_core::VoiLutFunction::Linear {
            println!("  VOI function   {:?}", d.voi_lut_function);
        }
        for (i, l) in d.voi_luts.iter().enumerate() {
            println!(
                "  VOI LUT {}      {} entries from {}, {} bits{}",
                i + 1,
                l.len(),
                l.first_mapped,
                l.bits,
                l.explanation
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            );
        }
        if let Some(p) = &d.presentation_lut_shape {
            println!("  presentation   {p:?}");
        }
        if let Some(p) = &d.palette {
            println!(
                "  palette        {} entries from {}, {} bits{}",
                p.red.len(),
                p.red.first_mapped,
                p.red.bits,
                if d.supplemental_palette {
                    " (supplemental)"
                } else {
                    ""
                }
            );
        }
    }
    let g = &s.geometry;
    if let Some(p) = g.pixel_spacing {
        println!("  pixel spacing  {} x {} mm", p[0], p[1]);
    }
    if let Some(p) = g.imager_pixel_spacing {
        println!("  imager spacing {} x {} mm", p[0], p[1]);
    }
    if let Some(o) = g.image_orientation_patient {
        println!("  orientation    {o:?}");
    }
    if let Some(p) = g.image_position_patient {
        println!("  position       {p:?} mm");
    }
    if let Some(t) = g.slice_thickness {
        println!("  thickness      {t} mm");
    }
    for n in &s.notes {
        println!("  note           {n}");
    }
}

/// `info FOLDER...`: the series found, each assembled as a volume.
fn run_folders(paths: &[PathBuf], json: bool) -> Result<ExitCode, String> {
    let catalog = match paths {
        [one] if crate::dicomweb::is_dicomweb(one) => {
            crate::dicomweb::Remote::open(&one.to_string_lossy())?.catalog
        }
        _ if paths.iter().any(|p| crate::dicomweb::is_dicomweb(p)) => {
            return Err("give one DICOMweb URL, or folders and files".into());
        }
        _ => Catalog::scan(paths),
    };
    let mut out = Vec::new();
    for (i, series) in catalog.series.iter().enumerate() {
        let first = &catalog.instances[series.instances[0]];
        let stack = catalog.stack(i);
        let mut entry = serde_json::json!({
            "series": i + 1,
            "study_instance_uid": series.study_instance_uid,
            "series_instance_uid": series.series_instance_uid,
            "series_number": series.series_number,
            "series_description": series.series_description,
            "modality": series.modality,
            "part": series.part,
            "instances": series.instances.len(),
            "files": series.instances.iter().map(|&k| catalog.sources[k].name()).collect::<Vec<_>>(),
            "rows": first.rows,
            "columns": first.columns,
        });
        // Stacks and time points: "slices" below is the first stack's first time point.
        let dimensions = catalog.dimensions(i).map(|(_, d)| d).unwrap_or_default();
        entry["dimensions"] = serde_json::json!({
            "columns": first.columns,
            "rows": first.rows,
            "slices": dimensions.slices(),
            "time_points": dimensions.time_points(),
            "stacks": dimensions.stacks.len(),
            "frames": dimensions.frames(),
            "time_axis": dimensions.time_axis.map(|a| a.name()),
            "time_values": dimensions.stacks.first().map(|s| {
                s.time_points.iter().map(|t| t.value).collect::<Vec<_>>()
            }),
            "stack_labels": dimensions.stacks.iter().map(|s| s.label.clone()).collect::<Vec<_>>(),
        });
        match &stack {
            Ok(stack) => {
                let r = &stack.report;
                entry["slices"] = r.slices.into();
                entry["volume"] = (r.slices > 1).into();
                let (plane, oblique) = stack.acquisition_plane();
                entry["orientation"] = plane.into();
                entry["obliquity_degrees"] = oblique.into();
                entry["row_direction"] = serde_json::json!(stack.row_direction);
                entry["column_direction"] = serde_json::json!(stack.column_direction);
                entry["normal"] = serde_json::json!(stack.normal);
                entry["pixel_spacing"] = serde_json::json!(stack.pixel_spacing);
                entry["positions"] =
                    serde_json::json!(stack.slices.iter().map(|s| s.distance).collect::<Vec<_>>());
                entry["image_positions"] =
                    serde_json::json!(stack.slices.iter().map(|s| s.position).collect::<Vec<_>>());
                entry["spacing"] = match r.spacing {
                    Some((lo, hi)) => serde_json::json!({ "min": lo, "max": hi }),
                    None => serde_json::Value::Null,
                };
                entry["tilt_degrees"] = r.tilt_degrees.into();
                entry["warnings"] = serde_json::json!(r.warnings);
            }
            Err(e) => {
                entry["volume"] = false.into();
                entry["warnings"] = serde_json::json!([format!("not a volume: {e}")]);
            }
        }
        if json {
            out.push(entry);
        } else {
            println!(
                "series {} {}: {} x {}",
                i + 1,
                series.label(),
                first.columns,
                first.rows
            );
            if dimensions.stacks.len() > 1 || dimensions.time_points() > 1 {
                let axis = dimensions
                    .time_axis
                    .map_or(String::new(), |a| format!(" along {}", a.name()));
                println!(
                    "  dimensions     {} x {} x {} slices, {} stack(s), {} time point(s){axis}; {} frames",
                    first.columns,
                    first.rows,
                    dimensions.slices(),
                    dimensions.stacks.len(),
                    dimensions.time_points(),
                    dimensions.frames()
                );
            }
            match &stack {
                Ok(stack) => {
                    let r = &stack.report;
                    let (plane, oblique) = stack.acquisition_plane();
                    println!(
                        "  volume         {} slices, {plane} ({oblique:.1} degrees oblique), normal {:.3?}",
                        r.slices, stack.normal
                    );
                    if let (Some(a), Some(b)) = (stack.slices.first(), stack.slices.last()) {
                        println!(
                            "  positions      {:.2} to {:.2} mm along the normal",
                            a.distance, b.distance
                        );
                    }
                    if let Some((lo, hi)) = r.spacing {
                        println!("  spacing        {lo:.2} to {hi:.2} mm");
                    }
                    println!("  tilt           {:.2} degrees", r.tilt_degrees);
                    for w in &r.warnings {
                        println!("  warning        {w}");
                    }
                }
                Err(e) => println!("  warning        not a volume: {e}"),
            }
        }
    }
    if json {
        let doc = serde_json::json!({ "series": out, "skipped": catalog.skipped });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
        );
    } else {
        for s in &catalog.skipped {
            println!("skipped {s}");
        }
    }
    Ok(if catalog.series.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
