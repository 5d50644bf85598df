#!/usr/bin/env python3
"""Reference pixel arrays from pydicom, the decode oracle.

Usage: pydicom_reference.py OUT_DIR LIST_FILE

LIST_FILE holds one "name<TAB>path" per line. For every file this writes
OUT_DIR/<name>/manifest.json and, when pydicom decodes it, frame_<i>.bin with the
little-endian bytes of `pydicom.pixels.pixel_array(path, index=i)` (pydicom's defaults:
YBR converted to RGB, palette colour kept as indices, values masked to Bits Stored).
Multi-frame objects of more than four frames contribute their first, middle and last
frames. Results are cached: a file is skipped when its manifest names the same size,
modification time and script version.
"""

import json
import os
import sys
import traceback
import warnings

SCRIPT_VERSION = 3


def frames_to_compare(n):
    if n <= 4:
        return list(range(n))
    return sorted({0, n // 2, n - 1})


def main():
    out_dir, list_file = sys.argv[1], sys.argv[2]
    import numpy as np
    import pydicom
    from pydicom.pixels import pixel_array

    warnings.filterwarnings("ignore")
    with open(list_file) as fh:
        entries = [line.rstrip("\n").split("\t") for line in fh if line.strip()]
    done = 0
    for name, path in entries:
        target = os.path.join(out_dir, name)
        manifest_path = os.path.join(target, "manifest.json")
        st = os.stat(path)
        key = {"size": st.st_size, "mtime": int(st.st_mtime), "version": SCRIPT_VERSION}
        if os.path.exists(manifest_path):
            try:
                with open(manifest_path) as fh:
                    if json.load(fh).get("key") == key:
                        continue
            except (OSError, ValueError):
                pass
        os.makedirs(target, exist_ok=True)
        manifest = {"key": key, "file": path}
        try:
            ds = pydicom.dcmread(path, force=True)
            if not any(t in ds for t in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
                manifest.update(status="no-pixel-data")
            else:
                n = int(ds.get("NumberOfFrames", 1) or 1)
                compared = frames_to_compare(n)
                shape = None
                dtype = None
                for i in compared:
                    arr = pixel_array(path, index=i) if n > 1 else ds.pixel_array
                    arr = np.ascontiguousarray(arr)
                    dtype = arr.dtype.newbyteorder("<").str
                    shape = list(arr.shape)
                    with open(os.path.join(target, f"frame_{i}.bin"), "wb") as fh:
                        fh.write(arr.astype(dtype).tobytes())
                manifest.update(status="ok", frames=n, compared=compared, dtype=dtype, shape=shape)
        except Exception as exc:  # pydicom's own failure is part of the oracle
            manifest.update(status="error", error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            if os.environ.get("HOUNSFIELD_ORACLE_TRACE"):
                traceback.print_exc()
        with open(manifest_path, "w") as fh:
            json.dump(manifest, fh)
        done += 1
    print(f"pydicom reference: {done} files decoded, {len(entries) - done} cached", file=sys.stderr)


if __name__ == "__main__":
    main()
