// Hounsfield: plane resampling through a volume (multiplanar reconstruction, slabs).
//
// Writes, for each pixel of a plane, the voxel value at its patient position into an
// R32Float target: trilinear interpolation of stored values (bilinear within the two
// nearest slices, each at its own position, linear between them along the normal), or
// the maximum, minimum or mean of such samples over a slab. The result is then displayed
// by display.wgsl like any float image, with the volume's Modality LUT.
//
// The arithmetic mirrors hounsfield_core::volume::resample (the CPU reference) step by
// step. SAMPLE_TYPE (i32, u32, f32) is substituted when the module is created, and so is
// VOLUME_TEXTURE with its VOLUME_LOAD (of voxel p of brick t): the bricks are 2D texture
// arrays (a layer a slice) wherever the device's arrays hold the volume, else 3D
// textures.

struct MprParams {
    // Column and row coordinates (voxel units, relative to slice 0) and distance along
    // the slice normal (mm, relative to slice 0) of plane pixel (0, 0), and their change
    // per plane column, plane row and mm along the plane normal.
    column: vec4<f32>,
    row: vec4<f32>,
    distance: vec4<f32>,
    // Beyond the first / last slice, samples count within these distances (mm).
    end_margin: vec2<f32>,
    // Slice spacing when uniform (mm), else 0.
    uniform_spacing: f32,
    slices: u32,
    columns: u32,
    rows: u32,
    // Slab samples (1 without a slab), and whether larger voxel values are larger
    // modality values.
    samples: u32,
    ascending: u32,
    // 1 when slab samples that interpolate a Pixel Padding voxel (stored values within
    // `padding`, low and high) are left out.
    has_padding: u32,
    // The volume is split along its slices into up to four textures (bricks) when it is
    // deeper than the device's textures: brick b holds slices b * brick_slices to
    // (b + 1) * brick_slices, each brick's last slice the next one's first, so that the
    // two slices of a sample always lie in one brick.
    brick_slices: u32,
    bricks: u32,
    _pad0: u32,
    padding: vec2<f32>,
    // The least and greatest slab sample offsets (mm; 0 and 0 for a thin plane).
    offset_range: vec2<f32>,
};

@group(0) @binding(0) var<uniform> params: MprParams;
// The bricks (see MprParams); unused ones are bound to a 1 x 1 x 1 texture. A pass per
// brick binds its brick as volume0.
@group(0) @binding(1) var volume0: VOLUME_TEXTURE<SAMPLE_TYPE>;
// Per slice (256 per row): column offset, row offset, distance (relative to slice 0).
@group(0) @binding(2) var slice_table: texture_2d<f32>;
// Slab sample offsets along the plane normal (mm), four per element.
@group(0) @binding(3) var<uniform> offsets: array<vec4<f32>, 128>;
@group(0) @binding(4) var volume1: VOLUME_TEXTURE<SAMPLE_TYPE>;
@group(0) @binding(5) var volume2: VOLUME_TEXTURE<SAMPLE_TYPE>;
@group(0) @binding(6) var volume3: VOLUME_TEXTURE<SAMPLE_TYPE>;
// The brick this pass draws (BRICKED 2).
@group(0) @binding(7) var<uniform> pass_brick: vec4<u32>;

// 0: one sample, 1: maximum, 2: minimum, 3: mean.
override SLAB_MODE: u32 = 0u;
// 1 when the slices are equally spaced (no search for the slice).
override UNIFORM: u32 = 0u;
// 0: one texture (volume0). Bricks are drawn in passes: 2, a pass per brick, bound as
// volume0, over the pixels whose samples all lie in it; 1, last, a pass around the pixels
// whose slab samples lie in several bricks, each voxel loaded from its brick (volume0..3;
// a software rasteriser pays for every brick at every voxel), which gives any pixel the
// value its brick's pass gave.
override BRICKED: u32 = 0u;
// The brick of a pixel whose samples lie in several.
const SEVERAL: u32 = 0xffffffffu;

// No data (hounsfield_core::volume::NO_DATA). Not the lowest f32: shaders pass through
// naga, whose WGSL output rounds that to a decimal browsers reject as out of range.
const NO_DATA: f32 = -1.0e38;

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    // One triangle covering the target.
    let x = f32(i32(i & 1u) * 4 - 1);
    let y = f32(i32(i >> 1u) * 4 - 1);
    return vec4<f32>(x, y, 0.0, 1.0);
}

fn slice_entry(k: u32) -> vec3<f32> {
    return textureLoad(slice_table, vec2<i32>(i32(k % 256u), i32(k / 256u)), 0).xyz;
}

fn eval(a: vec4<f32>, i: f32, j: f32, off: f32) -> f32 {
    return fma(off, a.w, fma(j, a.z, fma(i, a.y, a.x)));
}

// The slices around distance d: (k0, k1, t); k0 < 0 when outside the stack.
fn locate(d: f32) -> vec3<f32> {
    let n = params.slices;
    let last = slice_entry(n - 1u).z;
    if (d < -params.end_margin.x || d > last + params.end_margin.y) {
        return vec3<f32>(-1.0, 0.0, 0.0);
    }
    if (n == 1u || d <= 0.0) {
        return vec3<f32>(0.0, 0.0, 0.0);
    }
    if (d >= last) {
        return vec3<f32>(f32(n - 1u), f32(n - 1u), 0.0);
    }
    var k0: u32;
    if (UNIFORM == 1u) {
        k0 = min(u32(floor(d / params.uniform_spacing)), n - 2u);
    } else {
        var lo = 0u;
        var hi = n - 1u;
        loop {
            if (hi - lo <= 1u) {
                break;
            }
            let mid = (lo + hi) / 2u;
            if (slice_entry(mid).z <= d) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        k0 = lo;
    }
    let a = slice_entry(k0).z;
    let b = slice_entry(k0 + 1u).z;
    var t = 0.0;
    if (b > a) {
        t = clamp((d - a) / (b - a), 0.0, 1.0);
    }
    return vec3<f32>(f32(k0), f32(k0 + 1u), t);
}

// Voxel p (column, row, slice) of brick t.
fn volume_load(t: VOLUME_TEXTURE<SAMPLE_TYPE>, p: vec3<i32>) -> f32 {
    return f32(VOLUME_LOAD.r);
}

// The brick of the slice pair (k0, k0 + 1).
fn brick_of(k0: u32) -> u32 {
    if (BRICKED == 0u) {
        return 0u;
    }
    return min(k0 / params.brick_slices, params.bricks - 1u);
}

// The brick of a sample at distance d, whose slices are `loc` (from `locate`); outside
// the volume, the first brick below it and the last above.
fn brick_at(d: f32, loc: vec3<f32>) -> u32 {
    let outside = select(params.bricks - 1u, 0u, d < 0.0);
    return select(brick_of(u32(max(loc.x, 0.0))), outside, loc.x < 0.0);
}

// The brick of all the pixel's samples, or SEVERAL.
fn pixel_brick(i: f32, j: f32, d: f32, loc: vec3<f32>) -> u32 {
    if (SLAB_MODE == 0u) {
        return brick_at(d, loc);
    }
    // The samples' distances lie between those of the extreme offsets.
    let d0 = eval(params.distance, i, j, params.offset_range.x);
    let d1 = eval(params.distance, i, j, params.offset_range.y);
    let b0 = brick_at(d0, locate(d0));
    let b1 = brick_at(d1, locate(d1));
    return select(SEVERAL, b0, b0 == b1);
}

// Voxel (x, y) (clamped to the slice) of slice z of brick b.
fn voxel(x: i32, y: i32, b: u32, z: i32) -> f32 {
    let p = vec3<i32>(
        clamp(x, 0, i32(params.columns) - 1),
        clamp(y, 0, i32(params.rows) - 1),
        z,
    );
    if (BRICKED != 1u || b == 0u) {
        return volume_load(volume0, p);
    } else if (b == 1u) {
        return volume_load(volume1, p);
    } else if (b == 2u) {
        return volume_load(volume2, p);
    }
    return volume_load(volume3, p);
}

// Bilinear sample of slice k (in brick b) at column / row coordinates (pixel centres at
// integers); the second component is 0 outside the slice.
fn slice_sample(k: u32, b: u32, c: f32, r: f32) -> vec2<f32> {
    let w = f32(params.columns);
    let h = f32(params.rows);
    if (!(c >= -0.5 && r >= -0.5 && c <= w - 0.5 && r <= h - 0.5)) {
        return vec2<f32>(0.0, 0.0);
    }
    let c0 = floor(c);
    let r0 = floor(r);
    let fx = c - c0;
    let fy = r - r0;
    let x = i32(c0);
    let y = i32(r0);
    let z = i32(k - b * params.brick_slices);
    let v00 = voxel(x, y, b, z);
    let v10 = voxel(x + 1, y, b, z);
    let v01 = voxel(x, y + 1, b, z);
    let v11 = voxel(x + 1, y + 1, b, z);
    if (SLAB_MODE != 0u && params.has_padding == 1u) {
        // The voxels with a weight in the sample (as the CPU reference takes them).
        let lo = params.padding.x;
        let hi = params.padding.y;
        let p00 = v00 >= lo && v00 <= hi;
        let p10 = fx > 0.0 && v10 >= lo && v10 <= hi;
        let p01 = fy > 0.0 && v01 >= lo && v01 <= hi;
        let p11 = fx > 0.0 && fy > 0.0 && v11 >= lo && v11 <= hi;
        if (p00 || p10 || p01 || p11) {
            return vec2<f32>(0.0, 0.0);
        }
    }
    let top = fma(v10 - v00, fx, v00);
    let bottom = fma(v11 - v01, fx, v01);
    return vec2<f32>(fma(bottom - top, fy, top), 1.0);
}

// One trilinear sample; the second component is 0 outside the volume.
fn trilinear(i: f32, j: f32, off: f32) -> vec2<f32> {
    let d = eval(params.distance, i, j, off);
    return trilinear_at(i, j, off, locate(d));
}

// The trilinear sample at the slices `loc` (from `locate`) of the sample's distance.
fn trilinear_at(i: f32, j: f32, off: f32, loc: vec3<f32>) -> vec2<f32> {
    if (loc.x < 0.0) {
        return vec2<f32>(0.0, 0.0);
    }
    let c = eval(params.column, i, j, off);
    let r = eval(params.row, i, j, off);
    let k0 = u32(loc.x);
    let k1 = u32(loc.y);
    let brick = brick_of(k0);
    let s0 = slice_entry(k0);
    let a = slice_sample(k0, brick, c - s0.x, r - s0.y);
    if (a.y == 0.0 || k1 == k0 || loc.z == 0.0) {
        return a;
    }
    let s1 = slice_entry(k1);
    let b = slice_sample(k1, brick, c - s1.x, r - s1.y);
    if (b.y == 0.0) {
        return b;
    }
    return vec2<f32>(fma(b.x - a.x, loc.z, a.x), 1.0);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let i = position.x - 0.5;
    let j = position.y - 0.5;
    let d = eval(params.distance, i, j, 0.0);
    let loc = locate(d);
    if (BRICKED == 2u && pixel_brick(i, j, d, loc) != pass_brick.x) {
        discard;
    }
    if (SLAB_MODE == 0u) {
        let s = trilinear_at(i, j, 0.0, loc);
        return vec4<f32>(select(NO_DATA, s.x, s.y > 0.0), 0.0, 0.0, 1.0);
    }
    var sign = 1.0;
    if (params.ascending == 0u) {
        sign = -1.0;
    }
    // Below any sample (samples are never below NO_DATA).
    var best = -1.0e38;
    var sum = 0.0;
    var count = 0u;
    for (var n = 0u; n < params.samples; n = n + 1u) {
        let off = offsets[n / 4u][n % 4u];
        let s = trilinear(i, j, off);
        if (s.y == 0.0) {
            continue;
        }
        count = count + 1u;
        sum = sum + s.x;
        var key = sign * s.x;
        if (SLAB_MODE == 2u) {
            key = -key;
        }
        if (key > best) {
            best = key;
        }
    }
    if (count == 0u) {
        return vec4<f32>(NO_DATA, 0.0, 0.0, 1.0);
    }
    var v: f32;
    if (SLAB_MODE == 3u) {
        v = sum / f32(count);
    } else if (SLAB_MODE == 2u) {
        v = -sign * best;
    } else {
        v = sign * best;
    }
    return vec4<f32>(v, 0.0, 0.0, 1.0);
}
