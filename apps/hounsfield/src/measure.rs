//! `hounsfield measure`: region statistics and lengths in real units, as the viewer shows
//! them, for scripts.

use hounsfield_core::DicomFile;
use hounsfield_core::measure::sr::{self, PlaneGeometry};
use hounsfield_core::measure::{Measurement, Roi, measure_all, measure_on_plane};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `hounsfield measure`.
#[derive(Debug, clap::Args)]
pub struct MeasureArgs {
    /// The DICOM file; or, with --plane, a folder (or multi-frame file, or DICOMweb
    /// study/series URL) whose series volume the plane cuts: coordinates are then the
    /// plane's pixels, as `render FOLDER --plane` draws them.
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
    /// Measure on a plane through the series volume: lengths in patient mm, regions over
    /// the plane's pixels (trilinear, as the planes show them; pixels outside the volume
    /// are not part of a region, pixels touching Pixel Padding are left out).
    #[command(flatten)]
    pub volume: crate::mpr::VolumeArgs,
}

pub fn run(args: &MeasureArgs) -> Result<ExitCode, String> {
    let rois: Vec<Roi> = args
        .roi
        .iter()
        .map(|r| Roi::parse(r))
        .collect::<Result<_, _>>()?;
    if args.file.is_dir() || args.volume.plane.is_some() {
        return run_on_plane(args, &rois);
    }
    let file = DicomFile::open(&args.file).map_err(|e| e.to_string())?;
    let frames = file.image().map_err(|e| e.to_string())?.number_of_frames as usize;
    let frame = args
        .frame
        .checked_sub(1)
        .filter(|f| *f < frames)
        .ok_or_else(|| format!("--frame {}: the file has frames 1 to {frames}", args.frame))?;
    // The frame is decoded once for every region.
    let measured = measure_all(&file, frame, &rois)?;
    if let Some(path) = &args.sr {
        write_report(path, &file, frame, &measured, None)?;
    }
    let real_world = real_world_at_points(&file, frame, &rois)?;
    print(
        args,
        &measured,
        &real_world,
        serde_json::json!({
            "file": args.file.display().to_string(),
            "frame": args.frame,
        }),
    )
}

/// `measure FOLDER --plane ...`: the ROIs in the plane's pixels.
fn run_on_plane(args: &MeasureArgs, rois: &[Roi]) -> Result<ExitCode, String> {
    let source = crate::mpr::open_plane(&args.file, &args.volume)?;
    eprintln!("hounsfield: {}", source.description);
    let (slice, frame) = &source.middle;
    let units = slice
        .display_parameters(*frame)
        .map_err(|e| e.to_string())?
        .modality_lut
        .units(slice.identification().modality.as_deref());
    let named = |e: String| format!("{}: {e}", args.file.display());
    let measured = rois
        .iter()
        .map(|roi| measure_on_plane(&source.volume, &source.plane, roi, units.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(named)?;
    let geometry = PlaneGeometry::of(&source.plane);
    if let Some(path) = &args.sr {
        write_report(path, slice, *frame, &measured, Some(geometry))?;
    }
    let p = &source.plane;
    print(
        args,
        &measured,
        &[],
        serde_json::json!({
            "file": args.file.display().to_string(),
            "plane": {
                "columns": p.columns,
                "rows": p.rows,
                "spacing_mm": p.spacing,
                "origin": p.origin,
                "column_step": geometry.column_step,
                "row_step": geometry.row_step,
            },
        }),
    )
}

/// Prints `measured`: a line each, or (`--json`) `head` with the measurements.
/// Per ROI, for a point: its pixel's stored value through each Real World Value Mapping
/// of the frame (label, units, value); empty for other ROIs and for files without one.
fn real_world_at_points(
    file: &DicomFile,
    frame: usize,
    rois: &[Roi],
) -> Result<Vec<Vec<serde_json::Value>>, String> {
    let mappings = file
        .real_world_value_mappings(frame)
        .map_err(|e| e.to_string())?;
    if mappings.is_empty() || !rois.iter().any(|r| matches!(r, Roi::Point { .. })) {
        return Ok(vec![Vec::new(); rois.len()]);
    }
    let decoded = file.decode_frame(frame).map_err(|e| e.to_string())?;
    Ok(rois
        .iter()
        .map(|roi| {
            let Roi::Point { x, y } = roi else {
                return Vec::new();
            };
            let (i, j) = ((x + 0.5).floor(), (y + 0.5).floor());
            if decoded.channels() != 1
                || !(0.0..f64::from(decoded.width)).contains(&i)
                || !(0.0..f64::from(decoded.height)).contains(&j)
            {
                return Vec::new();
            }
            let stored = decoded
                .samples
                .get_f64(j as usize * decoded.width as usize + i as usize);
            mappings
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "label": m.label,
                        "units": m.units,
                        "value": m.value(stored),
                        "text": m.describe(stored),
                    })
                })
                .collect()
        })
        .collect())
}

fn print(
    args: &MeasureArgs,
    measured: &[Measurement],
    real_world: &[Vec<serde_json::Value>],
    mut head: serde_json::Value,
) -> Result<ExitCode, String> {
    let mut out = Vec::new();
    for (k, m) in measured.iter().enumerate() {
        let rw = real_world.get(k).cloned().unwrap_or_default();
        if !args.json {
            let mut lines = m.lines();
            lines.extend(
                rw.iter()
                    .filter_map(|v| v["text"].as_str().map(str::to_string)),
            );
            println!("{}: {}", m.roi.spec(), lines.join(", "));
        }
        let mut value = serde_json::to_value(m.summary()).map_err(|e| e.to_string())?;
        if !rw.is_empty() {
            value["real_world"] = serde_json::Value::Array(rw);
        }
        out.push(value);
    }
    if args.json {
        head["measurements"] = serde_json::Value::Array(out);
        println!(
            "{}",
            serde_json::to_string_pretty(&head).map_err(|e| e.to_string())?
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `measured` (of frame `frame` of `file`) as a TID 1500 Measurement Report.
pub fn write_report(
    path: &std::path::Path,
    file: &DicomFile,
    frame: usize,
    measured: &[Measurement],
    plane: Option<PlaneGeometry>,
) -> Result<(), String> {
    // Only an earlier measurement report is replaced: never an image, nor anything else.
    if path.exists() {
        let report = DicomFile::open(path).is_ok_and(|f| sr::is_measurement_report(&f));
        if !report || std::fs::canonicalize(path).ok() == std::fs::canonicalize(file.name()).ok() {
            return Err(format!(
                "{}: exists and is not a measurement report; not overwritten",
                path.display()
            ));
        }
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
            plane,
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
