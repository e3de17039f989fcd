"""The `colorizer` console command: subcommands, --version and the missing-extra messages."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from PIL import Image

from colorizer_cli import command
from model.artifact import default_artifact_path, read_metadata
from tests.conftest import make_photo

REPO_ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "colorizer_cli", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_version_names_the_distribution_backends_and_model():
    result = _run("--version")
    assert result.returncode == 0, result.stderr
    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f"colorizer (lab-colorizer) {version}" in result.stdout
    assert "backends installed: onnx, torch" in result.stdout
    assert f"default model: {read_metadata(default_artifact_path()).name}" in result.stdout


def test_usage_lists_every_subcommand_and_unknown_ones_are_refused():
    result = _run("--help")
    assert result.returncode == 0
    for name in ("colorize", "serve", "train", "evaluate", "export"):
        assert f"  {name} " in result.stdout
    unknown = _run("paint")
    assert unknown.returncode == 2 and "unknown subcommand 'paint'" in unknown.stderr


def test_subcommand_help_comes_from_the_underlying_parsers():
    assert "usage: colorizer colorize" in _run("colorize", "--help").stdout
    assert "--data-dir" in _run("train", "--help").stdout
    assert "--checkpoint" in _run("export", "--help").stdout
    assert "--bind" in _run("serve", "--help").stdout


@pytest.mark.parametrize(
    ("subcommand", "hidden", "extra"),
    [
        ("train", {"torch"}, "train"),
        ("evaluate", {"skimage"}, "train"),
        ("export", {"onnxscript"}, "train"),
        ("serve", {"gunicorn"}, "serve"),
        ("colorize", {"onnxruntime", "torch"}, "serve"),
    ],
)
def test_a_missing_extra_is_named_with_its_install_command(monkeypatch, capsys, subcommand, hidden, extra):
    installed = command._installed
    monkeypatch.setattr(command, "_installed", lambda module: module not in hidden and installed(module))
    assert command.main([subcommand, "--help"]) == 3
    error = capsys.readouterr().err
    assert f"needs the '{extra}' extra" in error
    assert f"pip install 'lab-colorizer[{extra}]'" in error
    for module in hidden:
        assert module in error


def test_colorize_subcommand_writes_the_files(tiny_artifact, tmp_path):
    source = tmp_path / "in" / "old.png"
    source.parent.mkdir()
    make_photo(50, 40).convert("L").save(source)
    result = _run(
        "colorize",
        str(source.parent),
        "--out",
        str(tmp_path / "out"),
        "--artifact",
        str(tiny_artifact),
        "--device",
        "cpu",
        "--threads",
        "1",
    )
    assert result.returncode == 0, result.stderr
    assert "on torch (cpu)" in result.stderr  # the tiny artifact has no ONNX file
    with Image.open(tmp_path / "out" / "old-colorized.png") as output:
        assert output.size == (50, 40)
