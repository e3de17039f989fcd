"""The file side of the offline engines: listing, naming, resuming, reading and writing."""

import os

import pytest
from PIL import Image

from colorizer_cli.batch_io import (
    FileError,
    InputFile,
    OutputSettings,
    list_inputs,
    pending_inputs,
    read_image,
    write_file,
)
from model.image_formats import OUTPUT_FORMATS, encode_image
from tests.conftest import make_photo


def test_lists_folders_recursively_keeps_relative_paths_and_skips_the_output_folder(tmp_path):
    (tmp_path / "in" / "1931").mkdir(parents=True)
    (tmp_path / "in" / "out").mkdir()
    for name in ("a.JPG", "1931/b.png", "notes.txt", "out/a-colorized.png"):
        (tmp_path / "in" / name).write_bytes(b"x")
    listed = list_inputs([str(tmp_path / "in"), str(tmp_path / "missing.png")], exclude=str(tmp_path / "in" / "out"))
    assert listed == [
        InputFile(f"{tmp_path}/in/1931/b.png", "1931/b.png"),
        InputFile(f"{tmp_path}/in/a.JPG", "a.JPG"),
        InputFile(str(tmp_path / "missing.png"), "missing.png"),  # kept, to be reported as not found
    ]
    # The same folder as a URL: same relative paths, URLs to read from.
    as_url = list_inputs([f"file://{tmp_path}/in/"], exclude=f"file://{tmp_path}/in/out")
    assert [item.relative for item in as_url] == ["1931/b.png", "a.JPG"]
    assert as_url[0].url == f"file://{tmp_path}/in/1931/b.png"


def test_output_names_and_resuming_from_one_listing(tmp_path):
    output = OutputSettings(f"file://{tmp_path}/out", "jpeg")
    assert output.url_for("1931/b.png") == f"{tmp_path}/out/1931/b-colorized.jpg"
    items = [InputFile("x", "1931/b.png"), InputFile("y", "c.tif")]
    assert pending_inputs(items, output) == items  # no output folder yet
    write_file(output.url_for("1931/b.png"), b"done")
    assert pending_inputs(items, output) == [items[1]]
    assert pending_inputs(items, OutputSettings(str(tmp_path / "out"), "png")) == items  # another format: not done


def test_read_errors_have_stable_codes(tmp_path):
    (tmp_path / "text.jpg").write_text("not an image")
    make_photo(32, 32).save(tmp_path / "whole.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:200])
    codes = {}
    for name in ("missing.png", "text.jpg", "cut.png"):
        with pytest.raises(FileError) as caught:
            read_image(str(tmp_path / name))
        codes[name] = caught.value.code
    assert codes == {"missing.png": "not_found", "text.jpg": "not_an_image", "cut.png": "decode_failed"}
    assert read_image(str(tmp_path / "whole.png")).size == (32, 32)


def test_writes_are_whole_or_absent_and_name_the_output_when_they_fail(tmp_path):
    target = tmp_path / "deep" / "er" / "x.png"
    write_file(str(target), encode_image(make_photo(8, 8), OUTPUT_FORMATS["png"]))
    assert Image.open(target).size == (8, 8)
    assert sorted(os.listdir(target.parent)) == ["x.png"], "no temporary file left behind"
    (tmp_path / "blocked").write_text("a file where a folder should be")
    with pytest.raises(FileError) as caught:
        write_file(str(tmp_path / "blocked" / "y.png"), b"data")
    assert caught.value.code == "write_failed" and "blocked/y.png" in caught.value.message
