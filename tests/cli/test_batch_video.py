"""Films in the offline CLI (local engine): beside photos, resumable, bad films reported by code."""

from __future__ import annotations

import io
import json
import re
import sys

import av
import pytest

from colorizer_cli.batch_io import InputFile, OutputSettings
from colorizer_cli.batch_video import colorize_video_file
from colorizer_cli.colorize import main
from model.colorizer import Colorizer
from model.options import ColorizeOptions
from tests.conftest import make_photo
from tests.video.clips import frame_timestamps, pan_frames, read_frames, write_clip


def big_frame_clip(path):
    """One frame past the 8K pixel limit (MJPEG of a flat frame: a small file, refused before decoding)."""
    with av.open(str(path), "w") as output:
        stream = output.add_stream("mjpeg", rate=1)
        stream.width, stream.height, stream.pix_fmt = 7696, 4320, "yuvj420p"
        frame = av.VideoFrame(7696, 4320, "yuvj420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)
    return path


def test_folder_of_photos_and_films(tiny_artifact, tmp_path, capsys):
    inputs = tmp_path / "in"
    (inputs / "reels").mkdir(parents=True)
    make_photo(40, 30).convert("L").save(inputs / "photo.jpg")
    write_clip(inputs / "reels" / "street.mp4", pan_frames(8, 64, 48), audio="aac")
    write_clip(inputs / "reels" / "loop.gif", pan_frames(5, 64, 48))
    whole = write_clip(tmp_path / "whole.mkv", pan_frames(8, 64, 48)).read_bytes()
    (inputs / "reels" / "cut.mkv").write_bytes(whole[: len(whole) // 2])  # an interrupted copy
    (inputs / "notes.mov").write_text("not a film")
    big_frame_clip(inputs / "huge.avi")
    out = tmp_path / "out"
    argv = [str(inputs), "--out", str(out), "--artifact", str(tiny_artifact), "--device", "cpu", "--crf", "23"]
    assert main(argv) == 1  # three bad films
    err = capsys.readouterr().err
    assert "colorized 3 of 6 files" in err
    report = json.loads((out / "colorize-report.json").read_text())
    codes = {failure["path"].split("/")[-1]: failure["code"] for failure in report["failures"]}
    assert codes == {"cut.mkv": "truncated", "notes.mov": "not_a_video", "huge.avi": "too_many_pixels"}
    assert frame_timestamps(out / "reels" / "street-colorized.mp4") == frame_timestamps(inputs / "reels" / "street.mp4")
    with av.open(str(out / "reels" / "street-colorized.mp4")) as film:
        assert [stream.type for stream in film.streams] == ["video", "audio"]
    assert len(frame_timestamps(out / "reels" / "loop-colorized.gif")) == 5
    assert (out / "photo-colorized.png").exists()
    # A rerun does only what failed before.
    assert main(argv) == 1
    assert "3 of 6 files already have an output" in capsys.readouterr().err


def test_video_options_are_checked(tiny_artifact, tmp_path, capsys):
    """--crf comes from the options table (video.options.CRF), with its bounds, as --vibrance does."""
    clip = write_clip(tmp_path / "a.mp4", pan_frames(3, 64, 48))
    base = [str(clip), "--out", str(tmp_path / "o"), "--artifact", str(tiny_artifact)]
    for flag, value, message in [
        ("--crf", "52", "--crf: 'crf' must be an integer between 0 and 51, got 52."),
        ("--vibrance", "2.5", "--vibrance: 'vibrance' must be a number between 0 and 2, got 2.5."),
    ]:
        with pytest.raises(SystemExit) as exited:
            main([*base, flag, value])
        assert exited.value.code == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_render_size_and_vibrance_reach_the_film(tiny_artifact, tmp_path):
    """The photo options drive a film as they drive a photo: vibrance 0 gives grey frames."""
    colorizer = Colorizer.load(tiny_artifact, device="cpu")
    clip = write_clip(tmp_path / "a.mp4", pan_frames(3, 64, 48))
    output = OutputSettings(str(tmp_path / "o"), crf=0)
    options = ColorizeOptions(render_size=64, vibrance=0.0)
    assert colorize_video_file(colorizer, InputFile(str(clip), "a.mp4"), output, options) is None
    frame = read_frames(tmp_path / "o" / "a-colorized.mp4")[1].astype(int)
    assert abs(frame[..., 0] - frame[..., 2]).mean() < 2  # R = G = B up to the codec


def test_missing_film_is_a_failure_not_a_crash(tiny_artifact, tmp_path):
    colorizer = Colorizer.load(tiny_artifact, device="cpu")
    output = OutputSettings(str(tmp_path / "o"))
    failure = colorize_video_file(colorizer, InputFile(str(tmp_path / "gone.mp4"), "gone.mp4"), output)
    assert failure is not None and failure.code == "not_found"
    seen: list[tuple[int, int]] = []
    clip = write_clip(tmp_path / "a.webm", pan_frames(6, 64, 48))
    assert (
        colorize_video_file(colorizer, InputFile(str(clip), "a.webm"), output, on_frames=lambda *p: seen.append(p))
        is None
    )
    assert seen[-1] == (6, 6) and (tmp_path / "o" / "a-colorized.webm").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_frame_bar_with_an_eta(tiny_artifact, tmp_path, monkeypatch):
    clip = write_clip(tmp_path / "a.mkv", pan_frames(12, 64, 48))
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main([str(clip), "--out", str(tmp_path / "o"), "--artifact", str(tiny_artifact), "--device", "cpu"]) == 0
    drawn = terminal.getvalue()
    assert "frame" in drawn and "12/12" in drawn  # the film's frames, counted to the end
    assert re.search(r"\d\d:\d\d<\d\d:\d\d", drawn)  # elapsed<remaining


def test_without_the_video_extra_each_film_fails_with_its_code(tiny_artifact, tmp_path, monkeypatch):
    import colorizer_cli.batch_video

    def missing():
        raise ImportError("videos need the video extra: pip install '.[video]' (No module named 'av')")

    monkeypatch.setattr(colorizer_cli.batch_video, "_video_module", missing)
    (tmp_path / "in").mkdir()
    clip = write_clip(tmp_path / "in" / "a.mp4", pan_frames(3, 64, 48))
    make_photo(20, 20).save(tmp_path / "in" / "b.png")
    out = tmp_path / "out"
    assert main([str(clip.parent), "--out", str(out), "--artifact", str(tiny_artifact), "--device", "cpu"]) == 1
    failures = json.loads((out / "colorize-report.json").read_text())["failures"]
    assert [(f["code"], "pip install" in f["message"]) for f in failures] == [("needs_video_extra", True)]
    assert (out / "b-colorized.png").exists()  # the photos still go on
