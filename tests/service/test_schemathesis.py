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

from schemathesis.core.warnings import SchemathesisWarning

from tests.service.conftest import REPO_ROOT

MAX_EXAMPLES = 25
SEED = 1
TIMEOUT_S = 300


def test_schemathesis_finds_no_mismatch_between_the_document_and_the_service(server, tmp_path):
    base_url, _log_path, _process = server
    # Every warning but one: a made-up video job id is only ever 404 (by design); the stateful
    # phase follows POST /v1/videos's links to real jobs instead.
    shown = [warning.value for warning in SchemathesisWarning if warning is not SchemathesisWarning.MISSING_TEST_DATA]
    (tmp_path / "schemathesis.toml").write_text(f"[warnings]\ndisplay = {shown!r}\n".replace("'", '"'))
    environ = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.service.schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "NO_COLOR": "1",
    }
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{base_url}/openapi.json"]
    command += ["--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED)]
    # DELETE of a queued or running video job cancels it, and the job stays to be seen as
    # "cancelled" until it expires (by design: the web app shows it); only a finished job's
    # DELETE removes it. schemathesis's use-after-free check expects every DELETE to remove.
    command += ["--exclude-checks", "use_after_free"]
    command += ["--request-timeout", "60", "--workers", "1"]
    # In a temporary folder: schemathesis and Hypothesis keep their files where they run.
    result = subprocess.run(
        command, cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "No issues found" in report, report
