//! `render FILE --segmentation SEG.dcm`: segments painted over the rendered image.

use crate::render::RenderArgs;
use hounsfield_core::DicomFile;
use hounsfield_core::layers::composite::{LayerImage, Painted, Style};
use hounsfield_core::layers::segmentation::Segmentation;

/// The segments of every `--segmentation` that belong to frame `frame` of `file`, painted
/// on its pixel grid (None without `--segmentation`), saying on stderr what they are.
pub fn segment_layer(
    file: &DicomFile,
    frame: usize,
    args: &RenderArgs,
) -> Result<Option<LayerImage>, String> {
    if args.segmentation.is_empty() {
        return Ok(None);
    }
    if !(0.0..=1.0).contains(&args.segment_opacity) {
        return Err(format!(
            "--segment-opacity {}: between 0 and 1",
            args.segment_opacity
        ));
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
        // (A labelmap's segment 0 is its background: never painted.)
        for s in seg.segments.iter().filter(|s| s.number > 0) {
            eprintln!(
                "hounsfield: segment {} {:?}: rgb({}, {}, {})",
                s.number, s.label, s.color[0], s.color[1], s.color[2]
            );
        }
        layers.extend(found);
    }
    let painted: Vec<Painted> = layers
        .iter()
        .map(|l| Painted {
            mask: &l.mask,
            color: l.color,
            placement: l.placement,
        })
        .collect();
    let style = Style {
        opacity: args.segment_opacity,
        outline: true,
    };
    Ok(Some(LayerImage::paint(
        image.columns,
        image.rows,
        &painted,
        style,
    )))
}
