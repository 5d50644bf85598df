// Segment masks placed on a plane cut through a volume, on the GPU, as
// Segmentation::plane_layers places them on the CPU (crates/hounsfield-layers,
// src/planes.rs): the frames of a segment form a stack along their normal; a plane pixel
// takes the frame nearest its centre along the normal (the lower of two as near), when
// it lies within that frame's tolerance, and that frame's pixel nearest its centre.
//
// The segmentation's frames are uploaded once (one layer of an integer array per frame:
// a binary or fractional frame's coverage 0-255, a labelmap frame's segment numbers).
// Each mask of the plane is one pass into one layer of an R16Uint array, in the texel
// format of shaders/masks.wgsl without EDGE bits: the plane's masks lie on its own grid,
// where the composition finds the edges from the neighbouring texels. Positions are
// relative to an anchor point of the segmentation, so that single precision keeps
// sub-micrometre steps.

struct PlaceParams {
    // Plane pixel (0, 0)'s centre, and the steps to the next column and row (mm).
    origin: vec3<f32>,
    columns: u32,
    column_step: vec3<f32>,
    rows: u32,
    row_step: vec3<f32>,
    // The stack's frames in the frame table: [first, first + count).
    first: u32,
    normal: vec3<f32>,
    count: u32,
    // 0: the frames' values are coverage; else the segment number a labelmap's value
    // must equal (covered 255).
    label: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct FrameInfo {
    origin: vec3<f32>,
    distance: f32,
    column_step: vec3<f32>,
    tolerance: f32,
    row_step: vec3<f32>,
    layer: u32,
}

@group(0) @binding(0) var<uniform> params: PlaceParams;
@group(0) @binding(1) var<storage, read> frames: array<FrameInfo>;
@group(0) @binding(2) var values: texture_2d_array<u32>;

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let x = f32(i32(i & 1u) * 4 - 1);
    let y = f32(i32(i & 2u) * 2 - 1);
    return vec4<f32>(x, y, 0.0, 1.0);
}

// The coverage (0-255) of plane pixel (i, j); 0 off the plane.
fn cover_at(i: i32, j: i32) -> u32 {
    if (i < 0 || j < 0 || i >= i32(params.columns) || j >= i32(params.rows) || params.count == 0u) {
        return 0u;
    }
    let p = params.origin + f32(i) * params.column_step + f32(j) * params.row_step;
    let d = dot(p, params.normal);
    // The first frame at or beyond d.
    var lo = 0u;
    var hi = params.count;
    loop {
        if (lo >= hi) {
            break;
        }
        let mid = (lo + hi) / 2u;
        if (frames[params.first + mid].distance < d) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    var best = lo;
    if (lo == params.count) {
        best = lo - 1u;
    } else if (lo > 0u) {
        let below = abs(frames[params.first + lo - 1u].distance - d);
        let above = abs(frames[params.first + lo].distance - d);
        if (below <= above) {
            best = lo - 1u;
        }
    }
    let f = frames[params.first + best];
    if (abs(f.distance - d) > f.tolerance) {
        return 0u;
    }
    let rel = p - f.origin;
    let m = vec2<i32>(
        i32(floor(dot(rel, f.column_step) / dot(f.column_step, f.column_step) + 0.5)),
        i32(floor(dot(rel, f.row_step) / dot(f.row_step, f.row_step) + 0.5)),
    );
    let size = vec2<i32>(textureDimensions(values));
    if (m.x < 0 || m.y < 0 || m.x >= size.x || m.y >= size.y) {
        return 0u;
    }
    let v = textureLoad(values, m, i32(f.layer), 0).r;
    if (params.label == 0u) {
        return min(v, 255u);
    }
    return select(0u, 255u, v == params.label);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<u32> {
    return vec4<u32>(cover_at(i32(floor(position.x)), i32(floor(position.y))), 0u, 0u, 0u);
}
