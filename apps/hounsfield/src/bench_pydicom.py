# Times pydicom's decoding of each file given on the command line with every decoding
# plugin available for its transfer syntax; prints one JSON line per file:
# {"file": ..., "ms": best median ms, "plugin": name} or {"file": ..., "error": ...}.
import json
import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import pydicom
from pydicom.pixels.decoders.base import get_decoder

repeats = int(sys.argv[1])
for path in sys.argv[2:]:
    try:
        ds = pydicom.dcmread(path)
        uid = ds.file_meta.TransferSyntaxUID
        decoder = get_decoder(uid)
        plugins = list(decoder.available_plugins) if uid.is_compressed else [""]
        best = None
        for plugin in plugins:
            times = []
            try:
                for _ in range(repeats):
                    ds._pixel_array = None
                    ds._pixel_id = {}
                    t = time.perf_counter()
                    ds.pixel_array_options(decoding_plugin=plugin)
                    ds.convert_pixel_data()
                    times.append((time.perf_counter() - t) * 1e3)
            except Exception:
                continue
            ms = statistics.median(times)
            if best is None or ms < best[0]:
                best = (ms, plugin or "numpy")
        if best is None:
            print(json.dumps({"file": path, "error": "no plugin decodes it"}), flush=True)
        else:
            print(json.dumps({"file": path, "ms": best[0], "plugin": best[1]}), flush=True)
    except Exception as exc:
        print(json.dumps({"file": path, "error": f"{type(exc).__name__}: {exc}"[:200]}), flush=True)
