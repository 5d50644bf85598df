//! The parameter block of `shaders/display.wgsl`, mirrored field for field.

use bytemuck::{Pod, Zeroable};

/// The uniform block `Params` of the display shader. `#[repr(C)]` with the WGSL layout:
/// vec4 first, vec2s next, then scalars, padded to a multiple of 16 bytes. A test checks
/// every offset against the shader as naga lays it out.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable, PartialEq)]
pub(crate) struct Params {
    pub background: [f32; 4],
    pub origin: [f32; 2],
    pub axis_x: [f32; 2],
    pub axis_y: [f32; 2],
    pub cover_min: [f32; 2],
    pub cover_max: [f32; 2],
    pub _pad_cover: [f32; 2],
    pub viewport_origin: [f32; 2],
    pub image_size: [f32; 2],
    pub viewport_size: [f32; 2],
    pub tile_min: [f32; 2],
    pub tile_max: [f32; 2],
    pub texture_origin: [f32; 2],
    pub layer: u32,
    pub filter_mode: u32,
    pub modality_kind: u32,
    pub voi_kind: u32,
    pub slope: f32,
    pub intercept: f32,
    pub modality_first: i32,
    pub modality_len: u32,
    pub center: f32,
    pub width: f32,
    pub voi_first: i32,
    pub voi_len: u32,
    pub voi_max: f32,
    pub inverse: u32,
    pub invert_color: u32,
    pub palette_first: i32,
    pub palette_len: u32,
    pub supplemental: u32,
    /// Entries of the Presentation LUT table in the VOI table's slot (0: none).
    pub plut_len: u32,
    /// Its output range (2^bits - 1).
    pub plut_max: f32,
    pub _pad: [u32; 4],
}

/// The WGSL source of the display shader.
pub(crate) const DISPLAY_WGSL: &str = include_str!("../shaders/display.wgsl");

/// The shader for one kind of image texture: `sample_type` is the WGSL scalar of the
/// texture (`u32`, `i32`, `f32`), `kind` 0 for grey, 1 for RGB, 2 for palette indices.
pub(crate) fn display_shader(sample_type: &str, kind: u32) -> String {
    DISPLAY_WGSL
        .replace("SAMPLE_TYPE", sample_type)
        .replace("SAMPLE_KIND", &format!("{kind}u"))
}

/// Size and member offsets of struct `name` in WGSL `source`, as naga lays it out.
#[cfg(test)]
pub(crate) fn wgsl_struct_layout(source: &str, name: &str) -> (u32, Vec<(String, u32)>) {
    let module = naga::front::wgsl::parse_str(source).expect("the shader parses");
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).expect("layout");
    for (_, ty) in module.types.iter() {
        if ty.name.as_deref() == Some(name)
            && let naga::TypeInner::Struct { members, span } = &ty.inner
        {
            return (
                *span,
                members
                    .iter()
                    .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
                    .collect(),
            );
        }
    }
    panic!("no {name} struct in the shader");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wgsl_layout() -> (u32, Vec<(String, u32)>) {
        wgsl_struct_layout(&display_shader("u32", 0), "Params")
    }

    #[test]
    fn params_match_the_shader_layout() {
        let (size, members) = wgsl_layout();
        assert_eq!(size as usize, std::mem::size_of::<Params>(), "struct size");
        let rust: &[(&str, usize)] = &[
            ("background", std::mem::offset_of!(Params, background)),
            ("origin", std::mem::offset_of!(Params, origin)),
            ("axis_x", std::mem::offset_of!(Params, axis_x)),
            ("axis_y", std::mem::offset_of!(Params, axis_y)),
            ("cover_min", std::mem::offset_of!(Params, cover_min)),
            ("cover_max", std::mem::offset_of!(Params, cover_max)),
            (
                "viewport_origin",
                std::mem::offset_of!(Params, viewport_origin),
            ),
            ("image_size", std::mem::offset_of!(Params, image_size)),
            ("viewport_size", std::mem::offset_of!(Params, viewport_size)),
            ("tile_min", std::mem::offset_of!(Params, tile_min)),
            ("tile_max", std::mem::offset_of!(Params, tile_max)),
            (
                "texture_origin",
                std::mem::offset_of!(Params, texture_origin),
            ),
            ("layer", std::mem::offset_of!(Params, layer)),
            ("filter_mode", std::mem::offset_of!(Params, filter_mode)),
            ("modality_kind", std::mem::offset_of!(Params, modality_kind)),
            ("voi_kind", std::mem::offset_of!(Params, voi_kind)),
            ("slope", std::mem::offset_of!(Params, slope)),
            ("intercept", std::mem::offset_of!(Params, intercept)),
            (
                "modality_first",
                std::mem::offset_of!(Params, modality_first),
            ),
            ("modality_len", std::mem::offset_of!(Params, modality_len)),
            ("center", std::mem::offset_of!(Params, center)),
            ("width", std::mem::offset_of!(Params, width)),
            ("voi_first", std::mem::offset_of!(Params, voi_first)),
            ("voi_len", std::mem::offset_of!(Params, voi_len)),
            ("voi_max", std::mem::offset_of!(Params, voi_max)),
            ("inverse", std::mem::offset_of!(Params, inverse)),
            ("invert_color", std::mem::offset_of!(Params, invert_color)),
            ("palette_first", std::mem::offset_of!(Params, palette_first)),
            ("palette_len", std::mem::offset_of!(Params, palette_len)),
            ("supplemental", std::mem::offset_of!(Params, supplemental)),
            ("plut_len", std::mem::offset_of!(Params, plut_len)),
            ("plut_max", std::mem::offset_of!(Params, plut_max)),
        ];
        let named: Vec<&(String, u32)> = members
            .iter()
            .filter(|(n, _)| !n.starts_with('_'))
            .collect();
        assert_eq!(
            named.len(),
            rust.len(),
            "same fields in WGSL and Rust: {named:?}"
        );
        for ((wname, woff), (rname, roff)) in named.iter().zip(rust) {
            assert_eq!(wname, rname, "field order");
            assert_eq!(*woff as usize, *roff, "offset of {rname}");
        }
    }

    #[test]
    fn every_variant_compiles() {
        for (t, k) in [("u32", 0), ("i32", 0), ("f32", 0), ("f32", 1), ("u32", 2)] {
            crate::test_support::assert_valid_wgsl(&display_shader(t, k), &format!("{t}/{k}"));
        }
    }
}
