"""`colorizer keys`: create, list and revoke in a keys file and in a real Redis (redis-server
on a free loopback port), in the format docs/api-keys.md gives (the gateway's tests read
what this writes: gateway/test/auth.test.js)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from colorizer_cli.keys import main
from tests.service.conftest import REPO_ROOT

KEY = re.compile(r"^clr_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_prints_the_key_once_and_stores_only_its_digest(tmp_path, capsys):
    keys_file = tmp_path / "keys.json"
    code, out, err = run(
        capsys, "create", "--name", "archive", "--quota", "500/day", "--rate", "10", "--keys-file", str(keys_file)
    )
    assert code == 0
    key = out.strip()
    match = KEY.match(key)
    assert match, key
    key_id = match[1]
    assert key_id in err and key not in err, "stderr names the id, never the key"
    text = keys_file.read_text()
    assert key not in text and key.split("_", 2)[2] not in text
    document = json.loads(text)
    assert document["format"] == 1
    record = document["keys"][key_id]
    assert record["sha256"] == hashlib.sha256(key.encode()).hexdigest()
    assert (record["name"], record["quota_per_day"], record["rate_per_min"], record["revoked_at"]) == (
        "archive",
        500,
        10,
        None,
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["created_at"])
    assert keys_file.stat().st_mode & 0o077 == 0, "readable by its owner only"


def test_list_and_revoke_by_id(tmp_path, capsys):
    where = ("--keys-file", str(tmp_path / "keys.json"))
    _, first, _ = run(capsys, "create", "--name", "studio", *where)
    _, second, _ = run(capsys, "create", "--name", "museum", "--json", *where)
    first_id = KEY.match(first.strip())[1]  # type: ignore[index]
    second_id = json.loads(second)["id"]
    code, listing, _ = run(capsys, "list", *where)
    assert code == 0 and "studio" in listing and "museum" in listing and "active" in listing
    assert first.strip() not in listing
    assert run(capsys, "revoke", first_id, *where)[0] == 0
    rows = {row["id"]: row for row in json.loads(run(capsys, "list", "--json", *where)[1])}
    assert rows[first_id]["revoked_at"] and rows[second_id]["revoked_at"] is None
    assert all("sha256" not in row for row in rows.values())
    code, _, err = run(capsys, "revoke", "0123456789abcdef", *where)
    assert code == 1 and "no key with id" in err


def test_concurrent_creates_lose_nothing(tmp_path):
    where = ["--keys-file", str(tmp_path / "keys.json"), "--json"]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: main(["create", "--name", f"k{n}", *where]), range(12)))
    assert len(json.loads((tmp_path / "keys.json").read_text())["keys"]) == 12


@pytest.mark.parametrize("bad", ["0", "-3", "ten", "5/hour", "5/min"])
def test_limits_must_be_positive_numbers_per_their_unit(tmp_path, bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["create", "--name", "x", "--quota", bad, "--keys-file", str(tmp_path / "k.json")])
    assert exit_info.value.code == 2
    assert "N/day" in capsys.readouterr().err


def test_says_where_keys_must_live_when_nothing_is_set(monkeypatch, capsys):
    monkeypatch.delenv("GATEWAY_KEYS_FILE", raising=False)
    monkeypatch.delenv("GATEWAY_REDIS_URL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["list"])
    assert "--keys-file" in str(exit_info.value.code) and "--redis-url" in str(exit_info.value.code)


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    assert server, "redis-server is needed: bash scripts/install-redis.sh"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def test_keys_in_redis_are_one_hash_of_json_records(redis_url, capsys):
    import redis

    where = ("--redis-url", redis_url, "--redis-key-prefix", "site:")
    created = json.loads(run(capsys, "create", "--name", "lab", "--quota", "3", "--json", *where)[1])
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    record = json.loads(client.hget("site:apikeys", created["id"]))  # type: ignore[arg-type]
    assert record["sha256"] == hashlib.sha256(created["key"].encode()).hexdigest()
    assert record["quota_per_day"] == 3 and record["rate_per_min"] is None
    assert run(capsys, "revoke", created["id"], *where)[0] == 0
    assert json.loads(client.hget("site:apikeys", created["id"]))["revoked_at"]  # type: ignore[arg-type]
    listing = run(capsys, "list", *where)[1]
    assert "lab" in listing and "revoked" in listing and "***" not in listing


def test_the_colorizer_command_has_the_keys_subcommand():
    result = subprocess.run(
        [sys.executable, "-m", "colorizer_cli", "keys", "create", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--quota N/day" in result.stdout and "--rate N/min" in result.stdout


def test_the_format_is_documented_once(tmp_path):
    doc = (Path(REPO_ROOT) / "docs" / "api-keys.md").read_text()
    for field in ("sha256", "created_at", "revoked_at", "rate_per_min", "quota_per_day", '"format": 1', "apikeys"):
        assert field in doc, field


def test_the_gateway_settings_are_the_gateways_own():
    """colorizer keys reads the gateway's variables with the gateway's defaults (gateway/src/config.js is the source)."""
    from colorizer_cli.keys import GATEWAY_SETTINGS

    script = "process.stdout.write(JSON.stringify(require('./gateway/src/config').SETTINGS))"
    result = subprocess.run(["node", "-e", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    gateway = {setting["env"]: setting["default"] or None for setting in json.loads(result.stdout).values()}
    ours = dict(GATEWAY_SETTINGS.values())
    assert ours == {variable: gateway[variable] for variable in ours}
