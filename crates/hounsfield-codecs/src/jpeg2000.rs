//! JPEG 2000 and High-Throughput JPEG 2000 through OpenJPEG (the `jpeg2k` crate): the C
//! library natively, its pure-Rust port (`openjp2`) in the browser build.

use crate::error::{Result, codec_error};
use crate::frame::RawFrame;
use crate::{ImageDescription, PhotometricInterpretation};

const CODEC: &str = "JPEG 2000";

/// Decodes one frame (a J2K codestream, or a JP2 file as some writers embed).
/// Decodes frame `frame` (0-based, for messages) of an image described by `desc` from
/// its JPEG 2000 or HTJ2K bytes into exact stored values (see [`Samples`](crate::Samples)).
///
/// The description is checked first ([`ImageDescription::check`], and integer samples); nothing is allocated
/// for a frame that the data cannot fill.
pub fn decode(data: &[u8], desc: &ImageDescription, frame: usize) -> Result<crate::Frame> {
    desc.check_compressed()?;
    crate::frame::finish(decode_raw(data, desc, frame)?, desc)
}

pub(crate) fn decode_raw(data: &[u8], desc: &ImageDescription, frame: usize) -> Result<RawFrame> {
    let err = |m: String| codec_error(CODEC, frame, m);
    // Check the image and tile size (SIZ) before OpenJPEG allocates anything for them.
    let siz = read_siz(data).map_err(&err)?;
    if siz.width != desc.columns || siz.height != desc.rows {
        return Err(err(format!(
            "the codestream is {} x {}, the image is {} x {}",
            siz.width, siz.height, desc.columns, desc.rows
        )));
    }
    if usize::from(siz.components) < desc.samples_per_pixel as usize {
        return Err(err(format!(
            "the codestream has {} components, Samples per Pixel is {}",
            siz.components, desc.samples_per_pixel
        )));
    }
    openjpeg(data, desc, frame)
}

/// One component of a JPEG 2000 image decoded outside this build, by a decoder given to
/// [`set_jpeg2000_decoder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jpeg2000Component {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// The samples, row by row (`width * height` of them).
    pub data: Vec<i32>,
}

/// A JPEG 2000 decoder supplied at run time: a codestream (or JP2 file) in, its components
/// out (after the inverse multiple-component transform, as OpenJPEG gives them).
pub type Jpeg2000Decoder = fn(&[u8]) -> Result<Vec<Jpeg2000Component>, String>;

static DECODER: std::sync::OnceLock<Jpeg2000Decoder> = std::sync::OnceLock::new();

/// Gives a build without the `jpeg2000` feature a JPEG 2000 decoder, for the rest of the
/// process; returns false when one was already given. The browser page gives the one of
/// its codec module, loaded when the first file needs it. With the feature, the built-in
/// OpenJPEG decodes and this decoder is not used.
///
/// ```
/// use hounsfield_codecs::{Jpeg2000Component, set_jpeg2000_decoder};
/// fn flat(_: &[u8]) -> Result<Vec<Jpeg2000Component>, String> {
///     Err("no JPEG 2000 here".into())
/// }
/// assert!(set_jpeg2000_decoder(flat));
/// assert!(!set_jpeg2000_decoder(flat));
/// ```
pub fn set_jpeg2000_decoder(decoder: Jpeg2000Decoder) -> bool {
    DECODER.set(decoder).is_ok()
}

#[cfg(not(feature = "jpeg2000"))]
fn openjpeg(data: &[u8], desc: &ImageDescription, frame: usize) -> Result<RawFrame> {
    let decoder = DECODER
        .get()
        .ok_or(crate::error::CodecError::NotBuilt { codec: CODEC })?;
    let comps = decoder(data).map_err(|e| codec_error(CODEC, frame, e))?;
    let comps: Vec<_> = comps
        .iter()
        .map(|c| (c.width, c.height, c.data.as_slice()))
        .collect();
    assemble(&comps, desc, frame)
}

/// Decodes the codestream, whose size and components [`decode`] has checked.
#[cfg(feature = "jpeg2000")]
fn openjpeg(data: &[u8], desc: &ImageDescription, frame: usize) -> Result<RawFrame> {
    let params = jpeg2k::DecodeParameters::new();
    let image = jpeg2k::Image::from_bytes_with(data, params).map_err(|e| {
        codec_error(
            CODEC,
            frame,
            format!("OpenJPEG cannot decode the codestream ({e})"),
        )
    })?;
    let comps: Vec<_> = image
        .components()
        .iter()
        .map(|c| (c.width(), c.height(), c.data()))
        .collect();
    assemble(&comps, desc, frame)
}

/// The frame from its decoded components (`(width, height, samples)`).
fn assemble(
    comps: &[(u32, u32, &[i32])],
    desc: &ImageDescription,
    frame: usize,
) -> Result<RawFrame> {
    let err = |m: String| codec_error(CODEC, frame, m);
    let spp = desc.samples_per_pixel as usize;
    if comps.len() < spp {
        return Err(err(format!(
            "the codestream has {} components, Samples per Pixel is {spp}",
            comps.len()
        )));
    }
    let (w, h) = (desc.columns, desc.rows);
    let n = (w as usize) * (h as usize);
    for (i, &(cw, ch, data)) in comps.iter().take(spp).enumerate() {
        if cw != w || ch != h || data.len() < n {
            return Err(err(format!(
                "component {i} is {cw} x {ch} ({} samples), the image is {w} x {h}",
                data.len()
            )));
        }
    }
    // Straight into the model's lane (masked, sign-extended), in one pass.
    let signed = desc.signed && desc.photometric_interpretation.is_monochrome();
    let samples = if spp == 1 {
        crate::frame::lane_from_i32(&comps[0].2[..n], desc, signed)
    } else {
        let (r, g, b) = (comps[0].2, comps[1].2, comps[2].2);
        let mut v = Vec::with_capacity(3 * n);
        for i in 0..n {
            v.extend_from_slice(&[r[i], g[i], b[i]]);
        }
        crate::frame::lane_from_i32(&v, desc, false)
    };
    // OpenJPEG applies the inverse multiple-component transform of YBR_ICT / YBR_RCT.
    let ybr = match desc.photometric_interpretation {
        PhotometricInterpretation::YbrIct | PhotometricInterpretation::YbrRct => None,
        _ => crate::frame::declared_ybr(desc),
    };
    Ok(RawFrame {
        samples,
        components: spp,
        ybr,
    })
}

/// The image and tile size of a codestream (ISO 15444-1 A.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Siz {
    pub width: u32,
    pub height: u32,
    pub components: u16,
    pub tiles: u64,
}

/// Reads the SIZ marker segment of a J2K codestream (or of the `jp2c` box of a JP2 file).
pub(crate) fn read_siz(data: &[u8]) -> Result<Siz, String> {
    let cs = codestream(data)?;
    if cs.len() < 4 || cs[0..2] != [0xFF, 0x4F] || cs[2..4] != [0xFF, 0x51] {
        return Err("the frame does not start with a JPEG 2000 codestream (SOC, SIZ)".into());
    }
    let s = &cs[4..];
    if s.len() < 38 {
        return Err("the SIZ marker segment is truncated".into());
    }
    let u32_at = |i: usize| u32::from_be_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
    let (xsiz, ysiz, xo, yo) = (u32_at(4), u32_at(8), u32_at(12), u32_at(16));
    let (xt, yt, xto, yto) = (u32_at(20), u32_at(24), u32_at(28), u32_at(32));
    let csiz = u16::from_be_bytes([s[36], s[37]]);
    if xo >= xsiz || yo >= ysiz || xt == 0 || yt == 0 || xto > xo || yto > yo || csiz == 0 {
        return Err(format!(
            "the SIZ marker segment is invalid (image {xsiz} x {ysiz} from {xo},{yo}, tiles {xt} x {yt} from {xto},{yto}, {csiz} components)"
        ));
    }
    let tiles = u64::from((xsiz - xto).div_ceil(xt)) * u64::from((ysiz - yto).div_ceil(yt));
    if tiles > 65535 {
        return Err(format!(
            "the SIZ marker segment announces {tiles} tiles (at most 65535 are allowed)"
        ));
    }
    Ok(Siz {
        width: xsiz - xo,
        height: ysiz - yo,
        components: csiz,
        tiles,
    })
}

/// The codestream of a frame: the frame itself, or the contents of a JP2 `jp2c` box.
fn codestream(data: &[u8]) -> Result<&[u8], String> {
    if !data.starts_with(&[0, 0, 0, 0x0C, b'j', b'P', b' ', b' ']) {
        return Ok(data);
    }
    let mut pos = 0usize;
    while pos + 8 <= data.len() {
        let len =
            u32::from_be_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]) as usize;
        let kind = &data[pos + 4..pos + 8];
        let (header, len) = match len {
            0 => (8, data.len() - pos),
            1 if pos + 16 <= data.len() => {
                let l = u64::from_be_bytes(data[pos + 8..pos + 16].try_into().unwrap_or_default());
                (16, usize::try_from(l).unwrap_or(usize::MAX))
            }
            l => (8, l),
        };
        // pos <= data.len() - 8 here; compared without pos + len, which can wrap.
        if len < header || len > data.len() - pos {
            return Err("a JP2 box runs past the end of the frame".into());
        }
        if kind == b"jp2c" {
            return Ok(&data[pos + header..pos + len]);
        }
        pos += len;
    }
    Err("the JP2 file has no codestream box".into())
}
