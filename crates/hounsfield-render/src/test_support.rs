//! What the renderer's tests share: WGSL validation, and a composed layer drawn over black
//! and over white, compared with the CPU's compositing. (A headless device, or a skip:
//! [`Headless::for_tests`].)

use crate::GpuImage;
use crate::headless::Headless;
use hounsfield_core::layers::composite::{LayerImage, composite};
use hounsfield_core::pipeline::RenderedImage;
use hounsfield_core::view::{Filter, View};

/// Parses and validates WGSL `source` with naga, panicking with `what` and the error
/// placed in the source.
pub(crate) fn assert_valid_wgsl(source: &str, what: &str) {
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{what}: {}", e.emit_to_string(source)));
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{what}: {e:?}"));
}

/// Draws `composed` at its own size over black and over white and checks each against
/// the CPU compositing `painted` over the same grey (within 1: the GPU composes in single
/// precision into 8-bit texels and blends those); returns how many pixels the layer
/// covers.
pub(crate) fn assert_drawn_as(
    gpu: &mut Headless,
    composed: &mut GpuImage,
    painted: &LayerImage,
    what: &str,
) -> usize {
    let (w, h) = (painted.columns, painted.rows);
    let view = View {
        filter: Filter::Nearest,
        ..View::native(w, h)
    };
    let mut covered = 0;
    for grey in [0u8, 255] {
        let mut cpu = RenderedImage {
            width: w,
            height: h,
            channels: 1,
            pixels: vec![grey; (w * h) as usize],
            pipeline: None,
        };
        composite(&mut cpu, &view, painted);
        let g = f32::from(grey) / 255.0;
        let state = crate::DrawState {
            background: [g, g, g, 1.0],
            layer: true,
            ..crate::DrawState::new(view)
        };
        let rgba = gpu.render_rgba(composed, &state).expect("draw");
        let got: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| p[..3].to_vec()).collect();
        let differing: Vec<(u32, u32, &[u8], &[u8])> = got
            .chunks(3)
            .zip(cpu.pixels.chunks(3))
            .enumerate()
            .filter(|(_, (a, b))| a.iter().zip(*b).any(|(x, y)| x.abs_diff(*y) > 1))
            .map(|(i, (a, b))| (i as u32 % w, i as u32 / w, a, b))
            .collect();
        assert!(
            differing.is_empty(),
            "{what} over grey {grey}: {} pixels differ by more than 1, first (x, y, GPU, CPU): \
             {:?}",
            differing.len(),
            &differing[..differing.len().min(4)]
        );
        covered = cpu.pixels.chunks(3).filter(|p| *p != [grey; 3]).count();
    }
    covered
}
