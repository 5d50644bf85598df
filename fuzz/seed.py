"""Seed corpora for the fuzz targets from real files (pydicom's test files, pydicom-data,
../shared/data): whole small files, the frames of every transfer syntax in the codec
targets' layout (see fuzz/src/lib.rs, `description`), segmented palettes, header sets of
real series, and DICOMweb multipart bodies. Usage: seed.py OUT_DIR ROOT..."""
import hashlib
import io
import os
import sys

import warnings

import pydicom

warnings.simplefilter("ignore")
from pydicom.encaps import generate_frames
from pydicom.uid import (RLELossless, JPEGLSLossless, JPEGLSNearLossless,
                         JPEG2000Lossless, JPEG2000, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian, ExplicitVRBigEndian)

PIS = ["MONOCHROME2", "MONOCHROME1", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422",
       "YBR_PARTIAL_422", "YBR_PARTIAL_420", "YBR_ICT", "YBR_RCT"]
BITS = [1, 8, 16, 32, 64]
HTJ2K = {"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"}
MAX_FRAME = 256 << 10
out_dir = sys.argv[1]


def put(target, data):
    d = os.path.join(out_dir, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def description(ds, frames2=False):
    pi = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip()
    ba = int(ds.BitsAllocated)
    bs = int(ds.get("BitsStored", ba))
    hb = int(ds.get("HighBit", bs - 1))
    if pi not in PIS or ba not in BITS or not 0 < bs <= ba or hb + 1 < bs or hb >= ba:
        return None
    flags = PIS.index(pi) | (int(ds.get("PixelRepresentation", 0)) & 1) << 4 \
        | (int(ds.get("PlanarConfiguration", 0)) & 1) << 5 | (128 if frames2 else 0)
    return bytes([ds.Columns & 255, ds.Columns >> 8, ds.Rows & 255, ds.Rows >> 8,
                  BITS.index(ba), bs - 1, hb - (bs - 1), flags])


def codec_target(ts):
    if ts == RLELossless:
        return "codec_rle"
    if ts in (JPEGLSLossless, JPEGLSNearLossless):
        return "codec_jpegls"
    if ts in (JPEG2000Lossless, JPEG2000) or ts in HTJ2K:
        return "codec_jpeg2000"
    if ts.startswith("1.2.840.10008.1.2.4.") and int(ts.split(".")[-1]) <= 70:
        return "codec_jpeg"
    return None


series = {}
for root in sys.argv[2:]:
    for base, _, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(base, name)
            size = os.path.getsize(path)
            try:
                ds = pydicom.dcmread(path)
            except Exception:
                continue
            if size <= 128 << 10:
                with open(path, "rb") as f:
                    put("decode_file", f.read())
            for c in "Red", "Green", "Blue":
                seg = ds.get(f"Segmented{c}PaletteColorLookupTableData")
                desc = ds.get(f"{c}PaletteColorLookupTableDescriptor")
                if seg is not None and desc is not None:
                    entries = int(desc[0]) % 65536
                    eight = 1 if int(desc[2]) <= 8 else 0
                    put("palette_segmented", bytes([entries & 255, entries >> 8, eight]) + bytes(seg))
            uid = ds.get("SeriesInstanceUID")
            if uid is not None and len(series.setdefault(uid, [])) < 3:
                header = ds.copy()
                for tag in [t for t in header.keys() if t.group == 0x7FE0]:
                    del header[tag]
                buf = io.BytesIO()
                try:
                    header.save_as(buf, enforce_file_format=False)
                    series[uid].append(buf.getvalue())
                except Exception:
                    pass
            if "PixelData" not in ds or "Rows" not in ds:
                continue
            ts = ds.file_meta.get("TransferSyntaxUID", ImplicitVRLittleEndian)
            n = int(ds.get("NumberOfFrames", 1) or 1)
            target = codec_target(ts)
            if target is not None:
                head = description(ds)
                if head is None:
                    continue
                try:
                    frame = next(generate_frames(ds.PixelData, number_of_frames=n))
                except Exception:
                    continue
                if len(frame) <= MAX_FRAME:
                    put(target, head + frame)
            elif ts in (ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian):
                head = description(ds, frames2=n >= 2)
                frame_bytes = ds.Rows * ds.Columns * ds.get("SamplesPerPixel", 1) * ds.BitsAllocated // 8
                if head is not None and frame_bytes * 2 <= MAX_FRAME:
                    put("codec_native", head + ds.PixelData[:frame_bytes * (2 if n >= 2 else 1)])

for files in series.values():
    if len(files) >= 2:
        put("series_headers", b"FUZZ".join(files))

for boundary, parts in [("b", [b"abc", b"\r\n--b\r\n"]), ("DICOMwebBoundary", [b"\x00" * 64, b"DICM"]),
                        ("x y", [b""])]:
    body = b"".join(b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + p + b"\r\n"
                    for p in parts) + b"--" + boundary.encode() + b"--\r\n"
    put("dicomweb_multipart", bytes([len(boundary)]) + boundary.encode() + body)

for target in sorted(os.listdir(out_dir)):
    print(f"seed: {target}: {len(os.listdir(os.path.join(out_dir, target)))} inputs")
