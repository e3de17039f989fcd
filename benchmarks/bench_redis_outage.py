"""Redis outage: Redis killed (SIGKILL) while requests run through a gateway that keeps its
results and rate limit in it, then started again.

Starts redis-server with the options docker-compose.yml gives it (append-only file,
fsynced before each answer) in a scratch folder, the inference service, and a gateway
with GATEWAY_REDIS_URL and a rate limit (counted in Redis). Then:

  before    --clients clients colorize (POST /api/colorize) for --before-s seconds;
            every result acknowledged with 201 is noted
  outage    Redis is killed mid-requests and stays away --outage-s seconds; the clients
            go on; /api/health is polled
  after     Redis is started again on the same port and folder; a prober colorizes
            every 100 ms until one is stored; then every result acknowledged before
            the outage is fetched

The bars (issue 21):

  during the outage  every answer is JSON 503 with a stable code
                     (result_store_unavailable), none slower than --max-answer-s (2 s),
                     the gateway process stays up, and /api/health says degraded (503)
  recovery           a colorize is stored again within 5 s of Redis's return, and the
                     rate limit counts again (its RateLimit header is back)
  durability         no result acknowledged before the outage is lost

Exits 0; with --strict, 1 when a bar is not met.

Examples:
    nice -n 5 .venv/bin/python benchmarks/bench_redis_outage.py
    nice -n 5 .venv/bin/python benchmarks/bench_redis_outage.py --outage-s 20 --strict
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import benchmark_parser, photo_like_jpeg, resolve_artifact
from benchmarks.stack import Process, start_gateway, start_redis, start_service


def get_args_parser() -> argparse.ArgumentParser:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--clients", type=int, default=4, help="clients at once (default: 4)")
    parser.add_argument("--before-s", type=float, default=15, help="load before the outage (default: 15)")
    parser.add_argument("--outage-s", type=float, default=10, help="how long Redis stays away (default: 10)")
    parser.add_argument("--max-answer-s", type=float, default=2.0, help="bar: slowest answer during the outage")
    parser.add_argument("--max-recovery-s", type=float, default=5.0, help="bar: Redis back -> a result stored")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a bar is not met")
    return parser


class Clients:
    """Colorize in a loop; each answer is (phase, status, code, seconds); 201s' ids and digests are kept."""

    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.count = count
        self.image = photo_like_jpeg(256, seed=1)
        self.phase = "before"
        self.answers: list[tuple[str, int, str, float]] = []
        self.acknowledged: dict[str, tuple[str, int]] = {}  # id -> (phase, bytes)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(count)]

    def run(self) -> None:
        with requests.Session() as session:
            while not self.stop.is_set():
                phase = self.phase
                began = time.monotonic()
                try:
                    response = session.post(
                        f"{self.url}/api/colorize",
                        files={"image": ("page.jpg", self.image, "image/jpeg")},
                        timeout=60,
                    )
                except requests.RequestException as error:
                    with self.lock:
                        self.answers.append((phase, 0, type(error).__name__, time.monotonic() - began))
                    continue
                seconds = time.monotonic() - began
                try:
                    body = response.json()
                except ValueError:
                    body = {}
                code = body.get("error", {}).get("code", "") if response.status_code >= 400 else ""
                with self.lock:
                    self.answers.append((phase, response.status_code, code, seconds))
                    if response.status_code == 201:
                        self.acknowledged[body["id"]] = (phase, body["bytes"])
                if response.status_code >= 400:
                    time.sleep(0.05)


def recover(url: str, image: bytes, deadline_s: float) -> tuple[float | None, float | None]:
    """Seconds until a colorize is stored again, and until the rate limit counts again (its
    RateLimit header: absent while the count is skipped), probing every 100 ms (None: not
    within deadline_s)."""
    began = time.monotonic()
    stored = counted = None
    while time.monotonic() - began < deadline_s and (stored is None or counted is None):
        try:
            response = requests.post(f"{url}/api/colorize", files={"image": ("p.jpg", image, "image/jpeg")}, timeout=30)
            if response.status_code == 201 and stored is None:
                stored = time.monotonic() - began
            if "RateLimit" in response.headers and counted is None:
                counted = time.monotonic() - began
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return stored, counted


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-redis-outage-") as scratch:
        scratch_dir = Path(scratch)
        artifact = resolve_artifact(args, scratch_dir)
        redis = start_redis(scratch_dir / "redis")
        service = start_service(scratch_dir, artifact, workers=2)
        gateway = start_gateway(
            scratch_dir,
            service.url,
            {"GATEWAY_REDIS_URL": redis.url, "GATEWAY_RATE_LIMIT_MAX": "100000", "GATEWAY_LOG_LEVEL": "warn"},
        )
        restarted: Process | None = None
        try:
            clients = Clients(gateway.url, args.clients)
            for thread in clients.threads:
                thread.start()
            time.sleep(args.before_s)

            clients.phase = "outage"
            redis.popen.send_signal(signal.SIGKILL)
            redis.popen.wait()
            health = []
            outage_end = time.monotonic() + args.outage_s
            while time.monotonic() < outage_end:
                try:
                    answer = requests.get(f"{gateway.url}/api/health", timeout=5)
                    health.append((answer.status_code, answer.json().get("status")))
                except requests.RequestException as error:
                    health.append((0, type(error).__name__))
                time.sleep(0.5)
            gateway_alive = gateway.alive()

            clients.phase = "after"
            restarted = start_redis(scratch_dir / "redis", port=redis.extra["port"])
            recovery_s, counted_s = recover(gateway.url, clients.image, 30)
            clients.stop.set()
            for thread in clients.threads:
                thread.join(timeout=70)
            lost = []
            for result_id, (phase, size) in clients.acknowledged.items():
                if phase != "before":
                    continue
                image = requests.get(f"{gateway.url}/api/images/{result_id}", timeout=30)
                if image.status_code != 200 or len(image.content) != size:
                    lost.append(f"{result_id}: {image.status_code}")
        finally:
            gateway.stop()
            service.stop()
            (redis if restarted is None else restarted).stop()
    return report(args, clients, health, gateway_alive, (recovery_s, counted_s), lost)


def report(args, clients: Clients, health, gateway_alive: bool, recovery, lost: list[str]) -> int:
    recovery_s, counted_s = recovery
    failures = []
    print(f"\nRedis outage: {args.clients} clients, {args.before_s:g} s before, Redis away {args.outage_s:g} s")
    for phase in ("before", "outage", "after"):
        answers = [a for a in clients.answers if a[0] == phase]
        counts = Counter(f"{status} {code}".strip() for _, status, code, _ in answers)
        slowest = max((seconds for *_, seconds in answers), default=0.0)
        print(f"  {phase:<7} {len(answers):>4} answers, slowest {slowest:.2f} s: {dict(counts)}")
    outage = [a for a in clients.answers if a[0] == "outage"]
    # Requests in flight at the kill may still finish as 201 (stored before it), else 503.
    bad = [a for a in outage if not (a[1] == 201 or (a[1] == 503 and a[2] == "result_store_unavailable"))]
    if bad:
        failures.append(f"outage answers other than 503 result_store_unavailable: {Counter((a[1], a[2]) for a in bad)}")
    if not any(a[1] == 503 for a in outage):
        failures.append("no 503 during the outage")
    slowest = max((a[3] for a in outage), default=0.0)
    if slowest > args.max_answer_s:
        failures.append(f"an outage answer took {slowest:.1f} s")
    degraded = sum(1 for status, state in health if status == 503 and state == "degraded")
    print(
        f"  /api/health during the outage: {degraded}/{len(health)} answers 503 degraded; gateway up: {gateway_alive}"
    )
    if not health or degraded < len(health) - 1:  # the first poll may come before the client noticed
        failures.append(f"health degraded in {degraded}/{len(health)} polls")
    if not gateway_alive:
        failures.append("the gateway process exited")
    print(
        f"  recovery: {'none' if recovery_s is None else f'{recovery_s:.2f} s'} from Redis's return to a stored result"
    )
    if recovery_s is None or recovery_s > args.max_recovery_s:
        failures.append(f"recovery {recovery_s} s")
    print(f"  rate limit counted again after {'never' if counted_s is None else f'{counted_s:.2f} s'}")
    if counted_s is None or counted_s > args.max_recovery_s:
        failures.append(f"rate limit counted again after {counted_s} s")
    before = sum(1 for phase, _ in clients.acknowledged.values() if phase == "before")
    print(f"  durability: {before - len(lost)}/{before} results acknowledged before the outage served after it")
    if lost:
        failures.append(f"{len(lost)} acknowledged results lost: {lost[:5]}")
    if failures:
        print("FAIL: " + "; ".join(failures))
        return 1 if args.strict else 0
    print("OK: every bar met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
