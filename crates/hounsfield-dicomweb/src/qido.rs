//! QIDO-RS: searching studies, series and instances (PS3.18 10.6).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A study search. Empty fields match everything.
///
/// ```
/// use hounsfield_dicomweb::StudyQuery;
/// let q = StudyQuery { patient_name: Some("DOE^J*".into()), study_date: Some("20150101-20151231".into()),
///                      limit: Some(50), ..Default::default() };
/// assert!(q.parameters().unwrap().contains(&("PatientName".to_string(), "DOE^J*".to_string())));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StudyQuery {
    /// Patient's Name; `*` and `?` are wildcards (PS3.4 C.2.2.2.4).
    pub patient_name: Option<String>,
    /// Patient ID.
    pub patient_id: Option<String>,
    /// Study Date: `YYYYMMDD`, or a range `FROM-TO`, `FROM-`, `-TO` (PS3.4 C.2.2.2.5).
    pub study_date: Option<String>,
    /// Modalities in Study (one modality).
    pub modality: Option<String>,
    /// Accession Number.
    pub accession_number: Option<String>,
    /// Study Instance UID.
    pub study_instance_uid: Option<String>,
    /// At most this many results.
    pub limit: Option<usize>,
    /// Skip this many results (paging).
    pub offset: Option<usize>,
}

impl StudyQuery {
    /// The query parameters, checked (a date range must be dates).
    pub fn parameters(&self) -> Result<Vec<(String, String)>, String> {
        let mut p = Vec::new();
        let mut add = |k: &str, v: &Option<String>| {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                p.push((k.to_string(), v.to_string()));
            }
        };
        add("PatientName", &self.patient_name);
        add("PatientID", &self.patient_id);
        let date = self
            .study_date
            .as_deref()
            .map(normalise_date_range)
            .transpose()?;
        add("StudyDate", &date);
        add("ModalitiesInStudy", &self.modality);
        add("AccessionNumber", &self.accession_number);
        add("StudyInstanceUID", &self.study_instance_uid);
        if let Some(l) = self.limit {
            p.push(("limit".into(), l.to_string()));
        }
        if let Some(o) = self.offset {
            p.push(("offset".into(), o.to_string()));
        }
        for f in ["00081030", "00080061", "00201206", "00201208", "00080050"] {
            p.push(("includefield".into(), f.into()));
        }
        Ok(p)
    }
}

/// `YYYYMMDD`, `YYYY-MM-DD` and ranges of either as the DICOM range `FROM-TO`.
fn normalise_date_range(s: &str) -> Result<String, String> {
    let s = s.trim();
    let date = |d: &str| -> Result<String, String> {
        let compact: String = d.chars().filter(|c| *c != '-').collect();
        if compact.len() == 8 && compact.bytes().all(|b| b.is_ascii_digit()) {
            Ok(compact)
        } else {
            Err(format!(
                "study date {s:?}: use YYYYMMDD, or a range FROM-TO, FROM- or -TO"
            ))
        }
    };
    // ISO dates carry dashes of their own: split at the dash that separates two dates.
    let (from, to) = if let Some((a, b)) = s.split_once("..") {
        (a, Some(b))
    } else if s.len() == 10 && s.as_bytes()[4] == b'-' {
        (s, None)
    } else if let Some(k) = [8usize, 10]
        .into_iter()
        .find(|&k| s.len() > k && s.as_bytes()[k] == b'-')
    {
        (&s[..k], Some(&s[k + 1..]))
    } else if let Some(rest) = s.strip_prefix('-') {
        ("", Some(rest))
    } else {
        (s, None)
    };
    let one = |d: &str| {
        if d.is_empty() {
            Ok(String::new())
        } else {
            date(d)
        }
    };
    match to {
        None => date(from),
        Some(to) => {
            let (f, t) = (one(from)?, one(to)?);
            if f.is_empty() && t.is_empty() {
                return Err(format!("study date {s:?}: an empty range"));
            }
            Ok(format!("{f}-{t}"))
        }
    }
}

/// One study found by a search.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StudyResult {
    /// Study Instance UID (0020,000D).
    pub study_instance_uid: String,
    /// Patient's Name (0010,0010).
    pub patient_name: String,
    /// Patient ID (0010,0020).
    pub patient_id: String,
    /// Study Date (0008,0020).
    pub study_date: String,
    /// Study Time (0008,0030).
    pub study_time: String,
    /// Accession Number (0008,0050).
    pub accession_number: String,
    /// Study Description (0008,1030).
    pub study_description: String,
    /// Modalities in Study (0008,0061).
    pub modalities: Vec<String>,
    /// Number of Study Related Series (0020,1206).
    pub number_of_series: Option<u64>,
    /// Number of Study Related Instances (0020,1208).
    pub number_of_instances: Option<u64>,
}

/// One series of a study.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SeriesResult {
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: String,
    /// Modality (0008,0060).
    pub modality: String,
    /// Series Number (0020,0011).
    pub series_number: Option<i64>,
    /// Series Description (0008,103E).
    pub series_description: String,
    /// Number of Series Related Instances (0020,1209).
    pub number_of_instances: Option<u64>,
}

/// One instance of a series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InstanceResult {
    /// SOP Instance UID (0008,0018).
    pub sop_instance_uid: String,
    /// SOP Class UID (0008,0016).
    pub sop_class_uid: String,
    /// Instance Number (0020,0013).
    pub instance_number: Option<i64>,
    /// Number of Frames (0028,0008).
    pub number_of_frames: Option<u64>,
    /// Rows (0028,0010).
    pub rows: Option<u64>,
    /// Columns (0028,0011).
    pub columns: Option<u64>,
}

/// The values of attribute `tag` (8 hex digits) of a DICOM JSON object, as text.
pub(crate) fn values(obj: &Value, tag: &str) -> Vec<String> {
    let Some(vals) = obj
        .get(tag)
        .and_then(|e| e.get("Value"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    vals.iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Object(o) => o
                .get("Alphabetic")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        })
        .collect()
}

fn first(obj: &Value, tag: &str) -> String {
    values(obj, tag).into_iter().next().unwrap_or_default()
}

fn number<T: std::str::FromStr>(obj: &Value, tag: &str) -> Option<T> {
    values(obj, tag).first().and_then(|s| s.trim().parse().ok())
}

impl StudyResult {
    pub(crate) fn from_json(v: &Value) -> StudyResult {
        StudyResult {
            study_instance_uid: first(v, "0020000D"),
            patient_name: first(v, "00100010"),
            patient_id: first(v, "00100020"),
            study_date: first(v, "00080020"),
            study_time: first(v, "00080030"),
            accession_number: first(v, "00080050"),
            study_description: first(v, "00081030"),
            modalities: values(v, "00080061"),
            number_of_series: number(v, "00201206"),
            number_of_instances: number(v, "00201208"),
        }
    }
}

impl SeriesResult {
    pub(crate) fn from_json(v: &Value) -> SeriesResult {
        SeriesResult {
            series_instance_uid: first(v, "0020000E"),
            modality: first(v, "00080060"),
            series_number: number(v, "00200011"),
            series_description: first(v, "0008103E"),
            number_of_instances: number(v, "00201209"),
        }
    }
}

impl InstanceResult {
    pub(crate) fn from_json(v: &Value) -> InstanceResult {
        InstanceResult {
            sop_instance_uid: first(v, "00080018"),
            sop_class_uid: first(v, "00080016"),
            instance_number: number(v, "00200013"),
            number_of_frames: number(v, "00280008"),
            rows: number(v, "00280010"),
            columns: number(v, "00280011"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_ranges() {
        let n = normalise_date_range;
        assert_eq!(n("20150206").unwrap(), "20150206");
        assert_eq!(n("2015-02-06").unwrap(), "20150206");
        assert_eq!(n("20150101-20151231").unwrap(), "20150101-20151231");
        assert_eq!(n("2015-01-01-2015-12-31").unwrap(), "20150101-20151231");
        assert_eq!(n("2015-01-01..2015-12-31").unwrap(), "20150101-20151231");
        assert_eq!(n("20150101-").unwrap(), "20150101-");
        assert_eq!(n("-20151231").unwrap(), "-20151231");
        assert!(n("yesterday").is_err());
        assert!(n("-").is_err());
    }
}
