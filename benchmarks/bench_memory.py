"""Worker memory after a load: does each worker return to where it was after its first request?

Starts the service with the project's gunicorn config (2 workers) on a free
local port, then:

1. sends 1024x1024 JPEGs one at a time until every worker has served one, and
   records each worker's RSS right after its first request;
2. 400 requests at concurrency 8 (503 busy answers are retried after a pause);
3. one maximum-size image: 7000x7000 = 49 megapixels, under the 50 MP default;

and prints each worker's RSS after each phase, relative to the first. The bar
(issue 14): within 10% of the first after phase 3. `--repo` runs another
checkout's service (e.g. an export of main) for a before/after comparison.

    .venv/bin/python benchmarks/bench_memory.py                  # the shipped model
    .venv/bin/python benchmarks/bench_memory.py --random-weights
    .venv/bin/python benchmarks/bench_memory.py --repo /tmp/main-export
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import add_artifact_arguments, photo_like_jpeg, resolve_artifact
from tests.processes import Gunicorn

WORKERS = 2
MAX_IMAGE_SIDE = 7000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def served_pids(log_path: Path) -> list[int]:
    pids = []
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("message") == "request" and entry.get("path") == "/v1/colorize" and entry.get("status") == 200:
                pids.append(entry["pid"])
    return pids


def post(url: str, jpeg: bytes, timeout: float = 600) -> int:
    """POST until the answer is not 503 busy; the final status."""
    for _ in range(200):
        status = requests.post(
            f"{url}/v1/colorize", data=jpeg, headers={"Content-Type": "image/jpeg"}, timeout=timeout
        ).status_code
        if status != 503:
            return status
        time.sleep(0.2)
    return 503


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_artifact_arguments(parser, allow_tiny=True)
    parser.add_argument(
        "--repo", type=Path, default=REPO_ROOT, help="checkout whose service to run (default: this one)"
    )
    parser.add_argument("--requests", type=int, default=400, help="requests of phase 2 (default: 400)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients of phase 2 (default: 8)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the bar is not met (default: off)")
    args = parser.parse_args()
    normal = photo_like_jpeg(1024)
    huge = photo_like_jpeg(MAX_IMAGE_SIDE, seed=1)
    print(
        f"phase 2 image: 1024x1024 ({len(normal)} bytes); phase 3: {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} ({len(huge)} bytes)"
    )
    with tempfile.TemporaryDirectory() as scratch:
        artifact = resolve_artifact(args, Path(scratch)).resolve()
        log_path = Path(scratch) / "service.log"
        settings = {"COLORIZER_ARTIFACT": str(artifact), "PYTHONPATH": str(args.repo)}
        service = Gunicorn(log_path, settings, WORKERS, cwd=args.repo)
        url = service.url
        try:
            service.wait_ready(240)
            first: dict[int, float] = {}
            for _ in range(40):
                assert post(url, normal) == 200
                time.sleep(0.2)  # the log line is written after the answer
                for pid in served_pids(log_path):
                    first.setdefault(pid, rss_mb(pid))
                if len(first) == WORKERS:
                    break
            with ThreadPoolExecutor(args.concurrency) as pool:
                statuses = list(pool.map(lambda _: post(url, normal), range(args.requests)))
            after_load = {pid: rss_mb(pid) for pid in first}
            huge_status = post(url, huge)
            time.sleep(1)
            after_huge = {pid: rss_mb(pid) for pid in first}
        finally:
            service.stop(60)
    counts = {status: statuses.count(status) for status in sorted(set(statuses))}
    print(f"phase 2 statuses: {counts}; phase 3 status: {huge_status}")
    print(f"{'worker':>8} {'1st req MB':>11} {'after 400':>16} {'after 49 MP':>16}")
    ok = True
    for pid, base in first.items():
        ratio_load, ratio_huge = after_load[pid] / base, after_huge[pid] / base
        ok = ok and ratio_huge <= 1.10 and ratio_load <= 1.10
        print(
            f"{pid:>8} {base:>11.0f} {after_load[pid]:>8.0f} ({ratio_load:4.2f}x) {after_huge[pid]:>8.0f} ({ratio_huge:4.2f}x)"
        )
    print(f"bar (every worker within 10% of its first-request RSS): {'met' if ok else 'NOT met'}")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
