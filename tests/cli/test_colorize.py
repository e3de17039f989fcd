import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorizer_cli.colorize import main
from tests.conftest import make_photo

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_colorizes_files_and_folders_and_reports_bad_files(tiny_artifact, tmp_path, capsys):
    inputs = tmp_path / "in"
    (inputs / "nested").mkdir(parents=True)
    make_photo(40, 30).convert("L").save(inputs / "a.jpg")
    make_photo(33, 517).convert("L").save(inputs / "nested" / "tall.png")
    (inputs / "broken.jpg").write_bytes(b"not an image")
    single = tmp_path / "single.png"
    make_photo(1, 1).convert("L").save(single)
    out = tmp_path / "out"
    status = main([str(inputs), str(single), "--out", str(out), "--artifact", str(tiny_artifact), "--device", "cpu"])
    assert status == 1  # one input failed
    err = capsys.readouterr().err
    assert "failed" in err and "broken.jpg" in err and "colorized 3 of 4" in err
    assert "\r" not in err  # stderr is no terminal here: no progress bar
    assert Image.open(out / "a-colorized.png").size == (40, 30)
    assert Image.open(out / "nested" / "tall-colorized.png").size == (33, 517)
    assert Image.open(out / "single-colorized.png").size == (1, 1)


def test_jpeg_output_and_success_status(tiny_artifact, tmp_path):
    source = tmp_path / "photo.png"
    image = make_photo(48, 48).convert("RGBA")
    image.putalpha(128)
    image.save(source)
    status = main(
        [
            str(source),
            "--out",
            str(tmp_path / "o"),
            "--format",
            "jpeg",
            "--render-size",
            "64",
            "--artifact",
            str(tiny_artifact),
            "--device",
            "cpu",
        ]
    )
    assert status == 0
    result = Image.open(tmp_path / "o" / "photo-colorized.jpg")
    assert result.format == "JPEG" and result.mode == "RGB" and result.size == (48, 48)
    assert np.asarray(result).std() > 0


def test_clear_errors_for_bad_arguments(tiny_artifact, tmp_path, capsys):
    assert main([str(tmp_path), "--out", str(tmp_path / "o"), "--artifact", str(tiny_artifact)]) == 2
    assert "no images or videos found" in capsys.readouterr().err
    source = tmp_path / "x.png"
    make_photo(8, 8).save(source)
    # A flag's bad value is argparse's usage error (exit status 2), with the bounds of the options table.
    with pytest.raises(SystemExit) as exited:
        main([str(source), "--out", str(tmp_path / "o"), "--render-size", "5", "--artifact", str(tiny_artifact)])
    assert exited.value.code == 2
    assert "--render-size: 'render_size' must be an integer between 64 and 1024, got 5." in capsys.readouterr().err
    assert main([str(source), "--out", str(tmp_path / "o"), "--artifact", str(tmp_path / "missing.safetensors")]) == 2
    assert "not found" in capsys.readouterr().err


def test_writes_a_report_and_a_rerun_resumes(tiny_artifact, tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for index in range(3):
        make_photo(24, 16, seed=index).convert("L").save(inputs / f"p{index}.png")
    (inputs / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    out = tmp_path / "out"
    arguments = [
        str(inputs),
        "--out",
        str(out),
        "--artifact",
        str(tiny_artifact),
        "--device",
        "cpu",
        "--batch-size",
        "2",
    ]
    assert main(arguments) == 1
    report = json.loads((out / "colorize-report.json").read_text())
    assert report["engine"] == "local"
    assert (report["inputs"], report["attempted"], report["failed"], report["skipped_existing"]) == (4, 4, 1, 0)
    (failure,) = report["failures"]
    assert failure["path"] == str(inputs / "broken.png")
    assert failure["code"] == "decode_failed" and failure["message"].startswith("could not be decoded")

    first = out / "p0-colorized.png"
    written = first.stat().st_mtime_ns
    (out / "p1-colorized.png").unlink()
    (inputs / "broken.png").unlink()
    capsys.readouterr()
    assert main(arguments) == 0  # only p1 is redone
    assert "2 of 3 files already have an output" in capsys.readouterr().err
    assert first.stat().st_mtime_ns == written
    assert (out / "p1-colorized.png").is_file()
    report = json.loads((out / "colorize-report.json").read_text())
    assert (report["attempted"], report["failed"], report["skipped_existing"], report["failures"]) == (1, 0, 2, [])

    assert main([*arguments, "--overwrite"]) == 0
    assert first.stat().st_mtime_ns != written


def test_an_output_folder_inside_the_input_folder_is_not_read_back(tiny_artifact, tmp_path):
    make_photo(16, 16).convert("L").save(tmp_path / "a.png")
    arguments = [
        str(tmp_path),
        "--out",
        str(tmp_path / "colorized"),
        "--artifact",
        str(tiny_artifact),
        "--device",
        "cpu",
    ]
    assert main(arguments) == 0
    assert main([*arguments, "--overwrite"]) == 0
    assert sorted(path.name for path in (tmp_path / "colorized").iterdir()) == [
        "a-colorized.png",
        "colorize-report.json",
    ]


def test_quiet_and_bad_quality(tiny_artifact, tmp_path, capsys):
    source = tmp_path / "photo.png"
    make_photo(16, 16).convert("L").save(source)
    common = [str(source), "--out", str(tmp_path / "o"), "--artifact", str(tiny_artifact), "--device", "cpu"]
    with pytest.raises(SystemExit) as exited:
        main([*common, "--quality", "0", "--format", "jpeg"])
    assert exited.value.code == 2
    assert "--quality: 'quality' must be an integer between 1 and 100" in capsys.readouterr().err
    assert main([*common, "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "colorized 1 of 1" in err and "\r" not in err


def test_the_local_engine_never_imports_ray(tiny_artifact, tmp_path):
    """Ray is an optional extra: the default engine must work without it (checked in a fresh interpreter)."""
    make_photo(16, 16).convert("L").save(tmp_path / "a.png")
    code = (
        "import sys; from colorizer_cli.colorize import main; "
        f"status = main([{str(tmp_path / 'a.png')!r}, '--out', {str(tmp_path / 'o')!r}, "
        f"'--artifact', {str(tiny_artifact)!r}, '--device', 'cpu']); "
        "sys.exit(status or (3 if 'ray' in sys.modules else 0))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "a-colorized.png").is_file()


def test_an_unwritable_output_is_named_as_the_problem(tiny_artifact, tmp_path, capsys):
    source = tmp_path / "photo.png"
    make_photo(16, 16).convert("L").save(source)
    # Unwritable even for root: a file stands where the output folder should be...
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    out = blocker / "colorized"
    assert main([str(source), "--out", str(out), "--artifact", str(tiny_artifact), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert f"the output {out / 'photo-colorized.png'} could not be written (Not a directory)" in err
    assert "decoded" not in err and "not a readable image" not in err
    # ... or a folder where the output file should be.
    out = tmp_path / "out"
    (out / "photo-colorized.png").mkdir(parents=True)
    assert (
        main([str(source), "--out", str(out), "--artifact", str(tiny_artifact), "--device", "cpu", "--overwrite"]) == 1
    )
    err = capsys.readouterr().err
    assert "the output" in err and "photo-colorized.png could not be written" in err
    assert "decoded" not in err and "not a readable image" not in err


def _saturation(path: Path) -> float:
    with Image.open(path) as image:
        hsv = np.asarray(image.convert("RGB").convert("HSV"), dtype=np.float32)
    return float(hsv[..., 1].mean())


def test_vibrance_zero_gives_gray_and_more_gives_more_colour(tiny_artifact, tmp_path):
    source = tmp_path / "photo.png"
    make_photo(48, 32).convert("L").save(source)
    outputs = {}
    for vibrance in ("0", "1", "2"):
        out = tmp_path / f"v{vibrance}"
        common = [str(source), "--out", str(out), "--artifact", str(tiny_artifact), "--device", "cpu"]
        assert main([*common, "--vibrance", vibrance]) == 0
        outputs[vibrance] = _saturation(out / "photo-colorized.png")
    assert outputs["0"] < 1.0  # grayscale (up to rounding)
    assert outputs["0"] < outputs["1"] < outputs["2"]


def test_hints_from_flags_and_from_a_file_colour_the_spot(tiny_hint_artifact, tmp_path):
    source = tmp_path / "photo.png"
    Image.new("L", (64, 64), 128).save(source)
    red = "#c83020"
    hints_file = tmp_path / "hints.json"
    hints_file.write_text(json.dumps([{"x": 0.5, "y": 0.5, "color": red}]))
    common = [str(source), "--artifact", str(tiny_hint_artifact), "--device", "cpu"]
    assert main([*common, "--out", str(tmp_path / "plain")]) == 0
    assert main([*common, "--out", str(tmp_path / "flag"), "--hint", f"0.5,0.5,{red}"]) == 0
    assert main([*common, "--out", str(tmp_path / "file"), "--hints", str(hints_file)]) == 0

    def centre(folder: str) -> np.ndarray:
        with Image.open(tmp_path / folder / "photo-colorized.png") as image:
            return np.asarray(image.convert("RGB"), dtype=np.int16)[32, 32]

    assert np.array_equal(centre("flag"), centre("file"))
    red_minus_blue = int(centre("flag")[0] - centre("flag")[2])
    assert red_minus_blue > int(centre("plain")[0] - centre("plain")[2]) + 10  # the hint made it redder


def test_bad_hints_and_hints_for_a_model_without_them_are_usage_errors(
    tiny_artifact, tiny_hint_artifact, tmp_path, capsys
):
    source = tmp_path / "photo.png"
    make_photo(16, 16).convert("L").save(source)
    common = [str(source), "--out", str(tmp_path / "o"), "--device", "cpu"]
    for bad in ("0.5,0.5", "1.5,0.5,#ffffff", "0.5,nan,#ffffff", "0.5,0.5,red", "0x1,0.5,#ffffff"):
        with pytest.raises(SystemExit) as exited:
            main([*common, "--artifact", str(tiny_hint_artifact), "--hint", bad])
        assert exited.value.code == 2
        assert "--hint" in capsys.readouterr().err
    bad_file = tmp_path / "bad.json"
    bad_file.write_text('[{"x": 2, "y": 0, "color": "#000000"}]')
    with pytest.raises(SystemExit):
        main([*common, "--artifact", str(tiny_hint_artifact), "--hints", str(bad_file)])
    assert "outside [0, 1]" in capsys.readouterr().err
    assert main([*common, "--artifact", str(tiny_artifact), "--hint", "0.5,0.5,#ffffff"]) == 2
    assert "does not take colour hints" in capsys.readouterr().err
    assert not (tmp_path / "o" / "photo-colorized.png").exists()


def test_every_colorize_option_of_the_api_is_a_flag():
    from colorizer_cli.colorize import build_parser
    from colorizer_cli.option_flags import flag_of
    from model.options import COLORIZE_OPTIONS
    from video.options import VIDEO_OPTIONS

    flags = {flag for action in build_parser()._actions for flag in action.option_strings}
    assert {flag_of(option) for option in (*COLORIZE_OPTIONS, *VIDEO_OPTIONS)} <= flags
    assert "--crf" in flags
    assert "--hint" in flags


def test_colour_photos_are_named_and_kept_with_colour_photos_keep(tiny_artifact, tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    colour = make_photo(40, 30)
    colour.save(inputs / "holiday.png")
    colour.convert("L").save(inputs / "scan.png")
    common = ["--artifact", str(tiny_artifact), "--device", "cpu"]

    assert main([str(inputs), "--out", str(tmp_path / "colorized"), *common]) == 0
    err = capsys.readouterr().err
    assert "1 photos were already in colour: colorized from their gray" in err and "holiday.png" in err
    report = json.loads((tmp_path / "colorized" / "colorize-report.json").read_text())
    assert report["colour_photos"] == {"action": "colorize", "photos": ["holiday.png"]}

    assert main([str(inputs), "--out", str(tmp_path / "kept"), "--colour-photos", "keep", *common]) == 0
    assert "kept as they are" in capsys.readouterr().err
    kept = np.asarray(Image.open(tmp_path / "kept" / "holiday-colorized.png").convert("RGB"))
    assert np.array_equal(kept, np.asarray(colour.convert("RGB")))  # its own colours, untouched
    assert Image.open(tmp_path / "kept" / "scan-colorized.png").mode == "RGB"  # the gray scan was colorized
