//! `render FILE|FOLDER --segmentation SEG.dcm`: segments painted over the rendered image
//! or plane; `render FILE --structures RTSTRUCT.dcm`: contours drawn over the image.

use crate::render::RenderArgs;
use hounsfield_core::DicomFile;
use hounsfield_core::layers::composite::LayerImage;
use hounsfield_core::layers::segmentation::{SegmentLayer, Segmentation};
use hounsfield_core::layers::structures::StructureSet;

/// The segments of every `--segmentation` that belong to frame `frame` of `file`, painted
/// on its pixel grid (None without `--segmentation`), saying on stderr what they are.
pub fn segment_layer(
    file: &DicomFile,
    frame: usize,
    args: &RenderArgs,
) -> Result<Option<LayerImage>, String> {
    if args.segmentation.is_empty() && args.structures.is_empty() {
        return Ok(None);
    }
    let image = file.image().map_err(|e| e.to_string())?;
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
    let mut layer = paint(image.columns, image.rows, &layers, args)?;
    // Structure sets' contours over the segments, in the order given.
    for path in &args.structures {
        let set = StructureSet::read(DicomFile::open(path).map_err(|e| e.to_string())?)?;
        for roi in &set.rois {
            eprintln!(
                "hounsfield: ROI {} {:?}: rgb({}, {}, {})",
                roi.number, roi.name, roi.color[0], roi.color[1], roi.color[2]
            );
        }
        match set.layer_on(file, frame, |_| true) {
            Some(contours) => layer.over(&contours),
            None => eprintln!(
                "hounsfield: {}: no contour lies in frame {} of {}",
                path.display(),
                frame + 1,
                file.name()
            ),
        }
    }
    Ok(Some(layer))
}

/// The segments of every `--segmentation` over `plane` (of a volume in
/// `frame_of_reference`), painted on the plane's pixels, saying on stderr what they are.
pub fn plane_layer(
    plane: &hounsfield_core::volume::Plane,
    frame_of_reference: Option<&str>,
    args: &RenderArgs,
) -> Result<LayerImage, String> {
    let mut layers = Vec::new();
    for path in &args.segmentation {
        let seg = Segmentation::read(DicomFile::open(path).map_err(|e| e.to_string())?)?;
        let found = seg.plane_layers(plane, frame_of_reference)?;
        if found.is_empty() {
            eprintln!(
                "hounsfield: {}: no segment lies on the plane",
                path.display()
            );
        }
        say_colors(&seg);
        layers.extend(found);
    }
    paint(plane.columns, plane.rows, &layers, args)
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

/// `layers` (those `--segments` names, when given) painted on a `columns` x `rows` grid
/// at `--segment-opacity`.
fn paint(
    columns: u32,
    rows: u32,
    layers: &[SegmentLayer],
    args: &RenderArgs,
) -> Result<LayerImage, String> {
    if !(0.0..=1.0).contains(&args.segment_opacity) {
        return Err(format!(
            "--segment-opacity {}: between 0 and 1",
            args.segment_opacity
        ));
    }
    let shown: Vec<(&SegmentLayer, f64)> = layers
        .iter()
        .filter(|l| args.segments.is_empty() || args.segments.contains(&l.segment))
        .map(|l| (l, args.segment_opacity))
        .collect();
    Ok(SegmentLayer::paint_each(columns, rows, &shown, true))
}
