"""Video memory: peak RSS colorizing a 10-minute 480p film against a 10-second one.

Both films are made here (854x480, 25 frames/s, H.264 with an AAC track: a slow pan
over a bench photo) and each is colorized by `colorize_video` in a fresh Python
process, whose peak RSS (`ru_maxrss`) is read when it ends. Streaming means the long
film needs no more memory than the short one. The bar (issue 18): within 1.5x
(`--strict`: exit 1 when not). The network's render size only moves both numbers alike;
the default keeps the long run to minutes on 2 cores.

    .venv/bin/python benchmarks/bench_video_memory.py [--minutes 10] [--render-size 96]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.video_clips import PHOTO_FOLDER

WIDTH, HEIGHT, RATE = 854, 480, 25
BAR = 1.5


def write_film(path: Path, seconds: float) -> Path:
    """A pan over a photo with a 440 Hz tone, encoded fast (x264 ultrafast, AAC)."""
    with Image.open(sorted(PHOTO_FOLDER.glob("*.jpg"))[0]) as photo:
        still = np.asarray(photo.convert("RGB").resize((WIDTH * 2, HEIGHT * 2), Image.Resampling.BICUBIC))
    frames = round(seconds * RATE)
    with av.open(str(path), "w") as output:
        video = output.add_stream("libx264", rate=RATE, options={"preset": "ultrafast", "crf": "23"})
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = output.add_stream("aac", rate=48000)
        samples_per_frame = 48000 // RATE
        tone = (0.1 * np.sin(np.arange(samples_per_frame) * 2 * np.pi * 440 / 48000)).astype(np.float32)
        for index in range(frames):
            step = index % (2 * WIDTH)  # back and forth across the photo
            left = step if step < WIDTH else 2 * WIDTH - step
            top = (index // 3) % HEIGHT
            crop = np.ascontiguousarray(still[top : top + HEIGHT, left : left + WIDTH])
            for packet in video.encode(av.VideoFrame.from_ndarray(crop, format="rgb24")):
                output.mux(packet)
            sound = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
            sound.sample_rate, sound.pts = 48000, index * samples_per_frame
            for packet in audio.encode(sound):
                output.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                output.mux(packet)
    return path


def child(source: str, target: str, render_size: int, artifact: str | None) -> None:
    """Colorize one film in this (fresh) process; print frames, seconds and peak RSS as JSON."""
    from model.colorizer import Colorizer
    from video import VideoOptions, colorize_video

    started = time.perf_counter()
    result = colorize_video(Colorizer.load(artifact), source, target, VideoOptions(render_size=render_size))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"frames": result.frames, "seconds": time.perf_counter() - started, "peak_mib": peak_kib / 1024}))


def measure(source: Path, target: Path, render_size: int, artifact: str | None) -> dict:
    command = [sys.executable, __file__, "--child", str(source), str(target), "--render-size", str(render_size)]
    if artifact:
        command += ["--artifact", artifact]
    finished = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the long film")
    parser.add_argument("--short-seconds", type=float, default=10.0)
    parser.add_argument("--render-size", type=int, default=96)
    parser.add_argument("--artifact", default=None)
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.render_size, args.artifact)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        rows = {}
        for label, seconds in (("short", args.short_seconds), ("long", args.minutes * 60)):
            started = time.perf_counter()
            film = write_film(Path(folder) / f"{label}.mp4", seconds)
            made = time.perf_counter() - started
            rows[label] = measure(film, Path(folder) / f"{label}-colorized.mp4", args.render_size, args.artifact)
            print(
                f"{label:<5} {seconds:7.0f} s, {rows[label]['frames']:6d} frames ({film.stat().st_size / 2**20:.0f} MB, "
                f"made in {made:.0f} s): colorized in {rows[label]['seconds']:.0f} s, peak RSS {rows[label]['peak_mib']:.0f} MiB",
                flush=True,
            )
    ratio = rows["long"]["peak_mib"] / rows["short"]["peak_mib"]
    met = ratio <= BAR
    print(f"peak RSS long / short: {ratio:.2f} (bar <= {BAR}): {'met' if met else 'NOT met'}")
    return 0 if met or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
