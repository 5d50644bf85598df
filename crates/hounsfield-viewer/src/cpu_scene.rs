//! Drawing on the CPU: the panes of the model through the core's reference pipeline into
//! an RGBA buffer, for viewers without a usable GPU (the page where WebGPU is missing or
//! runs in software). Exact by construction: the same code is the GPU renderer's oracle.
//!
//! ```
//! use hounsfield_viewer::cpu_scene::CpuScene;
//! use hounsfield_viewer::model::Model;
//! let mut model = Model::new();
//! let mut rgba = Vec::new();
//! let panes = model.layout.panes([0.0, 0.0, 64.0, 48.0]);
//! let panes: Vec<_> = panes.into_iter().map(|(p, r)| (p, r.map(|v| v as u32))).collect();
//! let mut scene = CpuScene::default();
//! let frame = scene.render(&mut model, &panes, 64, 48, &mut rgba);
//! assert!(!frame.image_drawn); // nothing open: a black canvas
//! assert_eq!(rgba.len(), 64 * 48 * 4);
//! // The same again: nothing to present anew.
//! assert!(!scene.render(&mut model, &panes, 64, 48, &mut rgba).changed);
//! ```

use crate::frame_key::{FrameKey, Shown, StackKey};
use crate::layer_cache::{Keys, LayerCache};
use crate::model::Model;
use crate::mpr::Pane;
use hounsfield_core::layers::composite::LayerImage;
use hounsfield_core::layers::masks::PlacedMasks;
use hounsfield_core::pipeline::{RenderedImage, render_view_with};
use hounsfield_core::volume::{Plane, Slab, Volume, resample};
use hounsfield_core::{ErrorKind, Frame, FrameColor};
use std::sync::Arc;

/// A plane's position and slab, and its resampled values.
type PlaneImage = ((Plane, Option<Slab>), Frame);

/// What stays between frames: each plane resampled once per position (a window change
/// only re-maps it), and the last error (said once).
#[derive(Default)]
pub struct CpuScene {
    volume: Option<Arc<Volume>>,
    planes: [Option<PlaneImage>; 3],
    last_error: Option<String>,
    /// The shutter of the image on screen as shown, for (instance, frame, presentation
    /// states' generation).
    shutter: Option<ShutterCache>,
    /// What is drawn over the image on screen (instance, frame).
    segments: CpuLayer<(u64, usize)>,
    /// Per plane: what is drawn over it.
    plane_segments: [CpuLayer<Plane>; 3],
    /// The stack pane's image as last rendered, and what it was rendered from: a frame
    /// that changes nothing of it (a load's progress, a message) only draws it again.
    stack_image: Option<(StackKey, RenderedImage)>,
    /// What the last frame showed, when a frame can show the same again, and whether it
    /// drew the layout's images.
    shown: Shown,
}

/// What [`CpuScene::render`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rendered {
    /// Whether the layout's images were drawn ([`Layout::drawn`](crate::mpr::Layout::drawn)).
    pub image_drawn: bool,
    /// Whether the target's pixels changed. False when the frame shows exactly what the
    /// last one showed (a load's progress elsewhere in the series, a message): the
    /// target is left as it was and a caller need not present it again.
    pub changed: bool,
}

type ShutterCache = (
    (u64, usize, u64),
    Option<(hounsfield_core::OverlayMask, u8)>,
);

/// What is drawn over an image or a plane: the masks placed on its grid, and the layer
/// painted from them.
type CpuLayer<K> = LayerCache<K, PlacedMasks, LayerImage>;

impl CpuScene {
    /// Whether plane view `k` (0 to 2) has an image resampled (at its position in the last
    /// frame), as [`Scene::plane_ready`](crate::scene::Scene::plane_ready) says for the GPU.
    pub fn plane_ready(&self, k: usize) -> bool {
        self.planes.get(k).is_some_and(Option::is_some)
    }

    /// Draws `panes` (`[x, y, width, height]` in pixels of a `width` x `height` target)
    /// into `rgba` (resized to the target, black where nothing is drawn), unless the frame
    /// shows what the last one showed into the same `rgba` (then left as it was); says
    /// whether an image was drawn and whether `rgba` changed.
    pub fn render(
        &mut self,
        model: &mut Model,
        panes: &[(Pane, [u32; 4])],
        width: u32,
        height: u32,
        rgba: &mut Vec<u8>,
    ) -> Rendered {
        let key = FrameKey::of(model, panes, width, height);
        let target = width as usize * height as usize * 4;
        if let Some(image_drawn) = self.shown.again(key.as_ref())
            && rgba.len() == target
        {
            return Rendered {
                image_drawn,
                changed: false,
            };
        }
        // One pane over the whole target is drawn over every pixel of the last frame; any
        // other layout starts from black.
        let whole = matches!(panes, [(_, r)] if *r == [0, 0, width, height]);
        let black = |rgba: &mut Vec<u8>| {
            rgba.clear();
            rgba.resize(target, 0);
            rgba.chunks_exact_mut(4).for_each(|p| p[3] = 255);
        };
        if !whole || rgba.len() != target {
            black(rgba);
        }
        // Before an image is drawn over the last frame: black unless it covers all of it.
        let mut covered = false;
        let mut under = |rgba: &mut Vec<u8>, image: &RenderedImage| {
            if whole {
                if (image.width, image.height) != (width, height) {
                    black(rgba);
                }
                covered = true;
            }
        };
        let mut drawn = Vec::new();
        let mut failed = false;
        for &(pane, r) in panes {
            if r[2] == 0 || r[3] == 0 {
                continue;
            }
            let outcome = match pane {
                Pane::Stack => self.stack(model, r).map(|result| {
                    result.map(|()| {
                        if let Some((_, image)) = &self.stack_image {
                            under(rgba, image);
                            blit(rgba, width, height, image, r);
                        }
                    })
                }),
                Pane::Plane(k) => self.plane(model, k, r).map(|result| {
                    result.map(|image| {
                        under(rgba, &image);
                        blit(rgba, width, height, &image, r)
                    })
                }),
            };
            match outcome {
                Some(Ok(())) => {
                    if let Pane::Plane(k) = pane
                        && let Some(refined) = model.mpr_refined.get_mut(k)
                    {
                        *refined = true;
                    }
                    drawn.push(pane);
                }
                Some(Err(e)) => {
                    failed = true;
                    let msg = format!("cannot draw: {e}");
                    if self.last_error.as_ref() != Some(&msg) {
                        model.message(msg.clone());
                        self.last_error = Some(msg);
                    }
                }
                None => {}
            }
        }
        if whole && !covered {
            black(rgba);
        }
        let image_drawn = model.layout.drawn(panes, |p| drawn.contains(&p));
        // A frame that failed is drawn again (its error may pass).
        self.shown.drawn(key.filter(|_| !failed), image_drawn);
        Rendered {
            image_drawn,
            changed: true,
        }
    }

    /// Renders the stack pane's image into [`stack_image`](Self::stack_image), unless
    /// what it is rendered from is unchanged.
    fn stack(&mut self, model: &Model, r: [u32; 4]) -> Option<Result<(), ErrorKind>> {
        let key = StackKey::of(model, r)?;
        if self.stack_image.as_ref().is_some_and(|(k, _)| *k == key) {
            return Some(Ok(()));
        }
        let c = model.current?;
        let (_, image, index) = model.current_image()?;
        let frame = image.frames.get(index)?;
        let pipe = key.pipeline.clone();
        let view = key.view;
        let supplemental = frame.color == FrameColor::Monochrome && image.palette.is_some();
        let mut rendered = render_view_with(
            frame,
            pipe.as_ref(),
            image.palette.as_ref(),
            supplemental,
            model.view.invert,
            &view,
        );
        if let (Ok(r), Some(map)) = (&mut rendered, model.view.colormap) {
            map.apply(r, &view, frame);
        }
        if let (Ok(r), true, Some(Some(mask))) = (
            &mut rendered,
            model.view.overlays,
            image.overlays.get(index),
        ) {
            hounsfield_core::pipeline::overlay::paint_overlay(r, mask, &view);
        }
        if let Ok(r) = &mut rendered {
            self.segments.update(
                &mut (),
                Keys::of(model),
                (c.id, c.frame),
                |_| {
                    let m = model.segment_masks_of(c.id, c.frame)?;
                    Some((m.placed, m.ids))
                },
                |_, placed, ids, _| Some(model.layer_style_of(c.id, c.frame, ids)?.paint(placed)),
            );
            if let Some(layer) = self.segments.composed() {
                hounsfield_core::layers::composite::composite(r, &view, layer);
            }
        }
        if let (Ok(r), true) = (&mut rendered, model.view.shutters) {
            // The shutter as shown, made again only when the image, its frame or the
            // presentation states change.
            let key = (c.id, c.frame, model.presentation_generation);
            if self.shutter.as_ref().is_none_or(|(k, _)| *k != key) {
                self.shutter = Some((key, model.shutter_of(c.id)));
            }
            if let Some((_, Some((mask, grey)))) = &self.shutter {
                hounsfield_core::pipeline::overlay::paint_mask(r, mask, &view, *grey);
            }
        }
        Some(rendered.map(|image| self.stack_image = Some((key, image))))
    }

    fn plane(
        &mut self,
        model: &Model,
        k: usize,
        r: [u32; 4],
    ) -> Option<Result<RenderedImage, ErrorKind>> {
        let mpr = model.mpr.as_ref()?;
        // Every voxel of the series: the CPU has no 3D texture to fit, and the full
        // volume shares the decoded frames (a reduced volume is the GPU's).
        let volume = mpr.exact();
        if !self.volume.as_ref().is_some_and(|v| Arc::ptr_eq(v, volume)) {
            self.volume = Some(volume.clone());
            self.planes = [None, None, None];
        }
        let key = (mpr.plane(k), mpr.slab());
        if self.planes[k].as_ref().map(|(have, _)| have) != Some(&key) {
            let frame = resample(volume, &key.0, key.1);
            self.planes[k] = Some((key, frame));
        }
        let (_, frame) = self.planes[k].as_ref()?;
        let pipe = model.mpr_pipeline();
        let view = mpr.view(k, r[2], r[3]);
        let mut rendered = render_view_with(frame, pipe.as_ref(), None, false, false, &view);
        if let (Ok(image), Some(map)) = (&mut rendered, model.view.colormap) {
            map.apply(image, &view, frame);
        }
        if let Ok(image) = &mut rendered {
            let cache = self.plane_segments.get_mut(k)?;
            cache.update(
                &mut (),
                Keys::of(model),
                mpr.plane(k),
                |_| {
                    let m = model.plane_segment_masks(k)?;
                    Some((m.placed, m.ids))
                },
                |_, placed, ids, _| Some(model.plane_layer_style(k, ids)?.paint(placed)),
            );
            if let Some(layer) = cache.composed() {
                hounsfield_core::layers::composite::composite(image, &view, layer);
            }
        }
        Some(rendered)
    }
}

/// Copies a grey or RGB image into the RGBA target at `r`, clipped to the target.
fn blit(rgba: &mut [u8], width: u32, height: u32, image: &RenderedImage, r: [u32; 4]) {
    let channels = image.channels as usize;
    let w = (image.width as usize).min(width.saturating_sub(r[0]) as usize);
    let h = (image.height as usize).min(height.saturating_sub(r[1]) as usize);
    for y in 0..h {
        let src = &image.pixels[y * image.width as usize * channels..][..w * channels];
        let at = ((r[1] as usize + y) * width as usize + r[0] as usize) * 4;
        let dst = &mut rgba[at..at + w * 4];
        if channels == 1 {
            for (d, &g) in dst.chunks_exact_mut(4).zip(src) {
                d.copy_from_slice(&[g, g, g, 255]);
            }
        } else {
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(channels)) {
                d.copy_from_slice(&[s[0], s[1], s[2], 255]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Action;
    use crate::model::tests::{add_decoded, instance};

    /// The kept stack image is drawn again only while nothing it shows changed: after
    /// each change the frame equals a fresh scene's.
    #[test]
    fn the_kept_stack_image_follows_every_change() {
        let mut m = Model::new();
        for id in 1..=3u64 {
            let values: Vec<i16> = (0..16).map(|v| v * 40 + id as i16 * 300).collect();
            add_decoded(&mut m, id, id as f64, &values, None);
        }
        let panes = [(Pane::Stack, [0, 0, 16, 16])];
        let fresh = |m: &mut Model| {
            let mut rgba = Vec::new();
            let frame = CpuScene::default().render(m, &panes, 16, 16, &mut rgba);
            assert!(frame.changed && frame.image_drawn);
            rgba
        };
        let mut kept = CpuScene::default();
        let mut rgba = Vec::new();
        let mut frames = Vec::new();
        for (k, action) in [
            None,
            Some(Action::AdjustWindow {
                dx: 40.0,
                dy: -25.0,
            }),
            Some(Action::Slice(1)),
            Some(Action::Invert),
            Some(Action::Zoom(2.0)),
            Some(Action::Pan { dx: 3.0, dy: 1.0 }),
            Some(Action::FlipHorizontal),
            Some(Action::Preset(1)),
            None,
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(a) = action.clone() {
                m.apply(a);
            }
            let frame = kept.render(&mut m, &panes, 16, 16, &mut rgba);
            assert!(frame.image_drawn, "{action:?}");
            // A frame is new exactly when it is the first or the action changed what it
            // shows.
            assert_eq!(frame.changed, k == 0 || action.is_some(), "{action:?}");
            assert_eq!(rgba, fresh(&mut m), "after {action:?}");
            frames.push(rgba.clone());
        }
        // Each change showed something new; the last frame changed nothing.
        for k in 1..frames.len() - 1 {
            assert_ne!(frames[k], frames[k - 1], "step {k} drew the same frame");
        }
        assert_eq!(frames[frames.len() - 1], frames[frames.len() - 2]);
    }

    /// The planes are ready once a frame of the planes layout resampled them (what the
    /// native viewer's status file says as `planes_drawn` when the CPU draws), and each
    /// equals a fresh scene's.
    #[test]
    fn planes_are_ready_once_drawn() {
        let mut m = Model::new();
        for (id, z) in [(1u64, 0.0), (2, 5.0), (3, 10.0)] {
            let values: Vec<i16> = (0..16).map(|v| v * 40 + id as i16 * 300).collect();
            add_decoded(&mut m, id, z, &values, None);
        }
        let mut kept = CpuScene::default();
        let mut rgba = Vec::new();
        let stack = [(Pane::Stack, [0, 0, 32, 32])];
        kept.render(&mut m, &stack, 32, 32, &mut rgba);
        assert!(
            (0..3).all(|k| !kept.plane_ready(k)),
            "no planes in the stack view"
        );
        m.apply(Action::Layout(Some(crate::mpr::Layout::Planes)));
        assert!(m.mpr.is_some());
        let panes: Vec<(Pane, [u32; 4])> = crate::mpr::Layout::Planes
            .panes([0.0, 0.0, 32.0, 32.0])
            .into_iter()
            .map(|(pane, r)| (pane, r.map(|v| v as u32)))
            .collect();
        assert!(kept.render(&mut m, &panes, 32, 32, &mut rgba).image_drawn);
        assert!((0..3).all(|k| kept.plane_ready(k)));
        let mut fresh = Vec::new();
        CpuScene::default().render(&mut m, &panes, 32, 32, &mut fresh);
        assert_eq!(rgba, fresh);
    }

    /// A frame drawn over the last one (one pane over the whole target) is black where its
    /// image does not reach, and all black when the slice shown has no image.
    #[test]
    fn a_frame_over_the_last_is_black_where_nothing_is_drawn() {
        let mut m = Model::new();
        for id in 1..=2u64 {
            let values: Vec<i16> = (0..16).map(|v| v * 40 + 300).collect();
            let mut inst = instance(id, id as f64, &values, None);
            let image = inst.image.take();
            m.add_instance(inst);
            let decoded = if id == 1 {
                image.ok_or_else(String::new)
            } else {
                Err("broken".into())
            };
            m.set_decoded(id, decoded);
        }
        let panes = [(Pane::Stack, [0, 0, 16, 16])];
        let mut kept = CpuScene::default();
        let mut rgba = Vec::new();
        assert!(kept.render(&mut m, &panes, 16, 16, &mut rgba).image_drawn);
        assert!(rgba.chunks_exact(4).any(|p| p[0] > 0));
        m.apply(Action::Zoom(0.25));
        kept.render(&mut m, &panes, 16, 16, &mut rgba);
        let mut fresh = Vec::new();
        CpuScene::default().render(&mut m, &panes, 16, 16, &mut fresh);
        assert_eq!(rgba, fresh, "a smaller image");
        assert!(rgba.chunks_exact(4).filter(|p| p[0] == 0).count() > 200);
        m.apply(Action::Slice(1));
        assert!(!kept.render(&mut m, &panes, 16, 16, &mut rgba).image_drawn);
        assert!(
            rgba.chunks_exact(4).all(|p| p == [0, 0, 0, 255]),
            "no image: black"
        );
    }
}
