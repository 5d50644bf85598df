//! DICOM Segmentations opened with their images: each segment painted over the images its
//! frames belong to (derived from them, or lying in their plane), in its recommended
//! colour, filled (at half opacity unless the segment list says otherwise) and outlined.
//! J hides and shows them all; the segment list hides, shows and fades each.

use super::Model;
use hounsfield_core::DicomFile;
use hounsfield_core::layers::composite::{LayerImage, Style};
use hounsfield_core::layers::segmentation::{SegmentLayer, Segmentation};
use hounsfield_core::layers::structures::StructureSet;
use std::sync::Arc;

/// One segment of the segment list: which it is, and how it is shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SegmentEntry {
    /// The segmentation it belongs to (0-based, in the order they were opened).
    pub segmentation: usize,
    /// Its Segment Number.
    pub number: u16,
    /// Its Segment Label.
    pub label: String,
    /// Its colour (sRGB), from its Recommended Display CIELab Value.
    pub color: [u8; 3],
    /// Painted.
    pub visible: bool,
    /// Fill opacity, 0 to 1 (the outline is opaque).
    pub opacity: f64,
}

impl Model {
    /// Whether `file` is drawn over the images rather than shown: a DICOM Segmentation or
    /// an RT Structure Set ([`layer_file`](Self::layer_file)).
    pub fn is_layer(file: &DicomFile) -> bool {
        Segmentation::is_segmentation(file) || StructureSet::is_structure_set(file)
    }

    /// A file of a load was a segmentation or a structure set ([`is_layer`](Self::is_layer)):
    /// drawn over the images it belongs to, counted as a file done.
    pub fn layer_file(&mut self, file: Arc<DicomFile>) {
        if !StructureSet::is_structure_set(&file) {
            return self.segmentation_file(file);
        }
        self.progress.files_done += 1;
        match StructureSet::read(file) {
            Ok(set) => {
                let names: Vec<&str> = set.rois.iter().map(|r| r.name.as_str()).collect();
                self.message(format!(
                    "{}: structure set {:?}, ROIs {}; J hides them",
                    set.file.name(),
                    set.label,
                    names.join(", ")
                ));
                self.structures.push(Arc::new(set));
                self.segmentation_generation += 1;
            }
            Err(e) => self.message(e),
        }
    }

    /// The names of the ROIs with a contour on frame `frame` of instance `id`, when
    /// segmentations and structures are shown.
    pub fn contours_on(&self, id: u64, frame: usize) -> Vec<String> {
        let Some(inst) = self.instance(id).filter(|_| self.view.segmentations) else {
            return Vec::new();
        };
        self.structures
            .iter()
            .flat_map(|set| {
                set.rois_on(&inst.file, frame)
                    .into_iter()
                    .map(|k| set.rois[k].name.clone())
            })
            .collect()
    }

    /// Shows or hides segment `index` of the segment list, and sets its fill opacity
    /// (clamped to 0-1); false when there is no such segment.
    pub fn set_segment(
        &mut self,
        index: usize,
        visible: Option<bool>,
        opacity: Option<f64>,
    ) -> bool {
        let Some(entry) = self.segment_list.get_mut(index) else {
            return false;
        };
        if let Some(v) = visible {
            entry.visible = v;
        }
        if let Some(a) = opacity.filter(|a| a.is_finite()) {
            entry.opacity = a.clamp(0.0, 1.0);
        }
        self.segmentation_generation += 1;
        true
    }

    /// The fill opacity segment `number` of segmentation `seg` is painted at; None when
    /// the segment list hides it.
    fn segment_opacity(&self, seg: usize, number: u16) -> Option<f64> {
        match self
            .segment_list
            .iter()
            .find(|e| e.segmentation == seg && e.number == number)
        {
            Some(e) => e.visible.then_some(e.opacity),
            None => Some(Style::default().opacity),
        }
    }

    /// A file of a load was a segmentation: its segments paint over the images they
    /// belong to, counted as a file done.
    fn segmentation_file(&mut self, file: Arc<DicomFile>) {
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
                let index = self.segmentations.len();
                self.segment_list
                    .extend(
                        seg.segments
                            .iter()
                            .filter(|s| s.number > 0)
                            .map(|s| SegmentEntry {
                                segmentation: index,
                                number: s.number,
                                label: s.label.clone(),
                                color: s.color,
                                visible: true,
                                opacity: Style::default().opacity,
                            }),
                    );
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
        for (si, seg) in self.segmentations.iter().enumerate() {
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
                    if self.segment_opacity(si, n).is_none() {
                        continue;
                    }
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

    /// What is drawn over frame `frame` of instance `id`: the fused series, the segments
    /// painted over it and the structure sets' contours lying on it (segments and
    /// contours when segmentations are shown); None when nothing is. The labels of the
    /// segments painted.
    pub fn segment_layer_of(&self, id: u64, frame: usize) -> Option<(LayerImage, Vec<String>)> {
        let fused = self.fusion_layer_of(id, frame);
        let shown = self.view.segmentations
            && !(self.segmentations.is_empty() && self.structures.is_empty());
        if !shown {
            return fused.map(|f| (f, Vec::new()));
        }
        let inst = self.instance(id)?;
        let image = inst.file.image().ok()?;
        let mut layers = Vec::new();
        let mut labels = Vec::new();
        for (si, seg) in self.segmentations.iter().enumerate() {
            // (A segmentation that cannot be placed over this image paints nothing here.)
            for l in seg.layers_for(&inst.file, frame).unwrap_or_default() {
                let Some(opacity) = self.segment_opacity(si, l.segment) else {
                    continue;
                };
                let label = seg
                    .segment(l.segment)
                    .map_or_else(|| l.segment.to_string(), |s| s.label.clone());
                if !labels.contains(&label) {
                    labels.push(label);
                }
                layers.push((l, opacity));
            }
        }
        let each: Vec<_> = layers.iter().map(|(l, a)| (l, *a)).collect();
        let segments =
            SegmentLayer::paint_each(image.columns, image.rows, &each, Style::default().outline);
        let under = fused.is_some();
        let mut layer = fused.unwrap_or_else(|| LayerImage::blank(image.columns, image.rows));
        layer.over(&segments);
        // The structure sets' contours over the segments.
        let mut contours = false;
        for set in &self.structures {
            if let Some(drawn) = set.layer_on(&inst.file, frame, |_| true) {
                layer.over(&drawn);
                contours = true;
            }
        }
        if layers.is_empty() && !contours && !under {
            return None;
        }
        Some((layer, labels))
    }

    /// What is drawn over plane `k` of the planes on screen, on the plane's pixels: the
    /// fused series, and the segments (nearest segment frame and pixel in the patient)
    /// and the structure sets' contours (`StructureSet::plane_layer`) when segmentations
    /// are shown and some lie on it; None when nothing is.
    pub fn plane_segment_layer(&self, k: usize) -> Option<LayerImage> {
        let plane = self.mpr.as_ref()?.plane(k);
        let fused = self.fusion_layer(&plane);
        if !self.view.segmentations || (self.segmentations.is_empty() && self.structures.is_empty())
        {
            return fused;
        }
        let reference = self.current_image().and_then(|(i, _, _)| {
            i.file
                .attributes()
                .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID)
        });
        let layers: Vec<(SegmentLayer, f64)> = self
            .segmentations
            .iter()
            .enumerate()
            .flat_map(|(si, seg)| {
                seg.plane_layers(&plane, reference.as_deref())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(move |l| self.segment_opacity(si, l.segment).map(|a| (l, a)))
            })
            .collect();
        let contours: Vec<LayerImage> = self
            .structures
            .iter()
            .filter_map(|set| set.plane_layer(&plane, reference.as_deref(), |_| true))
            .collect();
        if layers.is_empty() && contours.is_empty() {
            return fused;
        }
        let each: Vec<_> = layers.iter().map(|(l, a)| (l, *a)).collect();
        let segments =
            SegmentLayer::paint_each(plane.columns, plane.rows, &each, Style::default().outline);
        let mut layer = fused.unwrap_or_else(|| LayerImage::blank(plane.columns, plane.rows));
        layer.over(&segments);
        // The structure sets' contours (cross-sections) over the segments.
        for c in &contours {
            layer.over(c);
        }
        Some(layer)
    }
}
