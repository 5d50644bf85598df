//! JPEG-LS (ISO/IEC 14495-1).

use super::RawFrame;
use crate::error::{KResult, codec_error};
use crate::image::ImageDescription;

pub(crate) fn decode(_data: &[u8], _desc: &ImageDescription, frame: usize) -> KResult<RawFrame> {
    Err(codec_error("JPEG-LS", frame, "not yet implemented"))
}
