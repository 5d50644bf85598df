//! What the viewers keep on the GPU for a [`Model`], and how they draw its panes: the
//! frames of each instance uploaded when first shown (the most recently shown kept, up
//! to [`IMAGE_CACHE_BYTES`]; only the one on screen while the series volume is on the
//! GPU), the series volume as texture arrays or 3D textures, and one resampled image
//! per plane view, recomputed only when its plane or
//! slab changes. Platform-free: the caller owns the device, the surface and the render
//! pass.
//!
//! ```no_run
//! # fn frame(renderer: &hounsfield_render::Renderer, pass: &mut wgpu::RenderPass<'_>) {
//! use hounsfield_viewer::model::Model;
//! use hounsfield_viewer::mpr::Pane;
//! use hounsfield_viewer::scene::Scene;
//! let mut model = Model::new();
//! let mut scene = Scene::default();
//! // Each frame: the panes of the image area in target pixels, then one render pass.
//! let panes = [(Pane::Stack, [0, 0, 800, 600])];
//! let draws = scene.prepare(renderer, &mut model, &panes);
//! scene.draw(renderer, pass, &model, &draws);
//! # }
//! ```

use crate::layer_cache::{self, GpuLayer, Keys, SegmentFrames};
use crate::model::Model;
use crate::mpr::Pane;
use hounsfield_core::volume::{Plane, PlaneResampling, Slab, Volume};
use hounsfield_core::{Frame, FrameColor, Samples};
use hounsfield_render::volume::{GpuVolume, VolumeUpload};
use hounsfield_render::{DrawState, GpuImage, Renderer};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The background of the image area (linear RGBA).
pub const BACKGROUND: [f32; 4] = [0.0, 0.0, 0.0, 1.0];

/// What a resampled plane image shows.
#[derive(Debug, Clone, PartialEq)]
struct PlaneKey {
    plane: Plane,
    slab: Option<Slab>,
}

/// A pane to draw this frame: its viewport (target pixels) and draw state.
#[derive(Debug, Clone)]
pub struct PaneDraw {
    /// Which pane.
    pub pane: Pane,
    /// Its rectangle in target pixels (x, y, width, height).
    pub viewport: [u32; 4],
    /// What the renderer draws there.
    pub state: DrawState,
    /// The overlay planes drawn over it, when shown.
    pub overlay: Option<DrawState>,
    /// The segmentations drawn over those, when shown.
    pub segments: Option<DrawState>,
    /// The display shutter drawn over all, when shown.
    pub shutter: Option<DrawState>,
}

/// The most bytes of images (with their layers) the scene keeps on the GPU besides the
/// one on screen; counted as 4 bytes a sample.
pub const IMAGE_CACHE_BYTES: usize = 64 << 20;

/// The most voxel bytes of the planes' volume uploaded per frame: a large volume goes to
/// the GPU over several frames (the viewer keeps drawing, and says how far it is) rather
/// than in one long stop.
pub const VOLUME_UPLOAD_BYTES_PER_FRAME: usize = 32 << 20;

/// The most pixels of a still plane refined from every voxel per frame (whole rows): a
/// large plane is refined over several frames (a few milliseconds each on two cores)
/// rather than in one long stop.
pub const REFINE_PIXELS_PER_FRAME: usize = 1 << 15;

/// The planes' volume on the GPU: going there a part per frame, or there.
enum VolumeOnGpu {
    Uploading(VolumeUpload),
    Ready(GpuVolume),
}

/// The GPU side of a [`Model`].
#[derive(Default)]
pub struct Scene {
    images: HashMap<u64, GpuImage>,
    /// The images on the GPU, least recently shown first, with their bytes: beyond
    /// [`IMAGE_CACHE_BYTES`] the oldest go (with their overlays, shutters and segments),
    /// so that scrolling a thousand slices does not keep a thousand textures (on a CPU
    /// device, in the process's memory).
    recent: std::collections::VecDeque<(u64, usize)>,
    /// [`IMAGE_CACHE_BYTES`] unless set ([`set_image_cache_bytes`](Self::set_image_cache_bytes)).
    cache_bytes: Option<usize>,
    /// The overlay masks of each image with overlays, one layer per frame.
    overlays: HashMap<u64, GpuImage>,
    /// The display shutter of each image as shown ([`Model::shutter_of`]), for its frame
    /// and the presentation states it was made under: one layer, grey level + 1 where
    /// covered (None: no shutter).
    shutters: HashMap<u64, ((usize, u64), Option<GpuImage>)>,
    /// What is drawn over each image's frame: the fused series, its segments, contours.
    segments: HashMap<u64, GpuLayer<usize>>,
    /// Instances whose upload failed (not retried every frame).
    upload_failed: HashSet<u64>,
    /// The volume of the planes, on the GPU or going there a part per frame.
    volume: Option<(Arc<Volume>, VolumeOnGpu)>,
    /// [`VOLUME_UPLOAD_BYTES_PER_FRAME`] unless set
    /// ([`set_volume_upload_bytes`](Self::set_volume_upload_bytes)).
    upload_bytes: Option<usize>,
    /// Per plane view: what its image shows, and the image.
    planes: [Option<(PlaneKey, GpuImage)>; 3],
    /// Per plane view: whether its image holds every voxel of the series (a plane of a
    /// reduced volume is refined on the CPU from the full one once it stays still).
    refined: [bool; 3],
    /// Per plane view: its refinement in progress, a band of rows per frame.
    refining: [Option<PlaneResampling>; 3],
    /// [`REFINE_PIXELS_PER_FRAME`] unless set
    /// ([`set_refine_pixels`](Self::set_refine_pixels)).
    refine_pixels: Option<usize>,
    /// Per plane view: what is drawn over its plane.
    plane_segments: [GpuLayer<Plane>; 3],
    /// The segmentations' frames, from which the planes take their segments.
    segment_frames: SegmentFrames,
    /// The caller clears the whole target to [`BACKGROUND`] before the panes are drawn
    /// (the browser page does): panes then paint no background of their own, which on a
    /// software rasteriser saves a full-screen pass per pane.
    pub target_cleared: bool,
}

impl Scene {
    /// Forgets every upload (after the device was lost and recreated).
    pub fn clear(&mut self) {
        *self = Scene {
            target_cleared: self.target_cleared,
            ..Scene::default()
        };
    }

    /// Whether plane `k`'s image exists.
    pub fn plane_ready(&self, k: usize) -> bool {
        self.planes.get(k).is_some_and(Option::is_some)
    }

    /// The draw state of the slice on screen in a viewport of `viewport` pixels.
    pub fn stack_state(model: &Model, viewport: [u32; 4]) -> Option<DrawState> {
        let current = model.current?;
        model.current_image()?;
        Some(DrawState {
            frame: current.frame,
            pipeline: model.pipeline(),
            invert: model.view.invert,
            view: model.view_for(viewport[2].max(1), viewport[3].max(1)),
            background: BACKGROUND,
            paint_background: true,
            overlay: false,
            shutter: false,
            colormap: model.view.colormap,
            layer: false,
        })
    }

    /// The draw state of the overlay of the slice on screen, when it has one and overlays
    /// are shown: nearest sampling, over the image.
    pub fn overlay_state(model: &Model, viewport: [u32; 4]) -> Option<DrawState> {
        let current = model.current?;
        let (_, image, frame) = model.current_image()?;
        if !model.view.overlays || !matches!(image.overlays.get(frame), Some(Some(_))) {
            return None;
        }
        Some(DrawState {
            overlay: true,
            ..over(
                model.view_for(viewport[2].max(1), viewport[3].max(1)),
                current.frame,
            )
        })
    }

    /// The draw state of the display shutter of the slice on screen, when it has one and
    /// shutters are shown: nearest sampling, over the image and its overlays.
    pub fn shutter_state(model: &Model, viewport: [u32; 4]) -> Option<DrawState> {
        model.current_image()?;
        if !model.view.shutters {
            return None;
        }
        Some(DrawState {
            shutter: true,
            ..over(model.view_for(viewport[2].max(1), viewport[3].max(1)), 0)
        })
    }

    /// The draw state of the segments over the slice on screen, when segmentations are
    /// shown or a series is fused: nearest sampling, over the image and its overlays.
    pub fn segments_state(model: &Model, viewport: [u32; 4]) -> Option<DrawState> {
        model.current_image()?;
        if !model.view.segmentations && model.fused.is_none() {
            return None;
        }
        Some(DrawState {
            layer: true,
            ..over(model.view_for(viewport[2].max(1), viewport[3].max(1)), 0)
        })
    }

    /// Sets how many bytes of recently shown images (4 bytes a sample) stay on the GPU
    /// besides the one on screen (default [`IMAGE_CACHE_BYTES`]): more makes scrolling
    /// back over many slices upload less, on devices with the memory for it.
    pub fn set_image_cache_bytes(&mut self, bytes: usize) {
        self.cache_bytes = Some(bytes);
    }

    /// Sets how many voxel bytes of the planes' volume go to the GPU per frame (default
    /// [`VOLUME_UPLOAD_BYTES_PER_FRAME`]): more brings the planes sooner, with longer
    /// frames meanwhile.
    pub fn set_volume_upload_bytes(&mut self, bytes: usize) {
        self.upload_bytes = Some(bytes);
    }

    /// Sets how many pixels of a still plane are refined from every voxel per frame
    /// (default [`REFINE_PIXELS_PER_FRAME`]; whole rows, at least one).
    pub fn set_refine_pixels(&mut self, pixels: usize) {
        self.refine_pixels = Some(pixels);
    }

    /// Marks image `id` (of `bytes` on the GPU) as the last shown, and lets the least
    /// recently shown images go while the cache is over [`IMAGE_CACHE_BYTES`].
    fn touch(&mut self, id: u64, bytes: usize) {
        self.recent.retain(|(x, _)| *x != id);
        self.recent.push_back((id, bytes));
        self.trim_images();
    }

    /// Lets the least recently shown images go while the cache is over its budget: while
    /// a series volume is on the GPU or going there (it holds the series' pixels) only the
    /// image on screen stays.
    fn trim_images(&mut self) {
        let budget = if self.volume.is_some() {
            0
        } else {
            self.cache_bytes.unwrap_or(IMAGE_CACHE_BYTES)
        };
        self.trim_images_to(budget);
    }

    /// Lets the least recently shown images go while they take more than `budget` bytes
    /// (the last one shown stays).
    fn trim_images_to(&mut self, budget: usize) {
        // An image's bytes, and those of what is drawn over it (its placed masks and their
        // layer), which the frames' estimate does not cover.
        let bytes = |scene: &Scene, id: u64, b: usize| {
            b + scene.segments.get(&id).map_or(0, GpuLayer::gpu_bytes)
        };
        let mut total: usize = self.recent.iter().map(|&(id, b)| bytes(self, id, b)).sum();
        while total > budget && self.recent.len() > 1 {
            let Some((old, b)) = self.recent.pop_front() else {
                break;
            };
            total -= bytes(self, old, b);
            self.images.remove(&old);
            self.overlays.remove(&old);
            self.shutters.remove(&old);
            self.segments.remove(&old);
        }
    }

    /// Uploads the slice on screen if it is not on the GPU yet (a failure is reported
    /// once, as a message).
    pub fn ensure_uploaded(&mut self, renderer: &Renderer, model: &mut Model) {
        let Some((inst, image, _)) = model.current_image() else {
            return;
        };
        let (id, name, image) = (inst.id, inst.file.name().to_string(), image.clone());
        if self.upload_failed.contains(&id) {
            return;
        }
        // The frames' bytes stand for the image's textures and layers.
        let bytes = image
            .frames
            .iter()
            .map(|f| f.samples.len() * 4)
            .sum::<usize>();
        let cached = self.images.contains_key(&id);
        if cached {
            if self.recent.back().map(|(x, _)| *x) != Some(id) {
                self.touch(id, bytes);
            }
            return;
        }
        match renderer.upload(&image.frames, image.palette.as_ref()) {
            Ok(gpu) => {
                self.images.insert(id, gpu);
                self.touch(id, bytes);
                if !image.overlays.is_empty() {
                    // One layer per frame, 0 / 1 per pixel (empty layers where a frame has
                    // no overlay).
                    let layers: Vec<Frame> = image
                        .frames
                        .iter()
                        .enumerate()
                        .map(|(f, frame)| Frame {
                            width: frame.width,
                            height: frame.height,
                            color: FrameColor::Monochrome,
                            samples: Samples::U8(match image.overlays.get(f) {
                                Some(Some(m)) => m.bits.clone(),
                                _ => vec![0; frame.width as usize * frame.height as usize],
                            }),
                            bits_stored: 8,
                            signed: false,
                        })
                        .collect();
                    match renderer.upload(&layers, None) {
                        Ok(gpu) => {
                            self.overlays.insert(id, gpu);
                        }
                        Err(e) => model.message(format!("cannot show the overlays: {e}")),
                    }
                }
            }
            Err(e) => {
                let msg = format!("{name}: cannot show the image: {e}");
                self.upload_failed.insert(id);
                model.message(msg);
            }
        }
    }

    /// Prepares the draw of every pane (`[x, y, width, height]` in target pixels);
    /// returns those to draw.
    pub fn prepare(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        panes: &[(Pane, [u32; 4])],
    ) -> Vec<PaneDraw> {
        self.ensure_uploaded(renderer, model);
        // One part of the planes' volume per frame.
        let volume_ready = panes.iter().any(|(p, _)| matches!(p, Pane::Plane(_)))
            && self.advance_volume(renderer, model);
        let mut draws = Vec::new();
        for &(pane, viewport) in panes {
            if viewport[2] == 0 || viewport[3] == 0 {
                continue;
            }
            let state = match pane {
                Pane::Stack => self.prepare_stack(renderer, model, viewport),
                Pane::Plane(k) if volume_ready => {
                    self.prepare_plane_on_gpu(renderer, model, k, viewport)
                }
                Pane::Plane(_) => None,
            };
            let (overlay, segments, shutter) = match pane {
                Pane::Stack if state.is_some() => (
                    self.prepare_overlay(renderer, model, viewport),
                    self.prepare_segments(renderer, model, viewport),
                    self.prepare_shutter(renderer, model, viewport),
                ),
                Pane::Plane(k) if state.is_some() => (
                    None,
                    self.prepare_plane_segments(renderer, model, k, viewport),
                    None,
                ),
                _ => (None, None, None),
            };
            if let Some(mut state) = state {
                state.paint_background &= !self.target_cleared;
                draws.push(PaneDraw {
                    pane,
                    viewport,
                    state,
                    overlay,
                    segments,
                    shutter,
                });
            }
        }
        self.release_values_off_screen(model, &draws);
        draws
    }

    /// Frees the value caches (a float a viewport pixel each, which make window changes
    /// cheap) of the images not drawn this frame.
    fn release_values_off_screen(&mut self, model: &Model, draws: &[PaneDraw]) {
        let shown = |pane: Pane| draws.iter().any(|d| d.pane == pane);
        let stack = model
            .current
            .as_ref()
            .map(|c| c.id)
            .filter(|_| shown(Pane::Stack));
        for (id, image) in &mut self.images {
            if Some(*id) != stack {
                image.release_values();
            }
        }
        for (k, plane) in self.planes.iter_mut().enumerate() {
            if let Some((_, image)) = plane
                && !shown(Pane::Plane(k))
            {
                image.release_values();
            }
        }
    }

    fn prepare_overlay(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        viewport: [u32; 4],
    ) -> Option<DrawState> {
        let state = Self::overlay_state(model, viewport)?;
        prepare_current(
            renderer,
            model,
            &mut self.overlays,
            state,
            viewport,
            "the overlays",
        )
    }

    /// Brings what is drawn over the slice on screen up to date ([`GpuLayer::update`])
    /// and prepares its draw.
    fn prepare_segments(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        viewport: [u32; 4],
    ) -> Option<DrawState> {
        let c = model.current?;
        let keys = Keys::of(model);
        self.segments.entry(c.id).or_default().update(
            model,
            keys,
            c.frame,
            |m| {
                let masks = m.segment_masks_of(c.id, c.frame);
                layer_cache::upload(renderer, m, masks)
            },
            |m, masks, ids, previous| {
                let style = m.layer_style_of(c.id, c.frame, ids);
                layer_cache::compose(renderer, m, masks, style, previous)
            },
        );
        self.trim_images();
        let state = Self::segments_state(model, viewport)?;
        let image = self.segments.get_mut(&c.id)?.composed_mut()?;
        prepare_over(renderer, model, image, state, viewport, "the segments")
    }

    /// Brings what is drawn over plane `k` up to date ([`GpuLayer::update`]) and
    /// prepares its draw.
    fn prepare_plane_segments(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        k: usize,
        viewport: [u32; 4],
    ) -> Option<DrawState> {
        if (!model.view.segmentations || model.segmentations.is_empty())
            && model.structures.is_empty()
            && model.fused.is_none()
        {
            return None;
        }
        let mpr = model.mpr.as_ref()?;
        let plane = mpr.plane(k);
        let view = mpr.view(k, viewport[2].max(1), viewport[3].max(1));
        let keys = Keys::of(model);
        let segment_frames = &mut self.segment_frames;
        self.plane_segments.get_mut(k)?.update(
            model,
            keys,
            plane,
            |m| {
                // On the GPU from the segmentations' frames; on the CPU when they are not
                // there.
                segment_frames.place(renderer, m, k).or_else(|| {
                    let masks = m.plane_segment_masks(k);
                    layer_cache::upload(renderer, m, masks)
                })
            },
            |m, masks, ids, previous| {
                let style = m.plane_layer_style(k, ids);
                layer_cache::compose(renderer, m, masks, style, previous)
            },
        );
        let state = DrawState {
            layer: true,
            ..over(view, 0)
        };
        let image = self.plane_segments.get_mut(k)?.composed_mut()?;
        prepare_over(renderer, model, image, state, viewport, "the segments")
    }

    /// Uploads the shutter of the slice on screen (as shown: its presentation state's or
    /// its own) when it changed, and prepares its draw.
    fn prepare_shutter(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        viewport: [u32; 4],
    ) -> Option<DrawState> {
        let state = Self::shutter_state(model, viewport)?;
        let c = model.current?;
        let key = (c.frame, model.presentation_generation);
        if self.shutters.get(&c.id).is_none_or(|(k, _)| *k != key) {
            let upload = model.shutter_of(c.id).and_then(|(mask, grey)| {
                let layer = Frame {
                    width: mask.width,
                    height: mask.height,
                    color: FrameColor::Monochrome,
                    samples: Samples::U16(
                        mask.bits
                            .iter()
                            .map(|&b| if b == 0 { 0 } else { u16::from(grey) + 1 })
                            .collect(),
                    ),
                    bits_stored: 16,
                    signed: false,
                };
                renderer
                    .upload(&[layer], None)
                    .map_err(|e| model.message(format!("cannot show the shutter: {e}")))
                    .ok()
            });
            self.shutters.insert(c.id, (key, upload));
        }
        let image = self.shutters.get_mut(&c.id)?.1.as_mut()?;
        prepare_over(renderer, model, image, state, viewport, "the shutter")
    }

    fn prepare_stack(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        viewport: [u32; 4],
    ) -> Option<DrawState> {
        let state = Self::stack_state(model, viewport)?;
        prepare_current(
            renderer,
            model,
            &mut self.images,
            state,
            viewport,
            "the image",
        )
    }

    /// Uploads the volume if needed (a part per call, see
    /// [`VOLUME_UPLOAD_BYTES_PER_FRAME`]: None until it is all on the GPU), resamples
    /// plane `k` if it changed, and prepares its draw at `viewport`.
    pub fn prepare_plane(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        k: usize,
        viewport: [u32; 4],
    ) -> Option<DrawState> {
        if !self.advance_volume(renderer, model) {
            return None;
        }
        self.prepare_plane_on_gpu(renderer, model, k, viewport)
    }

    /// Takes the planes' volume one part further to the GPU (beginning its upload when
    /// the model's volume changed); true when it is all there. The model's
    /// [`mpr_upload`](Model::mpr_upload) says how far it is.
    fn advance_volume(&mut self, renderer: &Renderer, model: &mut Model) -> bool {
        // A volume larger than this device's 3D textures is rebuilt reduced to fit.
        model.set_device_volume_limits(renderer.volume_limits());
        let Some(volume) = model.mpr.as_ref().map(|m| m.volume.clone()) else {
            if matches!(self.volume, Some((_, VolumeOnGpu::Uploading(_)))) {
                self.volume = None;
            }
            model.mpr_upload = None;
            return false;
        };
        if !self
            .volume
            .as_ref()
            .is_some_and(|(v, _)| Arc::ptr_eq(v, &volume))
        {
            self.volume = None;
            self.planes = [None, None, None];
            // The volume holds the series: the other images go before it comes.
            self.trim_images_to(0);
            match renderer.begin_volume_upload(&volume) {
                Ok(upload) => self.volume = Some((volume.clone(), VolumeOnGpu::Uploading(upload))),
                Err(e) => {
                    self.volume_failed(model, e);
                    return false;
                }
            }
        }
        let part = self.upload_bytes.unwrap_or(VOLUME_UPLOAD_BYTES_PER_FRAME);
        let Some((_, state)) = self.volume.as_mut() else {
            return false;
        };
        let VolumeOnGpu::Uploading(upload) = state else {
            model.mpr_upload = None;
            return true;
        };
        match renderer.continue_volume_upload(upload, &volume, part) {
            Ok(Some(gpu)) => {
                *state = VolumeOnGpu::Ready(gpu);
                model.mpr_upload = None;
                true
            }
            Ok(None) => {
                model.mpr_upload = Some(upload.progress());
                false
            }
            Err(e) => {
                self.volume = None;
                self.volume_failed(model, e);
                false
            }
        }
    }

    fn volume_failed(&mut self, model: &mut Model, e: hounsfield_render::RenderError) {
        let msg = format!("cannot put the volume on the GPU: {e}");
        model.message(msg.clone());
        model.mpr = None;
        model.mpr_upload = None;
        model.mpr_note = Some(msg);
    }

    /// [`prepare_plane`](Self::prepare_plane) once the volume is on the GPU.
    fn prepare_plane_on_gpu(
        &mut self,
        renderer: &Renderer,
        model: &mut Model,
        k: usize,
        viewport: [u32; 4],
    ) -> Option<DrawState> {
        let Some((volume, VolumeOnGpu::Ready(_))) = &self.volume else {
            return None;
        };
        let volume = volume.clone();
        let mpr = model.mpr.as_ref()?;
        let plane = mpr.plane(k);
        let slab = mpr.slab();
        let view = mpr.view(k, viewport[2], viewport[3]);
        let key = PlaneKey { plane, slab };
        let full = mpr.full.clone();
        if self.planes[k].as_ref().map(|(have, _)| have) != Some(&key) {
            let previous = self.planes[k].take().map(|(_, image)| image);
            let Some((_, VolumeOnGpu::Ready(gpu))) = &self.volume else {
                return None;
            };
            match renderer.resample(
                gpu,
                &volume.sampling(&plane, slab),
                slab.map(|s| s.mode),
                (plane.columns, plane.rows),
                previous,
            ) {
                Ok(image) => {
                    self.planes[k] = Some((key, image));
                    self.refined[k] = full.is_none();
                    self.refining[k] = None;
                }
                Err(e) => {
                    model.message(format!("cannot compute the plane: {e}"));
                    return None;
                }
            }
        } else if !self.refined[k]
            && let Some(full) = &full
        {
            // The plane stayed as it was in the last frame: refined from every voxel of
            // the series (the CPU reference's resampling, which the GPU's equals), a band
            // of rows a frame; shown once whole.
            let pixels = self.refine_pixels.unwrap_or(REFINE_PIXELS_PER_FRAME);
            let r = self.refining[k]
                .get_or_insert_with(|| PlaneResampling::new(full, &key.plane, key.slab));
            if let Some(frame) = r.advance(full, pixels) {
                self.refining[k] = None;
                self.refined[k] = true;
                match renderer.upload(std::slice::from_ref(&frame), None) {
                    Ok(image) => {
                        if let Some((_, shown)) = self.planes[k].as_mut() {
                            *shown = image;
                        }
                    }
                    Err(e) => model.message(format!("cannot refine the plane: {e}")),
                }
            }
        }
        if let Some(refined) = model.mpr_refined.get_mut(k) {
            *refined = self.refined[k];
        }
        if let Some(refining) = model.mpr_refining.get_mut(k) {
            *refining = self.refining[k].as_ref().map(PlaneResampling::progress);
        }
        let state = DrawState {
            frame: 0,
            pipeline: model.mpr_pipeline(),
            invert: false,
            view,
            background: BACKGROUND,
            paint_background: true,
            overlay: false,
            shutter: false,
            colormap: model.view.colormap,
            layer: false,
        };
        let (_, image) = self.planes[k].as_mut()?;
        match renderer.prepare(image, &state, viewport) {
            Ok(()) => Some(state),
            Err(e) => {
                model.message(format!("cannot draw the plane: {e}"));
                None
            }
        }
    }

    /// The image a pane shows, as the last [`prepare`](Self::prepare) left it.
    pub fn image(&mut self, model: &Model, pane: Pane) -> Option<&mut GpuImage> {
        match pane {
            Pane::Stack => self.images.get_mut(&model.current?.id),
            Pane::Plane(k) => self.planes.get_mut(k)?.as_mut().map(|(_, i)| i),
        }
    }

    /// Records the prepared draws into `pass`.
    pub fn draw(
        &self,
        renderer: &Renderer,
        pass: &mut wgpu::RenderPass<'_>,
        model: &Model,
        draws: &[PaneDraw],
    ) {
        for d in draws {
            let image = match d.pane {
                Pane::Stack => model.current.and_then(|c| self.images.get(&c.id)),
                Pane::Plane(k) => self.planes.get(k).and_then(|p| p.as_ref().map(|(_, i)| i)),
            };
            if let Some(image) = image {
                renderer.draw(pass, image, &d.state, d.viewport);
            }
            if let (Some(state), Some(c)) = (&d.overlay, model.current)
                && let Some(overlay) = self.overlays.get(&c.id)
            {
                renderer.draw(pass, overlay, state, d.viewport);
            }
            if let Some(state) = &d.segments {
                let segments = match d.pane {
                    Pane::Stack => model
                        .current
                        .and_then(|c| self.segments.get(&c.id))
                        .and_then(GpuLayer::composed),
                    Pane::Plane(k) => self.plane_segments.get(k).and_then(GpuLayer::composed),
                };
                if let Some(segments) = segments {
                    renderer.draw(pass, segments, state, d.viewport);
                }
            }
            if let (Some(state), Some(c)) = (&d.shutter, model.current)
                && let Some((_, Some(shutter))) = self.shutters.get(&c.id)
            {
                renderer.draw(pass, shutter, state, d.viewport);
            }
        }
    }
}

/// A draw over what the pass holds (overlay, segments, shutter) through `view` with
/// nearest sampling: frame `frame`, no pipeline, no background; the caller sets its kind.
fn over(mut view: hounsfield_core::view::View, frame: usize) -> DrawState {
    view.filter = hounsfield_core::view::Filter::Nearest;
    DrawState {
        frame,
        pipeline: None,
        invert: false,
        view,
        background: BACKGROUND,
        paint_background: false,
        overlay: false,
        shutter: false,
        colormap: None,
        layer: false,
    }
}

/// Prepares the draw of `image` (drawn over a pane) with `state`; a failure becomes a
/// message naming `what`.
fn prepare_over(
    renderer: &Renderer,
    model: &mut Model,
    image: &mut GpuImage,
    state: DrawState,
    viewport: [u32; 4],
    what: &str,
) -> Option<DrawState> {
    match renderer.prepare(image, &state, viewport) {
        Ok(()) => Some(state),
        Err(e) => {
            model.message(format!("cannot draw {what}: {e}"));
            None
        }
    }
}

/// Prepares the draw of the slice on screen's upload in `images` (the image or its
/// overlay); a failure becomes a message naming `what`.
fn prepare_current(
    renderer: &Renderer,
    model: &mut Model,
    images: &mut HashMap<u64, GpuImage>,
    state: DrawState,
    viewport: [u32; 4],
    what: &str,
) -> Option<DrawState> {
    let image = images.get_mut(&model.current?.id)?;
    match renderer.prepare(image, &state, viewport) {
        Ok(()) => Some(state),
        Err(e) => {
            model.message(format!("cannot draw {what}: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Action;
    use crate::model::tests::add_decoded;
    use hounsfield_render::headless::Headless;

    /// How many channel values of two RGBA frames of one size differ by more than
    /// `tolerance`.
    fn differing(a: &[u8], b: &[u8], tolerance: u8) -> usize {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .filter(|(x, y)| x.abs_diff(**y) > tolerance)
            .count()
    }

    /// A memory budget under the series: a plane is drawn from the reduced volume in the
    /// frame it comes to (as the CPU reference draws the reduced volume's plane), then,
    /// while it stays, refined from every voxel of the series (as the CPU scene, which
    /// always resamples every voxel, draws it).
    #[test]
    fn a_still_plane_of_a_reduced_volume_is_refined_from_every_voxel() {
        let Some(mut gpu) = Headless::for_tests() else {
            return;
        };
        let mut m = Model::new();
        for id in 1..=10u64 {
            // Values that differ from voxel to voxel, so that a reduction shows.
            let values: Vec<i16> = (0..16).map(|i| (i * 37 + id as i16 * 101) % 997).collect();
            add_decoded(&mut m, id, id as f64, &values, Some((-600.0, 900.0)));
        }
        // 320 bytes of voxels.
        m.set_volume_budget(Some(100));
        m.apply(Action::Layout(Some(crate::mpr::Layout::Planes)));
        let reduced = m.mpr_reduction.clone();
        assert!(reduced.is_some(), "{:?}", m.mpr_note);
        assert!(m.mpr.as_ref().is_some_and(|x| x.full.is_some()));
        let (w, h) = (48u32, 40u32);
        let mut scene = Scene::default();
        let prepare = |gpu: &Headless, scene: &mut Scene, m: &mut Model, k: usize| {
            (0..100)
                .find_map(|_| scene.prepare_plane(gpu.renderer(), m, k, [0, 0, w, h]))
                .unwrap_or_else(|| panic!("plane {k} not drawn: {:?}", m.mpr_note))
        };
        // The sagittal plane: it crosses the slices, whose every other one is gone.
        let k = 1;
        let state = prepare(&gpu, &mut scene, &mut m, k);
        assert!(!m.mpr_refined[k] && m.mpr_refine_pending());
        let render = |gpu: &mut Headless, scene: &mut Scene, m: &Model, state: &DrawState| {
            let image = scene
                .image(m, Pane::Plane(k))
                .unwrap_or_else(|| panic!("no plane image"));
            gpu.render_rgba(image, state)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let moving = render(&mut gpu, &mut scene, &m, &state);
        let mpr = m.mpr.clone().unwrap_or_else(|| panic!("no planes"));
        let of_reduced = hounsfield_core::volume::resample(&mpr.volume, &mpr.plane(k), None);
        let want = hounsfield_core::pipeline::render_view_with(
            &of_reduced,
            m.mpr_pipeline().as_ref(),
            None,
            false,
            false,
            &mpr.view(k, w, h),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let want: Vec<u8> = want.pixels.iter().flat_map(|&g| [g, g, g, 255]).collect();
        let d = differing(&moving, &want, 1);
        assert!(
            d == 0,
            "the moving plane vs the CPU reference of the reduced volume: {d} values differ by more than 1"
        );
        // Still: refined from every voxel in the frames that follow, a row a frame (of 4
        // pixels), and shown once whole.
        scene.set_refine_pixels(4);
        let rows = mpr.plane(k).rows;
        // A refinement begun waits while the layout shows no planes (nothing asks for
        // frames meanwhile), and goes on when they are back.
        prepare(&gpu, &mut scene, &mut m, k);
        assert_eq!(m.mpr_refining_shown()[k], Some((1, rows)));
        assert_eq!(m.planes_redraw_after_ms(), Some(0), "the next band at once");
        m.apply(Action::Layout(Some(crate::mpr::Layout::Stack)));
        assert_eq!(m.mpr_refining_shown(), [None; 3]);
        assert!(!m.mpr_refine_pending() && m.planes_redraw_after_ms().is_none());
        m.apply(Action::Layout(Some(crate::mpr::Layout::Planes)));
        assert_eq!(m.mpr_refining_shown()[k], Some((1, rows)));
        let mut frames = 1;
        let state = loop {
            let state = prepare(&gpu, &mut scene, &mut m, k);
            frames += 1;
            if m.mpr_refined[k] {
                break state;
            }
            assert_eq!(m.mpr_refining[k], Some((frames, rows)));
            assert_eq!(
                render(&mut gpu, &mut scene, &m, &state),
                moving,
                "a plane partly refined is shown"
            );
        };
        assert_eq!((frames, m.mpr_refining[k]), (rows, None));
        // The other planes, each in one frame.
        scene.set_refine_pixels(usize::MAX);
        for other in [0, 2] {
            prepare(&gpu, &mut scene, &mut m, other);
            assert!(!m.mpr_refined[other]);
            prepare(&gpu, &mut scene, &mut m, other);
        }
        assert!(m.mpr_refined.iter().all(|&r| r) && !m.mpr_refine_pending());
        assert_eq!(
            m.planes_redraw_after_ms(),
            None,
            "nothing left to draw unasked"
        );
        let still = render(&mut gpu, &mut scene, &m, &state);
        let mut cpu = crate::cpu_scene::CpuScene::default();
        let mut want = Vec::new();
        cpu.render(&mut m, &[(Pane::Plane(k), [0, 0, w, h])], w, h, &mut want);
        let d = differing(&still, &want, 1);
        assert!(
            d == 0,
            "the refined plane vs the CPU scene (every voxel): {d} values differ by more than 1"
        );
        assert!(
            differing(&moving, &still, 16) > 0,
            "the reduced and the full volume look alike here: the refinement is not tested"
        );
        // Moved: drawn from the reduced volume again, until it stays.
        if let Some(x) = m.mpr.as_mut() {
            x.step(k, 1);
        }
        prepare(&gpu, &mut scene, &mut m, k);
        assert!(!m.mpr_refined[k] && m.mpr_refine_pending());
        assert_eq!(
            m.mpr_reduction, reduced,
            "the volume on the GPU stays reduced"
        );
    }

    /// The image on screen is drawn from its value cache once it stays (so that a window
    /// drag reads a value a pixel); an image scrolled away gives its cache back.
    #[test]
    fn only_the_image_on_screen_keeps_its_value_cache() {
        let Some(gpu) = Headless::for_tests() else {
            return;
        };
        let mut m = Model::new();
        let values: Vec<i16> = (0..16).map(|v| v * 50).collect();
        for id in 1..=3u64 {
            add_decoded(&mut m, id, id as f64, &values, Some((300.0, 600.0)));
        }
        m.apply(Action::FirstSlice);
        let mut scene = Scene::default();
        let panes = [(Pane::Stack, [0, 0, 40, 30])];
        let shown = |m: &Model| m.current.map(|c| c.id).unwrap_or_default();
        let from_values = |scene: &Scene, id: u64| {
            scene
                .images
                .get(&id)
                .is_some_and(GpuImage::drawn_from_values)
        };
        let first = shown(&m);
        assert_eq!(scene.prepare(gpu.renderer(), &mut m, &panes).len(), 1);
        assert!(!from_values(&scene, first), "a new place samples the image");
        m.apply(Action::AdjustWindow { dx: 5.0, dy: 3.0 });
        scene.prepare(gpu.renderer(), &mut m, &panes);
        assert!(
            from_values(&scene, first),
            "a window change reads the cache"
        );
        m.apply(Action::Slice(1));
        scene.prepare(gpu.renderer(), &mut m, &panes);
        assert_ne!(shown(&m), first);
        assert!(scene.images.contains_key(&first));
        assert!(
            !from_values(&scene, first),
            "the image scrolled away kept its cache"
        );
    }

    #[test]
    fn the_gpu_keeps_only_the_recently_shown_images() {
        let Some(gpu) = Headless::for_tests() else {
            return;
        };
        let mut m = Model::new();
        let values: Vec<i16> = (0..16).collect();
        for id in 1..=10u64 {
            add_decoded(&mut m, id, id as f64, &values, None);
        }
        let mut scene = Scene::default();
        // Three 4 x 4 images, at 4 bytes a sample.
        scene.set_image_cache_bytes(3 * 64);
        let shown = |m: &Model| m.current.map(|c| c.id).unwrap_or_default();
        m.apply(Action::FirstSlice);
        let mut order = Vec::new();
        for k in 0..10 {
            if k > 0 {
                m.apply(Action::Slice(1));
            }
            scene.ensure_uploaded(gpu.renderer(), &mut m);
            order.push(shown(&m));
            assert!(
                scene.images.contains_key(&shown(&m)),
                "slice {k} not uploaded"
            );
            assert!(
                scene.images.len() <= 3,
                "{} images kept",
                scene.images.len()
            );
        }
        let mut kept: Vec<u64> = scene.images.keys().copied().collect();
        kept.sort_unstable();
        let mut last: Vec<u64> = order[7..].to_vec();
        last.sort_unstable();
        assert_eq!(kept, last, "the three last shown are kept");
        // Back to a kept one: it becomes the most recent, and the next new image lets
        // the oldest other one go.
        m.apply(Action::Slice(-2));
        scene.ensure_uploaded(gpu.renderer(), &mut m);
        assert_eq!(shown(&m), order[7]);
        m.apply(Action::FirstSlice);
        scene.ensure_uploaded(gpu.renderer(), &mut m);
        let mut kept: Vec<u64> = scene.images.keys().copied().collect();
        kept.sort_unstable();
        let mut want = vec![order[0], order[7], order[9]];
        want.sort_unstable();
        assert_eq!(kept, want);
        // The planes' volume (10 slices of 4 x 4 16-bit voxels) goes up three slices a
        // frame, saying how far it is; the image cache goes first.
        m.apply(Action::Layout(Some(crate::mpr::Layout::Planes)));
        scene.set_volume_upload_bytes(3 * 32);
        let plane = |scene: &mut Scene, m: &mut Model| {
            scene
                .prepare_plane(gpu.renderer(), m, 0, [0, 0, 32, 32])
                .is_some()
        };
        for done in [3, 6, 9] {
            assert!(!plane(&mut scene, &mut m));
            assert_eq!(m.mpr_upload, Some((done, 10)));
            assert_eq!(m.planes_redraw_after_ms(), Some(0), "the next part at once");
            assert_eq!(scene.images.len(), 1);
            // Scrolling meanwhile keeps no more than the image on screen.
            m.apply(Action::Slice(-1));
            scene.ensure_uploaded(gpu.renderer(), &mut m);
            assert_eq!(
                scene.images.keys().copied().collect::<Vec<_>>(),
                vec![shown(&m)]
            );
        }
        assert!(plane(&mut scene, &mut m));
        assert_eq!(m.mpr_upload, None);
        assert!(matches!(scene.volume, Some((_, VolumeOnGpu::Ready(_)))));
        // With the series' volume on the GPU, only the image on screen stays besides it,
        // also while scrolling.
        assert_eq!(
            scene.images.keys().copied().collect::<Vec<_>>(),
            vec![shown(&m)]
        );
        m.apply(Action::Slice(1));
        scene.ensure_uploaded(gpu.renderer(), &mut m);
        assert_eq!(
            scene.images.keys().copied().collect::<Vec<_>>(),
            vec![shown(&m)]
        );
    }
}
