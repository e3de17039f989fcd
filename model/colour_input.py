"""Is an upload already a colour photo? The spread of its a*, b* (CIELAB) says.

A black-and-white scan has almost no chroma; a sepia or cyanotype print has chroma,
but one tint everywhere. A colour photo's a*, b* spread around their median: the
root mean square distance from the median (Lab units) is the measure, read on a
thumbnail (the answer does not need every pixel). The web app asks the person what
to do with a colour photo (keep its colours, or colorize from the gray), the CLI
reports it and can keep it (`--colour-photos keep`), the API says it in a response
header (`X-Input-Colour`).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from model.lab_numpy import srgb8_to_lab

# Measured on bench/: its 100 colour photos spread 4.5 at the least (median 14.8), their
# gray versions 0.0 and sepia-toned versions (ImageOps.colorize) 2.7 at most.
COLOUR_SPREAD_THRESHOLD = 3.5
# Side of the thumbnail the spread is read on.
THUMBNAIL_SIDE = 128


def ab_spread(image: Image.Image) -> float:
    """Root mean square distance (Lab units) of the pixels' a*, b* from their median."""
    if image.mode in ("1", "L", "LA", "I", "I;16", "F"):
        return 0.0  # no colour planes at all
    thumbnail = image.convert("RGB")
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    # NumPy only (model.lab_numpy): the serving install has no scikit-image.
    ab = srgb8_to_lab(np.asarray(thumbnail, dtype=np.uint8))[..., 1:].reshape(-1, 2)
    return float(np.sqrt(np.mean(np.sum(np.square(ab - np.median(ab, axis=0)), axis=1))))


def is_colour_photo(image: Image.Image, threshold: float = COLOUR_SPREAD_THRESHOLD) -> bool:
    """True when the image's a*b* spread shows more than one tint: a colour photo."""
    return ab_spread(image) > threshold
