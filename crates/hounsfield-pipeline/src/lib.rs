//! The CPU reference of the display pipeline (PS3.3 C.11, PS3.14):
//!
//! `sample` → `modality_transform` → `voi_transform` → `presentation_transform` →
//! (`palette_lookup` for colour-mapped values) → `output_encode` (8-bit grey or RGB).
//!
//! Every stage is a plain function of one value, in f64, named as the WGSL shaders name
//! theirs, so that the GPU renderer can be tested against it value by value. It is the
//! oracle for the GPU, not the fast path: frames with at most 16-bit samples are mapped
//! through a table of the same function, larger ones value by value.
//!
//! Fractional values (rescaled or interpolated) index tables after rounding half to even,
//! as WGSL's `round` does, so that both sides pick the same entry.

#![warn(missing_docs)]

use crate::view::{Filter, View, bilinear};
use hounsfield_dicom::{
    DisplayParameters, ErrorKind, Frame, FrameColor, Lut, ModalityLut, Samples, VoiLutFunction,
};

// The fast path of `render_view` for grey frames, held to the per-pixel functions here.
mod grey_view;
pub mod overlay;
pub mod presets;
pub mod view;

/// Which VOI transformation to apply.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum VoiSelection {
    /// The file's first window, else its first VOI LUT, else the data range.
    #[default]
    Default,
    /// An explicit window (center, width) in modality units.
    Window {
        /// Window centre, in modality units.
        center: f64,
        /// Window width, in modality units.
        width: f64,
    },
    /// The file's window number `n` (0-based).
    FileWindow(usize),
    /// The file's VOI LUT number `n` (0-based).
    VoiLut(usize),
    /// A window spanning the modality values present in the frame, Pixel Padding left
    /// out (see [`data_range`]).
    DataRange,
}

/// Options of the CPU reference render.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RenderOptions {
    /// Which window or VOI LUT to apply.
    pub voi: VoiSelection,
    /// Overrides the file's VOI LUT Function for windows.
    pub voi_function: Option<VoiLutFunction>,
    /// Inverts the output (on top of MONOCHROME1 / Presentation LUT Shape).
    pub invert: bool,
}

/// The VOI stage, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Voi {
    /// A window, with its VOI LUT Function.
    Window {
        /// Window centre, in modality units.
        center: f64,
        /// Window width, in modality units.
        width: f64,
        /// LINEAR, LINEAR_EXACT or SIGMOID.
        function: VoiLutFunction,
    },
    /// A VOI LUT table.
    Table(Lut),
}

/// The grey pipeline of one frame, resolved: modality, VOI and presentation stages.
#[derive(Debug, Clone, PartialEq)]
pub struct GreyPipeline {
    /// Stage 2: stored value to modality value.
    pub modality: ModalityLut,
    /// Stage 3: modality value to grey level.
    pub voi: Voi,
    /// Stage 4: the output is inverted (MONOCHROME1, Presentation LUT Shape INVERSE, or asked for).
    pub inverse: bool,
    /// Stage 4: a Presentation LUT table (a presentation state's), applied before the
    /// inversion (which is then only the user's).
    pub presentation_lut: Option<Lut>,
}

/// Stage 2: stored value → modality value (C.11.1).
#[inline]
pub fn modality_transform(modality: &ModalityLut, stored: f64) -> f64 {
    match modality {
        ModalityLut::Identity => stored,
        ModalityLut::Rescale {
            slope, intercept, ..
        } => stored * slope + intercept,
        ModalityLut::Table { lut, .. } => f64::from(lut.lookup(stored.round_ties_even() as i64)),
    }
}

/// Stage 3, LINEAR (C.11.2.1.2.1): output in [0, 1]. Widths below 1 act as 1.
#[inline]
pub fn voi_linear(x: f64, center: f64, width: f64) -> f64 {
    let w1 = (width - 1.0).max(0.0);
    let c = center - 0.5;
    if x <= c - w1 / 2.0 {
        0.0
    } else if x > c + w1 / 2.0 {
        1.0
    } else {
        (x - c) / w1 + 0.5
    }
}

/// Stage 3, LINEAR_EXACT (C.11.2.1.3.2): output in [0, 1].
#[inline]
pub fn voi_linear_exact(x: f64, center: f64, width: f64) -> f64 {
    if width <= 0.0 {
        return if x <= center { 0.0 } else { 1.0 };
    }
    if x <= center - width / 2.0 {
        0.0
    } else if x > center + width / 2.0 {
        1.0
    } else {
        (x - center) / width + 0.5
    }
}

/// Stage 3, SIGMOID (C.11.2.1.3.1): output in (0, 1).
#[inline]
pub fn voi_sigmoid(x: f64, center: f64, width: f64) -> f64 {
    if width <= 0.0 {
        return if x <= center { 0.0 } else { 1.0 };
    }
    1.0 / (1.0 + (-4.0 * (x - center) / width).exp())
}

/// Stage 3, a VOI LUT table (C.11.2.1.1): output in [0, 1].
#[inline]
pub fn voi_table(x: f64, lut: &Lut) -> f64 {
    f64::from(lut.lookup(x.round_ties_even() as i64)) / lut.max_output()
}

/// Stage 3: modality value → normalised display value in [0, 1].
#[inline]
pub fn voi_transform(voi: &Voi, x: f64) -> f64 {
    match voi {
        Voi::Window {
            center,
            width,
            function: VoiLutFunction::Linear,
        } => voi_linear(x, *center, *width),
        Voi::Window {
            center,
            width,
            function: VoiLutFunction::LinearExact,
        } => voi_linear_exact(x, *center, *width),
        Voi::Window {
            center,
            width,
            function: VoiLutFunction::Sigmoid,
        } => voi_sigmoid(x, *center, *width),
        Voi::Table(lut) => voi_table(x, lut),
    }
}

/// Stage 4: the Presentation LUT (identity or INVERSE, C.11.6).
#[inline]
pub fn presentation_transform(y: f64, inverse: bool) -> f64 {
    if inverse { 1.0 - y } else { y }
}

/// A VOI LUT table followed by a Presentation LUT table as one table: each entry of `voi`
/// passed through [`presentation_table`], with the presentation table's bits (so the GPU
/// looks up once where the CPU reference looks up twice, with the same result).
pub fn compose_presentation(voi: &Lut, presentation: &Lut) -> Lut {
    let max = voi.max_output();
    let last = presentation.data.len().saturating_sub(1);
    Lut {
        first_mapped: voi.first_mapped,
        bits: presentation.bits,
        data: voi
            .data
            .iter()
            .map(|&v| {
                let i = (f64::from(v) / max * last as f64).round_ties_even() as usize;
                presentation.data.get(i.min(last)).copied().unwrap_or(0)
            })
            .collect(),
        explanation: None,
    }
}

/// Stage 4 with a Presentation LUT table (C.11.6.1): the VOI output `y` in [0, 1] scaled to
/// the table's input range (0 to entries - 1), rounded half to even, looked up, and
/// normalised by the table's output range (2^bits - 1).
///
/// ```
/// use hounsfield_pipeline::presentation_table;
/// use hounsfield_dicom::Lut;
/// let lut = Lut { first_mapped: 0, bits: 8, data: vec![0, 10, 255], explanation: None };
/// assert_eq!(presentation_table(0.5, &lut), 10.0 / 255.0);
/// assert_eq!(presentation_table(1.0, &lut), 1.0);
/// ```
#[inline]
pub fn presentation_table(y: f64, lut: &Lut) -> f64 {
    let last = lut.data.len().saturating_sub(1);
    let i = (y.clamp(0.0, 1.0) * last as f64).round_ties_even() as usize;
    lut.data
        .get(i.min(last))
        .map_or(0.0, |&v| f64::from(v) / lut.max_output())
}

/// The window (centre, width) that spans a modality-value range (min, max) exactly, as a
/// window chosen from the data is made: every value of the range maps inside the window.
///
/// ```
/// assert_eq!(hounsfield_pipeline::range_window((-1024.0, 3071.0)), (1024.0, 4096.0));
/// ```
pub fn range_window((lo, hi): (f64, f64)) -> (f64, f64) {
    ((lo + hi + 1.0) / 2.0, hi - lo + 1.0)
}

/// Stage 6: a normalised value to an 8-bit output level, rounded to nearest.
#[inline]
pub fn output_encode(y: f64) -> u8 {
    (y.clamp(0.0, 1.0) * 255.0 + 0.5).floor() as u8
}

impl GreyPipeline {
    /// Resolves the pipeline of a grey frame; `frame` supplies the data range when the
    /// selection (or the lack of any window in the file) asks for it.
    pub fn resolve(
        params: &DisplayParameters,
        frame: &Frame,
        options: &RenderOptions,
    ) -> Result<GreyPipeline, ErrorKind> {
        Self::resolve_over(params, || data_range(params, frame), options)
    }

    /// [`GreyPipeline::resolve`] with the data range (modality values, min and max) given
    /// by `range`, asked for only when a min-max window is needed: for callers that know
    /// it already, or that window over more than one frame.
    pub fn resolve_over(
        params: &DisplayParameters,
        range: impl FnOnce() -> (f64, f64),
        options: &RenderOptions,
    ) -> Result<GreyPipeline, ErrorKind> {
        let function = options.voi_function.unwrap_or(params.voi_lut_function);
        let window = |center: f64, width: f64| Voi::Window {
            center,
            width,
            function,
        };
        let data_range = || {
            let (center, width) = range_window(range());
            window(center, width)
        };
        let voi = match &options.voi {
            VoiSelection::Window { center, width } => window(*center, *width),
            VoiSelection::FileWindow(n) => {
                let w = params.windows.get(*n).ok_or_else(|| {
                    ErrorKind::Unsupported(format!(
                        "window {} requested, the file has {}",
                        n + 1,
                        params.windows.len()
                    ))
                })?;
                window(w.center, w.width)
            }
            VoiSelection::VoiLut(n) => {
                Voi::Table(params.voi_luts.get(*n).cloned().ok_or_else(|| {
                    ErrorKind::Unsupported(format!(
                        "VOI LUT {} requested, the file has {}",
                        n + 1,
                        params.voi_luts.len()
                    ))
                })?)
            }
            VoiSelection::DataRange => data_range(),
            VoiSelection::Default => match (params.windows.first(), params.voi_luts.first()) {
                (Some(w), _) => window(w.center, w.width),
                (None, Some(lut)) => Voi::Table(lut.clone()),
                (None, None) => data_range(),
            },
        };
        Ok(GreyPipeline {
            modality: params.modality_lut.clone(),
            voi,
            inverse: if params.presentation_lut.is_some() {
                options.invert
            } else {
                params.inverse() != options.invert
            },
            presentation_lut: params.presentation_lut.clone(),
        })
    }

    /// The whole grey chain for one stored value.
    #[inline]
    pub fn display(&self, stored: f64) -> u8 {
        let m = modality_transform(&self.modality, stored);
        let mut y = voi_transform(&self.voi, m);
        if let Some(lut) = &self.presentation_lut {
            y = presentation_table(y, lut);
        }
        output_encode(presentation_transform(y, self.inverse))
    }

    /// The window in use, if the VOI stage is a window.
    pub fn window(&self) -> Option<(f64, f64)> {
        match self.voi {
            Voi::Window { center, width, .. } => Some((center, width)),
            Voi::Table(_) => None,
        }
    }
}

/// Minimum and maximum modality value of a frame, every sample counted.
pub fn modality_range(modality: &ModalityLut, frame: &Frame) -> (f64, f64) {
    modality_range_of(modality, frame, None)
}

/// The data range of a frame for min-max windows: minimum and maximum modality value of
/// its samples, with the Pixel Padding Value (and Range) of `params` left out (PS3.3
/// C.7.5.1.1.2). A frame of padding only gives (0, 0) through its Modality LUT.
pub fn data_range(params: &DisplayParameters, frame: &Frame) -> (f64, f64) {
    modality_range_of(&params.modality_lut, frame, params.pixel_padding)
}

fn modality_range_of(
    modality: &ModalityLut,
    frame: &Frame,
    padding: Option<hounsfield_dicom::PixelPadding>,
) -> (f64, f64) {
    let (lo, hi) = crate::view::data_min_max_without(&frame.samples, padding).unwrap_or((0.0, 0.0));
    match modality {
        ModalityLut::Identity => (lo, hi),
        ModalityLut::Rescale { .. } => {
            let (a, b) = (
                modality_transform(modality, lo),
                modality_transform(modality, hi),
            );
            (a.min(b), a.max(b))
        }
        ModalityLut::Table { .. } => {
            let mut r = (f64::INFINITY, f64::NEG_INFINITY);
            for i in 0..frame.samples.len() {
                let v = frame.samples.get_f64(i);
                if padding.is_some_and(|p| p.contains(v)) {
                    continue;
                }
                let m = modality_transform(modality, v);
                r = (r.0.min(m), r.1.max(m));
            }
            if r.0 > r.1 {
                let m = modality_transform(modality, 0.0);
                return (m, m);
            }
            r
        }
    }
}

/// An 8-bit rendered image.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 1 (grey) or 3 (RGB).
    pub channels: u8,
    /// Rows of `width * channels` bytes, top row first.
    pub pixels: Vec<u8>,
    /// The grey pipeline used (None for colour images).
    pub pipeline: Option<GreyPipeline>,
}

/// Renders a frame through the reference pipeline.
///
/// ```no_run
/// use hounsfield_dicom::DicomFile;
/// use hounsfield_pipeline::{RenderOptions, render_frame};
/// let file = DicomFile::open("CT_small.dcm")?;
/// let frame = file.decode_frame(0)?;
/// let params = file.display_parameters(0)?;
/// let image = render_frame(&frame, &params, &RenderOptions::default())?;
/// assert_eq!(image.pixels.len(), (image.width * image.height) as usize);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render_frame(
    frame: &Frame,
    params: &DisplayParameters,
    options: &RenderOptions,
) -> Result<RenderedImage, ErrorKind> {
    let n = frame.width as usize * frame.height as usize;
    let (channels, pixels, pipeline) = match frame.color {
        FrameColor::Rgb => {
            let max = ((1u64 << frame.bits_stored.min(32)) - 1) as f64;
            let mut out = Vec::with_capacity(3 * n);
            match &frame.samples {
                Samples::U8(v) if frame.bits_stored == 8 => out.extend_from_slice(v),
                s => out.extend((0..s.len()).map(|i| output_encode(s.get_f64(i) / max))),
            }
            if options.invert {
                out.iter_mut().for_each(|v| *v = 255 - *v);
            }
            (3, out, None)
        }
        FrameColor::PaletteIndex => {
            let palette = params.palette.as_ref().ok_or(ErrorKind::MissingAttribute(
                "Palette Color Lookup Table Descriptor",
            ))?;
            let mut out = Vec::with_capacity(3 * n);
            for i in 0..n {
                out.extend_from_slice(&palette_lookup(palette, frame.samples.get_i64(i)));
            }
            if options.invert {
                out.iter_mut().for_each(|v| *v = 255 - *v);
            }
            (3, out, None)
        }
        FrameColor::Monochrome => {
            let pipe = GreyPipeline::resolve(params, frame, options)?;
            let grey = map_grey(&frame.samples, &pipe);
            match (&params.palette, params.supplemental_palette) {
                (Some(palette), true) => {
                    let mut out = Vec::with_capacity(3 * n);
                    for (i, &g) in grey.iter().enumerate() {
                        let v = frame.samples.get_i64(i);
                        if palette.covers(v) {
                            out.extend_from_slice(&palette_lookup(palette, v));
                        } else {
                            out.extend_from_slice(&[g, g, g]);
                        }
                    }
                    (3, out, Some(pipe))
                }
                _ => (1, grey, Some(pipe)),
            }
        }
    };
    Ok(RenderedImage {
        width: frame.width,
        height: frame.height,
        channels,
        pixels,
        pipeline,
    })
}

/// Stage 5: a palette index to 8-bit RGB.
#[inline]
pub fn palette_lookup(palette: &hounsfield_dicom::PaletteColorLut, index: i64) -> [u8; 3] {
    palette.rgb8(index)
}

/// Maps grey samples through the pipeline: by table for 8- and 16-bit lanes.
fn map_grey(samples: &Samples, pipe: &GreyPipeline) -> Vec<u8> {
    match samples {
        Samples::U8(v) => {
            let t: Vec<u8> = (0..256).map(|s| pipe.display(f64::from(s))).collect();
            v.iter().map(|&s| t[usize::from(s)]).collect()
        }
        Samples::U16(v) => {
            let t: Vec<u8> = (0..65536).map(|s| pipe.display(f64::from(s))).collect();
            v.iter().map(|&s| t[usize::from(s)]).collect()
        }
        Samples::I16(v) => {
            let t: Vec<u8> = (0..65536)
                .map(|s| pipe.display(f64::from(s as u16 as i16)))
                .collect();
            v.iter().map(|&s| t[usize::from(s as u16)]).collect()
        }
        s => (0..s.len()).map(|i| pipe.display(s.get_f64(i))).collect(),
    }
}

/// Stage 1 for a view: the sample at image position `img` (f32, as the shader computes
/// it): the containing pixel, or the bilinear interpolation of stored values.
/// Returns `None` outside the image, and where a float frame has no data (a resampled
/// plane outside its volume, [`crate::view::NO_DATA`]).
pub fn sample(frame: &Frame, img: [f32; 2], filter: Filter, channel: usize) -> Option<f32> {
    sample_any(frame, img, filter, channel).filter(|v| *v >= crate::view::NO_DATA_BELOW)
}

fn sample_any(frame: &Frame, img: [f32; 2], filter: Filter, channel: usize) -> Option<f32> {
    let (w, h) = (frame.width as f32, frame.height as f32);
    if !(img[0] >= 0.0 && img[1] >= 0.0 && img[0] < w && img[1] < h) {
        return None;
    }
    let ch = frame.channels();
    let load = |x: i64, y: i64| -> f32 {
        let x = x.clamp(0, i64::from(frame.width) - 1) as usize;
        let y = y.clamp(0, i64::from(frame.height) - 1) as usize;
        frame
            .samples
            .get_f64((y * frame.width as usize + x) * ch + channel) as f32
    };
    let linear = filter == Filter::Linear && frame.color != FrameColor::PaletteIndex;
    if !linear {
        return Some(load(img[0].floor() as i64, img[1].floor() as i64));
    }
    Some(bilinear([img[0] - 0.5, img[1] - 0.5], load))
}

/// Renders a frame through the reference pipeline as seen through `view`: the oracle of
/// the GPU renderer for zoom, pan, flips, rotation, non-square pixels and filtering.
/// Outside the image the output is black.
pub fn render_view(
    frame: &Frame,
    params: &DisplayParameters,
    options: &RenderOptions,
    view: &View,
) -> Result<RenderedImage, ErrorKind> {
    let grey = frame.color == FrameColor::Monochrome;
    let pipe = if grey {
        Some(GreyPipeline::resolve(params, frame, options)?)
    } else {
        None
    };
    let supplemental = grey && params.supplemental_palette && params.palette.is_some();
    let mut image = render_view_with(
        frame,
        pipe.as_ref(),
        params.palette.as_ref(),
        supplemental,
        options.invert,
        view,
    )?;
    image.pipeline = pipe;
    Ok(image)
}

/// [`render_view`] with the grey pipeline already resolved (`pipe`, for grey frames; a
/// viewer's window and inversion are in it), the palette of palette-colour frames (and,
/// with `supplemental`, of grey frames it colours), and `invert` for colour frames. What
/// the viewers draw when they draw on the CPU.
///
/// ```
/// use hounsfield_dicom::{Frame, FrameColor, Samples};
/// use hounsfield_pipeline::{GreyPipeline, render_view_with};
/// use hounsfield_pipeline::view::View;
/// let frame = Frame { width: 2, height: 1, color: FrameColor::Rgb,
///                     samples: Samples::U8(vec![255, 0, 0, 0, 0, 255]), bits_stored: 8, signed: false };
/// let image = render_view_with(&frame, None, None, false, false, &View::native(2, 1))?;
/// assert_eq!(image.pixels, vec![255, 0, 0, 0, 0, 255]);
/// # Ok::<(), hounsfield_dicom::ErrorKind>(())
/// ```
pub fn render_view_with(
    frame: &Frame,
    pipe: Option<&GreyPipeline>,
    palette: Option<&hounsfield_dicom::PaletteColorLut>,
    supplemental: bool,
    invert: bool,
    view: &View,
) -> Result<RenderedImage, ErrorKind> {
    let map = view.mapping(frame.width, frame.height);
    let (ow, oh) = (view.width as usize, view.height as usize);
    let grey = frame.color == FrameColor::Monochrome;
    let supplemental = grey && supplemental && palette.is_some();
    let channels: usize = if grey && !supplemental { 1 } else { 3 };
    if frame.color == FrameColor::PaletteIndex && palette.is_none() {
        return Err(ErrorKind::MissingAttribute(
            "Palette Color Lookup Table Descriptor",
        ));
    }
    if grey && pipe.is_none() {
        return Err(ErrorKind::Unsupported("no grey pipeline".into()));
    }
    let max = ((1u64 << frame.bits_stored.min(32)) - 1) as f64;
    if let (true, false, Some(p)) = (grey, supplemental, pipe) {
        return Ok(RenderedImage {
            width: view.width,
            height: view.height,
            channels: 1,
            pixels: grey_view::render_grey_view(frame, p, view),
            pipeline: pipe.cloned(),
        });
    }
    // One output row; rows are independent (and drawn on all cores with `parallel`).
    let row = |y: usize, row: &mut [u8]| {
        for (x, o) in row.chunks_exact_mut(channels).enumerate() {
            let img = map.image_at(x as f32 + 0.5, y as f32 + 0.5);
            match (frame.color, pipe, palette) {
                (FrameColor::Monochrome, Some(p), _) => {
                    let Some(v) = sample(frame, img, view.filter, 0) else {
                        continue;
                    };
                    // A supplemental palette colours the stored values it covers; the
                    // nearest stored value decides.
                    if let (true, Some(pal)) = (supplemental, palette) {
                        let nearest = sample(frame, img, Filter::Nearest, 0).unwrap_or(v);
                        let index = nearest.round_ties_even() as i64;
                        if pal.covers(index) {
                            o.copy_from_slice(&palette_lookup(pal, index));
                            continue;
                        }
                    }
                    let g = p.display(f64::from(v));
                    o.iter_mut().for_each(|c| *c = g);
                }
                (FrameColor::PaletteIndex, _, Some(pal)) => {
                    let Some(v) = sample(frame, img, view.filter, 0) else {
                        continue;
                    };
                    let rgb = palette_lookup(pal, v.round_ties_even() as i64);
                    for c in 0..3 {
                        o[c] = if invert { 255 - rgb[c] } else { rgb[c] };
                    }
                }
                (FrameColor::Rgb, _, _) => {
                    for (c, oc) in o.iter_mut().enumerate() {
                        let Some(v) = sample(frame, img, view.filter, c) else {
                            continue;
                        };
                        let y = f64::from(v) / max;
                        *oc = output_encode(if invert { 1.0 - y } else { y });
                    }
                }
                _ => {} // excluded above
            }
        }
    };
    let mut out = vec![0u8; ow * oh * channels];
    for_each_row(&mut out, ow * channels, row);
    Ok(RenderedImage {
        width: view.width,
        height: view.height,
        channels: channels as u8,
        pixels: out,
        pipeline: pipe.cloned(),
    })
}

/// Calls `row(y, pixels)` for each row of `stride` bytes of `out`: on all cores with the
/// `parallel` feature (natively), one after another otherwise.
pub(crate) fn for_each_row<T: Send>(
    out: &mut [T],
    stride: usize,
    row: impl Fn(usize, &mut [T]) + Sync,
) {
    let stride = stride.max(1);
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(stride)
            .enumerate()
            .for_each(|(y, r)| row(y, r));
    }
    #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
    out.chunks_mut(stride)
        .enumerate()
        .for_each(|(y, r)| row(y, r));
}
