"""Video jobs as files in one folder: what every web worker, video worker and replica shares.

    <video_dir>/jobs/<id>.json      the job's record (state, progress, error), replaced atomically
    <video_dir>/jobs/<id>.lock      taken (flock) around every change of the record
    <video_dir>/jobs/<id>.cancel    present once the job was asked to stop
    <video_dir>/uploads/<id><ext>   the film as uploaded, deleted when the job ends
    <video_dir>/results/<id>.mp4    the colorized film, deleted when the job expires

The queue (Huey, `video_queue.py`) carries job ids only. Records and films live on a
disk or a shared volume rather than in the queue's store: results are tens of MB, which
Redis would hold in memory (and in its append-only file), and a file on a volume is
served with range requests straight from the page cache. Any process that sees the
folder sees the same job: several replicas and workers share it through a volume.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)
# A job id: 32 lowercase hex digits (uuid4), checked before it touches a path.
_ID_LENGTH = 32

# The codes a failed job may carry beyond video's (VIDEO_ERROR_CODES).
WORKER_LOST = "worker_lost"
STORAGE_FULL = "storage_full"
COLORIZE_FAILED = "colorize_failed"


class StoreUnavailable(Exception):
    """The video folder cannot be written (missing, read-only, full)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class JobRecord:
    """Everything known about one job; what GET /v1/videos/{id} is made from."""

    id: str
    state: JobState
    owner: str  # who made it: "key:<id>" through a gateway with API keys, else "ip:<address>"
    filename: str  # the upload's name as sent (display only), or ""
    upload_suffix: str  # ".mp4", ".mkv"...: how the upload is stored and read
    created_at: float
    request_id: str  # of the POST that made the job, quoted in its error
    options: dict[str, Any]  # render_size, vibrance, crf
    video: dict[str, Any]  # what the probe said: width, height, frames, fps, duration_s, codec, audio
    frames_done: int = 0
    frames_total: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    heartbeat_at: float | None = None
    expires_at: float | None = None
    error: dict[str, str] | None = None
    result_bytes: int | None = None
    queue_task_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobRecord:
        return cls(**{**data, "state": JobState(data["state"])})

    def eta_s(self, now: float) -> float | None:
        """Seconds left, from the pace so far; None before the first frames."""
        if self.state is not JobState.RUNNING or not self.started_at or self.frames_done <= 0:
            return None
        total = max(self.frames_total, self.frames_done)
        elapsed = max(0.0, (self.heartbeat_at or now) - self.started_at)
        return round(elapsed / self.frames_done * (total - self.frames_done), 1)


def new_job_id() -> str:
    return uuid.uuid4().hex


def valid_job_id(text: str) -> bool:
    return len(text) == _ID_LENGTH and all(char in "0123456789abcdef" for char in text)


class JobStore:
    """The records and films of every job, in `root`."""

    def __init__(self, root: Path, heartbeat_timeout_s: float = 10.0) -> None:
        self.root = Path(root)
        self.jobs = self.root / "jobs"
        self.uploads = self.root / "uploads"
        self.results = self.root / "results"
        self.heartbeat_timeout_s = heartbeat_timeout_s

    # --- the folder -----------------------------------------------------------------

    def ensure(self) -> None:
        """Create the folders (again, if one was deleted); StoreUnavailable when that cannot be done."""
        try:
            for folder in (self.jobs, self.uploads, self.results):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(
                "result_store_unavailable", f"the video folder cannot be created ({error.strerror})"
            ) from None

    def check_writable(self, min_free_bytes: int, incoming_bytes: int = 0) -> None:
        """Raise StoreUnavailable unless a file can be written here with `min_free_bytes` to spare."""
        self.ensure()
        probe = self.jobs / f".probe-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as error:
            with contextlib.suppress(OSError):
                probe.unlink()
            raise StoreUnavailable(
                "result_store_unavailable", f"the video folder cannot be written ({error.strerror})"
            ) from None
        free = shutil.disk_usage(self.root).free
        if free - incoming_bytes < min_free_bytes:
            raise StoreUnavailable("storage_full", "the video folder is full; try again later")

    def upload_path(self, record: JobRecord) -> Path:
        return self.uploads / f"{record.id}{record.upload_suffix}"

    def result_path(self, job_id: str) -> Path:
        return self.results / f"{job_id}.mp4"

    def _record_path(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.json"

    def _cancel_path(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.cancel"

    # --- records --------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, job_id: str) -> Iterator[None]:
        with open(self.jobs / f"{job_id}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, record: JobRecord) -> None:
        path = self._record_path(record.id)
        temporary = path.with_name(f".{record.id}.{uuid.uuid4().hex}.tmp")
        try:
            temporary.write_text(json.dumps(record.to_json()))
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

    def create(self, record: JobRecord) -> None:
        with self._locked(record.id):
            self._write(record)

    def get(self, job_id: str, now: float | None = None) -> JobRecord | None:
        """The job's record, with a job whose worker went silent failed on the spot; None if unknown or expired."""
        if not valid_job_id(job_id):
            return None
        record = self._read(job_id)
        if record is None:
            return None
        now = time.time() if now is None else now
        if record.expires_at is not None and record.expires_at <= now:
            return None
        if self._worker_lost(record, now):
            record = self.update(job_id, lambda current: self._fail_lost(current, now)) or record
        return record

    def _read(self, job_id: str) -> JobRecord | None:
        try:
            return JobRecord.from_json(json.loads(self._record_path(job_id).read_text()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError):
            return None  # a record cut short by a crash is treated as unknown

    def update(self, job_id: str, change: Callable[[JobRecord], JobRecord | None]) -> JobRecord | None:
        """Apply `change` to the current record under the job's lock (None from it: leave as is)."""
        with self._locked(job_id):
            current = self._read(job_id)
            if current is None:
                return None
            changed = change(current)
            if changed is None or changed == current:
                return current
            self._write(changed)
            return changed

    def all(self) -> list[JobRecord]:
        records = []
        for path in self.jobs.glob("*.json"):
            record = self._read(path.stem)
            if record is not None:
                records.append(record)
        return records

    def active_jobs(self, owner: str | None = None) -> int:
        """Jobs queued or running (of `owner`, or in all), with lost ones failed first."""
        now = time.time()
        count = 0
        for record in self.all():
            if record.state in ACTIVE_STATES and self._worker_lost(record, now):
                record = self.update(record.id, lambda current: self._fail_lost(current, now)) or record
            if record.state in ACTIVE_STATES and (owner is None or record.owner == owner):
                count += 1
        return count

    # --- the life of a job ----------------------------------------------------------

    def _worker_lost(self, record: JobRecord, now: float) -> bool:
        return record.state is JobState.RUNNING and (now - (record.heartbeat_at or 0)) > self.heartbeat_timeout_s

    def _fail_lost(self, record: JobRecord, now: float) -> JobRecord | None:
        if not self._worker_lost(record, now):
            return None
        return self.finished(
            record,
            JobState.FAILED,
            now,
            ttl_s=None,
            error={
                "code": WORKER_LOST,
                "message": "The video worker stopped while colorizing this video (it was stopped or crashed); "
                "send the video again.",
            },
        )

    def finished(
        self,
        record: JobRecord,
        state: JobState,
        now: float,
        ttl_s: float | None,
        error: dict[str, str] | None = None,
        result_bytes: int | None = None,
    ) -> JobRecord:
        """The record of a job that ended: its upload is deleted, its result kept for `ttl_s`."""
        with contextlib.suppress(OSError):
            self.upload_path(record).unlink()
        ttl = ttl_s if ttl_s is not None else record.extra.get("ttl_s", 3600)
        return replace(
            record,
            state=state,
            finished_at=now,
            expires_at=now + float(ttl),
            error=error,
            result_bytes=result_bytes,
        )

    def request_cancel(self, job_id: str) -> None:
        """Ask the worker to stop (it checks between batches of frames)."""
        self._cancel_path(job_id).touch()

    def cancel_requested(self, job_id: str) -> bool:
        return self._cancel_path(job_id).exists()

    def remove(self, job_id: str) -> None:
        """Delete everything of the job (record last, so a half-removed job is still seen)."""
        for path in (
            self.result_path(job_id),
            self._cancel_path(job_id),
            *self.uploads.glob(f"{job_id}.*"),
            self._record_path(job_id),
            self.jobs / f"{job_id}.lock",
        ):
            with contextlib.suppress(OSError):
                path.unlink()

    def sweep(self, now: float | None = None) -> int:
        """Delete expired jobs and fail lost ones; returns how many were deleted."""
        now = time.time() if now is None else now
        removed = 0
        for record in self.all():
            if record.expires_at is not None and record.expires_at <= now:
                self.remove(record.id)
                removed += 1
            elif self._worker_lost(record, now):
                self.update(record.id, lambda current: self._fail_lost(current, now))
        return removed
