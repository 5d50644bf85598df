"""Pixel Padding Value / Range (PS3.3 C.7.5.1.1.2) as pydicom reads them: shared by the
oracles that leave padding out (padding_oracle, measure_oracle)."""


def padding_range(d):
    """The stored values (low, high) that are padding, or None without a Pixel Padding
    Value. The values are read as US or SS as the Pixel Representation says, whatever VR
    the file gave them."""
    if "PixelPaddingValue" not in d:
        return None

    def stored(v):
        v = int(v)
        if d.PixelRepresentation == 1 and v > 32767:
            v -= 65536
        if d.PixelRepresentation == 0 and v < 0:
            v += 65536
        return v

    value = stored(d.PixelPaddingValue)
    limit = stored(d.PixelPaddingRangeLimit) if "PixelPaddingRangeLimit" in d else value
    return min(value, limit), max(value, limit)
