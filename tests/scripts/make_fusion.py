#!/usr/bin/env python3
"""Makes a second series to fuse over a real CT, and says where it lies.

Usage: make_fusion.py SOURCE_FOLDER OUT_DIR

SOURCE_FOLDER holds one real axial CT series (../shared/data/ct-philips-brain).
OUT_DIR/map receives a coarser "map" of it in the same Frame of Reference, as a PET or a parametric
map lies over its CT: every other slice from the fifth (the first four lie outside it), each 2 x 2 block of pixels averaged (twice the
pixel spacing, the centre of each block its pixel's position), the rows mirrored with
the row direction reversed (so the same patient points, stored the other way), stored
as unsigned values with Rescale Slope 0.5 and Rescale Intercept -1024, Modality PT, no
window; new Series and SOP Instance UIDs. The made series is a resampling of real data,
not a picture drawn here. OUT_DIR/elsewhere receives its first three slices in a new
Frame of Reference (a series that must not be fused without a registration).

Prints one JSON object: {"slices": [paths of the source slices, in order along the
normal], "map": OUT_DIR/map, "elsewhere": OUT_DIR/elsewhere}.
"""

import copy
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from series import read_slices

source, out = sys.argv[1], sys.argv[2]
slices = read_slices(source)
series_uid, elsewhere_uid, elsewhere_frame = generate_uid(), generate_uid(), generate_uid()
folders = {name: os.path.join(out, name) for name in ("map", "elsewhere")}
for folder in folders.values():
    os.makedirs(folder, exist_ok=True)
for n, (path, ds) in enumerate(slices[4::2]):
    hu = ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(
        ds.get("RescaleIntercept", 0)
    )
    rows, cols = hu.shape
    coarse = hu[: rows // 2 * 2, : cols // 2 * 2].reshape(rows // 2, 2, cols // 2, 2).mean(axis=(1, 3))
    coarse = coarse[:, ::-1]
    stored = np.clip(np.round((coarse + 1024) / 0.5), 0, 65535).astype(np.uint16)
    o = np.array(ds.ImageOrientationPatient, float)
    row_dir, col_dir = o[:3], o[3:]
    sr, sc = (float(v) for v in ds.PixelSpacing)
    # Pixel (0, 0) of the map: the centre of the source block whose column is the last.
    first = np.array(ds.ImagePositionPatient, float) + row_dir * sc * (cols - 1.5) + col_dir * sr * 0.5
    m = copy.deepcopy(ds)
    for keyword in ("WindowCenter", "WindowWidth", "WindowCenterWidthExplanation", "PixelPaddingValue"):
        if keyword in m:
            delattr(m, keyword)
    m.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    m.Modality = "PT"
    m.SeriesInstanceUID = series_uid
    m.SeriesNumber = 900
    m.SeriesDescription = "coarse map"
    m.SOPInstanceUID = generate_uid()
    m.file_meta.MediaStorageSOPInstanceUID = m.SOPInstanceUID
    m.InstanceNumber = n + 1
    m.ImageOrientationPatient = [float(v) for v in [*(-row_dir), *col_dir]]
    m.ImagePositionPatient = [float(v) for v in first]
    m.PixelSpacing = [sr * 2, sc * 2]
    m.Rows, m.Columns = stored.shape
    m.BitsAllocated, m.BitsStored, m.HighBit, m.PixelRepresentation = 16, 16, 15, 0
    m.RescaleSlope, m.RescaleIntercept = 0.5, -1024
    m.PixelData = stored.tobytes()
    m.save_as(os.path.join(folders["map"], f"map{n:03d}.dcm"), enforce_file_format=True)
    if n < 3:
        m.SeriesInstanceUID = elsewhere_uid
        m.FrameOfReferenceUID = elsewhere_frame
        m.SOPInstanceUID = generate_uid()
        m.file_meta.MediaStorageSOPInstanceUID = m.SOPInstanceUID
        m.save_as(os.path.join(folders["elsewhere"], f"map{n:03d}.dcm"), enforce_file_format=True)
print(json.dumps({"slices": [p for p, _ in slices], **folders}))
