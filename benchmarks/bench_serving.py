"""The lean `serve` install vs the torch service: venv size, worker memory, end-to-end latency.

Starts two real services on free local ports, each gunicorn with the project's
config, one worker, the same thread counts, the shipped model:

- serve:  `colorizer serve` from a fresh venv with only `pip install '.[serve]'`
          (ONNX Runtime, no torch); --serve-venv names one, else one is built
          in a temporary folder (about half a minute);
- torch:  the service as it ran before this backend existed, torch on the CPU
          (COLORIZER_BACKEND=torch), from the project venv (--torch-venv, default:
          the Python running this script).

Then prints, with the bars of issue 11:
1. the size of each venv on disk (serve: under 600 MB);
2. each worker's peak RSS (VmHWM) after its first 512x512 request (serve at most
   40% of torch's);
3. POST /v1/colorize p50/p95 for a 512x512 JPEG, requests alternating between the
   two services (serve at least 1.3x faster at p50).

    .venv/bin/python benchmarks/bench_serving.py [--serve-venv /tmp/serve-venv] [--requests 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import free_port, percentile, photo_like_jpeg

SIZE_BAR_MB = 600
RSS_BAR = 0.40
LATENCY_BAR = 1.3


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--serve-venv", type=Path, default=None, help="a venv with '.[serve]' installed (default: build one)"
    )
    parser.add_argument(
        "--torch-venv", type=Path, default=Path(sys.prefix), help="the torch service's venv (default: this one)"
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests per service (default: 30)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="untimed requests per service after the first (default: 3)"
    )
    parser.add_argument("--size", type=int, default=512, help="side of the square test JPEG (default: 512)")
    parser.add_argument("--threads", type=int, default=1, help="network threads of each worker (default: 1)")
    return parser


def build_serve_venv(folder: Path) -> Path:
    venv = folder / "serve-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", f"{REPO_ROOT}[serve]"],
        check=True,
        cwd=folder,
    )
    return venv


def venv_megabytes(venv: Path) -> float:
    result = subprocess.run(["du", "-sk", str(venv)], capture_output=True, text=True, check=True)
    return int(result.stdout.split()[0]) / 1024


class Service:
    """One gunicorn (1 worker) on a free port, from a given venv and working folder."""

    def __init__(self, name: str, command: list[str], cwd: Path, environ: dict, log_path: Path) -> None:
        self.name, self.port, self.log_path = name, free_port(), log_path
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**environ, "COLORIZER_BIND": f"127.0.0.1:{self.port}", "COLORIZER_WORKERS": "1"}
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=cwd, env=environ, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/v1/health", timeout=2) as response:
                    if response.status == 200:
                        self.health = json.loads(response.read())
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready:\n{self.log_path.read_text()[-2000:]}")

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0])

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.worker_pid()}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM")

    def post(self, jpeg: bytes) -> float:
        request = urllib.request.Request(
            f"{self.url}/v1/colorize?format=png", data=jpeg, headers={"Content-Type": "image/jpeg"}
        )
        began = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{self.name}: HTTP {response.status}")
        return time.perf_counter() - began

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as scratch:
        scratch_dir = Path(scratch)
        serve_venv = args.serve_venv or build_serve_venv(scratch_dir)
        environ = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        environ["COLORIZER_MODEL_THREADS"] = str(args.threads)
        outside = scratch_dir / "cwd"  # the serve install must not see the checkout
        outside.mkdir()
        services = [
            Service(
                "serve (onnx)",
                [str(serve_venv / "bin" / "colorizer"), "serve"],
                outside,
                environ,
                scratch_dir / "serve.log",
            ),
            Service(
                "torch",
                [str(args.torch_venv / "bin" / "python"), "-m", "gunicorn", "-c", "inference_service/gunicorn.conf.py"],
                REPO_ROOT,
                {**environ, "COLORIZER_BACKEND": "torch", "COLORIZER_DEVICE": "cpu"},
                scratch_dir / "torch.log",
            ),
        ]
        try:
            for service in services:
                service.wait_ready()
            jpeg = photo_like_jpeg(args.size)
            for service in services:
                service.post(jpeg)  # the first request: what the RSS bar is about
            rss = {service.name: service.peak_rss_mb() for service in services}
            for _ in range(args.warmup):
                for service in services:
                    service.post(jpeg)
            samples: dict[str, list[float]] = {service.name: [] for service in services}
            for index in range(args.requests):
                for service in services if index % 2 == 0 else services[::-1]:
                    samples[service.name].append(service.post(jpeg) * 1000)
            backends = {service.name: service.health["backend"] for service in services}
        finally:
            for service in services:
                service.stop()
        sizes = {"serve (onnx)": venv_megabytes(serve_venv), "torch": venv_megabytes(args.torch_venv)}

    serve, reference = "serve (onnx)", "torch"
    print(
        f"serve venv {serve_venv}; torch venv {args.torch_venv}; backends {backends}; "
        f"1 worker, {args.threads} network thread(s) each; {os.cpu_count()} cores"
    )
    print(f"\n{'':<14}{'venv MB':>9}{'peak RSS MB':>13}{'p50 ms':>9}{'p95 ms':>9}")
    for name in (serve, reference):
        print(
            f"{name:<14}{sizes[name]:>9.0f}{rss[name]:>13.0f}"
            f"{percentile(samples[name], 50):>9.1f}{percentile(samples[name], 95):>9.1f}"
        )
    rss_share = rss[serve] / rss[reference]
    speedup = percentile(samples[reference], 50) / percentile(samples[serve], 50)
    print(
        f"\nvenv size: {sizes[serve]:.0f} MB (bar < {SIZE_BAR_MB} MB): {'met' if sizes[serve] < SIZE_BAR_MB else 'NOT met'}"
    )
    print(
        f"worker peak RSS: {100 * rss_share:.0f}% of torch's (bar <= {100 * RSS_BAR:.0f}%): "
        f"{'met' if rss_share <= RSS_BAR else 'NOT met'}"
    )
    print(
        f"POST /v1/colorize p50: {speedup:.2f}x faster (bar >= {LATENCY_BAR}x): "
        f"{'met' if speedup >= LATENCY_BAR else 'NOT met'}"
    )
    shutil.rmtree(scratch_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
