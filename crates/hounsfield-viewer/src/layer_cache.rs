//! What is drawn over an image or a plane, kept between frames in two halves: the segment
//! masks placed on its grid (placed again only when the frame or plane, or the
//! segmentations open, change) and the layer composed from them with the fused series and
//! the contours (composed again whenever anything drawn over changes: a segment's
//! visibility or opacity, J, the fusion's style). A change of style thus restyles the
//! placed masks without placing them again: on the GPU in `shaders/masks.wgsl`
//! ([`Scene`](crate::scene::Scene)), on the CPU with `PlacedMasks::style`
//! ([`CpuScene`](crate::cpu_scene::CpuScene)).

use crate::model::{LayerStyle, MaskId, Model, SegmentMasks};
use hounsfield_core::layers::composite::PlaneGrid;
use hounsfield_core::layers::masks::PlacedMasks;
use hounsfield_render::mask_planes::GpuSegmentFrames;
use hounsfield_render::masks::{Composition, GpuMasks};
use hounsfield_render::{GpuImage, RenderError, Renderer};

/// What the halves are kept for, read from the model before an update.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keys {
    /// Segmentations open.
    open: usize,
    /// Whether segments are shown (J) and some segmentation is open.
    shown: bool,
    /// The segmentations' generation: anything drawn over changed.
    generation: u64,
}

impl Keys {
    pub(crate) fn of(model: &Model) -> Keys {
        Keys {
            open: model.segmentations.len(),
            shown: model.view.segmentations && !model.segmentations.is_empty(),
            generation: model.segmentation_generation,
        }
    }
}

/// Masks placed for a key and number of segmentations open (None: none lie there), kept
/// as `M`, with which segment each is.
type PlacedFor<K, M> = ((K, usize), Option<(M, Vec<MaskId>)>);

/// The layer over one image (`K`: its frame) or plane (`K`: the plane): masks kept as
/// `M`, the composed layer as `I`.
pub(crate) struct LayerCache<K, M, I> {
    masks: Option<PlacedFor<K, M>>,
    /// The composed layer, for a key and the segmentations' generation (None: nothing is
    /// drawn over).
    composed: Option<((K, u64), Option<I>)>,
}

impl<K, M, I> Default for LayerCache<K, M, I> {
    fn default() -> Self {
        LayerCache {
            masks: None,
            composed: None,
        }
    }
}

impl<K: Clone + PartialEq, M, I> LayerCache<K, M, I> {
    /// The composed layer, when something is drawn over.
    pub(crate) fn composed(&self) -> Option<&I> {
        self.composed.as_ref()?.1.as_ref()
    }

    /// The composed layer, to prepare its draw.
    pub(crate) fn composed_mut(&mut self) -> Option<&mut I> {
        self.composed.as_mut()?.1.as_mut()
    }

    /// Brings the layer up to date for `key`: `place` places the masks (and keeps them
    /// as `M`) when the key or the segmentations open changed while segments are shown;
    /// `compose` composes the layer from them (with the last layer composed, to reuse)
    /// when anything drawn over changed. `cx` is passed to both.
    pub(crate) fn update<C>(
        &mut self,
        cx: &mut C,
        keys: Keys,
        key: K,
        place: impl FnOnce(&mut C) -> Option<(M, Vec<MaskId>)>,
        compose: impl FnOnce(&mut C, Option<&M>, &[MaskId], Option<I>) -> Option<I>,
    ) {
        let placed_for = (key.clone(), keys.open);
        if keys.shown && self.masks.as_ref().is_none_or(|(k, _)| *k != placed_for) {
            self.masks = Some((placed_for.clone(), place(cx)));
        }
        let composed_for = (key, keys.generation);
        if self
            .composed
            .as_ref()
            .is_some_and(|(k, _)| *k == composed_for)
        {
            return;
        }
        let masks = self
            .masks
            .as_ref()
            .filter(|(k, _)| keys.shown && *k == placed_for)
            .and_then(|(_, m)| m.as_ref());
        let (masks, ids) = match masks {
            Some((m, ids)) => (Some(m), &ids[..]),
            None => (None, &[][..]),
        };
        let previous = self.composed.take().and_then(|(_, image)| image);
        self.composed = Some((composed_for, compose(cx, masks, ids, previous)));
    }
}

/// Placed masks on the GPU, or kept on the CPU when the device cannot hold them (larger
/// than its largest texture, more than its array layers), to be painted there.
pub(crate) enum GpuMasksOrCpu {
    Gpu(GpuMasks),
    Cpu(PlacedMasks),
}

/// The GPU scene's layer over an image or plane.
pub(crate) type GpuLayer<K> = LayerCache<K, GpuMasksOrCpu, GpuImage>;

impl<K> GpuLayer<K> {
    /// Bytes the layer keeps: its placed masks (on the GPU, or on the CPU) and the layer
    /// composed from them.
    pub(crate) fn gpu_bytes(&self) -> usize {
        let masks = match self.masks.as_ref().and_then(|(_, m)| m.as_ref()) {
            Some((GpuMasksOrCpu::Gpu(m), _)) => m.uploaded_bytes as usize,
            Some((GpuMasksOrCpu::Cpu(m), _)) => m.bytes(),
            None => 0,
        };
        let composed = self
            .composed
            .as_ref()
            .and_then(|(_, i)| i.as_ref())
            .map_or(0, |i| i.uploaded_bytes as usize);
        masks + composed
    }
}

/// Uploads `masks` once; kept on the CPU when the device cannot hold them (another
/// failure also becomes a message).
pub(crate) fn upload(
    renderer: &Renderer,
    model: &mut Model,
    masks: Option<SegmentMasks>,
) -> Option<(GpuMasksOrCpu, Vec<MaskId>)> {
    let m = masks?;
    let kept = match renderer.upload_masks(&m.placed) {
        Ok(gpu) => GpuMasksOrCpu::Gpu(gpu),
        Err(RenderError::TooLarge(_)) => GpuMasksOrCpu::Cpu(m.placed),
        Err(e) => {
            model.message(format!("cannot upload the segments: {e}"));
            GpuMasksOrCpu::Cpu(m.placed)
        }
    };
    Some((kept, m.ids))
}

/// Composes `style` with `masks` on the GPU into `previous`' texture when it fits (a
/// layer without segments shown, or masks kept on the CPU, are painted on the CPU and
/// uploaded); a failure becomes a message.
pub(crate) fn compose(
    renderer: &Renderer,
    model: &mut Model,
    masks: Option<&GpuMasksOrCpu>,
    style: Option<LayerStyle>,
    previous: Option<GpuImage>,
) -> Option<GpuImage> {
    let style = style?;
    let result = match masks {
        Some(GpuMasksOrCpu::Gpu(gpu)) if !style.styles.is_empty() => renderer.compose_masks(
            gpu,
            &Composition {
                styles: &style.styles,
                outline: style.outline,
                under: style.under.as_ref(),
                over: style.over.as_ref(),
            },
            previous,
        ),
        masks => {
            let placed = match masks {
                Some(GpuMasksOrCpu::Cpu(placed)) => Some(placed),
                _ => None,
            };
            renderer.upload_painted(&style.paint(placed))
        }
    };
    result
        .map_err(|e| model.message(format!("cannot show the segments: {e}")))
        .ok()
}

/// The segmentations' frames on the GPU, from which the planes take their masks
/// ([`Renderer::place_on_plane`]): uploaded once per segmentation opened.
#[derive(Default)]
pub(crate) struct SegmentFrames {
    /// Per segmentation open: its frames (None: they could not go to the GPU, and the
    /// planes' masks are placed on the CPU).
    frames: Vec<Option<GpuSegmentFrames>>,
}

impl SegmentFrames {
    /// Uploads the frames of the segmentations opened since the last call; a failure
    /// becomes a message (its planes' masks are then placed on the CPU).
    fn upload_new(&mut self, renderer: &Renderer, model: &mut Model) {
        while self.frames.len() < model.segmentations.len() {
            let seg = model.segmentations[self.frames.len()].clone();
            let uploaded = renderer.upload_segmentation(&seg);
            match uploaded {
                Ok(frames) => self.frames.push(Some(frames)),
                Err(e) => {
                    model.message(format!(
                        "{}: its masks over the planes are placed on the CPU ({e})",
                        seg.file.name()
                    ));
                    self.frames.push(None);
                }
            }
        }
    }

    /// Places every segment over plane `k` on the GPU from the segmentations' frames;
    /// None when a segmentation's frames are not on the GPU or placing failed (the caller
    /// places on the CPU).
    pub(crate) fn place(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        k: usize,
    ) -> Option<(GpuMasksOrCpu, Vec<MaskId>)> {
        self.upload_new(renderer, model);
        let plane = model.mpr.as_ref()?.plane(k);
        let reference = model.frame_of_reference_on_screen();
        let mut masks = Vec::new();
        let mut ids = Vec::new();
        for (si, seg) in model.segmentations.iter().enumerate() {
            let frames = self.frames.get(si)?.as_ref()?;
            if !seg.lies_in(reference.as_deref()) {
                continue;
            }
            for &(mask, number) in frames.plane_masks() {
                masks.push((frames, mask));
                ids.push(MaskId {
                    segmentation: si,
                    number,
                    color: seg.segment(number).map_or([255, 255, 255], |s| s.color),
                });
            }
        }
        let grid = PlaneGrid::of_plane(&plane);
        match renderer.place_on_plane(&grid, (plane.columns, plane.rows), &masks) {
            Ok(placed) => Some((GpuMasksOrCpu::Gpu(placed), ids)),
            Err(e) => {
                model.message(format!(
                    "the segments over the planes are placed on the CPU: {e}"
                ));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Places and composes through `cache` for `key` under `keys`, recording each call in
    /// `log` ("place", or "compose" with the masks it was given); the composed layer is
    /// the masks' value.
    fn update(
        cache: &mut LayerCache<u32, u32, u32>,
        log: &mut Vec<String>,
        keys: Keys,
        key: u32,
    ) -> Option<u32> {
        cache.update(
            log,
            keys,
            key,
            |log| {
                log.push("place".into());
                Some((key * 100 + keys.open as u32, Vec::new()))
            },
            |log, masks, _, _| {
                log.push(format!("compose {masks:?}"));
                Some(masks.copied().unwrap_or(0))
            },
        );
        cache.composed().copied()
    }

    #[test]
    fn a_change_of_style_composes_again_without_placing_again() {
        let mut cache = LayerCache::default();
        let mut log = Vec::new();
        let keys = |open, shown, generation| Keys {
            open,
            shown,
            generation,
        };
        // Frame 3 with one segmentation open: placed, composed.
        assert_eq!(update(&mut cache, &mut log, keys(1, true, 7), 3), Some(301));
        // The same frame again: nothing to do.
        update(&mut cache, &mut log, keys(1, true, 7), 3);
        // A segment hidden or faded (a new generation): composed again only.
        update(&mut cache, &mut log, keys(1, true, 8), 3);
        // J hides the segments: composed without masks, none placed.
        assert_eq!(update(&mut cache, &mut log, keys(1, false, 9), 3), Some(0));
        // J shows them again: the masks placed before are composed again.
        assert_eq!(
            update(&mut cache, &mut log, keys(1, true, 10), 3),
            Some(301)
        );
        // A second segmentation opened: placed again.
        assert_eq!(
            update(&mut cache, &mut log, keys(2, true, 11), 3),
            Some(302)
        );
        // Another frame: placed again.
        assert_eq!(
            update(&mut cache, &mut log, keys(2, true, 11), 4),
            Some(402)
        );
        assert_eq!(
            log,
            [
                "place",
                "compose Some(301)",
                "compose Some(301)",
                "compose None",
                "compose Some(301)",
                "place",
                "compose Some(302)",
                "place",
                "compose Some(402)",
            ]
        );
    }
}
