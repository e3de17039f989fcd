"""The one way the tests and benchmarks start the real service and the real gateway as processes.

`Gunicorn`: gunicorn with inference_service/gunicorn.conf.py, as the README starts it,
on a free loopback port, configured by COLORIZER_* variables; ready once every worker
has logged "model ready" (each loads its own model). `Gateway`: node gateway/src/server.js
in front of it. Both stop with SIGTERM (then SIGKILL) and work as context managers.
Torch-free, so a benchmark or a test of a torch-free install can use them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parents[1]
GUNICORN_APP = "inference_service:create_app()"
GUNICORN_CONFIG = "inference_service/gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_lines(log_path: Path) -> list[dict]:
    """The JSON lines of a service log (gunicorn's own plain lines are skipped)."""
    return [json.loads(line) for line in log_path.read_text(errors="replace").splitlines() if line.startswith("{")]


class _Process:
    process: subprocess.Popen
    log_path: Path
    name = "process"

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self, timeout_s: float = 30) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


class Gunicorn(_Process):
    """The inference service under gunicorn. `env`: COLORIZER_* settings (and anything else) over os.environ.

    `command` replaces `python -m gunicorn -c gunicorn.conf.py app` (e.g. an installed
    `colorizer serve`); `cwd` and `base_env` let a test run it away from the checkout.
    """

    name = "gunicorn"

    def __init__(
        self,
        log_path: Path,
        env: dict[str, str] | None = None,
        workers: int = 1,
        command: list[str] | None = None,
        cwd: Path = REPO_ROOT,
        base_env: dict[str, str] | None = None,
        start_new_session: bool = False,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = log_path
        environ = {
            **(os.environ if base_env is None else base_env),
            "COLORIZER_BIND": f"127.0.0.1:{self.port}",
            "COLORIZER_WORKERS": str(workers),
            # Video jobs of this service in its own folder (queue, records, films), and no
            # video worker unless the test asks for one (each loads a model of its own).
            "COLORIZER_VIDEO_DIR": str(log_path.parent / f"videos-{self.port}"),
            "COLORIZER_VIDEO_WORKERS": "0",
            **(env or {}),
        }
        command = command or [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, GUNICORN_APP]
        self.started_at = time.perf_counter()
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=start_new_session,
            )

    def wait_ready(self, timeout_s: float = 300, via_health: bool = False) -> Gunicorn:
        """Until every worker has logged "model ready" (or, `via_health`, for a log level above INFO: until
        /v1/health answers 200); RuntimeError with the log when it fails or times out."""
        deadline = time.monotonic() + timeout_s
        while True:
            messages = [line.get("message") for line in log_lines(self.log_path)]
            if "model load failed" in messages:
                raise RuntimeError(f"the model failed to load:\n{self._log_tail()}")
            if messages.count("model ready") >= self.workers or (via_health and self._healthy()):
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self._log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn workers not ready in time:\n{self._log_tail()}")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/v1/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False  # not listening yet, or 503 while the model loads


class Gateway(_Process):
    """The gateway (node gateway/src/server.js) in front of `inference_url`; `env`: GATEWAY_* over the defaults."""

    name = "gateway"

    def __init__(
        self, log_path: Path, inference_url: str, scratch: Path, env: dict[str, str] | None = None, node: str = "node"
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        environ = {
            **os.environ,
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(self.port),
            "GATEWAY_INFERENCE_URL": inference_url,
            "GATEWAY_LOG_LEVEL": "warn",
            "GATEWAY_RATE_LIMIT_MAX": "0",
            "GATEWAY_RESULT_DIR": str(scratch / "results"),
            "GATEWAY_STATIC_DIR": str(scratch / "no-frontend"),
            **(env or {}),
        }
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [node, str(REPO_ROOT / "gateway" / "src" / "server.js")],
                cwd=REPO_ROOT / "gateway",
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout_s: float = 60) -> Gateway:
        """Until GET /api/health answers 200 (a replica is READY and results can be stored)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the gateway exited early:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass  # not listening yet, or 503 while no replica is ready
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway was not ready in time:\n{self._log_tail()}")
            time.sleep(0.2)
