"""What the web app's on-device colorizer reads from the Python side (python -m tools.device_fixtures).

The browser runs the same pipeline as `model.colorizer` (frontend/src/features/device).
Its constants come from here, not from a hand-copied list: `colourConstants.json` holds
`model.lab_numpy`'s colour constants, `model.preprocessing`'s render-shape rules,
`model.hints`' patch size and `model.propagation`'s defaults. `labCases.json` and
`propagationCases.json` hold inputs and what the Python functions make of them, which
the TypeScript tests (vitest) compare against. tests/tools/test_device_fixtures.py fails
when a committed file no longer matches what this module writes: run it again then.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from model import hints as hints_module, lab_numpy, preprocessing
from model.hints import Hint, paint_hints
from model.propagation import DEFAULT_PROPAGATION, Propagation, hint_presence, propagate_hints, spread_hints

OUTPUT_DIR = Path(__file__).resolve().parents[1] / "frontend" / "src" / "features" / "device" / "generated"
# Few enough digits to keep the files small, enough to test float32 results to 1e-4.
DIGITS = 5
# Results the TypeScript tests compare more loosely (presence to 1e-3, ab to 0.1 units) need fewer.
PRESENCE_DIGITS = 4
SPREAD_DIGITS = 3
# The spread-with-gain case: a gain as a 3.0-shaped model decodes with, and pins of two reaches.
FIXTURE_CHROMA_GAIN = 1.3


def _rounded(values: np.ndarray, digits: int = DIGITS) -> list:
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def colour_constants() -> dict:
    """Every number the TypeScript pipeline needs, from the modules that own it."""
    return {
        "lab": {
            "xyzFromRgb": lab_numpy.XYZ_FROM_RGB.tolist(),
            "rgbFromXyz": lab_numpy.RGB_FROM_XYZ.tolist(),
            "whiteD65": lab_numpy.WHITE_D65.tolist(),
            "epsilon": lab_numpy.EPSILON,
            "kappaSlope": lab_numpy.KAPPA_SLOPE,
            "offset": lab_numpy.OFFSET,
            "fInverseThreshold": lab_numpy.F_INVERSE_THRESHOLD,
            "srgbEncodedThreshold": lab_numpy.SRGB_ENCODED_THRESHOLD,
            "srgbLinearThreshold": lab_numpy.SRGB_LINEAR_THRESHOLD,
            "srgbGamma": lab_numpy.SRGB_GAMMA,
            "lScale": lab_numpy.L_SCALE,
            "lOffset": lab_numpy.L_OFFSET,
            "aScale": lab_numpy.A_SCALE,
            "bScale": lab_numpy.B_SCALE,
            "encodeBuckets": lab_numpy._ENCODE_BUCKETS,
        },
        "normalization": lab_numpy.DEFAULT_NORMALIZATION.to_dict(),
        "render": {"multiple": preprocessing.RENDER_MULTIPLE, "maxAspect": preprocessing.MAX_RENDER_ASPECT},
        "hints": {
            "patchSize": hints_module.HINT_PATCH_SIZE,
            "maxHints": hints_module.MAX_HINTS,
            "reaches": hints_module.REACHES,
            "defaultReach": hints_module.DEFAULT_REACH,
        },
        "propagation": asdict(DEFAULT_PROPAGATION),
    }


def _smooth_plane(rng: np.random.Generator, height: int, width: int, low: float, high: float) -> np.ndarray:
    """A plane with gradients, a hard edge and some noise: what propagation and resizing meet in photos."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    plane = 0.5 + 0.3 * np.sin(x / width * 5 + rng.uniform(0, 3)) * np.cos(y / height * 4)
    plane += np.where(x > width * 0.6, 0.2, 0.0)
    plane += rng.normal(0, 0.02, size=(height, width))
    return (low + (high - low) * np.clip(plane, 0, 1)).astype(np.float32)


def lab_cases() -> dict:
    """Colour conversions, the render shape, resizing, composing and hint painting."""
    rng = np.random.default_rng(29)
    rgb = np.concatenate(
        [rng.integers(0, 256, size=(600, 3)), [[0, 0, 0], [255, 255, 255], [1, 1, 1], [255, 0, 0], [0, 0, 255]]]
    ).astype(np.uint8)
    lab = np.stack(
        [rng.uniform(-2, 102, 1500), rng.uniform(-130, 130, 1500), rng.uniform(-130, 130, 1500)], axis=-1
    ).astype(np.float32)
    lab[:5] = np.array([[0, 0, 0], [100, 0, 0], [50, 0, 0], [0.5, 3, -3], [99, 100, 100]], dtype=np.float32)
    lab_rgb = lab_numpy.lab_to_srgb8(lab[:, 0].reshape(1, -1), np.ascontiguousarray(lab[:, 1:].T.reshape(2, 1, -1)))
    hint_colors = rng.integers(0, 256, size=(40, 3)).astype(np.uint8)

    lightness = _smooth_plane(rng, 45, 67, 0, 100)
    resizes = []
    for shape in [(32, 64), (64, 96), (45, 67), (96, 32)]:
        resizes.append({"shape": list(shape), "out": _rounded(preprocessing.resize_lightness(lightness, shape))})

    compose_l = _smooth_plane(rng, 23, 31, 0, 100)
    compose_ab = rng.uniform(-60, 60, size=(2, 8, 12)).astype(np.float32)
    composed = np.asarray(preprocessing.compose(compose_l, compose_ab))

    hints = [Hint(0.1, 0.2, (200, 40, 40)), Hint(0.5, 0.5, (30, 140, 60)), Hint(1.0, 1.0, (20, 20, 200))]
    hints += [Hint(0.52, 0.5, (240, 220, 10))]  # overlaps the second: the later one wins
    planes = paint_hints(hints, 16, 24)
    shapes = [
        (h, w, s) for h, w, s in [(480, 640, 256), (3000, 4000, 256), (100, 1000, 256), (64, 64, 512), (7, 9, 32)]
    ]
    return {
        "rgb8ToLightness": {"rgb": rgb.tolist(), "lightness": _rounded(lab_numpy.rgb8_to_lightness(rgb[None])[0])},
        "gray8ToLightness": _rounded(lab_numpy.gray8_to_lightness(np.arange(256, dtype=np.uint8)[None])[0]),
        "labToSrgb8": {"lab": _rounded(lab), "rgb": lab_rgb[0].tolist()},
        "srgb8ToLab": {"rgb": hint_colors.tolist(), "lab": _rounded(lab_numpy.srgb8_to_lab(hint_colors))},
        "renderShape": [
            {"height": h, "width": w, "renderSize": s, "shape": list(preprocessing.render_shape(h, w, s))}
            for h, w, s in shapes
        ],
        "resize": {"lightness": _rounded(lightness), "cases": resizes},
        "compose": {"lightness": _rounded(compose_l), "ab": _rounded(compose_ab), "rgb": composed.tolist()},
        "paintHints": {
            "height": 16,
            "width": 24,
            "hints": [{"x": h.x, "y": h.y, "color": h.hex_color} for h in hints],
            "planes": _rounded(planes),
        },
    }


def propagation_cases() -> dict:
    """`propagate_hints` and `hint_presence` with the defaults and with a small working grid
    (the upsampling path), and `spread_hints` on pins of two reaches with a chroma gain."""
    rng = np.random.default_rng(17)
    height, width = 48, 64
    lightness = _smooth_plane(rng, height, width, 10, 90)
    ab = np.stack([_smooth_plane(rng, height, width, -40, 40), _smooth_plane(rng, height, width, -30, 50)])
    hint_ab = np.zeros((2, height, width), dtype=np.float32)
    mask = np.zeros((height, width), dtype=np.float32)
    for _ in range(5):
        row, column = rng.integers(2, height - 3), rng.integers(2, width - 3)
        hint_ab[:, row - 2 : row + 3, column - 2 : column + 3] = rng.uniform(-80, 80, size=(2, 1, 1))
        mask[row - 2 : row + 3, column - 2 : column + 3] = 1.0
    cases = []
    for settings in [DEFAULT_PROPAGATION, Propagation(work_side=32, coarse_side=8)]:
        corrected = propagate_hints(lightness, ab, hint_ab, mask, settings)
        presence = hint_presence(lightness, mask, settings)
        cases.append(
            {
                "settings": asdict(settings),
                "ab": _rounded(corrected),
                "presence": _rounded(presence, PRESENCE_DIGITS),
            }
        )
    # Two whole-image pins (one reach group) and a small one; `ab` stands for a gained network's output.
    pins = [Hint(0.2, 0.3, (200, 40, 40)), Hint(0.75, 0.7, (40, 160, 60)), Hint(0.45, 0.5, (30, 60, 200), "small")]
    spread = spread_hints(lightness, ab, pins, chroma_gain=FIXTURE_CHROMA_GAIN)
    return {
        "lightness": _rounded(lightness),
        "ab": _rounded(ab),
        "hintAb": _rounded(hint_ab),
        "mask": _rounded(mask),
        "cases": cases,
        "spread": {
            "hints": [{"x": h.x, "y": h.y, "color": h.hex_color, "reach": h.reach} for h in pins],
            "normalization": lab_numpy.DEFAULT_NORMALIZATION.to_dict(),
            "settings": asdict(DEFAULT_PROPAGATION),
            "chromaGain": FIXTURE_CHROMA_GAIN,
            "ab": _rounded(spread, SPREAD_DIGITS),
        },
    }


def fixture_texts() -> dict[str, str]:
    """File name -> the JSON text this module writes for it."""
    documents = {
        "colourConstants.json": colour_constants(),
        "labCases.json": lab_cases(),
        "propagationCases.json": propagation_cases(),
    }
    return {name: json.dumps(document, separators=(",", ":")) + "\n" for name, document in documents.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=OUTPUT_DIR, help=f"where to write (default: {OUTPUT_DIR})")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in fixture_texts().items():
        (args.out_dir / name).write_text(text)
        print(f"wrote {args.out_dir / name} ({len(text) // 1024} KB)")


if __name__ == "__main__":
    main()
