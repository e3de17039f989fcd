"""The running stack for the reliability benchmarks: gunicorn, the gateway and redis-server
as processes on free loopback ports, their RSS, and Redis started as docker-compose.yml
configures it (the one declaration of its persistence)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from benchmarks.harness import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("COLORIZER_VENV", REPO_ROOT / ".venv"))


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    url: str = ""
    extra: dict = field(default_factory=dict)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.alive():
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def _wait_until(ready, process: Process, what: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not process.alive():
            raise SystemExit(f"{process.name} exited early:\n{process.log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{process.name}: {what} not reached after {timeout_s} s:\n{process.log.read_text()[-3000:]}")


def start_service(scratch: Path, artifact: Path, workers: int = 2, env: dict[str, str] | None = None) -> Process:
    """gunicorn with the project's config, `workers` workers, waiting until READY."""
    port = free_port()
    log = scratch / "gunicorn.log"
    popen = subprocess.Popen(
        [str(VENV / "bin" / "gunicorn"), "-c", "inference_service/gunicorn.conf.py", "inference_service:create_app()"],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "COLORIZER_BIND": f"127.0.0.1:{port}",
            "COLORIZER_ARTIFACT": str(artifact),
            "COLORIZER_WORKERS": str(workers),
            "COLORIZER_LOG_LEVEL": "WARNING",
            **(env or {}),
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    process = Process("inference service", popen, log, f"http://127.0.0.1:{port}")
    _wait_until(lambda: requests.get(f"{process.url}/v1/health", timeout=2).status_code == 200, process, "READY")
    return process


def start_gateway(scratch: Path, service_url: str, env: dict[str, str] | None = None) -> Process:
    """node gateway/src/server.js with production settings (logs to a file), until it listens."""
    port = free_port()
    log = scratch / f"gateway-{port}.log"
    popen = subprocess.Popen(
        [shutil.which("node") or "node", str(REPO_ROOT / "gateway" / "src" / "server.js")],
        cwd=REPO_ROOT / "gateway",
        env={
            **os.environ,
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "GATEWAY_INFERENCE_URL": service_url,
            "GATEWAY_RESULT_DIR": str(scratch / f"results-{port}"),
            "GATEWAY_RATE_LIMIT_MAX": "0",
            **(env or {}),
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    process = Process("gateway", popen, log, f"http://127.0.0.1:{port}")
    _wait_until(lambda: requests.get(f"{process.url}/api/health", timeout=2).status_code == 200, process, "healthy")
    return process


def compose_redis_options() -> list[str]:
    """redis-server's options as docker-compose.yml gives them (${VAR:-default} read as the default)."""
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    command = [str(item) for item in compose["services"]["redis"]["command"]]
    assert command[0] == "redis-server", command
    return [re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", item) for item in command[1:]]


def start_redis(data_dir: Path, port: int | None = None) -> Process:
    """redis-server as compose runs it (persistence included), with its data in `data_dir`, on loopback."""
    options = compose_redis_options()
    if "--dir" in options:
        options[options.index("--dir") + 1] = str(data_dir)
    else:
        options += ["--dir", str(data_dir)]
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"redis-{port}.log"
    server = shutil.which("redis-server")
    if not server:
        raise SystemExit("redis-server is needed: bash scripts/install-redis.sh")
    popen = subprocess.Popen(
        [server, *options, "--port", str(port), "--bind", "127.0.0.1"],
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    process = Process("redis", popen, log, f"redis://127.0.0.1:{port}", {"port": port, "options": options})

    def pong() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")

    _wait_until(pong, process, "PONG", timeout_s=30)
    return process


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    """The child processes of `pid` (gunicorn's workers)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found
