"""Hostile films through the service and the CLI: what POST answers, and how the job the worker runs ends.

The films are tests/video/test_hostile_films.py's; the worker is the real JobRunner on the
tiny model, run in this process (run_queued_jobs); every answer is held to the OpenAPI
document by the test client.
"""

from __future__ import annotations

import io
import json

import pytest

from colorizer_cli.colorize import main
from tests.service.conftest import error_of, make_service
from tests.service.test_videos import run_queued_jobs
from tests.video.clips import pan_frames, write_clip
from tests.video.test_hostile_films import growing_mjpeg, unknown_audio, without_length


def post_raw(client, path, content_type="video/x-matroska"):
    return client.post("/v1/videos", data=io.BytesIO(path.read_bytes()), content_type=content_type)


def finished_job(app, job: dict) -> dict:
    run_queued_jobs(app)
    return app.test_client().get(job["status_url"]).get_json()


@pytest.mark.parametrize(
    ("film", "settings", "code"),
    [
        ("grows", {"VIDEO_MAX_FRAME_PIXELS": 1920 * 1080}, "video_frame_too_large"),
        ("no_length", {"VIDEO_MAX_FRAMES": 30}, "video_too_many_frames"),
        ("no_length", {"VIDEO_MAX_DURATION_S": 2.0}, "video_too_long"),
    ],
)
def test_a_film_past_a_limit_its_header_hid_fails_its_job_with_the_limits_code(
    tiny_artifact, tmp_path, film, settings, code
):
    path = (
        growing_mjpeg(tmp_path / "grows.mkv", [(64, 48)] * 8 + [(2400, 1800)] * 8)
        if film == "grows"
        else without_length(tmp_path / "live.mkv", 35, rate=12)
    )
    app = make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "videos"), **settings)
    response = post_raw(app.test_client(), path)
    assert response.status_code == 202, response.get_data(as_text=True)  # the header passes every limit
    job = finished_job(app, response.get_json())
    assert job["state"] == "failed" and job["error"]["code"] == code, job
    store = app.extensions["colorizer_videos"].store
    assert not list(store.results.iterdir())
    assert [film.stem for film in store.uploads.iterdir()] == [job["id"]]  # the film is kept with the job


def test_a_film_with_audio_no_decoder_knows_is_taken_and_done_without_it(tiny_artifact, tmp_path):
    app = make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "videos"))
    response = post_raw(app.test_client(), unknown_audio(tmp_path), "video/x-msvideo")
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["video"]["audio"] is False
    assert finished_job(app, response.get_json())["state"] == "done"


def test_pcm_audio_comes_out_as_aac_in_the_mp4_result(tiny_artifact, tmp_path):
    import av

    app = make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "videos"))
    film = write_clip(tmp_path / "pcm.avi", pan_frames(6, 64, 48), rate=6, audio="pcm_s16le")
    job = finished_job(app, post_raw(app.test_client(), film, "video/x-msvideo").get_json())
    assert job["state"] == "done", job
    result = app.test_client().get(job["result_url"])
    (tmp_path / "out.mp4").write_bytes(result.get_data())
    with av.open(str(tmp_path / "out.mp4")) as container:
        assert [stream.codec_context.name for stream in container.streams.audio] == ["aac"]


@pytest.mark.parametrize(
    "text",
    [
        "ffconcat version 1.0\nfile '{other}'\n",
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{other}\n#EXT-X-ENDLIST\n",
    ],
)
def test_an_upload_naming_another_jobs_film_is_refused(tiny_artifact, tmp_path, text):
    app = make_service(tiny_artifact, VIDEO_DIR=str(tmp_path / "videos"))
    client = app.test_client()
    clip = write_clip(tmp_path / "clip.mp4", pan_frames(4, 64, 48))
    other = post_raw(client, clip, "video/mp4").get_json()
    playlist = tmp_path / "list.mp4"
    playlist.write_text(text.format(other=f"{other['id']}.mp4"))
    error = error_of(post_raw(client, playlist, "video/mp4"), 400)
    assert error["code"] == "invalid_video" and error["reason"] == "not_a_video"


def test_the_cli_colorizes_a_film_with_unknown_audio(tiny_artifact, tmp_path):
    """The red team's CLI run: colorize_failed with an AttributeError; now the film is done, without its audio."""
    film = unknown_audio(tmp_path)
    out = tmp_path / "out"
    assert main([str(film), "--out", str(out), "--artifact", str(tiny_artifact), "--device", "cpu"]) == 0
    assert (out / "unknown-audio-colorized.avi").exists()
    report = out / "colorize-report.json"
    assert not report.exists() or not json.loads(report.read_text()).get("failures")
