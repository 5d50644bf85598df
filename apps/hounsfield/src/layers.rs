//! `render FILE|FOLDER --segmentation SEG.dcm`: segments painted over the rendered image
//! or plane; `render FILE|FOLDER --structures RTSTRUCT.dcm`: contours drawn over the
//! image, or their cross-sections over the plane;
//! `render FILE|FOLDER --fuse FOLDER2`: a second series fused under them.

use crate::render::RenderArgs;
use hounsfield_core::DicomFile;
use hounsfield_core::layers::colormap::ColorMap;
use hounsfield_core::layers::composite::LayerImage;
use hounsfield_core::layers::fusion::{Fusion, image_plane};
use hounsfield_core::layers::masks::{LayerParts, MaskStyle, PlacedMasks};
use hounsfield_core::layers::segmentation::{SegmentLayer, Segmentation};
use hounsfield_core::layers::structures::StructureSet;
use hounsfield_core::pipeline::{GreyPipeline, RenderOptions, VoiSelection};
use hounsfield_core::plane_window::planes_voi;

/// The series of `--fuse` as a volume with its window and colour map (None without
/// `--fuse`), saying on stderr what it is.
pub fn open_fusion(args: &RenderArgs) -> Result<Option<Fusion>, String> {
    let Some(source) = &args.fuse else {
        return Ok(None);
    };
    let colormap = ColorMap::parse(&args.fuse_colormap).ok_or_else(|| {
        format!(
            "unknown --fuse-colormap {:?}: grey, hot-iron, jet or viridis",
            args.fuse_colormap
        )
    })?;
    if !(0.0..=1.0).contains(&args.fuse_opacity) {
        return Err(format!(
            "--fuse-opacity {}: between 0 and 1",
            args.fuse_opacity
        ));
    }
    let crate::mpr::PlaneSource {
        volume,
        middle: (slice, frame),
        ..
    } = crate::mpr::open_plane(source, &crate::mpr::VolumeArgs::default())
        .map_err(|e| format!("--fuse {}: {e}", source.display()))?;
    let params = crate::mpr::volume_display(&volume, &slice, frame)?;
    let options = RenderOptions {
        voi: match args.fuse_window {
            Some((center, width)) => VoiSelection::Window { center, width },
            None => VoiSelection::Default,
        },
        ..RenderOptions::default()
    };
    let range = || volume.modality_range(params.pixel_padding);
    let mut pipeline =
        GreyPipeline::resolve_over(&params, range, &options).map_err(|e| e.to_string())?;
    if args.fuse_window.is_none() {
        // The planes' rule: the middle slice's window, else the whole volume's range.
        pipeline.voi = planes_voi(&pipeline.voi, !params.windows.is_empty(), range);
    }
    pipeline.inverse = false;
    pipeline.presentation_lut = None;
    let window = pipeline
        .window()
        .map_or("a VOI LUT".to_string(), |(c, w)| format!("window {c}/{w}"));
    eprintln!(
        "hounsfield: fused {}: {} slices, {window}, {colormap}, opacity {}",
        source.display(),
        volume.stack.slices.len(),
        args.fuse_opacity
    );
    Ok(Some(Fusion {
        volume: std::sync::Arc::new(volume),
        pipeline,
        colormap,
        opacity: args.fuse_opacity,
        frame_of_reference: slice
            .attributes()
            .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID),
    }))
}

/// What is drawn over frame `frame` of `file`, on its pixel grid (None without
/// `--segmentation`, `--structures` or `--fuse`), saying on stderr what it is: the fused
/// series, then the segments of every `--segmentation` that belong to the frame, then the
/// contours of every `--structures` in its plane.
pub fn segment_layer(
    file: &DicomFile,
    frame: usize,
    args: &RenderArgs,
) -> Result<Option<LayerParts>, String> {
    if args.segmentation.is_empty() && args.structures.is_empty() && args.fuse.is_none() {
        return Ok(None);
    }
    let image = file.image().map_err(|e| e.to_string())?;
    let under = match open_fusion(args)? {
        Some(fusion) => {
            let reference = file
                .attributes()
                .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID);
            fusion.check_frame_of_reference(reference.as_deref())?;
            let plane = image_plane(&file.geometry(frame), image.columns, image.rows)
                .map_err(|e| format!("{}: {e}", file.name()))?;
            Some(fusion.layer(&plane))
        }
        None => None,
    };
    // Segmentations in the order given, each's segments by number; later ones on top.
    let mut layers = Vec::new();
    for path in &args.segmentation {
        let seg = Segmentation::read(DicomFile::open(path).map_err(|e| e.to_string())?)?;
        let found = seg.layers_for(file, frame)?;
        if found.is_empty() {
            eprintln!(
                "hounsfield: {}: no segment frame belongs to frame {} of {}",
                path.display(),
                frame + 1,
                file.name()
            );
        }
        say_colors(&seg);
        layers.extend(found);
    }
    // Structure sets' contours over the segments, in the order given.
    let mut over: Option<LayerImage> = None;
    for path in &args.structures {
        let set = read_structures(path)?;
        match set.layer_on(file, frame, |_| true) {
            Some(contours) => match &mut over {
                Some(o) => o.over(&contours),
                None => over = Some(contours),
            },
            None => eprintln!(
                "hounsfield: {}: no contour lies in frame {} of {}",
                path.display(),
                frame + 1,
                file.name()
            ),
        }
    }
    Ok(Some(parts(
        image.columns,
        image.rows,
        under,
        &layers,
        over,
        args,
    )?))
}

/// What `--fuse`, `--segmentation` and `--structures` draw over a plane, before the
/// segments are placed on it.
struct PlaneParts {
    /// The fused series.
    under: Option<LayerImage>,
    /// The segmentations, in the order given.
    segmentations: Vec<Segmentation>,
    /// The structure sets' contours (their cross-sections).
    over: Option<LayerImage>,
}

/// The `--fuse` series and the contours of every `--structures` over `plane` (of a volume
/// in `frame_of_reference`), painted on the plane's pixels, and every `--segmentation`
/// read, saying on stderr what they are.
fn plane_parts(
    plane: &hounsfield_core::volume::Plane,
    frame_of_reference: Option<&str>,
    args: &RenderArgs,
) -> Result<PlaneParts, String> {
    let under = match open_fusion(args)? {
        Some(fusion) => {
            fusion.check_frame_of_reference(frame_of_reference)?;
            Some(fusion.layer(plane))
        }
        None => None,
    };
    let mut segmentations = Vec::new();
    for path in &args.segmentation {
        let seg = Segmentation::read(DicomFile::open(path).map_err(|e| e.to_string())?)?;
        say_colors(&seg);
        segmentations.push(seg);
    }
    let mut over: Option<LayerImage> = None;
    for path in &args.structures {
        let set = read_structures(path)?;
        match set.plane_layer(plane, frame_of_reference, |_| true) {
            Some(contours) => match &mut over {
                Some(o) => o.over(&contours),
                None => over = Some(contours),
            },
            None => eprintln!(
                "hounsfield: {}: no contour crosses the plane",
                path.display()
            ),
        }
    }
    Ok(PlaneParts {
        under,
        segmentations,
        over,
    })
}

/// The `--fuse` series, the segments of every `--segmentation` and the contours of every
/// `--structures` over `plane` (of a volume in `frame_of_reference`), painted on the
/// plane's pixels on the CPU, saying on stderr what they are.
pub fn plane_layer(
    plane: &hounsfield_core::volume::Plane,
    frame_of_reference: Option<&str>,
    args: &RenderArgs,
) -> Result<LayerImage, String> {
    let parts = plane_parts(plane, frame_of_reference, args)?;
    let mut layers = Vec::new();
    for (seg, path) in parts.segmentations.iter().zip(&args.segmentation) {
        let found = seg.plane_layers(plane, frame_of_reference)?;
        if found.is_empty() {
            eprintln!(
                "hounsfield: {}: no segment lies on the plane",
                path.display()
            );
        }
        layers.extend(found);
    }
    let parts = self::parts(
        plane.columns,
        plane.rows,
        parts.under,
        &layers,
        parts.over,
        args,
    )?;
    Ok(parts.paint())
}

/// The same as [`plane_layer`], with the segments placed on the plane and composed on the
/// GPU (`shaders/mask_planes.wgsl`, `shaders/masks.wgsl`) from each segmentation's frames;
/// a segmentation whose frames the device cannot hold is placed on the CPU (the whole
/// layer is then painted there).
pub fn plane_layer_on_gpu(
    renderer: &hounsfield_render::Renderer,
    plane: &hounsfield_core::volume::Plane,
    frame_of_reference: Option<&str>,
    args: &RenderArgs,
) -> Result<hounsfield_render::GpuImage, String> {
    let parts = plane_parts(plane, frame_of_reference, args)?;
    let opacity = segment_opacity(args)?;
    let mut uploads = Vec::new();
    for seg in parts
        .segmentations
        .iter()
        .filter(|s| s.lies_in(frame_of_reference))
    {
        match renderer.upload_segmentation(seg) {
            Ok(frames) => uploads.push((seg, frames)),
            Err(hounsfield_render::RenderError::TooLarge(e)) => {
                eprintln!("hounsfield: {}: placed on the CPU ({e})", seg.file.name());
                let layer = plane_layer(plane, frame_of_reference, args)?;
                return renderer.upload_painted(&layer).map_err(|e| e.to_string());
            }
            Err(e) => return Err(format!("{}: {e}", seg.file.name())),
        }
    }
    let mut masks = Vec::new();
    let mut styles = Vec::new();
    for (seg, frames) in &uploads {
        for &(mask, number) in frames.plane_masks() {
            if !args.segments.is_empty() && !args.segments.contains(&number) {
                continue;
            }
            let color = seg.segment(number).map_or([255, 255, 255], |s| s.color);
            styles.push(MaskStyle::new(masks.len(), color, opacity));
            masks.push((frames, mask));
        }
    }
    let grid = hounsfield_core::layers::composite::PlaneGrid::of_plane(plane);
    let placed = renderer
        .place_on_plane(&grid, (plane.columns, plane.rows), &masks)
        .map_err(|e| e.to_string())?;
    renderer
        .compose_masks(
            &placed,
            &hounsfield_render::masks::Composition {
                styles: &styles,
                outline: true,
                under: parts.under.as_ref(),
                over: parts.over.as_ref(),
            },
            None,
        )
        .map_err(|e| e.to_string())
}

/// Reads `--structures` `path`, saying each ROI's colour on stderr.
fn read_structures(path: &std::path::Path) -> Result<StructureSet, String> {
    let set = StructureSet::read(DicomFile::open(path).map_err(|e| e.to_string())?)?;
    for roi in &set.rois {
        eprintln!(
            "hounsfield: ROI {} {:?}: rgb({}, {}, {})",
            roi.number, roi.name, roi.color[0], roi.color[1], roi.color[2]
        );
    }
    Ok(set)
}

/// Says each segment's colour on stderr (a labelmap's segment 0, its background, is never
/// painted).
fn say_colors(seg: &Segmentation) {
    for s in seg.segments.iter().filter(|s| s.number > 0) {
        eprintln!(
            "hounsfield: segment {} {:?}: rgb({}, {}, {})",
            s.number, s.label, s.color[0], s.color[1], s.color[2]
        );
    }
}

/// `layers` (those `--segments` names, when given) placed on a `columns` x `rows` grid
/// and drawn at `--segment-opacity`, outlined, between `under` and `over`.
fn parts(
    columns: u32,
    rows: u32,
    under: Option<LayerImage>,
    layers: &[SegmentLayer],
    over: Option<LayerImage>,
    args: &RenderArgs,
) -> Result<LayerParts, String> {
    let opacity = segment_opacity(args)?;
    let shown: Vec<&SegmentLayer> = layers
        .iter()
        .filter(|l| args.segments.is_empty() || args.segments.contains(&l.segment))
        .collect();
    let masks: Vec<_> = shown.iter().map(|l| (&l.mask, l.placement)).collect();
    Ok(LayerParts {
        under,
        masks: PlacedMasks::place(columns, rows, &masks),
        styles: shown
            .iter()
            .enumerate()
            .map(|(k, l)| MaskStyle::new(k, l.color, opacity))
            .collect(),
        outline: true,
        over,
    })
}

/// `--segment-opacity`, checked.
fn segment_opacity(args: &RenderArgs) -> Result<f64, String> {
    if !(0.0..=1.0).contains(&args.segment_opacity) {
        return Err(format!(
            "--segment-opacity {}: between 0 and 1",
            args.segment_opacity
        ));
    }
    Ok(args.segment_opacity)
}
