//! A summary of an object for people and machines (`hounsfield info`, overlays).

use crate::display::{DisplayParameters, VoiWindow};
use crate::file::DicomFile;
use crate::image::ImageDescription;
use dicom_dictionary_std::tags;

/// Patient, study and series identification.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Identification {
    /// Patient's Name (0010,0010).
    pub patient_name: Option<String>,
    /// Patient ID (0010,0020).
    pub patient_id: Option<String>,
    /// Study Instance UID (0020,000D).
    pub study_instance_uid: Option<String>,
    /// Study Date (0008,0020).
    pub study_date: Option<String>,
    /// Study Description (0008,1030).
    pub study_description: Option<String>,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: Option<String>,
    /// Series Number (0020,0011).
    pub series_number: Option<String>,
    /// Series Description (0008,103E).
    pub series_description: Option<String>,
    /// Modality (0008,0060).
    pub modality: Option<String>,
    /// SOP Class UID (0008,0016).
    pub sop_class_uid: Option<String>,
    /// SOP Instance UID (0008,0018).
    pub sop_instance_uid: Option<String>,
    /// Instance Number (0020,0013).
    pub instance_number: Option<String>,
}

/// Geometry of the first frame (Image Plane module, or the Pixel Measures / Plane
/// Position / Plane Orientation functional groups).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Geometry {
    /// Pixel Spacing (0028,0030): row spacing, column spacing in mm.
    pub pixel_spacing: Option<[f64; 2]>,
    /// Imager Pixel Spacing (0018,1164), for projection radiographs.
    pub imager_pixel_spacing: Option<[f64; 2]>,
    /// Pixel Aspect Ratio (0028,0034): vertical, horizontal.
    pub pixel_aspect_ratio: Option<[f64; 2]>,
    /// Image Orientation (Patient) (0020,0037): row and column direction cosines.
    pub image_orientation_patient: Option<[f64; 6]>,
    /// Image Position (Patient) (0020,0032) in mm.
    pub image_position_patient: Option<[f64; 3]>,
    /// Slice Thickness (0018,0050) in mm.
    pub slice_thickness: Option<f64>,
}

/// Everything `hounsfield info` prints about one object.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    /// The file's name.
    pub file: String,
    /// Transfer Syntax UID (0002,0010).
    pub transfer_syntax_uid: String,
    /// The transfer syntax's name.
    pub transfer_syntax_name: String,
    /// Patient, study and series identification.
    pub identification: Identification,
    /// The image: size, samples, bits, photometric interpretation (None without pixel data).
    pub image: Option<ImageDescription>,
    /// Geometry: position, orientation, spacing.
    pub geometry: Geometry,
    /// The file's windows.
    pub windows: Vec<VoiWindow>,
    /// The display pipeline's parameters of the first frame.
    pub display: Option<DisplayParameters>,
    /// How the frames of a multi-frame object are mapped (e.g. by Frame Increment Pointer).
    pub frame_mapping: Option<&'static str>,
    /// Problems that do not stop the object from being read.
    pub notes: Vec<String>,
    /// Why the image cannot be decoded, if it cannot.
    pub image_error: Option<String>,
}

fn arr<const N: usize>(v: Vec<f64>) -> Option<[f64; N]> {
    v.try_into().ok()
}

impl DicomFile {
    /// Identification of the patient, study, series and instance.
    pub fn identification(&self) -> Identification {
        let a = self.attributes();
        Identification {
            patient_name: a.string(tags::PATIENT_NAME),
            patient_id: a.string(tags::PATIENT_ID),
            study_instance_uid: a.string(tags::STUDY_INSTANCE_UID),
            study_date: a.string(tags::STUDY_DATE),
            study_description: a.string(tags::STUDY_DESCRIPTION),
            series_instance_uid: a.string(tags::SERIES_INSTANCE_UID),
            series_number: a.string(tags::SERIES_NUMBER),
            series_description: a.string(tags::SERIES_DESCRIPTION),
            modality: a.string(tags::MODALITY),
            sop_class_uid: a
                .string(tags::SOP_CLASS_UID)
                .or_else(|| self.meta().media_storage_sop_class_uid.clone()),
            sop_instance_uid: a.string(tags::SOP_INSTANCE_UID),
            instance_number: a.string(tags::INSTANCE_NUMBER),
        }
    }

    /// Geometry of frame `frame`, from the functional groups when present.
    pub fn geometry(&self, frame: usize) -> Geometry {
        let top = self.attributes();
        let group = |macro_tag| {
            top.items(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
                .and_then(|items| items.get(frame))
                .map(crate::attrs::Attributes::new)
                .and_then(|f| f.item(macro_tag))
                .or_else(|| {
                    top.item(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE)
                        .and_then(|s| s.item(macro_tag))
                })
                .unwrap_or(top)
        };
        let measures = group(tags::PIXEL_MEASURES_SEQUENCE);
        let position = group(tags::PLANE_POSITION_SEQUENCE);
        let orientation = group(tags::PLANE_ORIENTATION_SEQUENCE);
        let floats =
            |a: crate::attrs::Attributes, tag, name| a.floats(tag, name).unwrap_or_default();
        Geometry {
            pixel_spacing: arr(floats(measures, tags::PIXEL_SPACING, "Pixel Spacing")),
            imager_pixel_spacing: arr(floats(
                top,
                tags::IMAGER_PIXEL_SPACING,
                "Imager Pixel Spacing",
            )),
            pixel_aspect_ratio: arr(floats(top, tags::PIXEL_ASPECT_RATIO, "Pixel Aspect Ratio")),
            image_orientation_patient: arr(floats(
                orientation,
                tags::IMAGE_ORIENTATION_PATIENT,
                "Image Orientation (Patient)",
            )),
            image_position_patient: arr(floats(
                position,
                tags::IMAGE_POSITION_PATIENT,
                "Image Position (Patient)",
            )),
            slice_thickness: measures
                .float(tags::SLICE_THICKNESS, "Slice Thickness")
                .ok()
                .flatten(),
        }
    }

    /// The intended time between frames for cine display, in milliseconds: Frame Time
    /// (0018,1063), else 1000 / Cine Rate (0018,0040), else 1000 / Recommended Display
    /// Frame Rate (0008,2144). `None` when the object gives none (or nonsense).
    pub fn frame_time_ms(&self) -> Option<f64> {
        let a = self.attributes();
        let positive = |v: Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0);
        positive(a.float(tags::FRAME_TIME, "Frame Time").ok().flatten())
            .or_else(|| {
                positive(a.float(tags::CINE_RATE, "Cine Rate").ok().flatten()).map(|r| 1000.0 / r)
            })
            .or_else(|| {
                positive(
                    a.float(
                        tags::RECOMMENDED_DISPLAY_FRAME_RATE,
                        "Recommended Display Frame Rate",
                    )
                    .ok()
                    .flatten(),
                )
                .map(|r| 1000.0 / r)
            })
            .filter(|t| *t <= 60_000.0)
    }

    /// A summary of the object; problems with the image are reported inside it.
    pub fn summary(&self) -> Summary {
        let image = self.image();
        let display = image
            .as_ref()
            .ok()
            .and_then(|_| self.display_parameters(0).ok());
        Summary {
            file: self.name().to_string(),
            transfer_syntax_uid: self.transfer_syntax().uid.clone(),
            transfer_syntax_name: self.transfer_syntax().name.to_string(),
            identification: self.identification(),
            image: image.as_ref().ok().map(|d| (*d).clone()),
            geometry: self.geometry(0),
            windows: display
                .as_ref()
                .map(|d| d.windows.clone())
                .unwrap_or_default(),
            frame_mapping: self.frame_mapping(),
            display,
            notes: self.notes().to_vec(),
            image_error: image.err().map(|e| e.kind.to_string()),
        }
    }
}
