//! DICOM Segmentations opened with their images: each segment painted over the images its
//! frames belong to (derived from them, or lying in their plane), in its recommended
//! colour, filled (at half opacity unless the segment list says otherwise) and outlined.
//! J hides and shows them all; the segment list hides, shows and fades each.

use super::Model;
use hounsfield_core::DicomFile;
use hounsfield_core::layers::composite::{LayerImage, Style};
use hounsfield_core::layers::masks::{MaskStyle, PlacedMasks};
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
    /// segments painted. ([`segment_masks_of`](Self::segment_masks_of) and
    /// [`layer_style_of`](Self::layer_style_of) painted on the CPU.)
    pub fn segment_layer_of(&self, id: u64, frame: usize) -> Option<(LayerImage, Vec<String>)> {
        let masks = self.segment_masks_of(id, frame);
        let ids = masks.as_ref().map_or(&[][..], |m| &m.ids[..]);
        let style = self.layer_style_of(id, frame, ids)?;
        let labels = style.labels.clone();
        Some((style.paint(masks.as_ref().map(|m| &m.placed)), labels))
    }

    /// Every segment over frame `frame` of instance `id`, placed on its grid, hidden ones
    /// too (a change of visibility or opacity then only restyles them); None when
    /// segmentations are hidden or none is open. The costly half of what is drawn over an
    /// image: it changes only with the segmentations open.
    pub fn segment_masks_of(&self, id: u64, frame: usize) -> Option<SegmentMasks> {
        if !self.view.segmentations || self.segmentations.is_empty() {
            return None;
        }
        let inst = self.instance(id)?;
        let image = inst.file.image().ok()?;
        let mut layers = Vec::new();
        for (si, seg) in self.segmentations.iter().enumerate() {
            // (A segmentation that cannot be placed over this image paints nothing here.)
            layers.extend(
                seg.layers_for(&inst.file, frame)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|l| (si, l)),
            );
        }
        Some(SegmentMasks::place(image.columns, image.rows, &layers))
    }

    /// What is drawn over frame `frame` of instance `id` besides the masks placed on it
    /// (`ids`, from [`segment_masks_of`](Self::segment_masks_of)): the fused series, the
    /// styles of the segments shown, the structure sets' contours (segments and contours
    /// when segmentations are shown); None when nothing is drawn.
    pub fn layer_style_of(&self, id: u64, frame: usize, ids: &[MaskId]) -> Option<LayerStyle> {
        let under = self.fusion_layer_of(id, frame);
        let inst = self.instance(id)?;
        let image = inst.file.image().ok()?;
        let mut over: Option<LayerImage> = None;
        if self.view.segmentations {
            for set in &self.structures {
                if let Some(drawn) = set.layer_on(&inst.file, frame, |_| true) {
                    match &mut over {
                        Some(o) => o.over(&drawn),
                        None => over = Some(drawn),
                    }
                }
            }
        }
        self.layer_style(image.columns, image.rows, under, ids, over)
    }

    /// The segments over plane `k` of the planes on screen, placed on the plane's pixels
    /// (nearest segment frame and pixel in the patient), hidden ones too; None when
    /// segmentations are hidden or none is open.
    pub fn plane_segment_masks(&self, k: usize) -> Option<SegmentMasks> {
        if !self.view.segmentations || self.segmentations.is_empty() {
            return None;
        }
        let plane = self.mpr.as_ref()?.plane(k);
        let reference = self.frame_of_reference_on_screen();
        let layers: Vec<(usize, SegmentLayer)> = self
            .segmentations
            .iter()
            .enumerate()
            .flat_map(|(si, seg)| {
                seg.plane_layers(&plane, reference.as_deref())
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |l| (si, l))
            })
            .collect();
        Some(SegmentMasks::place(plane.columns, plane.rows, &layers))
    }

    /// What is drawn over plane `k` besides the masks placed on it (`ids`, from
    /// [`plane_segment_masks`](Self::plane_segment_masks)): the fused series, the styles
    /// of the segments shown, and the structure sets' contours
    /// (`StructureSet::plane_layer`) when segmentations are shown; None when nothing is.
    pub fn plane_layer_style(&self, k: usize, ids: &[MaskId]) -> Option<LayerStyle> {
        let plane = self.mpr.as_ref()?.plane(k);
        let under = self.fusion_layer(&plane);
        let reference = self.frame_of_reference_on_screen();
        let mut over: Option<LayerImage> = None;
        if self.view.segmentations {
            for set in &self.structures {
                if let Some(drawn) = set.plane_layer(&plane, reference.as_deref(), |_| true) {
                    match &mut over {
                        Some(o) => o.over(&drawn),
                        None => over = Some(drawn),
                    }
                }
            }
        }
        self.layer_style(plane.columns, plane.rows, under, ids, over)
    }

    /// What is drawn over plane `k` of the planes on screen, on the plane's pixels: the
    /// fused series, and the segments and the structure sets' contours when segmentations
    /// are shown and some lie on it; None when nothing is.
    /// ([`plane_segment_masks`](Self::plane_segment_masks) and
    /// [`plane_layer_style`](Self::plane_layer_style) painted on the CPU.)
    pub fn plane_segment_layer(&self, k: usize) -> Option<LayerImage> {
        let masks = self.plane_segment_masks(k);
        let ids = masks.as_ref().map_or(&[][..], |m| &m.ids[..]);
        let style = self.plane_layer_style(k, ids)?;
        Some(style.paint(masks.as_ref().map(|m| &m.placed)))
    }

    /// The Frame of Reference of the image on screen.
    pub(crate) fn frame_of_reference_on_screen(&self) -> Option<String> {
        self.current_image().and_then(|(i, _, _)| {
            i.file
                .attributes()
                .string(hounsfield_core::tags::FRAME_OF_REFERENCE_UID)
        })
    }

    /// The style of a `columns` x `rows` layer: `under`, the masks `ids` the segment list
    /// shows (when segmentations are shown) at their opacities, `over`; None when nothing
    /// is drawn.
    fn layer_style(
        &self,
        columns: u32,
        rows: u32,
        under: Option<LayerImage>,
        ids: &[MaskId],
        over: Option<LayerImage>,
    ) -> Option<LayerStyle> {
        let mut styles = Vec::new();
        let mut labels = Vec::new();
        if self.view.segmentations {
            for (layer, id) in ids.iter().enumerate() {
                let Some(opacity) = self.segment_opacity(id.segmentation, id.number) else {
                    continue;
                };
                styles.push(MaskStyle::new(layer, id.color, opacity));
                let label = self.segmentations[id.segmentation]
                    .segment(id.number)
                    .map_or_else(|| id.number.to_string(), |s| s.label.clone());
                if !labels.contains(&label) {
                    labels.push(label);
                }
            }
        }
        if styles.is_empty() && under.is_none() && over.is_none() {
            return None;
        }
        Some(LayerStyle {
            columns,
            rows,
            under,
            styles,
            outline: Style::default().outline,
            over,
            labels,
        })
    }
}

/// One placed mask's segment: its segmentation (0-based, in the order opened), number and
/// colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskId {
    /// The segmentation.
    pub segmentation: usize,
    /// The Segment Number.
    pub number: u16,
    /// Its colour.
    pub color: [u8; 3],
}

/// Segments placed on an image's or plane's grid, and which segment each mask is.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentMasks {
    /// The masks, in drawing order: segmentations in the order opened, segments by
    /// number.
    pub placed: PlacedMasks,
    /// Which segment each mask is.
    pub ids: Vec<MaskId>,
}

impl SegmentMasks {
    /// `layers` (of the segmentation index given) placed on a `columns` x `rows` grid.
    fn place(columns: u32, rows: u32, layers: &[(usize, SegmentLayer)]) -> SegmentMasks {
        let masks: Vec<_> = layers.iter().map(|(_, l)| (&l.mask, l.placement)).collect();
        SegmentMasks {
            placed: PlacedMasks::place(columns, rows, &masks),
            ids: layers
                .iter()
                .map(|(si, l)| MaskId {
                    segmentation: *si,
                    number: l.segment,
                    color: l.color,
                })
                .collect(),
        }
    }
}

/// What is drawn over an image or plane besides its placed segment masks: the fused
/// series under them, the styles of the masks shown, the contours over them, and the
/// labels of the segments shown.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerStyle {
    /// Columns of the grid.
    pub columns: u32,
    /// Rows.
    pub rows: u32,
    /// The fused series.
    pub under: Option<LayerImage>,
    /// The masks drawn, in order.
    pub styles: Vec<MaskStyle>,
    /// Whether the segments' edges are drawn opaque.
    pub outline: bool,
    /// The structure sets' contours.
    pub over: Option<LayerImage>,
    /// The labels of the segments drawn.
    pub labels: Vec<String>,
}

impl LayerStyle {
    /// Painted on the CPU with `masks` (none: nothing placed), as
    /// [`LayerParts::paint`](hounsfield_core::layers::masks::LayerParts::paint) paints.
    pub fn paint(&self, masks: Option<&PlacedMasks>) -> LayerImage {
        let none = PlacedMasks {
            columns: self.columns,
            rows: self.rows,
            layers: Vec::new(),
        };
        masks.unwrap_or(&none).paint_between(
            self.under.as_ref(),
            &self.styles,
            self.outline,
            self.over.as_ref(),
        )
    }
}
