//! Measurements saved as a DICOM Structured Report: a Comprehensive SR (Comprehensive 3D
//! SR when a measurement was drawn on a plane) whose content is
//! TID 1500 "Measurement Report" (PS3.16), the template OHIF, dwv, dcmqi and highdicom
//! read. Each measurement is one TID 1410 "Planar ROI Measurements" group: a tracking
//! identifier and UID, the Image Region (SCOORD, selected from the image it was drawn on;
//! SCOORD3D in the patient, with the Frame of Reference, for one drawn on a plane cut
//! through a volume) and its numbers (NUM: length, angle, area, mean, standard deviation, minimum, maximum,
//! each with its UCUM unit). Patient and study come from the measured images; the report
//! is a new series of the same study. Nothing is written into the images.
//!
//! Coordinates: SCOORD Graphic Data puts (0, 0) at the top left corner of the top left
//! pixel (PS3.3 C.18.6.1.2), so a point at pixel centre (x, y) of [`Roi`] is written as
//! (x + 0.5, y + 0.5).

use crate::part10::{DataSet as Object, Value, write_file};
use crate::{Measurement, Roi, Spacing};
use hounsfield_dicom::{DicomFile, Tag, tags};

/// Comprehensive SR Storage.
const COMPREHENSIVE_SR_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.88.33";

/// Comprehensive 3D SR Storage: a Comprehensive SR that may hold SCOORD3D (PS3.3 A.35.13).
const COMPREHENSIVE_3D_SR_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.88.34";

/// An element of a data set being built.
type Element = (Tag, Value);

trait Put {
    fn put(&mut self, e: Element);
}

impl Put for Object {
    fn put(&mut self, (tag, value): Element) {
        self.insert(tag, value);
    }
}

fn set(elements: impl IntoIterator<Item = Element>) -> Object {
    elements.into_iter().collect()
}

/// One measurement of a report, and the image frame it was made on.
#[derive(Debug, Clone, Copy)]
pub struct ReportEntry<'a> {
    /// What was measured, and its numbers.
    pub measurement: &'a Measurement,
    /// The image (for a measurement on a plane: an image of the volume, which gives the
    /// patient, study, series and Frame of Reference).
    pub image: &'a DicomFile,
    /// The frame, 0-based.
    pub frame: usize,
    /// Its tracking identifier ("length 1", ...).
    pub label: &'a str,
    /// The plane it was drawn on, when it was drawn on a plane cut through a volume
    /// rather than on the image: its region is then written in patient coordinates
    /// (SCOORD3D).
    pub plane: Option<PlaneGeometry>,
}

/// Where the pixels of a plane lie in the patient (mm): the centre of pixel (0, 0) and the
/// step to the next column and to the next row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaneGeometry {
    /// Patient position of the centre of pixel (0, 0).
    pub origin: [f64; 3],
    /// Patient step from a pixel to the next one to the right.
    pub column_step: [f64; 3],
    /// Patient step from a pixel to the one below.
    pub row_step: [f64; 3],
}

impl PlaneGeometry {
    /// Where the pixels of `plane` lie.
    pub fn of(plane: &hounsfield_volume::volume::Plane) -> PlaneGeometry {
        PlaneGeometry {
            origin: plane.origin,
            column_step: plane.u.map(|c| c * plane.spacing),
            row_step: plane.v.map(|c| c * plane.spacing),
        }
    }

    /// The patient position of pixel coordinates `p` (pixel centres at integers).
    pub fn position(&self, p: [f64; 2]) -> [f64; 3] {
        std::array::from_fn(|k| {
            self.origin[k] + p[0] * self.column_step[k] + p[1] * self.row_step[k]
        })
    }
}

/// What a report needs besides its measurements.
#[derive(Debug, Clone)]
pub struct ReportContext {
    /// Content Date (YYYYMMDD) and Time (HHMMSS), UTC.
    pub date_time: (String, String),
    /// Series Number of the report.
    pub series_number: i32,
    /// Device Observer Name and Manufacturer.
    pub device_name: String,
}

/// A new UID under the 2.25 root (PS3.5 B.2): the 128 bits of `bytes` as a UUID of
/// version 4, in decimal.
///
/// ```
/// let uid = hounsfield_measure::sr::uid_from_random([7; 16]);
/// assert!(uid.starts_with("2.25.") && uid.len() <= 64);
/// ```
pub fn uid_from_random(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    format!("2.25.{}", u128::from_be_bytes(bytes))
}

/// A new UID from the process's random hasher keys, the time and a counter (natively;
/// in a browser the page gives [`uid_from_random`] bytes from `crypto.getRandomValues`).
#[cfg(not(target_arch = "wasm32"))]
pub fn new_uid() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(count);
        h.write_u64(salt);
        h.write_u32(std::process::id());
        h.finish()
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&half(1).to_be_bytes());
    bytes[8..].copy_from_slice(&half(2).to_be_bytes());
    uid_from_random(bytes)
}

/// The date (YYYYMMDD) and time (HHMMSS) in UTC of `seconds` since 1970.
///
/// ```
/// let (d, t) = hounsfield_measure::sr::utc_date_time(1_700_000_000);
/// assert_eq!((d.as_str(), t.as_str()), ("20231114", "221320"));
/// ```
pub fn utc_date_time(seconds: u64) -> (String, String) {
    let days = (seconds / 86_400) as i64;
    let s = seconds % 86_400;
    // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}{month:02}{day:02}"),
        format!("{:02}{:02}{:02}", s / 3600, s / 60 % 60, s % 60),
    )
}

/// A Decimal String of at most 16 characters for `v` (the exact value goes in Floating
/// Point Value beside it).
fn decimal_string(v: f64) -> String {
    let plain = format!("{v}");
    if plain.len() <= 16 {
        return plain;
    }
    // The most precise fixed and exponent forms that fit; the nearer of the two.
    let error = |s: &String| s.parse::<f64>().map_or(f64::INFINITY, |b| (b - v).abs());
    let fixed = (0..=15)
        .rev()
        .map(|p| format!("{v:.p$}"))
        .find(|s| s.len() <= 16);
    let exp = (0..=15)
        .rev()
        .map(|p| format!("{v:.p$e}"))
        .find(|s| s.len() <= 16);
    if let Some(best) = fixed
        .into_iter()
        .chain(exp)
        .min_by(|a, b| error(a).total_cmp(&error(b)))
    {
        return best;
    }
    "0".into()
}

fn text(tag: Tag, vr: &'static str, value: impl Into<String>) -> Element {
    (tag, Value::Text(vr, value.into()))
}

fn sequence(tag: Tag, items: Vec<Object>) -> Element {
    (tag, Value::Sequence(items))
}

fn code(value: &str, scheme: &str, meaning: &str) -> Object {
    set([
        text(tags::CODE_VALUE, "SH", value),
        text(tags::CODING_SCHEME_DESIGNATOR, "SH", scheme),
        text(tags::CODE_MEANING, "LO", meaning),
    ])
}

/// A content item: relationship, value type and concept name.
fn item(relationship: &str, value_type: &str, concept: Object) -> Object {
    set([
        text(tags::RELATIONSHIP_TYPE, "CS", relationship),
        text(tags::VALUE_TYPE, "CS", value_type),
        sequence(tags::CONCEPT_NAME_CODE_SEQUENCE, vec![concept]),
    ])
}

/// A CODE content item: `concept` is `value`.
fn code_item(relationship: &str, concept: Object, value: Object) -> Object {
    let mut c = item(relationship, "CODE", concept);
    c.put(sequence(tags::CONCEPT_CODE_SEQUENCE, vec![value]));
    c
}

/// A content item of a value type held in one attribute (TEXT, UIDREF).
fn value_item(relationship: &str, value_type: &str, concept: Object, value: Element) -> Object {
    let mut c = item(relationship, value_type, concept);
    c.put(value);
    c
}

fn template(id: &str) -> Element {
    sequence(
        tags::CONTENT_TEMPLATE_SEQUENCE,
        vec![set([
            text(tags::MAPPING_RESOURCE, "CS", "DCMR"),
            text(tags::TEMPLATE_IDENTIFIER, "CS", id),
        ])],
    )
}

fn num(concept: Object, value: f64, unit: Object) -> Object {
    let mut n = item("CONTAINS", "NUM", concept);
    n.put(sequence(
        tags::MEASURED_VALUE_SEQUENCE,
        vec![set([
            sequence(tags::MEASUREMENT_UNITS_CODE_SEQUENCE, vec![unit]),
            text(tags::NUMERIC_VALUE, "DS", decimal_string(value)),
            (tags::FLOATING_POINT_VALUE, Value::F64(value)),
        ])],
    ));
    n
}

/// The Image Region of a ROI: Graphic Type and Graphic Data (SCOORD coordinates).
fn graphic(roi: &Roi) -> (&'static str, Vec<[f64; 2]>) {
    let s = |p: [f64; 2]| [p[0] + 0.5, p[1] + 0.5];
    match roi {
        Roi::Line { x1, y1, x2, y2 } => ("POLYLINE", vec![s([*x1, *y1]), s([*x2, *y2])]),
        Roi::Angle { points } => ("POLYLINE", points.iter().map(|p| s(*p)).collect()),
        Roi::Cobb { points } => ("POLYLINE", points.iter().map(|p| s(*p)).collect()),
        Roi::Point { x, y } => ("POINT", vec![s([*x, *y])]),
        // The pixel edges around the rectangle's pixels, closed.
        Roi::Rect {
            x,
            y,
            width,
            height,
        } => {
            let (x0, y0) = (*x as f64, *y as f64);
            let (x1, y1) = (x0 + *width as f64, y0 + *height as f64);
            (
                "POLYLINE",
                vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]],
            )
        }
        Roi::Polygon { points } => {
            let mut ring: Vec<[f64; 2]> = points.iter().map(|p| s(*p)).collect();
            ring.extend(ring.first().copied());
            ("POLYLINE", ring)
        }
        // The major axis' ends, then the minor axis' (PS3.3 C.18.6.1.2).
        Roi::Ellipse { cx, cy, rx, ry } => {
            let (h, v) = (
                [s([cx - rx, *cy]), s([cx + rx, *cy])],
                [s([*cx, cy - ry]), s([*cx, cy + ry])],
            );
            let (major, minor) = if rx >= ry { (h, v) } else { (v, h) };
            ("ELLIPSE", vec![major[0], major[1], minor[0], minor[1]])
        }
    }
}

/// The UCUM unit of modality values.
fn value_unit(units: Option<&str>) -> Object {
    match units {
        Some("HU") => code("[hnsf'U]", "UCUM", "Hounsfield unit"),
        _ => code("1", "UCUM", "no units"),
    }
}

/// The TID 1410 group of one measurement.
fn group(e: &ReportEntry<'_>, uid: &mut dyn FnMut() -> String) -> Result<Object, String> {
    let m = e.measurement;
    let id = e.image.identification();
    let (class, instance) = id
        .sop_class_uid
        .zip(id.sop_instance_uid)
        .ok_or_else(|| format!("{}: no SOP Class or Instance UID", e.image.name()))?;
    let mut g = item(
        "CONTAINS",
        "CONTAINER",
        code("125007", "DCM", "Measurement Group"),
    );
    g.put(text(tags::CONTINUITY_OF_CONTENT, "CS", "SEPARATE"));
    g.put(template("1410"));
    let mut content = Vec::new();
    content.push(value_item(
        "HAS OBS CONTEXT",
        "TEXT",
        code("112039", "DCM", "Tracking Identifier"),
        text(tags::TEXT_VALUE, "UT", e.label),
    ));
    content.push(value_item(
        "HAS OBS CONTEXT",
        "UIDREF",
        code("112040", "DCM", "Tracking Unique Identifier"),
        text(tags::UID, "UI", uid()),
    ));
    let (graphic_type, points) = graphic(&m.roi);
    if let Some(plane) = &e.plane {
        // On a plane: the region in the patient, in the volume's Frame of Reference.
        let frame_of_reference = e
            .image
            .attributes()
            .string(tags::FRAME_OF_REFERENCE_UID)
            .ok_or_else(|| format!("{}: no Frame of Reference UID", e.image.name()))?;
        let mut region = item(
            "CONTAINS",
            "SCOORD3D",
            code("111030", "DCM", "Image Region"),
        );
        // SCOORD3D has POLYGON for closed regions (TID 1410 takes no 3D POLYLINE region).
        let closed = matches!(m.roi, Roi::Rect { .. } | Roi::Polygon { .. });
        let graphic_type = if closed { "POLYGON" } else { graphic_type };
        region.put(text(tags::GRAPHIC_TYPE, "CS", graphic_type));
        let data: Vec<f32> = points
            .iter()
            .flat_map(|p| plane.position([p[0] - 0.5, p[1] - 0.5]).map(|v| v as f32))
            .collect();
        region.put((tags::GRAPHIC_DATA, Value::F32(data)));
        region.put(text(
            tags::REFERENCED_FRAME_OF_REFERENCE_UID,
            "UI",
            frame_of_reference,
        ));
        content.push(region);
        return numbers(g, content, m);
    }
    // The region, selected from the image (and frame) it was drawn on.
    let mut region = item("CONTAINS", "SCOORD", code("111030", "DCM", "Image Region"));
    region.put(text(tags::GRAPHIC_TYPE, "CS", graphic_type));
    let data: Vec<f32> = points
        .iter()
        .flat_map(|p| [p[0] as f32, p[1] as f32])
        .collect();
    region.put((tags::GRAPHIC_DATA, Value::F32(data)));
    let mut reference = set([
        text(tags::REFERENCED_SOP_CLASS_UID, "UI", class),
        text(tags::REFERENCED_SOP_INSTANCE_UID, "UI", instance),
    ]);
    let frames = e.image.image().map_or(1, |i| i.number_of_frames);
    if frames > 1 {
        reference.put(text(
            tags::REFERENCED_FRAME_NUMBER,
            "IS",
            (e.frame + 1).to_string(),
        ));
    }
    let mut image = item("SELECTED FROM", "IMAGE", code("260753009", "SCT", "Source"));
    image.put(sequence(tags::REFERENCED_SOP_SEQUENCE, vec![reference]));
    region.put(sequence(tags::CONTENT_SEQUENCE, vec![image]));
    content.push(region);
    numbers(g, content, m)
}

/// The group `g` with its `content` and the numbers of `m`.
fn numbers(mut g: Object, mut content: Vec<Object>, m: &Measurement) -> Result<Object, String> {
    let known = m.pixel_size.spacing != Spacing::Pixels;
    let length_unit = || {
        if known {
            code("mm", "UCUM", "millimeter")
        } else {
            code("{pixels}", "UCUM", "pixels")
        }
    };
    if let Some(length) = m.length {
        content.push(num(
            code("410668003", "SCT", "Length"),
            length,
            length_unit(),
        ));
    }
    if let Some(angle) = m.angle {
        content.push(num(
            code("1483009", "SCT", "Angle"),
            angle,
            code("deg", "UCUM", "degree"),
        ));
    }
    if let Some(s) = &m.statistics {
        if let Some(area) = s.area_mm2 {
            content.push(num(
                code("42798000", "SCT", "Area"),
                area,
                code("mm2", "UCUM", "square millimeter"),
            ));
        }
        let unit = || value_unit(m.units.as_deref());
        for (concept, v) in [
            (code("373098007", "SCT", "Mean"), s.mean),
            (code("386136009", "SCT", "Standard Deviation"), s.sd),
            (code("255605001", "SCT", "Minimum"), s.min),
            (code("56851009", "SCT", "Maximum"), s.max),
        ] {
            content.push(num(concept, v, unit()));
        }
    }
    g.put(sequence(tags::CONTENT_SEQUENCE, content));
    Ok(g)
}

/// Writes `entries` as a TID 1500 Measurement Report (a Part 10 file, Explicit VR Little
/// Endian): patient and study of the images (which must be one study), a new series
/// (`uid` gives every new UID), the images referenced as evidence.
pub fn measurement_report(
    entries: &[ReportEntry<'_>],
    context: &ReportContext,
    uid: &mut dyn FnMut() -> String,
) -> Result<Vec<u8>, String> {
    let first = entries.first().ok_or("no measurement to report")?;
    let study = first
        .image
        .identification()
        .study_instance_uid
        .ok_or_else(|| format!("{}: no Study Instance UID", first.image.name()))?;
    // Evidence: every image, by series.
    let mut series: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for e in entries {
        let id = e.image.identification();
        if id.study_instance_uid.as_deref() != Some(study.as_str()) {
            return Err(format!(
                "{}: a report covers one study, and this image is of another",
                e.image.name()
            ));
        }
        let s = id
            .series_instance_uid
            .ok_or_else(|| format!("{}: no Series Instance UID", e.image.name()))?;
        let sop = id
            .sop_class_uid
            .zip(id.sop_instance_uid)
            .ok_or_else(|| format!("{}: no SOP Class or Instance UID", e.image.name()))?;
        match series.iter_mut().find(|(uid, _)| *uid == s) {
            Some((_, sops)) if !sops.contains(&sop) => sops.push(sop),
            Some(_) => {}
            None => series.push((s, vec![sop])),
        }
    }
    let evidence = set([
        sequence(
            tags::REFERENCED_SERIES_SEQUENCE,
            series
                .into_iter()
                .map(|(s, sops)| {
                    set([
                        sequence(
                            tags::REFERENCED_SOP_SEQUENCE,
                            sops.into_iter()
                                .map(|(class, instance)| {
                                    set([
                                        text(tags::REFERENCED_SOP_CLASS_UID, "UI", class),
                                        text(tags::REFERENCED_SOP_INSTANCE_UID, "UI", instance),
                                    ])
                                })
                                .collect(),
                        ),
                        text(tags::SERIES_INSTANCE_UID, "UI", s),
                    ])
                })
                .collect(),
        ),
        text(tags::STUDY_INSTANCE_UID, "UI", study.clone()),
    ]);
    // The content: TID 1500.
    let language = code_item(
        "HAS CONCEPT MOD",
        code("121049", "DCM", "Language of Content Item and Descendants"),
        code("en-US", "RFC5646", "English (United States)"),
    );
    let observer_type = code_item(
        "HAS OBS CONTEXT",
        code("121005", "DCM", "Observer Type"),
        code("121007", "DCM", "Device"),
    );
    let device_uid = value_item(
        "HAS OBS CONTEXT",
        "UIDREF",
        code("121012", "DCM", "Device Observer UID"),
        text(tags::UID, "UI", uid()),
    );
    let device_name = value_item(
        "HAS OBS CONTEXT",
        "TEXT",
        code("121013", "DCM", "Device Observer Name"),
        text(tags::TEXT_VALUE, "UT", context.device_name.clone()),
    );
    let procedure = code_item(
        "HAS CONCEPT MOD",
        code("121058", "DCM", "Procedure reported"),
        code("363679005", "SCT", "Imaging procedure"),
    );
    let groups = entries
        .iter()
        .map(|e| group(e, uid))
        .collect::<Result<Vec<_>, _>>()?;
    let mut measurements = item(
        "CONTAINS",
        "CONTAINER",
        code("126010", "DCM", "Imaging Measurements"),
    );
    measurements.put(text(tags::CONTINUITY_OF_CONTENT, "CS", "SEPARATE"));
    measurements.put(sequence(tags::CONTENT_SEQUENCE, groups));

    let a = first.image.attributes();
    let copy = |tag: Tag| a.string(tag).unwrap_or_default();
    let (date, time) = context.date_time.clone();
    let sop_instance = uid();
    let mut doc = set([
        text(tags::SPECIFIC_CHARACTER_SET, "CS", "ISO_IR 192"),
        text(tags::INSTANCE_CREATION_DATE, "DA", date.clone()),
        text(tags::INSTANCE_CREATION_TIME, "TM", time.clone()),
        text(
            tags::SOP_CLASS_UID,
            "UI",
            if entries.iter().any(|e| e.plane.is_some()) {
                COMPREHENSIVE_3D_SR_STORAGE
            } else {
                COMPREHENSIVE_SR_STORAGE
            },
        ),
        text(tags::SOP_INSTANCE_UID, "UI", sop_instance),
        text(tags::STUDY_DATE, "DA", copy(tags::STUDY_DATE)),
        text(tags::CONTENT_DATE, "DA", date),
        text(tags::STUDY_TIME, "TM", copy(tags::STUDY_TIME)),
        text(tags::CONTENT_TIME, "TM", time),
        text(tags::ACCESSION_NUMBER, "SH", copy(tags::ACCESSION_NUMBER)),
        text(tags::MODALITY, "CS", "SR"),
        text(tags::MANUFACTURER, "LO", context.device_name.clone()),
        text(
            tags::REFERRING_PHYSICIAN_NAME,
            "PN",
            copy(tags::REFERRING_PHYSICIAN_NAME),
        ),
        text(tags::SERIES_DESCRIPTION, "LO", "Measurements"),
        sequence(
            tags::REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE,
            Vec::new(),
        ),
        text(tags::PATIENT_NAME, "PN", copy(tags::PATIENT_NAME)),
        text(tags::PATIENT_ID, "LO", copy(tags::PATIENT_ID)),
        text(
            tags::PATIENT_BIRTH_DATE,
            "DA",
            copy(tags::PATIENT_BIRTH_DATE),
        ),
        text(tags::PATIENT_SEX, "CS", copy(tags::PATIENT_SEX)),
        text(tags::STUDY_INSTANCE_UID, "UI", study),
        text(tags::SERIES_INSTANCE_UID, "UI", uid()),
        text(tags::STUDY_ID, "SH", copy(tags::STUDY_ID)),
        text(tags::SERIES_NUMBER, "IS", context.series_number.to_string()),
        text(tags::INSTANCE_NUMBER, "IS", "1"),
        text(tags::VALUE_TYPE, "CS", "CONTAINER"),
        sequence(
            tags::CONCEPT_NAME_CODE_SEQUENCE,
            vec![code("126000", "DCM", "Imaging Measurement Report")],
        ),
        text(tags::CONTINUITY_OF_CONTENT, "CS", "SEPARATE"),
        sequence(tags::PERFORMED_PROCEDURE_CODE_SEQUENCE, Vec::new()),
        sequence(
            tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE,
            vec![evidence],
        ),
        text(tags::COMPLETION_FLAG, "CS", "COMPLETE"),
        text(tags::VERIFICATION_FLAG, "CS", "UNVERIFIED"),
        template("1500"),
    ]);
    doc.put(sequence(
        tags::CONTENT_SEQUENCE,
        vec![
            language,
            observer_type,
            device_uid,
            device_name,
            procedure,
            measurements,
        ],
    ));
    write_file(
        &doc,
        ("2.25.285931442612335620915342452185298431232", "HOUNSFIELD"),
    )
}

/// One measurement group of a Measurement Report, as read back: its tracking identifier,
/// its Image Region and the image it was selected from.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedRegion {
    /// Tracking Identifier (empty when there is none).
    pub label: String,
    /// Graphic Type: POINT, POLYLINE, ELLIPSE, CIRCLE, MULTIPOINT.
    pub graphic_type: String,
    /// Its points in image pixel coordinates with pixel centres at integers (the SCOORD
    /// Graphic Data less 0.5).
    pub points: Vec<[f64; 2]>,
    /// SOP Instance UID of the image (empty for a region in the patient).
    pub sop_instance_uid: String,
    /// The frame, 0-based (Referenced Frame Number less 1; 0 when not given).
    pub frame: usize,
    /// A region in the patient (SCOORD3D) instead: its points (mm) and Frame of Reference
    /// UID; `points` is then empty.
    pub patient: Option<PatientRegion>,
}

/// An Image Region in the patient (SCOORD3D).
#[derive(Debug, Clone, PartialEq)]
pub struct PatientRegion {
    /// Referenced Frame of Reference UID.
    pub frame_of_reference_uid: String,
    /// Graphic Data: patient points, mm.
    pub points: Vec<[f64; 3]>,
}

/// Whether `file` is a TID 1500 Measurement Report (Content Template 1500, or the root
/// concept "Imaging Measurement Report").
pub fn is_measurement_report(file: &DicomFile) -> bool {
    let a = file.attributes();
    let template = a
        .item(tags::CONTENT_TEMPLATE_SEQUENCE)
        .and_then(|t| t.string(tags::TEMPLATE_IDENTIFIER));
    let concept = a
        .item(tags::CONCEPT_NAME_CODE_SEQUENCE)
        .and_then(|c| c.string(tags::CODE_VALUE));
    a.string(tags::VALUE_TYPE).as_deref() == Some("CONTAINER")
        && (template.as_deref() == Some("1500") || concept.as_deref() == Some("126000"))
}

/// Content items deeper than this are not read (a report nests four levels).
const MAX_DEPTH: usize = 16;

/// The measurement groups of a Measurement Report that have an Image Region (TID 1410
/// and the like), in document order: on an image (SCOORD) or in the patient (SCOORD3D).
///
/// ```
/// use hounsfield_measure::sr::{ReportContext, ReportEntry, measurement_report, read_report};
/// use hounsfield_measure::{Roi, measure};
/// use hounsfield_dicom::DicomFile;
/// # let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hounsfield-viewer/assets/CT_small.dcm");
/// let image = DicomFile::open(&path)?;
/// let m = measure(&image, 0, &Roi::parse("line:1,2,30,40")?)?;
/// let entry = ReportEntry { measurement: &m, image: &image, frame: 0, label: "length 1", plane: None };
/// let context = ReportContext { date_time: ("20260101".into(), "120000".into()), series_number: 1, device_name: "Hounsfield".into() };
/// let mut n = 0;
/// let bytes = measurement_report(&[entry], &context, &mut || { n += 1; format!("2.25.{n}") })?;
/// let regions = read_report(&DicomFile::from_bytes("report.dcm", bytes)?)?;
/// assert_eq!(regions[0].points, vec![[1.0, 2.0], [30.0, 40.0]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_report(file: &DicomFile) -> Result<Vec<ReportedRegion>, String> {
    use hounsfield_dicom::Attributes;
    if !is_measurement_report(file) {
        return Err(format!(
            "{}: not a Measurement Report (TID 1500)",
            file.name()
        ));
    }
    fn concept(a: &Attributes<'_>) -> Option<String> {
        a.item(tags::CONCEPT_NAME_CODE_SEQUENCE)
            .and_then(|c| c.string(tags::CODE_VALUE))
    }
    fn group(a: &Attributes<'_>) -> Option<ReportedRegion> {
        let items = a.items(tags::CONTENT_SEQUENCE)?;
        let mut label = String::new();
        let mut region = None;
        for item in items.iter().map(Attributes::new) {
            match item.string(tags::VALUE_TYPE).as_deref() {
                Some("TEXT") if concept(&item).as_deref() == Some("112039") => {
                    label = item.string(tags::TEXT_VALUE).unwrap_or_default();
                }
                Some("SCOORD") | Some("SCOORD3D") => region = Some(item),
                _ => {}
            }
        }
        let region = region?;
        if region.string(tags::VALUE_TYPE).as_deref() == Some("SCOORD3D") {
            let data = region
                .floats(tags::GRAPHIC_DATA, "Graphic Data")
                .ok()
                .filter(|d| d.len() >= 3 && d.len() % 3 == 0 && d.iter().all(|v| v.is_finite()))?;
            return Some(ReportedRegion {
                label,
                graphic_type: region.string(tags::GRAPHIC_TYPE).unwrap_or_default(),
                points: Vec::new(),
                sop_instance_uid: String::new(),
                frame: 0,
                patient: Some(PatientRegion {
                    frame_of_reference_uid: region
                        .string(tags::REFERENCED_FRAME_OF_REFERENCE_UID)
                        .unwrap_or_default(),
                    points: data.chunks(3).map(|p| [p[0], p[1], p[2]]).collect(),
                }),
            });
        }
        let data = region
            .floats(tags::GRAPHIC_DATA, "Graphic Data")
            .ok()
            .filter(|d| d.len() >= 2 && d.len() % 2 == 0 && d.iter().all(|v| v.is_finite()))?;
        let image = region
            .items(tags::CONTENT_SEQUENCE)?
            .iter()
            .map(Attributes::new)
            .find(|i| i.string(tags::VALUE_TYPE).as_deref() == Some("IMAGE"))?;
        let reference = image.item(tags::REFERENCED_SOP_SEQUENCE)?;
        let frame = reference
            .int(tags::REFERENCED_FRAME_NUMBER, "Referenced Frame Number")
            .ok()
            .flatten()
            .filter(|f| *f >= 1)
            .map_or(0, |f| (f - 1) as usize);
        Some(ReportedRegion {
            label,
            graphic_type: region.string(tags::GRAPHIC_TYPE).unwrap_or_default(),
            points: data.chunks(2).map(|p| [p[0] - 0.5, p[1] - 0.5]).collect(),
            sop_instance_uid: reference.string(tags::REFERENCED_SOP_INSTANCE_UID)?,
            frame,
            patient: None,
        })
    }
    fn walk(a: &Attributes<'_>, depth: usize, out: &mut Vec<ReportedRegion>) {
        if depth > MAX_DEPTH {
            return;
        }
        for item in a.items(tags::CONTENT_SEQUENCE).unwrap_or_default() {
            let item = Attributes::new(item);
            if item.string(tags::VALUE_TYPE).as_deref() != Some("CONTAINER") {
                continue;
            }
            if concept(&item).as_deref() == Some("125007") {
                out.extend(group(&item));
            } else {
                walk(&item, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&file.attributes(), 0, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_fit_sixteen_characters() {
        for v in [
            0.1 + 0.2,
            -860.6379310344828,
            1e-300,
            12.5,
            -1.0 / 3.0,
            1e20,
        ] {
            let s = decimal_string(v);
            assert!(s.len() <= 16, "{s}");
            let back: f64 = s.parse().unwrap_or(f64::NAN);
            assert!((back - v).abs() <= v.abs() * 1e-9, "{v} -> {s}");
        }
    }

    #[test]
    fn ellipses_put_the_major_axis_first() {
        let (t, p) = graphic(&Roi::Ellipse {
            cx: 10.0,
            cy: 20.0,
            rx: 2.0,
            ry: 5.0,
        });
        assert_eq!(t, "ELLIPSE");
        assert_eq!(
            p,
            vec![[10.5, 15.5], [10.5, 25.5], [8.5, 20.5], [12.5, 20.5]]
        );
    }
}
