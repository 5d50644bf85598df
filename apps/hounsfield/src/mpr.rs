//! `hounsfield render FOLDER --plane ...`: a plane (or slab) through a series volume.

use crate::render::{RenderArgs, write_png};
use hounsfield_core::folder::Catalog;
use hounsfield_core::folder::load_volume;
use hounsfield_core::pipeline::{
    GreyPipeline, RenderOptions, RenderedImage, VoiSelection, data_range, render_view_with,
};
use hounsfield_core::plane_window::planes_voi;
use hounsfield_core::view::View;
use hounsfield_core::volume::{
    Convention, Orientation, Plane, Slab, SlabMode, Volume, VolumeData, VolumeLimits, resample,
};
use hounsfield_core::{DicomFile, DisplayParameters};
use std::path::Path;
use std::process::ExitCode;

/// Which series of a folder (or DICOMweb study) makes the volume, and the plane through
/// it: the arguments `render` and `measure` share.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VolumeArgs {
    /// Cut a plane through the series volume: axial, sagittal or coronal.
    #[arg(long, help_heading = "Volumes (MPR)")]
    pub plane: Option<String>,
    /// Slice number of that plane, 1-based (default: the middle one).
    #[arg(long, help_heading = "Volumes (MPR)")]
    pub slice: Option<usize>,
    /// Plane position as a patient coordinate in mm (z for axial, x for sagittal, y for coronal; LPS).
    #[arg(long, allow_hyphen_values = true, help_heading = "Volumes (MPR)")]
    pub position: Option<f64>,
    /// Which series of the folder, 1-based, in the order `info FOLDER` lists them.
    #[arg(long, help_heading = "Volumes (MPR)")]
    pub series: Option<usize>,
    /// Which stack of a multi-stack series, 1-based (`info` lists its dimensions).
    #[arg(long, help_heading = "Volumes (MPR)")]
    pub stack: Option<usize>,
    /// Which time point (phase, b-value, ...) of a 4D series, 1-based.
    #[arg(long, help_heading = "Volumes (MPR)")]
    pub time: Option<usize>,
    /// Show patient left on screen left (default: radiological, patient left on screen right).
    #[arg(long, help_heading = "Volumes (MPR)")]
    pub neurological: bool,
    /// The most the volume may take, in MiB: a larger series is cut at a reduced
    /// resolution (every n-th column, row or slice, toward cubic voxels; only the kept
    /// slices are decoded), as the viewer does with the same budget.
    #[arg(long, value_name = "MIB", help_heading = "Volumes (MPR)")]
    pub volume_budget: Option<u64>,
}

/// The plane the arguments ask for: orientation, and where along its normal.
pub fn plane_for(volume: &Volume, args: &VolumeArgs) -> Result<(Plane, String), String> {
    let orientation = match &args.plane {
        Some(p) => Orientation::parse(p)
            .ok_or_else(|| format!("unknown plane {p:?}: axial, sagittal or coronal"))?,
        None => Orientation::Axial,
    };
    let convention = if args.neurological {
        Convention::Neurological
    } else {
        Convention::Radiological
    };
    let (u, v) = orientation.axes(convention);
    let stack = &volume.stack;
    let probe = stack.plane(u, v, stack.center());
    let positions = stack.plane_positions(probe.normal);
    let position = match (args.slice, args.position) {
        (Some(_), Some(_)) => return Err("choose --slice or --position".into()),
        (Some(k), None) => *k
            .checked_sub(1)
            .and_then(|k| positions.get(k))
            .ok_or_else(|| format!("--slice {k}: the plane has slices 1 to {}", positions.len()))?,
        (None, Some(mm)) => {
            // The patient coordinate along the plane's axis: z, x or y (LPS).
            let axis = match orientation {
                Orientation::Axial => 2,
                Orientation::Sagittal => 0,
                Orientation::Coronal => 1,
            };
            mm * probe.normal[axis].signum()
        }
        (None, None) => positions
            .get(positions.len() / 2)
            .copied()
            .unwrap_or_default(),
    };
    let plane = stack.plane_at(u, v, position);
    let k = positions
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - position).abs().total_cmp(&(b.1 - position).abs()))
        .map_or(0, |(k, _)| k + 1);
    let description = format!(
        "{orientation:?} plane {} x {} ({:.3} mm pixels), slice {k} of {}, {:.2} mm along the normal",
        plane.columns,
        plane.rows,
        plane.spacing,
        positions.len(),
        position
    );
    Ok((plane, description))
}

/// The display parameters of a volume: those of `slice`, the file of one of its slices
/// (windows, VOI LUTs, VOI LUT Function, presentation), with the volume's Modality LUT;
/// padding is kept only where the volume holds stored values.
pub fn volume_display(
    volume: &Volume,
    slice: &DicomFile,
    frame: usize,
) -> Result<DisplayParameters, String> {
    let mut p = slice.display_parameters(frame).map_err(|e| e.to_string())?;
    p.modality_lut = volume.modality.clone();
    p.palette = None;
    p.supplemental_palette = false;
    if matches!(volume.data, VolumeData::F32(_)) {
        p.pixel_padding = None;
    }
    Ok(p)
}

/// The series `--series N` (1-based, default 1) of the catalog of `source`, checked.
fn series_index(catalog: &Catalog, source: &Path, args: &VolumeArgs) -> Result<usize, String> {
    if catalog.series.is_empty() {
        return Err(format!("{}: no DICOM images", source.display()));
    }
    let index = args.series.unwrap_or(1);
    index
        .checked_sub(1)
        .filter(|i| *i < catalog.series.len())
        .ok_or_else(|| {
            format!(
                "--series {index}: the source has series 1 to {}",
                catalog.series.len()
            )
        })
}

/// The catalog of the folder, or of the DICOMweb study/series with the pixels of the
/// chosen series fetched.
fn series_catalog(source: &Path, args: &VolumeArgs) -> Result<Catalog, String> {
    if !crate::dicomweb::is_dicomweb(source) {
        return Ok(Catalog::scan(&[source.to_path_buf()]));
    }
    let mut remote = crate::dicomweb::Remote::open(&source.to_string_lossy())?;
    let index = series_index(&remote.catalog, source, args)?;
    remote.fetch_series(index, 0)?;
    Ok(remote.catalog)
}

/// `render URL` without a plane: the first image of the chosen series.
pub fn remote_image(args: &RenderArgs) -> Result<std::sync::Arc<DicomFile>, String> {
    let remote = crate::dicomweb::Remote::open(&args.file.to_string_lossy())?;
    remote.first_image(series_index(&remote.catalog, &args.file, &args.volume)?)
}

/// A series volume, the plane through it the arguments ask for, and the volume's middle
/// slice (its file and frame: the display parameters and identity of the planes).
pub struct PlaneSource {
    /// The volume.
    pub volume: Volume,
    /// The plane.
    pub plane: Plane,
    /// The middle slice's file and frame.
    pub middle: (std::sync::Arc<DicomFile>, usize),
    /// What the plane is, in words.
    pub description: String,
}

/// Opens the series of `source` (a folder, a multi-frame file or a DICOMweb URL) as a
/// volume and finds the plane `args` ask for, saying on stderr what it skipped.
pub fn open_plane(source: &Path, args: &VolumeArgs) -> Result<PlaneSource, String> {
    let catalog = series_catalog(source, args)?;
    for s in &catalog.skipped {
        eprintln!("hounsfield: {s}");
    }
    let series = series_index(&catalog, source, args)?;
    let one_based = |v: Option<usize>, what: &str| match v {
        Some(0) => Err(format!("--{what} counts from 1")),
        v => Ok(v.unwrap_or(1) - 1),
    };
    let limits = VolumeLimits {
        max_bytes: args.volume_budget.map(|m| m << 20),
        ..VolumeLimits::default()
    };
    let stack = catalog.stack_at(
        series,
        one_based(args.stack, "stack")?,
        one_based(args.time, "time")?,
    )?;
    let full = (stack.columns, stack.rows, stack.slices.len() as u32);
    let (volume, reduction) = Volume::within(stack, &limits, |kept| {
        load_volume(kept, |i| catalog.open(i))
    })?;
    if !reduction.is_full() {
        eprintln!(
            "hounsfield: the volume at a reduced resolution: {} (--volume-budget {} MiB)",
            reduction.describe(full),
            args.volume_budget.unwrap_or(0)
        );
    }
    for w in &volume.stack.report.warnings {
        eprintln!("hounsfield: {w}");
    }
    let (plane, description) = plane_for(&volume, args)?;
    let middle = volume
        .stack
        .slices
        .get(volume.stack.slices.len() / 2)
        .ok_or("the volume has no slices")?;
    let middle = (catalog.open(middle.instance)?, middle.frame);
    Ok(PlaneSource {
        volume,
        plane,
        middle,
        description,
    })
}

pub fn run(args: &RenderArgs) -> Result<ExitCode, String> {
    let options: RenderOptions = args.options()?;
    let PlaneSource {
        volume,
        plane,
        middle: (slice, frame),
        description,
    } = open_plane(&args.file, &args.volume)?;
    eprintln!("hounsfield: {description}");
    let [x, y, z] = plane.origin;
    let ([ux, uy, uz], [vx, vy, vz]) = (plane.u, plane.v);
    eprintln!(
        "hounsfield: plane pixel (0, 0) at ({x:.6}, {y:.6}, {z:.6}) mm; columns along \
         ({ux:.9}, {uy:.9}, {uz:.9}), rows along ({vx:.9}, {vy:.9}, {vz:.9}); {:.9} mm pixels",
        plane.spacing
    );
    let slab = match (args.slab, &args.mode) {
        (Some(t), mode) => Some(Slab {
            thickness: t,
            mode: match mode {
                Some(m) => SlabMode::parse(m)
                    .ok_or_else(|| format!("unknown --mode {m:?}: mip, minip or mean"))?,
                None => SlabMode::Mip,
            },
        }),
        (None, Some(_)) => return Err("--mode needs --slab MM".into()),
        (None, None) => None,
    };
    // The planes' window by the viewers' rule (`plane_window`): the middle slice's, else
    // the volume's min-max.
    let params = volume_display(&volume, &slice, frame)?;
    // The CPU resampling, which the GPU path needs only for a window over the plane's
    // own values (a thick slab takes seconds to resample on the CPU).
    let use_cpu = args.use_cpu();
    let colormap = args.colormap()?;
    let mut frame = use_cpu.then(|| resample(&volume, &plane, slab));
    let view = args
        .view(plane.columns, plane.rows)
        .unwrap_or_else(|| View::native(plane.columns, plane.rows));
    let mut pipeline = GreyPipeline::resolve_over(
        &params,
        || {
            data_range(
                &params,
                frame.get_or_insert_with(|| resample(&volume, &plane, slab)),
            )
        },
        &options,
    )
    .map_err(|e| e.to_string())?;
    if options.voi == VoiSelection::Default {
        pipeline.voi = planes_voi(&pipeline.voi, !params.windows.is_empty(), || {
            volume.modality_range(params.pixel_padding)
        });
    }
    // With --segmentation, --structures or --fuse: the volume's Frame of Reference.
    let layered = (!args.segmentation.is_empty()
        || !args.structures.is_empty()
        || args.fuse.is_some())
    .then(|| {
        slice
            .attributes()
            .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID)
    });
    let rendered = if use_cpu {
        let frame = frame.unwrap_or_else(|| resample(&volume, &plane, slab));
        let mut image = render_view_with(&frame, Some(&pipeline), None, false, false, &view)
            .map_err(|e| e.to_string())?;
        image.pipeline = Some(pipeline);
        if let Some(map) = colormap {
            map.apply(&mut image, &view, &frame);
        }
        image
    } else {
        let mut gpu = hounsfield_render::headless::Headless::new()
            .map_err(|e| format!("{e} (use --cpu to render without a GPU)"))?;
        let gv = gpu.renderer().upload_volume(&volume).map_err(|e| {
            format!("{e}: cut it at a reduced resolution with --volume-budget MIB, or use --cpu")
        })?;
        let mut image = gpu
            .renderer()
            .resample(
                &gv,
                &volume.sampling(&plane, slab),
                slab.map(|s| s.mode),
                (plane.columns, plane.rows),
                None,
            )
            .map_err(|e| e.to_string())?;
        let state = hounsfield_render::DrawState {
            pipeline: Some(pipeline.clone()),
            colormap,
            ..hounsfield_render::DrawState::new(view)
        };
        // What is drawn over the plane, placed and composed on the GPU.
        let mut over = match &layered {
            Some(reference) => Some(crate::layers::plane_layer_on_gpu(
                gpu.renderer(),
                &plane,
                reference.as_deref(),
                args,
            )?),
            None => None,
        };
        let over_state = hounsfield_render::DrawState {
            pipeline: None,
            view: View {
                filter: hounsfield_core::view::Filter::Nearest,
                ..view
            },
            paint_background: false,
            layer: true,
            colormap: None,
            ..state.clone()
        };
        let mut all: Vec<(
            &mut hounsfield_render::GpuImage,
            &hounsfield_render::DrawState,
        )> = vec![(&mut image, &state)];
        if let Some(over) = over.as_mut() {
            all.push((over, &over_state));
        }
        let rgba = gpu
            .render_rgba_layers(&mut all)
            .map_err(|e| e.to_string())?;
        let channels = if colormap.is_some() || layered.is_some() {
            3
        } else {
            1
        };
        RenderedImage {
            width: view.width,
            height: view.height,
            channels: channels as u8,
            pixels: rgba
                .chunks_exact(4)
                .flat_map(|p| p[..channels].to_vec())
                .collect(),
            pipeline: Some(pipeline),
        }
    };
    let mut rendered = rendered;
    if let (Some(reference), true) = (&layered, use_cpu) {
        let layer = crate::layers::plane_layer(&plane, reference.as_deref(), args)?;
        hounsfield_core::layers::composite::composite(&mut rendered, &view, &layer);
    }
    write_png(&args.output, &rendered)?;
    let [right, left, bottom, top] = plane.edge_labels();
    eprintln!("hounsfield: orientation: left {left}, right {right}, top {top}, bottom {bottom}");
    Ok(ExitCode::SUCCESS)
}
