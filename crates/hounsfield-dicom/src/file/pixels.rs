//! Decoding frames of a [`DicomFile`].

use crate::error::{Error, ErrorKind, KResult};
use crate::file::{DicomFile, PixelLocation};
use crate::frames::{FrameMap, map_frames};
use crate::image::{Frame, ImageDescription};
use crate::transfer_syntax::Codec;
use dicom_dictionary_std::tags;
use hounsfield_codecs::{jpeg, jpeg2000, jpegls, native, rle};
use std::borrow::Cow;

/// What is needed to decode any frame, computed once per object.
#[derive(Debug)]
pub(crate) struct PixelLayout {
    pub desc: ImageDescription,
    pub frames: Option<FrameMap>,
}

impl DicomFile {
    fn layout(&self) -> KResult<&PixelLayout> {
        self.layout
            .get_or_init(|| self.compute_layout())
            .as_ref()
            .map_err(Clone::clone)
    }

    fn compute_layout(&self) -> KResult<PixelLayout> {
        let pixel = self.pixel.as_ref().ok_or(ErrorKind::NoPixelData)?;
        let float = match pixel {
            PixelLocation::Float { double, .. } => Some(*double),
            _ => None,
        };
        let desc = crate::image::describe(&self.attributes(), float)?;
        desc.check_size()?;
        let frames = match pixel {
            PixelLocation::Encapsulated {
                offset_table,
                fragments,
            } => {
                let offsets = self.frame_offsets(offset_table.clone())?;
                Some(map_frames(
                    &self.data,
                    fragments,
                    &offsets,
                    desc.number_of_frames,
                    self.transfer_syntax.codec,
                )?)
            }
            PixelLocation::Pending | PixelLocation::Released => None,
            PixelLocation::Native { value, .. } | PixelLocation::Float { value, .. } => {
                // All frames must be present: fail early with the sizes, as a user reads them.
                let needed = native::native_frame_bits(&desc)
                    .checked_mul(u64::from(desc.number_of_frames))
                    .map(|b| b.div_ceil(8));
                let actual = value.len() as u64;
                match needed {
                    Some(n) if n <= actual => {}
                    _ => {
                        return Err(ErrorKind::PixelDataSize {
                            expected: needed.unwrap_or(u64::MAX),
                            actual,
                            what: format!(
                                "{} frames of {} x {} x {} samples of {} bits",
                                desc.number_of_frames,
                                desc.rows,
                                desc.columns,
                                desc.samples_per_pixel,
                                desc.bits_allocated
                            ),
                        });
                    }
                }
                None
            }
        };
        Ok(PixelLayout { desc, frames })
    }

    /// Frame offsets from the Extended Offset Table, else the Basic Offset Table.
    fn frame_offsets(&self, bot: std::ops::Range<usize>) -> KResult<Vec<u64>> {
        let a = self.attributes();
        if let Some(eot) = a.bytes(tags::EXTENDED_OFFSET_TABLE) {
            return Ok(eot
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect());
        }
        Ok(self.data[bot]
            .chunks_exact(4)
            .map(|c| u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect())
    }

    /// The validated Image Pixel module.
    ///
    /// ```no_run
    /// # let file = hounsfield_dicom::DicomFile::open("MR_small.dcm")?;
    /// let image = file.image()?;
    /// println!("{} x {}, {} bits stored", image.columns, image.rows, image.bits_stored);
    /// # Ok::<(), hounsfield_dicom::Error>(())
    /// ```
    pub fn image(&self) -> Result<&ImageDescription, Error> {
        self.layout().map(|l| &l.desc).map_err(|k| self.err(k))
    }

    /// How the fragments of encapsulated pixel data were assigned to frames.
    pub fn frame_mapping(&self) -> Option<&'static str> {
        self.layout().ok()?.frames.as_ref().map(|m| m.method)
    }

    /// The encoded bytes of frame `index` (fragments joined when a frame spans several).
    pub fn encoded_frame(&self, index: usize) -> Result<Cow<'_, [u8]>, Error> {
        self.encoded_frame_k(index).map_err(|k| self.err(k))
    }

    fn encoded_frame_k(&self, index: usize) -> KResult<Cow<'_, [u8]>> {
        let layout = self.layout()?;
        check_index(index, &layout.desc)?;
        match (self.pixel.as_ref(), layout.frames.as_ref()) {
            (Some(PixelLocation::Encapsulated { fragments, .. }), Some(map)) => {
                let range = map.frames[index].clone();
                if range.len() == 1 {
                    Ok(Cow::Borrowed(&self.data[fragments[range.start].clone()]))
                } else {
                    let mut v = Vec::new();
                    for f in &fragments[range] {
                        v.extend_from_slice(&self.data[f.clone()]);
                    }
                    Ok(Cow::Owned(v))
                }
            }
            (Some(PixelLocation::Native { value, .. } | PixelLocation::Float { value, .. }), _) => {
                Ok(Cow::Borrowed(&self.data[value.clone()]))
            }
            (Some(PixelLocation::Pending), _) => Err(ErrorKind::PixelDataPending),
            (Some(PixelLocation::Released), _) => Err(ErrorKind::PixelDataReleased),
            _ => Err(ErrorKind::NoPixelData),
        }
    }

    /// Decodes frame `index` (0-based) into the image model: exact stored values for grey
    /// data, RGB for colour, indices for palette colour.
    ///
    /// ```no_run
    /// # let file = hounsfield_dicom::DicomFile::open("CT_small.dcm")?;
    /// let frame = file.decode_frame(0)?;
    /// assert_eq!(frame.samples.len(), (frame.width * frame.height) as usize);
    /// # Ok::<(), hounsfield_dicom::Error>(())
    /// ```
    pub fn decode_frame(&self, index: usize) -> Result<Frame, Error> {
        self.decode_frame_k(index).map_err(|k| self.err(k))
    }

    fn decode_frame_k(&self, index: usize) -> KResult<Frame> {
        let layout = self.layout()?;
        let desc = &layout.desc;
        check_index(index, desc)?;
        let frame = match self.pixel.as_ref().ok_or(ErrorKind::NoPixelData)? {
            PixelLocation::Native { value, word_vr } => {
                let big_endian = self.transfer_syntax.big_endian;
                let layout = native::NativeLayout {
                    big_endian,
                    swap_ow8: big_endian && *word_vr && desc.bits_allocated == 8,
                };
                native::decode(&self.data[value.clone()], desc, index, &layout)?
            }
            PixelLocation::Float { value, .. } => {
                let layout = native::NativeLayout {
                    big_endian: self.transfer_syntax.big_endian,
                    swap_ow8: false,
                };
                native::decode(&self.data[value.clone()], desc, index, &layout)?
            }
            PixelLocation::Pending => return Err(ErrorKind::PixelDataPending),
            PixelLocation::Released => return Err(ErrorKind::PixelDataReleased),
            PixelLocation::Encapsulated { .. } => {
                let bytes = self.encoded_frame_k(index)?;
                match self.transfer_syntax.codec {
                    Codec::Rle => rle::decode(&bytes, desc, index)?,
                    Codec::Jpeg => jpeg::decode(&bytes, desc, index)?,
                    Codec::JpegLs => jpegls::decode(&bytes, desc, index)?,
                    Codec::Jpeg2000 => jpeg2000::decode(&bytes, desc, index)?,
                    Codec::EncapsulatedUncompressed => {
                        let layout = native::NativeLayout {
                            big_endian: false,
                            swap_ow8: false,
                        };
                        let one = ImageDescription {
                            number_of_frames: 1,
                            ..desc.clone()
                        };
                        native::decode(&bytes, &one, 0, &layout)?
                    }
                    Codec::Native | Codec::Unsupported => {
                        return Err(ErrorKind::UnsupportedTransferSyntax {
                            uid: self.transfer_syntax.uid.clone(),
                            name: self.transfer_syntax.name.to_string(),
                        });
                    }
                }
            }
        };
        Ok(frame)
    }

    /// Decodes every frame; natively the frames are decoded in parallel.
    pub fn decode_all_frames(&self) -> Result<Vec<Frame>, Error> {
        let n = self.image()?.number_of_frames as usize;
        #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
        {
            use rayon::prelude::*;
            (0..n)
                .into_par_iter()
                .map(|i| self.decode_frame(i))
                .collect()
        }
        #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
        {
            (0..n).map(|i| self.decode_frame(i)).collect()
        }
    }
}

fn check_index(index: usize, desc: &ImageDescription) -> KResult<()> {
    if index >= desc.number_of_frames as usize {
        return Err(ErrorKind::FrameIndex {
            index,
            count: desc.number_of_frames as usize,
        });
    }
    Ok(())
}
