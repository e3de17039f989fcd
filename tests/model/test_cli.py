import numpy as np
from PIL import Image

from model.cli import main
from tests.conftest import make_photo


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
    assert "skipped" in err and "broken.jpg" in err and "colorized 3 of 4" in err
    assert Image.open(out / "a-colorized.png").size == (40, 30)
    assert Image.open(out / "nested" / "tall-colorized.png").size == (33, 517)
    assert Image.open(out / "single-colorized.png").size == (1, 1)


def test_jpeg_output_and_success_status(tiny_artifact, tmp_path):
    source = tmp_path / "photo.png"
    image = make_photo(48, 48).convert("RGBA")
    image.putalpha(128)
    image.save(source)
    status = main([str(source), "--out", str(tmp_path / "o"), "--format", "jpeg", "--render-size", "64",
                   "--artifact", str(tiny_artifact), "--device", "cpu"])
    assert status == 0
    result = Image.open(tmp_path / "o" / "photo-colorized.jpg")
    assert result.format == "JPEG" and result.mode == "RGB" and result.size == (48, 48)
    assert np.asarray(result).std() > 0


def test_clear_errors_for_bad_arguments(tiny_artifact, tmp_path, capsys):
    assert main([str(tmp_path), "--out", str(tmp_path / "o"), "--artifact", str(tiny_artifact)]) == 2
    assert "no images found" in capsys.readouterr().err
    source = tmp_path / "x.png"
    make_photo(8, 8).save(source)
    assert main([str(source), "--out", str(tmp_path / "o"), "--render-size", "5", "--artifact", str(tiny_artifact)]) == 2
    assert "--render-size" in capsys.readouterr().err
    assert main([str(source), "--out", str(tmp_path / "o"), "--artifact", str(tmp_path / "missing.safetensors")]) == 2
    assert "not found" in capsys.readouterr().err


def test_an_unwritable_output_is_named_as_the_problem(tiny_artifact, tmp_path, capsys):
    source = tmp_path / "photo.png"
    make_photo(16, 16).convert("L").save(source)
    # Unwritable even for root: a file stands where the output folder should be...
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    out = blocker / "colorized"
    assert main([str(source), "--out", str(out), "--artifact", str(tiny_artifact), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert f"the output folder {out} cannot be created" in err and "decoded" not in err
    # ... or a folder where the output file should be.
    out = tmp_path / "out"
    (out / "photo-colorized.png").mkdir(parents=True)
    assert main([str(source), "--out", str(out), "--artifact", str(tiny_artifact), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert f"the output {out / 'photo-colorized.png'} could not be written" in err
    assert "decoded" not in err and "not a readable image" not in err
