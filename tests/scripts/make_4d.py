#!/usr/bin/env python3
"""Makes multi-stack and 4D series from real CT slices, and says how they are organised.

Usage: make_4d.py SOURCE_FOLDER OUT_DIR

SOURCE_FOLDER holds one real axial CT series (../shared/data/ct-philips-brain). Its
slices, sorted along the slice normal, are reused with new positions and UIDs, so every
frame of the made series is a real, distinct image:

  classic-temporal/   8 positions x 3 time points, one file per slice, Temporal Position
                      Identifier 1..3 (file names and Instance Numbers shuffled)
  classic-acquisitions/ 6 positions x 2 acquisitions (Acquisition Number, Acquisition
                      Time), as an fMRI or DCE run stores its time points
  enhanced-stacks/    one Enhanced CT object, 2 stacks x 6 positions at the same positions,
                      frames of the stacks interleaved; Dimension Organization: Stack ID,
                      In-Stack Position Number
  enhanced-temporal/  one Enhanced CT object, 3 time points x 4 positions, frames in
                      reverse order; Dimension Organization: Temporal Position Index,
                      In-Stack Position Number

Prints one JSON object: for each folder, the expected stacks, and for each stack its time
points, each a list of [file name, frame (0-based), sum of stored values] in slice order
(ascending along the normal), computed here from the values written.
"""

import copy
import json
import os
import random
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from series import read_slices

source, out = sys.argv[1], sys.argv[2]
random.seed(4)

slices = [d for _, d in read_slices(source)]
o = [float(v) for v in slices[0].ImageOrientationPatient]
normal = np.cross(o[:3], o[3:])
origin = np.array([float(v) for v in slices[0].ImagePositionPatient])
spacing = 5.0


def position(k):
    return [float(x) for x in origin + k * spacing * normal]


def distance(p):
    return float(np.dot(normal, p))


def stored(d):
    return int(d.pixel_array.astype(np.int64).sum())


expected = {}


def classic(folder, positions, times, tag):
    path = os.path.join(out, folder)
    os.makedirs(path, exist_ok=True)
    series = generate_uid()
    groups = [[] for _ in range(times)]
    names = [f"f{n:03d}.dcm" for n in range(positions * times)]
    random.shuffle(names)
    numbers = list(range(1, positions * times + 1))
    random.shuffle(numbers)
    n = 0
    for t in range(times):
        for k in range(positions):
            d = copy.deepcopy(slices[(t * positions + k) % len(slices)])
            d.SeriesInstanceUID = series
            d.SOPInstanceUID = generate_uid()
            d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
            d.SeriesDescription = folder
            d.SeriesNumber = 900 + len(expected)
            d.ImagePositionPatient = position(k)
            d.InstanceNumber = numbers[n]
            if tag == "temporal":
                d.TemporalPositionIdentifier = t + 1
                d.NumberOfTemporalPositions = times
                d.AcquisitionNumber = 1
            else:
                d.AcquisitionNumber = t + 1
                d.AcquisitionTime = f"1030{(t * positions + k):02d}.000"
                for e in ("TemporalPositionIdentifier", "TriggerTime"):
                    if e in d:
                        delattr(d, e)
            d.save_as(os.path.join(path, names[n]), enforce_file_format=True)
            groups[t].append((distance(position(k)), [names[n], 0, stored(d)]))
            n += 1
    expected[folder] = [[[g[1] for g in sorted(group)] for group in groups]]


def enhanced(folder, stacks, times, positions, order):
    path = os.path.join(out, folder)
    os.makedirs(path, exist_ok=True)
    first = slices[0]
    frames = []  # (stack, time, k, source slice)
    n = 0
    for s in range(stacks):
        for t in range(times):
            for k in range(positions):
                frames.append((s, t, k, slices[n % len(slices)]))
                n += 1
    frames = order(frames)
    d = Dataset()
    d.file_meta = FileMetaDataset()
    d.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
    d.SOPInstanceUID = generate_uid()
    d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
    d.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    d.SOPClassUID = d.file_meta.MediaStorageSOPClassUID
    for e in ("PatientName", "PatientID", "StudyInstanceUID", "StudyDate", "Modality"):
        if e in first:
            setattr(d, e, first.data_element(e).value)
    d.SeriesInstanceUID = generate_uid()
    d.SeriesNumber = 900 + len(expected)
    d.SeriesDescription = folder
    d.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    d.Rows, d.Columns = first.Rows, first.Columns
    d.SamplesPerPixel = 1
    d.PhotometricInterpretation = "MONOCHROME2"
    d.BitsAllocated, d.BitsStored, d.HighBit = 16, first.BitsStored, first.HighBit
    d.PixelRepresentation = first.PixelRepresentation
    d.NumberOfFrames = len(frames)
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = first.PixelSpacing
    measures.SliceThickness = spacing
    shared.PixelMeasuresSequence = Sequence([measures])
    orientation = Dataset()
    orientation.ImageOrientationPatient = first.ImageOrientationPatient
    shared.PlaneOrientationSequence = Sequence([orientation])
    rescale = Dataset()
    rescale.RescaleIntercept = first.RescaleIntercept
    rescale.RescaleSlope = first.RescaleSlope
    rescale.RescaleType = "HU"
    shared.PixelValueTransformationSequence = Sequence([rescale])
    d.SharedFunctionalGroupsSequence = Sequence([shared])
    content_pointer = pydicom.tag.Tag(0x0020, 0x9111)
    dims = []
    if stacks > 1:
        dims.append(0x00209056)  # Stack ID
    if times > 1:
        dims.append(0x00209128)  # Temporal Position Index
    dims.append(0x00209057)  # In-Stack Position Number
    index = []
    for p in dims:
        item = Dataset()
        item.DimensionIndexPointer = p
        item.FunctionalGroupPointer = content_pointer
        index.append(item)
    d.DimensionIndexSequence = Sequence(index)
    per_frame = []
    pixels = []
    groups = [[[] for _ in range(times)] for _ in range(stacks)]
    name = f"{folder}.dcm"
    for f, (s, t, k, src) in enumerate(frames):
        item = Dataset()
        content = Dataset()
        values = []
        if stacks > 1:
            content.StackID = str(s + 1)
            values.append(s + 1)
        if times > 1:
            content.TemporalPositionIndex = t + 1
            values.append(t + 1)
        content.InStackPositionNumber = k + 1
        values.append(k + 1)
        content.DimensionIndexValues = values
        item.FrameContentSequence = Sequence([content])
        plane = Dataset()
        plane.ImagePositionPatient = position(k)
        item.PlanePositionSequence = Sequence([plane])
        per_frame.append(item)
        a = src.pixel_array
        pixels.append(a.astype(a.dtype.newbyteorder("<")).tobytes())
        groups[s][t].append((distance(position(k)), [name, f, int(a.astype(np.int64).sum())]))
    d.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    d.PixelData = b"".join(pixels)
    d.save_as(os.path.join(path, name), enforce_file_format=True)
    expected[folder] = [[[g[1] for g in sorted(tp)] for tp in stack] for stack in groups]


classic("classic-temporal", 8, 3, "temporal")
classic("classic-acquisitions", 6, 2, "acquisitions")


def interleave(frames):
    # Stack 1 position 1, stack 2 position 1, stack 1 position 2, ...
    return sorted(frames, key=lambda f: (f[2], f[0]))


enhanced("enhanced-stacks", 2, 1, 6, interleave)
enhanced("enhanced-temporal", 1, 3, 4, lambda frames: list(reversed(frames)))
print(json.dumps(expected))
