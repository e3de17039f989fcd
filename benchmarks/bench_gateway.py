"""What the Node gateway costs: the inference service called directly vs through the gateway.

Starts the inference service (gunicorn, the project's config) and the gateway
(node gateway/src/server.js) on free local ports, then sends one 512x512
grayscale JPEG N times down each of three paths, taking turns so that all three
see the same machine load:

  direct        POST /v1/colorize on the service (PNG bytes back)
  pass-through  POST /api/v1/colorize on the gateway (streamed proxy, PNG bytes back)
  web app       POST /api/colorize on the gateway (result stored on disk, 201 JSON)
                + GET of the stored image: what the browser does

and prints p50/p95 of each, the gateway's overhead relative to direct (ratio of
the p50s and of the p95s), and the median of the per-round differences in ms
(paired: each gateway request against the direct one of the same round, which
cancels slow drifts in machine load). The check: overhead at p50 under
--max-overhead (10%) for both gateway paths; the exit status is 1 when it is not met. Timings on a shared machine are noisy:
compare the rows of one run, not runs with each other.

Examples:
    .venv/bin/python benchmarks/bench_gateway.py                    # the shipped default model
    .venv/bin/python benchmarks/bench_gateway.py --random-weights   # same architecture, random weights
    .venv/bin/python benchmarks/bench_gateway.py --artifact path/to/model.safetensors --requests 60
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import benchmark_parser, percentile, photo_like_jpeg, resolve_artifact
from tests.processes import Gateway, Gunicorn

PATHS = ("direct", "pass-through", "web app")


def get_args_parser() -> argparse.ArgumentParser:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per path (default: 40)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per path first (default: 5)")
    parser.add_argument("--size", type=int, default=512, help="side of the square test JPEG (default: 512)")
    parser.add_argument(
        "--max-overhead",
        type=float,
        default=0.10,
        help="largest accepted gateway overhead at p50, as a fraction of direct (default: 0.10)",
    )
    parser.add_argument("--node", default=shutil.which("node") or "node", help="node binary (default: from PATH)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as scratch:
        scratch_dir = Path(scratch)
        artifact = resolve_artifact(args, scratch_dir)

        service_log, gateway_log = scratch_dir / "gunicorn.log", scratch_dir / "gateway.log"
        settings = {"COLORIZER_ARTIFACT": str(artifact), "COLORIZER_LOG_LEVEL": "WARNING"}
        # Production gateway settings, logs included (one JSON line per request, to a file).
        with (
            Gunicorn(service_log, settings, workers=1) as service,
            Gateway(gateway_log, service.url, scratch_dir, {"GATEWAY_LOG_LEVEL": "info"}, node=args.node) as gateway,
        ):
            service_url, gateway_url = service.url, gateway.url
            service.wait_ready(via_health=True)  # its log level hides "model ready"
            gateway.wait_ready()
            samples = run(args, service_url, gateway_url)

    print(
        f"\n{args.size}x{args.size} grayscale JPEG, {args.requests} timed requests per path "
        f"(+{args.warmup} warm-up), artifact: {artifact.name}, {os.cpu_count()} cores"
    )
    print(
        f"{'path':<14}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}{'overhead p50':>15}{'overhead p95':>15}"
        f"{'paired +ms':>12}"
    )
    direct_p50, direct_p95 = percentile(samples["direct"], 50), percentile(samples["direct"], 95)
    failures = []
    for name in PATHS:
        p50, p95 = percentile(samples[name], 50), percentile(samples[name], 95)
        over50, over95 = p50 / direct_p50 - 1, p95 / direct_p95 - 1
        paired = statistics.median(g - d for g, d in zip(samples[name], samples["direct"], strict=False))
        extra = "" if name == "direct" else f"{over50:>+15.1%}{over95:>+15.1%}{paired:>+12.1f}"
        print(f"{name:<14}{p50:>10.1f}{p95:>10.1f}{statistics.fmean(samples[name]):>10.1f}{extra}")
        if name != "direct" and over50 >= args.max_overhead:
            failures.append(f"{name}: {over50:.1%} at p50")
    if failures:
        print(f"FAIL: gateway overhead at p50 over {args.max_overhead:.0%}: " + "; ".join(failures))
        return 1
    print(f"OK: gateway overhead at p50 under {args.max_overhead:.0%} on both gateway paths")
    return 0


class Client:
    """One keep-alive HTTP connection (http.client: reads a body in one call, so the
    client's own cost stays small and the same on every path)."""

    def __init__(self, base_url: str) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        assert parsed.hostname is not None
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        try:
            return self._send(method, path, body, headers)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the idle keep-alive connection (a slow round can outlast its
            # keep-alive timeout): connect again, once, as browsers and SDKs do.
            self.connection.close()
            return self._send(method, path, body, headers)

    def _send(self, method: str, path: str, body: bytes | None, headers: dict | None):
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()

    def close(self) -> None:
        self.connection.close()


def multipart(jpeg: bytes) -> tuple[bytes, dict]:
    """A browser-like multipart/form-data body with the file in field "image"."""
    boundary = "----bench" + "0123456789abcdef"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="bench.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + jpeg
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body))}


def run(args, service_url: str, gateway_url: str) -> dict[str, list[float]]:
    body, headers = multipart(photo_like_jpeg(args.size))
    direct_client, pass_client, web_client = Client(service_url), Client(gateway_url), Client(gateway_url)

    def direct() -> None:
        status, _, content = direct_client.request("POST", "/v1/colorize", body, headers)
        assert status == 200 and content[:4] == b"\x89PNG", content[:200]

    def pass_through() -> None:
        status, _, content = pass_client.request("POST", "/api/v1/colorize", body, headers)
        assert status == 200 and content[:4] == b"\x89PNG", content[:200]

    def web_app() -> None:
        status, _, content = web_client.request("POST", "/api/colorize", body, headers)
        assert status == 201, content[:200]
        status, _, image = web_client.request("GET", json.loads(content)["url"])
        assert status == 200 and image[:4] == b"\x89PNG"

    calls = {"direct": direct, "pass-through": pass_through, "web app": web_app}
    samples: dict[str, list[float]] = {name: [] for name in PATHS}
    try:
        for round_index in range(args.warmup + args.requests):
            # Rotate the order each round so no path always runs right after another.
            order = PATHS[round_index % 3 :] + PATHS[: round_index % 3]
            for name in order:
                started = time.perf_counter()
                calls[name]()
                elapsed_ms = (time.perf_counter() - started) * 1000
                if round_index >= args.warmup:
                    samples[name].append(elapsed_ms)
    finally:
        for client in (direct_client, pass_client, web_client):
            client.close()
    return samples


if __name__ == "__main__":
    sys.exit(main())
