"""Slow clients vs the inference service: gthread (the old worker) vs gevent (the default).

For each worker class, starts the service with the project's gunicorn config
on a free local port (2 workers, as documented), then:

1. baseline: for `--baseline-s` seconds, a health probe every 0.5 s and a normal
   colorize (512x512 JPEG) every 2 s, one at a time; their latencies;
2. under attack: the same probes while `--clients` connections (64) each send one
   byte per second (`--mode headers`: a request's headers; `body`: a 1 MB upload)
   for `--attack-s` seconds (30).

Prints, per worker class, p50 and max of each probe in both phases and failed
probes (timeouts at 10 s count as failed). The bar (issue 14): under attack no
probe takes longer than the baseline's max + 1 s, and none fails.

    .venv/bin/python benchmarks/bench_slow_clients.py                 # shipped model, both worker classes
    .venv/bin/python benchmarks/bench_slow_clients.py --tiny --attack-s 10 --worker-class gevent
    .venv/bin/python benchmarks/bench_slow_clients.py --url http://127.0.0.1:3000 --health-path /api/health \\
        --colorize-path /api/colorize                                  # an already running gateway
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import add_artifact_arguments, free_port, percentile, photo_like_jpeg, resolve_artifact
from benchmarks.slow_clients import SlowClients

PROBE_TIMEOUT_S = 10.0


def start_service(artifact: Path, worker_class: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    environ = {
        **os.environ,
        "COLORIZER_ARTIFACT": str(artifact),
        "COLORIZER_BIND": f"127.0.0.1:{port}",
        "COLORIZER_WORKER_CLASS": worker_class,
        "COLORIZER_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "inference_service/gunicorn.conf.py"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    ready = 0
    while ready < 3:  # a few READY answers in a row: both workers are most likely up
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"service did not start:\n{log_path.read_text()[-3000:]}")
        try:
            ready = ready + 1 if requests.get(f"{url}/v1/health", timeout=2).status_code == 200 else 0
        except requests.RequestException:
            ready = 0
        time.sleep(0.3)
    return process, url


class Probes:
    """Health every 0.5 s and colorize every 2 s, each on its own thread, until stopped."""

    def __init__(self, url: str, health_path: str, colorize_path: str, jpeg: bytes) -> None:
        self.samples: dict[str, list[float]] = {"health": [], "colorize": []}
        self.failures: dict[str, int] = {"health": 0, "colorize": 0}
        self._stop = threading.Event()

        def send_health() -> requests.Response:
            return requests.get(url + health_path, timeout=PROBE_TIMEOUT_S)

        def send_colorize() -> requests.Response:
            return requests.post(
                url + colorize_path, files={"image": ("probe.jpg", jpeg, "image/jpeg")}, timeout=PROBE_TIMEOUT_S
            )

        self._threads = [
            threading.Thread(target=self._loop, args=("health", send_health, 0.5), daemon=True),
            threading.Thread(target=self._loop, args=("colorize", send_colorize, 2.0), daemon=True),
        ]

    def _loop(self, name: str, send, period_s: float) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            try:
                ok = send().status_code in (200, 201)
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - began
            if ok:
                self.samples[name].append(elapsed)
            else:
                self.failures[name] += 1
            self._stop.wait(max(0.0, period_s - elapsed))

    def run_for(self, seconds: float) -> Probes:
        for thread in self._threads:
            thread.start()
        time.sleep(seconds)
        self._stop.set()
        for thread in self._threads:
            thread.join(PROBE_TIMEOUT_S + 1)
        return self


def measure(url: str, args: argparse.Namespace, jpeg: bytes) -> tuple[Probes, Probes, int]:
    baseline = Probes(url, args.health_path, args.colorize_path, jpeg).run_for(args.baseline_s)
    target = urlsplit(url)
    assert target.hostname is not None and target.port is not None
    attack_path = args.colorize_path if args.mode == "body" else args.health_path
    with SlowClients(
        target.hostname, target.port, args.clients, args.mode, attack_path, duration_s=args.attack_s + 5
    ) as slow:
        time.sleep(1.0)  # let every slow connection be accepted first
        attacked = Probes(url, args.health_path, args.colorize_path, jpeg).run_for(args.attack_s)
        dropped = slow.closed_by_server
    return baseline, attacked, dropped


def report(name: str, baseline: Probes, attacked: Probes, dropped: int) -> bool:
    ok = True
    print(f"\n== {name}")
    print(f"{'probe':<10} {'phase':<12} {'n':>4} {'failed':>6} {'p50 s':>8} {'max s':>8}")
    for probe in ("health", "colorize"):
        for phase, probes in (("baseline", baseline), ("64 slow", attacked)):
            samples = probes.samples[probe] or [float("nan")]
            print(
                f"{probe:<10} {phase:<12} {len(probes.samples[probe]):>4} {probes.failures[probe]:>6} "
                f"{percentile(samples, 50):>8.3f} {max(samples):>8.3f}"
            )
        bound = max(baseline.samples[probe] or [0.0]) + 1.0
        worst = max(attacked.samples[probe] or [float("inf")])
        if attacked.failures[probe] or worst > bound:
            ok = False
    print(f"slow connections closed by the server meanwhile: {dropped}")
    print(f"bar (no failure, max <= baseline max + 1 s): {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_artifact_arguments(parser, allow_tiny=True)
    parser.add_argument(
        "--worker-class",
        choices=["gthread", "gevent", "both"],
        default="both",
        help="which gunicorn worker class to start (default: both, gthread first)",
    )
    parser.add_argument("--url", default=None, help="probe this running server instead of starting the service")
    parser.add_argument("--health-path", default="/v1/health", help="health route (default: /v1/health)")
    parser.add_argument("--colorize-path", default="/v1/colorize", help="colorize route (default: /v1/colorize)")
    parser.add_argument("--clients", type=int, default=64, help="slow connections (default: 64)")
    parser.add_argument(
        "--mode",
        choices=["headers", "body"],
        default="headers",
        help="what the slow clients trickle (default: headers)",
    )
    parser.add_argument("--baseline-s", type=float, default=6.0, help="seconds of baseline probes (default: 6)")
    parser.add_argument("--attack-s", type=float, default=30.0, help="seconds under attack (default: 30)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the bar is not met (default: off)")
    args = parser.parse_args()
    jpeg = photo_like_jpeg(512)
    results = []
    if args.url:
        results.append(report(args.url, *measure(args.url, args, jpeg)))
    else:
        kinds = ["gthread", "gevent"] if args.worker_class == "both" else [args.worker_class]
        with tempfile.TemporaryDirectory() as scratch:
            artifact = resolve_artifact(args, Path(scratch))
            for kind in kinds:
                process, url = start_service(artifact, kind, Path(scratch) / f"{kind}.log")
                try:
                    results.append(report(f"worker class {kind}", *measure(url, args, jpeg)))
                finally:
                    process.send_signal(signal.SIGTERM)
                    process.wait(30)
    return 1 if args.strict and not all(results) else 0


if __name__ == "__main__":
    sys.exit(main())
