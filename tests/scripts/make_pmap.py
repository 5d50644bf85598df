#!/usr/bin/env python3
"""Makes Parametric Maps with highdicom over two slices of a real CT, each with a Real
World Value Mapping, and says what they are.

Usage: make_pmap.py SOURCE_FOLDER OUT_DIR

SOURCE_FOLDER holds one real axial CT series (../shared/data/ct-philips-brain). From its
13th and 14th slices (in order along the normal), OUT_DIR receives:

  linear.pm.dcm  16-bit unsigned values (the CT's stored values), mapped by Real World
                 Value Slope 0.5 and Intercept -3 to "ADC" in um2/s;
  float.pm.dcm   32-bit float values (Float Pixel Data: the CT's Hounsfield units / 1000),
                 mapped by Slope 2 and Intercept 0.5 to "T1" in s;
  table.pm.dcm   16-bit unsigned values mapped by a Real World Value LUT (the square root
                 of each stored value, in ms) to "T2".

Prints one JSON object: {"files": {name: path}, "frames": 2, "size": [rows, columns]}.
The values the maps stand for are read back by the test with highdicom's own Real World
Value transform, not computed here.
"""

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import highdicom as hd
import numpy as np
from pydicom.sr.codedict import codes
from series import read_slices

source, out = sys.argv[1], sys.argv[2]
slices = [ds for _, ds in read_slices(source)[12:14]]
stored = np.stack([ds.pixel_array.astype(np.uint16) for ds in slices])
hu = np.stack(
    [ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept) for ds in slices]
)
top = int(stored.max())


def unit(value, meaning):
    return hd.sr.CodedConcept(value=value, scheme_designator="UCUM", meaning=meaning)


def write(name, pixels, mapping):
    pm = hd.pm.ParametricMap(
        source_images=slices,
        pixel_array=pixels,
        series_instance_uid=hd.UID(),
        series_number=100,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="Hounsfield tests",
        manufacturer_model_name="make_pmap.py",
        software_versions="1",
        device_serial_number="1",
        contains_recognizable_visual_features=False,
        real_world_value_mappings=[mapping],
        window_center=float(np.mean(pixels)),
        window_width=float(np.ptp(pixels)) or 1.0,
    )
    path = os.path.join(out, name)
    pm.save_as(path)
    return path


files = {
    "linear": write(
        "linear.pm.dcm",
        stored,
        hd.pm.RealWorldValueMapping(
            lut_label="ADC",
            lut_explanation="apparent diffusion coefficient",
            unit=unit("um2/s", "square micrometer per second"),
            value_range=(0, top),
            slope=0.5,
            intercept=-3,
        ),
    ),
    "float": write(
        "float.pm.dcm",
        (hu / 1000.0).astype(np.float32),
        hd.pm.RealWorldValueMapping(
            lut_label="T1",
            lut_explanation="T1 relaxation time",
            unit=unit("s", "second"),
            value_range=(float(hu.min() / 1000.0), float(hu.max() / 1000.0)),
            slope=2.0,
            intercept=0.5,
        ),
    ),
    "table": write(
        "table.pm.dcm",
        stored,
        hd.pm.RealWorldValueMapping(
            lut_label="T2",
            lut_explanation="T2 relaxation time",
            unit=unit("ms", "millisecond"),
            value_range=(0, top),
            lut_data=[float(np.sqrt(v)) for v in range(top + 1)],
        ),
    ),
}
print(json.dumps({"files": files, "frames": len(slices), "size": list(stored.shape[1:])}))
