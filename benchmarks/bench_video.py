"""Video speed: frames/s of per-frame colorization against the steadied video path, at 640x360 and 768x576.

Three ways through the same film (a slow pan over a bench photo, H.264), each decoding,
colorizing and encoding every frame with the same model and settings:

- "photo API": each frame handed to `Colorizer.colorize` as a photo (what a user
  without the video path would do), through the same reader and writer;
- "video, no steadying": `colorize_video` with `steadying=None` (frames batched for
  the network);
- "video, steadied": `colorize_video` as shipped (shot cuts, colour carried along
  DIS flow).

Runs take turns, `--repeats` times, and the medians are compared. The bar (issue 18):
the steadied path costs at most 1.5x the per-frame path's time (`--strict`: exit 1
when it does not). Per machine and per model: rerun after changing either.

    .venv/bin/python benchmarks/bench_video.py [--frames 60] [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.video_clips import PHOTO_FOLDER, pan_zoom_frames, write_clip
from model.colorizer import Colorizer
from video import VideoOptions, colorize_video
from video.formats import DEFAULT_CRF, container_for
from video.reader import DecodedFrame, VideoReader
from video.writer import VideoWriter

SIZES = ((640, 360), (768, 576))
BAR = 1.5


def photo_api(colorizer: Colorizer, source: Path, target: Path) -> int:
    """Every frame through Colorizer.colorize, as a photo."""
    with VideoReader(source) as reader:
        writer = VideoWriter(str(target), container_for(target.suffix), reader.info, reader.audio, DEFAULT_CRF)
        frames = 0
        for item in reader.items():
            if isinstance(item, DecodedFrame):
                colored = colorizer.colorize(Image.fromarray(item.rgb))
                writer.write(np.asarray(colored), item.pts)
                frames += 1
        writer.close()
    return frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", default=None, help="model artifact or .onnx (default: the shipped model)")
    parser.add_argument("--frames", type=int, default=60, help="frames per test film")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="network threads (0: every core)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the bar is not met")
    args = parser.parse_args()
    colorizer = Colorizer.load(args.artifact, threads=args.threads)
    print(
        f"model: {colorizer.name} {colorizer.version} on {colorizer.backend_name}, render size {colorizer.render_size}"
    )
    photo = Image.open(sorted(PHOTO_FOLDER.glob("*.jpg"))[0])
    ways = {
        "photo API": lambda source, target: photo_api(colorizer, source, target),
        "video, no steadying": lambda source, target: (
            colorize_video(colorizer, source, target, VideoOptions(steadying=None)).frames
        ),
        "video, steadied": lambda source, target: colorize_video(colorizer, source, target).frames,
    }
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for width, height in SIZES:
            source = write_clip(
                Path(folder) / f"pan-{width}x{height}.mp4", pan_zoom_frames(photo, args.frames, width, height)
            )
            seconds: dict[str, list[float]] = {name: [] for name in ways}
            for _ in range(args.repeats):
                for name, run in ways.items():  # taking turns: the machine's load hits all alike
                    started = time.perf_counter()
                    frames = run(source, Path(folder) / "out.mp4")
                    seconds[name].append(time.perf_counter() - started)
                    assert frames == args.frames
            median = {name: statistics.median(values) for name, values in seconds.items()}
            print(f"\n{width}x{height}, {args.frames} frames, median of {args.repeats}:")
            for name, value in median.items():
                print(f"  {name:<22} {args.frames / value:6.2f} frames/s")
            ratio = median["video, steadied"] / median["photo API"]
            steady_cost = median["video, steadied"] / median["video, no steadying"]
            worst = max(worst, ratio)
            print(f"  steadied time / photo API time: {ratio:.2f} (bar <= {BAR}); / no steadying: {steady_cost:.2f}")
    met = worst <= BAR
    print(f"\nbar {'met' if met else 'NOT met'}: worst ratio {worst:.2f}")
    return 0 if met or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
