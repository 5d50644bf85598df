#!/usr/bin/env python3
"""Generates test files in transfer syntaxes and variants the public corpus lacks, with
encoders nobody here wrote: DCMTK (dcmcjpeg, dcmcjpls, dcmcrle), GDCM (gdcmconv) and
OpenJPH (ojph_compress, HTJ2K, wrapped into DICOM with pydicom).

Usage: generate_corpus.py OUT_DIR SOURCE...

Writes OUT_DIR/<name>.dcm and OUT_DIR/manifest.json, a list of
  {"name", "path", "source", "tool", "lossless": bool, "near": int or null}
Variants a tool refuses are recorded with "error". Cached: nothing is redone when the
manifest names the same script version and sources.
"""

import json
import os
import shutil
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import UID

VERSION = 6


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])}: {(p.stderr or p.stdout).strip().splitlines()[-1:]}")


def dcmtk_variants(src, is_color, bits):
    """(suffix, tool command tail, lossless, near)."""
    v = [
        ("rle", ["dcmcrle"], True, None),
        ("jls", ["dcmcjpls", "+el"], True, None),
        ("jls-line", ["dcmcjpls", "+el", "+il"], True, None),
        ("jls-sample", ["dcmcjpls", "+el", "+is"], True, None),
        ("jls-none", ["dcmcjpls", "+el", "+in"], True, None),
        ("jls-near3", ["dcmcjpls", "+en", "+md", "3"], False, 3),
        ("jls-near1-t", ["dcmcjpls", "+en", "+md", "1", "+t1", "5", "+t2", "11", "+t3", "30", "+rs", "32"], False, 1),
        ("jpeg-ll-sv1", ["dcmcjpeg", "+e1"], True, None),
        ("jpeg-frag", ["dcmcjpeg", "+e1", "+fs", "1", "-ot"], True, None),
    ]
    for sv in range(1, 8):
        v.append((f"jpeg-ll-sv{sv}", ["dcmcjpeg", "+el", "+sv", str(sv)], True, None))
    v.append(("jpeg-ll-pt1", ["dcmcjpeg", "+el", "+sv", "1", "+pt", "1"], False, None))
    if bits <= 8:
        v.append(("jpeg-base", ["dcmcjpeg", "+eb", "+q", "85"], False, None))
        v.append(("jpeg-prog", ["dcmcjpeg", "+ep"], False, None))
        if is_color:
            v.append(("jpeg-base-411", ["dcmcjpeg", "+eb", "+np"], False, None))
            v.append(("jpeg-base-rgb", ["dcmcjpeg", "+eb", "+cr"], False, None))
            v.append(("jpeg-base-444", ["dcmcjpeg", "+eb", "+s4"], False, None))
    if bits <= 12:
        v.append(("jpeg-ext", ["dcmcjpeg", "+ee", "+q", "90"], False, None))
        v.append(("jpeg-ext12", ["dcmcjpeg", "+ee", "+bt"], False, None))
        v.append(("jpeg-prog12", ["dcmcjpeg", "+ep", "+bt"], False, None))
        v.append(("jpeg-spectral", ["dcmcjpeg", "+es"], False, None))
    return v


def gdcm_variants():
    return [
        ("gdcm-j2k", ["gdcmconv", "--j2k"], True, None),
        ("gdcm-jls", ["gdcmconv", "--jpegls"], True, None),
        ("gdcm-jpeg", ["gdcmconv", "--jpeg"], True, None),
    ]


def htj2k(src, out, uid, lossless, tmp):
    ds = pydicom.dcmread(src)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    arr = ds.pixel_array
    frames = arr if n > 1 else arr[np.newaxis]
    bits = int(ds.BitsStored)
    signed = int(ds.PixelRepresentation) == 1
    spp = int(ds.SamplesPerPixel)
    if spp == 3 and ds.PhotometricInterpretation != "RGB":
        raise RuntimeError("HTJ2K variant needs RGB data")
    codestreams = []
    for i, frame in enumerate(frames):
        out_j2c = os.path.join(tmp, f"f{i}.j2c")
        h, w = frame.shape[:2]
        if spp == 3:
            # RGB through PPM, the input OpenJPH applies its colour transform to.
            ppm = os.path.join(tmp, f"f{i}.ppm")
            maxval = (1 << bits) - 1
            with open(ppm, "wb") as fh:
                fh.write(f"P6 {w} {h} {maxval}\n".encode())
                fh.write(frame.astype(">u2" if bits > 8 else "u1").tobytes())
            cmd = ["ojph_compress", "-i", ppm, "-o", out_j2c, "-colour_trans", "true"]
        else:
            raw = os.path.join(tmp, f"f{i}.yuv")
            frame.astype(("<i2" if signed else "<u2") if bits > 8 else ("i1" if signed else "u1")).tofile(raw)
            cmd = ["ojph_compress", "-i", raw, "-o", out_j2c, "-dims", f"{{{w},{h}}}", "-num_comps", "1",
                   "-signed", "true" if signed else "false", "-bit_depth", str(bits), "-downsamp", "{1,1}"]
        if lossless:
            cmd += ["-reversible", "true"]
        else:
            cmd += ["-qstep", "0.005"]
        if uid.endswith(".202"):
            cmd += ["-prog_order", "RPCL"]
        run(cmd)
        with open(out_j2c, "rb") as fh:
            codestreams.append(fh.read())
    ds.PixelData = encapsulate(codestreams, has_bot=n > 1)
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = UID(uid)
    if spp == 3:
        ds.PhotometricInterpretation = "YBR_RCT" if lossless else "YBR_ICT"
        ds.PlanarConfiguration = 0
    if not lossless:
        ds.LossyImageCompression = "01"
    ds.save_as(out, enforce_file_format=True)


def main():
    out_dir, sources = sys.argv[1], sys.argv[2:]
    manifest_path = os.path.join(out_dir, "manifest.json")
    key = {"version": VERSION, "sources": sources}
    if os.path.exists(manifest_path):
        with open(manifest_path) as fh:
            old = json.load(fh)
        if old.get("key") == key:
            return
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    tmp = os.path.join(out_dir, "tmp")
    os.makedirs(tmp)
    entries = []
    for src in sources:
        ds = pydicom.dcmread(src, stop_before_pixels=True)
        stem = os.path.splitext(os.path.basename(src))[0]
        is_color = int(ds.SamplesPerPixel) == 3
        bits = int(ds.BitsStored)
        variants = dcmtk_variants(src, is_color, bits) + gdcm_variants()
        for suffix, cmd, lossless, near in variants:
            name = f"{stem}--{suffix}"
            out = os.path.join(out_dir, name + ".dcm")
            entry = {"name": name, "path": out, "source": src, "tool": " ".join(cmd),
                     "lossless": lossless, "near": near}
            try:
                run(cmd + [src, out])
            except Exception as exc:
                entry["error"] = str(exc)
            entries.append(entry)
        for uid, suffix, lossless in [
            ("1.2.840.10008.1.2.4.201", "htj2k", True),
            ("1.2.840.10008.1.2.4.202", "htj2k-rpcl", True),
            ("1.2.840.10008.1.2.4.203", "htj2k-lossy", False),
        ]:
            name = f"{stem}--{suffix}"
            out = os.path.join(out_dir, name + ".dcm")
            entry = {"name": name, "path": out, "source": src, "tool": f"ojph_compress ({uid})",
                     "lossless": lossless, "near": None}
            try:
                htj2k(src, out, uid, lossless, tmp)
            except Exception as exc:
                entry["error"] = str(exc)
            entries.append(entry)
    shutil.rmtree(tmp, ignore_errors=True)
    with open(manifest_path, "w") as fh:
        json.dump({"key": key, "files": entries}, fh, indent=1)
    ok = sum(1 for e in entries if "error" not in e)
    print(f"generated {ok} files ({len(entries) - ok} variants refused by their encoder)", file=sys.stderr)


if __name__ == "__main__":
    main()
