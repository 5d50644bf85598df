# The pydicom + NumPy side of `hounsfield bench volume`, and the builder of its series.
#
#   build SRC DST N   writes an N-slice series into DST from the slices of the real series in
#                     SRC: slice k is a copy of SRC's slice k mod len(SRC) placed at the k-th
#                     position along the normal (spacing of SRC), with its own SOP Instance UID,
#                     Instance Number and one new Series Instance UID. Pixel data unchanged.
#   read DIR          reads and stacks DIR as a Python viewer does (dcmread every file, sort by
#                     Image Position (Patient) along the normal, np.stack of pixel_array) and
#                     prints JSON: first_ms (first slice read and decoded), volume_ms (whole
#                     volume), rss_base_kb (peak RSS after imports), rss_peak_kb, volume_bytes.
import json
import os
import resource
import sys
import time

t0 = time.perf_counter()
import warnings

warnings.filterwarnings("ignore")
import numpy as np
import pydicom
from pydicom.uid import generate_uid


def normal(ds):
    o = [float(x) for x in ds.ImageOrientationPatient]
    return np.cross(o[:3], o[3:])


def build(src, dst, n):
    files = sorted(os.path.join(src, f) for f in os.listdir(src))
    slices = []
    for f in files:
        try:
            ds = pydicom.dcmread(f)
        except Exception:
            continue
        if "PixelData" in ds and "ImagePositionPatient" in ds:
            slices.append(ds)
    nrm = normal(slices[0])
    slices.sort(key=lambda d: float(np.dot(nrm, [float(x) for x in d.ImagePositionPatient])))
    p0 = np.array([float(x) for x in slices[0].ImagePositionPatient])
    d = [float(np.dot(nrm, [float(x) for x in s.ImagePositionPatient])) for s in slices]
    spacing = (d[-1] - d[0]) / (len(d) - 1)
    series = generate_uid()
    os.makedirs(dst, exist_ok=True)
    for k in range(n):
        ds = slices[k % len(slices)]
        ds.SeriesInstanceUID = series
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [f"{v:.4f}" for v in p0 + k * spacing * nrm]
        ds.SliceLocation = f"{d[0] + k * spacing:.4f}"
        ds.save_as(os.path.join(dst, f"CT{k + 1:04d}.dcm"), enforce_file_format=True)


def read(folder):
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    first = pydicom.dcmread(files[0]).pixel_array
    first_ms = (time.perf_counter() - start) * 1e3
    del first
    datasets = [pydicom.dcmread(f) for f in files]
    nrm = normal(datasets[0])
    datasets.sort(key=lambda d: float(np.dot(nrm, [float(x) for x in d.ImagePositionPatient])))
    volume = np.stack([d.pixel_array for d in datasets])
    volume_ms = (time.perf_counter() - start) * 1e3
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "first_ms": first_ms,
                "volume_ms": volume_ms,
                "rss_base_kb": base,
                "rss_peak_kb": peak,
                "volume_bytes": int(volume.nbytes),
                "shape": list(volume.shape),
                "imports_ms": (start - t0) * 1e3,
            }
        )
    )


if sys.argv[1] == "build":
    build(sys.argv[2], sys.argv[3], int(sys.argv[4]))
else:
    read(sys.argv[2])
