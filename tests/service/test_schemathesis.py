"""The service against its own OpenAPI document, property-based: schemathesis.

schemathesis reads GET /openapi.json from a real gunicorn (the session's `server`),
generates requests from it (valid ones, whose uploads are real images, and
invalid ones), sends them, and checks every answer against the document: status
codes, content types, headers, JSON schemas, valid data accepted and invalid data
refused. tests/service/schemathesis_hooks.py says what the document cannot.

The number of examples is bounded and the seed fixed, so the run takes about half
a minute and gives the same cases every time. To explore further by hand, against
a running service:

    SCHEMATHESIS_HOOKS=tests.service.schemathesis_hooks .venv/bin/schemathesis run \\
        http://127.0.0.1:8000/openapi.json --checks all --max-examples 200
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.service.conftest import REPO_ROOT

MAX_EXAMPLES = 25
SEED = 1
TIMEOUT_S = 300


def test_schemathesis_finds_no_mismatch_between_the_document_and_the_service(server, tmp_path):
    base_url, _log_path, _process = server
    environ = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.service.schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "NO_COLOR": "1",
    }
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{base_url}/openapi.json"]
    command += ["--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED)]
    command += ["--request-timeout", "60", "--workers", "1"]
    # In a temporary folder: schemathesis and Hypothesis keep their files where they run.
    result = subprocess.run(
        command, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "No issues found" in report, report
