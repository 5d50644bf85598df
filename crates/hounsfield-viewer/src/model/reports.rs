//! The measurements saved: DICOM Structured Reports (TID 1500, one per study) and JSON.

use super::{Model, SliceRef};
use crate::annotate::{Annotation, from_region};
use crate::status::MeasurementStatus;
use hounsfield_core::DicomFile;
use hounsfield_core::measure::sr::{
    PlaneGeometry, ReportContext, ReportEntry, ReportedRegion, is_measurement_report,
    measurement_report, read_report,
};

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
        // Measurements on images, and on planes (in the patient, in the Frame of Reference
        // of the image on screen when they were drawn, which is of the planes' series).
        for (k, a) in self.annotations.items.iter().enumerate() {
            let (Ok(m), Some(inst)) = (&a.measured, self.instance(a.slice.id)) else {
                continue;
            };
            let plane = a.plane.map(|(_, p)| PlaneGeometry::of(&p));
            labels.push(format!("{} {}", a.tool.label(), k + 1));
            measured.push((m, inst, a.slice.frame, plane));
        }
        if measured.is_empty() {
            return Err("no measurement to save".into());
        }
        let mut studies: Vec<String> = Vec::new();
        for (_, inst, _, _) in &measured {
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
                    .filter(|((_, inst, _, _), _)| {
                        inst.info.study_instance_uid.clone().unwrap_or_default() == study
                    })
                    .map(|((m, inst, frame, plane), label)| ReportEntry {
                        measurement: m,
                        image: &inst.file,
                        frame: *frame,
                        label,
                        plane: *plane,
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

    /// Whether `file` is a Measurement Report the viewer opens (its measurements go over
    /// their images: [`report_loaded`](Self::report_loaded)).
    pub fn is_report(file: &DicomFile) -> bool {
        is_measurement_report(file)
    }

    /// A file of a load was a Measurement Report: [`report_loaded`](Self::report_loaded),
    /// counted as a file done.
    pub fn report_file(&mut self, file: &DicomFile) {
        self.progress.files_done += 1;
        self.report_loaded(file);
    }

    /// Opens the measurements of a Measurement Report: each goes over its image (and
    /// frame) once that is open and decoded, measured again there.
    pub fn report_loaded(&mut self, file: &DicomFile) {
        let regions = match read_report(file) {
            Ok(r) => r,
            Err(e) => return self.message(e),
        };
        let total = regions.len();
        let (drawable, other): (Vec<_>, Vec<_>) = regions
            .into_iter()
            .partition(|r| r.patient.is_some() || from_region(r).is_some());
        self.annotations.waiting.extend(drawable);
        let before = self.annotations.items.len();
        self.attach_reports();
        let shown = self.annotations.items.len() - before;
        let waiting = self.annotations.waiting.len();
        let mut text = format!(
            "{}: {total} measurements of a Measurement Report, {shown} shown on their images",
            file.name()
        );
        if waiting > 0 {
            text.push_str(&format!(
                ", {waiting} waiting for their images to open (or, drawn on planes, for a plane through them)"
            ));
        }
        if !other.is_empty() {
            text.push_str(&format!(
                ", {} with a graphic no tool draws ({})",
                other.len(),
                other
                    .iter()
                    .map(|r| r.graphic_type.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.message(text);
    }

    /// The plane pane shown now that region `r` (in the patient) lies in, within half a
    /// pixel, with its points in that plane's pixels.
    fn plane_through(
        &self,
        r: &ReportedRegion,
    ) -> Option<((usize, hounsfield_core::volume::Plane), ReportedRegion)> {
        let patient = r.patient.as_ref()?;
        if self.layout == crate::mpr::Layout::Stack {
            return None;
        }
        let mpr = self.mpr.as_ref()?;
        (0..3).find_map(|k| {
            let plane = mpr.plane(k);
            let on = patient.points.iter().all(|p| {
                let d: f64 = (0..3)
                    .map(|i| (p[i] - plane.origin[i]) * plane.normal[i])
                    .sum();
                d.abs() <= plane.spacing / 2.0
            });
            on.then(|| {
                let mut flat = r.clone();
                flat.points = patient.points.iter().map(|p| plane.pixel_of(*p)).collect();
                ((k, plane), flat)
            })
        })
    }

    /// Puts the waiting report regions whose images are open and decoded over them, and
    /// those in the patient on a plane shown through them.
    pub(super) fn attach_reports(&mut self) {
        let waiting = std::mem::take(&mut self.annotations.waiting);
        for r in waiting {
            if r.patient.is_some() {
                let found = self.plane_through(&r);
                let (Some(((k, plane), flat)), Some(slice)) = (found, self.current) else {
                    self.annotations.waiting.push(r);
                    continue;
                };
                let Some((tool, points)) = from_region(&flat) else {
                    continue;
                };
                let id = self.annotations.next_id();
                let mut a = Annotation::new(id, tool, slice, points);
                a.plane = Some((k, plane));
                self.annotations.items.push(a);
                self.remeasure(id);
                continue;
            }
            let found = self.instances.iter().find(|i| {
                i.image.as_ref().is_some_and(|d| r.frame < d.frames.len())
                    && i.info.sop_instance_uid.as_deref() == Some(r.sop_instance_uid.as_str())
            });
            let (Some(inst), Some((tool, points))) = (found, from_region(&r)) else {
                self.annotations.waiting.push(r);
                continue;
            };
            let slice = SliceRef {
                id: inst.id,
                frame: r.frame,
            };
            let id = self.annotations.next_id();
            self.annotations
                .items
                .push(Annotation::new(id, tool, slice, points));
            self.remeasure(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::model;
    use crate::annotate::Tool;
    use crate::input::Action;
    use crate::mpr::Pane;

    /// The model's measurements saved as reports, with counted UIDs.
    fn saved(m: &super::super::Model) -> Vec<(String, Vec<u8>)> {
        let mut n = 0;
        m.measurement_reports(("20260101".into(), "120000".into()), &mut || {
            n += 1;
            format!("2.25.{n}")
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_saved_report_opens_back_as_the_same_measurements() {
        let mut m = model();
        m.set_panes(&[(Pane::Stack, [0, 0, 400, 400])]);
        let slice = m.current.unwrap_or_else(|| panic!("an image on screen"));
        let uid = m.instances[0].file.identification().sop_instance_uid;
        for i in &mut m.instances {
            i.info.sop_instance_uid = if i.id == slice.id { uid.clone() } else { None };
        }
        for (tool, points) in [
            (Tool::Length, vec![[0.25, 0.5], [3.0, 2.75]]),
            (Tool::Ellipse, vec![[0.5, 0.5], [2.5, 3.0]]),
            (Tool::Rectangle, vec![[-0.5, -0.5], [2.5, 1.5]]),
            (Tool::Angle, vec![[0.0, 3.0], [0.0, 0.0], [3.0, 1.0]]),
            (Tool::Probe, vec![[1.0, 2.0]]),
            (Tool::Freehand, vec![[0.0, 0.0], [3.0, 0.5], [1.5, 3.0]]),
        ] {
            let id = m.annotations.next_id();
            m.annotations
                .items
                .push(crate::annotate::Annotation::new(id, tool, slice, points));
            m.remeasure(id);
        }
        let reports = saved(&m);
        assert_eq!(reports.len(), 1);
        let file = hounsfield_core::DicomFile::from_bytes("report.dcm", reports[0].1.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        let before: Vec<_> = m.annotations.items.drain(..).collect();
        m.apply(Action::Tool(Tool::WindowLevel));
        m.report_loaded(&file);
        let after = &m.annotations.items;
        assert_eq!(after.len(), before.len(), "{:?}", m.messages.last());
        for (a, b) in before.iter().zip(after) {
            assert_eq!((a.tool, a.slice), (b.tool, b.slice));
            let spec = |x: &crate::annotate::Annotation| x.roi().map(|r| r.spec());
            assert_eq!(spec(a), spec(b), "{:?}", a.tool);
            let numbers = |x: &crate::annotate::Annotation| {
                x.measured
                    .as_ref()
                    .map(|m| m.summary())
                    .map_err(Clone::clone)
            };
            assert_eq!(numbers(a), numbers(b), "{:?}", a.tool);
        }
    }

    #[test]
    fn a_length_on_a_plane_is_saved_in_the_patient_and_opens_back_on_its_plane() {
        let mut m = model();
        m.apply(Action::Layout(Some(crate::mpr::Layout::Planes)));
        let plane = m
            .mpr
            .as_ref()
            .map(|x| x.plane(1))
            .unwrap_or_else(|| panic!("no planes: {:?}", m.mpr_note));
        let slice = m.current.unwrap_or_else(|| panic!("an image on screen"));
        let id = m.annotations.next_id();
        let mut a = crate::annotate::Annotation::new(
            id,
            Tool::Length,
            slice,
            vec![[0.25, 0.5], [2.75, 1.5]],
        );
        a.plane = Some((1, plane));
        m.annotations.items.push(a);
        m.remeasure(id);
        // And a rectangle of the plane's pixels, with its statistics.
        let id = m.annotations.next_id();
        let mut a = crate::annotate::Annotation::new(
            id,
            Tool::Rectangle,
            slice,
            vec![[0.0, 2.0], [2.0, 9.0]],
        );
        a.plane = Some((1, plane));
        m.annotations.items.push(a);
        m.remeasure(id);
        let statistics = |m: &super::super::Model| {
            let a = &m.annotations.items[1];
            let s = a.measured.as_ref().ok().and_then(|x| x.statistics.clone());
            (a.tool, a.roi().map(|r| r.spec()), s)
        };
        let rectangle = statistics(&m);
        assert!(
            rectangle.2.as_ref().is_some_and(|s| s.pixels == 24),
            "{rectangle:?}"
        );
        let length = |m: &super::super::Model| {
            m.annotations.items[0]
                .measured
                .as_ref()
                .ok()
                .and_then(|x| x.length)
                .unwrap_or(f64::NAN)
        };
        let before = length(&m);
        let reports = saved(&m);
        let file = hounsfield_core::DicomFile::from_bytes("report.dcm", reports[0].1.clone())
            .unwrap_or_else(|e| panic!("{e}"));
        let regions =
            hounsfield_core::measure::sr::read_report(&file).unwrap_or_else(|e| panic!("{e}"));
        let patient = regions[0]
            .patient
            .as_ref()
            .unwrap_or_else(|| panic!("not SCOORD3D"));
        assert_eq!(patient.points.len(), 2);
        assert_eq!(regions[1].graphic_type, "POLYGON");
        m.annotations.items.clear();
        // In the stack layout no plane shows it: it waits, then shows with the planes.
        m.apply(Action::Layout(Some(crate::mpr::Layout::Stack)));
        m.report_loaded(&file);
        assert!(m.annotations.items.is_empty());
        m.apply(Action::Layout(Some(crate::mpr::Layout::Planes)));
        assert_eq!(m.annotations.items.len(), 2, "{:?}", m.messages.last());
        assert_eq!(statistics(&m), rectangle);
        let b = &m.annotations.items[0];
        assert_eq!((b.tool, b.plane), (Tool::Length, Some((1, plane))));
        for (p, q) in b.points.iter().zip([[0.25, 0.5], [2.75, 1.5]]) {
            assert!(
                (p[0] - q[0]).abs() < 1e-3 && (p[1] - q[1]).abs() < 1e-3,
                "{p:?}"
            );
        }
        assert!(
            (length(&m) - before).abs() < 1e-3,
            "{} mm, was {before}",
            length(&m)
        );
    }
}
