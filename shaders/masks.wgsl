// Segment masks composed on the GPU into the layer drawn over an image or plane (the
// display shader's OVERLAY 3), as PlacedMasks::style does on the CPU
// (crates/hounsfield-layers, src/masks.rs).
//
// The masks go to the GPU once, placed on the image's pixel grid: one layer of an R16Uint
// array per mask, each texel the coverage (0-255) of the mask pixel under the image pixel
// and bit 8 (EDGE) when that mask pixel is an edge. A change of colour, opacity or
// visibility changes only the style table and runs this pass again, one fragment per
// image pixel; drawing the composed layer costs one texel per screen pixel, however many
// segments there are.

struct ComposeParams {
    // Styles in the table, drawn in order.
    count: u32,
    // 1: edge texels are opaque in their colour.
    outline: u32,
    // 1: start from `under` (premultiplied RGBA, the fused series), else from nothing.
    has_under: u32,
    // 1: lay `over` (premultiplied RGBA, the structure sets' contours) on top.
    has_over: u32,
}

// 1: the masks carry no EDGE bits (masks placed on this grid, such as a plane's): a texel
// at least half covered is an edge when a 4-neighbour on the grid is not. A pipeline
// constant, not a uniform: a CPU rasteriser such as lavapipe runs both sides of a branch.
override GRID_EDGES: u32 = 0u;

@group(0) @binding(0) var<uniform> params: ComposeParams;
@group(0) @binding(1) var masks: texture_2d_array<u32>;
// One texel per style: the mask's layer, its colour (red | green << 8 | blue << 16) and its
// fill opacity of 255.
@group(0) @binding(2) var styles: texture_2d<u32>;
@group(0) @binding(3) var under: texture_2d<f32>;
@group(0) @binding(4) var over: texture_2d<f32>;

const EDGE: u32 = 256u;

// Whether the texel at `c` of mask `layer` is at least half covered (off the grid: no).
fn inside(c: vec2<i32>, layer: i32) -> bool {
    let size = vec2<i32>(textureDimensions(masks));
    if (c.x < 0 || c.y < 0 || c.x >= size.x || c.y >= size.y) {
        return false;
    }
    return (textureLoad(masks, c, layer, 0).r & 255u) >= 128u;
}

// One triangle covering the target.
@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let x = f32(i32(i & 1u) * 4 - 1);
    let y = f32(i32(i & 2u) * 2 - 1);
    return vec4<f32>(x, y, 0.0, 1.0);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let c = vec2<i32>(floor(position.xy));
    var acc = vec4<f32>(0.0);
    if (params.has_under == 1u) {
        acc = textureLoad(under, c, 0);
    }
    for (var s = 0u; s < params.count; s = s + 1u) {
        let style = textureLoad(styles, vec2<i32>(i32(s), 0), 0);
        let v = textureLoad(masks, c, i32(style.x), 0).r;
        let cover = v & 255u;
        if (cover == 0u) {
            continue;
        }
        var edge = (v & EDGE) != 0u;
        if (GRID_EDGES == 1u && params.outline == 1u && cover >= 128u) {
            let l = i32(style.x);
            edge = !(inside(c + vec2<i32>(-1, 0), l) && inside(c + vec2<i32>(1, 0), l)
                && inside(c + vec2<i32>(0, -1), l) && inside(c + vec2<i32>(0, 1), l));
        }
        var a = f32(style.z) * f32(cover) / 65025.0;
        if (params.outline == 1u && edge) {
            a = 1.0;
        }
        let k = vec3<f32>(
            f32(style.y & 255u),
            f32((style.y >> 8u) & 255u),
            f32((style.y >> 16u) & 255u),
        ) / 255.0;
        acc = vec4<f32>(k * a + acc.rgb * (1.0 - a), a + acc.a * (1.0 - a));
    }
    if (params.has_over == 1u) {
        let t = textureLoad(over, c, 0);
        acc = t + acc * (1.0 - t.a);
    }
    return acc;
}
