//! Series as volumes: slice stacks assembled from real geometry, and planes resampled
//! through them (multiplanar reconstruction, slabs).
//!
//! A [`Stack`] orders slices by the projection of Image Position (Patient) on the slice
//! normal and reports what it meets on the way: variable spacing, gaps, duplicate
//! positions (the first in instance order is kept), gantry tilt. Tilted (sheared) stacks
//! are not resampled to a box: every plane is computed in patient coordinates, each slice
//! at its own position, so a tilted CT shows its true anatomy in any plane.
//!
//! [`resample`] is the CPU reference of the GPU's `shaders/mpr.wgsl`: for every plane
//! pixel, trilinear interpolation of stored values (bilinear within the two nearest
//! slices, linear between them along the normal), or the maximum, minimum or mean over a
//! slab of such samples. Both sides compute the same f32 expressions.
//!
//! ```
//! use hounsfield_volume::volume::{Stack, StackInput};
//! let slice = |z: f64| StackInput {
//!     position: Some([0.0, 0.0, z]),
//!     orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
//!     pixel_spacing: Some([0.5, 0.5]),
//!     rows: 4,
//!     columns: 4,
//!     ..StackInput::default()
//! };
//! let stack = Stack::assemble(&[slice(2.0), slice(0.0), slice(1.0), slice(1.0)])?;
//! assert_eq!(stack.slices.len(), 3);
//! assert_eq!(stack.report.spacing, Some((1.0, 1.0)));
//! assert!(stack.report.warnings[0].contains("duplicate"));
//! # Ok::<(), String>(())
//! ```

mod plane;
mod reduce;
mod stack;

pub use plane::*;
pub use reduce::*;
pub use stack::*;

use crate::dimensions::FrameDimensions;
use crate::geometry::{cross, dot, normalize};
use hounsfield_dicom::DicomFile;
use hounsfield_dicom::tags;
use hounsfield_dicom::{Frame, FrameColor, Samples};
use hounsfield_dicom::{ModalityLut, PixelPadding};
use hounsfield_pipeline::modality_transform;
use hounsfield_pipeline::view::{bilinear, fma32};

pub use hounsfield_pipeline::view::{NO_DATA, NO_DATA_BELOW};

/// Voxel values of a volume, slice after slice, row after row.
#[derive(Debug, Clone, PartialEq)]
pub enum VolumeData {
    /// Unsigned stored values.
    U16(Vec<u16>),
    /// Signed stored values.
    I16(Vec<i16>),
    /// Modality values, for stacks whose slices rescale differently.
    F32(Vec<f32>),
    /// Stored values held by the decoded frames themselves, one frame per slice (all
    /// [`Samples::I16`] or all [`Samples::U16`]): the volume of a viewer that already holds
    /// the frames costs no second copy ([`Volume::from_shared`]).
    Frames(Vec<SharedFrame>),
}

/// A decoded frame a volume shares with its owner (a viewer's decoded image).
pub trait FrameSource: Send + Sync {
    /// The frame.
    fn frame(&self) -> &Frame;
}

impl FrameSource for Frame {
    fn frame(&self) -> &Frame {
        self
    }
}

/// One slice of a [`VolumeData::Frames`] volume.
#[derive(Clone)]
pub struct SharedFrame(pub std::sync::Arc<dyn FrameSource>);

impl SharedFrame {
    /// Its samples.
    pub fn samples(&self) -> &Samples {
        &self.0.frame().samples
    }
}

impl std::fmt::Debug for SharedFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedFrame({} samples)", self.samples().len())
    }
}

impl PartialEq for SharedFrame {
    fn eq(&self, other: &Self) -> bool {
        self.samples() == other.samples()
    }
}

/// The voxels of one slice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SliceData<'a> {
    /// Unsigned stored values.
    U16(&'a [u16]),
    /// Signed stored values.
    I16(&'a [i16]),
    /// Modality values.
    F32(&'a [f32]),
}

impl<'a> SliceData<'a> {
    /// Voxels in the slice.
    pub fn len(&self) -> usize {
        match self {
            SliceData::U16(v) => v.len(),
            SliceData::I16(v) => v.len(),
            SliceData::F32(v) => v.len(),
        }
    }

    /// Whether the slice has no voxels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Voxel `i` (row after row).
    #[inline]
    pub fn get(&self, i: usize) -> f32 {
        match self {
            SliceData::U16(v) => f32::from(v[i]),
            SliceData::I16(v) => f32::from(v[i]),
            SliceData::F32(v) => v[i],
        }
    }

    /// The voxels as bytes (native endianness), for uploads.
    pub fn as_bytes(self) -> &'a [u8] {
        match self {
            SliceData::U16(v) => bytemuck::cast_slice(v),
            SliceData::I16(v) => bytemuck::cast_slice(v),
            SliceData::F32(v) => bytemuck::cast_slice(v),
        }
    }
}

impl VolumeData {
    /// Slice `k` of `per` voxels (columns x rows). Empty past the end, or where a shared
    /// frame is not 16-bit (which [`Volume::from_shared`] never makes).
    pub fn slice(&self, k: usize, per: usize) -> SliceData<'_> {
        let part = |len: usize| (k * per).min(len)..((k + 1) * per).min(len);
        match self {
            VolumeData::U16(v) => SliceData::U16(&v[part(v.len())]),
            VolumeData::I16(v) => SliceData::I16(&v[part(v.len())]),
            VolumeData::F32(v) => SliceData::F32(&v[part(v.len())]),
            VolumeData::Frames(f) => match f.get(k).map(SharedFrame::samples) {
                Some(Samples::U16(v)) => SliceData::U16(v),
                Some(Samples::I16(v)) => SliceData::I16(v),
                _ => SliceData::I16(&[]),
            },
        }
    }

    /// Bytes of the voxels (shared ones included).
    pub fn bytes(&self) -> usize {
        match self {
            VolumeData::U16(v) => v.len() * 2,
            VolumeData::I16(v) => v.len() * 2,
            VolumeData::F32(v) => v.len() * 4,
            VolumeData::Frames(f) => f.iter().map(|s| s.samples().len() * 2).sum(),
        }
    }

    /// Whether the voxels are modality values ([`VolumeData::F32`]), not stored values.
    pub fn is_modality_values(&self) -> bool {
        matches!(self, VolumeData::F32(_))
    }

    /// Whether the voxels are signed stored values (`R16Sint` on a GPU).
    pub fn is_signed(&self) -> bool {
        match self {
            VolumeData::I16(_) => true,
            VolumeData::Frames(f) => {
                matches!(f.first().map(SharedFrame::samples), Some(Samples::I16(_)))
            }
            _ => false,
        }
    }
}

/// A stack with its voxels and the Modality LUT they share.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// The slices' geometry and order.
    pub stack: Stack,
    /// The voxel values.
    pub data: VolumeData,
    /// How voxel values become modality values (identity for [`VolumeData::F32`]).
    pub modality: ModalityLut,
    /// Pixel Padding Value / Range of the stored values (None for [`VolumeData::F32`]).
    pub padding: Option<PixelPadding>,
}

/// The geometry of a plane resampling in voxel units, as the GPU receives it (f32).
#[derive(Debug, Clone, PartialEq)]
pub struct Sampling {
    /// Column coordinate (pixel centres at integers) of plane pixel (0, 0) relative to
    /// slice 0, and its change per plane column, plane row and mm along the plane normal.
    pub column: [f32; 4],
    /// The same for the row coordinate.
    pub row: [f32; 4],
    /// Distance along the slice normal relative to slice 0 (mm), the same way.
    pub distance: [f32; 4],
    /// Per slice: column and row offsets relative to slice 0 (voxel units) and distance
    /// relative to slice 0 (mm).
    pub slices: Vec<[f32; 3]>,
    /// Slice spacing when uniform (mm), else 0.
    pub uniform_spacing: f32,
    /// Beyond the end slices, samples count within this distance (mm).
    pub end_margin: [f32; 2],
    /// Whether larger voxel values mean larger modality values (for MIP/MinIP).
    pub ascending: bool,
    /// Offsets along the normal (mm) of a slab's sample planes, or empty for a thin plane.
    pub slab_offsets: Vec<f32>,
    /// Stored values (low, high) that are Pixel Padding: a slab leaves out every sample
    /// that interpolates a padding voxel, so the air outside a CT's reconstruction circle
    /// does not become its MinIP. None for thin planes and volumes without padding.
    pub padding: Option<[f32; 2]>,
}

impl Volume {
    /// Builds a volume from the frames of `stack` (`frame(k)` is slice k) and their
    /// Modality LUTs; slices that rescale differently make an f32 volume of modality
    /// values.
    pub fn from_frames<'a>(
        stack: Stack,
        mut frame: impl FnMut(usize) -> Option<(&'a Frame, &'a ModalityLut)>,
    ) -> Result<Volume, String> {
        let n = stack.slices.len();
        let per = stack.columns as usize * stack.rows as usize;
        let total = per
            .checked_mul(n)
            .filter(|t| *t <= 1 << 31)
            .ok_or("the volume is too large")?;
        let mut frames = Vec::with_capacity(n);
        for k in 0..n {
            let (f, m) = frame(k).ok_or_else(|| format!("slice {} is not decoded", k + 1))?;
            if f.color != FrameColor::Monochrome {
                return Err("volumes need grey images".into());
            }
            if f.samples.len() != per {
                return Err(format!(
                    "slice {} has {} samples, not {per}",
                    k + 1,
                    f.samples.len()
                ));
            }
            frames.push((f, m));
        }
        let same_modality = frames.windows(2).all(|w| w[0].1 == w[1].1);
        let all = |pred: fn(&Samples) -> bool| frames.iter().all(|(f, _)| pred(&f.samples));
        let modality = frames
            .first()
            .map_or(ModalityLut::Identity, |(_, m)| (*m).clone());
        let (data, modality) = if same_modality && all(|s| matches!(s, Samples::I16(_))) {
            let mut v = Vec::with_capacity(total);
            for (f, _) in &frames {
                if let Samples::I16(s) = &f.samples {
                    v.extend_from_slice(s);
                }
            }
            (VolumeData::I16(v), modality)
        } else if same_modality && all(|s| matches!(s, Samples::U16(_) | Samples::U8(_))) {
            let mut v = Vec::with_capacity(total);
            for (f, _) in &frames {
                match &f.samples {
                    Samples::U16(s) => v.extend_from_slice(s),
                    Samples::U8(s) => v.extend(s.iter().map(|&x| u16::from(x))),
                    _ => {}
                }
            }
            (VolumeData::U16(v), modality)
        } else {
            let rescale_type = match &modality {
                ModalityLut::Rescale { rescale_type, .. } => rescale_type.clone(),
                _ => None,
            };
            let mut v = Vec::with_capacity(total);
            for (f, m) in &frames {
                for i in 0..per {
                    v.push(modality_transform(m, f.samples.get_f64(i)) as f32);
                }
            }
            let modality = match rescale_type {
                Some(t) => ModalityLut::Rescale {
                    slope: 1.0,
                    intercept: 0.0,
                    rescale_type: Some(t),
                },
                None => ModalityLut::Identity,
            };
            (VolumeData::F32(v), modality)
        };
        Ok(Volume {
            stack,
            data,
            modality,
            padding: None,
        })
    }

    /// The volume of `stack` over `frames` (slice k's frame and Modality LUT), sharing
    /// their samples ([`VolumeData::Frames`], no copy) when they are all 16-bit stored
    /// values of one Modality LUT; otherwise copied as [`Volume::from_frames`] does.
    pub fn from_shared(
        stack: Stack,
        frames: Vec<(SharedFrame, &ModalityLut)>,
    ) -> Result<Volume, String> {
        if !Self::shareable(&stack, &frames) {
            return Volume::from_frames(stack, |k| frames.get(k).map(|(f, m)| (f.0.frame(), *m)));
        }
        Ok(Self::share(stack, frames))
    }

    /// The volume of `stack` over `frames` as [`Volume::from_shared`] makes it when it
    /// can share their samples; None when it would have to copy them (frames of other
    /// sample types or Modality LUTs), so that a caller that wants no second copy of the
    /// pixels is told.
    ///
    /// ```
    /// use hounsfield_dicom::ModalityLut;
    /// use hounsfield_volume::volume::{SharedFrame, Stack, Volume, VolumeData};
    /// fn without_a_copy(stack: Stack, frames: Vec<(SharedFrame, &ModalityLut)>) -> Option<Volume> {
    ///     let v = Volume::shared(stack, frames)?;
    ///     assert!(matches!(v.data, VolumeData::Frames(_)));
    ///     Some(v)
    /// }
    /// ```
    pub fn shared(stack: Stack, frames: Vec<(SharedFrame, &ModalityLut)>) -> Option<Volume> {
        Self::shareable(&stack, &frames).then(|| Self::share(stack, frames))
    }

    fn shareable(stack: &Stack, frames: &[(SharedFrame, &ModalityLut)]) -> bool {
        let per = stack.columns as usize * stack.rows as usize;
        let lane = |f: &SharedFrame| match f.samples() {
            Samples::I16(_) => Some(true),
            Samples::U16(_) => Some(false),
            _ => None,
        };
        let first = frames.first().and_then(|(f, _)| lane(f));
        first.is_some()
            && frames.len() == stack.slices.len()
            && frames.windows(2).all(|w| w[0].1 == w[1].1)
            && frames.iter().all(|(f, _)| {
                f.0.frame().color == FrameColor::Monochrome
                    && f.samples().len() == per
                    && lane(f) == first
            })
    }

    fn share(stack: Stack, frames: Vec<(SharedFrame, &ModalityLut)>) -> Volume {
        let modality = frames
            .first()
            .map_or(ModalityLut::Identity, |(_, m)| (*m).clone());
        Volume {
            stack,
            data: VolumeData::Frames(frames.into_iter().map(|(f, _)| f).collect()),
            modality,
            padding: None,
        }
    }

    /// The sampling geometry of `plane` (with `slab`).
    pub fn sampling(&self, plane: &Plane, slab: Option<Slab>) -> Sampling {
        let ascending = match &self.modality {
            ModalityLut::Rescale { slope, .. } => *slope >= 0.0,
            _ => true,
        };
        let mut g = self.stack.sampling(plane, slab, ascending);
        if slab.is_some() && !self.data.is_modality_values() {
            g.padding = self.padding.map(|p| [p.low as f32, p.high as f32]);
        }
        g
    }
}

/// Finds the slices around distance `d` (relative to slice 0): (k0, k1, t).
fn locate(g: &Sampling, d: f32) -> Option<(usize, usize, f32)> {
    let n = g.slices.len();
    let last = g.slices[n - 1][2];
    if d < -g.end_margin[0] || d > last + g.end_margin[1] {
        return None;
    }
    if n == 1 || d <= 0.0 {
        return Some((0, 0, 0.0));
    }
    if d >= last {
        return Some((n - 1, n - 1, 0.0));
    }
    let k0 = if g.uniform_spacing > 0.0 {
        ((d / g.uniform_spacing).floor() as usize).min(n - 2)
    } else {
        // The last slice at or before d.
        let (mut lo, mut hi) = (0usize, n - 1);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if g.slices[mid][2] <= d {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let (a, b) = (g.slices[k0][2], g.slices[k0 + 1][2]);
    let t = if b > a {
        ((d - a) / (b - a)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    Some((k0, k0 + 1, t))
}

/// Bilinear sample of slice `k` at (column, row) coordinates; None outside the slice.
fn slice_sample(
    volume: &Volume,
    k: usize,
    c: f32,
    r: f32,
    padding: Option<[f32; 2]>,
) -> Option<f32> {
    let (w, h) = (volume.stack.columns as i64, volume.stack.rows as i64);
    if !(c >= -0.5 && r >= -0.5 && c <= w as f32 - 0.5 && r <= h as f32 - 0.5) {
        return None;
    }
    let slice = volume.data.slice(k, (w * h) as usize);
    let load = |x: i64, y: i64| {
        let x = x.clamp(0, w - 1) as usize;
        let y = y.clamp(0, h - 1) as usize;
        slice.get(y * w as usize + x)
    };
    if let Some([lo, hi]) = padding {
        // The voxels with a weight in the sample, as the shader takes them.
        let (c0, r0) = (c.floor(), r.floor());
        let (x, y) = (c0 as i64, r0 as i64);
        let (fx, fy) = (c - c0, r - r0);
        let padded = |x: i64, y: i64| {
            let v = load(x, y);
            v >= lo && v <= hi
        };
        if padded(x, y)
            || (fx > 0.0 && padded(x + 1, y))
            || (fy > 0.0 && padded(x, y + 1))
            || (fx > 0.0 && fy > 0.0 && padded(x + 1, y + 1))
        {
            return None;
        }
    }
    Some(bilinear([c, r], load))
}

/// One trilinear sample at plane pixel (x, y) (pixel centre coordinates, i.e. i + 0.5
/// as a fragment sees it) and slab offset `off` (mm).
fn trilinear(volume: &Volume, g: &Sampling, x: f32, y: f32, off: f32) -> Option<f32> {
    let (i, j) = (x - 0.5, y - 0.5);
    let eval = |a: [f32; 4]| fma32(off, a[3], fma32(j, a[2], fma32(i, a[1], a[0])));
    let (c, r, d) = (eval(g.column), eval(g.row), eval(g.distance));
    let (k0, k1, t) = locate(g, d)?;
    let s0 = g.slices[k0];
    let a = slice_sample(volume, k0, c - s0[0], r - s0[1], g.padding)?;
    if k1 == k0 || t == 0.0 {
        return Some(a);
    }
    let s1 = g.slices[k1];
    let b = slice_sample(volume, k1, c - s1[0], r - s1[1], g.padding)?;
    Some(fma32(b - a, t, a))
}

/// The CPU reference of plane resampling: a `plane.columns` x `plane.rows` frame of voxel
/// values (f32, [`NO_DATA`] outside the volume), to display with the volume's
/// Modality LUT.
pub fn resample(volume: &Volume, plane: &Plane, slab: Option<Slab>) -> Frame {
    let mut r = PlaneResampling::new(volume, plane, slab);
    loop {
        if let Some(frame) = r.advance(volume, usize::MAX) {
            return frame;
        }
    }
}

/// [`resample`] a band of rows at a time, for a caller that spreads the work over frames
/// (a viewer refining a still plane without stopping for it). Each pixel is computed
/// alone, so the frame is the same however the rows are cut.
///
/// ```
/// use hounsfield_volume::volume::{PlaneResampling, Volume, resample};
/// # fn check(volume: &Volume, plane: &hounsfield_volume::volume::Plane) {
/// let mut r = PlaneResampling::new(volume, plane, None);
/// let frame = loop {
///     // About 10,000 pixels a call, whole rows (at least one).
///     if let Some(frame) = r.advance(volume, 10_000) {
///         break frame;
///     }
/// };
/// assert_eq!(frame, resample(volume, plane, None));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PlaneResampling {
    plane: Plane,
    g: Sampling,
    mode: Option<SlabMode>,
    out: Vec<f32>,
    /// Rows resampled.
    done: usize,
}

impl PlaneResampling {
    /// A resampling of `plane` (with `slab`) through `volume`, no row done yet.
    pub fn new(volume: &Volume, plane: &Plane, slab: Option<Slab>) -> Self {
        let (w, h) = (plane.columns as usize, plane.rows as usize);
        PlaneResampling {
            plane: *plane,
            g: volume.sampling(plane, slab),
            mode: slab.map(|s| s.mode),
            out: vec![NO_DATA; w * h],
            done: 0,
        }
    }

    /// Rows resampled, and rows in all.
    pub fn progress(&self) -> (u32, u32) {
        (self.done as u32, self.plane.rows)
    }

    /// Resamples the next rows of about `pixels` pixels (at least one row) through
    /// `volume`, the volume [`new`](Self::new) was given; the frame once every row is done.
    pub fn advance(&mut self, volume: &Volume, pixels: usize) -> Option<Frame> {
        let w = (self.plane.columns as usize).max(1);
        let h = self.plane.rows as usize;
        let rows = (pixels / w).clamp(1, h.saturating_sub(self.done).max(1));
        let end = (self.done + rows).min(h);
        if !self.g.slices.is_empty() && self.done < end {
            let (g, mode, first) = (&self.g, self.mode, self.done);
            let row = |(y, line): (usize, &mut [f32])| {
                let fy = (first + y) as f32 + 0.5;
                for (x, v) in line.iter_mut().enumerate() {
                    let fx = x as f32 + 0.5;
                    *v = combine(g, mode, |off| trilinear(volume, g, fx, fy, off));
                }
            };
            let band = &mut self.out[first * w..end * w];
            // Rows in parallel with the `parallel` feature (natively): each pixel is
            // computed alone, so the result is the same in any order (a thick slab is tens
            // of samples per pixel).
            #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
            {
                use rayon::prelude::*;
                band.par_chunks_mut(w).enumerate().for_each(row);
            }
            #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
            band.chunks_mut(w).enumerate().for_each(row);
        }
        self.done = end;
        (self.done >= h).then(|| plane_frame(&self.plane, std::mem::take(&mut self.out)))
    }
}

/// The voxel value (stored units, trilinear) at patient point `p` (mm), as the planes
/// through it show it; None outside the volume.
pub fn value_at(volume: &Volume, p: [f64; 3]) -> Option<f32> {
    let s = &volume.stack;
    // A one-pixel plane centred on `p`, parallel to the slices.
    let plane = Plane {
        origin: p,
        u: s.row_direction,
        v: s.column_direction,
        normal: s.normal,
        columns: 1,
        rows: 1,
        spacing: s.min_spacing().max(1e-3),
    };
    let g = volume.sampling(&plane, None);
    if g.slices.is_empty() {
        return None;
    }
    trilinear(volume, &g, 0.5, 0.5, 0.0)
}

/// What a plane shows at one of its pixels, as measuring takes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlaneSample {
    /// The pixel lies outside the volume ([`NO_DATA`] in [`resample`]).
    Outside,
    /// Its sample interpolates a Pixel Padding voxel: not tissue.
    Padding,
    /// The voxel value the plane shows there (stored units, as [`resample`] gives it).
    Value(f32),
}

/// The pixels of one plane (or slab), one at a time, for statistics over a region of it:
/// each pixel's value is [`resample`]'s, and a pixel whose samples interpolate a Pixel
/// Padding voxel says so (as a slab leaves such samples out), so that the air outside a
/// CT's reconstruction circle is not averaged into a region.
///
/// ```
/// use hounsfield_volume::volume::{PlaneSample, PlaneSampler, Volume, resample};
/// # fn check(volume: &Volume, plane: &hounsfield_volume::volume::Plane) {
/// let sampler = PlaneSampler::new(volume, plane, None);
/// let shown = resample(volume, plane, None);
/// if let PlaneSample::Value(v) = sampler.at(0, 0) {
///     assert_eq!(f64::from(v), shown.samples.get_f64(0));
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PlaneSampler<'a> {
    volume: &'a Volume,
    /// The sampling as shown (thin planes take padding voxels as they are).
    shown: Sampling,
    /// Every voxel, padding or not: whether the pixel lies inside the volume.
    all: Sampling,
    /// Padding voxels left out, when the volume has any.
    tissue: Option<Sampling>,
    mode: Option<SlabMode>,
}

impl<'a> PlaneSampler<'a> {
    /// The sampler of `plane` (with `slab`) through `volume`.
    pub fn new(volume: &'a Volume, plane: &Plane, slab: Option<Slab>) -> Self {
        let shown = volume.sampling(plane, slab);
        let mut all = shown.clone();
        all.padding = None;
        let tissue = match volume.padding {
            Some(p) if !volume.data.is_modality_values() => {
                let mut g = shown.clone();
                g.padding = Some([p.low as f32, p.high as f32]);
                Some(g)
            }
            _ => None,
        };
        PlaneSampler {
            volume,
            shown,
            all,
            tissue,
            mode: slab.map(|s| s.mode),
        }
    }

    fn combined(&self, g: &Sampling, x: u32, y: u32) -> Option<f32> {
        if g.slices.is_empty() {
            return None;
        }
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let v = combine(g, self.mode, |off| trilinear(self.volume, g, fx, fy, off));
        (v >= NO_DATA_BELOW).then_some(v)
    }

    /// Plane pixel (`x`, `y`) (column, row).
    pub fn at(&self, x: u32, y: u32) -> PlaneSample {
        if self.combined(&self.all, x, y).is_none() {
            return PlaneSample::Outside;
        }
        if let Some(g) = &self.tissue
            && self.combined(g, x, y).is_none()
        {
            return PlaneSample::Padding;
        }
        self.combined(&self.shown, x, y)
            .map_or(PlaneSample::Padding, PlaneSample::Value)
    }
}

/// Combines the slab samples as the shader does.
fn combine(
    g: &Sampling,
    mode: Option<SlabMode>,
    mut sample: impl FnMut(f32) -> Option<f32>,
) -> f32 {
    let sign = if g.ascending { 1.0f32 } else { -1.0 };
    let (mut best, mut sum, mut count) = (f32::NEG_INFINITY, 0.0f32, 0u32);
    for &off in &g.slab_offsets {
        let Some(v) = sample(off) else {
            continue;
        };
        count += 1;
        sum += v;
        let key = match mode {
            Some(SlabMode::MinIp) => -sign * v,
            _ => sign * v,
        };
        if key > best {
            best = key;
        }
    }
    if count == 0 {
        return NO_DATA;
    }
    match mode {
        Some(SlabMode::Mean) => sum / count as f32,
        Some(SlabMode::MinIp) => -sign * best,
        _ => sign * best,
    }
}

fn plane_frame(plane: &Plane, samples: Vec<f32>) -> Frame {
    Frame {
        width: plane.columns,
        height: plane.rows,
        color: FrameColor::Monochrome,
        samples: Samples::F32(samples),
        bits_stored: 32,
        signed: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(k: usize, z: f64, y: f64) -> StackInput {
        StackInput {
            instance: k,
            name: format!("s{k}"),
            position: Some([0.0, y, z]),
            orientation: Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
            pixel_spacing: Some([1.0, 1.0]),
            rows: 3,
            columns: 3,
            ..StackInput::default()
        }
    }

    fn volume(inputs: &[StackInput]) -> Volume {
        let stack = Stack::assemble(inputs).unwrap_or_else(|e| panic!("{e}"));
        let n = stack.slices.len();
        // Voxel value = 100 * slice + 10 * row + column.
        let data = (0..n)
            .flat_map(|k| (0..9).map(move |i| (100 * k + 10 * (i / 3) + i % 3) as i16))
            .collect();
        Volume {
            stack,
            data: VolumeData::I16(data),
            modality: ModalityLut::Identity,
            padding: None,
        }
    }

    #[test]
    fn reports_spacing_gaps_and_tilt() {
        let s = Stack::assemble(&[
            input(0, 0.0, 0.0),
            input(1, 1.0, 0.0),
            input(2, 2.0, 0.0),
            input(3, 5.0, 0.0),
            input(4, 6.0, 0.0),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.report.spacing, Some((1.0, 3.0)));
        assert!(s.report.warnings.iter().any(|w| w.contains("gap: 3.00 mm")));
        assert!(
            s.report
                .warnings
                .iter()
                .any(|w| w.contains("variable slice spacing"))
        );
        assert!(!s.uniform());
        // A sheared stack: positions move along y as z grows.
        let s = Stack::assemble(&[input(0, 0.0, 0.0), input(1, 1.0, 1.0), input(2, 2.0, 2.0)])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((s.report.tilt_degrees - 45.0).abs() < 1e-9);
        assert!(
            s.report
                .warnings
                .iter()
                .any(|w| w.contains("gantry tilt 45.00"))
        );
        // Missing positions: 2D only.
        let mut bad = input(1, 1.0, 0.0);
        bad.position = None;
        assert!(Stack::assemble(&[input(0, 0.0, 0.0), bad]).is_err());
    }

    #[test]
    fn resampling_hits_voxels_and_interpolates_between_slices() {
        let v = volume(&[input(0, 0.0, 0.0), input(1, 2.0, 0.0), input(2, 4.0, 0.0)]);
        // An axial plane through z = 1 (halfway between slices 0 and 1), pixel size 1.
        let mut plane = v
            .stack
            .plane([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]);
        assert_eq!((plane.columns, plane.rows, plane.spacing), (3, 3, 1.0));
        let f = resample(&v, &plane, None);
        let Samples::F32(s) = &f.samples else {
            panic!("f32 frame expected");
        };
        // Halfway: 50 + 10 * row + column.
        assert_eq!(s[0], 50.0);
        assert_eq!(s[4], 61.0);
        // Beyond the last slice by more than half a spacing: no data.
        plane = plane.moved(4.5);
        let f = resample(&v, &plane, None);
        assert!(f.samples.get_f64(0) < f64::from(NO_DATA_BELOW));
        // A slab MIP over the whole stack picks the last slice; MinIP the first; mean the middle.
        let plane = v
            .stack
            .plane([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 2.0]);
        for (mode, want) in [
            (SlabMode::Mip, 211.0),
            (SlabMode::MinIp, 11.0),
            (SlabMode::Mean, 111.0),
        ] {
            let f = resample(
                &v,
                &plane,
                Some(Slab {
                    thickness: 4.0,
                    mode,
                }),
            );
            assert_eq!(f.samples.get_f64(4), want, "{mode:?}");
        }
    }

    #[test]
    fn a_plane_through_a_very_long_stack_covers_all_of_it() {
        // Two 3 x 3 slices of 1 mm pixels 20 m apart: a sagittal plane of 1 mm pixels
        // would need 20,001 rows; it takes larger ones and still reaches both slices.
        let v = volume(&[input(0, 0.0, 0.0), input(1, 20_000.0, 0.0)]);
        let plane = v
            .stack
            .plane([0.0, 1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 1.0, 10_000.0]);
        assert!(plane.rows <= MAX_PLANE_SIDE && plane.columns <= MAX_PLANE_SIDE);
        assert!(plane.spacing > 1.0, "{plane:?}");
        let f = resample(&v, &plane, None);
        let (first, last) = (f.samples.get_f64(0), f.samples.get_f64(f.samples.len() - 1));
        // Voxel = 100 * slice + 10 * row + column: the top row shows slice 1, the bottom
        // row slice 0.
        assert!((100.0..200.0).contains(&first), "top row: {first}");
        assert!((0.0..100.0).contains(&last), "bottom row: {last}");
    }

    #[test]
    fn a_plane_resampled_a_band_of_rows_at_a_time_is_the_whole_resampling() {
        let v = volume(&[input(0, 0.0, 0.0), input(1, 2.0, 0.0), input(2, 4.0, 0.0)]);
        // A sagittal plane: its rows cross the slices (interpolated between them).
        let plane = v
            .stack
            .plane([0.0, 1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 1.0, 2.0]);
        assert!(plane.rows > 2, "{plane:?}");
        for slab in [
            None,
            Some(Slab {
                thickness: 2.0,
                mode: SlabMode::Mip,
            }),
        ] {
            let whole = resample(&v, &plane, slab);
            for pixels in [1, 2 * plane.columns as usize, 5] {
                let mut r = PlaneResampling::new(&v, &plane, slab);
                let mut calls = 0;
                let banded = loop {
                    calls += 1;
                    assert!(r.progress().0 < plane.rows);
                    if let Some(f) = r.advance(&v, pixels) {
                        break f;
                    }
                };
                assert_eq!(r.progress(), (plane.rows, plane.rows));
                let rows_a_call = (pixels / plane.columns as usize).max(1) as u32;
                assert_eq!(
                    calls,
                    plane.rows.div_ceil(rows_a_call),
                    "{pixels} pixels a call"
                );
                assert_eq!(banded, whole, "{pixels} pixels a call, {slab:?}");
            }
        }
    }

    #[test]
    fn slabs_leave_out_pixel_padding() {
        // Voxel = 100 * slice + 10 * row + column; slice 0's centre voxel (value 11) and
        // slice 2's (211) are padding: the MinIP and MIP through the centre skip them,
        // the mean averages what is left, a thin plane is not affected.
        let mut v = volume(&[input(0, 0.0, 0.0), input(1, 2.0, 0.0), input(2, 4.0, 0.0)]);
        let VolumeData::I16(data) = &mut v.data else {
            panic!("i16 volume expected");
        };
        data[4] = -2000;
        data[2 * 9 + 4] = -2000;
        v.padding = Some(PixelPadding {
            low: -2000,
            high: -2000,
        });
        let plane = v
            .stack
            .plane([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 2.0]);
        let slab = |mode| {
            resample(
                &v,
                &plane,
                Some(Slab {
                    thickness: 4.0,
                    mode,
                }),
            )
            .samples
            .get_f64(4)
        };
        // Only samples at exactly slice 1 (and not interpolating slices 0 or 2) remain.
        assert_eq!(slab(SlabMode::MinIp), 111.0);
        assert_eq!(slab(SlabMode::Mip), 111.0);
        assert_eq!(slab(SlabMode::Mean), 111.0);
        // A neighbour pixel whose samples touch no padding keeps the whole slab.
        let corner = resample(
            &v,
            &plane,
            Some(Slab {
                thickness: 4.0,
                mode: SlabMode::MinIp,
            }),
        );
        assert_eq!(corner.samples.get_f64(0), 0.0);
        // A thin plane through slice 0 shows the padding value as it is.
        let thin = v
            .stack
            .plane([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]);
        assert_eq!(resample(&v, &thin, None).samples.get_f64(4), -2000.0);
        assert_eq!(v.sampling(&thin, None).padding, None);
    }

    #[test]
    fn sagittal_plane_of_a_sheared_stack_follows_each_slice() {
        // Slices shifted by 1 mm in y per slice: voxel (row 1) of slice k sits at y = k + 1.
        let v = volume(&[input(0, 0.0, 0.0), input(1, 1.0, 1.0), input(2, 2.0, 2.0)]);
        let p = [1.0, 1.0, 0.0];
        // The sample at slice 0's row 1, column 1 is that voxel; at slice 1 the same patient
        // point is row 0.
        let plane = v.stack.plane([0.0, 1.0, 0.0], [0.0, 0.0, -1.0], p);
        let g = v.sampling(&plane, None);
        let at = |q: [f64; 3]| {
            let [i, j] = plane.pixel_of(q);
            trilinear(&v, &g, i as f32 + 0.5, j as f32 + 0.5, 0.0)
        };
        assert_eq!(at([1.0, 1.0, 0.0]), Some(11.0));
        assert_eq!(at([1.0, 1.0, 1.0]), Some(101.0));
        assert_eq!(at([1.0, 3.0, 1.0]), Some(121.0));
        // The point sampler agrees, and interpolates between slices along the normal.
        assert_eq!(value_at(&v, [1.0, 1.0, 0.0]), Some(11.0));
        assert_eq!(value_at(&v, [1.0, 3.0, 1.0]), Some(121.0));
        assert_eq!(value_at(&v, [2.0, 2.0, 1.0]), Some(112.0));
        assert_eq!(value_at(&v, [1.0, 1.5, 0.5]), Some(61.0));
        assert_eq!(value_at(&v, [1.0, 1.0, 9.0]), None);
    }

    #[test]
    fn labels_and_standard_planes() {
        let (u, v) = Orientation::Axial.axes(Convention::Radiological);
        assert_eq!(
            (orientation_label(u), orientation_label(v)),
            ("L".into(), "P".into())
        );
        let (u, _) = Orientation::Sagittal.axes(Convention::Radiological);
        assert_eq!(orientation_label(u), "P");
        let (u, v) = Orientation::Coronal.axes(Convention::Neurological);
        assert_eq!(
            (orientation_label(u), orientation_label(v)),
            ("R".into(), "I".into())
        );
    }

    #[test]
    fn shared_frames_are_the_voxels_without_a_copy_unless_they_differ() {
        let inputs = [input(0, 0.0, 0.0), input(1, 1.0, 0.0)];
        let stack = Stack::assemble(&inputs).unwrap_or_else(|e| panic!("{e}"));
        let frame = |base: i16| Frame {
            width: 3,
            height: 3,
            color: FrameColor::Monochrome,
            samples: Samples::I16((0..9).map(|i| base + i).collect()),
            bits_stored: 16,
            signed: true,
        };
        let frames: Vec<std::sync::Arc<Frame>> = vec![
            std::sync::Arc::new(frame(0)),
            std::sync::Arc::new(frame(100)),
        ];
        let shared = |k: usize| SharedFrame(frames[k].clone());
        let rescale = |intercept: f64| ModalityLut::Rescale {
            slope: 1.0,
            intercept,
            rescale_type: None,
        };
        let (a, b) = (rescale(-1024.0), rescale(-1000.0));
        let v = Volume::from_shared(stack.clone(), vec![(shared(0), &a), (shared(1), &a)])
            .unwrap_or_else(|e| panic!("{e}"));
        let VolumeData::Frames(kept) = &v.data else {
            panic!("copied: {:?}", v.data);
        };
        assert!(std::ptr::eq(kept[1].samples(), &frames[1].samples));
        assert_eq!(v.data.slice(1, 9).get(4), 104.0);
        assert_eq!(v.data.bytes(), 36);
        assert!(v.data.is_signed() && !v.data.is_modality_values());
        assert_eq!(v.modality, a);
        assert_eq!(
            Volume::shared(stack.clone(), vec![(shared(0), &a), (shared(1), &a)]),
            Some(v)
        );
        // Slices that rescale differently: modality values, copied; `shared` declines.
        assert_eq!(
            Volume::shared(stack.clone(), vec![(shared(0), &a), (shared(1), &b)]),
            None
        );
        let v = Volume::from_shared(stack, vec![(shared(0), &a), (shared(1), &b)])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(v.data.is_modality_values());
        assert_eq!(v.data.slice(1, 9).get(4), 104.0 - 1000.0);
    }
}
