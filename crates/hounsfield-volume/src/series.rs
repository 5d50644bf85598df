//! Grouping instances into studies and series, and ordering their slices.
//!
//! Instances are grouped by Study Instance UID and Series Instance UID, then split when a
//! series mixes image sizes, pixel spacings or orientations; acquisitions that repeat the
//! same positions (time points, phases, b-values) stay one series, whose stacks and time
//! points [`dimensions`](crate::dimensions) sorts out. Slices are ordered by the projection of
//! Image Position (Patient) on the slice normal (the cross product of the row and column
//! direction cosines), never by file name or Instance Number; those only break ties and
//! order instances without geometry.
//!
//! ```
//! use hounsfield_volume::series::{InstanceInfo, group_series};
//! let slice = |z: f64, n: &str| InstanceInfo {
//!     name: n.into(),
//!     series_instance_uid: Some("1.2.3".into()),
//!     rows: 2, columns: 2, frames: 1,
//!     image_orientation_patient: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
//!     image_position_patient: Some([0.0, 0.0, z]),
//!     ..InstanceInfo::default()
//! };
//! let series = group_series(&[slice(10.0, "a"), slice(-5.0, "b"), slice(2.5, "c")]);
//! assert_eq!(series.len(), 1);
//! assert_eq!(series[0].instances, vec![1, 2, 0]);
//! ```

use crate::geometry::{cross, dot};
use hounsfield_dicom::DicomFile;
use hounsfield_dicom::tags;

/// What grouping and ordering need to know of one instance.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct InstanceInfo {
    /// File name or other label, for messages and the last tie break.
    pub name: String,
    /// Patient's Name (0010,0010).
    pub patient_name: Option<String>,
    /// Patient ID (0010,0020).
    pub patient_id: Option<String>,
    /// Study Instance UID (0020,000D).
    pub study_instance_uid: Option<String>,
    /// Study Description (0008,1030).
    pub study_description: Option<String>,
    /// Study Date (0008,0020).
    pub study_date: Option<String>,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: Option<String>,
    /// Series Number (0020,0011).
    pub series_number: Option<i64>,
    /// Series Description (0008,103E).
    pub series_description: Option<String>,
    /// Modality (0008,0060).
    pub modality: Option<String>,
    /// SOP Instance UID (0008,0018).
    pub sop_instance_uid: Option<String>,
    /// Instance Number (0020,0013).
    pub instance_number: Option<i64>,
    /// Acquisition Number: splits a series whose acquisitions repeat the same positions.
    pub acquisition_number: Option<i64>,
    /// Rows (0028,0010).
    pub rows: u32,
    /// Columns (0028,0011).
    pub columns: u32,
    /// Number of Frames (0028,0008); 1 for single-frame objects.
    pub frames: u32,
    /// Image Orientation (Patient) of the first frame.
    pub image_orientation_patient: Option<[f64; 6]>,
    /// Image Position (Patient) of the first frame.
    pub image_position_patient: Option<[f64; 3]>,
    /// Pixel Spacing (0028,0030) of the first frame: row spacing, column spacing (mm).
    pub pixel_spacing: Option<[f64; 2]>,
    /// Patient Orientation (0020,0020): the patient directions of the rows (left to
    /// right) and of the columns (top to bottom), e.g. `["A", "F"]`; what orients images
    /// without Image Orientation (Patient), such as CR, DX and MG.
    pub patient_orientation: Option<[String; 2]>,
    /// Whether the pixels were compressed with loss, now or before (Lossy Image
    /// Compression (0028,2110) "01", or a lossy transfer syntax), and how.
    pub lossy: Option<LossyCompression>,
}

/// Lossy compression that the image has undergone (General Image module, C.7.6.1.1.5):
/// viewers must say so.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LossyCompression {
    /// Lossy Image Compression Ratio (0028,2112): one per compression applied.
    pub ratios: Vec<f64>,
    /// Lossy Image Compression Method (0028,2114), e.g. `ISO_10918_1`.
    pub methods: Vec<String>,
}

impl LossyCompression {
    /// The overlay's line: `LOSSY`, the ratios (`10:1`) and the methods.
    ///
    /// ```
    /// use hounsfield_volume::series::LossyCompression;
    /// let l = LossyCompression { ratios: vec![17.401], methods: vec!["ISO_10918_1".into()] };
    /// assert_eq!(l.label(), "LOSSY 17.4:1 ISO_10918_1");
    /// assert_eq!(LossyCompression::default().label(), "LOSSY");
    /// ```
    pub fn label(&self) -> String {
        let mut out = String::from("LOSSY");
        for r in &self.ratios {
            let r = format!("{r:.1}");
            out.push_str(&format!(" {}:1", r.trim_end_matches(".0")));
        }
        for m in &self.methods {
            out.push(' ');
            out.push_str(m);
        }
        out
    }
}

impl InstanceInfo {
    /// Reads the identification and geometry of `file`.
    pub fn from_file(file: &DicomFile) -> InstanceInfo {
        let id = file.identification();
        let geometry = file.geometry(0);
        let a = file.attributes();
        let image = file.image().ok();
        InstanceInfo {
            name: file.name().to_string(),
            patient_name: id.patient_name,
            patient_id: id.patient_id,
            study_instance_uid: id.study_instance_uid,
            study_description: id.study_description,
            study_date: id.study_date,
            series_instance_uid: id.series_instance_uid,
            series_number: a.int(tags::SERIES_NUMBER, "Series Number").ok().flatten(),
            series_description: id.series_description,
            modality: id.modality,
            sop_instance_uid: id.sop_instance_uid,
            instance_number: a
                .int(tags::INSTANCE_NUMBER, "Instance Number")
                .ok()
                .flatten(),
            acquisition_number: a
                .int(tags::ACQUISITION_NUMBER, "Acquisition Number")
                .ok()
                .flatten(),
            rows: image.map_or(0, |d| d.rows),
            columns: image.map_or(0, |d| d.columns),
            frames: image.map_or(0, |d| d.number_of_frames),
            image_orientation_patient: geometry.image_orientation_patient,
            image_position_patient: geometry.image_position_patient,
            pixel_spacing: geometry.pixel_spacing,
            patient_orientation: match a.strings(tags::PATIENT_ORIENTATION).as_slice() {
                [row, column] if !row.is_empty() && !column.is_empty() => {
                    Some([row.to_ascii_uppercase(), column.to_ascii_uppercase()])
                }
                _ => None,
            },
            lossy: (a
                .string(tags::LOSSY_IMAGE_COMPRESSION)
                .is_some_and(|v| v.trim() == "01")
                || file.transfer_syntax().lossy)
                .then(|| LossyCompression {
                    ratios: a
                        .floats(
                            tags::LOSSY_IMAGE_COMPRESSION_RATIO,
                            "Lossy Image Compression Ratio",
                        )
                        .unwrap_or_default(),
                    methods: a.strings(tags::LOSSY_IMAGE_COMPRESSION_METHOD),
                }),
        }
    }

    /// The slice normal (row direction x column direction), if the orientation is usable.
    pub fn normal(&self) -> Option<[f64; 3]> {
        let o = self.image_orientation_patient?;
        let n = cross([o[0], o[1], o[2]], [o[3], o[4], o[5]]);
        let len = dot(n, n).sqrt();
        (len > 1e-6).then(|| [n[0] / len, n[1] / len, n[2] / len])
    }
}

/// One series (or one consistent part of a series): the indices of its instances in
/// slice order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Series {
    /// Study Instance UID (0020,000D) of its instances.
    pub study_instance_uid: Option<String>,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: Option<String>,
    /// Series Number (0020,0011).
    pub series_number: Option<i64>,
    /// Series Description (0008,103E).
    pub series_description: Option<String>,
    /// Modality (0008,0060).
    pub modality: Option<String>,
    /// Which part of a series split by size, pixel spacing or orientation (0 when not
    /// split).
    pub part: usize,
    /// Indices into the slice given to [`group_series`], in slice order.
    pub instances: Vec<usize>,
    /// Whether the order comes from positions along the slice normal (else from Instance
    /// Number and name).
    pub ordered_by_position: bool,
}

impl Series {
    /// A one-line label: number, description, modality and instance count.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if let Some(n) = self.series_number {
            s.push_str(&format!("#{n} "));
        }
        s.push_str(
            self.series_description
                .as_deref()
                .unwrap_or("(no description)"),
        );
        if self.part > 0 {
            s.push_str(&format!(" [part {}]", self.part + 1));
        }
        if let Some(m) = &self.modality {
            s.push_str(&format!(" {m}"));
        }
        s.push_str(&format!(
            " ({} image{})",
            self.instances.len(),
            if self.instances.len() == 1 { "" } else { "s" }
        ));
        s
    }
}

/// Orientations closer than this (in direction cosines) are the same.
const ORIENTATION_TOLERANCE: f64 = 1e-3;
/// Pixel spacings closer than this (mm) are the same.
const SPACING_TOLERANCE: f64 = 1e-4;

fn same_spacing(a: Option<[f64; 2]>, b: Option<[f64; 2]>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a
            .iter()
            .zip(b.iter())
            .all(|(x, y)| (x - y).abs() <= SPACING_TOLERANCE),
        (None, None) => true,
        _ => false,
    }
}

fn same_orientation(a: Option<[f64; 6]>, b: Option<[f64; 6]>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a
            .iter()
            .zip(b.iter())
            .all(|(x, y)| (x - y).abs() <= ORIENTATION_TOLERANCE),
        (None, None) => true,
        _ => false,
    }
}

/// Groups `instances` by study and series, splits series that mix image sizes, pixel
/// spacings or orientations, and orders each one's slices. Series come in order of study, then
/// series number, then UID; the result is the same whatever the order of the input.
pub fn group_series(instances: &[InstanceInfo]) -> Vec<Series> {
    // Group by (study, series), deterministically.
    let mut order: Vec<usize> = (0..instances.len()).collect();
    let key = |i: usize| {
        let x = &instances[i];
        (
            x.study_instance_uid.clone(),
            x.series_number,
            x.series_instance_uid.clone(),
        )
    };
    order.sort_by(|&a, &b| key(a).cmp(&key(b)).then_with(|| tie_break(instances, a, b)));
    let mut out = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let k = key(order[start]);
        let mut end = start + 1;
        while end < order.len() && key(order[end]) == k {
            end += 1;
        }
        // Split by size, pixel spacing and orientation, in order of first appearance.
        let mut parts: Vec<Vec<usize>> = Vec::new();
        for &i in &order[start..end] {
            let x = &instances[i];
            match parts.iter_mut().find(|p| {
                let y = &instances[p[0]];
                (y.rows, y.columns) == (x.rows, x.columns)
                    && same_spacing(y.pixel_spacing, x.pixel_spacing)
                    && same_orientation(y.image_orientation_patient, x.image_orientation_patient)
            }) {
                Some(p) => p.push(i),
                None => parts.push(vec![i]),
            }
        }
        for (part, mut members) in parts.into_iter().enumerate() {
            let ordered_by_position = sort_slices(instances, &mut members);
            let first = &instances[members[0]];
            out.push(Series {
                study_instance_uid: first.study_instance_uid.clone(),
                series_instance_uid: first.series_instance_uid.clone(),
                series_number: first.series_number,
                series_description: first.series_description.clone(),
                modality: first.modality.clone(),
                part,
                instances: members,
                ordered_by_position,
            });
        }
        start = end;
    }
    out
}

fn tie_break(instances: &[InstanceInfo], a: usize, b: usize) -> std::cmp::Ordering {
    let (x, y) = (&instances[a], &instances[b]);
    x.instance_number
        .cmp(&y.instance_number)
        .then_with(|| x.name.cmp(&y.name))
        .then_with(|| x.sop_instance_uid.cmp(&y.sop_instance_uid))
        .then(a.cmp(&b))
}

/// Orders `members` along the slice normal when every one has a position and the
/// orientation is usable; returns whether it did.
fn sort_slices(instances: &[InstanceInfo], members: &mut [usize]) -> bool {
    let normal = instances[members[0]].normal();
    let distance =
        |i: usize| -> Option<f64> { Some(dot(normal?, instances[i].image_position_patient?)) };
    if members
        .iter()
        .all(|&i| distance(i).is_some_and(f64::is_finite))
    {
        members.sort_by(|&a, &b| {
            let (da, db) = (distance(a).unwrap_or(0.0), distance(b).unwrap_or(0.0));
            da.total_cmp(&db).then_with(|| tie_break(instances, a, b))
        });
        true
    } else {
        members.sort_by(|&a, &b| tie_break(instances, a, b));
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(series: &str, z: f64, number: i64, name: &str) -> InstanceInfo {
        InstanceInfo {
            name: name.into(),
            study_instance_uid: Some("1".into()),
            series_instance_uid: Some(series.into()),
            instance_number: Some(number),
            rows: 4,
            columns: 4,
            frames: 1,
            image_orientation_patient: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            image_position_patient: Some([0.0, 0.0, z]),
            ..InstanceInfo::default()
        }
    }

    #[test]
    fn orders_by_position_not_by_number_or_name() {
        let v = [
            slice("a", 5.0, 1, "z"),
            slice("a", -5.0, 3, "x"),
            slice("a", 0.0, 2, "y"),
        ];
        let s = group_series(&v);
        assert_eq!(s.len(), 1);
        assert!(s[0].ordered_by_position);
        assert_eq!(s[0].instances, vec![1, 2, 0]);
    }

    #[test]
    fn grouping_does_not_depend_on_input_order() {
        let v = vec![
            slice("b", 1.0, 1, "b1"),
            slice("a", 2.0, 1, "a2"),
            slice("a", 1.0, 2, "a1"),
            slice("b", 0.0, 2, "b0"),
        ];
        let names = |v: &[InstanceInfo]| {
            group_series(v)
                .iter()
                .map(|s| s.instances.iter().map(|&i| v[i].name.clone()).collect())
                .collect::<Vec<Vec<String>>>()
        };
        let mut reversed = v.clone();
        reversed.reverse();
        assert_eq!(names(&v), names(&reversed));
        assert_eq!(names(&v), vec![vec!["a1", "a2"], vec!["b0", "b1"]]);
    }

    #[test]
    fn mixed_sizes_and_orientations_split() {
        let mut other_size = slice("a", 3.0, 3, "c");
        other_size.rows = 8;
        let mut sagittal = slice("a", 4.0, 4, "d");
        sagittal.image_orientation_patient = Some([0.0, 1.0, 0.0, 0.0, 0.0, -1.0]);
        let v = [
            slice("a", 1.0, 1, "a"),
            other_size,
            sagittal,
            slice("a", 0.0, 2, "b"),
        ];
        let s = group_series(&v);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].instances, vec![3, 0]);
        assert_eq!((s[1].part, s[2].part), (1, 2));
    }

    #[test]
    fn mixed_pixel_spacings_split() {
        let spaced = |z: f64, spacing: f64, name: &str| InstanceInfo {
            pixel_spacing: Some([spacing, spacing]),
            ..slice("a", z, 1, name)
        };
        let v = [
            spaced(0.0, 0.5, "a"),
            spaced(1.0, 0.7, "b"),
            spaced(2.0, 0.5, "c"),
            spaced(3.0, 0.5 + 1e-6, "d"),
        ];
        let s = group_series(&v);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].instances, vec![0, 2, 3]);
        assert_eq!((s[1].instances.clone(), s[1].part), (vec![1], 1));
    }

    #[test]
    fn repeated_acquisitions_stay_one_series() {
        // Two passes over the same positions are one series with a time axis
        // (`dimensions`), not two series.
        let acq = |z: f64, a: i64, name: &str| InstanceInfo {
            acquisition_number: Some(a),
            ..slice("a", z, 1, name)
        };
        let v = [
            acq(0.0, 1, "a"),
            acq(1.0, 1, "b"),
            acq(0.0, 2, "c"),
            acq(1.0, 2, "d"),
        ];
        let s = group_series(&v);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].instances.len(), 4);
    }

    #[test]
    fn without_positions_instance_number_orders() {
        let mut v = vec![slice("a", 0.0, 2, "p"), slice("a", 0.0, 1, "q")];
        v[0].image_position_patient = None;
        let s = group_series(&v);
        assert!(!s[0].ordered_by_position);
        assert_eq!(s[0].instances, vec![1, 0]);
    }
}
