"""colorizer_client against the real service: gunicorn on the tiny hint-capable model.

One model slot and no waiting places (COLORIZER_QUEUE_SIZE=0), so a request made while
a large one runs is 503 busy with Retry-After: 1, which the client waits out.
"""

from __future__ import annotations

import inspect
import io
import json
import threading
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from colorizer_client import ApiError, ColorizerClient, ServiceUnavailable, TransportError
from model.hints import DEFAULT_REACH
from model.lab_numpy import srgb8_to_lab
from tests.conftest import make_photo
from tests.processes import REPO_ROOT, Gunicorn, free_port

RED = "#c83020"


@pytest.fixture(scope="module")
def service(tiny_hint_artifact, tmp_path_factory):
    settings = {
        "COLORIZER_ARTIFACT": str(tiny_hint_artifact),
        "COLORIZER_MODEL_THREADS": "1",
        "COLORIZER_QUEUE_SIZE": "0",
        "COLORIZER_RETRY_AFTER_S": "1",
    }
    with Gunicorn(tmp_path_factory.mktemp("client") / "gunicorn.log", settings) as server:
        yield server.wait_ready().url


@pytest.fixture
def client(service):
    return ColorizerClient(service, timeout_s=60)


def _gray(width: int = 64, height: int = 48) -> Image.Image:
    return make_photo(width, height, seed=3).convert("L")


def test_colorize_takes_a_path_bytes_a_file_or_a_pil_image_and_gives_both(client, tmp_path):
    photo = _gray()
    path = tmp_path / "photo.png"
    photo.save(path)
    results = [
        client.colorize(path),
        client.colorize(str(path)),
        client.colorize(path.read_bytes()),
        client.colorize(io.BytesIO(path.read_bytes())),
        client.colorize(photo),
    ]
    for result in results:
        assert result.content_type == "image/png" and result.model_name == "tiny-test-colorizer-hints"
        assert result.image.size == (64, 48) and result.image.mode == "RGB"
        assert result.render_size == 64 and result.attempts == 1
    # The same pixels in, the same picture out, whichever way it was given.
    assert len({result.data for result in results}) == 1
    saved = results[0].save(tmp_path / "out.png")
    assert saved.read_bytes() == results[0].data


def test_format_quality_render_size_reach_the_service(client):
    result = client.colorize(_gray(), format="jpeg", quality=40, render_size=96)
    assert result.content_type == "image/jpeg" and result.render_size == 96
    assert result.image.format == "JPEG"


def test_hints_and_vibrance_change_the_picture(client):
    plain = np.asarray(client.colorize(Image.new("L", (64, 64), 128)).image, dtype=np.int16)
    hinted = np.asarray(
        client.colorize(
            Image.new("L", (64, 64), 128), hints=[(0.5, 0.5, RED), {"x": 0.1, "y": 0.1, "color": RED}]
        ).image,
        dtype=np.int16,
    )
    assert hinted[32, 32, 0] - hinted[32, 32, 2] > plain[32, 32, 0] - plain[32, 32, 2] + 10
    gray = np.asarray(client.colorize(_gray(), vibrance=0).image.convert("HSV"))[..., 1]
    vivid = np.asarray(client.colorize(_gray(), vibrance=2).image.convert("HSV"))[..., 1]
    assert gray.mean() < 1.0 < vivid.mean()


def test_a_pins_reach_reaches_the_service(client):
    """A small-reach pin keeps to the object under it; a whole-reach one spreads over the flat region."""
    flat = Image.new("L", (64, 64), 128)
    plain = np.asarray(client.colorize(flat).image, dtype=np.int16)

    def changed(*pin) -> float:
        pinned = np.asarray(client.colorize(flat, hints=[pin]).image, dtype=np.int16)
        return float((np.abs(pinned - plain).max(axis=-1) > 8).mean())

    small, whole = changed(0.5, 0.5, RED, "small"), changed(0.5, 0.5, RED, "whole")
    assert small < whole
    assert changed(0.5, 0.5, RED) == whole  # none given: the service's default, whole
    with pytest.raises(ApiError) as raised:
        client.colorize(flat, hints=[{"x": 0.5, "y": 0.5, "color": RED, "reach": "everywhere"}])
    assert (raised.value.code, raised.value.parameter) == ("invalid_parameter", "hints")


def test_a_bad_parameter_is_an_api_error_with_the_stable_code(client):
    with pytest.raises(ApiError) as raised:
        client.colorize(_gray(), render_size=9999999999999999999999999999)
    error = raised.value
    assert (error.status, error.code, error.parameter) == (422, "invalid_parameter", "render_size")
    assert error.request_id and "between 64 and 1024" in error.message
    with pytest.raises(ApiError) as raised:
        client.colorize(_gray(), hints=[(1.5, 0.5, RED)])
    assert (raised.value.code, raised.value.parameter) == ("invalid_parameter", "hints")
    with pytest.raises(ApiError) as raised:
        client.colorize(b"not an image")
    assert (raised.value.status, raised.value.code) == (400, "invalid_image")


def test_model_info_and_health(client):
    info = client.model_info()
    assert info["supports_hints"] is True and info["max_hints"] == 64
    health = client.health()
    assert health["status"] == "READY" and health["queue"] == {"capacity": 1, "in_use": 0}


def _hold_the_model_slot(service: str) -> threading.Thread:
    """A large render in the background; returns once the service counts it as running."""
    large = io.BytesIO()
    Image.new("L", (1600, 1600), 90).save(large, format="PNG")
    slow = threading.Thread(
        target=lambda: ColorizerClient(service, retries=0).colorize(large.getvalue(), render_size=1024), daemon=True
    )
    slow.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{service}/v1/health", timeout=5) as response:
            if json.loads(response.read())["queue"]["in_use"] == 1:
                return slow
        time.sleep(0.005)
    raise AssertionError("the large request never took the model slot")


def test_busy_is_retried_after_retry_after_and_raised_when_the_retries_are_spent(service):
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    impatient = ColorizerClient(service, retries=0)
    patient = ColorizerClient(service, retries=30, sleep=sleep)
    # The large request may finish before the next one is sent on a fast machine: a few tries.
    for _ in range(5):
        slow = _hold_the_model_slot(service)
        try:
            impatient.colorize(_gray(16, 16))
        except ServiceUnavailable as error:
            assert (error.status, error.code, error.retry_after_s) == (503, "busy", 1)
            result = patient.colorize(_gray(16, 16)) if slow.is_alive() else None
            slow.join(60)
            if result is None or result.attempts == 1:
                continue  # the slot came free before the patient client asked: try again
            assert result.image.size == (16, 16)
            assert waits and set(waits) == {1} and result.attempts == len(waits) + 1
            return
        slow.join(60)
    pytest.fail("never caught the service busy: the large request finished too fast every time")


def test_no_service_is_a_transport_error():
    with pytest.raises(TransportError):
        ColorizerClient(f"http://127.0.0.1:{free_port()}", timeout_s=5).health()


def test_the_client_sends_every_colorize_option_of_the_committed_contract():
    document = json.loads((REPO_ROOT / "docs" / "openapi" / "service.json").read_text())
    parameters = {parameter["name"] for parameter in document["paths"]["/v1/colorize"]["post"]["parameters"]}
    keywords = set(inspect.signature(ColorizerClient.colorize).parameters) - {"self", "image", "request_id"}
    assert keywords == parameters


def test_the_client_sends_every_video_option_of_the_committed_contract():
    document = json.loads((REPO_ROOT / "docs" / "openapi" / "service.json").read_text())
    parameters = {parameter["name"] for parameter in document["paths"]["/v1/videos"]["post"]["parameters"]}
    keywords = set(inspect.signature(ColorizerClient.submit_video).parameters) - {"self", "video", "request_id"}
    body = document["paths"]["/v1/videos"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert keywords == parameters | {"keyframes"} and "keyframes" in body["properties"]  # keyframes: body parts
    round_trip = set(inspect.signature(ColorizerClient.colorize_video).parameters)
    assert parameters <= round_trip
    rerun = document["paths"]["/v1/videos/{job_id}/rerun"]["post"]
    rerun_query = {parameter["name"] for parameter in rerun["parameters"] if parameter["in"] == "query"}
    rerun_body = set(rerun["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"])
    rerun_keywords = set(inspect.signature(ColorizerClient.rerun_video).parameters) - {"self", "job_id", "request_id"}
    assert rerun_query == parameters and rerun_keywords == rerun_body - {"keyframe_images"}  # images: in keyframes


# --- video jobs, against gunicorn and the video worker it starts --------------------------------


@pytest.fixture(scope="module")
def video_service(tiny_artifact, tmp_path_factory):
    folder = tmp_path_factory.mktemp("client-videos")
    settings = {
        "COLORIZER_ARTIFACT": str(tiny_artifact),
        "COLORIZER_MODEL_THREADS": "1",
        "COLORIZER_VIDEO_DIR": str(folder / "videos"),
        "COLORIZER_VIDEO_WORKERS": "1",  # the tests' gunicorn starts none unless asked
        "COLORIZER_VIDEO_NICE": "0",
    }
    with Gunicorn(folder / "gunicorn.log", settings, workers=1) as server:
        yield server.wait_ready(120).url


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    from tests.video.clips import pan_frames, write_clip

    folder = tmp_path_factory.mktemp("films")
    return {
        "short": write_clip(folder / "short.mp4", pan_frames(12, 96, 64), rate=12, audio="aac"),
        "long": write_clip(folder / "long.mp4", pan_frames(240, 320, 240), rate=24),
    }


def test_colorize_video_round_trip_with_progress(video_service, films, tmp_path):
    import av

    client = ColorizerClient(video_service, timeout_s=60)
    seen: list = []
    target = tmp_path / "short-colorized.mp4"
    job = client.colorize_video(
        films["short"], target, vibrance=1.2, crf=20, poll_s=0.2, timeout_s=120, progress=seen.append
    )
    assert job.state == "done" and job.frames_done == job.frames_total == 12 and job.percent == 100.0
    assert seen[-1].state == "done" and {state.state for state in seen} <= {"queued", "running", "done"}
    assert job.raw["options"]["vibrance"] == 1.2 and job.raw["options"]["crf"] == 20
    with av.open(str(target)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (96, 64) and video.average_rate == 12
        assert len(container.streams.audio) == 1
        assert sum(1 for _ in container.decode(video=0)) == 12
    # Keyframes travel as multipart parts: a yellow still colours the frames around it.
    yellow = Image.new("RGB", (96, 64), (230, 200, 30))
    keyed = tmp_path / "short-keyed.mp4"
    client.colorize_video(films["short"], keyed, keyframes=[{"time": 0.5, "image": yellow}], poll_s=0.2, timeout_s=120)
    with av.open(str(keyed)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert srgb8_to_lab(frames[6])[..., 2].mean() > 30  # b*: yellow
    # The round trip removed the job once downloaded.
    with pytest.raises(ApiError) as gone:
        client.video_job(job.id)
    assert gone.value.status == 404 and gone.value.code == "not_found"


def test_a_cancelled_job_ends_the_wait_with_its_state(video_service, films, tmp_path):
    from colorizer_client import VideoJobFailed

    client = ColorizerClient(video_service, timeout_s=60)
    job = client.submit_video(films["long"].read_bytes())
    assert job.state in ("queued", "running") and job.frames_total == 240
    cancelled = client.delete_video(job.id)
    assert cancelled is not None and cancelled.state == "cancelled"
    with pytest.raises(VideoJobFailed) as failed:
        client.wait_for_video(job.id, poll_s=0.2, timeout_s=30)
    assert failed.value.code == "cancelled" and failed.value.job.state == "cancelled"
    with pytest.raises(ApiError) as no_result:
        client.download_video(job.id, tmp_path / "never.mp4")
    assert no_result.value.status in (404, 409)
    assert client.delete_video(job.id) is None  # removing the finished job: 204
    assert client.model_info()["limits"]["video"]["max_jobs_per_client"] >= 1


def test_a_bad_film_is_an_api_error_with_the_stable_code(video_service):
    client = ColorizerClient(video_service, timeout_s=60)
    with pytest.raises(ApiError) as error:
        client.submit_video(b"this is not a film")
    assert error.value.status == 400 and error.value.code == "invalid_video"


def test_rerun_video_with_one_more_pin_makes_a_new_job_on_the_same_film(video_service, films, tmp_path):
    import av

    client = ColorizerClient(video_service, timeout_s=60)
    yellow = Image.new("RGB", (96, 64), (230, 200, 30))
    source = client.submit_video(films["short"], vibrance=1.2, keyframes=[{"time": 0.5, "image": yellow}])
    client.wait_for_video(source.id, poll_s=0.2, timeout_s=120)
    pin = {"x": 0.5, "y": 0.5, "color": RED}
    job = client.rerun_video(source.id, keyframes=[{"time": 0.0, "hints": [pin]}], crf=30)
    assert job.id != source.id and job.state in ("queued", "running")
    assert job.keyframes == [
        {"time": 0.0, "hints": [{**pin, "reach": DEFAULT_REACH}], "has_image": False},
        {"time": 0.5, "hints": [], "has_image": True},
    ]
    assert job.raw["options"]["vibrance"] == 1.2 and job.raw["options"]["crf"] == 30
    client.delete_video(source.id)  # the rerun's film is its own name for the same file
    done = client.wait_for_video(job.id, poll_s=0.2, timeout_s=120)
    assert done.state == "done" and done.frames_done == 12
    target = client.download_video(job.id, tmp_path / "rerun.mp4")
    with av.open(str(target)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == 12 and srgb8_to_lab(frames[6])[..., 2].mean() > 30  # the kept yellow keyframe
    only_pins = client.rerun_video(job.id, keyframes=[{"time": 0.25, "hints": [pin]}], keyframes_mode="replace")
    assert [keyframe["time"] for keyframe in only_pins.keyframes] == [0.25]
    client.delete_video(only_pins.id)
    client.delete_video(job.id)
    with pytest.raises(ApiError) as gone:
        client.rerun_video(source.id)
    assert gone.value.status == 404 and gone.value.code == "not_found"
