//! Drawing: the uniforms and bind groups of a draw state, and the draws into a pass or a
//! texture view.

use crate::params::Params;
use crate::pipelines::{Entry, PipelineKey, TexKind};
use crate::upload::GpuImage;
use crate::values::ValueKey;
use crate::{DrawState, RenderError, Renderer};
use bytemuck::Zeroable;
use hounsfield_core::pipeline::Voi;
use hounsfield_core::view::{Filter, Mapping};
use hounsfield_core::{ModalityLut, VoiLutFunction};

impl Renderer {
    /// Writes the parameters of `state` for drawing `image` at `viewport` (x, y, width,
    /// height in target pixels). Uploads tables only when they change; never the image.
    pub fn prepare(
        &self,
        image: &mut GpuImage,
        state: &DrawState,
        viewport: [u32; 4],
    ) -> Result<(), RenderError> {
        if state.frame >= image.frames {
            return Err(RenderError::FrameIndex(state.frame));
        }
        let grey = matches!(image.kind, TexKind::Uint | TexKind::Sint | TexKind::Float);
        if grey && state.pipeline.is_none() && !state.overlay && !state.shutter && !state.layer {
            return Err(RenderError::MissingPipeline);
        }
        self.update_tables(image, state);
        let mut view = state.view;
        view.width = viewport[2];
        view.height = viewport[3];
        let map = view.mapping(image.width, image.height);
        let mut p = Params::zeroed();
        p.background = state.background;
        p.origin = map.origin;
        p.axis_x = map.axis_x;
        p.axis_y = map.axis_y;
        p.viewport_origin = [viewport[0] as f32, viewport[1] as f32];
        p.image_size = [image.width as f32, image.height as f32];
        p.viewport_size = [viewport[2] as f32, viewport[3] as f32];
        p.filter_mode = u32::from(view.filter == Filter::Linear && image.kind != TexKind::Palette);
        p.invert_color = u32::from(state.invert);
        if let Some(pipe) = &state.pipeline {
            match &pipe.modality {
                ModalityLut::Identity => p.modality_kind = 0,
                ModalityLut::Rescale {
                    slope, intercept, ..
                } => {
                    p.modality_kind = 1;
                    p.slope = *slope as f32;
                    p.intercept = *intercept as f32;
                }
                ModalityLut::Table { lut, .. } => {
                    p.modality_kind = 2;
                    p.modality_first = lut.first_mapped as i32;
                    p.modality_len = lut.len() as u32;
                }
            }
            match &pipe.voi {
                Voi::Window {
                    center,
                    width,
                    function,
                } => {
                    p.voi_kind = match function {
                        VoiLutFunction::Linear => 0,
                        VoiLutFunction::LinearExact => 1,
                        VoiLutFunction::Sigmoid => 2,
                    };
                    p.center = *center as f32;
                    p.width = *width as f32;
                    // A Presentation LUT table goes in the VOI table's slot.
                    if let Some(plut) = &pipe.presentation_lut {
                        p.plut_len = plut.len() as u32;
                        p.plut_max = plut.max_output() as f32;
                    }
                }
                Voi::Table(lut) => {
                    p.voi_kind = 3;
                    p.voi_first = lut.first_mapped as i32;
                    p.voi_len = lut.len() as u32;
                    // With a Presentation LUT table the slot holds the two composed.
                    p.voi_max = pipe
                        .presentation_lut
                        .as_ref()
                        .map_or(lut.max_output(), |plut| plut.max_output())
                        as f32;
                }
            }
            p.inverse = u32::from(pipe.inverse);
        }
        if let Some((pal, _)) = &image.palette {
            p.palette_first = pal.red.first_mapped as i32;
            p.palette_len = pal.red.len() as u32;
            p.supplemental = u32::from(grey);
        }
        // A colour map of the display levels (grey images without a palette).
        let colormap = grey && image.colormap.is_some() && state.pipeline.is_some();
        if colormap {
            p.palette_first = 0;
            p.palette_len = 256;
        }
        let key = PipelineKey {
            kind: image.kind,
            filter: p.filter_mode,
            modality: p.modality_kind,
            voi: p.voi_kind,
            supplemental: p.supplemental,
            overlay: if state.layer {
                3
            } else if state.shutter {
                2
            } else {
                u32::from(state.overlay)
            },
            presentation: u32::from(p.plut_len > 0) | (p.inverse << 1) | (u32::from(colormap) << 2),
            entry: Entry::Image,
        };
        // A grey image shaded by a grey pipeline (no overlay, shutter, layer or
        // supplemental palette, whose stages need more than the sampled value) is drawn
        // from its value cache when it stays where it was.
        let values =
            (grey && key.overlay == 0 && key.supplemental == 0 && state.pipeline.is_some())
                .then(|| ValueKey::new(state.frame, viewport, p.filter_mode, &map));
        let from_values = image.values.choose(values);
        image.pipeline = Some((
            self.pipeline(PipelineKey {
                entry: if from_values {
                    Entry::Cached
                } else {
                    Entry::Image
                },
                ..key
            }),
            self.pipeline(PipelineKey {
                entry: Entry::Background,
                ..key
            }),
        ));
        let chunk_index = image
            .chunks
            .iter()
            .position(|c| state.frame >= c.first_frame && state.frame < c.first_frame + c.frames)
            .ok_or(RenderError::FrameIndex(state.frame))?;
        let chunk = &image.chunks[chunk_index];
        p.layer = (state.frame - chunk.first_frame) as u32;
        for tile in &chunk.tiles {
            let mut t = p;
            t.tile_min = [tile.owned_min[0] as f32, tile.owned_min[1] as f32];
            t.tile_max = [tile.owned_max[0] as f32, tile.owned_max[1] as f32];
            [t.cover_min, t.cover_max] =
                covered(&map, [viewport[2], viewport[3]], t.tile_min, t.tile_max);
            t.texture_origin = [tile.texture_origin[0] as f32, tile.texture_origin[1] as f32];
            self.queue
                .write_buffer(&tile.uniforms, 0, bytemuck::bytes_of(&t));
        }
        if from_values && let Some(values) = values {
            self.fill_values(image, key, values, chunk_index);
        }
        Ok(())
    }

    /// Records the draw of `image`, as the last [`prepare`](Self::prepare) set it up, into a
    /// render pass whose viewport and scissor the caller may have set; sets both to
    /// `viewport` (x, y, width, height in target pixels, the one given to `prepare`), which
    /// must lie inside the target. [`draw_clipped`](Self::draw_clipped) keeps a clip rectangle
    /// of the caller's (a scrolled panel).
    pub fn draw(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        image: &GpuImage,
        state: &DrawState,
        viewport: [u32; 4],
    ) {
        self.draw_clipped(pass, image, state, viewport, viewport);
    }

    /// As [`draw`](Self::draw), with the scissor set to the part of `viewport` inside `clip`
    /// (target pixels; it must lie inside the target, as a UI toolkit's clip rectangle
    /// does). Draws nothing when they do not meet.
    ///
    /// ```no_run
    /// # fn demo(renderer: &hounsfield_render::Renderer, pass: &mut wgpu::RenderPass<'_>,
    /// #         image: &hounsfield_render::GpuImage, state: &hounsfield_render::DrawState) {
    /// // A 512 x 512 image whose panel is scrolled: only its part inside the panel shows.
    /// renderer.draw_clipped(pass, image, state, [300, 0, 512, 512], [300, 0, 400, 300]);
    /// # }
    /// ```
    pub fn draw_clipped(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        image: &GpuImage,
        state: &DrawState,
        viewport: [u32; 4],
        clip: [u32; 4],
    ) {
        let Some((pipeline, background)) = &image.pipeline else {
            return;
        };
        let x0 = viewport[0].max(clip[0]);
        let y0 = viewport[1].max(clip[1]);
        let x1 = (viewport[0].saturating_add(viewport[2])).min(clip[0].saturating_add(clip[2]));
        let y1 = (viewport[1].saturating_add(viewport[3])).min(clip[1].saturating_add(clip[3]));
        if x1 <= x0 || y1 <= y0 {
            return;
        }
        pass.set_viewport(
            viewport[0] as f32,
            viewport[1] as f32,
            viewport[2] as f32,
            viewport[3] as f32,
            0.0,
            1.0,
        );
        pass.set_scissor_rect(x0, y0, x1 - x0, y1 - y0);
        let Some(chunk) = image
            .chunks
            .iter()
            .find(|c| state.frame >= c.first_frame && state.frame < c.first_frame + c.frames)
        else {
            return;
        };
        if state.paint_background
            && let Some(bg) = chunk.tiles.first().and_then(|t| t.bind_group.as_ref())
        {
            pass.set_pipeline(background);
            pass.set_bind_group(0, bg, &[]);
            pass.draw(0..3, 0..1);
        }
        pass.set_pipeline(pipeline);
        if image.values.in_use {
            let Some(values) = image.values.bind_group() else {
                return;
            };
            pass.set_bind_group(1, values, &[]);
        }
        chunk.draw_tiles(pass);
    }

    /// Prepares, encodes and submits a draw of `image` into `target` at `viewport`
    /// (clearing it to the background first).
    pub fn render_to_view(
        &self,
        image: &mut GpuImage,
        state: &DrawState,
        target: &wgpu::TextureView,
        viewport: [u32; 4],
    ) -> Result<wgpu::SubmissionIndex, RenderError> {
        self.prepare(image, state, viewport)?;
        // The clear paints the background.
        let state = DrawState {
            paint_background: false,
            ..state.clone()
        };
        Ok(
            self.submit_pass(target, state.background, "hounsfield render", |pass| {
                self.draw(pass, image, &state, viewport)
            }),
        )
    }
}

/// The output pixels of a `size` viewport whose centres `map` takes into `[lo, hi)` of the
/// image (the CPU reference's test, in its own arithmetic), as the rectangle `[min, max]`
/// of their edges: views turn by quarter turns, so each image axis follows one output
/// axis and the pixels make a rectangle. Empty (min = max) when none do.
fn covered(map: &Mapping, size: [u32; 2], lo: [f32; 2], hi: [f32; 2]) -> [[f32; 2]; 2] {
    let mut rect = [[0.0f32; 2]; 2];
    for out in 0..2 {
        // The image axis this output axis moves along (its coefficient is exactly 0 for
        // the other one).
        let step = if out == 0 { map.axis_x } else { map.axis_y };
        let k = usize::from(step[1].abs() > step[0].abs());
        let at = |i: u32| {
            let c = i as f32 + 0.5;
            let [x, y] = if out == 0 {
                map.image_at(c, 0.5)
            } else {
                map.image_at(0.5, c)
            };
            [x, y][k]
        };
        let n = size[out];
        // The first pixel at which `past` holds (it holds from there on), by bisection.
        let first = |past: &dyn Fn(f32) -> bool| {
            let (mut a, mut b) = (0u32, n);
            while a < b {
                let m = a + (b - a) / 2;
                if past(at(m)) {
                    b = m;
                } else {
                    a = m + 1;
                }
            }
            a
        };
        let (start, end) = if step[k] >= 0.0 {
            (first(&|v| v >= lo[k]), first(&|v| v >= hi[k]))
        } else {
            (first(&|v| v < hi[k]), first(&|v| v < lo[k]))
        };
        let end = end.max(start);
        rect[0][out] = start as f32;
        rect[1][out] = end as f32;
    }
    rect
}

#[cfg(test)]
mod tests {
    use crate::DrawState;
    use crate::headless::Headless;
    use hounsfield_core::pipeline::{GreyPipeline, Voi, render_view_with};
    use hounsfield_core::view::{Filter, View};
    use hounsfield_core::{Frame, FrameColor, ModalityLut, Samples, VoiLutFunction};

    /// An image's edges lie where the CPU reference puts them at any placement, turn and
    /// flip: a pixel whose centre maps inside the image is drawn and one whose centre maps
    /// outside is not, however close to the edge the centre lies. The quad's corners are
    /// the edges of the pixels the CPU's arithmetic takes in (`covered`); this checks them
    /// against the CPU reference. (A quad placed by the forward transform was right here,
    /// on lavapipe's fine sub-pixel grid; SwiftShader's, in the browser, took in an edge
    /// row that lay 0.03 pixel from a pixel centre: the browser test's sweep of pane
    /// heights covers that.)
    #[test]
    fn image_edges_are_the_cpu_references_at_every_placement() {
        let Some(mut gpu) = Headless::for_tests() else {
            return;
        };
        // A bright 7 x 5 frame of float values (as a resampled plane is) over black.
        let frame = Frame {
            width: 7,
            height: 5,
            color: FrameColor::Monochrome,
            samples: Samples::F32((0..35).map(|v| 500.0 + v as f32).collect()),
            bits_stored: 32,
            signed: true,
        };
        let pipe = GreyPipeline {
            modality: ModalityLut::Identity,
            voi: Voi::Window {
                center: 300.0,
                width: 800.0,
                function: VoiLutFunction::Linear,
            },
            inverse: false,
            presentation_lut: None,
        };
        let mut image = gpu
            .renderer()
            .upload(std::slice::from_ref(&frame), None)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut compared = 0;
        let mut differing = Vec::new();
        for (w, h) in [(40, 31), (41, 30), (37, 52), (64, 47), (56, 40), (14, 10)] {
            for zoom in [1.0, 0.5, 0.61, 1.37] {
                // Edges on pixel boundaries and centres, and a thousandth of a pixel to
                // either side of them.
                for pan in [0.0, 0.5, 0.001, -0.001, 0.499, 0.501, 0.249, 0.751] {
                    for (filter, rotation) in [
                        (Filter::Nearest, 0),
                        (Filter::Linear, 0),
                        (Filter::Nearest, 1),
                        (Filter::Linear, 2),
                        (Filter::Nearest, 3),
                    ] {
                        let view = View {
                            zoom,
                            pan: [pan, -pan],
                            filter,
                            rotation,
                            flip_horizontal: rotation % 2 == 1,
                            flip_vertical: rotation >= 2,
                            ..View::fit(w, h)
                        };
                        let state = DrawState {
                            pipeline: Some(pipe.clone()),
                            ..DrawState::new(view)
                        };
                        let got = gpu
                            .render_rgba(&mut image, &state)
                            .unwrap_or_else(|e| panic!("{e}"));
                        let want = render_view_with(&frame, Some(&pipe), None, false, false, &view)
                            .unwrap_or_else(|e| panic!("{e}"));
                        for (i, (g, c)) in got.chunks_exact(4).zip(&want.pixels).enumerate() {
                            compared += 1;
                            if g[0].abs_diff(*c) > 1 {
                                differing.push((
                                    w,
                                    h,
                                    zoom,
                                    pan,
                                    i as u32 % w,
                                    i as u32 / w,
                                    g[0],
                                    *c,
                                ));
                            }
                        }
                    }
                }
            }
        }
        assert!(compared > 100_000, "{compared} pixels compared");
        assert!(
            differing.is_empty(),
            "{} of {compared} pixels differ from the CPU reference, first (w, h, zoom, pan, turns, x, y, GPU, CPU): {:?}",
            differing.len(),
            &differing[..differing.len().min(6)]
        );
    }
}
