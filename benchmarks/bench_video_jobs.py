"""Photos first: photo latency while a video job runs, against the same service idle.

The real service (gunicorn with the project's config, the shipped model unless told
otherwise) and the video worker it starts beside its web workers (`colorizer serve`'s
default: one film at a time, niced, on its own network threads). The photo p50 is
measured three times in one run: idle, while one video job is colorized, and idle
again after the job is cancelled; the ratio is against the mean of the two idle p50s
(this machine is shared and noisy). A request counts as "during the job" only if the
job was running both before and after it.

    .venv/bin/python benchmarks/bench_video_jobs.py              # the bar: ratio <= 1.5
    .venv/bin/python benchmarks/bench_video_jobs.py --requests 60 --frames 400
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import add_artifact_arguments, percentile, photo_like_jpeg, resolve_artifact
from benchmarks.stack import start_service
from benchmarks.video_clips import pan_zoom_frames, write_clip

BAR = 1.5


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_artifact_arguments(parser)
    parser.add_argument("--requests", type=int, default=30, help="photo requests per measurement (default: 30)")
    parser.add_argument("--warmup", type=int, default=5, help="photo requests before measuring (default: 5)")
    parser.add_argument("--photo-size", type=int, default=512, help="side of the test photo (default: 512)")
    parser.add_argument("--frames", type=int, default=300, help="frames of the test film (default: 300)")
    parser.add_argument("--width", type=int, default=640, help="film width (default: 640)")
    parser.add_argument("--height", type=int, default=360, help="film height (default: 360)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn web workers (default: 2)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if the ratio is above the bar")
    return parser


def test_film(folder: Path, frames: int, width: int, height: int) -> Path:
    """A slow pan over a photo-like still: real H.264 the worker decodes and encodes."""
    still = Image.open(io.BytesIO(photo_like_jpeg(1024, seed=3))).convert("RGB")
    return write_clip(folder / "film.mp4", pan_zoom_frames(still, frames, width, height), rate=25, crf=18)


def photo_latencies(session: requests.Session, url: str, jpeg: bytes, count: int, during=None) -> list[float]:
    """Milliseconds of `count` POST /v1/colorize; with `during`, only those the check holds around."""
    samples = []
    for _ in range(count):
        before = during() if during else True
        began = time.perf_counter()
        response = session.post(f"{url}/v1/colorize", data=jpeg, headers={"Content-Type": "image/jpeg"}, timeout=120)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"photo request: HTTP {response.status_code}: {response.text[:300]}")
        if before and (during() if during else True):
            samples.append(elapsed)
    return samples


def warm_up(session: requests.Session, url: str, jpeg: bytes, count: int) -> None:
    """`count` answered photos in a row: every web worker has loaded its model (503 not_ready until then)."""
    answered, deadline = 0, time.monotonic() + 300
    while answered < count:
        response = session.post(f"{url}/v1/colorize", data=jpeg, headers={"Content-Type": "image/jpeg"}, timeout=120)
        if response.status_code == 503 and time.monotonic() < deadline:
            answered = 0
            time.sleep(0.5)
            continue
        if response.status_code != 200:
            raise SystemExit(f"photo request: HTTP {response.status_code}: {response.text[:300]}")
        answered += 1


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-video-jobs-") as scratch_name:
        scratch = Path(scratch_name)
        artifact = resolve_artifact(args, scratch)
        film = test_film(scratch, args.frames, args.width, args.height)
        jpeg = photo_like_jpeg(args.photo_size)
        service = start_service(
            scratch, artifact, workers=args.web_workers, env={"COLORIZER_VIDEO_DIR": str(scratch / "videos")}
        )
        try:
            with requests.Session() as session:
                warm_up(session, service.url, jpeg, args.warmup)
                idle_before = photo_latencies(session, service.url, jpeg, args.requests)

                with film.open("rb") as file:
                    posted = session.post(
                        f"{service.url}/v1/videos", files={"video": (film.name, file, "video/mp4")}, timeout=120
                    )
                if posted.status_code != 202:
                    raise SystemExit(f"video upload: HTTP {posted.status_code}: {posted.text[:300]}")
                status_url = service.url + posted.json()["status_url"]

                def status() -> dict:
                    return session.get(status_url, timeout=10).json()

                deadline = time.monotonic() + 120
                while status()["state"] != "running" or status()["progress"]["frames_done"] < 1:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"the video job did not start: {status()}")
                    time.sleep(0.2)
                started, frames_at_start = time.monotonic(), status()["progress"]["frames_done"]
                busy = photo_latencies(
                    session, service.url, jpeg, args.requests, during=lambda: status()["state"] == "running"
                )
                job = status()
                frames_meanwhile = job["progress"]["frames_done"] - frames_at_start
                video_fps = frames_meanwhile / (time.monotonic() - started)
                session.delete(status_url, timeout=10)
                time.sleep(2)  # the worker notices the cancel within its progress interval
                idle_after = photo_latencies(session, service.url, jpeg, args.requests)
        finally:
            service.stop()

    if len(busy) < max(5, args.requests // 2):
        raise SystemExit(f"only {len(busy)} photo requests ran while the job did: use a longer film (--frames)")
    idle_p50 = float(np.mean([percentile(idle_before, 50), percentile(idle_after, 50)]))
    busy_p50 = percentile(busy, 50)
    ratio = busy_p50 / idle_p50
    print(
        f"service: {args.web_workers} web workers + the video worker (1 film at a time, niced); "
        f"photo {args.photo_size} px JPEG; film {args.width}x{args.height}, {args.frames} frames"
    )
    print(f"{'':<34}{'p50':>9}{'p90':>9}{'n':>5}")
    for name, samples in (
        ("photos, idle (before)", idle_before),
        ("photos, one video job running", busy),
        ("photos, idle (after)", idle_after),
    ):
        print(f"{name:<34}{percentile(samples, 50):>7.0f}ms{percentile(samples, 90):>7.0f}ms{len(samples):>5}")
    print(f"video job meanwhile: {frames_meanwhile} frames, {video_fps:.2f} frames/s")
    verdict = "met" if ratio <= BAR else "NOT met"
    print(f"photo p50 during a video job / idle p50: {ratio:.2f} (bar <= {BAR}): {verdict}")
    return 1 if args.strict and ratio > BAR else 0


if __name__ == "__main__":
    sys.exit(main())
