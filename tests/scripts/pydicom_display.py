#!/usr/bin/env python3
"""Display references from pydicom: VOI functions and palette expansion.

Usage: pydicom_display.py OUT_DIR REQUESTS.json

Each request is one of
  {"id": ..., "kind": "voi", "file": ..., "frame": i, "center": c, "width": w, "function": F}
      -> OUT_DIR/<id>.bin: 8-bit output of apply_modality_lut + apply_windowing with the
         VOI LUT Function F, normalised by the output range pydicom's own function gives
         for -inf and +inf inputs, rounded to nearest.
  {"id": ..., "kind": "palette", "file": ...}
      -> OUT_DIR/<id>.bin: apply_color_lut over every input value of the palette, as
         little-endian uint16 triples (red, green, blue).
Failures write OUT_DIR/<id>.err with the message.
"""

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np
import pydicom
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_windowing, pixel_array


_cache = {}


def voi(req):
    key = (req["file"], req["frame"])
    if key not in _cache:
        _cache.clear()
        ds = pydicom.dcmread(req["file"])
        n = int(ds.get("NumberOfFrames", 1) or 1)
        arr = pixel_array(req["file"], index=req["frame"]) if n > 1 else ds.pixel_array
        _cache[key] = (ds, apply_modality_lut(arr, ds).astype("float64"))
    ds, arr = _cache[key]
    ds.WindowCenter = req["center"]
    ds.WindowWidth = req["width"]
    ds.VOILUTFunction = req["function"]
    for k in ("VOILUTSequence",):
        if k in ds:
            del ds[k]
    y = apply_windowing(arr.copy(), ds)
    lo, hi = apply_windowing(np.array([-1e15, 1e15]), ds)
    norm = (y - lo) / (hi - lo)
    return np.floor(np.clip(norm, 0, 1) * 255 + 0.5).astype("u1").tobytes()


def palette(req):
    ds = pydicom.dcmread(req["file"])
    # apply_color_lut refuses supplemental palettes; only the expansion is wanted here.
    if "PixelPresentation" in ds:
        del ds["PixelPresentation"]
    desc = ds.RedPaletteColorLookupTableDescriptor
    entries = desc[0] or 65536
    first = desc[1]
    if ds.get("PixelRepresentation", 0) == 1 and first > 32767:
        first -= 65536
    values = np.arange(first, first + entries, dtype="int64")
    rgb = apply_color_lut(values, ds)
    return rgb.astype("<u2").tobytes()


def main():
    out_dir, requests = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    with open(requests) as fh:
        reqs = json.load(fh)
    for req in reqs:
        base = os.path.join(out_dir, req["id"])
        try:
            data = voi(req) if req["kind"] == "voi" else palette(req)
            with open(base + ".bin", "wb") as fh:
                fh.write(data)
        except Exception as exc:
            with open(base + ".err", "w") as fh:
                fh.write(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
