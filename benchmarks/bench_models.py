"""Two models' generators on ONNX Runtime, side by side in one run: a new model against a reference.

The bar for a new shipped model: its CPU generator time at render 256 no slower than
the model it replaces, on the ONNX backend (how `colorizer serve` runs on a CPU), and
its artifact no larger. Both ONNX files run on the product's own `OnnxBackend` (its
session settings) in one process on one intra-op thread (a service worker per core), on the same inputs, in alternating order; the medians and the
minimums are compared (this machine is shared and noisy: read the ratios).

    .venv/bin/python benchmarks/bench_models.py --candidate model/weights/colorizer-default.onnx \\
        --reference .bench/colorizer-1.1.0.onnx

A reference to compare with is any earlier ONNX file, e.g. the 1.1.0 one from git:
`git show caa407f:model/weights/colorizer-default.onnx > .bench/colorizer-1.1.0.onnx`.
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

from model.onnx_backend import OnnxBackend


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidate", required=True, type=Path, help="the new model's .onnx file")
    parser.add_argument("--reference", required=True, type=Path, help="the model it is compared with (.onnx)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="render sizes (default: 256 512)")
    parser.add_argument("--repeats", type=int, default=15, help="timed forwards per model and size (default: 15)")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads (default: 1)")
    return parser


def _input(backend: OnnxBackend, size: int) -> np.ndarray:
    channels = backend.metadata.generator.in_channels
    return np.random.default_rng(0).uniform(-1, 1, (1, channels, size, size)).astype(np.float32)


def main() -> None:
    args = get_args_parser().parse_args()
    sessions = {
        "candidate": OnnxBackend(args.candidate, args.threads),
        "reference": OnnxBackend(args.reference, args.threads),
    }
    for label, path in (("candidate", args.candidate), ("reference", args.reference)):
        artifact = path.with_suffix(".safetensors")
        sizes = f"ONNX {path.stat().st_size / 1e6:.1f} MB"
        if artifact.is_file():
            sizes += f", artifact {artifact.stat().st_size / 1e6:.1f} MB"
        print(f"{label}: {path} ({sizes})")
    print(f"{'render':>7} {'candidate ms':>13} {'reference ms':>13} {'median ratio':>13} {'min ratio':>10}")
    for size in args.sizes:
        inputs = {name: _input(session, size) for name, session in sessions.items()}
        times: dict[str, list[float]] = {name: [] for name in sessions}
        for name, session in sessions.items():
            session.run(inputs[name])  # warm-up
        for repeat in range(args.repeats):
            order = list(sessions) if repeat % 2 == 0 else list(reversed(sessions))
            for name in order:
                started = time.perf_counter()
                sessions[name].run(inputs[name])
                times[name].append(time.perf_counter() - started)
        candidate, reference = statistics.median(times["candidate"]), statistics.median(times["reference"])
        ratio_min = min(times["candidate"]) / min(times["reference"])
        print(
            f"{size:>7} {candidate * 1e3:>13.1f} {reference * 1e3:>13.1f} {candidate / reference:>13.2f} {ratio_min:>10.2f}"
        )
    print("ratio < 1: the candidate is faster")


if __name__ == "__main__":
    main()
