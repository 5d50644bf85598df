//! DICOM Segmentations (PS3.3 A.51 Segmentation IOD, C.8.20 Segmentation Image Module):
//! segments, their frames and masks.

use crate::color::{cielab_to_srgb, distinct};
use crate::composite::{LayerImage, Painted, Placement, PlaneGrid, Style};
use hounsfield_dicom::{Attributes, DicomFile, Geometry, tags};
use std::sync::Arc;

/// Segmentation Storage.
pub const SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.4";
/// Label Map Segmentation Storage.
pub const LABEL_MAP_SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.7";

/// Segmentation Type (0062,0001) and what it implies for the frames' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SegmentationType {
    /// One bit per pixel: in the segment or not.
    Binary,
    /// A fraction of the pixel (probability or occupancy), out of `maximum`.
    Fractional {
        /// Maximum Fractional Value (0062,000E).
        maximum: u16,
        /// Segmentation Fractional Type (0062,0010) is PROBABILITY (else OCCUPANCY).
        probability: bool,
    },
    /// Each pixel holds the number of its segment (0 or an undefined number: none).
    Labelmap,
}

/// One segment of the Segment Sequence.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Segment {
    /// Segment Number (0062,0004).
    pub number: u16,
    /// Segment Label (0062,0005).
    pub label: String,
    /// Recommended Display CIELab Value (0062,000D), as encoded.
    pub cielab: Option<[u16; 3]>,
    /// The colour it is shown in: its CIELab value as sRGB, else one of a fixed set of
    /// distinct colours by its number.
    pub color: [u8; 3],
}

/// One frame of a segmentation: which segment it holds and where it belongs.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentFrame {
    /// Referenced Segment Number of its Segment Identification (None for a labelmap).
    pub segment: Option<u16>,
    /// The source images it was derived from: SOP Instance UID and frame (0-based; None
    /// when the reference names no frame).
    pub sources: Vec<(String, Option<usize>)>,
    /// Its plane in the patient (Plane Position, Plane Orientation, Pixel Measures).
    pub geometry: Geometry,
}

/// A mask of one segment on one frame: how much of each pixel is in the segment, 0 to 255.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    /// Columns.
    pub columns: u32,
    /// Rows.
    pub rows: u32,
    /// Row by row.
    pub coverage: Vec<u8>,
}

impl Mask {
    /// The coverage of pixel (`x`, `y`), 0 outside the mask.
    pub fn at(&self, x: i64, y: i64) -> u8 {
        if x < 0 || y < 0 || x >= i64::from(self.columns) || y >= i64::from(self.rows) {
            return 0;
        }
        self.coverage[y as usize * self.columns as usize + x as usize]
    }
}

/// A DICOM Segmentation read for display.
#[derive(Debug)]
pub struct Segmentation {
    /// The file (its frames are decoded when a mask is asked for).
    pub file: Arc<DicomFile>,
    /// How its frames encode the segments.
    pub kind: SegmentationType,
    /// The segments, in the order of the Segment Sequence.
    pub segments: Vec<Segment>,
    /// Per frame.
    pub frames: Vec<SegmentFrame>,
    /// Frame of Reference UID (0020,0052).
    pub frame_of_reference: Option<String>,
}

/// The most bytes the masks of one labelmap frame may take.
pub const MAX_MASK_BYTES: usize = 256 << 20;

/// What [`Segmentation::read`] reads besides the file.
type Parts = (SegmentationType, Vec<Segment>, Vec<SegmentFrame>);

/// A segment's mask ready to paint over one image.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentLayer {
    /// The segment's number.
    pub segment: u16,
    /// Its colour.
    pub color: [u8; 3],
    /// Its mask on one frame of the segmentation.
    pub mask: Mask,
    /// Where the mask lies over the image.
    pub placement: Placement,
}

impl SegmentLayer {
    /// `layers` painted together on a `columns` x `rows` grid ([`LayerImage::paint`]), all
    /// filled at `style`'s opacity.
    pub fn paint_all(columns: u32, rows: u32, layers: &[SegmentLayer], style: Style) -> LayerImage {
        let each: Vec<(&SegmentLayer, f64)> = layers.iter().map(|l| (l, style.opacity)).collect();
        Self::paint_each(columns, rows, &each, style.outline)
    }

    /// `layers` painted together, each filled at its own opacity (a segment list's
    /// setting), outlined when `outline`.
    ///
    /// ```
    /// use hounsfield_layers::composite::{Placement, Style};
    /// use hounsfield_layers::segmentation::{Mask, SegmentLayer};
    /// let mask = Mask { columns: 1, rows: 1, coverage: vec![255] };
    /// let red = SegmentLayer { segment: 1, color: [255, 0, 0], mask, placement: Placement::SameGrid };
    /// let faint = SegmentLayer::paint_each(1, 1, &[(&red, 0.2)], false);
    /// let half = SegmentLayer::paint_all(1, 1, &[red.clone()], Style { opacity: 0.5, outline: false });
    /// assert!(faint.pixels[0][3] < half.pixels[0][3]);
    /// ```
    pub fn paint_each(
        columns: u32,
        rows: u32,
        layers: &[(&SegmentLayer, f64)],
        outline: bool,
    ) -> LayerImage {
        let painted: Vec<Painted> = layers
            .iter()
            .map(|(l, opacity)| Painted {
                mask: &l.mask,
                color: l.color,
                opacity: *opacity,
                placement: l.placement,
            })
            .collect();
        LayerImage::paint(columns, rows, &painted, outline)
    }
}

impl Segmentation {
    /// Whether `file` is a Segmentation (Segmentation or Label Map Segmentation Storage).
    pub fn is_segmentation(file: &DicomFile) -> bool {
        let class = file.attributes().string(tags::SOP_CLASS_UID);
        matches!(
            class.as_deref(),
            Some(SEGMENTATION_STORAGE | LABEL_MAP_SEGMENTATION_STORAGE)
        )
    }

    /// Reads `file` as a Segmentation; an error naming the file says what is wrong.
    pub fn read(file: impl Into<Arc<DicomFile>>) -> Result<Segmentation, String> {
        let file = file.into();
        let named = |e: String| format!("{}: {e}", file.name());
        let (kind, segments, frames) = Self::parts(&file).map_err(named)?;
        let frame_of_reference = file.attributes().string(tags::FRAME_OF_REFERENCE_UID);
        Ok(Segmentation {
            file,
            kind,
            segments,
            frames,
            frame_of_reference,
        })
    }

    fn parts(file: &DicomFile) -> Result<Parts, String> {
        let a = file.attributes();
        let class = a.string(tags::SOP_CLASS_UID).unwrap_or_default();
        if class != SEGMENTATION_STORAGE && class != LABEL_MAP_SEGMENTATION_STORAGE {
            return Err(format!(
                "not a DICOM Segmentation (SOP Class UID {class:?})"
            ));
        }
        let kind = match a.string(tags::SEGMENTATION_TYPE).as_deref() {
            Some("BINARY") => SegmentationType::Binary,
            Some("FRACTIONAL") => SegmentationType::Fractional {
                maximum: a
                    .u16(tags::MAXIMUM_FRACTIONAL_VALUE, "Maximum Fractional Value")
                    .map_err(|e| e.to_string())?
                    .filter(|m| *m > 0)
                    .ok_or("a FRACTIONAL segmentation needs a Maximum Fractional Value")?,
                probability: a.string(tags::SEGMENTATION_FRACTIONAL_TYPE).as_deref()
                    == Some("PROBABILITY"),
            },
            Some("LABELMAP") => SegmentationType::Labelmap,
            other => return Err(format!("Segmentation Type {other:?} is not known")),
        };
        let mut segments = Vec::new();
        for item in a.items(tags::SEGMENT_SEQUENCE).unwrap_or_default() {
            let s = Attributes::new(item);
            let number = s
                .u16(tags::SEGMENT_NUMBER, "Segment Number")
                .map_err(|e| e.to_string())?
                .ok_or("a segment has no Segment Number")?;
            let cielab = s
                .ints(
                    tags::RECOMMENDED_DISPLAY_CIE_LAB_VALUE,
                    "Recommended Display CIELab Value",
                )
                .ok()
                .filter(|v| v.len() == 3 && v.iter().all(|x| (0..=65535).contains(x)))
                .map(|v| [v[0] as u16, v[1] as u16, v[2] as u16]);
            segments.push(Segment {
                number,
                label: s.string(tags::SEGMENT_LABEL).unwrap_or_default(),
                cielab,
                color: cielab.map_or(distinct(u64::from(number)), cielab_to_srgb),
            });
        }
        if segments.is_empty() {
            return Err("the Segment Sequence is empty".into());
        }
        let image = file.image().map_err(|e| e.to_string())?;
        let n = image.number_of_frames as usize;
        let per_frame = a
            .items(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
            .unwrap_or_default();
        if per_frame.len() != n {
            return Err(format!(
                "{} frames but {} Per-Frame Functional Groups items",
                n,
                per_frame.len()
            ));
        }
        let shared = a.item(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE);
        let mut frames = Vec::with_capacity(n);
        for (k, item) in per_frame.iter().enumerate() {
            let f = Attributes::new(item);
            let segment = match kind {
                SegmentationType::Labelmap => None,
                _ => Some(
                    f.item(tags::SEGMENT_IDENTIFICATION_SEQUENCE)
                        .or_else(|| shared?.item(tags::SEGMENT_IDENTIFICATION_SEQUENCE))
                        .and_then(|s| {
                            s.u16(tags::REFERENCED_SEGMENT_NUMBER, "Referenced Segment Number")
                                .ok()
                                .flatten()
                        })
                        .ok_or_else(|| format!("frame {} names no segment", k + 1))?,
                ),
            };
            let mut sources = Vec::new();
            let derivations = f
                .items(tags::DERIVATION_IMAGE_SEQUENCE)
                .or_else(|| shared?.items(tags::DERIVATION_IMAGE_SEQUENCE))
                .unwrap_or_default();
            for d in derivations {
                for s in Attributes::new(d)
                    .items(tags::SOURCE_IMAGE_SEQUENCE)
                    .unwrap_or_default()
                {
                    let s = Attributes::new(s);
                    let Some(uid) = s.string(tags::REFERENCED_SOP_INSTANCE_UID) else {
                        continue;
                    };
                    let frame = s
                        .int(tags::REFERENCED_FRAME_NUMBER, "Referenced Frame Number")
                        .ok()
                        .flatten()
                        .and_then(|f| usize::try_from(f).ok()?.checked_sub(1));
                    sources.push((uid, frame));
                }
            }
            frames.push(SegmentFrame {
                segment,
                sources,
                geometry: file.geometry(k),
            });
        }
        Ok((kind, segments, frames))
    }

    /// The segment numbered `number`.
    pub fn segment(&self, number: u16) -> Option<&Segment> {
        self.segments.iter().find(|s| s.number == number)
    }

    /// The frames that belong to frame `frame` (0-based) of the image `sop` (SOP Instance
    /// UID) of `geometry` in `frame_of_reference`: those derived from it; else those in its
    /// plane (the same Frame of Reference, parallel, within half the image's Slice
    /// Thickness or 0.01 mm of it).
    pub fn frames_for(
        &self,
        sop: &str,
        frame: usize,
        geometry: &Geometry,
        frame_of_reference: Option<&str>,
    ) -> Vec<usize> {
        let derived: Vec<usize> = (0..self.frames.len())
            .filter(|&k| {
                self.frames[k]
                    .sources
                    .iter()
                    .any(|(uid, f)| uid == sop && f.is_none_or(|f| f == frame))
            })
            .collect();
        if !derived.is_empty() {
            return derived;
        }
        if frame_of_reference.is_none() || frame_of_reference != self.frame_of_reference.as_deref()
        {
            return Vec::new();
        }
        let (Some(o), Some(p)) = (
            geometry.image_orientation_patient,
            geometry.image_position_patient,
        ) else {
            return Vec::new();
        };
        let normal = cross(o);
        let tolerance = geometry
            .slice_thickness
            .filter(|t| *t > 0.0)
            .map_or(0.01, |t| t / 2.0);
        (0..self.frames.len())
            .filter(|&k| {
                let g = &self.frames[k].geometry;
                let (Some(so), Some(sp)) = (g.image_orientation_patient, g.image_position_patient)
                else {
                    return false;
                };
                let n = cross(so);
                let parallel = dot(n, normal).abs() > 0.9999;
                let d = dot([sp[0] - p[0], sp[1] - p[1], sp[2] - p[2]], normal);
                parallel && d.abs() <= tolerance
            })
            .collect()
    }

    /// The segments to paint over frame `frame` (0-based) of `image`, in the order of
    /// their numbers: the masks of [`frames_for`](Self::frames_for) that image, on its own
    /// pixel grid when derived from it at its size, else placed through the patient.
    pub fn layers_for(&self, image: &DicomFile, frame: usize) -> Result<Vec<SegmentLayer>, String> {
        let description = image.image().map_err(|e| e.to_string())?;
        let sop = image.identification().sop_instance_uid.unwrap_or_default();
        let geometry = image.geometry(frame);
        let frame_of_reference = image.attributes().string(tags::FRAME_OF_REFERENCE_UID);
        let mut layers = Vec::new();
        for k in self.frames_for(&sop, frame, &geometry, frame_of_reference.as_deref()) {
            let info = &self.frames[k];
            let derived = info.sources.iter().any(|(uid, _)| *uid == sop);
            for (segment, mask) in self.masks(k)? {
                let same = mask.columns == description.columns && mask.rows == description.rows;
                let placement = match (PlaneGrid::of(&geometry), PlaneGrid::of(&info.geometry)) {
                    _ if derived && same => Placement::SameGrid,
                    (Some(image), Some(mask)) => Placement::Patient { image, mask },
                    _ if same => Placement::SameGrid,
                    _ => {
                        return Err(format!(
                            "{}: frame {} has no plane to place it over {}",
                            self.file.name(),
                            k + 1,
                            image.name()
                        ));
                    }
                };
                let color = self.segment(segment).map_or([255, 255, 255], |s| s.color);
                layers.push(SegmentLayer {
                    segment,
                    color,
                    mask,
                    placement,
                });
            }
        }
        layers.sort_by_key(|l| l.segment);
        Ok(layers)
    }

    /// Frame `k`'s values as a [`FrameStack`](crate::planes::FrameStack) over planes
    /// reads them: a binary or fractional frame's coverage (0-255, as its mask), a
    /// labelmap frame's segment numbers (0 where the number names no segment).
    pub fn frame_values(&self, k: usize) -> Result<Vec<u16>, String> {
        if self.kind != SegmentationType::Labelmap
            && self.frames.get(k).is_some_and(|f| f.segment.is_some())
        {
            let masks = self.masks(k)?;
            let (_, mask) = masks
                .into_iter()
                .next()
                .ok_or_else(|| format!("{}: frame {} has no mask", self.file.name(), k + 1))?;
            return Ok(mask.coverage.into_iter().map(u16::from).collect());
        }
        let f = self.file.decode_frame(k).map_err(|e| e.to_string())?;
        let n = f.width as usize * f.height as usize;
        if f.samples.len() < n {
            return Err(format!("{}: frame {} is short", self.file.name(), k + 1));
        }
        Ok((0..n)
            .map(|i| f.samples.get_f64(i))
            .map(|v| {
                if v > 0.0 && v <= 65535.0 && self.segment(v as u16).is_some() {
                    v as u16
                } else {
                    0
                }
            })
            .collect())
    }

    /// The masks of frame `k`: one for a binary or fractional frame, one per segment
    /// present for a labelmap frame.
    pub fn masks(&self, k: usize) -> Result<Vec<(u16, Mask)>, String> {
        let info = self
            .frames
            .get(k)
            .ok_or_else(|| format!("{}: no frame {}", self.file.name(), k + 1))?;
        let f = self.file.decode_frame(k).map_err(|e| e.to_string())?;
        let n = f.width as usize * f.height as usize;
        if f.samples.len() < n {
            return Err(format!("{}: frame {} is short", self.file.name(), k + 1));
        }
        let mask = |coverage: Vec<u8>| Mask {
            columns: f.width,
            rows: f.height,
            coverage,
        };
        let value = |i: usize| f.samples.get_f64(i);
        Ok(match (self.kind, info.segment) {
            (SegmentationType::Binary, Some(s)) => vec![(
                s,
                mask(
                    (0..n)
                        .map(|i| if value(i) > 0.0 { 255 } else { 0 })
                        .collect(),
                ),
            )],
            (SegmentationType::Fractional { maximum, .. }, Some(s)) => {
                let m = f64::from(maximum);
                let cover = |v: f64| ((v.clamp(0.0, m) * 255.0 / m).round()) as u8;
                vec![(s, mask((0..n).map(|i| cover(value(i))).collect()))]
            }
            _ => {
                // A labelmap: one mask per segment present in the frame, within a budget
                // (a header may declare thousands of segments).
                let present: std::collections::BTreeSet<u16> = (0..n)
                    .map(&value)
                    .filter(|v| *v > 0.0 && *v <= 65535.0)
                    .map(|v| v as u16)
                    .filter(|v| self.segment(*v).is_some())
                    .collect();
                if present.len().saturating_mul(n) > MAX_MASK_BYTES {
                    return Err(format!(
                        "{}: frame {} holds {} segments of {n} pixels, more than the {} MiB \
                         masks may take",
                        self.file.name(),
                        k + 1,
                        present.len(),
                        MAX_MASK_BYTES >> 20
                    ));
                }
                present
                    .into_iter()
                    .map(|s| {
                        let v = f64::from(s);
                        let c = (0..n).map(|i| if value(i) == v { 255 } else { 0 });
                        (s, mask(c.collect()))
                    })
                    .collect()
            }
        })
    }
}

fn cross(o: [f64; 6]) -> [f64; 3] {
    [
        o[1] * o[5] - o[2] * o[4],
        o[2] * o[3] - o[0] * o[5],
        o[0] * o[4] - o[1] * o[3],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
