"""`pip install '.[serve]'` into a fresh venv: no torch, and a working `colorizer serve` on the shipped model.

The venv is built once per test session from this checkout (about half a minute:
no torch to install), or taken from $COLORIZER_SERVE_VENV when that names one
already built the same way. Every command runs outside the checkout, so `model`
and `inference_service` come from the installed package, not the source folder.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from model.artifact import default_artifact_path, read_metadata
from tests.conftest import make_photo
from tests.processes import Gunicorn
from tests.service.conftest import encode

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT_S = 600
START_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def serve_venv(tmp_path_factory) -> Path:
    given = os.environ.get("COLORIZER_SERVE_VENV")
    if given and (Path(given) / "bin" / "colorizer").is_file():
        return Path(given)
    venv = tmp_path_factory.mktemp("serve") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", f"{REPO_ROOT}[serve]"],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
        cwd=venv.parent,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    return venv


def _environ() -> dict[str, str]:
    # Nothing from the checkout or the dev venv may leak in.
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        cwd=cwd,
        env=_environ(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _lacks(venv: Path, absent: str, module: str, cwd: Path) -> bool:
    """Whether the install lacks `absent`, once `module` is shown to import from it (not from the checkout)."""
    probe = f"import importlib.util as u, {module} as m; print(u.find_spec({absent!r}) is None, m.__file__)"
    result = _run(venv, "python", "-c", probe, cwd=cwd)
    assert result.returncode == 0, result.stderr
    lacks, location = result.stdout.split()
    assert "site-packages" in location and not location.startswith(str(REPO_ROOT))
    return lacks == "True"


def test_the_serve_install_has_no_torch_and_runs_from_the_package(serve_venv, tmp_path):
    assert _lacks(serve_venv, "torch", "model", tmp_path)
    version = _run(serve_venv, "colorizer", "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert (
        "backends installed: onnx;" in version.stdout and read_metadata(default_artifact_path()).name in version.stdout
    )


def test_the_film_package_ships_and_lists_videos_without_the_video_extra(serve_venv, tmp_path):
    """`video` is a top-level package of its own: the wheel must carry it, and its formats need no PyAV."""
    assert _lacks(serve_venv, "av", "video.formats", tmp_path)


def test_training_subcommands_ask_for_the_train_extra(serve_venv, tmp_path):
    for subcommand in ("train", "evaluate", "export"):
        result = _run(serve_venv, "colorizer", subcommand, "--help", cwd=tmp_path)
        assert result.returncode == 3, (subcommand, result.stderr)
        assert "needs the 'train' extra" in result.stderr and "torch" in result.stderr


def test_colorize_runs_on_onnx_runtime_with_the_shipped_model(serve_venv, tmp_path):
    make_photo(90, 70, seed=4).convert("L").save(tmp_path / "old.jpg")
    result = _run(serve_venv, "colorizer", "colorize", "old.jpg", "--out", "out", "--threads", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shipped = read_metadata(default_artifact_path())
    assert f"{shipped.name} {shipped.version} on onnx (cpu)" in result.stderr
    with Image.open(tmp_path / "out" / "old-colorized.png") as output:
        assert output.size == (90, 70) and output.mode == "RGB"


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_colorizer_serve_answers_on_the_shipped_model(serve_venv, tmp_path):
    command = [str(serve_venv / "bin" / "colorizer"), "serve", "--threads", "1"]  # bind and workers: from Gunicorn
    with Gunicorn(tmp_path / "serve.log", command=command, cwd=tmp_path, base_env=_environ()) as service:
        service.wait_ready(START_TIMEOUT_S)
        status, health = _get(f"{service.url}/v1/health")
        assert status == 200
        assert (health["backend"], health["device"]) == ("onnx", "cpu")
        assert health["model"]["name"] == read_metadata(default_artifact_path()).name
        request = urllib.request.Request(
            f"{service.url}/v1/colorize?format=png",
            data=encode(make_photo(128, 96, seed=6).convert("L"), "JPEG", quality=90),
            headers={"Content-Type": "image/jpeg"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
            result = Image.open(io.BytesIO(response.read()))
            assert result.size == (128, 96) and result.mode == "RGB"
