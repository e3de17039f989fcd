"""Files in, colorized files out: what the offline engines (local and Ray) share.

Inputs and outputs are local paths or fsspec URLs (`s3://bucket/prefix`,
`gs://...`, `file:///...`; the matching fsspec backend, e.g. s3fs, must be
installed). An input folder is searched recursively; each result is written
under the output root with the input's relative path, named
`<stem>-colorized.<ext>` (a video keeps its own container: `clip.mov` ->
`clip-colorized.mov`; `colorizer_cli.batch_video` colorizes it). A file that
cannot be read, decoded, colorized or written becomes a `Failure` (path, stable
code, message) and never stops the others. The same input always gives the same
output name, which is what makes a run resumable: an input whose output exists is
done.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem
from PIL import Image, UnidentifiedImageError

from model.colour_input import is_colour_photo
from model.image_formats import DEFAULT_QUALITY, IMAGE_SUFFIXES, OUTPUT_FORMATS, encode_image
from model.options import ColorizeOptions
from video.formats import DEFAULT_CRF, VIDEO_SUFFIXES, is_video_name

_INPUT_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES
# The model's render size, no vibrance change, no hints.
DEFAULT_OPTIONS = ColorizeOptions()
# Written beside the outputs at the end of every run (not an image: never read back as an input).
REPORT_NAME = "colorize-report.json"


@dataclass(frozen=True)
class InputFile:
    """One image or film to colorize: where to read it, and its path relative to the output root."""

    url: str  # a local path, or an fsspec URL
    relative: str  # posix path, e.g. "1931/wedding.jpg"

    @property
    def is_video(self) -> bool:
        """Whether it goes to the video path (its suffix is a video's; an animated GIF is one)."""
        return is_video_name(self.relative)


@dataclass(frozen=True)
class Failure:
    """An input that produced no output, as recorded in the report."""

    path: str
    code: str
    message: str


class FileError(Exception):
    """What went wrong with one file, as a stable code and a message naming the file at fault."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    return isinstance(fs, LocalFileSystem)


def _url_of(fs: fsspec.AbstractFileSystem, path: str) -> str:
    """A path the user recognises: plain for local files, protocol://... otherwise."""
    return path if _is_local(fs) else fs.unstrip_protocol(path)


@dataclass(frozen=True)
class OutputSettings:
    """Where and how results are written. Plain strings only, so it pickles to Ray workers."""

    root: str  # output folder or URL
    file_format: str = "png"  # a key of OUTPUT_FORMATS
    quality: int = DEFAULT_QUALITY  # JPEG/WebP
    crf: int = DEFAULT_CRF  # videos: quality on x264's scale (video.formats)

    @property
    def extension(self) -> str:
        return OUTPUT_FORMATS[self.file_format].extension

    def filesystem(self) -> tuple[fsspec.AbstractFileSystem, str]:
        """(filesystem, root path without protocol); fsspec caches filesystem instances."""
        fs, root = fsspec.core.url_to_fs(self.root)
        return fs, root.rstrip("/") or "/"

    def path_for(self, relative: str, root: str | None = None) -> str:
        """The output's path (no protocol) for an input's relative path."""
        root = root if root is not None else self.filesystem()[1]
        folder, name = posixpath.split(relative)
        stem, suffix = posixpath.splitext(name)
        extension = suffix[1:].lower() if is_video_name(name) else self.extension
        return posixpath.join(root, folder, f"{stem}-colorized.{extension}")

    def url_for(self, relative: str) -> str:
        fs, root = self.filesystem()
        return _url_of(fs, self.path_for(relative, root))


def list_inputs(sources: Sequence[str], exclude: str | None = None) -> list[InputFile]:
    """Every image or video file named, or found (recursively, sorted) under a named folder.

    A named path that does not exist is kept, so that it is reported as not found.
    Files under `exclude` (the output root, when it lies inside an input folder)
    are left out: earlier results are never colorized again as inputs.
    """
    excluded = None
    if exclude is not None:
        exclude_fs, exclude_root = fsspec.core.url_to_fs(exclude)
        excluded = (exclude_fs.protocol, exclude_root.rstrip("/") + "/")
    found: list[InputFile] = []
    for source in sources:
        fs, root = fsspec.core.url_to_fs(source)
        root = root.rstrip("/") or "/"
        if not fs.isdir(root):
            found.append(InputFile(source, posixpath.basename(root)))
            continue
        # Found files are named from the source as the user wrote it ("old/a.jpg", "s3://b/old/a.jpg").
        prefix = source if source.endswith("/") else f"{source}/"
        for path in sorted(fs.find(root)):
            if posixpath.splitext(path)[1].lower() not in _INPUT_SUFFIXES:
                continue
            if excluded and fs.protocol == excluded[0] and path.startswith(excluded[1]):
                continue
            relative = posixpath.relpath(path, root)
            found.append(InputFile(prefix + relative, relative))
    return found


def existing_outputs(output: OutputSettings) -> set[str]:
    """Paths (no protocol) of every file already under the output root: one listing, not one check per file."""
    fs, root = output.filesystem()
    if not fs.isdir(root):
        return set()
    return {path.rstrip("/") for path in fs.find(root)}


def pending_inputs(inputs: Sequence[InputFile], output: OutputSettings) -> list[InputFile]:
    """The inputs whose output does not exist yet (what a resumed run still has to do)."""
    done = existing_outputs(output)
    root = output.filesystem()[1]
    return [item for item in inputs if output.path_for(item.relative, root) not in done]


def read_image(url: str) -> Image.Image:
    """Read and fully decode one input, or raise FileError with a stable code."""
    try:
        with fsspec.open(url, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise FileError("not_found", "file not found") from None
    except (OSError, ValueError) as error:
        raise FileError("unreadable", f"could not be read ({error.__class__.__name__}: {error})") from None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except Image.DecompressionBombError as error:
        raise FileError("too_many_pixels", f"too many pixels to colorize ({error})") from None
    except UnidentifiedImageError:
        raise FileError("not_an_image", "not a readable image (unknown or corrupt format)") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise FileError("decode_failed", f"could not be decoded ({error})") from None


def write_file(url: str, data: bytes) -> None:
    """Write `data` whole or not at all, so a run killed mid-write never leaves a half file that looks done.

    Local files go through a temporary name and a rename; object stores (S3, GCS)
    already make a single put appear atomically.
    """
    fs, path = fsspec.core.url_to_fs(url)
    try:
        if _is_local(fs):
            folder, name = os.path.split(path)
            os.makedirs(folder, exist_ok=True)
            temporary = os.path.join(folder, f".{name}.tmp-{uuid.uuid4().hex}")
            try:
                with open(temporary, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, path)
            finally:
                if os.path.exists(temporary):
                    os.remove(temporary)
        else:
            fs.makedirs(posixpath.dirname(path), exist_ok=True)
            fs.pipe_file(path, data)
    except OSError as error:
        raise FileError("write_failed", f"the output {url} could not be written ({error.strerror or error})") from None


def _colorize_each(
    colorizer: Any, images: list[Image.Image], options: ColorizeOptions
) -> list[Image.Image | FileError]:
    """colorize_batch (one forward per render shape), or one by one when the batch fails, to find the culprit."""
    steering = {"render_size": options.render_size, "vibrance": options.vibrance}
    try:
        return list(colorizer.colorize_batch(images, hints=[options.hints] * len(images), **steering))
    except Exception:  # noqa: BLE001 - narrowed below, file by file
        results: list[Image.Image | FileError] = []
        for image in images:
            try:
                results.append(colorizer.colorize(image, hints=options.hints, **steering))
            except Exception as error:  # noqa: BLE001 - a bad file must never stop the run
                results.append(
                    FileError("colorize_failed", f"could not be colorized ({error.__class__.__name__}: {error})")
                )
        return results


def colorize_files(
    colorizer: Any,
    inputs: Sequence[InputFile],
    output: OutputSettings,
    options: ColorizeOptions = DEFAULT_OPTIONS,
    keep_colour_photos: bool = False,
    colour_photos: list[str] | None = None,
) -> list[Failure | None]:
    """Read, colorize (as one batch) and write `inputs`; for each input its Failure, or None when it was written.

    `options`: render size, vibrance and hints (the same hints for every input); the output's format and
    quality are `output`'s. Inputs that are already colour photos (model.colour_input) are appended to
    `colour_photos` when given; with `keep_colour_photos` they are written as they are, not colorized.
    """
    outcomes: list[Failure | None] = [None] * len(inputs)
    decoded: dict[int, Image.Image] = {}
    kept: dict[int, Image.Image] = {}
    for index, item in enumerate(inputs):
        try:
            image = read_image(item.url)
        except FileError as error:
            outcomes[index] = Failure(item.url, error.code, error.message)
            continue
        in_colour = is_colour_photo(image)
        if in_colour and colour_photos is not None:
            colour_photos.append(item.relative)
        (kept if in_colour and keep_colour_photos else decoded)[index] = image
    results = _colorize_each(colorizer, list(decoded.values()), options) if decoded else []
    # A kept colour photo is its own result.
    pairs = [*zip(decoded, results, strict=False), *kept.items()]
    decoded.update(kept)
    for index, result in pairs:
        item = inputs[index]
        try:
            if isinstance(result, FileError):
                raise result
            write_file(
                output.url_for(item.relative), encode_image(result, OUTPUT_FORMATS[output.file_format], output.quality)
            )
        except FileError as error:
            outcomes[index] = Failure(item.url, error.code, error.message)
        finally:
            decoded[index].close()
    return outcomes


def write_report(output: OutputSettings, summary: dict[str, Any], failures: Sequence[Failure]) -> str:
    """Write the run's report beside the outputs; returns where it went."""
    report = {**summary, "failures": [asdict(failure) for failure in failures]}
    fs, root = output.filesystem()
    url = _url_of(fs, posixpath.join(root, REPORT_NAME))
    write_file(url, (json.dumps(report, indent=2) + "\n").encode())
    return url
