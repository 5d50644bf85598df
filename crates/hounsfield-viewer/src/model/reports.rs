//! The measurements saved: DICOM Structured Reports (TID 1500, one per study) and JSON.

use super::Model;
use crate::status::MeasurementStatus;
use hounsfield_core::measure::sr::{ReportContext, ReportEntry, measurement_report};

impl Model {
    /// The finished measurements as TID 1500 Measurement Reports, one per study: (Study
    /// Instance UID, Part 10 bytes). `date_time` is the Content Date and Time (UTC,
    /// YYYYMMDD and HHMMSS); `uid` gives new UIDs. Errors when nothing is measured.
    pub fn measurement_reports(
        &self,
        date_time: (String, String),
        uid: &mut dyn FnMut() -> String,
    ) -> Result<Vec<(String, Vec<u8>)>, String> {
        let mut labels = Vec::new();
        let mut measured = Vec::new();
        for (k, a) in self.annotations.items.iter().enumerate() {
            let (Ok(m), Some(inst)) = (&a.measured, self.instance(a.slice.id)) else {
                continue;
            };
            labels.push(format!("{} {}", a.tool.label(), k + 1));
            measured.push((m, inst, a.slice.frame));
        }
        if measured.is_empty() {
            return Err("no measurement to save".into());
        }
        let mut studies: Vec<String> = Vec::new();
        for (_, inst, _) in &measured {
            let s = inst.info.study_instance_uid.clone().unwrap_or_default();
            if !studies.contains(&s) {
                studies.push(s);
            }
        }
        let context = ReportContext {
            date_time,
            series_number: 9901,
            device_name: "Hounsfield".into(),
        };
        studies
            .into_iter()
            .map(|study| {
                let entries: Vec<ReportEntry> = measured
                    .iter()
                    .zip(&labels)
                    .filter(|((_, inst, _), _)| {
                        inst.info.study_instance_uid.clone().unwrap_or_default() == study
                    })
                    .map(|((m, inst, frame), label)| ReportEntry {
                        measurement: m,
                        image: &inst.file,
                        frame: *frame,
                        label,
                    })
                    .collect();
                measurement_report(&entries, &context, uid).map(|bytes| (study, bytes))
            })
            .collect()
    }

    /// Every measurement as JSON: the list `status().measurements` holds.
    pub fn measurements_json(&self) -> String {
        serde_json::to_string_pretty(&MeasurementStatus::list(self)).unwrap_or_else(|_| "[]".into())
    }
}
