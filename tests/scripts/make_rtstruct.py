"""Writes an RT Structure Set with pydicom over a real CT series, from known points.

    python make_rtstruct.py SERIES_FOLDER OUT_DIR

Contours, in the patient coordinates of two neighbouring slices of the series (sorted by
position along the normal): a closed circle (48 points, 40 mm radius) and an open
three-point line on the first; a closed square and a POINT on the second. Each ROI has
its ROI Display Color. Prints JSON: the structure set's path, and per ROI its colour
and its contours (geometric type, points).
"""
import json
import os
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from series import read_slices

RT_STRUCTURE_SET_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"

series, out = sys.argv[1], sys.argv[2]
slices = read_slices(series)
orientation = np.array(slices[0][1].ImageOrientationPatient, float)
row, col = orientation[:3], orientation[3:]
first, second = slices[len(slices) // 2], slices[len(slices) // 2 + 1]


def centre(ds, dx=0.0, dy=0.0):
    """The patient point at the image's centre, moved dx mm along its rows, dy along its columns."""
    o = np.array(ds.ImagePositionPatient, float)
    sr, sc = (float(v) for v in ds.PixelSpacing)
    return o + row * sc * ds.Columns / 2 + col * sr * ds.Rows / 2 + row * dx + col * dy


a, b = first[1], second[1]
circle = [centre(a) + 40 * (np.cos(t) * row + np.sin(t) * col) for t in np.linspace(0, 2 * np.pi, 48, endpoint=False)]
line = [centre(a, -70, 50), centre(a, -20, 75), centre(a, 30, 55)]
square = [centre(b, x, y) for x, y in [(-25, -25), (25, -25), (25, 25), (-25, 25)]]
point = [centre(b, 60, -60)]
rois = [
    ("circle", [255, 0, 0], [("CLOSED_PLANAR", circle)]),
    ("line", [0, 255, 0], [("OPEN_PLANAR", line)]),
    ("square", [0, 128, 255], [("CLOSED_PLANAR", square)]),
    ("marker", [255, 255, 0], [("POINT", point)]),
]

meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = RT_STRUCTURE_SET_STORAGE
meta.MediaStorageSOPInstanceUID = generate_uid()
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
ds.SOPClassUID = RT_STRUCTURE_SET_STORAGE
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.Modality = "RTSTRUCT"
for k in ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyDate",
          "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber", "FrameOfReferenceUID"]:
    setattr(ds, k, getattr(a, k, ""))
ds.PositionReferenceIndicator = a.get("PositionReferenceIndicator", "")
ds.Manufacturer = ""
ds.SeriesNumber = None
ds.OperatorsName = ""
ds.StructureSetDate = a.get("StudyDate", "")
ds.StructureSetTime = a.get("StudyTime", "")
ds.SeriesInstanceUID = generate_uid()
ds.StructureSetLabel = "test structures"
roi_items, contour_items = [], []
for n, (name, color, contours) in enumerate(rois, start=1):
    r = Dataset()
    r.ROINumber = n
    r.ReferencedFrameOfReferenceUID = a.FrameOfReferenceUID
    r.ROIName = name
    r.ROIGenerationAlgorithm = "MANUAL"
    roi_items.append(r)
    c = Dataset()
    c.ROIDisplayColor = color
    c.ReferencedROINumber = n
    items = []
    for kind, points in contours:
        k = Dataset()
        k.ContourGeometricType = kind
        k.NumberOfContourPoints = len(points)
        k.ContourData = [f"{v:.6f}" for p in points for v in p]
        items.append(k)
    c.ContourSequence = Sequence(items)
    contour_items.append(c)
observations = []
for n in range(1, len(rois) + 1):
    o = Dataset()
    o.ObservationNumber = n
    o.ReferencedROINumber = n
    o.RTROIInterpretedType = "MARKER" if n == len(rois) else "ORGAN"
    o.ROIInterpreter = ""
    observations.append(o)
ds.RTROIObservationsSequence = Sequence(observations)
ds.StructureSetROISequence = Sequence(roi_items)
ds.ROIContourSequence = Sequence(contour_items)
path = os.path.join(out, "structures.dcm")
ds.save_as(path, enforce_file_format=True)
print(json.dumps({
    "path": path,
    "slices": [first[0], second[0]],
    "rois": [
        {"name": name, "color": color,
         "contours": [{"type": kind, "points": [[float(f"{v:.6f}") for v in p] for p in points]} for kind, points in contours]}
        for name, color, contours in rois
    ],
}))
