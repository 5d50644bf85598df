//! `hounsfield render`: one frame to PNG, through the GPU renderer (default) or the CPU
//! reference (`--cpu`), with the same options.

use clap::{Args, ValueEnum};
use hounsfield_core::pipeline::{
    GreyPipeline, RenderOptions, RenderedImage, VoiSelection, render_frame, render_view,
};
use hounsfield_core::view::{Filter, View};
use hounsfield_core::{DicomFile, Frame, FrameColor, VoiLutFunction, presets};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum VoiFunctionArg {
    Linear,
    LinearExact,
    Sigmoid,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum RendererArg {
    Auto,
    Gpu,
    Cpu,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FilterArg {
    Nearest,
    Linear,
}

#[derive(Args)]
pub struct RenderArgs {
    /// The DICOM file, or a folder (or multi-frame file) to cut a plane through a series
    /// volume, or a DICOMweb study/series URL (ROOT/studies/UID[/series/UID]).
    pub file: PathBuf,
    /// Output PNG.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Frame number, 1-based.
    #[arg(long, default_value_t = 1)]
    pub frame: usize,
    /// Paint the overlay planes (groups 60xx) of the frame over the image, at full
    /// brightness (DICOM's "replace" mode).
    #[arg(long)]
    pub overlays: bool,
    /// Leave the display shutter (PS3.3 C.7.6.11) off; by default the parts of the image
    /// it covers are painted in its Shutter Presentation Value, as the file asks.
    #[arg(long)]
    pub no_shutters: bool,
    /// Show the image as this Grayscale Softcopy Presentation State says: its VOI (window
    /// or VOI LUT), Modality LUT, Presentation LUT Shape, rotation and flip, displayed
    /// area (the output is the area's size unless --size is given), and shutter
    /// (instead of the image's). The state must reference the image.
    #[arg(long, value_name = "GSPS.dcm")]
    pub presentation_state: Option<PathBuf>,
    /// Paint the segments of this DICOM Segmentation (binary, fractional or labelmap) over
    /// the image (the frames derived from it, else those in its plane) or over the plane
    /// (the nearest frame and pixel in the patient); each segment in its Recommended
    /// Display CIELab colour, filled and outlined. Repeat for several.
    #[arg(long, value_name = "SEG.dcm")]
    pub segmentation: Vec<PathBuf>,
    /// Fill opacity of the segments, 0 to 1 (their outline is opaque).
    #[arg(long, default_value_t = 0.5, value_name = "A")]
    pub segment_opacity: f64,
    /// Paint only these segments, by Segment Number, e.g. 1,3 (of every --segmentation;
    /// default: all), as a segment list with the others hidden shows them.
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    pub segments: Vec<u16>,
    /// Draw the contours of this RT Structure Set that lie in the image's plane (within
    /// half its Slice Thickness, in its Frame of Reference) over the image, one pixel
    /// wide, each ROI in its ROI Display Color, over any segments. Repeat for several.
    /// On a plane (--plane): the contours of the nearest contour plane when parallel to
    /// it, else each ROI's cross-section outlined (each contour a slab one contour
    /// spacing thick).
    #[arg(long, value_name = "RTSTRUCT.dcm")]
    pub structures: Vec<PathBuf>,
    /// Fuse this series (a folder, multi-frame file or DICOMweb URL; PET over CT, a map
    /// over MR) over the image or plane: resampled at each pixel's patient position
    /// (trilinear), windowed, coloured by --fuse-colormap and laid over at
    /// --fuse-opacity. Both must share a Frame of Reference.
    #[arg(long, value_name = "FOLDER", help_heading = "Fusion")]
    pub fuse: Option<PathBuf>,
    /// Colour map of the fused series: grey, hot-iron, jet or viridis.
    #[arg(
        long,
        default_value = "hot-iron",
        value_name = "NAME",
        help_heading = "Fusion"
    )]
    pub fuse_colormap: String,
    /// Opacity of the fused series, 0 to 1.
    #[arg(long, default_value_t = 0.5, value_name = "A", help_heading = "Fusion")]
    pub fuse_opacity: f64,
    /// Window "CENTER,WIDTH" of the fused series, in its modality units (default: its
    /// middle slice's window, else its whole range). Values at or below the window's
    /// lower edge are not drawn.
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true, value_name = "C,W", help_heading = "Fusion")]
    pub fuse_window: Option<(f64, f64)>,
    /// Show a grey image's (or plane's) display levels through a colour map: grey,
    /// hot-iron, jet or viridis (parametric maps, PET); before any layer is drawn over.
    #[arg(long, value_name = "NAME")]
    pub colormap: Option<String>,
    /// Explicit window "CENTER,WIDTH" in modality units (e.g. HU).
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true)]
    pub window: Option<(f64, f64)>,
    /// A named CT window: brain, subdural, stroke, lung, mediastinum, abdomen, liver, bone.
    #[arg(long)]
    pub preset: Option<String>,
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
    /// Invert (on top of MONOCHROME1 / Presentation LUT Shape).
    #[arg(long)]
    pub invert: bool,
    /// Output size "WxH" (default: the image's own size); the image is fitted into it.
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Magnification relative to fitting.
    #[arg(long, default_value_t = 1.0)]
    pub zoom: f64,
    /// Translation "X,Y" in output pixels.
    #[arg(long, value_parser = parse_pair, allow_hyphen_values = true)]
    pub pan: Option<(f64, f64)>,
    /// Sampling of stored values between pixel centres.
    #[arg(long, value_enum, default_value = "nearest")]
    pub filter: FilterArg,
    /// What renders: the GPU, the CPU reference pipeline, or auto (the CPU for an image or
    /// a thin plane, where starting a GPU device costs more than the render; for a slab,
    /// the GPU unless the machine's only adapters are CPU devices such as lavapipe).
    #[arg(long, value_enum, default_value = "auto")]
    pub renderer: RendererArg,
    /// Render with the CPU reference pipeline (same as --renderer cpu).
    #[arg(long)]
    pub cpu: bool,
    /// Slab thickness in mm, combined with --mode.
    #[arg(long, help_heading = "Volumes (MPR)")]
    pub slab: Option<f64>,
    /// Slab projection: mip, minip or mean (default mip).
    #[arg(long, help_heading = "Volumes (MPR)")]
    pub mode: Option<String>,
    /// The plane and the series it cuts.
    #[command(flatten)]
    pub volume: crate::mpr::VolumeArgs,
}

fn parse_pair(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s
        .split_once(',')
        .ok_or("expected two numbers separated by a comma")?;
    let a: f64 = a.trim().parse().map_err(|_| format!("bad number {a:?}"))?;
    let b: f64 = b.trim().parse().map_err(|_| format!("bad number {b:?}"))?;
    Ok((a, b))
}

/// Parses "WxH" (for other commands' arguments).
pub fn parse_size_arg(s: &str) -> Result<(u32, u32), String> {
    parse_size(s)
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or("expected WIDTHxHEIGHT")?;
    let w: u32 = w.trim().parse().map_err(|_| format!("bad width {w:?}"))?;
    let h: u32 = h.trim().parse().map_err(|_| format!("bad height {h:?}"))?;
    if w == 0 || h == 0 || w > 16384 || h > 16384 {
        return Err("sizes run from 1 to 16384".into());
    }
    Ok((w, h))
}

impl RenderArgs {
    /// Whether the CPU reference pipeline renders (`--cpu`, `--renderer cpu`, or `auto`;
    /// `auto` says what it chose). `auto` takes the CPU for an image or a thin plane on
    /// every machine: starting a GPU device costs more than the whole render, on a real
    /// GPU too (an NVIDIA H200: 239 ms for a 512 x 512 CT on the GPU path, 4 ms on the
    /// CPU). A slab samples tens of voxels per pixel: `auto` takes the GPU for it when the
    /// machine has one that is not a CPU device (lavapipe, llvmpipe, SwiftShader).
    /// The `--colormap` asked for.
    pub fn colormap(&self) -> Result<Option<hounsfield_core::layers::colormap::ColorMap>, String> {
        self.colormap
            .as_deref()
            .map(|name| {
                hounsfield_core::layers::colormap::ColorMap::parse(name).ok_or_else(|| {
                    format!("unknown --colormap {name:?}: grey, hot-iron, jet or viridis")
                })
            })
            .transpose()
    }

    pub fn use_cpu(&self) -> bool {
        if self.cpu {
            return true;
        }
        match self.renderer {
            RendererArg::Cpu => true,
            RendererArg::Gpu => false,
            RendererArg::Auto => {
                let (cpu, why) = if self.slab.is_none() {
                    (true, "an image or a thin plane")
                } else if hounsfield_render::headless::Headless::only_cpu_adapters() {
                    (true, "a slab, and the only adapters are CPU devices")
                } else {
                    (false, "a slab, and a GPU adapter")
                };
                tracing::info!(
                    "--renderer auto: {} ({why})",
                    if cpu {
                        "the CPU reference pipeline"
                    } else {
                        "the GPU"
                    }
                );
                cpu
            }
        }
    }
    pub fn options(&self) -> Result<RenderOptions, String> {
        let chosen = [
            self.window.is_some(),
            self.preset.is_some(),
            self.voi_lut.is_some(),
            self.file_window.is_some(),
            self.data_range,
        ]
        .iter()
        .filter(|&&b| b)
        .count();
        if chosen > 1 {
            return Err(
                "choose one of --window, --preset, --voi-lut, --file-window, --data-range".into(),
            );
        }
        let one_based =
            |n: usize, what: &str| n.checked_sub(1).ok_or(format!("{what} numbers start at 1"));
        let voi = if let Some((center, width)) = self.window {
            VoiSelection::Window { center, width }
        } else if let Some(name) = &self.preset {
            let p = presets::find(name).ok_or_else(|| {
                let names: Vec<&str> = presets::CT.iter().map(|p| p.name).collect();
                format!("unknown preset {name:?}; presets: {}", names.join(", "))
            })?;
            VoiSelection::Window {
                center: p.center,
                width: p.width,
            }
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

    /// The view, or None for the image at its own size with no transformation.
    pub fn view(&self, columns: u32, rows: u32) -> Option<View> {
        let plain = self.size.is_none()
            && self.zoom == 1.0
            && self.pan.is_none()
            && matches!(self.filter, FilterArg::Nearest);
        if plain {
            return None;
        }
        let (w, h) = self.size.unwrap_or((columns, rows));
        let mut v = View::fit(w, h);
        v.zoom = self.zoom;
        v.pan = self.pan.map_or([0.0, 0.0], |(x, y)| [x, y]);
        v.filter = match self.filter {
            FilterArg::Nearest => Filter::Nearest,
            FilterArg::Linear => Filter::Linear,
        };
        Some(v)
    }
}

/// The display parameters of frame `frame` of `file`, as `state` shows it when given.
fn parameters(
    file: &DicomFile,
    frame: usize,
    state: Option<&hounsfield_core::PresentationState>,
) -> Result<hounsfield_core::DisplayParameters, String> {
    let mut params = file.display_parameters(frame).map_err(|e| e.to_string())?;
    if let Some(state) = state {
        let sop = file.identification().sop_instance_uid.unwrap_or_default();
        state.apply(&sop, frame, &mut params);
    }
    Ok(params)
}

/// `view` (with the state's turns and flips, and the user's zoom and pan) showing the
/// displayed area `d`; with `own_size`, the output is the area's size: one output pixel
/// per image pixel (SCALE TO FIT, and TRUE SIZE, the display's pixel size being unknown)
/// or the Presentation Pixel Magnification Ratio's (MAGNIFY).
fn displayed_area_view(
    mut view: View,
    d: &hounsfield_core::DisplayedArea,
    image: &hounsfield_core::ImageDescription,
    own_size: bool,
) -> Result<View, String> {
    let magnification = d.magnification();
    if own_size {
        let m = magnification.unwrap_or(1.0);
        let [w, h] = d.size();
        let side = |x: f64| {
            let x = (x * m).round();
            if (1.0..=16384.0).contains(&x) {
                Ok(x as u32)
            } else {
                Err(format!(
                    "its displayed area is {} x {} output pixels; sides run from 1 to 16384 (--size sets the output's)",
                    (w * m).round(),
                    (h * m).round()
                ))
            }
        };
        let (w, h) = (side(w)?, side(h)?);
        (view.width, view.height) = if view.rotation % 2 == 1 {
            (h, w)
        } else {
            (w, h)
        };
    }
    Ok(view.showing_area(image.columns, image.rows, d.area, magnification))
}

/// Renders frame `frame` (0-based) of `file` with the CPU reference (as the presentation
/// state `state` says, when given).
pub fn render_cpu(
    file: &DicomFile,
    frame: usize,
    options: &RenderOptions,
    view: Option<&View>,
    state: Option<&hounsfield_core::PresentationState>,
    colormap: Option<hounsfield_core::layers::colormap::ColorMap>,
) -> Result<RenderedImage, String> {
    let decoded = file.decode_frame(frame).map_err(|e| e.to_string())?;
    let params = parameters(file, frame, state)?;
    let r = match view {
        None => render_frame(&decoded, &params, options),
        Some(v) => render_view(&decoded, &params, options, v),
    };
    let mut image = r.map_err(|e| format!("{}: {e}", file.name()))?;
    if let Some(map) = colormap {
        let native = View::native(decoded.width, decoded.height);
        map.apply(&mut image, view.unwrap_or(&native), &decoded);
    }
    Ok(image)
}

/// Renders frame `frame` (0-based) of `file` on the GPU (headless), with `overlay` (its
/// overlay planes) and `shutter` (its display shutter's covered pixels and grey level)
/// and `segments` (the fused series, segment masks and contours on its grid, composed on
/// the GPU) drawn over it on the GPU when given,
/// as the presentation state `state` says when given.
#[allow(clippy::too_many_arguments)] // what one render takes, each optional
pub fn render_gpu(
    gpu: &mut hounsfield_render::headless::Headless,
    file: &DicomFile,
    frame: usize,
    options: &RenderOptions,
    view: &View,
    overlay: Option<&hounsfield_core::OverlayMask>,
    segments: Option<&hounsfield_core::layers::masks::LayerParts>,
    shutter: Option<&(hounsfield_core::OverlayMask, u8)>,
    state: Option<&hounsfield_core::PresentationState>,
    colormap: Option<hounsfield_core::layers::colormap::ColorMap>,
) -> Result<RenderedImage, String> {
    let decoded = file.decode_frame(frame).map_err(|e| e.to_string())?;
    let params = parameters(file, frame, state)?;
    let pipeline = match decoded.color {
        FrameColor::Monochrome => Some(
            GreyPipeline::resolve(&params, &decoded, options)
                .map_err(|e| format!("{}: {e}", file.name()))?,
        ),
        _ => None,
    };
    let mut image = gpu
        .renderer()
        .upload(std::slice::from_ref(&decoded), params.palette.as_ref())
        .map_err(|e| format!("{}: {e}", file.name()))?;
    let state = hounsfield_render::DrawState {
        frame: 0,
        pipeline: pipeline.clone(),
        invert: options.invert,
        view: *view,
        background: [0.0, 0.0, 0.0, 1.0],
        paint_background: true,
        overlay: false,
        shutter: false,
        colormap,
        layer: false,
    };
    // Layers over the image: the overlay bits (1, drawn white) and the shutter (grey
    // level + 1 where covered), with nearest sampling.
    let mask_layer = |bits: &[u8], width: u32, height: u32, value: u16| Frame {
        width,
        height,
        color: FrameColor::Monochrome,
        samples: hounsfield_core::Samples::U16(
            bits.iter()
                .map(|&b| if b == 0 { 0 } else { value })
                .collect(),
        ),
        bits_stored: 16,
        signed: false,
    };
    let upload = |gpu: &mut hounsfield_render::headless::Headless, layer: Frame| {
        gpu.renderer()
            .upload(std::slice::from_ref(&layer), None)
            .map_err(|e| format!("{}: {e}", file.name()))
    };
    let nearest = View {
        filter: Filter::Nearest,
        ..*view
    };
    let mut layers = Vec::new();
    if let Some(mask) = overlay {
        let bitmap = upload(gpu, mask_layer(&mask.bits, mask.width, mask.height, 1))?;
        let over = hounsfield_render::DrawState {
            pipeline: None,
            view: nearest,
            paint_background: false,
            overlay: true,
            ..state.clone()
        };
        layers.push((bitmap, over));
    }
    if let Some(parts) = segments {
        let painted = hounsfield_render::masks::compose_parts(gpu.renderer(), parts)
            .map_err(|e| format!("{}: {e}", file.name()))?;
        let over = hounsfield_render::DrawState {
            pipeline: None,
            view: nearest,
            paint_background: false,
            layer: true,
            ..state.clone()
        };
        layers.push((painted, over));
    }
    if let Some((mask, grey)) = shutter {
        let covered = upload(
            gpu,
            mask_layer(&mask.bits, mask.width, mask.height, u16::from(*grey) + 1),
        )?;
        let over = hounsfield_render::DrawState {
            pipeline: None,
            view: nearest,
            paint_background: false,
            shutter: true,
            layer: false,
            ..state.clone()
        };
        layers.push((covered, over));
    }
    let rgba = {
        let mut all: Vec<(
            &mut hounsfield_render::GpuImage,
            &hounsfield_render::DrawState,
        )> = vec![(&mut image, &state)];
        all.extend(layers.iter_mut().map(|(i, s)| (i, &*s)));
        gpu.render_rgba_layers(&mut all)
    }
    .map_err(|e| format!("{}: {e}", file.name()))?;
    let colour = decoded.color != FrameColor::Monochrome
        || (params.supplemental_palette && params.palette.is_some())
        || segments.is_some()
        || colormap.is_some();
    let channels = if colour { 3 } else { 1 };
    let pixels = rgba
        .chunks_exact(4)
        .flat_map(|p| p[..channels].to_vec())
        .collect();
    Ok(RenderedImage {
        width: view.width,
        height: view.height,
        channels: channels as u8,
        pixels,
        pipeline,
    })
}

pub fn run(args: &RenderArgs) -> Result<ExitCode, String> {
    if args.file.is_dir() || args.volume.plane.is_some() || args.slab.is_some() {
        return crate::mpr::run(args);
    }
    let options = args.options()?;
    let file = if crate::dicomweb::is_dicomweb(&args.file) {
        crate::mpr::remote_image(args)?
    } else {
        std::sync::Arc::new(DicomFile::open(&args.file).map_err(|e| e.to_string())?)
    };
    let frame = args
        .frame
        .checked_sub(1)
        .ok_or("--frame numbers start at 1")?;
    let image = file.image().map_err(|e| e.to_string())?;
    let mut view = args.view(image.columns, image.rows);
    let state = match &args.presentation_state {
        None => None,
        Some(path) => {
            let ps = DicomFile::open(path).map_err(|e| e.to_string())?;
            let state = hounsfield_core::PresentationState::read(&ps).map_err(|e| e.to_string())?;
            let sop = file.identification().sop_instance_uid.unwrap_or_default();
            if !state.applies_to(&sop, frame) {
                return Err(format!(
                    "{}: the presentation state does not reference frame {} of {}",
                    path.display(),
                    frame + 1,
                    file.name()
                ));
            }
            // Its rotation and flip; a quarter turn swaps the output's sides.
            let (fh, fv, turns) = state.view_transform();
            let mut v = view.unwrap_or_else(|| {
                if turns % 2 == 1 {
                    View::fit(image.rows, image.columns)
                } else {
                    View::native(image.columns, image.rows)
                }
            });
            v.flip_horizontal ^= fh;
            v.flip_vertical ^= fv;
            v.rotation = (v.rotation + turns) % 4;
            if let Some(d) = state.displayed_area(&sop, frame) {
                v = displayed_area_view(v, d, image, args.size.is_none())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            view = Some(v);
            Some(state)
        }
    };
    let overlay = if args.overlays {
        file.overlay_mask(frame).map_err(|e| e.to_string())?
    } else {
        None
    };
    // A presentation state's shutter replaces the image's.
    let shutter = match (&state, args.no_shutters) {
        (_, true) => None,
        (Some(state), false) => state.shutter.clone(),
        (None, false) => file.display_shutter().map_err(|e| e.to_string())?,
    }
    .map(|s| (s.mask(image.columns, image.rows), s.grey()));
    let segments = crate::layers::segment_layer(&file, frame, args)?;
    let colormap = args.colormap()?;
    let rendered = if args.use_cpu() {
        let mut rendered = render_cpu(
            &file,
            frame,
            &options,
            view.as_ref(),
            state.as_ref(),
            colormap,
        )?;
        let view = view.unwrap_or_else(|| View::native(image.columns, image.rows));
        if let Some(mask) = &overlay {
            hounsfield_core::pipeline::overlay::paint_overlay(&mut rendered, mask, &view);
        }
        if let Some(parts) = &segments {
            hounsfield_core::layers::composite::composite(&mut rendered, &view, &parts.paint());
        }
        if let Some((mask, grey)) = &shutter {
            hounsfield_core::pipeline::overlay::paint_mask(&mut rendered, mask, &view, *grey);
        }
        rendered
    } else {
        let mut gpu = hounsfield_render::headless::Headless::new()
            .map_err(|e| format!("{e} (use --cpu to render without a GPU)"))?;
        let view = view.unwrap_or_else(|| View::native(image.columns, image.rows));
        render_gpu(
            &mut gpu,
            &file,
            frame,
            &options,
            &view,
            overlay.as_ref(),
            segments.as_ref(),
            shutter.as_ref(),
            state.as_ref(),
            colormap,
        )?
    };
    write_png(&args.output, &rendered)?;
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
