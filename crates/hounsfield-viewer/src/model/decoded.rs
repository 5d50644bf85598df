//! Frames decoded with what the display needs per frame, and panics contained per file.

use hounsfield_core::pipeline::{GreyPipeline, RenderOptions, data_range};
use hounsfield_core::series::InstanceInfo;
use hounsfield_core::{DicomFile, Frame, FrameColor, VoiWindow};
use std::sync::Arc;

/// Frames of one instance, decoded, with what the display needs per frame.
#[derive(Debug)]
pub struct DecodedImage {
    /// Every frame's stored values, decoded.
    pub frames: Vec<Frame>,
    /// The default grey pipeline of each frame (None for colour frames).
    pub pipelines: Vec<Option<GreyPipeline>>,
    /// The file's windows (of the first frame).
    pub windows: Vec<VoiWindow>,
    /// Modality values of all frames: min, max.
    pub range: (f64, f64),
    /// Row spacing / column spacing.
    pub pixel_aspect: f64,
    /// Image Position (Patient) of each frame, and the slice normal.
    pub positions: Vec<Option<[f64; 3]>>,
    /// The slice normal (row direction x column direction), when the file has an orientation.
    pub normal: Option<[f64; 3]>,
    /// Intended time between frames for cine, ms.
    pub frame_time_ms: Option<f64>,
    /// Units of modality values ("HU" for CT), if known.
    pub units: Option<String>,
    /// The palette (PALETTE COLOR, or supplemental).
    pub palette: Option<hounsfield_core::PaletteColorLut>,
    /// Pixel Padding Value / Range (of the first frame).
    pub padding: Option<hounsfield_core::PixelPadding>,
    /// The overlay planes (60xx) of each frame, united; empty when the file has none.
    pub overlays: Vec<Option<hounsfield_core::OverlayMask>>,
    /// The display shutter (PS3.3 C.7.6.11): the covered pixels and their grey level.
    pub shutter: Option<(hounsfield_core::OverlayMask, u8)>,
}

/// Runs `work` for the source named `name`, turning a panic in it (a bug, never the
/// file's fault alone) into that source's error, so that a load goes on and finishes.
/// Natively only: in the browser a panic aborts the module, and the page replaces the
/// decoding worker instead.
///
/// ```
/// use hounsfield_viewer::model::contained;
/// let err = contained("x.dcm", || -> Result<(), String> { panic!("a bug") }).unwrap_err();
/// assert!(err.starts_with("x.dcm: ") && err.contains("a bug"));
/// ```
pub fn contained<T>(name: &str, work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(format!(
            "{name}: reading this file hit a bug in Hounsfield ({what}); the other files are not affected"
        ))
    })
}

impl DecodedImage {
    /// Decodes every frame of `file` and resolves its display parameters.
    pub fn decode(file: &DicomFile) -> Result<DecodedImage, hounsfield_core::Error> {
        Self::from_frames(file, file.decode_all_frames()?)
    }

    /// [`decode`](Self::decode) for a load: the error as text, and a panic while
    /// decoding (a bug) as this file's error ([`contained`]).
    pub fn decode_contained(file: &DicomFile) -> Result<Arc<DecodedImage>, String> {
        contained(file.name(), || {
            Self::decode(file).map(Arc::new).map_err(|e| e.to_string())
        })
    }

    /// [`decode_contained`](Self::decode_contained) once `budget` has room for every
    /// frame of `file` (checked from its header, before anything is decoded).
    pub fn decode_within(
        file: &DicomFile,
        budget: &hounsfield_core::budget::LoadBudget,
    ) -> Result<Arc<DecodedImage>, String> {
        budget.reserve(file).map_err(|e| e.to_string())?;
        Self::decode_contained(file)
    }

    /// The frames of `file`, decoded elsewhere (another thread, a Web Worker), with the
    /// display parameters resolved.
    pub fn from_frames(
        file: &DicomFile,
        frames: Vec<Frame>,
    ) -> Result<DecodedImage, hounsfield_core::Error> {
        let mut pipelines = Vec::with_capacity(frames.len());
        let mut windows = Vec::new();
        let mut range = (f64::INFINITY, f64::NEG_INFINITY);
        let mut units = None;
        let mut positions = Vec::with_capacity(frames.len());
        let mut palette = None;
        let mut padding = None;
        for (i, frame) in frames.iter().enumerate() {
            let params = file.display_parameters(i)?;
            if i == 0 {
                padding = params.pixel_padding;
                windows = params.windows.clone();
                palette = params.palette.clone();
                units = params
                    .modality_lut
                    .units(file.identification().modality.as_deref());
            }
            if matches!(frame.color, FrameColor::Monochrome) {
                let (lo, hi) = data_range(&params, frame);
                range = (range.0.min(lo), range.1.max(hi));
                let pipe =
                    GreyPipeline::resolve_over(&params, || (lo, hi), &RenderOptions::default())
                        .map_err(|k| hounsfield_core::Error::new(file.name(), k))?;
                pipelines.push(Some(pipe));
            } else {
                range = (0.0, 255.0);
                pipelines.push(None);
            }
            positions.push(file.geometry(i).image_position_patient);
        }
        let geometry = file.geometry(0);
        let pixel_aspect = match (geometry.pixel_spacing, geometry.pixel_aspect_ratio) {
            (Some([row, col]), _) if row > 0.0 && col > 0.0 => row / col,
            (_, Some([v, h])) if v > 0.0 && h > 0.0 => v / h,
            _ => 1.0,
        };
        let normal = InstanceInfo {
            image_orientation_patient: geometry.image_orientation_patient,
            ..InstanceInfo::default()
        }
        .normal();
        if !range.0.is_finite() {
            range = (0.0, 0.0);
        }
        let overlays = overlays_of(file, frames.len());
        // A shutter that cannot be read is left out with the reason logged.
        let shutter = match (file.display_shutter(), frames.first()) {
            (Ok(Some(s)), Some(f)) => Some((s.mask(f.width, f.height), s.grey())),
            (Err(e), _) => {
                tracing::warn!("{e}");
                None
            }
            _ => None,
        };
        Ok(DecodedImage {
            frames,
            pipelines,
            windows,
            range,
            pixel_aspect,
            positions,
            normal,
            frame_time_ms: file.frame_time_ms(),
            units,
            palette,
            padding,
            overlays,
            shutter,
        })
    }
}

/// The overlay masks of `frames` frames of `file` (empty without overlays). An overlay
/// that cannot be read is left out with the reason logged: the image still shows.
fn overlays_of(file: &DicomFile, frames: usize) -> Vec<Option<hounsfield_core::OverlayMask>> {
    let planes = match file.overlays() {
        Ok(planes) if !planes.is_empty() => planes,
        _ => return Vec::new(),
    };
    (0..frames)
        .map(|f| {
            file.overlay_mask_of(&planes, f)
                .map_err(|e| tracing::warn!("{e}"))
                .ok()
                .flatten()
        })
        .collect()
}
