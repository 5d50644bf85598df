//! The default window of planes: one rule for every viewer and the command line.
//!
//! A plane cuts through every slice of a volume, and the first and last slices of a stack
//! are often edge slices (noise, air) whose own window shows nothing of the anatomy. So
//! planes take the window of the middle slice of the stack; when its file has no window,
//! the min-max window of the whole volume, Pixel Padding left out.

use hounsfield_dicom::{ModalityLut, PixelPadding};
use hounsfield_pipeline::{Voi, modality_transform, range_window};

use crate::volume::Volume;

/// The default VOI of planes. `middle` is the VOI the middle slice resolves to on its own
/// (its file's first window or VOI LUT, else its own min-max window), `file_has_window`
/// whether that came from a window in the file, and `range` the modality-value range of
/// the volume, asked for only when the file has neither window nor VOI LUT.
///
/// ```
/// use hounsfield_dicom::VoiLutFunction;
/// use hounsfield_pipeline::Voi;
/// use hounsfield_volume::window::planes_voi;
/// let own = Voi::Window { center: 5.0, width: 10.0, function: VoiLutFunction::Linear };
/// // A window from the file is kept.
/// assert_eq!(planes_voi(&own, true, || unreachable!()), own);
/// // Without one, the volume's range decides.
/// let voi = planes_voi(&own, false, || (-1000.0, 999.0));
/// assert_eq!(voi, Voi::Window { center: 0.0, width: 2000.0, function: VoiLutFunction::Linear });
/// ```
pub fn planes_voi(middle: &Voi, file_has_window: bool, range: impl FnOnce() -> (f64, f64)) -> Voi {
    match middle {
        Voi::Window { function, .. } if !file_has_window => {
            let (center, width) = range_window(range());
            Voi::Window {
                center,
                width,
                function: *function,
            }
        }
        _ => middle.clone(),
    }
}

impl Volume {
    /// The modality values' range (min, max) over every voxel, stored values inside
    /// `padding` (Pixel Padding Value / Range) left out; (0, 0) when no voxel is left.
    pub fn modality_range(&self, padding: Option<PixelPadding>) -> (f64, f64) {
        let min_max = |values: &mut dyn Iterator<Item = f64>| {
            values
                .fold(None, |r: Option<(f64, f64)>, v| {
                    Some(r.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
                })
                .unwrap_or((0.0, 0.0))
        };
        let per = self.stack.columns as usize * self.stack.rows as usize;
        let voxels = (0..self.stack.slices.len()).flat_map(|k| {
            let slice = self.data.slice(k, per);
            (0..per.min(slice.len())).map(move |i| f64::from(slice.get(i)))
        });
        if self.data.is_modality_values() {
            // Modality values already: padding was a stored value and no longer applies.
            return min_max(&mut voxels.into_iter());
        }
        let stored = &mut voxels.into_iter();
        let stored = &mut stored.filter(|v| !padding.is_some_and(|p| p.contains(*v)));
        match &self.modality {
            // A table need not be monotonic: every voxel's value counts.
            ModalityLut::Table { .. } => {
                min_max(&mut stored.map(|v| modality_transform(&self.modality, v)))
            }
            modality => {
                let (lo, hi) = min_max(stored);
                let (a, b) = (
                    modality_transform(modality, lo),
                    modality_transform(modality, hi),
                );
                (a.min(b), a.max(b))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volume::VolumeData;
    use crate::volume::{Stack, StackInput};

    fn volume(data: VolumeData, modality: ModalityLut) -> Volume {
        let input = |k: usize| StackInput {
            instance: k,
            name: format!("s{k}"),
            position: Some([0.0, 0.0, k as f64]),
            orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            pixel_spacing: Some([1.0, 1.0]),
            rows: 2,
            columns: 2,
            ..StackInput::default()
        };
        let stack = Stack::assemble(&[input(0), input(1)]).unwrap_or_else(|e| panic!("{e}"));
        Volume {
            stack,
            data,
            modality,
            padding: None,
        }
    }

    #[test]
    fn the_volume_range_leaves_padding_out_and_applies_the_modality_lut() {
        let stored: Vec<i16> = vec![-2000, -2000, 5, -7, 300, -2000, 12, 40];
        let padding = PixelPadding {
            low: -2000,
            high: -2000,
        };
        let modality = ModalityLut::Rescale {
            slope: -2.0,
            intercept: 10.0,
            rescale_type: None,
        };
        // The reference: every voxel that is not padding, through the rescale.
        let kept: Vec<f64> = stored
            .iter()
            .filter(|&&v| v != -2000)
            .map(|&v| -2.0 * f64::from(v) + 10.0)
            .collect();
        let expected = (
            kept.iter().copied().fold(f64::INFINITY, f64::min),
            kept.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        let v = volume(VolumeData::I16(stored.clone()), modality);
        assert_eq!(v.modality_range(Some(padding)), expected);
        // Without padding, -2000 is a value like any other.
        assert_eq!(v.modality_range(None).1, -2.0 * -2000.0 + 10.0);
        // An f32 volume holds modality values: padding does not apply.
        let f: Vec<f32> = stored.iter().map(|&x| f32::from(x)).collect();
        let v = volume(VolumeData::F32(f), ModalityLut::Identity);
        assert_eq!(v.modality_range(Some(padding)), (-2000.0, 300.0));
    }
}
