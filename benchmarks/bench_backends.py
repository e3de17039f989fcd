"""ONNX Runtime vs torch: generator latency at render size 256, and the same pictures on real photos.

1. Latency: the shipped generator's forward on one 1x1x256x256 input (L of a real
   photo), ONNX Runtime and torch interleaved, at 1 and at 2 threads; medians and
   their ratio (bar: ONNX Runtime at least 1.8x faster at both).
2. Agreement: `Colorizer.colorize` on each backend for the first N photos of a
   folder (default: ../shared/data/colorize/val) at render size 256; the largest
   per-channel difference in 8-bit levels (bar: at most 1, i.e. 1/255).

    .venv/bin/python benchmarks/bench_backends.py [--photos DIR] [--count 20] [--repeats 15]

Timings on a shared machine are noisy: read the ratio of one run, not the milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import numpy as np
import torch
from PIL import Image

from model.artifact import default_artifact_path
from model.backends import Backend
from model.colorizer import Colorizer
from model.onnx_backend import OnnxBackend
from model.preprocessing import lightness_of, resize_lightness
from model.torch_backend import TorchBackend

LATENCY_BAR = 1.8
DEFAULT_PHOTOS = REPO_ROOT.parent / "shared" / "data" / "colorize" / "val"
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--artifact", type=Path, default=None, help="artifact with its .onnx beside it (default: the shipped model)"
    )
    parser.add_argument(
        "--photos", type=Path, default=DEFAULT_PHOTOS, help=f"folder of photos (default: {DEFAULT_PHOTOS})"
    )
    parser.add_argument("--count", type=int, default=20, help="photos for the agreement check (default: 20)")
    parser.add_argument(
        "--repeats", type=int, default=15, help="timed forwards per backend and thread count (default: 15)"
    )
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default: 1 2)")
    parser.add_argument("--skip-agreement", action="store_true", help="latency only")
    return parser


def _photos(folder: Path, count: int) -> list[Path]:
    files = sorted(path for path in folder.rglob("*") if path.suffix.lower() in SUFFIXES)
    if not files:
        raise SystemExit(f"no photos under {folder}: pass --photos DIR")
    return files[:count]


def latency(artifact: Path, photo: Path, threads: int, repeats: int) -> dict[str, list[float]]:
    torch.set_num_threads(threads)
    backends: dict[str, Backend] = {
        "onnx": OnnxBackend(artifact.with_suffix(".onnx"), threads=threads),
        "torch": TorchBackend.load(artifact, device="cpu", threads=threads),
    }
    with Image.open(photo) as image:
        lightness = resize_lightness(lightness_of(image.convert("RGB")), (256, 256))
    inputs = backends["onnx"].metadata.lab.normalize_l(lightness)[None, None].astype(np.float32)
    for backend in backends.values():  # warm-up
        for _ in range(3):
            backend.run(inputs)
    seconds: dict[str, list[float]] = {name: [] for name in backends}
    for repeat in range(repeats):
        order = list(backends) if repeat % 2 == 0 else list(backends)[::-1]
        for name in order:
            began = time.perf_counter()
            backends[name].run(inputs)
            seconds[name].append(time.perf_counter() - began)
    return seconds


def agreement(artifact: Path, photos: list[Path]) -> tuple[int, float]:
    """Largest level difference over all photos, and the share of channel values that differ at all."""
    onnx_colorizer = Colorizer.load(artifact, backend="onnx")
    torch_colorizer = Colorizer.load(artifact, backend="torch", device="cpu")
    worst, differing, total = 0, 0, 0
    for path in photos:
        with Image.open(path) as image:
            gray = image.convert("L")
        first = np.asarray(onnx_colorizer.colorize(gray, render_size=256), dtype=np.int16)
        second = np.asarray(torch_colorizer.colorize(gray, render_size=256), dtype=np.int16)
        difference = np.abs(first - second)
        worst = max(worst, int(difference.max()))
        differing += int(np.count_nonzero(difference))
        total += difference.size
    return worst, differing / total


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    artifact = Path(args.artifact or default_artifact_path())
    photos = _photos(args.photos, args.count)
    print(f"{artifact.name} (+ {artifact.with_suffix('.onnx').name}); torch {torch.__version__}")
    met = True
    print(f"\ngenerator forward, 1x1x256x256, {args.repeats} interleaved repeats")
    print(f"{'threads':>8} {'onnx ms':>9} {'torch ms':>9} {'speed-up':>9} {'(of minimums)':>14}")
    for threads in args.threads:
        seconds = latency(artifact, photos[0], threads, args.repeats)
        onnx_ms, torch_ms = (statistics.median(seconds[name]) * 1000 for name in ("onnx", "torch"))
        ratio = torch_ms / onnx_ms
        ratio_min = min(seconds["torch"]) / min(seconds["onnx"])
        met &= ratio >= LATENCY_BAR
        print(f"{threads:>8} {onnx_ms:>9.1f} {torch_ms:>9.1f} {ratio:>8.2f}x {ratio_min:>13.2f}x")
    print(f"bar: ONNX Runtime >= {LATENCY_BAR}x faster at every thread count: {'met' if met else 'NOT met'}")
    if not args.skip_agreement:
        worst, share = agreement(artifact, photos)
        print(f"\nagreement on {len(photos)} photos from {args.photos} at render size 256:")
        print(f"largest difference {worst} level(s) of 255; {100 * share:.3f}% of channel values differ at all")
        print(f"bar: at most 1 level: {'met' if worst <= 1 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
