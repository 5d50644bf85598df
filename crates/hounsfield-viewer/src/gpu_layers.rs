//! What is drawn over an image or a plane, on the GPU: the segment masks placed on its
//! grid and uploaded once (again only when the frame or plane, or the segmentations open,
//! change), and the layer composed from them with the fused series and the contours
//! (again whenever anything drawn over changes: a segment's visibility or opacity, J, the
//! fusion's style). A change of style thus restyles the masks on the GPU
//! (`shaders/masks.wgsl`) without placing them again.

use crate::model::{LayerStyle, MaskId, Model, SegmentMasks};
use hounsfield_core::layers::masks::PlacedMasks;
use hounsfield_render::masks::{Composition, GpuMasks};
use hounsfield_render::{GpuImage, RenderError, Renderer};

/// Placed masks: on the GPU, or kept on the CPU when the device cannot hold them (larger
/// than its largest texture, more than its array layers), to be painted there.
enum Masks {
    Gpu(GpuMasks),
    Cpu(PlacedMasks),
}

/// Masks placed for a key and number of segmentations open (None: none lie there), with
/// which segment each is.
type PlacedFor<K> = ((K, usize), Option<(Masks, Vec<MaskId>)>);

/// The layer over one image (`K`: its frame) or plane (`K`: the plane).
pub(crate) struct GpuLayer<K> {
    /// The masks placed last.
    masks: Option<PlacedFor<K>>,
    /// The composed layer, for a key and the segmentations' generation (None: nothing is
    /// drawn over).
    composed: Option<((K, u64), Option<GpuImage>)>,
}

impl<K> Default for GpuLayer<K> {
    fn default() -> Self {
        GpuLayer {
            masks: None,
            composed: None,
        }
    }
}

impl<K: Clone + PartialEq> GpuLayer<K> {
    /// The composed layer, when something is drawn over.
    pub(crate) fn image(&self) -> Option<&GpuImage> {
        self.composed.as_ref()?.1.as_ref()
    }

    /// The composed layer, to prepare its draw.
    pub(crate) fn image_mut(&mut self) -> Option<&mut GpuImage> {
        self.composed.as_mut()?.1.as_mut()
    }

    /// Brings the layer up to date for `key`: places and uploads the masks
    /// (`masks`) when the key or the segmentations open changed, and composes the layer
    /// (`style` of the masks placed) when anything drawn over changed. A failure becomes a
    /// message.
    pub(crate) fn update(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        key: K,
        masks: impl FnOnce(&Model) -> Option<SegmentMasks>,
        style: impl FnOnce(&Model, &[MaskId]) -> Option<LayerStyle>,
    ) {
        let placed_for = (key.clone(), model.segmentations.len());
        let shown = model.view.segmentations && !model.segmentations.is_empty();
        if shown && self.masks.as_ref().is_none_or(|(k, _)| *k != placed_for) {
            let placed = masks(model).map(|m| {
                let store = match renderer.upload_masks(&m.placed) {
                    Ok(gpu) => Masks::Gpu(gpu),
                    Err(RenderError::TooLarge(_)) => Masks::Cpu(m.placed),
                    Err(e) => {
                        model.message(format!("cannot upload the segments: {e}"));
                        Masks::Cpu(m.placed)
                    }
                };
                (store, m.ids)
            });
            self.masks = Some((placed_for.clone(), placed));
        }
        let composed_for = (key, model.segmentation_generation);
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
            .filter(|(k, _)| shown && *k == placed_for)
            .and_then(|(_, m)| m.as_ref());
        let ids = masks.map_or(&[][..], |(_, ids)| &ids[..]);
        let previous = self.composed.take().and_then(|(_, image)| image);
        let composed = style(model, ids).and_then(|style| {
            let result = match masks {
                Some((Masks::Gpu(gpu), _)) if !style.styles.is_empty() => {
                    let parts = style.parts(None);
                    renderer.compose_masks(
                        gpu,
                        &Composition {
                            styles: &parts.styles,
                            outline: parts.outline,
                            under: parts.under.as_ref(),
                            over: parts.over.as_ref(),
                        },
                        previous,
                    )
                }
                masks => {
                    let placed = match masks {
                        Some((Masks::Cpu(placed), _)) => Some(placed.clone()),
                        _ => None,
                    };
                    let layer = style.paint(placed);
                    renderer.upload_layer(layer.columns, layer.rows, layer.rgba8())
                }
            };
            result
                .map_err(|e| model.message(format!("cannot show the segments: {e}")))
                .ok()
        });
        self.composed = Some((composed_for, composed));
    }
}
