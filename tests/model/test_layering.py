"""What model/ may import: networks, Lab, the artifact, backends and the Colorizer; no CLI or batch machinery."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_MODEL = {"argparse", "tqdm", "fsspec", "ray"}


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_under_model_imports_cli_or_batch_libraries():
    sources = sorted((REPO_ROOT / "model").rglob("*.py"))
    assert len(sources) > 10  # the scan sees the package
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(_imported_modules(path) & FORBIDDEN_IN_MODEL) for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    # The check itself finds such an import where there is one.
    assert "argparse" in _imported_modules(REPO_ROOT / "colorizer_cli" / "colorize.py")


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
