# The windowing of the viewer Hounsfield replaces, in NumPy: clip to the window,
# normalise to 0..255, stack RGBA, flatten, astype uint8 -- after a nearest-neighbour
# resampling to the output size. Reads raw little-endian int32 samples from stdin
# (argv: width height out_w out_h center width repeats); prints the median ms.
import statistics
import sys
import time

import numpy as np

w, h, ow, oh = (int(v) for v in sys.argv[1:5])
center, width = float(sys.argv[5]), float(sys.argv[6])
repeats = int(sys.argv[7])
img = np.frombuffer(sys.stdin.buffer.read(), dtype="<i4").reshape(h, w).astype(np.float64)
scale = min(ow / w, oh / h)
xs = np.clip(((np.arange(ow) + 0.5 - ow / 2) / scale + w / 2).astype(np.int64), 0, w - 1)
ys = np.clip(((np.arange(oh) + 0.5 - oh / 2) / scale + h / 2).astype(np.int64), 0, h - 1)
times = []
for i in range(repeats):
    c = center + i  # a new window each time, as during a drag
    t = time.perf_counter()
    view = img[ys][:, xs]
    lo, hi = c - width / 2, c + width / 2
    v = np.clip(view, lo, hi)
    v = (v - lo) / (hi - lo) * 255.0
    rgba = np.dstack([v, v, v, np.full_like(v, 255.0)])
    out = rgba.flatten().astype(np.uint8)
    times.append((time.perf_counter() - t) * 1e3)
print(statistics.median(times))
