"""How far a film's pins should spread, chosen on clips made from training photos.

Pins on a film (`Keyframe(time, hints=...)`) colour their frame as a photo's pins do
(the network's hint input, then the edge-aware propagation of `model.propagation`), and
the correction travels through the shot along the flow (`video.keyframes`). How far the
propagation spreads it is `Carrying.pin_reach`, a share of the photo's reach. This script
measures it on footage that is not issue 28's bar clips: handheld walks and slow pans over
photos of a training folder (never val/ or bench/), each with 5 pins on its first frame
where the automatic colour is furthest from the truth (`bench_keyframes.true_pins`, as a
user pins what looks wrong). It prints the shot's PSNR gain over automatic colour for
each share, and the share the rule picks: the highest mean gain.

    python benchmarks/bench_film_pins.py --photos ../shared/data/colorize/train
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_keyframes import psnr, run, shots_of, true_pins
from benchmarks.video_clips import decoded_frames, handheld_walk_frames, pan_zoom_frames, write_clip
from model.colorizer import Colorizer
from video import Keyframe, VideoOptions
from video.keyframes import DEFAULT_CARRYING

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared/data/colorize/train"


def training_clips(folder: Path, photos: Path, count: int, frames: int, seed: int) -> list[Path]:
    """A handheld walk and a slow pan over each of `count` landscape photos drawn from `photos`."""
    candidates = sorted(path for path in photos.iterdir() if path.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    random.Random(seed).shuffle(candidates)
    clips: list[Path] = []
    for path in candidates:
        if len(clips) >= 2 * count:
            break
        with Image.open(path) as photo:
            if photo.width < photo.height * 1.2:
                continue
            colour = photo.convert("RGB")
        clips.append(write_clip(folder / f"walk-{path.stem}.mp4", handheld_walk_frames(colour, frames, 320, 240)))
        clips.append(write_clip(folder / f"pan-{path.stem}.mp4", pan_zoom_frames(colour, frames, 320, 240)))
    return clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=Path(os.environ.get("COLORIZER_TRAIN_PHOTOS", DEFAULT_PHOTOS)))
    parser.add_argument("--artifact", default=None, help="model artifact or .onnx (default: the shipped model)")
    parser.add_argument("--count", type=int, default=6, help="photos; each gives a walk and a pan (default 6)")
    parser.add_argument("--frames", type=int, default=40, help="frames a clip (default 40)")
    parser.add_argument("--reaches", type=float, nargs="+", default=[1.0, 0.5, 0.25])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.photos.is_dir():
        parser.error(f"--photos {args.photos} is not a folder")
    colorizer = Colorizer.load(args.artifact)
    print(f"model: {colorizer.name} {colorizer.version}; current pin_reach {DEFAULT_CARRYING.pin_reach}")
    gains: dict[float, list[float]] = {reach: [] for reach in args.reaches}
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        for clip in training_clips(folder, args.photos, args.count, args.frames, args.seed):
            truth = list(decoded_frames(clip))
            options = VideoOptions(crf=4)
            automatic = run(colorizer, clip, folder / "auto.mp4", options)
            shot = list(shots_of(automatic[0].cut_frames, len(truth))[0])
            pins = [Keyframe(0.0, hints=true_pins(truth[0], automatic[2][0]))]
            row = []
            for reach in args.reaches:
                carrying = replace(DEFAULT_CARRYING, pin_reach=reach)
                pinned = run(colorizer, clip, folder / "pinned.mp4", replace(options, carrying=carrying), pins)
                gain = psnr(pinned[2], truth, shot) - psnr(automatic[2], truth, shot)
                gains[reach].append(gain)
                row.append(f"{reach:g}: {gain:+.2f}")
            print(f"{clip.stem:<28} {len(shot)} frames  " + "  ".join(row), flush=True)
    if not gains[args.reaches[0]]:
        sys.exit(f"no landscape photo in {args.photos}")
    print("pin_reach  mean gain  least gain")
    for reach, values in gains.items():
        print(f"{reach:>9g}  {statistics.mean(values):+8.2f} dB  {min(values):+9.2f} dB")
    best = max(args.reaches, key=lambda reach: (round(statistics.mean(gains[reach]), 2), reach))
    print(f"the rule (highest mean gain) picks pin_reach {best:g}")


if __name__ == "__main__":
    main()
