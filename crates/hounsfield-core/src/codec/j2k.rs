//! JPEG 2000 and High-Throughput JPEG 2000 through OpenJPEG (the `jpeg2k` crate): the C
//! library natively, its pure-Rust port (`openjp2`) in the browser build.

use super::RawFrame;
use crate::error::{KResult, codec_error};
use crate::image::{ImageDescription, PhotometricInterpretation};

const CODEC: &str = "JPEG 2000";

/// Decodes one frame (a J2K codestream, or a JP2 file as some writers embed).
pub(crate) fn decode(data: &[u8], desc: &ImageDescription, frame: usize) -> KResult<RawFrame> {
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
    let params = jpeg2k::DecodeParameters::new();
    let image = jpeg2k::Image::from_bytes_with(data, params)
        .map_err(|e| err(format!("OpenJPEG cannot decode the codestream ({e})")))?;
    let comps = image.components();
    let spp = desc.samples_per_pixel as usize;
    if comps.len() < spp {
        return Err(err(format!(
            "the codestream has {} components, Samples per Pixel is {spp}",
            comps.len()
        )));
    }
    let (w, h) = (desc.columns, desc.rows);
    for (i, c) in comps.iter().take(spp).enumerate() {
        if c.width() != w || c.height() != h {
            return Err(err(format!(
                "component {i} is {} x {}, the image is {w} x {h}",
                c.width(),
                c.height()
            )));
        }
    }
    let n = (w as usize) * (h as usize);
    // Straight into the model's lane (masked, sign-extended), in one pass.
    let signed = desc.signed && desc.photometric_interpretation.is_monochrome();
    let samples = if spp == 1 {
        super::lane_from_i32(&comps[0].data()[..n], desc, signed)
    } else {
        let (r, g, b) = (comps[0].data(), comps[1].data(), comps[2].data());
        let mut v = Vec::with_capacity(3 * n);
        for i in 0..n {
            v.extend_from_slice(&[r[i], g[i], b[i]]);
        }
        super::lane_from_i32(&v, desc, false)
    };
    // OpenJPEG applies the inverse multiple-component transform of YBR_ICT / YBR_RCT.
    let ybr = match desc.photometric_interpretation {
        PhotometricInterpretation::YbrIct | PhotometricInterpretation::YbrRct => None,
        _ => super::declared_ybr(desc),
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
        if len < header || pos + len > data.len() {
            return Err("a JP2 box runs past the end of the frame".into());
        }
        if kind == b"jp2c" {
            return Ok(&data[pos + header..pos + len]);
        }
        pos += len;
    }
    Err("the JP2 file has no codestream box".into())
}
