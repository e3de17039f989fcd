"""Keyframes and pins on films in the offline CLI: --keyframe, --keyframes, --hint; each bad keyframe a named failure."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from colorizer_cli.colorize import main
from model.lab_numpy import srgb8_to_lab
from tests.conftest import make_photo
from tests.video.clips import pan_frames, read_frames, write_clip
from video.keyframe_input import MAX_KEYFRAMES


def mean_b(frames: list[np.ndarray]) -> float:
    return float(np.mean([srgb8_to_lab(frame)[..., 2].mean() for frame in frames]))


@pytest.fixture
def film(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_clip(inputs / "film.mp4", pan_frames(8, 64, 48))
    return inputs


def run(inputs, out, artifact, *flags: str) -> int:
    return main([str(inputs), "--out", str(out), "--artifact", str(artifact), "--device", "cpu", "--crf", "4", *flags])


def report_codes(out) -> dict[str, str]:
    report = json.loads((out / "colorize-report.json").read_text())
    return {failure["path"].split("/")[-1]: failure["code"] for failure in report["failures"]}


def test_keyframe_flag_colours_the_film(tiny_artifact, film, tmp_path):
    Image.new("RGB", (64, 48), (230, 200, 30)).save(tmp_path / "yellow.png")  # b* far above the tiny model's
    assert run(film, tmp_path / "auto", tiny_artifact) == 0
    assert run(film, tmp_path / "keyed", tiny_artifact, "--keyframe", f"0.12={tmp_path / 'yellow.png'}") == 0
    automatic = read_frames(tmp_path / "auto" / "film-colorized.mp4")
    keyed = read_frames(tmp_path / "keyed" / "film-colorized.mp4")
    assert mean_b(keyed) > mean_b(automatic) + 20


def test_keyframes_file_and_hints_on_a_film(tiny_hint_artifact, film, tmp_path):
    Image.new("RGB", (128, 96), (40, 60, 200)).save(tmp_path / "blue.png")  # twice the size: resized
    keys = tmp_path / "keys.json"
    pins = [{"x": 0.5, "y": 0.5, "color": "#e6c81e"}]
    keys.write_text(json.dumps([{"time": 0.28, "image": "blue.png"}, {"time": 0.1, "hints": pins}]))
    assert run(film, tmp_path / "out", tiny_hint_artifact, "--keyframes", str(keys), "--hint", "0.2,0.2,#e6c81e") == 0
    frames = read_frames(tmp_path / "out" / "film-colorized.mp4")
    assert mean_b(frames[-1:]) < -20  # the blue keyframe (frame 7) holds the end of the shot


@pytest.mark.parametrize(
    ("keyframes", "code"),
    [
        ([{"time": -1, "image": "still.png"}], "keyframe_time_out_of_range"),
        ([{"time": 30, "image": "still.png"}], "keyframe_time_out_of_range"),
        ([{"time": 0.1, "image": "notes.png"}], "keyframe_not_an_image"),
        ([{"time": 0.1, "image": "grey.png"}], "keyframe_not_colour"),
        ([{"time": 0.1, "image": "square.png"}], "keyframe_aspect_ratio"),
        ([{"time": 0.1, "image": "missing.png"}], "keyframe_unreadable"),
        ([{"time": 0.1, "image": "still.png"}, {"time": 0.1, "image": "still.png"}], "duplicate_keyframe_time"),
        ([{"time": n / 1000, "image": "still.png"} for n in range(MAX_KEYFRAMES + 1)], "too_many_keyframes"),
        ([{"time": 0.1, "hints": [{"x": 1.5, "y": 0.5, "color": "#ff0000"}]}], "invalid_hints"),
    ],
)
def test_a_bad_keyframe_fails_the_film_and_the_photos_go_on(keyframes, code, tiny_artifact, film, tmp_path, capsys):
    make_photo(40, 30).convert("L").save(film / "photo.jpg")
    Image.fromarray(pan_frames(1, 64, 48, seed=3)[0]).save(tmp_path / "still.png")
    Image.fromarray(pan_frames(1, 64, 48, seed=3)[0]).convert("L").save(tmp_path / "grey.png")
    Image.fromarray(pan_frames(1, 48, 48, seed=3)[0]).save(tmp_path / "square.png")
    (tmp_path / "notes.png").write_text("not an image")
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(keyframes))
    out = tmp_path / "out"
    assert run(film, out, tiny_artifact, "--keyframes", str(keys)) == 1
    assert report_codes(out) == {"film.mp4": code}
    assert (out / "photo-colorized.png").exists()
    assert not (out / "film-colorized.mp4").exists()
    assert f"[{code}]" in capsys.readouterr().err


def test_malformed_keyframe_flags_are_usage_errors(tiny_artifact, film, tmp_path, capsys):
    with pytest.raises(SystemExit):
        run(film, tmp_path / "out", tiny_artifact, "--keyframe", "soon=still.png")
    assert "SECONDS=IMAGE" in capsys.readouterr().err
    (tmp_path / "keys.json").write_text('{"time": 1}')
    with pytest.raises(SystemExit):
        run(film, tmp_path / "out", tiny_artifact, "--keyframes", str(tmp_path / "keys.json"))
    assert "JSON list" in capsys.readouterr().err
