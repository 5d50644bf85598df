//! `hounsfield measure`: region statistics and lengths in real units, as the viewer shows
//! them, for scripts.

use hounsfield_core::DicomFile;
use hounsfield_core::measure::{Roi, measure_all};
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
    /// Also write the measurements as a DICOM Structured Report (TID 1500 Measurement
    /// Report) to this file; the image is never written.
    #[arg(long, value_name = "OUT.dcm")]
    pub sr: Option<PathBuf>,
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
    // The frame is decoded once for every region.
    let measured = measure_all(&file, frame, &rois)?;
    let mut out = Vec::new();
    for m in &measured {
        if !args.json {
            println!("{}: {}", m.roi.spec(), m.lines().join(", "));
        }
        out.push(serde_json::to_value(m.summary()).map_err(|e| e.to_string())?);
    }
    if let Some(path) = &args.sr {
        write_report(path, &file, frame, &measured)?;
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

/// Writes `measured` (of frame `frame` of `file`) as a TID 1500 Measurement Report.
pub fn write_report(
    path: &std::path::Path,
    file: &DicomFile,
    frame: usize,
    measured: &[hounsfield_core::measure::Measurement],
) -> Result<(), String> {
    use hounsfield_core::measure::sr;
    if path.exists() && std::fs::read(path).is_ok_and(|b| b.get(128..132) != Some(b"DICM")) {
        return Err(format!(
            "{}: exists and is not a DICOM file; not overwritten",
            path.display()
        ));
    }
    if std::fs::canonicalize(path).ok() == std::fs::canonicalize(file.name()).ok() {
        return Err(format!(
            "{}: that is the image; not overwritten",
            path.display()
        ));
    }
    let labels: Vec<String> = measured
        .iter()
        .enumerate()
        .map(|(k, m)| format!("{} {}", roi_kind(&m.roi), k + 1))
        .collect();
    let entries: Vec<sr::ReportEntry> = measured
        .iter()
        .zip(&labels)
        .map(|(m, label)| sr::ReportEntry {
            measurement: m,
            image: file,
            frame,
            label,
            plane: None,
        })
        .collect();
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let context = sr::ReportContext {
        date_time: sr::utc_date_time(seconds),
        series_number: 9901,
        device_name: "Hounsfield".into(),
    };
    let bytes = sr::measurement_report(&entries, &context, &mut sr::new_uid)?;
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The word for a ROI in a tracking identifier.
pub fn roi_kind(roi: &hounsfield_core::measure::Roi) -> &'static str {
    use hounsfield_core::measure::Roi;
    match roi {
        Roi::Rect { .. } => "rectangle",
        Roi::Ellipse { .. } => "ellipse",
        Roi::Polygon { .. } => "freehand",
        Roi::Line { .. } => "length",
        Roi::Angle { .. } => "angle",
        Roi::Cobb { .. } => "Cobb angle",
        Roi::Point { .. } => "probe",
    }
}
