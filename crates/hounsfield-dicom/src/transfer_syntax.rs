//! Transfer syntaxes (PS3.5 section 10 and Annex A) and what decoding them takes.

/// How the pixel data of a transfer syntax is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Codec {
    /// Native (uncompressed) pixel data.
    Native,
    /// Encapsulated but uncompressed frames (1.2.840.10008.1.2.1.98).
    EncapsulatedUncompressed,
    /// RLE Lossless (PS3.5 Annex G).
    Rle,
    /// JPEG (ISO 10918-1): baseline, extended 12-bit, progressive, lossless.
    Jpeg,
    /// JPEG-LS (ISO 14495-1), lossless and near-lossless.
    JpegLs,
    /// JPEG 2000 (ISO 15444-1) and High-Throughput JPEG 2000 (ISO 15444-15).
    Jpeg2000,
    /// Something we recognise but cannot decode (MPEG, HEVC, JPEG XL, ...).
    Unsupported,
}

/// A transfer syntax: its UID, its name and how to read it.
///
/// ```
/// use hounsfield_dicom::TransferSyntax;
/// let ts = TransferSyntax::from_uid("1.2.840.10008.1.2.4.80");
/// assert_eq!(ts.name, "JPEG-LS Lossless Image Compression");
/// assert!(!ts.lossy);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TransferSyntax {
    /// The UID, without padding.
    pub uid: String,
    /// The name from PS3.6 Table A-1 (or "Unknown").
    pub name: &'static str,
    /// Explicit VR encoding of the data set.
    pub explicit_vr: bool,
    /// Big endian encoding of the data set.
    pub big_endian: bool,
    /// The data set after the file meta group is deflated (RFC 1951).
    pub deflated: bool,
    /// How the pixel data is encoded.
    pub codec: Codec,
    /// The syntax may be lossy (the decode is not bit exact against the source).
    pub lossy: bool,
}

struct Entry {
    uid: &'static str,
    name: &'static str,
    codec: Codec,
    lossy: bool,
}

const fn e(uid: &'static str, name: &'static str, codec: Codec, lossy: bool) -> Entry {
    Entry {
        uid,
        name,
        codec,
        lossy,
    }
}

const KNOWN: &[Entry] = &[
    e(
        "1.2.840.10008.1.2",
        "Implicit VR Little Endian",
        Codec::Native,
        false,
    ),
    e(
        "1.2.840.10008.1.2.1",
        "Explicit VR Little Endian",
        Codec::Native,
        false,
    ),
    e(
        "1.2.840.10008.1.2.1.98",
        "Encapsulated Uncompressed Explicit VR Little Endian",
        Codec::EncapsulatedUncompressed,
        false,
    ),
    e(
        "1.2.840.10008.1.2.1.99",
        "Deflated Explicit VR Little Endian",
        Codec::Native,
        false,
    ),
    e(
        "1.2.840.10008.1.2.2",
        "Explicit VR Big Endian",
        Codec::Native,
        false,
    ),
    e(
        "1.2.840.10008.1.2.4.50",
        "JPEG Baseline (Process 1)",
        Codec::Jpeg,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.51",
        "JPEG Extended (Process 2 & 4)",
        Codec::Jpeg,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.53",
        "JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)",
        Codec::Jpeg,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.55",
        "JPEG Full Progression, Non-Hierarchical (Process 10 & 12)",
        Codec::Jpeg,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.57",
        "JPEG Lossless, Non-Hierarchical (Process 14)",
        Codec::Jpeg,
        false,
    ),
    e(
        "1.2.840.10008.1.2.4.70",
        "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
        Codec::Jpeg,
        false,
    ),
    e(
        "1.2.840.10008.1.2.4.80",
        "JPEG-LS Lossless Image Compression",
        Codec::JpegLs,
        false,
    ),
    e(
        "1.2.840.10008.1.2.4.81",
        "JPEG-LS Lossy (Near-Lossless) Image Compression",
        Codec::JpegLs,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.90",
        "JPEG 2000 Image Compression (Lossless Only)",
        Codec::Jpeg2000,
        false,
    ),
    e(
        "1.2.840.10008.1.2.4.91",
        "JPEG 2000 Image Compression",
        Codec::Jpeg2000,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.92",
        "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
        Codec::Jpeg2000,
        false,
    ),
    e(
        "1.2.840.10008.1.2.4.93",
        "JPEG 2000 Part 2 Multi-component Image Compression",
        Codec::Jpeg2000,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.201",
        "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
        Codec::Jpeg2000,
        false,
    ),
    e(
        "1.2.840.10008.1.2.4.202",
        "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
        Codec::Jpeg2000,
        false,
    ),
    e(
        "1.2.840.10008.1.2.4.203",
        "High-Throughput JPEG 2000 Image Compression",
        Codec::Jpeg2000,
        true,
    ),
    e("1.2.840.10008.1.2.5", "RLE Lossless", Codec::Rle, false),
    e(
        "1.2.840.10008.1.2.4.100",
        "MPEG2 Main Profile / Main Level",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.101",
        "MPEG2 Main Profile / High Level",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.102",
        "MPEG-4 AVC/H.264 High Profile / Level 4.1",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.103",
        "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.104",
        "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.105",
        "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.106",
        "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.107",
        "HEVC/H.265 Main Profile / Level 5.1",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.108",
        "HEVC/H.265 Main 10 Profile / Level 5.1",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.110",
        "JPEG XL Lossless",
        Codec::Unsupported,
        false,
    ),
    e(
        "1.2.840.10008.1.2.4.111",
        "JPEG XL JPEG Recompression",
        Codec::Unsupported,
        true,
    ),
    e(
        "1.2.840.10008.1.2.4.112",
        "JPEG XL",
        Codec::Unsupported,
        true,
    ),
];

impl TransferSyntax {
    /// Look up a transfer syntax by UID (trailing NUL and spaces are ignored).
    ///
    /// Unknown UIDs give an explicit VR little endian syntax whose codec is
    /// [`Codec::Unsupported`], so that the attributes can still be read.
    pub fn from_uid(uid: &str) -> TransferSyntax {
        let uid = uid.trim_end_matches(['\0', ' ']).trim();
        let entry = KNOWN.iter().find(|k| k.uid == uid);
        let (name, codec, lossy) = match entry {
            Some(k) => (k.name, k.codec, k.lossy),
            None => ("Unknown", Codec::Unsupported, true),
        };
        TransferSyntax {
            uid: uid.to_string(),
            name,
            explicit_vr: uid != "1.2.840.10008.1.2",
            big_endian: uid == "1.2.840.10008.1.2.2",
            deflated: uid == "1.2.840.10008.1.2.1.99",
            codec,
            lossy,
        }
    }

    /// Implicit VR Little Endian, the default transfer syntax.
    pub fn implicit_vr_little_endian() -> TransferSyntax {
        Self::from_uid("1.2.840.10008.1.2")
    }

    /// Explicit VR Little Endian.
    pub fn explicit_vr_little_endian() -> TransferSyntax {
        Self::from_uid("1.2.840.10008.1.2.1")
    }

    /// Explicit VR Big Endian (retired, still met in archives).
    pub fn explicit_vr_big_endian() -> TransferSyntax {
        Self::from_uid("1.2.840.10008.1.2.2")
    }

    /// Whether the pixel data of this syntax is encapsulated (fragments in items).
    pub fn is_encapsulated(&self) -> bool {
        !matches!(self.codec, Codec::Native)
    }

    /// Whether the UID is one of the transfer syntaxes this crate knows by name.
    pub fn is_known(&self) -> bool {
        self.name != "Unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_unique_and_trimmed() {
        for (i, a) in KNOWN.iter().enumerate() {
            for b in &KNOWN[i + 1..] {
                assert_ne!(a.uid, b.uid);
            }
        }
        let ts = TransferSyntax::from_uid("1.2.840.10008.1.2.2\0");
        assert!(ts.big_endian && ts.explicit_vr && !ts.deflated);
        let ts = TransferSyntax::from_uid("1.2.840.10008.1.2 ");
        assert!(!ts.explicit_vr && !ts.big_endian);
        assert!(!TransferSyntax::from_uid("1.2.3").is_known());
    }
}
