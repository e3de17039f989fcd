"""Offline colorization of files and folders, no server needed.

    python -m model photo.jpg old_photos/ --out colorized/ [--render-size 384] [--format jpeg]
    colorizer colorize ...   (the same, from the installed console command)

Folders are searched recursively; outputs keep the folder structure and are named
`<stem>-colorized.<ext>`. Unreadable files are reported and skipped; the exit
status is 1 if any input failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from model.artifact import ArtifactError, default_artifact_path
from model.backends import BACKENDS
from model.colorizer import MAX_RENDER_SIZE, MIN_RENDER_SIZE, Colorizer
from model.preprocessing import flatten_alpha

INPUT_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
FORMATS = {"png": ("PNG", "png"), "jpeg": ("JPEG", "jpg"), "webp": ("WEBP", "webp")}


def collect_inputs(paths: list[str]) -> list[tuple[Path, Path]]:
    """(file, path relative to its output folder) for every input file or image under an input folder."""
    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in INPUT_SUFFIXES:
                    found.append((child, child.relative_to(path)))
        else:
            found.append((path, Path(path.name)))
    return found


def output_path(out_dir: Path, relative: Path, extension: str) -> Path:
    return out_dir / relative.parent / f"{relative.stem}-colorized.{extension}"


def _progress(done: int, total: int, name: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:40]:<40}")
    sys.stderr.flush()


def save_image(image: Image.Image, path: Path, file_format: str, quality: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pillow_format = FORMATS[file_format][0]
    if pillow_format == "JPEG":
        image = flatten_alpha(image)  # JPEG has no alpha: lay it on white, as a viewer shows it
    options = {"quality": quality} if pillow_format in ("JPEG", "WEBP") else {}
    image.save(path, format=pillow_format, **options)


def build_parser(prog: str = "python -m model") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Colorize grayscale photos (files or whole folders) with the shipped or a given model.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", help="image files and/or folders (searched recursively)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--artifact", default=None, help=f"model artifact (.safetensors) or its .onnx file (default: {default_artifact_path()})"
    )
    parser.add_argument(
        "--render-size", type=int, default=None,
        help=f"short side the network sees, {MIN_RENDER_SIZE}-{MAX_RENDER_SIZE} (default: the model's)",
    )
    parser.add_argument("--format", choices=sorted(FORMATS), default="png", help="output format")
    parser.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    parser.add_argument(
        "--backend", choices=BACKENDS, default="auto",
        help="what runs the network: onnx (ONNX Runtime, CPU), torch, or auto (torch on CUDA, else onnx when installed)",
    )
    parser.add_argument("--threads", type=int, default=0, help="network threads (0: every core)")
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m model") -> int:
    args = build_parser(prog).parse_args(argv)
    if args.render_size is not None and not MIN_RENDER_SIZE <= args.render_size <= MAX_RENDER_SIZE:
        print(f"error: --render-size must be between {MIN_RENDER_SIZE} and {MAX_RENDER_SIZE}", file=sys.stderr)
        return 2
    inputs = collect_inputs(args.inputs)
    if not inputs:
        print("error: no images found in the given inputs", file=sys.stderr)
        return 2
    try:
        colorizer = Colorizer.load(args.artifact, device=args.device, backend=args.backend, threads=args.threads)
    except ArtifactError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{colorizer.name} {colorizer.version} on {colorizer.backend_name} ({colorizer.device})", file=sys.stderr)
    out_dir = Path(args.out)
    extension = FORMATS[args.format][1]
    failures = []
    for done, (path, relative) in enumerate(inputs, start=1):
        _progress(done - 1, len(inputs), path.name)
        try:
            with Image.open(path) as image:
                image.load()
                result = colorizer.colorize(image, render_size=args.render_size)
            save_image(result, output_path(out_dir, relative, extension), args.format, args.quality)
        except FileNotFoundError:
            failures.append((path, "file not found"))
        except (UnidentifiedImageError, Image.DecompressionBombError) as error:
            failures.append((path, f"not a readable image ({error.__class__.__name__})"))
        except (OSError, ValueError, SyntaxError) as error:
            failures.append((path, f"could not be decoded ({error})"))
        _progress(done, len(inputs), path.name)
    sys.stderr.write("\n")
    for path, reason in failures:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    print(f"colorized {len(inputs) - len(failures)} of {len(inputs)} images into {out_dir}", file=sys.stderr)
    return 1 if failures else 0
