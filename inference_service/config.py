"""Service settings: one typed object, read from `COLORIZER_*` environment variables.

Each field `name` is set by the variable `COLORIZER_<NAME>` (e.g. `max_pixels` by
`COLORIZER_MAX_PIXELS`), or by the key `<NAME>` in the mapping given to
`create_app(config)`, which wins over the environment. The defaults work out of
the box with the shipped default artifact.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from model.artifact import default_artifact_path
from model.backends import BACKENDS
from model.options import RENDER_SIZE, VIBRANCE

ENV_PREFIX = "COLORIZER_"


class ConfigError(ValueError):
    """A setting has a value the service cannot use; the message names the variable."""


def _parse_origins(text: str) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in text.split(",") if origin.strip())


@dataclass(frozen=True)
class Settings:
    """What the service needs to know at start-up."""

    # The .safetensors artifact; None means $COLORIZER_ARTIFACT or the shipped default.
    artifact: Path | None = None
    # "auto" (CUDA when present, else CPU), "cpu", "cuda", "cuda:1", ...
    device: str = "auto"
    # What runs the network: "auto" (torch on CUDA, else ONNX Runtime when it and the
    # model's .onnx file are there, else torch on the CPU), "onnx" or "torch".
    backend: str = "auto"
    # Milliseconds a request waits for others of the same render shape to share its
    # forward; None ("auto") means 5 on CUDA and 0 (off) on the CPU, where one forward
    # already uses every core and batching only adds waiting.
    batch_wait_ms: float | None = None
    # Most images in one batched forward.
    max_batch: int = 8
    # Largest accepted image file, in bytes (the image itself, not the multipart wrapper).
    max_upload_bytes: int = 20 * 1024 * 1024
    # Largest accepted image, in pixels (width x height), checked before decoding.
    max_pixels: int = 50_000_000
    # Requests allowed to wait for the model while one is being colorized (per process).
    queue_size: int = 4
    # Intra-op threads of the network (torch or ONNX Runtime) in this process; 0 leaves
    # the backend's own choice (every core). The name predates the ONNX backend.
    torch_threads: int = 0
    # Origins allowed by CORS; empty (the default) sends no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    # Seconds a client is told to wait (Retry-After) when the service is busy or starting.
    retry_after_s: int = 2
    # PNG zlib level: 1 encodes several times faster than 6, for somewhat larger files.
    png_compress_level: int = 1
    # Level of the service's own log lines (DEBUG, INFO, WARNING, ...).
    log_level: str = "INFO"

    @property
    def artifact_path(self) -> Path:
        """The artifact that will be loaded."""
        return Path(self.artifact) if self.artifact else default_artifact_path()

    @classmethod
    def from_sources(cls, environ: Mapping[str, str] | None = None, overrides: Mapping | None = None) -> Settings:
        """Defaults, then `COLORIZER_*` variables from `environ`, then `overrides` (keys like `MAX_PIXELS`)."""
        environ = os.environ if environ is None else environ
        overrides = overrides or {}
        values: dict = {}
        for spec in fields(cls):
            key = spec.name.upper()
            if key in overrides:
                values[spec.name] = _coerce(spec.name, overrides[key], f"config[{key!r}]")
            elif ENV_PREFIX + key in environ:
                values[spec.name] = _coerce(spec.name, environ[ENV_PREFIX + key], ENV_PREFIX + key)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ConfigError for values that would break the service at run time."""
        checks = [
            ("max_upload_bytes", self.max_upload_bytes >= 1, "must be at least 1"),
            ("max_pixels", self.max_pixels >= 1, "must be at least 1"),
            ("queue_size", self.queue_size >= 0, "must be 0 or more"),
            ("backend", self.backend in BACKENDS, f"must be one of {', '.join(BACKENDS)}"),
            ("batch_wait_ms", self.batch_wait_ms is None or self.batch_wait_ms >= 0, "must be auto or 0 or more"),
            ("max_batch", self.max_batch >= 1, "must be at least 1"),
            ("torch_threads", self.torch_threads >= 0, "must be 0 (torch's default) or more"),
            ("retry_after_s", self.retry_after_s >= 1, "must be at least 1"),
            ("png_compress_level", 0 <= self.png_compress_level <= 9, "must be between 0 and 9"),
        ]
        for name, ok, problem in checks:
            if not ok:
                raise ConfigError(f"{ENV_PREFIX}{name.upper()} {problem}, got {getattr(self, name)!r}")

    def limits(self) -> dict:
        """The limits a client may want to know (served by /v1/model and /v1/health)."""
        return {
            "max_upload_bytes": self.max_upload_bytes,
            "max_pixels": self.max_pixels,
            "render_size": {"min": RENDER_SIZE.minimum, "max": RENDER_SIZE.maximum},
            "vibrance": {"min": VIBRANCE.minimum, "max": VIBRANCE.maximum, "default": VIBRANCE.default},
        }


_PARSERS: dict[str, Callable[[str], object]] = {
    "artifact": lambda text: Path(text) if text else None,
    "device": str,
    "backend": lambda text: text.lower(),
    "batch_wait_ms": lambda text: None if text.lower() in ("", "auto") else float(text),
    "max_batch": int,
    "max_upload_bytes": int,
    "max_pixels": int,
    "queue_size": int,
    "torch_threads": int,
    "cors_origins": _parse_origins,
    "retry_after_s": int,
    "png_compress_level": int,
    "log_level": lambda text: text.upper(),
}


def env_int(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    """The integer in `COLORIZER_<name>` (unset or blank: `default`), for settings outside `Settings`
    (gunicorn's, in gunicorn.conf.py); a ConfigError names the variable."""
    environ = os.environ if environ is None else environ
    text = environ.get(ENV_PREFIX + name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError as error:
        raise ConfigError(f"{ENV_PREFIX}{name}: invalid value {text!r} ({error})") from error


def _coerce(name: str, value: object, source: str) -> object:
    """Parse an environment string; values given in a config mapping may already be typed."""
    if not isinstance(value, str):
        if name == "cors_origins":
            return tuple(value)  # type: ignore[arg-type]  # a caller's list or tuple; tuple() refuses non-iterables
        if name == "artifact":
            return Path(value) if value else None  # type: ignore[arg-type]  # a caller's Path; Path() refuses others
        if name == "backend":
            return str(value).lower()
        return value
    try:
        return _PARSERS[name](value.strip())
    except ValueError as error:
        raise ConfigError(f"{source}: invalid value {value!r} ({error})") from error
