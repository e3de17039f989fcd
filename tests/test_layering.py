"""The packages' layers (docs/architecture.md), checked by import-linter's contracts in pyproject.toml.

One test runs the contracts on the tree; the others show that they bite: a copy of the
packages with one deliberate bad import added must break the contract that forbids it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("model", "video", "training", "inference_service", "colorizer_cli", "colorizer_client")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    # The venv's editable install also finds the packages: PYTHONPATH makes `root`'s the ones analysed.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_tree_keeps_every_contract():
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout and "Contracts: 4 kept" in result.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """The packages' Python sources and pyproject.toml, without the weights."""
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(
            REPO_ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "weights", "*.sh")
        )
    shutil.copy(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(
    ("module", "bad_import", "contract", "edge"),
    [
        # upwards: the network layer reaching for the film pipeline
        ("model/lab_numpy.py", "import video.formats", "Layers:", "model.lab_numpy -> video.formats"),
        # sideways, and lazily, inside a function: training reaching into the service
        (
            "training/checksum.py",
            "def _sideways():\n    from inference_service import config",
            "Layers:",
            "training.checksum -> inference_service",
        ),
        # the client must stay installable alone
        ("colorizer_client/client.py", "import model.hints", "colorizer_client (the REST", "-> model.hints"),
        # model's charter: no command-line machinery
        ("model/lab.py", "import argparse", "model/ is networks", "model.lab -> argparse"),
    ],
)
def test_a_deliberate_bad_import_breaks_its_contract(tree_copy, module, bad_import, contract, edge):
    path = tree_copy / module
    original = path.read_text()
    path.write_text(original + "\n\n" + bad_import + "\n")
    try:
        result = _lint_imports(tree_copy)
    finally:
        path.write_text(original)
    assert result.returncode == 1, result.stdout[-4000:]
    assert "3 kept, 1 broken" in result.stdout
    broken = result.stdout.split("Broken contracts")[1]
    assert broken.lstrip("-\n").startswith(contract)
    assert edge in broken


_WITHOUT_TORCH = """
import importlib.abc, sys
class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError("No module named 'torch' (blocked by the test)")
sys.meta_path.insert(0, NoTorch())
import colorizer_cli.ray_engine, colorizer_cli.colorize
print("imported without torch")
"""


def test_the_ray_engine_imports_without_torch():
    """The `ray` extra must work beside `serve` alone: nothing on the Ray engine's import path needs torch."""
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TORCH], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "imported without torch" in result.stdout
