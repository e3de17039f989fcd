"""What colour hints cost: POST /v1/colorize with 10 hints vs the same request without.

Starts the service with the project's gunicorn config on a free local port, then
sends one 512x512 grayscale JPEG N times as each of

  plain     no hints (automatic colorization)
  hinted    10 hints at seeded random spots, each a random colour (form field `hints`)

taking turns (plain, hinted, plain, ...) so that both see the same machine load,
and prints p50/p95/mean of the whole request and of the service's own
X-Inference-Ms (the colorization: network forward plus, with hints, the painting
of the hint planes and the edge-aware propagation), and the hinted/plain ratio of
the p50s. With a hint-capable model the two should match within noise apart from
the propagation's solve. The check: the ratio of the request p50s under
--max-ratio (default 1.25); --strict makes the exit status 1 when it is not met.
Timings on a shared machine are noisy: compare the rows of one run, not runs
with each other.

The model must take hints: the shipped one from version 1.1.0 on, an artifact
passed with --artifact (or $COLORIZER_ARTIFACT), or --random-weights (the shipped
architecture with 4 input channels and random weights: the same cost).

Examples:
    .venv/bin/python benchmarks/bench_hints.py                    # the shipped default model
    .venv/bin/python benchmarks/bench_hints.py --random-weights   # same architecture, random weights
    .venv/bin/python benchmarks/bench_hints.py --artifact path/to/model.safetensors --requests 60
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.bench_service import Server
from benchmarks.harness import (
    benchmark_parser,
    percentile,
    photo_like_jpeg,
    resolve_artifact,
    write_random_artifact,
)
from model.artifact import read_metadata
from model.generator import GeneratorConfig
from model.hints import HINT_INPUT_CHANNELS

ROWS = ("plain", "hinted")


def get_args_parser() -> argparse.ArgumentParser:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per row, at least 20 (default: 40)")
    parser.add_argument("--warmup", type=int, default=4, help="untimed requests per row first (default: 4)")
    parser.add_argument("--size", type=int, default=512, help="side of the square test JPEG (default: 512)")
    parser.add_argument("--hints", type=int, default=10, help="hints in each hinted request (default: 10)")
    parser.add_argument("--device", default="auto", help="device for the service: auto, cpu, cuda (default: auto)")
    parser.add_argument(
        "--torch-threads", type=int, default=0, help="torch threads of the service's worker (default: 0 = all cores)"
    )
    parser.add_argument(
        "--max-ratio", type=float, default=1.25, help="bar: hinted/plain ratio of the request p50s (default: 1.25)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when the bar is not met (default: off)")
    return parser


def random_hints(count: int, seed: int = 0) -> str:
    """`count` hints at seeded random spots, each a random saturated-ish colour, as the API's JSON."""
    rng = np.random.default_rng(seed)
    hints = [
        {
            "x": round(float(rng.uniform(0.05, 0.95)), 4),
            "y": round(float(rng.uniform(0.05, 0.95)), 4),
            "color": "#{:02x}{:02x}{:02x}".format(*rng.integers(30, 226, size=3)),
        }
        for _ in range(count)
    ]
    return json.dumps(hints)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def measure(url: str, jpeg: bytes, hints: str, requests_per_row: int, warmup: int) -> dict[str, dict[str, list[float]]]:
    """Request and inference milliseconds per row, the rows taking turns."""
    samples: dict[str, dict[str, list[float]]] = {row: {"request_ms": [], "inference_ms": []} for row in ROWS}
    fields = {"plain": {}, "hinted": {"hints": hints}}
    bodies: dict[str, bytes] = {}
    with requests.Session() as session:
        for index in range(warmup + requests_per_row):
            for row in ROWS:
                files = {"image": ("bench.jpg", jpeg, "image/jpeg")}
                response = session.post(f"{url}/v1/colorize", files=files, data=fields[row], timeout=300)
                if response.status_code != 200:
                    raise RuntimeError(f"{row}: HTTP {response.status_code}: {response.text[:300]}")
                bodies[row] = response.content
                if index >= warmup:
                    samples[row]["request_ms"].append(response.elapsed.total_seconds() * 1000)
                    samples[row]["inference_ms"].append(float(response.headers["X-Inference-Ms"]))
    if bodies["plain"] == bodies["hinted"]:
        raise RuntimeError("the hinted answer is the plain one: the hints were not used")
    return samples


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    if args.requests < 20:
        raise SystemExit("--requests must be at least 20 for a meaningful p95")
    torch_threads = args.torch_threads or _cores()

    with tempfile.TemporaryDirectory(prefix="bench-hints-") as scratch:
        scratch_dir = Path(scratch)
        if args.random_weights:
            artifact = write_random_artifact(
                scratch_dir / "random-hints.safetensors", GeneratorConfig(in_channels=HINT_INPUT_CHANNELS)
            )
        else:
            artifact = resolve_artifact(args, scratch_dir)
        metadata = read_metadata(artifact)
        if metadata.generator.in_channels != HINT_INPUT_CHANNELS:
            raise SystemExit(
                f"{artifact}: {metadata.name} {metadata.version} does not take colour hints. Pass --artifact with a "
                "hint-capable model, or --random-weights to time the same architecture with random weights."
            )
        jpeg = photo_like_jpeg(args.size)
        hints = random_hints(args.hints)
        server = Server(Path(artifact), args.device, 1, torch_threads, scratch_dir / "gunicorn.log")
        try:
            server.wait_ready()
            samples = measure(server.url, jpeg, hints, args.requests, args.warmup)
        finally:
            server.stop()

    print(
        f"model {metadata.name} {metadata.version} (render size {metadata.render_size}), {args.size}x{args.size} JPEG "
        f"({len(jpeg)} bytes) -> PNG; gunicorn 1 worker x {torch_threads} torch thread(s), {_cores()} CPU cores; "
        f"{args.hints} hints"
    )
    print()
    print(f"latency over {args.requests} requests per row (after {args.warmup} warm-up), taking turns")
    print(f"{'row':<8} {'request p50':>12} {'p95':>9} {'mean':>9}   {'inference p50':>14} {'p95':>9}")
    for row in ROWS:
        request_ms, inference_ms = samples[row]["request_ms"], samples[row]["inference_ms"]
        print(
            f"{row:<8} {percentile(request_ms, 50):>12.1f} {percentile(request_ms, 95):>9.1f} "
            f"{statistics.fmean(request_ms):>9.1f}   {percentile(inference_ms, 50):>14.1f} "
            f"{percentile(inference_ms, 95):>9.1f}"
        )
    ratio = percentile(samples["hinted"]["request_ms"], 50) / percentile(samples["plain"]["request_ms"], 50)
    inference_ratio = percentile(samples["hinted"]["inference_ms"], 50) / percentile(
        samples["plain"]["inference_ms"], 50
    )
    met = ratio <= args.max_ratio
    print(f"hinted / plain at p50: request x{ratio:.3f}, inference x{inference_ratio:.3f}")
    print(f"bar: request ratio <= {args.max_ratio:g}: {'met' if met else 'NOT met'}")
    print(json.dumps({"ratio_p50": round(ratio, 3), "inference_ratio_p50": round(inference_ratio, 3)}), file=sys.stderr)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    raise SystemExit(main())
