//! `hounsfield render`.

use clap::{Args, ValueEnum};
use hounsfield_core::pipeline::{RenderOptions, RenderedImage, VoiSelection, render_frame};
use hounsfield_core::{DicomFile, VoiLutFunction};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum VoiFunctionArg {
    Linear,
    LinearExact,
    Sigmoid,
}

#[derive(Args)]
pub struct RenderArgs {
    /// The DICOM file.
    pub file: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Frame number, 1-based.
    #[arg(long, default_value_t = 1)]
    pub frame: usize,
    /// Explicit window "CENTER,WIDTH" in modality units (e.g. HU).
    #[arg(long, value_parser = parse_window, allow_hyphen_values = true)]
    pub window: Option<(f64, f64)>,
    /// VOI LUT Function for windows (overrides the file's).
    #[arg(long, value_enum)]
    pub voi_function: Option<VoiFunctionArg>,
    /// Use the file's VOI LUT number N (1-based).
    #[arg(long, value_name = "N")]
    pub voi_lut: Option<usize>,
    /// Use the file's window number N (1-based).
    #[arg(long, value_name = "N")]
    pub file_window: Option<usize>,
    /// Window over the modality values present in the frame.
    #[arg(long)]
    pub data_range: bool,
    /// Invert grey levels (on top of MONOCHROME1 / Presentation LUT Shape).
    #[arg(long)]
    pub invert: bool,
    /// Render with the CPU reference pipeline.
    #[arg(long)]
    pub cpu: bool,
}

fn parse_window(s: &str) -> Result<(f64, f64), String> {
    let (c, w) = s.split_once(',').ok_or("expected CENTER,WIDTH")?;
    let c: f64 = c.trim().parse().map_err(|_| format!("bad center {c:?}"))?;
    let w: f64 = w.trim().parse().map_err(|_| format!("bad width {w:?}"))?;
    Ok((c, w))
}

impl RenderArgs {
    pub fn options(&self) -> Result<RenderOptions, String> {
        let chosen = [
            self.window.is_some(),
            self.voi_lut.is_some(),
            self.file_window.is_some(),
            self.data_range,
        ]
        .iter()
        .filter(|&&b| b)
        .count();
        if chosen > 1 {
            return Err("choose one of --window, --voi-lut, --file-window, --data-range".into());
        }
        let one_based =
            |n: usize, what: &str| n.checked_sub(1).ok_or(format!("{what} numbers start at 1"));
        let voi = if let Some((center, width)) = self.window {
            VoiSelection::Window { center, width }
        } else if let Some(n) = self.voi_lut {
            VoiSelection::VoiLut(one_based(n, "--voi-lut")?)
        } else if let Some(n) = self.file_window {
            VoiSelection::FileWindow(one_based(n, "--file-window")?)
        } else if self.data_range {
            VoiSelection::DataRange
        } else {
            VoiSelection::Default
        };
        Ok(RenderOptions {
            voi,
            voi_function: self.voi_function.map(|f| match f {
                VoiFunctionArg::Linear => VoiLutFunction::Linear,
                VoiFunctionArg::LinearExact => VoiLutFunction::LinearExact,
                VoiFunctionArg::Sigmoid => VoiLutFunction::Sigmoid,
            }),
            invert: self.invert,
        })
    }
}

/// Renders frame `frame` (0-based) of `file` with the CPU reference.
pub fn render_cpu(
    file: &DicomFile,
    frame: usize,
    options: &RenderOptions,
) -> Result<RenderedImage, String> {
    let decoded = file.decode_frame(frame).map_err(|e| e.to_string())?;
    let params = file.display_parameters(frame).map_err(|e| e.to_string())?;
    render_frame(&decoded, &params, options).map_err(|e| format!("{}: {e}", file.name()))
}

pub fn run(args: &RenderArgs) -> Result<ExitCode, String> {
    let options = args.options()?;
    let file = DicomFile::open(&args.file).map_err(|e| e.to_string())?;
    let frame = args
        .frame
        .checked_sub(1)
        .ok_or("--frame numbers start at 1")?;
    let image = render_cpu(&file, frame, &options)?;
    write_png(&args.output, &image)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes an 8-bit grey or RGB PNG.
pub fn write_png(path: &Path, image: &RenderedImage) -> Result<(), String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(f), image.width, image.height);
    enc.set_color(if image.channels == 3 {
        png::ColorType::Rgb
    } else {
        png::ColorType::Grayscale
    });
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc
        .write_header()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    w.write_image_data(&image.pixels)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}
