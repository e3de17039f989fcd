"""`colorizer colorize --engine ray` on a real local Ray (2 CPUs), against the local engine.

Starting Ray and its actors costs about half a minute on the build machine, so the
module starts Ray once and its tests share the runs: one archive of a few dozen
small images in a few shapes and modes (plus two bad files), colorized once by each
engine.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import ray
import torch
from PIL import Image

from colorizer_cli.colorize import main
from tests.conftest import make_photo

BAD_FILES = {"scans/corrupt.jpg": "not_an_image", "cut.png": "decode_failed"}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """30 good images (grey, RGB, RGBA; PNG and JPEG; four sizes, nested folders) and two bad files."""
    root = tmp_path_factory.mktemp("archive")
    (root / "scans" / "1931").mkdir(parents=True)
    sizes = [(40, 30), (30, 40), (64, 64), (50, 20)]
    for index in range(30):
        image = make_photo(*sizes[index % 4], seed=index)
        image = [image.convert("L"), image, image.convert("RGBA")][index % 3]
        folder = ["", "scans/", "scans/1931/"][index % 3]
        suffix = "jpg" if index % 5 == 0 and image.mode != "RGBA" else "png"
        image.save(root / f"{folder}photo{index:02d}.{suffix}")
    (root / "scans" / "corrupt.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    whole = root / "scans" / "photo01.png"
    (root / "cut.png").write_bytes(whole.read_bytes()[:120])
    return root


def colorize_with_each_engine(source, artifact, out_folders, *flags):
    """`source` colorized by the local engine and by the Ray engine: {engine: (status, output folder)}.

    The local engine runs torch on one thread, as each 1-CPU actor does: the thread
    count changes the order of float sums, which may move a value by one level.
    """
    results = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for engine in ("local", "ray"):
            out = out_folders.mktemp(f"out-{engine}")
            arguments = [str(source), "--out", str(out), "--artifact", str(artifact), "--device", "cpu", *flags]
            results[engine] = (main([*arguments, "--engine", engine]), out)
    finally:
        torch.set_num_threads(threads)
    return results


@pytest.fixture(scope="module")
def runs(archive, tiny_artifact, tmp_path_factory, local_ray):
    """The archive colorized by each engine: (status, output folder) of each."""
    return colorize_with_each_engine(archive, tiny_artifact, tmp_path_factory, "--batch-size", "4")


def images_under(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*-colorized.png"))


def report_of(folder):
    return json.loads((folder / "colorize-report.json").read_text())


def test_ray_gives_the_local_engines_outputs(runs):
    (local_status, local_out), (ray_status, ray_out) = runs["local"], runs["ray"]
    assert local_status == ray_status == 1  # the two bad files
    names = images_under(local_out)
    assert len(names) == 30
    assert images_under(ray_out) == names
    for name in names:
        with Image.open(local_out / name) as expected, Image.open(ray_out / name) as got:
            assert got.size == expected.size and got.mode == expected.mode, name
            assert np.array_equal(np.asarray(got), np.asarray(expected)), name


def test_bad_files_are_reported_while_the_rest_finish(runs, archive):
    report = report_of(runs["ray"][1])
    assert report["engine"] == "ray"
    assert (report["inputs"], report["attempted"], report["failed"]) == (32, 32, 2)
    assert {failure["path"]: failure["code"] for failure in report["failures"]} == {
        str(archive / name): code for name, code in BAD_FILES.items()
    }
    assert all(failure["message"] for failure in report["failures"])


def test_colour_photos_are_named_and_kept_as_the_local_engine_does(runs, tiny_artifact, tmp_path_factory):
    """The archive's report names the same colour photos on both engines; with `--colour-photos keep` both
    write them as they are and colorize the rest the same way."""
    named = report_of(runs["ray"][1])["colour_photos"]
    assert named == report_of(runs["local"][1])["colour_photos"]
    assert named["action"] == "colorize" and len(named["photos"]) == 20  # the RGB and RGBA ones

    source = tmp_path_factory.mktemp("colour-photos")
    (source / "album").mkdir()
    holiday, beach = make_photo(40, 30, seed=1), make_photo(30, 40, seed=2)
    holiday.save(source / "album" / "holiday.png")
    beach.save(source / "beach.jpg", quality=95)
    holiday.convert("L").save(source / "scan.png")
    kept = colorize_with_each_engine(source, tiny_artifact, tmp_path_factory, "--colour-photos", "keep")
    (local_status, local_out), (ray_status, ray_out) = kept["local"], kept["ray"]
    assert local_status == ray_status == 0
    assert report_of(ray_out)["colour_photos"] == {"action": "keep", "photos": ["album/holiday.png", "beach.jpg"]}
    assert report_of(local_out)["colour_photos"] == report_of(ray_out)["colour_photos"]
    names = images_under(local_out)
    assert (
        names == images_under(ray_out) == ["album/holiday-colorized.png", "beach-colorized.png", "scan-colorized.png"]
    )
    for name in names:
        with Image.open(local_out / name) as expected, Image.open(ray_out / name) as got:
            assert np.array_equal(np.asarray(got), np.asarray(expected)), name
    with Image.open(ray_out / "album" / "holiday-colorized.png") as written:
        assert np.array_equal(np.asarray(written.convert("RGB")), np.asarray(holiday))  # its own colours
    with Image.open(ray_out / "scan-colorized.png") as scan:
        assert scan.mode == "RGB"  # the gray scan was colorized


def test_a_rerun_redoes_only_what_is_missing_then_skips_everything(runs, archive, tiny_artifact, tmp_path):
    source, out = tmp_path / "archive", tmp_path / "out"
    shutil.copytree(archive, source)
    shutil.copytree(runs["ray"][1], out)
    removed = images_under(out)[::10]
    for name in removed:
        (out / name).unlink()
    kept = {name: (out / name).stat().st_mtime_ns for name in images_under(out)}
    # Through file:// URLs this time: the fsspec path that s3:// or gs:// would take.
    arguments = [f"file://{source}", "--out", f"file://{out}", "--artifact", str(tiny_artifact), "--engine", "ray"]

    assert main(arguments) == 1  # the bad files are tried again, and fail again
    report = report_of(out)
    assert (report["skipped_existing"], report["attempted"], report["failed"]) == (27, 5, 2)
    assert images_under(out) == images_under(runs["local"][1])
    assert {name: (out / name).stat().st_mtime_ns for name in kept} == kept, "done outputs were not rewritten"
    for name in removed:
        with Image.open(out / name) as redone, Image.open(runs["local"][1] / name) as expected:
            assert np.array_equal(np.asarray(redone), np.asarray(expected))

    for name in BAD_FILES:
        (source / name).unlink()
    assert main(arguments) == 0
    report = report_of(out)
    assert (report["skipped_existing"], report["attempted"], report["failed"]) == (30, 0, 0)


def test_films_are_one_task_each_beside_photos(local_ray, tiny_artifact, tmp_path):
    """Two films, a broken one and a photo over Ray (file:// URLs, as a bucket would be read); a rerun resumes."""
    from tests.video.clips import frame_timestamps, pan_frames, write_clip

    source, out = tmp_path / "films", tmp_path / "out"
    (source / "reel").mkdir(parents=True)
    write_clip(source / "reel" / "one.mp4", pan_frames(6, 64, 48), audio="aac")
    write_clip(source / "two.webm", pan_frames(4, 64, 48, seed=1))
    (source / "broken.mov").write_bytes(b"\x00\x00\x00\x18ftypqt  " + b"\x00" * 40)
    make_photo(40, 30).save(source / "still.png")
    arguments = [f"file://{source}", "--out", f"file://{out}", "--artifact", str(tiny_artifact), "--engine", "ray"]
    assert main(arguments) == 1
    report = report_of(out)
    assert (report["attempted"], report["failed"]) == (4, 1)
    assert [(failure["path"].split("/")[-1], failure["code"]) for failure in report["failures"]] == [
        ("broken.mov", "not_a_video")
    ]
    assert frame_timestamps(out / "reel" / "one-colorized.mp4") == frame_timestamps(source / "reel" / "one.mp4")
    assert len(frame_timestamps(out / "two-colorized.webm")) == 4
    assert (out / "still-colorized.png").exists()
    (out / "two-colorized.webm").unlink()
    assert main(arguments) == 1
    report = report_of(out)
    assert (report["skipped_existing"], report["attempted"]) == (2, 2)
    assert (out / "two-colorized.webm").exists()
