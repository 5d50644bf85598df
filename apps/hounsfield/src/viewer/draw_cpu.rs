//! `--renderer cpu`: the image area drawn with the CPU reference pipeline.

use super::model::Model;
use super::mpr::Pane;
use hounsfield_render::{DrawState, GpuImage, Renderer};
use hounsfield_viewer::cpu_scene::CpuScene;

/// The CPU path's state: the scene, its RGBA frame, and that frame on the GPU as last
/// uploaded, with the viewport it was prepared for and whether it showed an image.
#[derive(Default)]
pub(super) struct CpuDrawing {
    scene: CpuScene,
    rgba: Vec<u8>,
    shown: Option<(GpuImage, DrawState, [u32; 4], bool)>,
}

impl CpuDrawing {
    /// Whether plane view `k` has been drawn at its current position.
    pub(super) fn plane_ready(&self, k: usize) -> bool {
        self.scene.plane_ready(k)
    }

    /// Lets the last upload go (its device is gone): the next frame uploads anew.
    pub(super) fn forget_upload(&mut self) {
        self.shown = None;
    }
}

/// The image area drawn on the CPU (`--renderer cpu`): the panes through the reference
/// pipeline into one RGBA frame, uploaded as an 8-bit RGB image and drawn one to one
/// (an exact copy); with whether an image was drawn. A frame that shows what the last
/// one showed, in the same place, draws the last upload again.
pub(super) fn cpu_frame<'a>(
    renderer: &Renderer,
    cpu: &'a mut CpuDrawing,
    model: &mut Model,
    panes: &[(Pane, [u32; 4])],
    viewport: [u32; 4],
) -> Option<(&'a GpuImage, &'a DrawState, bool)> {
    let [vx, vy, vw, vh] = viewport;
    if vw == 0 || vh == 0 {
        return None;
    }
    let local: Vec<(Pane, [u32; 4])> = panes
        .iter()
        .map(|&(p, r)| {
            (
                p,
                [r[0].saturating_sub(vx), r[1].saturating_sub(vy), r[2], r[3]],
            )
        })
        .collect();
    let rendered = cpu.scene.render(model, &local, vw, vh, &mut cpu.rgba);
    let kept = !rendered.changed && cpu.shown.as_ref().is_some_and(|s| s.2 == viewport);
    if !kept {
        cpu.shown = None;
        let frame = hounsfield_core::Frame {
            width: vw,
            height: vh,
            color: hounsfield_core::FrameColor::Rgb,
            samples: hounsfield_core::Samples::U8(
                cpu.rgba
                    .chunks_exact(4)
                    .flat_map(|p| [p[0], p[1], p[2]])
                    .collect(),
            ),
            bits_stored: 8,
            signed: false,
        };
        let state = DrawState::new(hounsfield_core::view::View::native(vw, vh));
        let mut image = match renderer.upload(&[frame], None) {
            Ok(i) => i,
            Err(e) => {
                model.message(format!("cannot show the image: {e}"));
                return None;
            }
        };
        if let Err(e) = renderer.prepare(&mut image, &state, viewport) {
            model.message(format!("cannot draw: {e}"));
            return None;
        }
        cpu.shown = Some((image, state, viewport, rendered.image_drawn));
    }
    cpu.shown
        .as_ref()
        .map(|(image, state, _, drawn)| (image, state, *drawn))
}
