"""DICOM Segmentations made by highdicom from three slices of a real CT (the shared
ct-philips-brain series): binary (three segments, overlapping), fractional (probability),
labelmap, and the binary one without references to its sources; with the masks highdicom
reads back for each source slice (NumPy files) and the colours it gives the segments.
Usage: make_seg.py CT_FOLDER OUT_FOLDER; prints JSON."""
import json, os, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, pydicom, highdicom as hd
from pydicom.sr.codedict import codes
from series import read_slices
folder, out = sys.argv[1], sys.argv[2]
ds = [d for _, d in read_slices(folder)]
src = ds[12:15]
hu = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in src])
Y, X = np.mgrid[0:src[0].Rows, 0:src[0].Columns]
disc = ((X - 300) ** 2 + (Y - 220) ** 2) < 60 ** 2
masks = np.stack([(hu >= -5) & (hu <= 80), hu > 300, np.broadcast_to(disc, hu.shape)], axis=-1).astype(np.uint8)
def desc(n, label, color):
    return hd.seg.SegmentDescription(
        segment_number=n, segment_label=label,
        segmented_property_category=codes.SCT.Tissue, segmented_property_type=codes.SCT.Tissue,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        display_color=hd.color.CIELabColor.from_string(color))
common = dict(manufacturer="test", manufacturer_model_name="test", software_versions="1", device_serial_number="1")
colors = {"binary": ["red", "yellow", "lime"], "fractional": ["darkviolet"]}
seg = hd.seg.Segmentation(src, masks, hd.seg.SegmentationTypeValues.BINARY,
    [desc(k + 1, l, c) for k, (l, c) in enumerate(zip(["soft tissue", "bone", "disc"], colors["binary"]))],
    hd.UID(), 1, hd.UID(), 1, **common)
seg.save_as(os.path.join(out, "binary.seg.dcm"))
frac = (np.clip((X - 150) / 250.0, 0, 1) * disc).astype(np.float32)
seg2 = hd.seg.Segmentation(src, np.stack([frac] * 3)[..., None], hd.seg.SegmentationTypeValues.FRACTIONAL,
    [desc(1, "probability", colors["fractional"][0])], hd.UID(), 2, hd.UID(), 1,
    fractional_type=hd.seg.SegmentationFractionalTypeValues.PROBABILITY, max_fractional_value=255, **common)
seg2.save_as(os.path.join(out, "fractional.seg.dcm"))
labels = np.where(masks[..., 2] > 0, 3, np.where(masks[..., 1] > 0, 2, np.where(masks[..., 0] > 0, 1, 0))).astype(np.uint8)
seg3 = hd.seg.Segmentation(src, labels, hd.seg.SegmentationTypeValues.LABELMAP,
    [desc(k + 1, l, c) for k, (l, c) in enumerate(zip(["soft tissue", "bone", "disc"], colors["binary"]))],
    hd.UID(), 3, hd.UID(), 1, **common)
seg3.save_as(os.path.join(out, "labelmap.seg.dcm"))
colors["labelmap"] = colors["binary"]
# The same segments with no reference to their source images: placed by their planes.
bare = pydicom.dcmread(os.path.join(out, "binary.seg.dcm"))
for item in bare.PerFrameFunctionalGroupsSequence:
    if "DerivationImageSequence" in item:
        del item.DerivationImageSequence
bare.save_as(os.path.join(out, "unreferenced.seg.dcm"))
rgb = {k: [list(hd.color.CIELabColor.from_string(c).to_rgb()) for c in v] for k, v in colors.items()}
# The masks of each source slice, per segmentation, as highdicom gives them.
slices = []
for d in src:
    uid = d.SOPInstanceUID
    per = {}
    for name in ("binary", "fractional", "labelmap"):
        s = hd.seg.segread(os.path.join(out, f"{name}.seg.dcm"))
        numbers = list(s.segment_numbers)
        m = s.get_pixels_by_source_instance(source_sop_instance_uids=[uid], segment_numbers=numbers,
                                            combine_segments=False, rescale_fractional=True)[0]
        if name == "labelmap":
            m = np.stack([m[..., 0] == n for n in numbers], axis=-1) if m.shape[-1] == 1 else m
        cover = np.rint(m.astype(np.float64) * 255).astype(np.uint8) if name == "fractional" else (m > 0).astype(np.uint8) * 255
        np.save(os.path.join(out, f"{uid}.{name}.npy"), cover)
        per[name] = numbers
    slices.append({"path": d.filename, "uid": uid, "segments": per})
print(json.dumps({"slices": slices, "rgb": rgb}))
