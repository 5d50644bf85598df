//! `--renderer cpu`: the image area drawn with the CPU reference pipeline.

use super::model::Model;
use super::mpr::Pane;
use hounsfield_render::Renderer;
use hounsfield_viewer::cpu_scene::CpuScene;

/// The image area drawn on the CPU (`--renderer cpu`): the panes through the reference
/// pipeline into one RGBA frame, uploaded as an 8-bit RGB image and drawn one to one
/// (an exact copy); with whether an image was drawn.
pub(super) fn cpu_frame(
    renderer: &Renderer,
    scene: &mut CpuScene,
    rgba: &mut Vec<u8>,
    model: &mut Model,
    panes: &[(Pane, [u32; 4])],
    viewport: [u32; 4],
) -> Option<(
    hounsfield_render::GpuImage,
    hounsfield_render::DrawState,
    bool,
)> {
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
    let drawn = scene.render(model, &local, vw, vh, rgba).image_drawn;
    let frame = hounsfield_core::Frame {
        width: vw,
        height: vh,
        color: hounsfield_core::FrameColor::Rgb,
        samples: hounsfield_core::Samples::U8(
            rgba.chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
        ),
        bits_stored: 8,
        signed: false,
    };
    let state = hounsfield_render::DrawState::new(hounsfield_core::view::View::native(vw, vh));
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
    Some((image, state, drawn))
}
