"""`colorizer serve`: gunicorn with the project's `inference_service/gunicorn.conf.py`.

The flags are shortcuts for the COLORIZER_* variables that gunicorn.conf.py and
the app read (a flag wins over the variable); everything else is configured as
inference_service/README.md describes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from model.backends import BACKENDS

# Flag -> the variable it sets.
_FLAGS = {
    "bind": "COLORIZER_BIND",
    "workers": "COLORIZER_WORKERS",
    "artifact": "COLORIZER_ARTIFACT",
    "backend": "COLORIZER_BACKEND",
    "device": "COLORIZER_DEVICE",
    "threads": "COLORIZER_MODEL_THREADS",
    "batch_wait_ms": "COLORIZER_BATCH_WAIT_MS",
}


def gunicorn_config_path() -> Path:
    import inference_service

    return Path(inference_service.__file__).resolve().parent / "gunicorn.conf.py"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colorizer serve",
        description="Run the REST inference service (gunicorn, inference_service/gunicorn.conf.py). "
        "Every option defaults to its COLORIZER_* variable, else to gunicorn.conf.py's and the app's default.",
    )
    parser.add_argument("--bind", help="address to listen on, e.g. 0.0.0.0:8000 (default: 127.0.0.1:8000)")
    parser.add_argument("--workers", type=int, help="worker processes, each with its own model copy (default: 2)")
    parser.add_argument(
        "--artifact", help="model artifact (.safetensors) or its .onnx file (default: the shipped model)"
    )
    parser.add_argument("--backend", choices=BACKENDS, help="what runs the network (default: auto)")
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:1 ... (default: auto)")
    parser.add_argument("--threads", type=int, help="network threads per web worker process (default: cores / workers)")
    parser.add_argument(
        "--batch-wait-ms", help="wait for same-shape requests to batch: auto (5 on CUDA, off on CPU) or a number"
    )
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    for flag, variable in _FLAGS.items():
        value = getattr(args, flag)
        if value is not None:
            os.environ[variable] = str(value)
    from gunicorn.app.wsgiapp import run

    # gunicorn reads sys.argv; the config file names the app (wsgi_app).
    sys.argv = ["colorizer serve", "-c", str(gunicorn_config_path())]
    run()
    return 0
