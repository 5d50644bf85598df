//! `hounsfield measure`: region statistics and lengths in real units, as the viewer shows
//! them, for scripts.

use hounsfield_core::DicomFile;
use hounsfield_core::measure::{Roi, measure};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `hounsfield measure`.
#[derive(Debug, clap::Args)]
pub struct MeasureArgs {
    /// The DICOM file.
    pub file: PathBuf,
    /// Frame number, 1-based.
    #[arg(long, default_value_t = 1)]
    pub frame: usize,
    /// What to measure, in image pixel coordinates (column, row; pixel centres at
    /// integers): ellipse:CX,CY,RX,RY, rect:X,Y,W,H (columns X..X+W-1, rows Y..Y+H-1) or
    /// line:X1,Y1,X2,Y2. Repeat for several.
    #[arg(long, required = true)]
    pub roi: Vec<String>,
    /// Print JSON: per region mean, sd (population), min, max, area_mm2, pixels; per line
    /// length_mm.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &MeasureArgs) -> Result<ExitCode, String> {
    let rois: Vec<Roi> = args
        .roi
        .iter()
        .map(|r| Roi::parse(r))
        .collect::<Result<_, _>>()?;
    let file = DicomFile::open(&args.file).map_err(|e| e.to_string())?;
    let frames = file.image().map_err(|e| e.to_string())?.number_of_frames as usize;
    let frame = args
        .frame
        .checked_sub(1)
        .filter(|f| *f < frames)
        .ok_or_else(|| format!("--frame {}: the file has frames 1 to {frames}", args.frame))?;
    let mut out = Vec::new();
    for roi in &rois {
        let m = measure(&file, frame, roi)?;
        let unit = m.pixel_size.spacing.label();
        let pixels_only = m.pixel_size.spacing == hounsfield_core::measure::Spacing::Pixels;
        let mut entry = serde_json::json!({
            "roi": roi,
            "spacing": unit,
            "pixel_size_mm": (!pixels_only).then_some([m.pixel_size.row_mm, m.pixel_size.column_mm]),
            "units": m.units,
        });
        if let Some(length) = m.length {
            entry["length_mm"] = (!pixels_only).then_some(length).into();
            entry["length_pixels"] = pixels_only.then_some(length).into();
            if !args.json {
                println!("line: {length:.2} {unit}");
            }
        }
        if let Some(s) = &m.statistics {
            entry["mean"] = s.mean.into();
            entry["sd"] = s.sd.into();
            entry["min"] = s.min.into();
            entry["max"] = s.max.into();
            entry["area_mm2"] = s.area_mm2.into();
            entry["pixels"] = s.pixels.into();
            entry["padding_pixels"] = s.padding_pixels.into();
            if !args.json {
                let units = m.units.as_deref().unwrap_or("");
                let area = s.area_mm2.map_or(format!("{} pixels", s.pixels), |a| {
                    format!("{a:.2} {}2 ({} pixels)", unit, s.pixels)
                });
                let padding = if s.padding_pixels > 0 {
                    format!(", {} padding pixels left out", s.padding_pixels)
                } else {
                    String::new()
                };
                println!(
                    "region: mean {:.2} {units}, sd {:.2}, min {}, max {}, area {area}{padding}",
                    s.mean, s.sd, s.min, s.max
                );
            }
        }
        out.push(entry);
    }
    if args.json {
        let doc = serde_json::json!({
            "file": args.file.display().to_string(),
            "frame": args.frame,
            "measurements": out,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
        );
    }
    Ok(ExitCode::SUCCESS)
}
