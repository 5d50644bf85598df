//! DICOM Segmentations opened with their images: each segment painted over the images its
//! frames belong to (derived from them, or lying in their plane), in its recommended
//! colour, filled at half opacity and outlined. J hides and shows them.

use super::Model;
use hounsfield_core::DicomFile;
use hounsfield_core::layers::composite::{LayerImage, Style};
use hounsfield_core::layers::segmentation::{SegmentLayer, Segmentation};
use std::sync::Arc;

impl Model {
    /// Whether `file` is a DICOM Segmentation ([`segmentation_file`](Self::segmentation_file)).
    pub fn is_segmentation(file: &DicomFile) -> bool {
        Segmentation::is_segmentation(file)
    }

    /// A file of a load was a segmentation: its segments paint over the images they
    /// belong to, counted as a file done.
    pub fn segmentation_file(&mut self, file: Arc<DicomFile>) {
        self.progress.files_done += 1;
        let name = file.name().to_string();
        match Segmentation::read(file) {
            Ok(seg) => {
                let labels: Vec<&str> = seg
                    .segments
                    .iter()
                    .filter(|s| s.number > 0)
                    .map(|s| s.label.as_str())
                    .collect();
                self.message(format!(
                    "{name}: segmentation of {} frames, segments {}; J hides them",
                    seg.frames.len(),
                    labels.join(", ")
                ));
                self.segmentations.push(Arc::new(seg));
                self.segmentation_generation += 1;
            }
            Err(e) => self.message(e),
        }
    }

    /// The labels of the segments whose frames belong to frame `frame` of instance `id`
    /// (every segment of a labelmap frame), when segmentations are shown; without
    /// decoding their masks.
    pub fn segments_on(&self, id: u64, frame: usize) -> Vec<String> {
        let Some(inst) = self.instance(id).filter(|_| self.view.segmentations) else {
            return Vec::new();
        };
        let sop = inst.info.sop_instance_uid.clone().unwrap_or_default();
        let geometry = inst.file.geometry(frame);
        let reference = inst
            .file
            .attributes()
            .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID);
        let mut labels: Vec<String> = Vec::new();
        for seg in &self.segmentations {
            for k in seg.frames_for(&sop, frame, &geometry, reference.as_deref()) {
                let numbers: Vec<u16> = match seg.frames[k].segment {
                    Some(n) => vec![n],
                    None => seg
                        .segments
                        .iter()
                        .map(|s| s.number)
                        .filter(|n| *n > 0)
                        .collect(),
                };
                for n in numbers {
                    let label = seg
                        .segment(n)
                        .map_or_else(|| n.to_string(), |s| s.label.clone());
                    if !labels.contains(&label) {
                        labels.push(label);
                    }
                }
            }
        }
        labels
    }

    /// The segments painted over frame `frame` of instance `id`, when segmentations are
    /// shown and some belong to it; the labels of those painted.
    pub fn segment_layer_of(&self, id: u64, frame: usize) -> Option<(LayerImage, Vec<String>)> {
        if !self.view.segmentations || self.segmentations.is_empty() {
            return None;
        }
        let inst = self.instance(id)?;
        let image = inst.file.image().ok()?;
        let mut layers = Vec::new();
        let mut labels = Vec::new();
        for seg in &self.segmentations {
            // (A segmentation that cannot be placed over this image paints nothing here.)
            for l in seg.layers_for(&inst.file, frame).unwrap_or_default() {
                let label = seg
                    .segment(l.segment)
                    .map_or_else(|| l.segment.to_string(), |s| s.label.clone());
                if !labels.contains(&label) {
                    labels.push(label);
                }
                layers.push(l);
            }
        }
        if layers.is_empty() {
            return None;
        }
        let layer = SegmentLayer::paint_all(image.columns, image.rows, &layers, Style::default());
        Some((layer, labels))
    }

    /// The segments over plane `k` of the planes on screen, painted on the plane's pixels
    /// (nearest segment frame and pixel in the patient), when segmentations are shown and
    /// some lie on it.
    pub fn plane_segment_layer(&self, k: usize) -> Option<LayerImage> {
        if !self.view.segmentations || self.segmentations.is_empty() {
            return None;
        }
        let plane = self.mpr.as_ref()?.plane(k);
        let reference = self.current_image().and_then(|(i, _, _)| {
            i.file
                .attributes()
                .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID)
        });
        let layers: Vec<_> = self
            .segmentations
            .iter()
            .flat_map(|seg| {
                seg.plane_layers(&plane, reference.as_deref())
                    .unwrap_or_default()
            })
            .collect();
        if layers.is_empty() {
            return None;
        }
        Some(SegmentLayer::paint_all(
            plane.columns,
            plane.rows,
            &layers,
            Style::default(),
        ))
    }
}
