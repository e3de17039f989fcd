"""scripts/install-if-changed.sh (what scripts/run.sh runs first): the install runs on the
first start and when pyproject.toml or a lock file changed, never else; the frontend is
rebuilt when its sources changed. Run in a copy of the layout with a stand-in setup.sh
and npm that count their runs (the real ones need the network and minutes)."""

import os
import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "scripts" / "install-if-changed.sh", root / "scripts")
    # setup.sh's stand-in: records the run and makes what it would make.
    (root / "scripts" / "setup.sh").write_text(
        "set -e\n"
        'echo setup >> "$RUNS"\n'
        'mkdir -p "$COLORIZER_VENV/bin" gateway/node_modules frontend/node_modules frontend/dist\n'
        'touch frontend/dist/index.html; printf "#!/bin/sh\\n" > "$COLORIZER_VENV/bin/colorizer"\n'
        'chmod +x "$COLORIZER_VENV/bin/colorizer"\n'
    )
    for name, text in {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "gateway/package-lock.json": "{}\n",
        "frontend/package-lock.json": "{}\n",
        "frontend/src/App.tsx": "export {};\n",
        "frontend/index.html": "<html></html>\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _start(root: Path, tmp_path: Path) -> list[str]:
    """One start; the runs of setup.sh and of the frontend build it made."""
    runs = tmp_path / "runs.txt"
    runs.write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    npm = bin_dir / "npm"
    npm.write_text('#!/bin/sh\necho build >> "$RUNS"\n')
    npm.chmod(0o755)
    env = {
        **os.environ,
        "RUNS": str(runs),
        "COLORIZER_VENV": str(tmp_path / "venv"),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    subprocess.run(["bash", str(root / "scripts" / "install-if-changed.sh")], cwd=root, env=env, check=True)
    return runs.read_text().split()


def test_installs_once_then_only_when_the_package_or_a_lock_file_changes(tmp_path):
    root = _tree(tmp_path)
    assert _start(root, tmp_path) == ["setup"]  # the first start installs (and builds)
    assert _start(root, tmp_path) == []  # the second installs nothing
    (root / "frontend" / "package-lock.json").write_text('{"lockfileVersion": 3}\n')
    assert _start(root, tmp_path) == ["setup"]
    assert _start(root, tmp_path) == []
    (root / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    assert _start(root, tmp_path) == ["setup"]


def test_a_changed_frontend_source_is_rebuilt_without_installing(tmp_path):
    root = _tree(tmp_path)
    _start(root, tmp_path)
    (root / "frontend" / "src" / "App.tsx").write_text("export const changed = 1;\n")
    assert _start(root, tmp_path) == ["build"]
    assert _start(root, tmp_path) == []


def test_a_missing_venv_or_node_modules_installs_again(tmp_path):
    root = _tree(tmp_path)
    _start(root, tmp_path)
    shutil.rmtree(root / "gateway" / "node_modules")
    assert _start(root, tmp_path) == ["setup"]
    shutil.rmtree(tmp_path / "venv")
    assert _start(root, tmp_path) == ["setup"]
