// The DICOM display pipeline (PS3.3 C.11, PS3.14) on the GPU, stage by stage, with the
// names of the CPU reference (hounsfield-core, src/pipeline.rs):
//
//   sample_stored -> modality_transform -> voi_transform -> presentation_transform
//          -> palette_lookup (colour-mapped values) -> output_encode
//
// The image holds raw stored values in an integer (or float) texture array, one layer per
// frame; every display change is a change of `Params`. This file is a template: the
// renderer replaces SAMPLE_TYPE with u32, i32 or f32 and SAMPLE_KIND with the kind of the
// image texture (0 grey, 1 RGB, 2 palette indices) before compiling it.
//
// Which stages exist (filter, modality and VOI kinds, supplemental palette) is fixed per
// pipeline by override constants, so that a compiler can drop the stages not in use: a
// CPU rasteriser such as lavapipe otherwise runs every branch under a mask. Switching VOI
// function selects another (cached) pipeline; changing the window changes only `Params`.

// One definition of the parameter block, mirrored by `Params` in crates/hounsfield-render
// (checked by a test of its size and offsets).
struct Params {
    background: vec4<f32>,
    // View, output -> image: the image coordinate of output pixel centre p (relative to
    // the viewport) is fma(p.y, axis_y, fma(p.x, axis_x, origin)), as the CPU reference
    // computes it; pixel i covers [i, i + 1).
    origin: vec2<f32>,
    axis_x: vec2<f32>,
    axis_y: vec2<f32>,
    // The output pixels the tile covers (viewport pixels, edges at integers): those whose
    // centre maps into the tile, as the CPU reference decides (see vs_main).
    cover_min: vec2<f32>,
    cover_max: vec2<f32>,
    _pad_cover: vec2<f32>,
    viewport_origin: vec2<f32>,
    image_size: vec2<f32>,
    viewport_size: vec2<f32>,
    // The part of the image this tile draws, and where its texture starts.
    tile_min: vec2<f32>,
    tile_max: vec2<f32>,
    texture_origin: vec2<f32>,
    layer: u32,
    filter_mode: u32,       // 0 nearest, 1 bilinear on stored values
    modality_kind: u32,     // 0 identity, 1 rescale, 2 table
    voi_kind: u32,          // 0 LINEAR, 1 LINEAR_EXACT, 2 SIGMOID, 3 table
    slope: f32,
    intercept: f32,
    modality_first: i32,
    modality_len: u32,
    center: f32,
    width: f32,
    voi_first: i32,
    voi_len: u32,
    voi_max: f32,
    inverse: u32,           // presentation: 1 = INVERSE
    invert_color: u32,      // colour and palette images: 1 = inverted
    palette_first: i32,
    palette_len: u32,
    supplemental: u32,      // 1 = supplemental palette over a grey image
    plut_len: u32,          // a Presentation LUT table in voi_lut's slot: its entries
    plut_max: f32,          // and its output range
    _pad2: u32,
    _pad3: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var image_texture: texture_2d_array<SAMPLE_TYPE>;
@group(0) @binding(2) var modality_lut: texture_2d<u32>;
@group(0) @binding(3) var voi_lut: texture_2d<u32>;
@group(0) @binding(4) var palette_texture: texture_2d<f32>;
// Nearest, clamped to the edges: fetches the 2 x 2 texels of a bilinear sample at once.
@group(0) @binding(5) var gather_sampler: sampler;

const KIND: u32 = SAMPLE_KIND;
// Float samples below this are no data (hounsfield_core::volume::NO_DATA_BELOW).
const NO_DATA_BELOW: f32 = -1.0e30;
override FILTER_MODE: u32 = 0u;
override MODALITY_KIND: u32 = 0u;
override VOI_KIND: u32 = 0u;
override SUPPLEMENTAL: u32 = 0u;
// 1 for an overlay bitmap (PS3.3 C.9.2) drawn over an image: set samples are drawn at
// full brightness ("replace" mode), the others leave the image beneath as it is.
// 2 for a display shutter (PS3.3 C.7.6.11): samples above 0 cover the pixel in grey level
// sample - 1 (of 255), 0 leaves the image.
// 3 for a layer (segmentations): RGBA texels of colour premultiplied by coverage, and the
// coverage, blended over the pass (premultiplied alpha blending).
override OVERLAY: u32 = 0u;
// The Presentation stage, fixed per pipeline as the stages above (a branch on a uniform
// costs a CPU rasteriser both sides): bit 0, a Presentation LUT table in voi_lut's slot
// (params.plut_len entries); bit 1, INVERSE; bit 2, a colour map of the display level
// (in the palette's slot).
override PRESENTATION: u32 = 0u;

// The tile's pixels as two triangles: the output pixels whose centres map into the tile,
// found on the CPU with the reference's own arithmetic (views turn by quarter turns, so
// they make a rectangle). Its corners lie on pixel edges, which every rasteriser's
// sub-pixel grid holds exactly: the rounding of a corner near a pixel centre (1/16 pixel
// on some software rasterisers) can take no pixel in or leave none out. The image
// coordinate is computed per fragment from its exact pixel centre.
@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    var corners = array<vec2<u32>, 6>(
        vec2<u32>(0u, 0u), vec2<u32>(1u, 0u), vec2<u32>(0u, 1u),
        vec2<u32>(0u, 1u), vec2<u32>(1u, 0u), vec2<u32>(1u, 1u),
    );
    let c = corners[i];
    let p = vec2<f32>(
        select(params.cover_min.x, params.cover_max.x, c.x == 1u),
        select(params.cover_min.y, params.cover_max.y, c.y == 1u),
    );
    let ndc = vec2<f32>(p.x / params.viewport_size.x * 2.0 - 1.0, 1.0 - p.y / params.viewport_size.y * 2.0);
    return vec4<f32>(ndc, 0.0, 1.0);
}

// The whole viewport in the background colour (for callers that draw into their own pass).
@vertex
fn vs_background(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let x = f32(i32(i & 1u) * 4 - 1);
    let y = f32(i32(i & 2u) * 2 - 1);
    return vec4<f32>(x, y, 0.0, 1.0);
}

@fragment
fn fs_background() -> @location(0) vec4<f32> {
    return params.background;
}

// Entry i of a table stored 256 entries per row.
fn table_entry(t: texture_2d<u32>, i: u32) -> u32 {
    return textureLoad(t, vec2<i32>(i32(i % 256u), i32(i / 256u)), 0).r;
}

// Stage 1: one stored value (texture coordinates relative to the image).
fn load_texel(c: vec2<i32>) -> vec4<f32> {
    let t = c - vec2<i32>(params.texture_origin);
    return vec4<f32>(textureLoad(image_texture, t, i32(params.layer), 0));
}

// The pixel containing `img`, kept inside the tile (the quad holds the pixels whose
// centres map into the tile; this guards a GPU whose arithmetic rounds otherwise).
fn nearest_texel(img: vec2<f32>) -> vec2<i32> {
    return clamp(vec2<i32>(floor(img)), vec2<i32>(params.tile_min), vec2<i32>(params.tile_max) - vec2<i32>(1));
}

fn clamp_texel(c: vec2<i32>) -> vec2<i32> {
    return clamp(c, vec2<i32>(0), vec2<i32>(params.image_size) - vec2<i32>(1));
}

// Stage 1, sampling: nearest, or bilinear on stored values (integer textures cannot be
// filtered; interpolation happens before any windowing).
fn sample_stored(img: vec2<f32>) -> vec4<f32> {
    if (FILTER_MODE == 0u) {
        return load_texel(nearest_texel(img));
    }
    let s = img - vec2<f32>(0.5);
    let i0 = vec2<i32>(floor(s));
    let f = s - floor(s);
    if (KIND == 0u) {
        // A grey image takes the four texels with one gather (on a CPU rasteriser, a
        // quarter of the texture work): at the corner they share, i0 + 1, which lies half
        // a texel from any other choice of texels, so the coordinate's rounding cannot
        // change them. The sampler clamps to the texture's edges, which are the image's
        // (a tile's texture keeps one texel of margin inside the image), as clamp_texel.
        let size = vec2<f32>(textureDimensions(image_texture).xy);
        let corner = (vec2<f32>(i0 - vec2<i32>(params.texture_origin)) + vec2<f32>(1.0)) / size;
        let q = vec4<f32>(textureGather(0, image_texture, gather_sampler, corner, i32(params.layer)));
        // In the order (i0.x, i0.y + 1), (i0.x + 1, i0.y + 1), (i0.x + 1, i0.y), i0.
        let top = fma(vec4<f32>(q.z - q.w), vec4<f32>(f.x), vec4<f32>(q.w));
        let bottom = fma(vec4<f32>(q.y - q.x), vec4<f32>(f.x), vec4<f32>(q.x));
        return fma(bottom - top, vec4<f32>(f.y), top);
    }
    let v00 = load_texel(clamp_texel(i0));
    let v10 = load_texel(clamp_texel(i0 + vec2<i32>(1, 0)));
    let v01 = load_texel(clamp_texel(i0 + vec2<i32>(0, 1)));
    let v11 = load_texel(clamp_texel(i0 + vec2<i32>(1, 1)));
    let top = fma(v10 - v00, vec4<f32>(f.x), v00);
    let bottom = fma(v11 - v01, vec4<f32>(f.x), v01);
    return fma(bottom - top, vec4<f32>(f.y), top);
}

// Stage 2 (C.11.1): stored value -> modality value.
fn modality_transform(stored: f32) -> f32 {
    if (MODALITY_KIND == 1u) {
        return fma(stored, params.slope, params.intercept);
    }
    if (MODALITY_KIND == 2u) {
        let i = clamp(i32(round(stored)) - params.modality_first, 0, i32(params.modality_len) - 1);
        return f32(table_entry(modality_lut, u32(i)));
    }
    return stored;
}

// Stage 3 (C.11.2): modality value -> normalised display value in [0, 1].
fn voi_transform(x: f32) -> f32 {
    let c = params.center;
    let w = params.width;
    switch VOI_KIND {
        case 0u: {
            // LINEAR (C.11.2.1.2.1); widths below 1 act as 1. Selects, not branches: a
            // CPU rasteriser runs a branch that differs between pixels on both sides.
            let w1 = max(w - 1.0, 0.0);
            let cc = c - 0.5;
            let y = (x - cc) / w1 + 0.5;
            return select(select(y, 1.0, x > cc + w1 / 2.0), 0.0, x <= cc - w1 / 2.0);
        }
        case 1u: {
            // LINEAR_EXACT (C.11.2.1.3.2); a width of 0 or less is a step at the centre.
            let y = select(select((x - c) / w + 0.5, 1.0, x > c + w / 2.0), 0.0, x <= c - w / 2.0);
            return select(y, select(1.0, 0.0, x <= c), w <= 0.0);
        }
        case 2u: {
            // SIGMOID (C.11.2.1.3.1).
            if (w <= 0.0) {
                return select(1.0, 0.0, x <= c);
            }
            return 1.0 / (1.0 + exp(-4.0 * (x - c) / w));
        }
        default: {
            // A VOI LUT table (C.11.2.1.1).
            let i = clamp(i32(round(x)) - params.voi_first, 0, i32(params.voi_len) - 1);
            return f32(table_entry(voi_lut, u32(i))) / params.voi_max;
        }
    }
}

// Stage 4 (C.11.6): the Presentation LUT: a table (a window's output scaled to its input
// range, rounded half to even; after a VOI table the two are one composed table), then
// identity or INVERSE.
fn presentation_transform(y: f32) -> f32 {
    var p = y;
    if ((PRESENTATION & 1u) == 1u) {
        let i = clamp(round(clamp(y, 0.0, 1.0) * f32(params.plut_len - 1u)), 0.0, f32(params.plut_len - 1u));
        p = f32(table_entry(voi_lut, u32(i))) / params.plut_max;
    }
    return select(p, 1.0 - p, (PRESENTATION & 2u) == 2u);
}

// Stage 5: a palette index -> RGB (8-bit entries, as the CPU reference scales them).
fn palette_lookup(index: i32) -> vec3<f32> {
    let i = clamp(index - params.palette_first, 0, i32(params.palette_len) - 1);
    return textureLoad(palette_texture, vec2<i32>(i % 256, i / 256), 0).rgb;
}

fn palette_covers(index: i32) -> bool {
    return index >= params.palette_first && index < params.palette_first + i32(params.palette_len);
}

// Stage 6: rounds to the 8-bit level the CPU reference produces.
fn output_encode(y: vec3<f32>) -> vec3<f32> {
    return floor(clamp(y, vec3<f32>(0.0), vec3<f32>(1.0)) * 255.0 + 0.5) / 255.0;
}

// Stage 6 of a grey level (one channel's work: a CPU rasteriser computes each of a vector's
// channels).
fn output_encode_grey(y: f32) -> f32 {
    return floor(clamp(y, 0.0, 1.0) * 255.0 + 0.5) / 255.0;
}

// The image coordinate of the centre of viewport pixel `p`, as the CPU reference computes
// it.
fn image_at(p: vec2<f32>) -> vec2<f32> {
    return fma(vec2<f32>(p.y), params.axis_y, fma(vec2<f32>(p.x), params.axis_x, params.origin));
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let img = image_at(position.xy - params.viewport_origin);
    return shade(sample_stored(img), img);
}

// The values under the pixels, kept at the viewport's size (grey images only): a window
// change then reads one value a pixel instead of sampling the image again. fs_values
// writes them into an R32Float target of the viewport's size (its pixel p is viewport
// pixel p); fs_cached reads them back and goes on as fs_main. A float holds the sampled
// value exactly, so the two passes give fs_main's pixels.
@group(1) @binding(0) var value_cache: texture_2d<f32>;

@fragment
fn fs_values(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return vec4<f32>(sample_stored(image_at(position.xy)).r, 0.0, 0.0, 0.0);
}

@fragment
fn fs_cached(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    // Nearest at the pixel's centre, half a texel from any other: a sampled read (one
    // texel, unfiltered) costs a software rasteriser less than a texel load.
    let p = position.xy - params.viewport_origin;
    let v = textureSampleLevel(value_cache, gather_sampler, p / params.viewport_size, 0.0).r;
    return shade(vec4<f32>(v, 0.0, 0.0, 0.0), image_at(p));
}

// Stages 2 to 6 of sampled value `v` at image coordinate `img`.
fn shade(v: vec4<f32>, img: vec2<f32>) -> vec4<f32> {
    if (OVERLAY == 1u) {
        if (v.r < 0.5) {
            discard;
        }
        return vec4<f32>(1.0, 1.0, 1.0, 1.0);
    }
    if (OVERLAY == 3u) {
        if (v.a == 0.0) {
            discard;
        }
        return v;
    }
    if (OVERLAY == 2u) {
        if (v.r < 0.5) {
            discard;
        }
        return vec4<f32>(output_encode(vec3<f32>((v.r - 1.0) / 255.0)), 1.0);
    }
    var rgb: vec3<f32>;
    if (KIND == 1u) {
        // RGB, 8 bits per sample after the exact conversion at upload.
        rgb = select(v.rgb, vec3<f32>(1.0) - v.rgb, params.invert_color == 1u);
        rgb = output_encode(rgb);
    } else if (KIND == 2u) {
        rgb = palette_lookup(i32(round(v.r)));
        rgb = output_encode(select(rgb, vec3<f32>(1.0) - rgb, params.invert_color == 1u));
    } else {
        // A supplemental palette colours the stored values it covers: the nearest stored
        // value decides (palette indices are never interpolated).
        var index = 0;
        if (SUPPLEMENTAL == 1u) {
            index = i32(round(load_texel(nearest_texel(img)).r));
        }
        if (SUPPLEMENTAL == 1u && palette_covers(index)) {
            rgb = output_encode(palette_lookup(index));
        } else {
            let g = output_encode_grey(presentation_transform(voi_transform(modality_transform(v.r))));
            rgb = vec3<f32>(g);
            if ((PRESENTATION & 4u) == 4u) {
                // A colour map of the display level (256 entries in the palette's slot).
                rgb = palette_lookup(i32(round(g * 255.0)));
            }
        }
        // A resampled plane outside its volume (float images only).
        return select(vec4<f32>(rgb, 1.0), params.background, v.r < NO_DATA_BELOW);
    }
    return vec4<f32>(rgb, 1.0);
}
