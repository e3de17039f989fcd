"""`colorizer`: one command for the whole product, installed by `pip install 'lab-colorizer[...]'`.

    colorizer colorize photo.jpg old_photos/ --out colorized/     # offline
    colorizer serve --bind 0.0.0.0:8000                          # the REST service (gunicorn)
    colorizer video-worker                                       # video jobs, apart from the service
    colorizer train --data-dir photos/ --out-dir runs/mine       # python -m training train
    colorizer evaluate --data-dir held_out/
    colorizer export --checkpoint runs/mine/best.pt --out mine.safetensors --version 1.2.0  # + mine.onnx
    colorizer export --artifact mine.safetensors                 # just the ONNX file
    colorizer keys create --name archive --quota 500/day          # an API key for the gateway
    colorizer --version

Each subcommand needs an extra (`serve` for serving on ONNX Runtime, `train` for
training, evaluation and export); this module imports none of them itself, so a
missing one is reported as the extra to install instead of an ImportError.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from training.cli_support import DISTRIBUTION, package_version

_TRAIN_MODULES = ("torch", "torchvision", "skimage", "tqdm", "matplotlib", "tensorboard")


@dataclass(frozen=True)
class Subcommand:
    summary: str
    extra: str  # the extra that brings what it needs
    needs_all: tuple[str, ...]  # importable module names, all required
    needs_any: tuple[str, ...]  # at least one of these (the backends), when not empty
    run: Callable[[list[str]], int]


def _colorize(argv: list[str]) -> int:
    from colorizer_cli.colorize import main

    return main(argv)


def _serve(argv: list[str]) -> int:
    from colorizer_cli.serve import main

    return main(argv)


def _video_worker(argv: list[str]) -> int:
    if argv:
        print(
            "colorizer video-worker takes no options: it reads the COLORIZER_* variables "
            "(COLORIZER_VIDEO_DIR, COLORIZER_VIDEO_QUEUE_URL, COLORIZER_VIDEO_WORKERS, ...)",
            file=sys.stderr,
        )
        return 0 if argv[0] in ("-h", "--help") else 2
    from inference_service.video_worker import main

    return main()


def _keys(argv: list[str]) -> int:
    from colorizer_cli.keys import main

    return main(argv)


def _training(command: str) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        from training.cli import main

        return main([command, *argv], prog="colorizer")

    return run


SUBCOMMANDS: dict[str, Subcommand] = {
    "colorize": Subcommand("colorize files and folders offline", "serve", (), ("onnxruntime", "torch"), _colorize),
    "serve": Subcommand(
        "run the REST service with gunicorn and inference_service/gunicorn.conf.py",
        "serve",
        ("flask", "flask_cors", "gunicorn"),
        ("onnxruntime", "torch"),
        _serve,
    ),
    "video-worker": Subcommand(
        "run video jobs queued by the REST service (a Huey consumer; `serve` starts one itself)",
        "serve,video",
        ("flask", "huey", "av", "cv2"),
        ("onnxruntime", "torch"),
        _video_worker,
    ),
    # No extra for a keys file; keys in Redis need the keys extra (reported when used).
    "keys": Subcommand("create, list and revoke the gateway's API keys (GATEWAY_AUTH=keys)", "keys", (), (), _keys),
    "train": Subcommand("train a model (python -m training train)", "train", _TRAIN_MODULES, (), _training("train")),
    "evaluate": Subcommand(
        "PSNR / SSIM / colourfulness of a model against the grayscale baseline",
        "train",
        _TRAIN_MODULES,
        (),
        _training("evaluate"),
    ),
    "export": Subcommand(
        "checkpoint -> artifact (+ ONNX beside it), or artifact -> ONNX",
        "train",
        ("torch", "torchvision", "onnx", "onnxscript", "onnxruntime"),
        (),
        _training("export"),
    ),
    "average": Subcommand(
        "average the weights of several artifacts", "train", _TRAIN_MODULES, (), _training("average")
    ),
    "prepare-data": Subcommand(
        "write a compact WebP copy of a photo folder", "train", _TRAIN_MODULES, (), _training("prepare-data")
    ),
}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def missing_for(name: str) -> list[str]:
    """Module names the subcommand needs that are not installed (empty: it can run)."""
    spec = SUBCOMMANDS[name]
    missing = [module for module in spec.needs_all if not _installed(module)]
    if spec.needs_any and not any(_installed(module) for module in spec.needs_any):
        missing.append(" or ".join(spec.needs_any))
    return missing


def _install_hint(extra: str) -> str:
    return f"pip install '{DISTRIBUTION}[{extra}]' (from a checkout: pip install '.[{extra}]')"


def _version_text() -> str:
    backends = [name for name, module in (("onnx", "onnxruntime"), ("torch", "torch")) if _installed(module)]
    text = f"colorizer ({DISTRIBUTION}) {package_version()}; backends installed: {', '.join(backends) or 'none'}"
    try:
        from model.artifact import default_artifact_path, read_metadata

        metadata = read_metadata(default_artifact_path())
        text += f"; default model: {metadata.name} {metadata.version}"
    except Exception as error:  # noqa: BLE001 - --version must answer even when the model file is broken
        text += f"; default model unreadable ({error})"
    return text


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = [
        "usage: colorizer [--version] [--help] SUBCOMMAND [options]",
        "",
        "Automatic colorization of grayscale photos. Subcommands (each has --help):",
    ]
    for name, spec in SUBCOMMANDS.items():
        ready = "" if not missing_for(name) else f"  [needs the {spec.extra} extra]"
        lines.append(f"  {name:<{width}}  {spec.summary}{ready}")
    lines += [
        "",
        "Extras: serve (REST service and colorize on ONNX Runtime, no torch), torch (the torch backend),",
        "train (training, evaluation, export), dev (tests). Install one: " + _install_hint("serve"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        print(_version_text())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        print(f"colorizer: unknown subcommand {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    missing = missing_for(name)
    if missing:
        extra = SUBCOMMANDS[name].extra
        print(
            f"colorizer {name}: needs the '{extra}' extra (missing: {', '.join(missing)}).\n"
            f"Install it: {_install_hint(extra)}",
            file=sys.stderr,
        )
        return 3
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return int(SUBCOMMANDS[name].run(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
