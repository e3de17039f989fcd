"""Move photo folders to a machine whose transfers are capped (the GPU machine: 64 MiB a call).

`build_parts` packs folders into numbered parts, each one stored (uncompressed) zip
archive (the photos are WebP already; a zip entry costs ~100 bytes of headers where
a tar entry costs 512 to 1,023, which for 14k photos of 7 KB is 10 MiB, a third of a
transfer) plus a manifest with its SHA-256, every part small enough
to travel beside the repository's working tree in one transfer. Photos are dealt
to the parts round-robin in a seeded shuffled order, so each part holds a random
share of every folder. `unpack_part` checks a part's hash and unpacks it; the
`staged` record of each part it writes lets `staged_parts` say which parts are
still missing.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from model.artifact import file_sha256

MIB = 1024 * 1024
# What one transfer to the GPU machine may carry, working tree included.
TRANSFER_LIMIT_BYTES = 64 * MIB
MANIFEST_NAME = "manifest.json"
ARCHIVE_NAME = "photos.zip"
_STAGED_RECORDS = ".staged"
# Fixed sizes of a zip's local header, central directory entry and end record.
_ZIP_LOCAL, _ZIP_CENTRAL, _ZIP_END = 30, 46, 22
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # every entry's time: the same photos give the same archive


class StagingError(RuntimeError):
    """A part is corrupt, incomplete, or parts are missing; the message says which."""


def working_tree_bytes(repo: str | Path) -> int:
    """Bytes of what travels with every call: tracked files plus untracked files git does not ignore."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=repo,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    total = 0
    for name in filter(None, listed):
        path = Path(repo) / name
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def zip_bytes(entries: list[tuple[str, int]]) -> int:
    """Size of a stored zip archive of (name, size) entries."""
    return sum(_ZIP_LOCAL + _ZIP_CENTRAL + 2 * len(name.encode()) + size for name, size in entries) + _ZIP_END


@dataclass(frozen=True)
class _Photo:
    folder: str  # the name it is staged under
    path: Path
    relative: str  # path inside its folder
    size: int

    @property
    def member(self) -> str:
        return f"{self.folder}/{self.relative}"


def _deal(photos: list[_Photo], parts: int) -> list[list[_Photo]]:
    return [photos[index::parts] for index in range(parts)]


def build_parts(
    folders: dict[str, Path],
    out_dir: str | Path,
    max_part_bytes: int,
    seed: int = 0,
    notes: dict | None = None,
) -> list[Path]:
    """Pack `folders` (staged name -> folder of files) into as few parts as fit `max_part_bytes` each.

    Writes out_dir/partNN/{photos.zip, manifest.json} and returns the part folders.
    `notes` (e.g. how the photos were prepared) goes into every manifest.
    """
    out_dir = Path(out_dir)
    photos = []
    for name, folder in sorted(folders.items()):
        files = sorted(p for p in Path(folder).rglob("*") if p.is_file())
        if not files:
            raise StagingError(f"nothing to stage in {folder}")
        photos += [_Photo(name, path, path.relative_to(folder).as_posix(), path.stat().st_size) for path in files]
    # One id for the whole set, so parts of two different builds are never mixed on the machine.
    build = hashlib.sha256(json.dumps(sorted((p.member, p.size) for p in photos)).encode()).hexdigest()[:16]
    random.Random(seed).shuffle(photos)

    def archive_bytes(group: list[_Photo]) -> int:
        return zip_bytes([(p.member, p.size) for p in group])

    largest = max(photos, key=lambda p: p.size)
    if archive_bytes([largest]) > max_part_bytes:
        raise StagingError(f"a part may hold at most {max_part_bytes} bytes, less than one file ({largest.size} bytes)")
    parts = max(1, -(-archive_bytes(photos) // max_part_bytes))
    while max(archive_bytes(dealt) for dealt in _deal(photos, parts)) > max_part_bytes:
        parts += 1
    for old in out_dir.glob("part[0-9][0-9]"):
        shutil.rmtree(old)
    written = []
    for number, dealt in enumerate(_deal(photos, parts), start=1):
        part_dir = out_dir / f"part{number:02d}"
        part_dir.mkdir(parents=True)
        archive = part_dir / ARCHIVE_NAME
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as bundle:
            for photo in sorted(dealt, key=lambda p: p.member):
                bundle.writestr(zipfile.ZipInfo(photo.member, date_time=_ZIP_DATE), photo.path.read_bytes())
        counts: dict[str, int] = {}
        for photo in dealt:
            counts[photo.folder] = counts.get(photo.folder, 0) + 1
        manifest = {
            "part": number,
            "parts": parts,
            "archive": ARCHIVE_NAME,
            "bytes": archive.stat().st_size,
            "sha256": file_sha256(archive),
            "files": counts,
            "seed": seed,
            "build": build,
            "notes": notes or {},
        }
        (part_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        written.append(part_dir)
    return written


def read_manifest(part_dir: str | Path) -> dict:
    path = Path(part_dir) / MANIFEST_NAME
    if not path.is_file():
        raise StagingError(f"{part_dir}: no {MANIFEST_NAME} (not a staging part, or an incomplete transfer)")
    return json.loads(path.read_text())


def unpack_part(part_dir: str | Path, dest: str | Path) -> dict:
    """Check a part's archive against its manifest and unpack it under `dest`; returns the manifest.

    Unpacking again is a no-op once the part's record exists (consecutive calls may carry a part twice).
    """
    part_dir, dest = Path(part_dir), Path(dest)
    manifest = read_manifest(part_dir)
    record = dest / _STAGED_RECORDS / f"part{manifest['part']:02d}.json"
    if record.is_file() and json.loads(record.read_text()).get("sha256") == manifest["sha256"]:
        return manifest
    archive = part_dir / manifest["archive"]
    if not archive.is_file() or archive.stat().st_size != manifest["bytes"]:
        raise StagingError(f"{archive}: missing or truncated ({manifest['bytes']} bytes expected)")
    if file_sha256(archive) != manifest["sha256"]:
        raise StagingError(f"{archive}: SHA-256 differs from its manifest (corrupted in transfer?)")
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
        found: dict[str, int] = {}
        for name in names:
            if name.startswith("/") or ".." in Path(name).parts:
                raise StagingError(f"{archive}: unsafe member name {name!r}")
            found[name.split("/", 1)[0]] = found.get(name.split("/", 1)[0], 0) + 1
        if found != manifest["files"]:
            raise StagingError(f"{archive}: holds {found}, its manifest says {manifest['files']}")
        bundle.extractall(dest)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def staged_manifests(dest: str | Path) -> list[dict]:
    """The manifests of the parts unpacked under `dest`, in part order."""
    records = sorted((Path(dest) / _STAGED_RECORDS).glob("part*.json"))
    return [json.loads(path.read_text()) for path in records]


def staged_parts(dest: str | Path) -> tuple[list[int], list[int], dict[str, int]]:
    """(parts unpacked under `dest`, parts still missing, photos per folder unpacked so far)."""
    manifests = staged_manifests(dest)
    if not manifests:
        return [], [], {}
    builds = {m["build"] for m in manifests}
    if len(builds) > 1:
        raise StagingError(
            f"{dest} holds parts of {len(builds)} different builds ({', '.join(sorted(builds))}): remove it and stage again"
        )
    expected = manifests[0]["parts"]
    present = sorted(m["part"] for m in manifests)
    counts: dict[str, int] = {}
    for manifest in manifests:
        for folder, count in manifest["files"].items():
            counts[folder] = counts.get(folder, 0) + count
    return present, [n for n in range(1, expected + 1) if n not in present], counts
