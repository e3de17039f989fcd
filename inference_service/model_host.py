"""The model's life in one process: loaded once in the background, then shared by requests.

`ModelHost` loads the Colorizer on a background thread at start-up so that
`/v1/health` answers at once (STARTING), then READY or FAILED; it never loads
per request. `InferenceGate` bounds the work: one request at a time runs on the
model, at most `queue_size` more wait, and anything beyond is turned away at
once (503 busy) instead of piling up.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from model.artifact import ArtifactError
from model.colorizer import Colorizer

logger = logging.getLogger("inference_service.model")


class ModelStatus(enum.StrEnum):
    STARTING = "STARTING"
    READY = "READY"
    FAILED = "FAILED"


class ModelHost:
    """Holds the process's one Colorizer and says honestly whether it is usable."""

    def __init__(self, load: Callable[[], Colorizer], description: str = "") -> None:
        self._load = load
        self.description = description
        self.status = ModelStatus.STARTING
        self.colorizer: Colorizer | None = None
        # The full reason, for the log; `public_error` is what clients are told (no server paths).
        self.error: str | None = None
        self.public_error: str | None = None
        self.load_seconds: float | None = None
        self.started_at = time.monotonic()
        self._settled = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin loading on a daemon thread (a process that exits does not wait for it)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="colorizer-model-load", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        began = time.perf_counter()
        try:
            colorizer = self._load()
        except Exception as error:  # noqa: BLE001 - any failure must end in FAILED, never in a silent STARTING
            self.error = f"{type(error).__name__}: {error}"
            self.public_error = public_load_error(error)
            self.status = ModelStatus.FAILED
            logger.error("model load failed", extra={"fields": {"artifact": self.description, "error": self.error}})
        else:
            self.colorizer = colorizer
            self.load_seconds = time.perf_counter() - began
            self.status = ModelStatus.READY
            logger.info(
                "model ready",
                extra={
                    "fields": {
                        "artifact": self.description,
                        "model_name": colorizer.name,
                        "model_version": colorizer.version,
                        "backend": colorizer.backend_name,
                        "device": str(colorizer.device),
                        "load_ms": round(self.load_seconds * 1000, 1),
                    }
                },
            )
        finally:
            self._settled.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the load has succeeded or failed; False if `timeout` ran out first."""
        return self._settled.wait(timeout)


# An absolute path (POSIX, home-relative or Windows) inside an error message.
_ABSOLUTE_PATH = re.compile(r"(?:~|[A-Za-z]:)?[/\\][^\s'\"`,;:()]+")


def public_load_error(error: Exception) -> str:
    """Why the model did not load, with every path of the server replaced by `<path>`.

    The message keeps its advice (e.g. which command exports a missing ONNX file);
    the log line of the failure keeps the paths.
    """
    if isinstance(error, FileNotFoundError) or (isinstance(error, ArtifactError) and "not found" in str(error)):
        return "the model artifact was not found (the service log says where it was looked for)"
    message = _ABSOLUTE_PATH.sub("<path>", str(error)).strip()
    return f"{type(error).__name__}: {message}" if message else f"{type(error).__name__} while loading the model"


class QueueFull(Exception):
    """Raised by InferenceGate.place (and admit) when every running and waiting place is taken."""


class InferenceGate:
    """One request works on the model at a time; `queue_size` more may wait; the rest are refused.

    With batching (`allow_parallel_work`), every admitted request works at once and
    the Colorizer's batcher gathers their forwards: the bound on requests in the
    process stays `queue_size + 1`.
    """

    def __init__(self, queue_size: int) -> None:
        self.capacity = queue_size + 1
        self._places = threading.BoundedSemaphore(self.capacity)
        self._work: threading.Semaphore | threading.Lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._admitted = 0

    @property
    def admitted(self) -> int:
        """Requests running or waiting right now."""
        return self._admitted

    def allow_parallel_work(self) -> None:
        """Let every admitted request work at once (call before requests arrive)."""
        self._work = threading.BoundedSemaphore(self.capacity)

    def _change(self, delta: int) -> None:
        with self._count_lock:
            self._admitted += delta

    @contextmanager
    def place(self) -> Iterator[None]:
        """Take a running or waiting place, or raise QueueFull at once; never blocks.

        Taken on the event loop before any work is handed to a thread, so the
        number of requests in work stays bounded whatever the thread pool does.
        """
        if not self._places.acquire(blocking=False):
            raise QueueFull
        self._change(+1)
        try:
            yield
        finally:
            self._change(-1)
            self._places.release()

    @contextmanager
    def turn(self) -> Iterator[float]:
        """Wait for the model (blocks: call it on a worker thread); yields the seconds waited."""
        began = time.perf_counter()
        with self._work:
            yield time.perf_counter() - began

    @contextmanager
    def admit(self) -> Iterator[float]:
        """place() then turn(), on one thread; yields the seconds spent waiting for the model."""
        with self.place(), self.turn() as waited_s:
            yield waited_s
