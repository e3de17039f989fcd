"""Soak: minutes of mixed load through the gateway, and whether anything drifts.

Starts the inference service (gunicorn, 2 workers, the shipped model unless told
otherwise) and the gateway on free loopback ports, then runs --concurrency clients
(8) for --minutes (10), each picking at random, with fixed weights:

  small plain     256 px photo, POST /api/colorize, then GET its download
  medium hinted   512 px photo with 3 colour hints, POST /api/colorize, then GET it
  large plain     1024 px photo, POST /api/v1/colorize (the image itself back)
  bad upload      a file that is no image (expects 400) or a text body (expects 415)

Every 5 s it reads the RSS of each gunicorn worker and of the gateway. At the end
it prints the statuses per kind, the RSS of each process at the end of minute 2 and
at the end, and the p95 latency of the successful requests in minute 2 and in the
last minute, per kind and for all. The bars (issue 21):

  statuses   only 2xx, 4xx for the bad uploads, and 503 busy
  memory     every worker's and the gateway's RSS grows < 10% from minute 2 to the end
  latency    p95 of the last minute <= 1.2x minute 2's (all successful requests)

Exits 0; with --strict, 1 when a bar is not met. A shorter --minutes run (2 at
least... 3 makes sense) compares minute 2 with its last minute. On a shared machine
run it niced and read the ratios, not the milliseconds.

Examples:
    nice -n 5 .venv/bin/python benchmarks/bench_soak.py                  # 10 minutes, shipped model
    nice -n 5 .venv/bin/python benchmarks/bench_soak.py --minutes 3 --strict
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import benchmark_parser, percentile, photo_like_jpeg, resolve_artifact
from benchmarks.stack import children, rss_mb, start_gateway, start_service

KINDS = {"small plain": 5, "medium hinted": 3, "large plain": 1, "bad upload": 1}
HINTS = json.dumps(
    [
        {"x": 0.2, "y": 0.3, "color": "#c0392b"},
        {"x": 0.7, "y": 0.6, "color": "#2e86c1"},
        {"x": 0.5, "y": 0.9, "color": "#27ae60"},
    ]
)


def get_args_parser() -> argparse.ArgumentParser:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--minutes", type=float, default=10, help="how long the load runs (default: 10)")
    parser.add_argument("--concurrency", type=int, default=8, help="clients at once (default: 8)")
    parser.add_argument("--max-rss-growth", type=float, default=0.10, help="bar: RSS growth (default: 0.10)")
    parser.add_argument("--max-p95-ratio", type=float, default=1.2, help="bar: last/minute-2 p95 (default: 1.2)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a bar is not met")
    return parser


class Load:
    """The clients: each request's (start time, kind, status, seconds, ok) in `records`."""

    def __init__(self, gateway_url: str) -> None:
        self.url = gateway_url
        self.images = {size: photo_like_jpeg(size, seed=size) for size in (256, 512, 1024)}
        self.records: list[tuple[float, str, int, float, bool]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.unexpected: list[str] = []

    def one(self, session: requests.Session, rng: random.Random) -> None:
        kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        began = time.monotonic()
        status, ok = self.request(session, kind, rng)
        with self.lock:
            self.records.append((began, kind, status, time.monotonic() - began, ok))

    def request(self, session: requests.Session, kind: str, rng: random.Random) -> tuple[int, bool]:
        if kind == "bad upload":
            if rng.random() < 0.5:
                files = {"image": ("broken.jpg", b"\xff\xd8 not really a jpeg" * 50, "image/jpeg")}
                response = session.post(f"{self.url}/api/colorize", files=files, timeout=120)
                return self.check(kind, response, {400})
            response = session.post(
                f"{self.url}/api/colorize", data=b"hello", headers={"Content-Type": "text/plain"}, timeout=120
            )
            return self.check(kind, response, {415})
        if kind == "large plain":
            files = {"image": ("large.jpg", self.images[1024], "image/jpeg")}
            response = session.post(f"{self.url}/api/v1/colorize", files=files, timeout=300)
            return self.check(kind, response, {200})
        size, data = (256, {}) if kind == "small plain" else (512, {"hints": HINTS})
        files = {"image": (f"photo-{size}.jpg", self.images[size], "image/jpeg")}
        response = session.post(f"{self.url}/api/colorize", files=files, data=data, timeout=300)
        status, ok = self.check(kind, response, {201})
        if ok:
            download = session.get(f"{self.url}{response.json()['download_url']}", timeout=60)
            status, ok = self.check(kind, download, {200})
        return status, ok

    def check(self, kind: str, response: requests.Response, expected: set[int]) -> tuple[int, bool]:
        status = response.status_code
        if status in expected:
            return status, True
        code = ""
        with contextlib.suppress(ValueError, KeyError, TypeError):
            code = response.json()["error"]["code"]
        if not (status == 503 and code == "busy"):
            with self.lock:
                self.unexpected.append(f"{kind}: {status} {code}")
        return status, False

    def client(self, seed: int) -> None:
        rng = random.Random(seed)
        with requests.Session() as session:
            while not self.stop.is_set():
                try:
                    self.one(session, rng)
                except requests.RequestException as error:
                    with self.lock:
                        self.unexpected.append(f"connection: {type(error).__name__}")


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as scratch:
        scratch_dir = Path(scratch)
        artifact = resolve_artifact(args, scratch_dir)
        service = start_service(scratch_dir, artifact, workers=2)
        gateway = start_gateway(scratch_dir, service.url)
        try:
            figures = soak(args, service.popen.pid, gateway.popen.pid, gateway.url)
        finally:
            gateway.stop()
            service.stop()
    return report(args, artifact, *figures)


def soak(args, service_pid: int, gateway_pid: int, gateway_url: str):
    load = Load(gateway_url)
    started = time.monotonic()
    threads = [threading.Thread(target=load.client, args=(seed,), daemon=True) for seed in range(args.concurrency)]
    for thread in threads:
        thread.start()
    workers = children(service_pid)
    rss: dict[str, list[tuple[float, float]]] = defaultdict(list)
    end = started + args.minutes * 60
    while time.monotonic() < end:
        now = time.monotonic() - started
        for pid in workers:
            try:
                rss[f"worker {pid}"].append((now, rss_mb(pid)))
            except FileNotFoundError:
                load.unexpected.append(f"worker {pid} died")
        rss["gateway"].append((now, rss_mb(gateway_pid)))
        time.sleep(min(5, max(0, end - time.monotonic())))
    load.stop.set()
    for thread in threads:
        thread.join(timeout=300)
    return load, rss, started


def report(args, artifact: Path, load: Load, rss, started: float) -> int:
    minutes = args.minutes
    last_start = (minutes - 1) * 60
    print(
        f"\nsoak: {minutes:g} min, {args.concurrency} clients, {len(load.records)} requests, "
        f"artifact {artifact.name}, weights {KINDS}"
    )
    statuses: dict[str, Counter] = defaultdict(Counter)
    for _, kind, status, _, _ in load.records:
        statuses[kind][status] += 1
    for kind in KINDS:
        print(f"  {kind:<14} " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses[kind].items())))
    failures = []
    if load.unexpected:
        failures.append(f"unexpected answers: {Counter(load.unexpected).most_common(5)}")

    print(f"\nRSS (MB) at the end of minute 2 and at the end (bar: growth < {args.max_rss_growth:.0%})")
    for name, samples in rss.items():
        at_two = [mb for t, mb in samples if t <= 120][-1:] or [samples[0][1]]
        at_end = samples[-1][1]
        growth = at_end / at_two[0] - 1
        print(f"  {name:<14} {at_two[0]:>8.1f} {at_end:>8.1f}  {growth:+.1%}")
        if growth >= args.max_rss_growth:
            failures.append(f"{name} RSS grew {growth:.1%}")

    def window(begin: float, finish: float, kind: str | None = None) -> list[float]:
        return [
            seconds
            for t, k, _, seconds, ok in load.records
            if ok and begin <= t - started < finish and (kind is None or k == kind)
        ]

    print(f"\np95 latency (s), minute 2 vs last minute (bar: ratio <= {args.max_p95_ratio})")
    kinds: list[str | None] = [*KINDS, None]
    for which in kinds:
        early, late = window(60, 120, which), window(last_start, minutes * 60, which)
        if len(early) < 5 or len(late) < 5:
            print(f"  {which or 'all':<14} too few requests ({len(early)}, {len(late)})")
            continue
        ratio = percentile(late, 95) / percentile(early, 95)
        print(
            f"  {which or 'all':<14} {percentile(early, 95):>7.2f} {percentile(late, 95):>7.2f}  x{ratio:.2f}"
            f"  (n={len(early)}, {len(late)})"
        )
        if which is None and ratio > args.max_p95_ratio:
            failures.append(f"p95 ratio {ratio:.2f}")
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1 if args.strict else 0
    print("OK: every bar met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
