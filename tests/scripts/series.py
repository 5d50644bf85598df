"""The slices of a series folder, read by pydicom, in order along their normal (shared by
the scripts that make test objects from real series)."""
import os

import numpy as np
import pydicom


def read_slices(folder):
    """Every image with a position in `folder` as (path, dataset), sorted along the normal
    of the first one's Image Orientation (Patient)."""
    slices = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        try:
            ds = pydicom.dcmread(path)
        except Exception:
            continue
        if "PixelData" in ds and "ImagePositionPatient" in ds:
            slices.append((path, ds))
    o = np.array(slices[0][1].ImageOrientationPatient, float)
    normal = np.cross(o[:3], o[3:])
    slices.sort(key=lambda s: float(np.dot(normal, np.array(s[1].ImagePositionPatient, float))))
    return slices
