"""Micro-batching on or off: throughput and latency of concurrent `Colorizer.colorize` calls.

For render sizes 256 and 512, `--clients` threads each colorize `--images` grey
photo-like images (square, the render size) through one Colorizer on the torch
backend, as concurrent service requests do; once with batching off (wait 0) and
once on (`--wait-ms`, `--max-batch`). Prints images/s, p50 and p95 latency per
call, and the average batch the batcher formed.

It is meant for a CUDA GPU (`--device cuda`, the default when one is present),
where a batch of 8 costs little more than one image. On a CPU it runs too, but a
forward already uses every core there, so batching only adds waiting: that is why
the service turns it off on the CPU.

    .venv/bin/python benchmarks/bench_batching.py [--device cuda] [--clients 8] [--images 16]
"""

from __future__ import annotations

import argparse
import io
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from PIL import Image

from benchmarks.harness import add_artifact_arguments, percentile, photo_like_jpeg, resolve_artifact
from model.colorizer import Colorizer


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_artifact_arguments(parser)
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda (default: auto)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="render sizes (default: 256 512)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent callers (default: 8)")
    parser.add_argument("--images", type=int, default=16, help="images per caller (default: 16)")
    parser.add_argument("--wait-ms", type=float, default=5.0, help="batching wait when on (default: 5)")
    parser.add_argument("--max-batch", type=int, default=8, help="largest batch when on (default: 8)")
    return parser


def run(colorizer: Colorizer, image: Image.Image, clients: int, images: int) -> tuple[float, list[float]]:
    """(images per second, per-call latencies in ms) with `clients` threads."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client() -> None:
        start.wait()
        for _ in range(images):
            began = time.perf_counter()
            colorizer.colorize(image)
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return clients * images / (time.perf_counter() - began), latencies


def main(argv: list[str] | None = None) -> int:
    import tempfile

    args = get_args_parser().parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        artifact = resolve_artifact(args, Path(scratch))
        print(
            f"{artifact.name}; {args.clients} clients x {args.images} images; batching on: wait {args.wait_ms} ms, "
            f"max batch {args.max_batch}"
        )
        print(f"{'size':>5} {'batching':>9} {'device':>8} {'img/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'avg batch':>10}")
        for size in args.sizes:
            image = Image.open(io.BytesIO(photo_like_jpeg(size)))
            image.load()
            for wait_ms in (0.0, args.wait_ms):
                colorizer = Colorizer.load(
                    artifact, device=args.device, backend="torch", batch_wait_s=wait_ms / 1000, max_batch=args.max_batch
                )
                run(colorizer, image, min(args.clients, 2), 2)  # warm-up (CUDA kernels, allocator)
                before = colorizer.batching
                rate, latencies = run(colorizer, image, args.clients, args.images)
                after = colorizer.batching
                forwards = after["forwards"] - before["forwards"]
                average = (after["images"] - before["images"]) / forwards if forwards else 1.0
                print(
                    f"{size:>5} {'on' if wait_ms else 'off':>9} {colorizer.device:>8} {rate:>8.2f} "
                    f"{percentile(latencies, 50):>8.1f} {percentile(latencies, 95):>8.1f} {average:>10.2f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
