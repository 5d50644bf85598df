//! Grayscale Softcopy Presentation States (PS3.3 A.33.1): how a reader wanted images
//! shown. Applied here: the Softcopy VOI LUT (a window, with its VOI LUT Function, or a
//! VOI LUT table) of the images it references, the Modality LUT the state carries, the
//! Presentation LUT Shape (IDENTITY or INVERSE), the spatial transformation (Image Rotation,
//! then Image Horizontal Flip, PS3.3 C.10.6), the display shutter, and the graphic and
//! text annotations (PS3.3 C.10.5) read for the viewers to draw, and the displayed area
//! (PS3.3 C.10.4: the part of the image shown, scaled to fit or magnified), and a
//! Presentation LUT table (C.11.6) in place of the shape.

use crate::attrs::Attributes;
use crate::display::{
    DisplayParameters, ModalityLut, PresentationLutShape, VoiLutFunction, read_modality_lut,
    read_windows,
};
use crate::error::{Error, ErrorKind, KResult};
use crate::file::DicomFile;
use crate::lut::Lut;
use crate::shutter::{DisplayShutter, display_shutter};
use dicom_dictionary_std::tags;

/// Grayscale Softcopy Presentation State Storage.
pub const GSPS_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.11.1";

/// An image a presentation state applies to: SOP Instance UID and frames (1-based; empty
/// for every frame).
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencedImage {
    /// Referenced SOP Instance UID.
    pub sop_instance_uid: String,
    /// Referenced Frame Number (1-based), empty for all frames.
    pub frames: Vec<i64>,
}

impl ReferencedImage {
    fn covers(&self, sop: &str, frame: usize) -> bool {
        self.sop_instance_uid == sop
            && (self.frames.is_empty() || self.frames.contains(&(frame as i64 + 1)))
    }
}

/// A VOI of the Softcopy VOI LUT Sequence and the images it applies to.
#[derive(Debug, Clone, PartialEq)]
struct SoftcopyVoi {
    /// Empty: every image of the state.
    images: Vec<ReferencedImage>,
    windows: Vec<crate::display::VoiWindow>,
    function: VoiLutFunction,
    luts: Vec<Lut>,
}

/// A graphic object of a Graphic Annotation (PS3.3 C.10.5.1.2).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphicObject {
    /// Graphic Annotation Units DISPLAY (fractions of the displayed area) rather than
    /// PIXEL (image pixels, (0, 0) the top left corner of the top left pixel).
    pub display_units: bool,
    /// Graphic Type: POINT, POLYLINE, INTERPOLATED, CIRCLE, ELLIPSE.
    pub graphic_type: String,
    /// Graphic Data: (column, row) points.
    pub points: Vec<[f64; 2]>,
    /// Graphic Filled.
    pub filled: bool,
}

/// A text object of a Graphic Annotation.
#[derive(Debug, Clone, PartialEq)]
pub struct TextObject {
    /// Unformatted Text Value.
    pub text: String,
    /// DISPLAY rather than PIXEL units (for the anchor or the bounding box).
    pub display_units: bool,
    /// Where the text goes: the Anchor Point, else the Bounding Box Top Left Hand Corner
    /// (column, row).
    pub at: [f64; 2],
}

/// A Graphic Annotation: text and graphics on a layer, for some images.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphicAnnotation {
    /// Empty: every image of the state.
    pub images: Vec<ReferencedImage>,
    /// Graphic Layer.
    pub layer: String,
    /// Its text objects.
    pub texts: Vec<TextObject>,
    /// Its graphic objects.
    pub graphics: Vec<GraphicObject>,
}

/// Points of Graphic Data (or an anchor) as (column, row) pairs; None when malformed.
fn pairs(a: &Attributes<'_>, tag: dicom_core::Tag, name: &'static str) -> Option<Vec<[f64; 2]>> {
    let v = a.floats(tag, name).ok()?;
    (v.len() % 2 == 0 && v.iter().all(|x| x.is_finite()))
        .then(|| v.chunks(2).map(|p| [p[0], p[1]]).collect())
}

fn graphic_annotations(a: &Attributes<'_>) -> KResult<Vec<GraphicAnnotation>> {
    let mut out = Vec::new();
    for item in a.items(tags::GRAPHIC_ANNOTATION_SEQUENCE).unwrap_or(&[]) {
        let g = Attributes::new(item);
        let display = |x: &Attributes<'_>, tag| {
            x.string(tag)
                .is_some_and(|u| u.trim().eq_ignore_ascii_case("DISPLAY"))
        };
        let mut texts = Vec::new();
        for t in g.items(tags::TEXT_OBJECT_SEQUENCE).unwrap_or(&[]) {
            let t = Attributes::new(t);
            let anchor =
                pairs(&t, tags::ANCHOR_POINT, "Anchor Point").and_then(|p| p.first().copied());
            let corner = pairs(
                &t,
                tags::BOUNDING_BOX_TOP_LEFT_HAND_CORNER,
                "Bounding Box Top Left Hand Corner",
            )
            .and_then(|p| p.first().copied());
            let (at, units) = match (anchor, corner) {
                (Some(p), _) => (p, tags::ANCHOR_POINT_ANNOTATION_UNITS),
                (None, Some(p)) => (p, tags::BOUNDING_BOX_ANNOTATION_UNITS),
                (None, None) => continue,
            };
            texts.push(TextObject {
                text: t.string(tags::UNFORMATTED_TEXT_VALUE).unwrap_or_default(),
                display_units: display(&t, units),
                at,
            });
        }
        let mut graphics = Vec::new();
        for o in g.items(tags::GRAPHIC_OBJECT_SEQUENCE).unwrap_or(&[]) {
            let o = Attributes::new(o);
            let Some(points) = pairs(&o, tags::GRAPHIC_DATA, "Graphic Data") else {
                continue;
            };
            graphics.push(GraphicObject {
                display_units: display(&o, tags::GRAPHIC_ANNOTATION_UNITS),
                graphic_type: o.string(tags::GRAPHIC_TYPE).unwrap_or_default(),
                points,
                filled: o
                    .string(tags::GRAPHIC_FILLED)
                    .is_some_and(|f| f.trim().eq_ignore_ascii_case("Y")),
            });
        }
        out.push(GraphicAnnotation {
            images: references(g.items(tags::REFERENCED_IMAGE_SEQUENCE).unwrap_or(&[]))?,
            layer: g.string(tags::GRAPHIC_LAYER).unwrap_or_default(),
            texts,
            graphics,
        });
    }
    Ok(out)
}

/// How a displayed area is sized on the display (Presentation Size Mode, PS3.3 C.10.4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PresentationSizeMode {
    /// SCALE TO FIT: the area as large as the display allows, whole.
    ScaleToFit,
    /// TRUE SIZE: the area at its physical size. A display's physical pixel size is not
    /// known here, so this shows as [`ScaleToFit`](Self::ScaleToFit) does.
    TrueSize,
    /// MAGNIFY: display pixels per image pixel (Presentation Pixel Magnification Ratio).
    Magnify(f64),
}

/// A Displayed Area Selection: the part of the images shown and how it is sized.
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayedArea {
    /// Empty: every image of the state.
    pub images: Vec<ReferencedImage>,
    /// The area in image coordinates (pixel edges at integers, (0, 0) the top left corner
    /// of the top left pixel): `[left, top, right, bottom]`, from the Displayed Area Top
    /// Left Hand Corner and Bottom Right Hand Corner (1-based pixel numbers, both shown;
    /// the corners name the area's top left and bottom right after the spatial
    /// transformation, so either may lie on either side).
    pub area: [f64; 4],
    /// Presentation Size Mode.
    pub size_mode: PresentationSizeMode,
}

impl DisplayedArea {
    /// Display pixels per image pixel when the area is magnified (MAGNIFY); None when it
    /// is fitted to the display.
    pub fn magnification(&self) -> Option<f64> {
        match self.size_mode {
            PresentationSizeMode::Magnify(m) => Some(m),
            _ => None,
        }
    }

    /// Width and height of the area in image pixels.
    pub fn size(&self) -> [f64; 2] {
        [self.area[2] - self.area[0], self.area[3] - self.area[1]]
    }
}

fn displayed_areas(a: &Attributes<'_>) -> KResult<Vec<DisplayedArea>> {
    let mut out = Vec::new();
    for item in a
        .items(tags::DISPLAYED_AREA_SELECTION_SEQUENCE)
        .unwrap_or(&[])
    {
        let d = Attributes::new(item);
        let corner = |tag, name: &'static str| -> KResult<Option<[f64; 2]>> {
            let v = d.ints(tag, name)?;
            Ok((v.len() == 2).then(|| [v[0] as f64, v[1] as f64]))
        };
        let (Some(tl), Some(br)) = (
            corner(
                tags::DISPLAYED_AREA_TOP_LEFT_HAND_CORNER,
                "Displayed Area Top Left Hand Corner",
            )?,
            corner(
                tags::DISPLAYED_AREA_BOTTOM_RIGHT_HAND_CORNER,
                "Displayed Area Bottom Right Hand Corner",
            )?,
        ) else {
            continue;
        };
        let mode = d.string(tags::PRESENTATION_SIZE_MODE).unwrap_or_default();
        let size_mode = match mode.trim() {
            "TRUE SIZE" => PresentationSizeMode::TrueSize,
            "MAGNIFY" => {
                let m = d
                    .float(
                        tags::PRESENTATION_PIXEL_MAGNIFICATION_RATIO,
                        "Presentation Pixel Magnification Ratio",
                    )?
                    .unwrap_or(1.0);
                if !(m.is_finite() && m > 0.0 && m <= 1024.0) {
                    return Err(ErrorKind::InvalidAttribute {
                        name: "Presentation Pixel Magnification Ratio",
                        value: m.to_string(),
                        reason: "must be a positive number up to 1024".into(),
                    });
                }
                PresentationSizeMode::Magnify(m)
            }
            _ => PresentationSizeMode::ScaleToFit,
        };
        // Pixel numbers to pixel edges: pixel n spans n - 1 .. n.
        let area = [
            tl[0].min(br[0]) - 1.0,
            tl[1].min(br[1]) - 1.0,
            tl[0].max(br[0]),
            tl[1].max(br[1]),
        ];
        out.push(DisplayedArea {
            images: references(d.items(tags::REFERENCED_IMAGE_SEQUENCE).unwrap_or(&[]))?,
            area,
            size_mode,
        });
    }
    Ok(out)
}

/// A Grayscale Softcopy Presentation State, as far as it is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct PresentationState {
    /// Content Label.
    pub label: Option<String>,
    /// The images it applies to (Referenced Series Sequence).
    pub images: Vec<ReferencedImage>,
    voi: Vec<SoftcopyVoi>,
    /// The Modality LUT of the state (it replaces the image's), when it has one.
    pub modality_lut: Option<ModalityLut>,
    /// Presentation LUT Shape.
    pub presentation_lut_shape: Option<PresentationLutShape>,
    /// The Presentation LUT Sequence's table, when the state has one instead of a shape.
    pub presentation_lut: Option<Lut>,
    /// Image Rotation: quarter turns clockwise (0-3).
    pub rotation: u8,
    /// Image Horizontal Flip, applied after the rotation.
    pub horizontal_flip: bool,
    /// The display shutter of the state.
    pub shutter: Option<DisplayShutter>,
    /// Its graphic and text annotations.
    pub annotations: Vec<GraphicAnnotation>,
    /// Its displayed areas.
    pub displayed_areas: Vec<DisplayedArea>,
}

fn references(items: &[dicom_object::InMemDicomObject]) -> KResult<Vec<ReferencedImage>> {
    let mut out = Vec::new();
    for item in items.iter().map(Attributes::new) {
        if let Some(sop) = item.string(tags::REFERENCED_SOP_INSTANCE_UID) {
            out.push(ReferencedImage {
                sop_instance_uid: sop,
                frames: item.ints(tags::REFERENCED_FRAME_NUMBER, "Referenced Frame Number")?,
            });
        }
    }
    Ok(out)
}

impl PresentationState {
    /// Whether `file` is a Grayscale Softcopy Presentation State.
    pub fn is_presentation_state(file: &DicomFile) -> bool {
        file.identification().sop_class_uid.as_deref() == Some(GSPS_SOP_CLASS)
    }

    /// Reads the presentation state `file`.
    pub fn read(file: &DicomFile) -> Result<PresentationState, Error> {
        Self::read_k(file).map_err(|k| file.err(k))
    }

    fn read_k(file: &DicomFile) -> KResult<PresentationState> {
        if !Self::is_presentation_state(file) {
            return Err(ErrorKind::Unsupported(
                "not a Grayscale Softcopy Presentation State".into(),
            ));
        }
        let a = file.attributes();
        let mut images = Vec::new();
        for series in a.items(tags::REFERENCED_SERIES_SEQUENCE).unwrap_or(&[]) {
            let s = Attributes::new(series);
            images.extend(references(
                s.items(tags::REFERENCED_IMAGE_SEQUENCE).unwrap_or(&[]),
            )?);
        }
        let modality_lut = read_modality_lut(&a, &a, false)?;
        let mut voi = Vec::new();
        for item in a.items(tags::SOFTCOPY_VOILUT_SEQUENCE).unwrap_or(&[]) {
            let v = Attributes::new(item);
            let mut luts = Vec::new();
            for l in v.items(tags::VOILUT_SEQUENCE).unwrap_or(&[]) {
                if let Some(lut) = Lut::read(
                    &Attributes::new(l),
                    tags::LUT_DESCRIPTOR,
                    tags::LUT_DATA,
                    "VOI LUT",
                    true,
                )? {
                    luts.push(lut);
                }
            }
            voi.push(SoftcopyVoi {
                images: references(v.items(tags::REFERENCED_IMAGE_SEQUENCE).unwrap_or(&[]))?,
                windows: read_windows(&v)?,
                function: v
                    .string(tags::VOILUT_FUNCTION)
                    .and_then(|s| VoiLutFunction::parse(&s))
                    .unwrap_or_default(),
                luts,
            });
        }
        let presentation_lut_shape = a
            .string(tags::PRESENTATION_LUT_SHAPE)
            .and_then(|s| PresentationLutShape::parse(&s));
        let presentation_lut = match a.item(tags::PRESENTATION_LUT_SEQUENCE) {
            Some(item) => Lut::read(
                &item,
                tags::LUT_DESCRIPTOR,
                tags::LUT_DATA,
                "Presentation LUT",
                false,
            )?,
            None => None,
        };
        let rotation = match a.int(tags::IMAGE_ROTATION, "Image Rotation")? {
            None | Some(0) => 0,
            Some(90) => 1,
            Some(180) => 2,
            Some(270) => 3,
            Some(other) => {
                return Err(ErrorKind::InvalidAttribute {
                    name: "Image Rotation",
                    value: other.to_string(),
                    reason: "must be 0, 90, 180 or 270".into(),
                });
            }
        };
        let shutter = display_shutter(&a).map_err(|reason| ErrorKind::InvalidAttribute {
            name: "Display Shutter",
            value: String::new(),
            reason,
        })?;
        Ok(PresentationState {
            label: a.string(tags::CONTENT_LABEL),
            images,
            voi,
            modality_lut,
            presentation_lut_shape,
            presentation_lut,
            rotation,
            horizontal_flip: a
                .string(tags::IMAGE_HORIZONTAL_FLIP)
                .is_some_and(|f| f.trim().eq_ignore_ascii_case("Y")),
            shutter,
            annotations: graphic_annotations(&a)?,
            displayed_areas: displayed_areas(&a)?,
        })
    }

    /// The annotations of frame `frame` (0-based) of the image `sop`.
    pub fn annotations_for<'s>(
        &'s self,
        sop: &'s str,
        frame: usize,
    ) -> impl Iterator<Item = &'s GraphicAnnotation> {
        self.annotations
            .iter()
            .filter(move |g| g.images.is_empty() || g.images.iter().any(|r| r.covers(sop, frame)))
    }

    /// The displayed area of frame `frame` (0-based) of the image `sop`, when the state
    /// selects one.
    pub fn displayed_area(&self, sop: &str, frame: usize) -> Option<&DisplayedArea> {
        self.displayed_areas
            .iter()
            .find(|d| d.images.is_empty() || d.images.iter().any(|r| r.covers(sop, frame)))
    }

    /// Whether the state applies to frame `frame` (0-based) of the image `sop`.
    pub fn applies_to(&self, sop: &str, frame: usize) -> bool {
        self.images.iter().any(|r| r.covers(sop, frame))
    }

    /// The display parameters of frame `frame` of the image `sop` as the state shows it:
    /// its Modality LUT, its VOI (replacing the image's windows and VOI LUTs), its
    /// Presentation LUT Shape or table.
    pub fn apply(&self, sop: &str, frame: usize, params: &mut DisplayParameters) {
        if let Some(m) = &self.modality_lut {
            params.modality_lut = m.clone();
        }
        let voi = self
            .voi
            .iter()
            .find(|v| v.images.is_empty() || v.images.iter().any(|r| r.covers(sop, frame)));
        if let Some(v) = voi {
            params.windows = v.windows.clone();
            params.voi_lut_function = v.function;
            params.voi_luts = v.luts.clone();
        }
        if self.presentation_lut_shape.is_some() {
            params.presentation_lut_shape = self.presentation_lut_shape;
        }
        if self.presentation_lut.is_some() {
            params.presentation_lut = self.presentation_lut.clone();
        }
    }

    /// The view's flips and quarter turns for the state's spatial transformation (the
    /// rotation, then the horizontal flip; a view flips first, then turns):
    /// (flip_horizontal, flip_vertical, rotation).
    pub fn view_transform(&self) -> (bool, bool, u8) {
        let odd = self.rotation % 2 == 1;
        (
            self.horizontal_flip && !odd,
            self.horizontal_flip && odd,
            self.rotation,
        )
    }
}
