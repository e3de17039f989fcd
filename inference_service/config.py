"""Service settings: one typed object, read from `COLORIZER_*` environment variables.

Each field `name` is set by the variable `COLORIZER_<NAME>` (e.g. `max_pixels` by
`COLORIZER_MAX_PIXELS`), or by the key `<NAME>` in the mapping given to
`create_app(config)`, which wins over the environment. The defaults work out of
the box with the shipped default artifact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from model.artifact import default_artifact_path
from model.backends import BACKENDS
from model.options import RENDER_SIZE, VIBRANCE

ENV_PREFIX = "COLORIZER_"
# Shorter signing secrets are refused at start-up, here and by the gateways (gateway/src/clientIdentity.js).
MIN_SECRET_LENGTH = 32
# Settings' former names, still read (as variables and as create_app keys): old -> current.
_FORMER_NAMES = {"TORCH_THREADS": "MODEL_THREADS"}


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
    # Intra-op threads of the network (torch or ONNX Runtime) in each process that runs it.
    # 0: the web worker processes share the cores out under gunicorn (gunicorn.conf.py);
    # elsewhere the backend's own choice (every core). Also read as COLORIZER_TORCH_THREADS,
    # its name from before the ONNX backend.
    model_threads: int = 0
    # Origins allowed by CORS; empty (the default) sends no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    # Seconds a client is told to wait (Retry-After) when the service is busy or starting.
    retry_after_s: int = 2
    # PNG zlib level: 1 encodes several times faster than 6, for somewhat larger files.
    png_compress_level: int = 1
    # Level of the service's own log lines (DEBUG, INFO, WARNING, ...).
    log_level: str = "INFO"
    # "keys": the gateways check API keys, and every request but health and the API document
    # must carry a client signed with signing_secret (client_identity.py); "off": anyone who
    # reaches the port may use it.
    auth: str = "off"
    # Shared with the gateways (GATEWAY_SIGNING_SECRET): only a client header signed with it is
    # believed. Needed with auth "keys"; unset, the header is believed as it is (one machine).
    signing_secret: str = field(default="", repr=False)
    # --- video jobs (inference_service/video_*.py) ---
    # Where uploads, job records and results of video jobs live (a shared volume when
    # several replicas and workers serve the same jobs); None: $TMPDIR/colorizer-videos.
    video_dir: Path | None = None
    # The job queue's store: "" keeps it in SQLite inside video_dir (one machine, nothing
    # to run); "redis://host:6379/1" shares it between machines (Huey's Redis store).
    video_queue_url: str = ""
    # Video jobs colorized at once by the video worker that `colorizer serve` starts beside
    # the web workers; 0 starts none (separate `colorizer video-worker` processes run them).
    video_workers: int = 1
    # Network threads per video job, and the worker's niceness: photos keep the cores first.
    video_threads: int = 1
    video_nice: int = 10
    # Largest accepted video file, in bytes.
    video_max_upload_bytes: int = 200 * 1024 * 1024
    # Longest accepted video, in seconds (from its header), and most frames.
    video_max_duration_s: float = 600.0
    video_max_frames: int = 36_000
    # Largest accepted frame, width x height (1920x1080 by default).
    video_max_frame_pixels: int = 1920 * 1080
    # Jobs one client may have queued or running at once (429 too_many_jobs beyond).
    video_max_jobs_per_client: int = 3
    # Jobs queued or running in all; beyond that, 503 busy.
    video_max_active_jobs: int = 20
    # Seconds a finished job (its result) is kept.
    video_result_ttl_s: int = 3600
    # A running job whose worker has not been heard of for this long is failed (worker_lost).
    video_heartbeat_timeout_s: float = 10.0
    # Free space the video folder must keep beside an upload; below it, 503 storage_full.
    video_min_free_bytes: int = 256 * 1024 * 1024

    @property
    def artifact_path(self) -> Path:
        """The artifact that will be loaded."""
        return Path(self.artifact) if self.artifact else default_artifact_path()

    @property
    def video_path(self) -> Path:
        """The folder of video uploads, job records and results."""
        return Path(self.video_dir) if self.video_dir else Path(tempfile.gettempdir()) / "colorizer-videos"

    def video_limits(self) -> dict:
        """The limits of video jobs (served by /v1/model and /v1/health as `limits.video`)."""
        return {
            "max_upload_bytes": self.video_max_upload_bytes,
            "max_duration_s": self.video_max_duration_s,
            "max_frames": self.video_max_frames,
            "max_frame_pixels": self.video_max_frame_pixels,
            "max_jobs_per_client": self.video_max_jobs_per_client,
            "result_ttl_s": self.video_result_ttl_s,
        }

    @classmethod
    def from_sources(cls, environ: Mapping[str, str] | None = None, overrides: Mapping | None = None) -> Settings:
        """Defaults, then `COLORIZER_*` variables from `environ`, then `overrides` (keys like `MAX_PIXELS`)."""
        environ = os.environ if environ is None else environ
        overrides = overrides or {}
        values: dict = {}
        for spec in fields(cls):
            # The current name first: it wins over a former one given too.
            keys = [spec.name.upper(), *(old for old, new in _FORMER_NAMES.items() if new == spec.name.upper())]
            given = next((key for key in keys if key in overrides), None)
            if given is not None:
                values[spec.name] = _coerce(spec.name, overrides[given], f"config[{given!r}]")
                continue
            given = next((key for key in keys if ENV_PREFIX + key in environ), None)
            if given is not None:
                values[spec.name] = _coerce(spec.name, environ[ENV_PREFIX + given], ENV_PREFIX + given)
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
            ("model_threads", self.model_threads >= 0, "must be 0 (the backend's default) or more"),
            ("retry_after_s", self.retry_after_s >= 1, "must be at least 1"),
            ("png_compress_level", 0 <= self.png_compress_level <= 9, "must be between 0 and 9"),
            ("video_workers", self.video_workers >= 0, "must be 0 or more"),
            ("video_threads", self.video_threads >= 1, "must be at least 1"),
            ("video_nice", 0 <= self.video_nice <= 19, "must be between 0 and 19"),
            ("video_max_upload_bytes", self.video_max_upload_bytes >= 1, "must be at least 1"),
            ("video_max_duration_s", self.video_max_duration_s > 0, "must be more than 0"),
            ("video_max_frames", self.video_max_frames >= 1, "must be at least 1"),
            ("video_max_frame_pixels", self.video_max_frame_pixels >= 1, "must be at least 1"),
            ("video_max_jobs_per_client", self.video_max_jobs_per_client >= 1, "must be at least 1"),
            ("video_max_active_jobs", self.video_max_active_jobs >= 1, "must be at least 1"),
            ("video_result_ttl_s", self.video_result_ttl_s >= 1, "must be at least 1"),
            ("video_heartbeat_timeout_s", self.video_heartbeat_timeout_s >= 1, "must be at least 1"),
            ("video_min_free_bytes", self.video_min_free_bytes >= 0, "must be 0 or more"),
            ("auth", self.auth in ("off", "keys"), "must be off or keys"),
            (
                "signing_secret",
                not self.signing_secret or len(self.signing_secret) >= MIN_SECRET_LENGTH,
                f"must be at least {MIN_SECRET_LENGTH} characters",
            ),
            (
                "signing_secret",
                self.auth != "keys" or bool(self.signing_secret),
                "must be set with COLORIZER_AUTH=keys (the gateways' GATEWAY_SIGNING_SECRET)",
            ),
            (
                "video_queue_url",
                not self.video_queue_url or self.video_queue_url.startswith(("redis://", "rediss://", "unix://")),
                "must be empty (SQLite in the video folder) or a redis:// URL",
            ),
        ]
        for name, ok, problem in checks:
            if not ok:
                # A secret is never repeated, not even in an error.
                got = "(not shown)" if name == "signing_secret" else repr(getattr(self, name))
                raise ConfigError(f"{ENV_PREFIX}{name.upper()} {problem}, got {got}")

    def limits(self) -> dict:
        """The limits a client may want to know (served by /v1/model and /v1/health)."""
        return {
            "max_upload_bytes": self.max_upload_bytes,
            "max_pixels": self.max_pixels,
            "render_size": {"min": RENDER_SIZE.minimum, "max": RENDER_SIZE.maximum},
            "vibrance": {"min": VIBRANCE.minimum, "max": VIBRANCE.maximum, "default": VIBRANCE.default},
            "video": self.video_limits(),
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
    "model_threads": int,
    "cors_origins": _parse_origins,
    "retry_after_s": int,
    "png_compress_level": int,
    "log_level": lambda text: text.upper(),
    "video_dir": lambda text: Path(text) if text else None,
    "video_queue_url": str,
    "video_workers": int,
    "video_threads": int,
    "video_nice": int,
    "video_max_upload_bytes": int,
    "video_max_duration_s": float,
    "video_max_frames": int,
    "video_max_frame_pixels": int,
    "video_max_jobs_per_client": int,
    "video_max_active_jobs": int,
    "video_result_ttl_s": int,
    "video_heartbeat_timeout_s": float,
    "video_min_free_bytes": int,
    "auth": lambda text: text.lower(),
    "signing_secret": str,
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
        if name in ("artifact", "video_dir"):
            return Path(value) if value else None  # type: ignore[arg-type]  # a caller's Path; Path() refuses others
        if name == "backend":
            return str(value).lower()
        return value
    try:
        return _PARSERS[name](value.strip())
    except ValueError as error:
        raise ConfigError(f"{source}: invalid value {value!r} ({error})") from error
