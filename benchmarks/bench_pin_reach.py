"""How far one colour pin spreads beyond its object, by reach (issue 30: "a Brick pin on a
wall turned the road orange").

For each of a few `bench/` photos (seeded choice), with the shipped model (or --artifact):

  object   the pin's object: the connected region around the pin whose ground-truth colour
           is within --object-delta-e (CIE76) of the truth at the pin
  pin      at the most saturated spot of the ground truth (smoothed), coloured with the
           common colour (sky, foliage, skin, brick: the web app's swatches) farthest from
           the automatic result there, so the pin has something to change
  changed  pixels whose a*b* moved by more than --changed-delta (Lab units) from the
           automatic result

and prints, per reach (small, medium, whole; "whole" is what every pin did before reaches
existed), the share of pixels outside the object that the pin changed, and the share
inside it. The check: the median share outside is lower for "small" than for "whole";
--strict makes the exit status 1 when it is not.

Example:
    .venv/bin/python benchmarks/bench_pin_reach.py --photos 8
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import color, filters, measure

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from model.colorizer import Colorizer
from model.hints import REACHES, Hint

DEFAULT_BENCH = REPO_ROOT.parent / "shared" / "data" / "colorize" / "bench"
# The web app's swatches (frontend/src/shared/steering/pins.ts).
PIN_COLOURS = {
    "sky": (0x6B, 0x9B, 0xD8),
    "foliage": (0x4F, 0x7F, 0x2A),
    "skin": (0xD9, 0xA2, 0x7F),
    "brick": (0xA4, 0x45, 0x2C),
}


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH, help="colour photos (default: %(default)s)")
    parser.add_argument("--photos", type=int, default=8, help="how many photos (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="which photos (default: %(default)s)")
    parser.add_argument("--side", type=int, default=512, help="photos scaled to this long side (default: %(default)s)")
    parser.add_argument("--artifact", type=Path, default=None, help="model (default: the shipped one)")
    parser.add_argument("--object-delta-e", type=float, default=12.0, help="object threshold (default: %(default)s)")
    parser.add_argument("--changed-delta", type=float, default=3.0, help="changed threshold (default: %(default)s)")
    parser.add_argument("--strict", action="store_true", help="exit 1 unless small spreads less than whole")
    return parser


def load_photo(path: Path, side: int) -> np.ndarray:
    """sRGB uint8 (H, W, 3), long side at most `side`."""
    image = Image.open(path).convert("RGB")
    image.thumbnail((side, side))
    return np.asarray(image)


def pin_spot(truth_lab: np.ndarray) -> tuple[int, int]:
    """(row, column) of the most saturated spot of the smoothed ground truth, away from the border."""
    chroma = filters.gaussian(np.hypot(truth_lab[..., 1], truth_lab[..., 2]), sigma=5)
    margin = 8
    inner = chroma[margin:-margin, margin:-margin]
    row, column = np.unravel_index(int(np.argmax(inner)), inner.shape)
    return int(row) + margin, int(column) + margin


def object_mask(truth_lab: np.ndarray, spot: tuple[int, int], delta_e: float) -> np.ndarray:
    """The connected region around `spot` whose truth colour is within delta_e of the spot's."""
    near = np.linalg.norm(truth_lab - truth_lab[spot], axis=-1) < delta_e
    labels = measure.label(near, connectivity=1)
    return labels == labels[spot]


def ab_moved(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return np.hypot(first[..., 1] - second[..., 1], first[..., 2] - second[..., 2])


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    colorizer = Colorizer.load(args.artifact)
    if not colorizer.supports_hints:
        print(f"{colorizer.name} {colorizer.version} takes no hints", file=sys.stderr)
        return 2
    paths = sorted(args.bench_dir.glob("*.jpg"))
    chosen = sorted(
        np.random.default_rng(args.seed).choice(len(paths), size=min(args.photos, len(paths)), replace=False)
    )
    outside: dict[str, list[float]] = {reach: [] for reach in REACHES}
    inside: dict[str, list[float]] = {reach: [] for reach in REACHES}
    print(f"model {colorizer.name} {colorizer.version}; {len(chosen)} photos from {args.bench_dir}")
    print(f"{'photo':<12}{'pin':<9}{'object':>8}  " + "  ".join(f"{reach + ' out/in':>16}" for reach in REACHES))
    for index in chosen:
        path = paths[index]
        truth = load_photo(path, args.side)
        truth_lab = color.rgb2lab(truth)
        gray = Image.fromarray(truth).convert("L")
        automatic = color.rgb2lab(np.asarray(colorizer.colorize(gray)) / 255.0)
        spot = pin_spot(truth_lab)
        mask = object_mask(truth_lab, spot, args.object_delta_e)
        # The swatch farthest (in a*b*) from what the model chose there.
        name, rgb = max(
            PIN_COLOURS.items(),
            key=lambda item: float(
                np.hypot(*(color.rgb2lab(np.array([[item[1]]], np.uint8))[0, 0, 1:] - automatic[spot][1:]))
            ),
        )
        height, width = mask.shape
        cells = []
        for reach in REACHES:
            hint = Hint((spot[1] + 0.5) / width, (spot[0] + 0.5) / height, rgb, reach)
            pinned = color.rgb2lab(np.asarray(colorizer.colorize(gray, hints=[hint])) / 255.0)
            changed = ab_moved(pinned, automatic) > args.changed_delta
            outside[reach].append(100.0 * float(changed[~mask].mean()) if (~mask).any() else 0.0)
            inside[reach].append(100.0 * float(changed[mask].mean()))
            cells.append(f"{outside[reach][-1]:7.1f}%/{inside[reach][-1]:5.1f}%")
        print(f"{path.name:<12}{name:<9}{100 * mask.mean():7.1f}%  " + "  ".join(f"{cell:>16}" for cell in cells))
    print(
        "median".ljust(29)
        + "  ".join(
            f"{statistics.median(outside[reach]):7.1f}%/{statistics.median(inside[reach]):5.1f}%".rjust(16)
            for reach in REACHES
        )
    )
    ok = statistics.median(outside["small"]) < statistics.median(outside["whole"])
    print(f"check: a small pin changes less outside its object than a whole-region one: {'yes' if ok else 'NO'}")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
