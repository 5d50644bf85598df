//! Opening DICOM Part 10 objects from bytes (and, natively, from paths).

use crate::attrs::Attributes;
use crate::charset::CharacterSets;
use crate::error::{Error, ErrorKind, KResult, malformed};
use crate::transfer_syntax::TransferSyntax;
use crate::walk::{ElementSpan, Encoding, Walker};
use dicom_dictionary_std::tags;
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::InMemDicomObject;
use std::ops::Range;

// Frames and their decoding: the same type's pixel side.
mod pixels;

/// Where the pixel data of an object lies in its encoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PixelLocation {
    /// Native (uncompressed) pixel data: the value bytes, in the data set's byte order.
    Native {
        value: Range<usize>,
        /// The VR the element was encoded with (OB or OW; None when implicit and unknown).
        word_vr: bool,
    },
    /// Encapsulated pixel data: the Basic Offset Table item and the fragments.
    Encapsulated {
        offset_table: Range<usize>,
        fragments: Vec<Range<usize>>,
    },
    /// Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009).
    Float { value: Range<usize>, double: bool },
    /// Pixel data that exists at its source but has not been fetched (a header built
    /// from DICOMweb metadata): the image is described, its frames cannot be decoded.
    Pending,
    /// Pixel data let go after its frames were decoded elsewhere
    /// ([`DicomFile::without_pixel_data`]).
    Released,
}

/// The pixel data given to [`DicomFile::from_dataset`], already split from its data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodedPixels {
    /// The pixel data exists at the source but has not been fetched yet: the image can
    /// be described (size, geometry, windows), decoding a frame is an error.
    Pending,
    /// Native pixel data: every frame, in the transfer syntax's byte order. `word_vr`
    /// is true when the element's VR is OW.
    Native {
        /// The value of Pixel Data.
        bytes: Vec<u8>,
        /// The VR is OW (else OB).
        word_vr: bool,
    },
    /// Encapsulated pixel data (an encapsulated transfer syntax only): each frame's
    /// complete encoded bitstream, in frame order.
    Frames(Vec<Vec<u8>>),
}

/// The File Meta Information (group 0002), as far as it is present.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FileMeta {
    /// Whether the 128-byte preamble and the `DICM` prefix were present.
    pub preamble: bool,
    /// (0002,0010) as written in the file.
    pub transfer_syntax_uid: Option<String>,
    /// (0002,0002).
    pub media_storage_sop_class_uid: Option<String>,
    /// (0002,0003).
    pub media_storage_sop_instance_uid: Option<String>,
    /// (0002,0012).
    pub implementation_class_uid: Option<String>,
    /// (0002,0013).
    pub implementation_version_name: Option<String>,
}

/// A DICOM object opened from bytes: its attributes, its transfer syntax and where its
/// pixel data lies. Pixel data stays encoded until a frame is asked for.
///
/// ```no_run
/// use hounsfield_dicom::DicomFile;
/// let bytes = std::fs::read("CT_small.dcm")?;
/// let file = DicomFile::from_bytes("CT_small.dcm", bytes)?;
/// println!("{} frames", file.image()?.number_of_frames);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DicomFile {
    pub(crate) name: String,
    pub(crate) data: Vec<u8>,
    pub(crate) meta: FileMeta,
    pub(crate) transfer_syntax: TransferSyntax,
    pub(crate) dataset: InMemDicomObject,
    pub(crate) pixel: Option<PixelLocation>,
    pub(crate) notes: Vec<String>,
    pub(crate) layout: std::sync::OnceLock<Result<pixels::PixelLayout, ErrorKind>>,
}

/// The largest inflation ratio accepted for deflated data sets (DEFLATE cannot exceed
/// about 1032:1), so a small file cannot make the reader allocate without bound.
const MAX_INFLATE_RATIO: u64 = 1032;

impl DicomFile {
    /// Opens a DICOM object from its encoded bytes. `name` is used in messages.
    ///
    /// Accepts files with and without the 128-byte preamble, with a missing or damaged
    /// file meta group when the encoding can be recognised from the data set itself,
    /// implicit and explicit VR, little and big endian, and deflated data sets.
    pub fn from_bytes(name: impl Into<String>, data: Vec<u8>) -> Result<DicomFile, Error> {
        let name = name.into();
        match Self::parse(&name, data) {
            Ok(f) => Ok(f),
            Err(kind) => Err(Error::new(name, kind)),
        }
    }

    /// Builds an object from a data set that was read some other way (DICOMweb
    /// metadata, say) and its pixel data, encoded in `transfer_syntax_uid`.
    ///
    /// Nothing is re-encoded: the frames keep the bytes the source sent, and decode
    /// exactly as they would from a Part 10 file holding them.
    ///
    /// ```
    /// use hounsfield_dicom::{DicomFile, EncodedPixels, tags};
    /// use dicom_core::{DataElement, PrimitiveValue, VR};
    /// use dicom_object::InMemDicomObject;
    /// let mut ds = InMemDicomObject::new_empty();
    /// for (tag, v) in [(tags::ROWS, 2u16), (tags::COLUMNS, 2), (tags::BITS_ALLOCATED, 8),
    ///                  (tags::BITS_STORED, 8), (tags::HIGH_BIT, 7), (tags::SAMPLES_PER_PIXEL, 1),
    ///                  (tags::PIXEL_REPRESENTATION, 0)] {
    ///     ds.put(DataElement::new(tag, VR::US, PrimitiveValue::from(v)));
    /// }
    /// ds.put(DataElement::new(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"));
    /// let pixels = EncodedPixels::Native { bytes: vec![1, 2, 3, 4], word_vr: false };
    /// let file = DicomFile::from_dataset("example", ds, "1.2.840.10008.1.2.1", pixels)?;
    /// assert_eq!(file.decode_frame(0)?.samples.len(), 4);
    /// # Ok::<(), hounsfield_dicom::Error>(())
    /// ```
    pub fn from_dataset(
        name: impl Into<String>,
        dataset: InMemDicomObject,
        transfer_syntax_uid: &str,
        pixels: EncodedPixels,
    ) -> Result<DicomFile, Error> {
        let name = name.into();
        let ts = TransferSyntax::from_uid(transfer_syntax_uid);
        if ts.deflated {
            return Err(Error::new(
                name,
                ErrorKind::Unsupported("frames in a deflated transfer syntax".into()),
            ));
        }
        let a = Attributes::new(&dataset);
        use dicom_dictionary_std::tags;
        let meta = FileMeta {
            preamble: false,
            transfer_syntax_uid: Some(ts.uid.clone()),
            media_storage_sop_class_uid: a.string(tags::SOP_CLASS_UID),
            media_storage_sop_instance_uid: a.string(tags::SOP_INSTANCE_UID),
            implementation_class_uid: None,
            implementation_version_name: None,
        };
        let (data, pixel) = match pixels {
            EncodedPixels::Pending => (Vec::new(), PixelLocation::Pending),
            EncodedPixels::Native { bytes, word_vr } => {
                if ts.is_encapsulated() {
                    return Err(Error::new(
                        name,
                        ErrorKind::Unsupported(format!(
                            "native pixel data in the encapsulated transfer syntax {}",
                            ts.name
                        )),
                    ));
                }
                let value = 0..bytes.len();
                (bytes, PixelLocation::Native { value, word_vr })
            }
            EncodedPixels::Frames(frames) => {
                if !ts.is_encapsulated() {
                    return Err(Error::new(
                        name,
                        ErrorKind::Unsupported(format!(
                            "encapsulated frames in the native transfer syntax {}",
                            ts.name
                        )),
                    ));
                }
                // Laid out as in a file: each fragment an item (FFFE,E000) with its length.
                let mut data = Vec::with_capacity(frames.iter().map(|f| f.len() + 8).sum());
                let mut fragments = Vec::with_capacity(frames.len());
                for f in &frames {
                    let len = u32::try_from(f.len()).map_err(|_| {
                        Error::new(
                            name.clone(),
                            ErrorKind::TooLarge("an encoded frame of 4 GiB or more".into()),
                        )
                    })?;
                    data.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
                    data.extend_from_slice(&len.to_le_bytes());
                    fragments.push(data.len()..data.len() + f.len());
                    data.extend_from_slice(f);
                }
                (
                    data,
                    PixelLocation::Encapsulated {
                        offset_table: 0..0,
                        fragments,
                    },
                )
            }
        };
        let file = DicomFile {
            name,
            data,
            meta,
            transfer_syntax: ts,
            dataset,
            pixel: Some(pixel),
            notes: Vec::new(),
            layout: std::sync::OnceLock::new(),
        };
        // Fail now, naming the object, when the frames cannot fill the image.
        if !file.is_pending() {
            file.image()?;
        }
        Ok(file)
    }

    /// Whether the pixel data is described but not fetched yet (see
    /// [`EncodedPixels::Pending`]).
    pub fn is_pending(&self) -> bool {
        matches!(self.pixel, Some(PixelLocation::Pending))
    }

    /// Opens a file from a path (not available in the browser build).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<DicomFile, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let data = std::fs::read(path)
            .map_err(|e| Error::new(name.clone(), ErrorKind::Io(e.to_string())))?;
        Self::from_bytes(name, data)
    }

    /// Whether a file starting with `prefix` (its first 132 bytes or more) can be DICOM
    /// Part 10 or a bare data set, so that a folder scan can skip other files without
    /// reading them whole.
    ///
    /// ```
    /// use hounsfield_dicom::DicomFile;
    /// let mut part10 = vec![0u8; 128];
    /// part10.extend_from_slice(b"DICM\x02\x00\x00\x00UL\x04\x00");
    /// assert!(DicomFile::may_be_dicom(&part10));
    /// assert!(!DicomFile::may_be_dicom(b"\x89PNG\r\n\x1a\n........"));
    /// ```
    pub fn may_be_dicom(prefix: &[u8]) -> bool {
        (prefix.len() >= 132 && &prefix[128..132] == b"DICM")
            || prefix.starts_with(b"DICM")
            || (prefix.len() >= 8 && prefix[0] == 0x02 && prefix[1] == 0x00)
            || plausible_data_set(prefix)
    }

    /// The header of an object from its first bytes, `start`: every attribute before its
    /// top-level pixel data, as [`open_header`](Self::open_header) reads it. None when
    /// `start` does not reach the pixel data (an element runs past its end, or the object
    /// has none, is deflated or is not DICOM): then more of the object is needed, or the
    /// whole of it ([`from_bytes`](Self::from_bytes)). For readers that fetch a file's
    /// start first, such as a browser page slicing a local file.
    ///
    /// ```
    /// use hounsfield_dicom::DicomFile;
    /// // A whole CT slice (pydicom's CT_small.dcm); its header is in the first 8 KiB.
    /// let bytes = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/CT_small.dcm"));
    /// let header = DicomFile::header_from_start("CT_small.dcm", &bytes[..8192]).unwrap();
    /// assert_eq!(header.encoded_len(), 0);
    /// assert!(DicomFile::header_from_start("CT_small.dcm", &bytes[..200]).is_none());
    /// ```
    pub fn header_from_start(name: &str, start: &[u8]) -> Option<DicomFile> {
        Self::parse_part(name, start, true).ok()
    }

    /// Opens the header of a file: every attribute before its pixel data, read from the
    /// start of the file alone (16 KiB for most images; more while the header goes on).
    /// The pixel data is neither read nor checked: [`image`](Self::image) answers,
    /// decoding a frame fails, saying why. Elements after the pixel data (Data Set
    /// Trailing Padding, Digital Signatures) are not read. An object without pixel data (a
    /// report, a presentation state) and a deflated data set are read whole. A folder of
    /// thousands of slices can be sorted and laid out before any pixel is read.
    ///
    /// ```no_run
    /// use hounsfield_dicom::DicomFile;
    /// let header = DicomFile::open_header("CT_small.dcm")?;
    /// assert_eq!(header.encoded_len(), 0);
    /// println!("{} rows", header.image()?.rows);
    /// # Ok::<(), hounsfield_dicom::Error>(())
    /// ```
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_header(path: impl AsRef<std::path::Path>) -> Result<DicomFile, Error> {
        use std::io::Read;
        let path = path.as_ref();
        let name = path.display().to_string();
        let io = |e: std::io::Error| Error::new(name.clone(), ErrorKind::Io(e.to_string()));
        let mut file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut data = Vec::new();
        let mut want: u64 = 16 << 10;
        loop {
            let more = want.saturating_sub(data.len() as u64);
            (&mut file).take(more).read_to_end(&mut data).map_err(io)?;
            if let Some(header) = Self::header_from_start(&name, &data) {
                return Ok(header);
            }
            if data.len() as u64 >= len || (data.len() as u64) < want {
                // All there is, and no pixel data reached (none, or a deflated data set):
                // read as a whole, its pixels (if any) then let go.
                let whole = Self::from_bytes(name, data)?;
                return Ok(if whole.has_pixel_data() {
                    whole.without_pixel_data()
                } else {
                    whole
                });
            }
            want = want.saturating_mul(4);
        }
    }

    fn parse(name: &str, data: Vec<u8>) -> KResult<DicomFile> {
        let mut file = Self::parse_part(name, &data, false)?;
        if file.transfer_syntax.deflated {
            // Inflated by the parse itself: its data is the inflated data set.
            return Ok(file);
        }
        file.data = data;
        Ok(file)
    }

    /// Parses `data` (the whole object, or with `header_only` the start of it up to its
    /// pixel data). The result holds no bytes unless the data set was deflated (then the
    /// inflated bytes).
    fn parse_part(name: &str, data: &[u8], header_only: bool) -> KResult<DicomFile> {
        let mut notes = Vec::new();
        let mut meta = FileMeta::default();
        let meta_start = if data.len() >= 132 && &data[128..132] == b"DICM" {
            meta.preamble = true;
            132
        } else if data.len() >= 4 && &data[0..4] == b"DICM" {
            notes.push("no preamble before the DICM prefix".to_string());
            4
        } else {
            0
        };
        // File meta group: explicit VR little endian, group 0002 only.
        let meta_spans = if data.len() >= meta_start + 8
            && data[meta_start] == 0x02
            && data[meta_start + 1] == 0x00
        {
            Walker::new(data, Encoding::EXPLICIT_LE).top_level(
                meta_start,
                data.len(),
                Some(0x0002),
            )?
        } else {
            if meta_start == 0 {
                notes.push("no preamble and no file meta information".to_string());
            } else {
                notes.push("no file meta information after DICM".to_string());
            }
            Vec::new()
        };
        let ds_start = meta_spans.last().map_or(meta_start, |s| s.end);
        let meta_object = read_meta(data, &meta_spans);
        if let Some(m) = &meta_object {
            let a = Attributes::new(m);
            use dicom_dictionary_std::tags;
            meta.transfer_syntax_uid = a.string(tags::TRANSFER_SYNTAX_UID);
            meta.media_storage_sop_class_uid = a.string(tags::MEDIA_STORAGE_SOP_CLASS_UID);
            meta.media_storage_sop_instance_uid = a.string(tags::MEDIA_STORAGE_SOP_INSTANCE_UID);
            meta.implementation_class_uid = a.string(tags::IMPLEMENTATION_CLASS_UID);
            meta.implementation_version_name = a.string(tags::IMPLEMENTATION_VERSION_NAME);
        }
        if ds_start >= data.len() {
            return Err(ErrorKind::NotDicom(
                "no data set after the file meta information".into(),
            ));
        }

        if meta_spans.is_empty() && !plausible_data_set(&data[ds_start..]) {
            let head: Vec<String> = data.iter().take(8).map(|b| format!("{b:02X}")).collect();
            return Err(ErrorKind::NotDicom(format!(
                "no DICM prefix and no data element at the start (bytes {})",
                head.join(" ")
            )));
        }
        let ts = match meta
            .transfer_syntax_uid
            .as_deref()
            .filter(|u| !u.is_empty())
        {
            Some(uid) => TransferSyntax::from_uid(uid),
            None => {
                let Some(enc) = guess_encoding(&data[ds_start..]) else {
                    return Err(ErrorKind::NotDicom(
                        "no transfer syntax and the data does not start with a data element".into(),
                    ));
                };
                let ts = syntax_for(enc);
                notes.push(format!(
                    "no transfer syntax in the file meta information; the data reads as {}",
                    ts.name
                ));
                ts
            }
        };
        let inflated = if ts.deflated {
            if header_only {
                // A deflated data set is read whole.
                return Err(ErrorKind::Unsupported(
                    "a header alone of a deflated data set".into(),
                ));
            }
            Some(inflate(data, ds_start)?)
        } else {
            None
        };
        let (data, ds_start) = match &inflated {
            Some(d) => (&d[..], 0),
            None => (data, ds_start),
        };
        let mut enc = Encoding {
            big_endian: ts.big_endian,
            explicit_vr: ts.explicit_vr,
        };
        // Some writers declare one VR encoding and use the other; the first element says
        // which (DCMTK and pydicom recover the same way).
        if let Some(actual) = contradicted_vr_encoding(&data[ds_start..], enc) {
            notes.push(format!(
                "the transfer syntax says {} VR but the data set is encoded with {} VR",
                if enc.explicit_vr {
                    "explicit"
                } else {
                    "implicit"
                },
                if actual { "explicit" } else { "implicit" },
            ));
            enc.explicit_vr = actual;
        }
        let (spans, pixel) = if header_only {
            let (spans, reached) =
                Walker::new(data, enc).top_level_before_pixels(ds_start, data.len())?;
            if !reached {
                return Err(ErrorKind::Truncated {
                    what: "the header (no pixel data in the bytes read)".into(),
                    offset: data.len(),
                    needed: 1,
                    available: 0,
                });
            }
            (spans, Some(PixelLocation::Released))
        } else {
            let spans = Walker::new(data, enc).top_level(ds_start, data.len(), None)?;
            let pixel = locate_pixels(&spans, ts.is_encapsulated())?;
            (spans, pixel)
        };

        // Everything but the pixel data goes to dicom-object, in contiguous runs. Sequences
        // encoded as UN with undefined length hold implicit VR items (CP-246), which
        // dicom-parser does not switch to inside an explicit VR data set: they are read
        // on their own.
        let un_sequence = |s: &ElementSpan| s.vr == Some(dicom_core::VR::UN) && s.length.is_none();
        let mut regions: Vec<Range<usize>> = Vec::new();
        // A binary number whose length is not a multiple of its size would put dicom-parser
        // out of step with the walk (it reads whole values): such elements are left out.
        for s in spans.iter().filter(|s| s.uneven.is_some()) {
            if let Some((g, e)) = s.uneven {
                notes.push(format!(
                    "skipped ({:04X},{:04X}): the value of ({g:04X},{e:04X}) is not a whole number of its values",
                    s.group, s.element
                ));
            }
        }
        // Specific Character Set is read here (it is ASCII), not by dicom-parser, which
        // would switch to a set of its own for the text after it (and warn about the empty
        // first value of code extensions): it reads all other text as ISO 8859-1, one
        // character per byte, and `CharacterSets` decodes it.
        let charset_tag = |s: &ElementSpan| s.tag() == (0x0008, 0x0005);
        for s in spans.iter().filter(|s| {
            !is_pixel_tag(s.tag()) && !un_sequence(s) && s.uneven.is_none() && !charset_tag(s)
        }) {
            match regions.last_mut() {
                Some(r) if r.end == s.start => r.end = s.end,
                _ => regions.push(s.start..s.end),
            }
        }
        let charset_values: Option<Vec<String>> = spans.iter().find(|s| charset_tag(s)).map(|s| {
            data.get(s.value_start..s.end)
                .unwrap_or_default()
                .split(|&b| b == b'\\')
                .map(|v| {
                    String::from_utf8_lossy(v)
                        .trim_matches([' ', '\0'])
                        .to_string()
                })
                .collect()
        });
        let native_ts = syntax_for(enc);
        let dicom_ts = dicom_transfer_syntax_registry::TransferSyntaxRegistry
            .get(&native_ts.uid)
            .ok_or_else(|| {
                ErrorKind::Parse("transfer syntax registry lacks a native syntax".into())
            })?;
        let mut dataset = InMemDicomObject::new_empty();
        for r in regions.into_iter().filter(|r| r.end > r.start) {
            let part = InMemDicomObject::read_dataset_with_ts(&data[r.clone()], dicom_ts).map_err(
                |e| {
                    ErrorKind::Parse(format!(
                        "{} (in bytes {}..{})",
                        crate::attrs::error_chain(&e),
                        r.start,
                        r.end
                    ))
                },
            )?;
            for elt in part.into_iter() {
                dataset.put(elt);
            }
        }
        for s in spans.iter().filter(|s| un_sequence(s)) {
            let mut bytes = Vec::with_capacity(8 + s.end - s.value_start);
            bytes.extend_from_slice(&s.group.to_le_bytes());
            bytes.extend_from_slice(&s.element.to_le_bytes());
            bytes.extend_from_slice(&u32::MAX.to_le_bytes());
            bytes.extend_from_slice(&data[s.value_start..s.end]);
            let implicit = dicom_transfer_syntax_registry::TransferSyntaxRegistry
                .get("1.2.840.10008.1.2")
                .ok_or_else(|| {
                    ErrorKind::Parse("transfer syntax registry lacks implicit VR".into())
                })?;
            match InMemDicomObject::read_dataset_with_ts(&bytes[..], implicit) {
                Ok(part) => {
                    for elt in part.into_iter() {
                        dataset.put(elt);
                    }
                }
                Err(e) => notes.push(format!(
                    "skipped ({:04X},{:04X}), a UN sequence that cannot be read: {}",
                    s.group,
                    s.element,
                    crate::attrs::error_chain(&e)
                )),
            }
        }
        if spans.is_empty() {
            return Err(ErrorKind::NotDicom("the data set is empty".into()));
        }
        let dataset = if ts.big_endian {
            dataset
        } else {
            reinterpret_un(dataset)
        };
        let sets = CharacterSets::new(charset_values.as_deref().unwrap_or(&[]));
        if !sets.unknown.is_empty() {
            notes.push(format!(
                "Specific Character Set {:?} is not known: that text is read as ISO 8859-1",
                sets.unknown
            ));
        }
        let mut dataset = if sets.is_latin1() {
            dataset
        } else {
            sets.recode(dataset)
        };
        if let Some(values) = charset_values {
            dataset.put(dicom_core::DataElement::new(
                tags::SPECIFIC_CHARACTER_SET,
                dicom_core::VR::CS,
                dicom_core::PrimitiveValue::Strs(values.into()),
            ));
        }
        Ok(DicomFile {
            name: name.to_string(),
            data: inflated.unwrap_or_default(),
            meta,
            transfer_syntax: ts,
            dataset,
            pixel,
            notes,
            layout: std::sync::OnceLock::new(),
        })
    }

    /// This object without its encoded Pixel Data, for a holder of its decoded frames (a
    /// viewer keeps one copy of the pixels): every attribute and the image description
    /// stay; decoding a frame fails from then on, saying why.
    ///
    /// ```
    /// # fn show(file: &hounsfield_dicom::DicomFile) {
    /// let header = file.without_pixel_data();
    /// assert_eq!(header.encoded_len(), 0);
    /// assert_eq!(header.image().ok().map(|i| i.rows), file.image().ok().map(|i| i.rows));
    /// assert!(header.decode_frame(0).is_err());
    /// # }
    /// ```
    pub fn without_pixel_data(&self) -> DicomFile {
        DicomFile {
            name: self.name.clone(),
            data: Vec::new(),
            meta: self.meta.clone(),
            transfer_syntax: self.transfer_syntax.clone(),
            dataset: self.dataset.clone(),
            pixel: self.pixel.as_ref().map(|_| PixelLocation::Released),
            notes: self.notes.clone(),
            layout: std::sync::OnceLock::new(),
        }
    }

    /// The size of the object's encoded bytes as held in memory.
    pub fn encoded_len(&self) -> usize {
        self.data.len()
    }

    /// The same object under another name (what messages about it say).
    pub fn with_name(mut self, name: impl Into<String>) -> DicomFile {
        self.name = name.into();
        self
    }

    /// The name given when opening (a path, a URL, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file meta information.
    pub fn meta(&self) -> &FileMeta {
        &self.meta
    }

    /// The transfer syntax used to decode the object.
    pub fn transfer_syntax(&self) -> &TransferSyntax {
        &self.transfer_syntax
    }

    /// All attributes except the pixel data, as parsed by dicom-object.
    pub fn dataset(&self) -> &InMemDicomObject {
        &self.dataset
    }

    /// Typed access to the attributes.
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes::new(&self.dataset)
    }

    /// Notes about recoveries made while reading (missing meta, wrong syntax, ...).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Whether the object carries pixel data.
    pub fn has_pixel_data(&self) -> bool {
        self.pixel.is_some()
    }

    /// Whether its pixel data was not read or was let go (a header read alone,
    /// [`without_pixel_data`](Self::without_pixel_data)): its frames are read again from
    /// the source. False for a whole object, with or without pixel data.
    pub fn pixels_released(&self) -> bool {
        matches!(self.pixel, Some(PixelLocation::Released))
    }

    pub(crate) fn err(&self, kind: ErrorKind) -> Error {
        Error::new(self.name.clone(), kind)
    }
}

fn is_pixel_tag(tag: (u16, u16)) -> bool {
    matches!(tag, (0x7FE0, 0x0008) | (0x7FE0, 0x0009) | (0x7FE0, 0x0010))
}

fn read_meta(data: &[u8], spans: &[ElementSpan]) -> Option<InMemDicomObject> {
    // The walker read each element of group 0002 in the VR encoding its bytes show (a
    // few writers use implicit VR there): read each one the same way, so that the parser
    // cuts the data exactly where the walk checked it.
    let mut meta = InMemDicomObject::new_empty();
    for s in spans {
        let bytes = &data[s.start..s.end];
        let explicit =
            bytes.len() >= 6 && bytes[4].is_ascii_uppercase() && bytes[5].is_ascii_uppercase();
        let uid = if explicit {
            "1.2.840.10008.1.2.1"
        } else {
            "1.2.840.10008.1.2"
        };
        let ts = dicom_transfer_syntax_registry::TransferSyntaxRegistry.get(uid)?;
        if let Ok(part) = InMemDicomObject::read_dataset_with_ts(bytes, ts) {
            for elt in part.into_iter() {
                meta.put(elt);
            }
        }
    }
    (meta.iter().count() > 0).then_some(meta)
}

fn syntax_for(enc: Encoding) -> TransferSyntax {
    match (enc.explicit_vr, enc.big_endian) {
        (false, _) => TransferSyntax::implicit_vr_little_endian(),
        (true, false) => TransferSyntax::explicit_vr_little_endian(),
        (true, true) => TransferSyntax::explicit_vr_big_endian(),
    }
}

/// Whether bytes without a file meta group start like a data set: a first element of a
/// low group (identifying, patient or study attributes), as DCMTK and pydicom expect.
fn plausible_data_set(b: &[u8]) -> bool {
    if b.len() < 8 {
        return false;
    }
    let le = u16::from_le_bytes([b[0], b[1]]);
    let be = u16::from_be_bytes([b[0], b[1]]);
    [le, be]
        .iter()
        .any(|&g| g % 2 == 0 && (0x0008..=0x0028).contains(&g))
}

/// Recognises the encoding of a data set from its first element header.
fn guess_encoding(b: &[u8]) -> Option<Encoding> {
    if b.len() < 8 {
        return None;
    }
    let le_group = u16::from_le_bytes([b[0], b[1]]);
    let be_group = u16::from_be_bytes([b[0], b[1]]);
    let vr_like = b[4].is_ascii_uppercase() && b[5].is_ascii_uppercase() && vr_known(&b[4..6]);
    // Data sets start with a low group number (0008 most often); the byte order that
    // gives the smaller, even, plausible group wins.
    let plausible = |g: u16| (0x0002..=0x7FE0).contains(&g);
    let big_endian = match (plausible(le_group), plausible(be_group)) {
        (true, false) => false,
        (false, true) => true,
        (true, true) => be_group < le_group,
        (false, false) => return None,
    };
    Some(Encoding {
        big_endian,
        explicit_vr: vr_like,
    })
}

/// Whether the first element contradicts the declared VR encoding; returns the encoding
/// (true = explicit) the bytes show.
fn contradicted_vr_encoding(b: &[u8], enc: Encoding) -> Option<bool> {
    if b.len() < 8 {
        return None;
    }
    let looks_explicit = vr_known(&b[4..6]);
    if enc.explicit_vr && !looks_explicit {
        return Some(false);
    }
    if !enc.explicit_vr && looks_explicit {
        // Read as implicit, the length would run past the data.
        let len = if enc.big_endian {
            u32::from_be_bytes([b[4], b[5], b[6], b[7]])
        } else {
            u32::from_le_bytes([b[4], b[5], b[6], b[7]])
        };
        if len != u32::MAX && len as usize > b.len() - 8 {
            return Some(true);
        }
    }
    None
}

fn vr_known(b: &[u8]) -> bool {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse::<dicom_core::VR>().ok())
        .is_some()
}

fn inflate(data: &[u8], start: usize) -> KResult<Vec<u8>> {
    use std::io::Read;
    let compressed = &data[start..];
    let limit = (compressed.len() as u64).saturating_mul(MAX_INFLATE_RATIO);
    let mut body = Vec::new();
    flate2::read::DeflateDecoder::new(compressed)
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            malformed(
                start,
                format!("the deflated data set cannot be inflated: {e}"),
            )
        })?;
    if body.len() as u64 > limit {
        return Err(malformed(
            start,
            "the deflated data set inflates beyond 1032:1",
        ));
    }
    Ok(body)
}

fn locate_pixels(spans: &[ElementSpan], encapsulated: bool) -> KResult<Option<PixelLocation>> {
    if let Some(p) = spans.iter().find(|s| s.tag() == (0x7FE0, 0x0010)) {
        if p.length.is_none() {
            if !encapsulated {
                return Err(malformed(
                    p.start,
                    "Pixel Data has an undefined length but the transfer syntax is native",
                ));
            }
            let mut items = p.items.iter().cloned();
            let offset_table = items.next().ok_or_else(|| {
                malformed(
                    p.start,
                    "encapsulated Pixel Data has no Basic Offset Table item",
                )
            })?;
            return Ok(Some(PixelLocation::Encapsulated {
                offset_table,
                fragments: items.collect(),
            }));
        }
        if encapsulated {
            return Err(malformed(
                p.start,
                "Pixel Data has a defined length but the transfer syntax is encapsulated",
            ));
        }
        return Ok(Some(PixelLocation::Native {
            value: p.value_start..p.end,
            word_vr: p.vr == Some(dicom_core::VR::OW),
        }));
    }
    for (tag, double) in [((0x7FE0, 0x0008), false), ((0x7FE0, 0x0009), true)] {
        if let Some(p) = spans.iter().find(|s| s.tag() == tag) {
            return Ok(Some(PixelLocation::Float {
                value: p.value_start..p.end,
                double,
            }));
        }
    }
    Ok(None)
}

/// Elements written with VR UN whose tag the dictionary knows are read with the
/// dictionary's VR (PS3.5 section 6.2.2): text stays text, numbers become numbers.
/// Top-level elements of little endian data sets only (UN values are little endian).
fn reinterpret_un(dataset: InMemDicomObject) -> InMemDicomObject {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
    use dicom_core::header::Header;
    use dicom_core::value::{PrimitiveValue, Value};
    use dicom_core::{DataElement, VR};
    if !dataset.iter().any(|e| e.vr() == VR::UN) {
        return dataset;
    }
    let mut out = InMemDicomObject::new_empty();
    for elt in dataset {
        let tag = elt.tag();
        let target = dicom_dictionary_std::StandardDataDictionary
            .by_tag(tag)
            .and_then(|e| match e.vr() {
                VirtualVr::Exact(vr) => Some(vr),
                _ => None,
            });
        let converted = match (elt.vr(), target, elt.value()) {
            (VR::UN, Some(vr), Value::Primitive(PrimitiveValue::U8(bytes))) => {
                un_value(vr, bytes).map(|v| DataElement::new(tag, vr, v))
            }
            _ => None,
        };
        out.put(converted.unwrap_or(elt));
    }
    out
}

fn un_value(vr: dicom_core::VR, b: &[u8]) -> Option<dicom_core::value::PrimitiveValue> {
    use dicom_core::VR::*;
    use dicom_core::value::PrimitiveValue as P;
    let text = || {
        String::from_utf8_lossy(b)
            .trim_end_matches(['\0', ' '])
            .to_string()
    };
    Some(match vr {
        AE | AS | CS | DA | DS | DT | IS | LO | PN | SH | TM | UC | UI => P::Strs(
            text()
                .split('\\')
                .map(|s| s.trim_matches(['\0', ' ']).to_string())
                .collect(),
        ),
        LT | ST | UT | UR => P::Str(text()),
        US => P::U16(
            b.chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        ),
        SS => P::I16(
            b.chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect(),
        ),
        UL => P::U32(
            b.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        SL => P::I32(
            b.chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        FL => P::F32(
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        FD => P::F64(
            b.chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        ),
        OW => P::U16(
            b.chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        ),
        _ => return None,
    })
}
