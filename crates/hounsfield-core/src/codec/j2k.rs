//! JPEG 2000 and High-Throughput JPEG 2000 through OpenJPEG (the `jpeg2k` crate): the C
//! library natively, its pure-Rust port (`openjp2`) in the browser build.

use super::RawFrame;
use crate::error::{KResult, codec_error};
use crate::image::{ImageDescription, PhotometricInterpretation, Samples};

const CODEC: &str = "JPEG 2000";

/// Decodes one frame (a J2K codestream, or a JP2 file as some writers embed).
pub(crate) fn decode(data: &[u8], desc: &ImageDescription, frame: usize) -> KResult<RawFrame> {
    let err = |m: String| codec_error(CODEC, frame, m);
    let params = jpeg2k::DecodeParameters::new();
    let image = jpeg2k::Image::from_bytes_with(data, params).map_err(|e| err(e.to_string()))?;
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
    let samples = if spp == 1 {
        comps[0].data()[..n].to_vec()
    } else {
        let (r, g, b) = (comps[0].data(), comps[1].data(), comps[2].data());
        let mut v = Vec::with_capacity(3 * n);
        for i in 0..n {
            v.extend_from_slice(&[r[i], g[i], b[i]]);
        }
        v
    };
    // OpenJPEG applies the inverse multiple-component transform of YBR_ICT / YBR_RCT.
    let ybr = match desc.photometric_interpretation {
        PhotometricInterpretation::YbrIct | PhotometricInterpretation::YbrRct => None,
        _ => super::declared_ybr(desc),
    };
    Ok(RawFrame {
        samples: Samples::I32(samples),
        components: spp,
        ybr,
    })
}
