"""How long `bash scripts/run.sh` takes to be ready, the second time, with the network off.

Starts run.sh once as it is (the first start on a machine installs: minutes), stops it,
then starts it again with the network cut for everything it runs (proxies pointed at a
closed port, pip without an index, npm offline) and times it to "ready": the gateway's
GET /api/health answers 200 and the service has its model. The check: under --max-s
(default 30); --strict makes the exit status 1 when it is not met. Ports are free local
ones, so a product already running on the default ports is left alone.

Example:
    .venv/bin/python benchmarks/bench_run_start.py
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import free_port

# Everything run.sh starts inherits these: no route out but loopback.
NETWORK_OFF = {
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "no_proxy": "127.0.0.1,localhost",
    "NO_PROXY": "127.0.0.1,localhost",
    "PIP_NO_INDEX": "1",
    "npm_config_offline": "true",
}


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-s", type=float, default=30.0, help="the bar for the second start (default: %(default)s)")
    parser.add_argument(
        "--timeout-s", type=float, default=900.0, help="give up on a start after (default: %(default)s)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when the second start misses the bar")
    parser.add_argument(
        "--skip-first",
        action="store_true",
        help="the first start has already happened (its install stamps are in the venv): time the second only",
    )
    return parser


def start_once(extra_env: dict[str, str], timeout_s: float) -> float:
    """Start run.sh, wait until the gateway is ready, stop it; the seconds it took."""
    gateway_port, service_port = free_port(), free_port()
    env = {**os.environ, **extra_env, "GATEWAY_PORT": str(gateway_port), "COLORIZER_BIND": f"127.0.0.1:{service_port}"}
    started = time.perf_counter()
    process = subprocess.Popen(
        ["bash", str(REPO_ROOT / "scripts" / "run.sh")],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopped as a whole below
    )
    try:
        while time.perf_counter() - started < timeout_s:
            if process.poll() is not None:
                raise RuntimeError(f"run.sh exited with status {process.returncode} before it was ready")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"run.sh was not ready within {timeout_s:.0f} s")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    if not args.skip_first:
        first = start_once({}, args.timeout_s)
        print(f"first start (installs what changed): {first:.1f} s")
    second = start_once(NETWORK_OFF, args.timeout_s)
    ok = second < args.max_s
    print(f"second start, network off: {second:.1f} s (bar: under {args.max_s:.0f} s): {'yes' if ok else 'NO'}")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
