"""Restart time: from starting the service (after it was killed) to its first successful colorize.

Starts the service with the documented command (2 workers, `--repo`'s code) on
a free local port, polls POST /v1/colorize with a small JPEG every 50 ms until
one answers 200, kills the whole service (SIGKILL to master and workers), and
does it again, `--runs` times. Also times `import torch` and `import torchvision`
in a fresh interpreter in the same run, since those imports are most of a
worker's start on a CPU machine. The bar (issue 14): under 5 s.

    .venv/bin/python benchmarks/bench_restart.py                 # the shipped model
    .venv/bin/python benchmarks/bench_restart.py --repo /tmp/main-export --runs 3
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import add_artifact_arguments, photo_like_jpeg, resolve_artifact
from tests.processes import Gunicorn


def import_seconds(statement: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - began


def time_to_first_success(repo: Path, artifact: Path, jpeg: bytes, log_path: Path) -> float:
    # Its own session: killed below as the issue kills it, master and workers at once.
    service = Gunicorn(
        log_path, {"COLORIZER_ARTIFACT": str(artifact), "PYTHONPATH": str(repo)}, 2, cwd=repo, start_new_session=True
    )
    process, began = service.process, service.started_at
    try:
        while time.perf_counter() - began < 300:
            try:
                response = requests.post(
                    f"{service.url}/v1/colorize",
                    data=jpeg,
                    headers={"Content-Type": "image/jpeg"},
                    timeout=30,
                )
                if response.status_code == 200:
                    return time.perf_counter() - began
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"no success in 300 s:\n{log_path.read_text()[-2000:]}")
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # killed, as in the issue: master and workers at once
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_artifact_arguments(parser, allow_tiny=True)
    parser.add_argument(
        "--repo", type=Path, default=REPO_ROOT, help="checkout whose service to run (default: this one)"
    )
    parser.add_argument("--runs", type=int, default=3, help="restarts to time (default: 3)")
    args = parser.parse_args()
    jpeg = photo_like_jpeg(256)
    with tempfile.TemporaryDirectory() as scratch:
        artifact = resolve_artifact(args, Path(scratch)).resolve()
        times = [time_to_first_success(args.repo, artifact, jpeg, Path(scratch) / "log") for _ in range(args.runs)]
    torch_s = import_seconds("import torch")
    torchvision_s = import_seconds("import torch, torchvision")
    print(f"restart to first 200: {', '.join(f'{t:.1f}' for t in times)} s (median {statistics.median(times):.1f} s)")
    print(f"fresh interpreter: import torch {torch_s:.1f} s; import torch + torchvision {torchvision_s:.1f} s")
    print(f"bar (under 5 s): {'met' if statistics.median(times) < 5 else 'NOT met'}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
