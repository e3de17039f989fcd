"""Keyframes on POST /v1/videos (Flask's test client): every bad one a 400 with its code; good ones kept and applied.

The job is then run by the real JobRunner (the video worker's) in this process, with the
service's own store and the same tiny model, to show the kept keyframes reach the film.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from inference_service.video_worker import JobRunner
from model.colorizer import Colorizer
from model.lab_numpy import srgb8_to_lab
from tests.service.conftest import error_of, make_service
from tests.video.clips import pan_frames, read_frames, write_clip
from video.keyframe_input import MAX_KEYFRAMES


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """10 frames of 64x48 at 25 fps (0.4 s)."""
    return write_clip(tmp_path_factory.mktemp("clips") / "pan.mp4", pan_frames(10, 64, 48))


@pytest.fixture
def video_app(tiny_artifact, tmp_path):
    return make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "videos"))


def png(image: Image.Image | bytes) -> tuple[io.BytesIO, str]:
    """A file part: the image as PNG, or the bytes as they are."""
    if isinstance(image, bytes):
        return io.BytesIO(image), "still.png"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer, "still.png"


def post(client, clip, keyframes, images=()):
    data = {"video": (io.BytesIO(clip.read_bytes()), clip.name), "keyframe_images": [png(image) for image in images]}
    if keyframes is not None:
        data["keyframes"] = keyframes if isinstance(keyframes, str) else json.dumps(keyframes)
    return client.post("/v1/videos", data=data, content_type="multipart/form-data")


COLOUR = Image.fromarray(pan_frames(1, 64, 48, seed=3)[0])
PIN = {"x": 0.5, "y": 0.5, "color": "#a03020"}


@pytest.mark.parametrize(
    ("keyframes", "images", "code"),
    [
        ([{"time": -0.1, "image": 0}], [COLOUR], "keyframe_time_out_of_range"),
        ([{"time": 5.0, "image": 0}], [COLOUR], "keyframe_time_out_of_range"),
        ([{"time": "soon", "image": 0}], [COLOUR], "keyframe_time_out_of_range"),
        ([{"time": 0.1, "image": 0}], [b"not an image"], "keyframe_not_an_image"),
        ([{"time": 0.1, "image": 0}], [COLOUR.convert("L")], "keyframe_not_colour"),
        ([{"time": 0.1, "image": 0}], [COLOUR.resize((48, 48))], "keyframe_aspect_ratio"),
        ([{"time": n / 1000, "hints": [PIN]} for n in range(MAX_KEYFRAMES + 1)], [], "too_many_keyframes"),
        ([{"time": 0.1, "hints": [PIN]}, {"time": 0.1, "image": 0}], [COLOUR], "duplicate_keyframe_time"),
        ([{"time": 0.1, "hints": [{"x": 1.5, "y": 0.5, "color": "#a03020"}]}], [], "invalid_hints"),
        ([{"time": 0.1, "image": 3}], [COLOUR], "invalid_keyframes"),
        ('[{"time": 0.1,', [], "invalid_keyframes"),
        ([{"time": 0.1}], [], "empty_keyframe"),
        (None, [COLOUR], "invalid_keyframes"),
    ],
)
def test_a_bad_keyframe_is_a_400_with_its_code_and_no_job(keyframes, images, code, video_app, clip):
    response = post(video_app.test_client(), clip, keyframes, images)
    assert error_of(response, 400)["code"] == code
    store = video_app.extensions["colorizer_videos"].store
    assert store.all() == []  # nothing was queued
    assert not list(store.uploads.iterdir())  # and the upload is gone


def test_kept_keyframes_colour_the_film(video_app, clip, tiny_artifact):
    client = video_app.test_client()
    truth = read_frames(clip)
    yellow = Image.new("RGB", (128, 96), (230, 200, 30))  # twice the film's size: resized
    keyframes = [{"time": 0.2, "image": 0}, {"time": 0.0, "hints": [PIN]}]
    response = post(client, clip, keyframes, [yellow])
    assert response.status_code == 202, response.get_data(as_text=True)
    job = response.get_json()
    service = video_app.extensions["colorizer_videos"]
    JobRunner(service.settings, service.store, Colorizer.load(tiny_artifact, device="cpu")).run(job["id"])
    done = client.get(job["status_url"]).get_json()
    assert done["state"] == "done", done
    result = client.get(job["result_url"])
    path = service.store.root / "fetched.mp4"
    path.write_bytes(result.get_data())
    frames = read_frames(path)
    assert len(frames) == len(truth)
    b_values = [float(srgb8_to_lab(frame)[..., 2].mean()) for frame in frames]
    assert np.mean(b_values[4:7]) > 30  # around the yellow keyframe (frame 5)
