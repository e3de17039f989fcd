"""What HTTP costs: Colorizer.colorize called directly vs POST /v1/colorize through gunicorn.

Starts the service with the project's gunicorn config on a free local port,
then, for one 512x512 grayscale JPEG:

1. latency: alternates a direct call and an HTTP request (so both see the same
   machine load), N times each, and prints p50/p95 for
     - direct colorize        Colorizer.colorize on the already decoded image
     - direct + decode/encode decode the JPEG, colorize, encode the PNG answer
                              (the service's work without HTTP)
     - HTTP POST /v1/colorize the whole request through gunicorn
   and the HTTP overhead at p50 relative to each direct row;
2. throughput: the same request sent by 1 and then 4 concurrent clients
   (keep-alive sessions), in requests per second.

The direct calls use as many torch threads as one gunicorn worker gets, so the
network does the same work on both sides. Timings on a shared machine are
noisy: compare the rows of one run, not runs with each other.

Examples:
    .venv/bin/python benchmarks/bench_service.py                    # the shipped default model
    .venv/bin/python benchmarks/bench_service.py --random-weights   # same architecture, random weights
    .venv/bin/python benchmarks/bench_service.py --artifact path/to/model.safetensors --requests 50
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import torch
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
ROWS = ("direct colorize", "direct + decode/encode", "HTTP POST /v1/colorize")
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import benchmark_parser, percentile, photo_like_jpeg, resolve_artifact
from inference_service.config import Settings
from inference_service.imaging import (
    DEFAULT_QUALITY,
    OUTPUT_FORMATS,
    decode_pixels,
    encode_image,
    open_image,
)
from model.colorizer import Colorizer
from tests.processes import Gunicorn


def get_args_parser() -> argparse.ArgumentParser:
    parser = benchmark_parser(__doc__, allow_tiny=True)
    parser.add_argument("--requests", type=int, default=40, help="latency samples per row, at least 30 (default: 40)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests before measuring (default: 5)")
    parser.add_argument("--size", type=int, default=512, help="side of the square test JPEG (default: 512)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: 2)")
    parser.add_argument(
        "--device", default="auto", help="device for the service and the direct calls: auto, cpu, cuda (default: auto)"
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=0,
        help="torch threads per worker and for the direct calls (default: 0 = cores // workers, at least 1)",
    )
    parser.add_argument(
        "--throughput-requests",
        type=int,
        default=32,
        help="requests sent in each throughput run, shared by the clients (default: 32)",
    )
    parser.add_argument(
        "--clients", type=int, default=4, help="concurrent clients in the second throughput run (default: 4)"
    )
    parser.add_argument(
        "--output-format", default="png", choices=["png", "jpeg", "webp"], help="answer format (default: png)"
    )
    return parser


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class Server(Gunicorn):
    """gunicorn started with inference_service/gunicorn.conf.py (tests.processes); stopped on exit."""

    def __init__(self, artifact: Path, device: str, workers: int, torch_threads: int, log_path: Path) -> None:
        settings = {
            "COLORIZER_ARTIFACT": str(artifact),
            "COLORIZER_DEVICE": device,
            "COLORIZER_MODEL_THREADS": str(torch_threads),
        }
        super().__init__(log_path, settings, workers=workers)

    def requests_per_worker(self, request_id_prefix: str) -> list[int]:
        """How many of the logged requests with this id prefix each worker served (busiest first)."""
        counts: dict[int, int] = {}
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if str(entry.get("request_id", "")).startswith(request_id_prefix):
                    counts[entry["pid"]] = counts.get(entry["pid"], 0) + 1
        return sorted(counts.values(), reverse=True)


def measure_latency(args, colorizer: Colorizer, server: Server, jpeg: bytes) -> dict[str, list[float]]:
    decoded = Image.open(io.BytesIO(jpeg))
    decoded.load()
    url = f"{server.url}/v1/colorize?format={args.output_format}"
    headers = {"Content-Type": "image/jpeg"}
    samples: dict[str, list[float]] = {name: [] for name in ROWS}

    output = OUTPUT_FORMATS[args.output_format]
    png_compress_level = Settings().png_compress_level

    def direct_full() -> None:
        # The service's own steps, without HTTP: header check, decode, colorize, encode.
        image = decode_pixels(open_image(jpeg, Settings().max_pixels))
        encode_image(colorizer.colorize(image), output, DEFAULT_QUALITY, png_compress_level)

    with requests.Session() as session:
        for index in range(args.warmup + args.requests):
            began = time.perf_counter()
            colorizer.colorize(decoded)
            direct_s = time.perf_counter() - began

            began = time.perf_counter()
            direct_full()
            full_s = time.perf_counter() - began

            began = time.perf_counter()
            response = session.post(url, data=jpeg, headers=headers, timeout=120)
            http_s = time.perf_counter() - began
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
            if index >= args.warmup:
                samples["direct colorize"].append(direct_s * 1000)
                samples["direct + decode/encode"].append(full_s * 1000)
                samples["HTTP POST /v1/colorize"].append(http_s * 1000)
    return samples


def measure_throughput(server: Server, jpeg: bytes, clients: int, total: int, output_format: str) -> tuple[float, int]:
    """Requests per second with `clients` concurrent keep-alive clients, and how many were refused."""
    url = f"{server.url}/v1/colorize?format={output_format}"
    counter = iter(range(total))
    lock = threading.Lock()
    refused = 0

    def client() -> None:
        nonlocal refused
        with requests.Session() as session:
            while True:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                headers = {"Content-Type": "image/jpeg", "X-Request-Id": f"throughput-{clients}-{number}"}
                response = session.post(url, data=jpeg, headers=headers, timeout=300)
                if response.status_code != 200:
                    with lock:
                        refused += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return total / (time.perf_counter() - began), refused


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    if args.requests < 30:
        raise SystemExit("--requests must be at least 30 for a meaningful p95")
    torch_threads = args.torch_threads or max(1, _cores() // args.workers)
    torch.set_num_threads(torch_threads)

    with tempfile.TemporaryDirectory(prefix="bench-service-") as scratch:
        scratch_dir = Path(scratch)
        artifact = resolve_artifact(args, scratch_dir)

        colorizer = Colorizer.load(artifact, device=args.device, threads=torch_threads)
        jpeg = photo_like_jpeg(args.size)
        server = Server(Path(artifact), args.device, args.workers, torch_threads, scratch_dir / "gunicorn.log")
        try:
            server.wait_ready()
            samples = measure_latency(args, colorizer, server, jpeg)
            throughput = {
                clients: measure_throughput(server, jpeg, clients, args.throughput_requests, args.output_format)
                for clients in (1, args.clients)
            }
            time.sleep(0.5)  # let the workers' last log lines reach the file
            served = {clients: server.requests_per_worker(f"throughput-{clients}-") for clients in throughput}
        finally:
            server.stop()

    print(
        f"model {colorizer.name} {colorizer.version} (render size {colorizer.render_size}), "
        f"{args.size}x{args.size} JPEG ({len(jpeg)} bytes) -> {args.output_format}; device {colorizer.device}, "
        f"{_cores()} CPU cores; "
        f"gunicorn {args.workers} workers x {torch_threads} torch thread(s); direct calls {torch_threads} thread(s)"
    )
    print()
    print(f"latency over {args.requests} requests (after {args.warmup} warm-up), interleaved")
    print(f"{'path':<26} {'p50 ms':>9} {'p95 ms':>9} {'mean ms':>9}")
    for name, values in samples.items():
        p50, p95, mean = percentile(values, 50), percentile(values, 95), statistics.fmean(values)
        print(f"{name:<26} {p50:>9.1f} {p95:>9.1f} {mean:>9.1f}")
    http_p50 = percentile(samples["HTTP POST /v1/colorize"], 50)
    for baseline in ("direct colorize", "direct + decode/encode"):
        base_p50 = percentile(samples[baseline], 50)
        print(f"HTTP overhead at p50 vs {baseline:<23}: {100 * (http_p50 - base_p50) / base_p50:+6.1f}%")
    print()
    print(f"throughput, {args.throughput_requests} requests per run")
    print(f"{'clients':<8} {'req/s':>8} {'refused':>8}  requests per worker")
    for clients, (rate, refused) in throughput.items():
        shares = "/".join(str(count) for count in served[clients])
        print(f"{clients:<8} {rate:>8.2f} {refused:>8}  {shares}")
    one, many = throughput[1][0], throughput[args.clients][0]
    print(f"{args.clients} clients vs 1: x{many / one:.2f}")
    print(json.dumps({"p50_ms": {k: round(percentile(v, 50), 1) for k, v in samples.items()}}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
