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
    /// integers): ellipse:CX,CY,RX,RY, rect:X,Y,W,H (columns X..X+W-1, rows Y..Y+H-1),
    /// polygon:X1,Y1,X2,Y2,X3,Y3[,...] (freehand; pixel centres inside by the even-odd
    /// rule), point:X,Y (the nearest pixel), line:X1,Y1,X2,Y2, angle:X1,Y1,XV,YV,X2,Y2 (at
    /// the vertex V) or cobb:X1,Y1,X2,Y2,X3,Y3,X4,Y4 (between two lines). Repeat for
    /// several.
    #[arg(long, required = true)]
    pub roi: Vec<String>,
    /// Print JSON: per region (and point) mean, sd (population), min, max, area_mm2,
    /// pixels; per line length_mm; per angle angle_deg.
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
        if !args.json {
            println!("{}: {}", roi.spec(), m.lines().join(", "));
        }
        out.push(serde_json::to_value(m.summary()).map_err(|e| e.to_string())?);
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
