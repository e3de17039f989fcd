"""tools.gpu_staging.parts: parts that fit a transfer, checked and unpacked on the other side."""

import json
import subprocess

import pytest

from tools.gpu_staging.parts import (
    StagingError,
    build_parts,
    staged_parts,
    unpack_part,
    working_tree_bytes,
    zip_bytes,
)


def _folders(tmp_path, counts=(("train", 30), ("extra", 20), ("val", 5))):
    folders = {}
    for name, count in counts:
        folder = tmp_path / "source" / name
        (folder / "sub").mkdir(parents=True)
        for index in range(count):
            target = folder / ("sub" if index % 7 == 0 else "") / f"{index:03d}.webp"
            target.write_bytes(bytes([index % 251]) * (900 + 37 * index))
        folders[name] = folder
    return folders


def test_parts_fit_the_limit_hold_every_file_once_and_unpack_to_the_same_bytes(tmp_path):
    folders = _folders(tmp_path)
    limit = 20_000
    parts = build_parts(folders, tmp_path / "stage", limit, notes={"quality": 45})
    assert len(parts) >= 3
    manifests = [json.loads((part / "manifest.json").read_text()) for part in parts]
    for part, manifest in zip(parts, manifests, strict=False):
        archive = part / manifest["archive"]
        assert archive.stat().st_size == manifest["bytes"] <= limit
        assert manifest["parts"] == len(parts) and manifest["notes"] == {"quality": 45}
    assert len({m["build"] for m in manifests}) == 1
    # Every part holds a share of every folder (photos are dealt in a shuffled order).
    assert all(set(m["files"]) == {"train", "extra", "val"} for m in manifests[:2])
    dest = tmp_path / "machine"
    for number, part in enumerate(parts, start=1):
        present, missing, _ = staged_parts(dest)
        assert present == list(range(1, number)) and (missing == list(range(number, len(parts) + 1)) or number == 1)
        unpack_part(part, dest)
        unpack_part(part, dest)  # a part carried twice is unpacked once
    present, missing, counts = staged_parts(dest)
    assert missing == [] and counts == {"train": 30, "extra": 20, "val": 5}
    for name, folder in folders.items():
        for source in folder.rglob("*.webp"):
            assert (dest / name / source.relative_to(folder)).read_bytes() == source.read_bytes()


def test_the_size_estimate_is_exact():
    import io
    import zipfile

    entries = [("train/a.webp", 10), ("train/sub/bb.webp", 1000), ("val/ccc.webp", 0)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as bundle:
        for name, size in entries:
            bundle.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), b"x" * size)
    assert zip_bytes(entries) == len(buffer.getvalue())


def test_a_corrupted_truncated_or_foreign_part_is_refused(tmp_path):
    folders = _folders(tmp_path)
    parts = build_parts(folders, tmp_path / "stage", 20_000)
    archive = parts[0] / "photos.zip"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(StagingError, match="SHA-256"):
        unpack_part(parts[0], tmp_path / "machine")
    archive.write_bytes(bytes(data[:-10]))
    with pytest.raises(StagingError, match="truncated"):
        unpack_part(parts[0], tmp_path / "machine")
    with pytest.raises(StagingError, match="manifest"):
        unpack_part(tmp_path / "stage", tmp_path / "machine")
    # A part of another build beside this one's on the machine.
    unpack_part(parts[1], tmp_path / "machine")
    other = build_parts({"train": folders["train"]}, tmp_path / "other", 20_000)
    unpack_part(other[0], tmp_path / "machine")
    with pytest.raises(StagingError, match="different builds"):
        staged_parts(tmp_path / "machine")
    with pytest.raises(StagingError, match="less than one file"):
        build_parts(folders, tmp_path / "tiny", 500)


def test_working_tree_bytes_count_tracked_and_unignored_files(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    (tmp_path / "tracked.bin").write_bytes(b"a" * 1000)
    git("add", ".")
    (tmp_path / "untracked.bin").write_bytes(b"b" * 300)
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "big.bin").write_bytes(b"c" * 50_000)
    assert working_tree_bytes(tmp_path) == 1000 + 300 + len("ignored/\n")
