"""Settings from COLORIZER_* variables, and the gunicorn configuration file."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from inference_service.config import ConfigError, Settings
from model.artifact import DEFAULT_ARTIFACT_PATH

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "inference_service" / "gunicorn.conf.py"


def test_defaults_point_at_the_shipped_artifact_and_documented_limits():
    settings = Settings.from_sources(environ={})
    assert settings.artifact_path == DEFAULT_ARTIFACT_PATH
    assert settings.device == "auto"
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert settings.max_pixels == 50_000_000
    assert settings.cors_origins == ()


def test_environment_variables_are_read_and_typed(tmp_path):
    environ = {
        "COLORIZER_ARTIFACT": str(tmp_path / "m.safetensors"),
        "COLORIZER_DEVICE": "cpu",
        "COLORIZER_MAX_UPLOAD_BYTES": "1000",
        "COLORIZER_MAX_PIXELS": " 2000 ",
        "COLORIZER_QUEUE_SIZE": "0",
        "COLORIZER_MODEL_THREADS": "3",
        "COLORIZER_CORS_ORIGINS": "https://a.example, https://b.example,",
        "COLORIZER_LOG_LEVEL": "debug",
    }
    settings = Settings.from_sources(environ=environ)
    assert settings.artifact_path == tmp_path / "m.safetensors"
    assert (settings.device, settings.max_upload_bytes, settings.max_pixels) == ("cpu", 1000, 2000)
    assert (settings.queue_size, settings.model_threads, settings.log_level) == (0, 3, "DEBUG")
    assert settings.cors_origins == ("https://a.example", "https://b.example")


def test_the_former_name_of_model_threads_still_works_and_the_current_one_wins():
    """COLORIZER_TORCH_THREADS was the name before the ONNX backend: configurations that use it keep working."""
    assert Settings.from_sources(environ={"COLORIZER_TORCH_THREADS": "2"}).model_threads == 2
    assert Settings.from_sources(overrides={"TORCH_THREADS": 5}).model_threads == 5
    both = {"COLORIZER_TORCH_THREADS": "2", "COLORIZER_MODEL_THREADS": "4"}
    assert Settings.from_sources(environ=both).model_threads == 4
    with pytest.raises(ConfigError, match="COLORIZER_MODEL_THREADS must be 0"):  # the error says the current name
        Settings.from_sources(environ={"COLORIZER_TORCH_THREADS": "-1"})


def test_the_config_mapping_wins_over_the_environment():
    settings = Settings.from_sources(environ={"COLORIZER_QUEUE_SIZE": "9"}, overrides={"QUEUE_SIZE": 2})
    assert settings.queue_size == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("COLORIZER_MAX_PIXELS", "lots"),
        ("COLORIZER_MAX_PIXELS", "0"),
        ("COLORIZER_QUEUE_SIZE", "-1"),
        ("COLORIZER_PNG_COMPRESS_LEVEL", "12"),
    ],
)
def test_a_bad_value_names_its_variable(variable, value):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_sources(environ={variable: value})


def _gunicorn_settings(monkeypatch, **environ) -> dict:
    for name in (
        "COLORIZER_BIND",
        "PORT",
        "COLORIZER_WORKERS",
        "COLORIZER_THREADS",
        "COLORIZER_QUEUE_SIZE",
        "COLORIZER_MODEL_THREADS",
        "COLORIZER_TORCH_THREADS",
        "COLORIZER_CONTROL_SOCKET",
        "COLORIZER_KEEPALIVE",
        "COLORIZER_WORKER_CLASS",
        "COLORIZER_CLIENT_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_defaults(monkeypatch):
    conf = _gunicorn_settings(monkeypatch)
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["wsgi_app"] == "inference_service:create_app()"
    assert conf["preload_app"] is False
    # Connections on gevent greenlets (slow clients cost no thread), the model on real threads.
    assert conf["worker_class"] == "inference_service.worker.ColorizerGeventWorker"
    assert conf["client_timeout"] == 30
    assert conf["threads"] == 1 + 4 + 2  # gthread only: running + default queue + spare
    assert conf["model_threads"] >= 1
    assert conf["control_socket_disable"] is True
    assert conf["keepalive"] == 0  # connections spread over the workers
    assert callable(conf["post_fork"]) and callable(conf["when_ready"])


def test_gunicorn_settings_follow_the_environment(monkeypatch):
    conf = _gunicorn_settings(
        monkeypatch, PORT="9100", COLORIZER_WORKERS="3", COLORIZER_QUEUE_SIZE="10", COLORIZER_MODEL_THREADS="2"
    )
    assert conf["bind"] == "127.0.0.1:9100"
    assert (conf["workers"], conf["threads"], conf["model_threads"]) == (3, 13, 2)
    assert _gunicorn_settings(monkeypatch, COLORIZER_BIND="0.0.0.0:8080", PORT="1")["bind"] == "0.0.0.0:8080"
    assert _gunicorn_settings(monkeypatch, COLORIZER_WORKER_CLASS="gthread")["worker_class"] == "gthread"


def test_every_gunicorn_setting_has_a_comment():
    lines = GUNICORN_CONF.read_text().splitlines()
    settings = [number for number, line in enumerate(lines) if re.match(r"^_?[a-z][a-z_]* = ", line)]
    # The pattern must find the settings, else this test checks nothing.
    assert {"bind", "workers", "worker_class", "timeout"} <= {lines[number].split(" = ")[0] for number in settings}
    for number in settings:
        above = lines[number - 1].strip()
        assert above.startswith("#"), f"line {number + 1} ({lines[number]!r}) has no comment above it"


def test_every_variable_is_in_the_readme_table_and_no_other():
    """The one configuration table (README.md) lists each COLORIZER_ variable the service reads."""
    import dataclasses

    repo = GUNICORN_CONF.parents[1]
    read = {f"COLORIZER_{field.name.upper()}" for field in dataclasses.fields(Settings)}
    gunicorn_conf = GUNICORN_CONF.read_text()
    read |= set(re.findall(r"\bCOLORIZER_[A-Z_]+", gunicorn_conf))
    read |= {f"COLORIZER_{name}" for name in re.findall(r'env_int\("([A-Z_]+)"', gunicorn_conf)}
    rows = [line for line in (repo / "README.md").read_text().splitlines() if re.match(r"\| `COLORIZER_", line)]
    documented = {
        name
        for row in rows
        if "| service |" in row
        for name in re.findall(r"`(COLORIZER_[A-Z_]+)`", row.split(" | ")[0])
    }
    assert documented == read
