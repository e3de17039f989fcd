"""Video jobs as files in one folder: what every web worker, video worker and replica shares.

    <video_dir>/jobs/<id>.json      the job's record (state, progress, error), replaced atomically
    <video_dir>/jobs/<id>.lock      taken (flock) around every change of the record
    <video_dir>/jobs/<id>.cancel    present once the job was asked to stop
    <video_dir>/jobs/<id>.reserved  a place under the job limits, locked by the request reading its upload
    <video_dir>/uploads/<id><ext>   the film as uploaded (or linked from the job it reruns), kept with the job
    <video_dir>/results/<id>.mp4    the colorized film, deleted when the job expires
    <video_dir>/results/.<id>.tmp-* the film being written (renamed to <id>.mp4 when whole)

A worker that takes a job holds it (`held`, with a heartbeat) until it lets go, whatever
the job's state: a job cancelled while it runs stays cancelled for its worker, and a job
removed while held is gone for everyone else but keeps its files until the worker has
let go (or its heartbeat stopped). The sweep
(`JobStore.sweep`, at a worker's start and on a timer) removes expired jobs and every
file that no job, reservation or live worker accounts for: what a killed process leaves.

The queue (Huey, `video_queue.py`) carries job ids only. Records and films live on a
disk or a shared volume rather than in the queue's store: results are tens of MB, which
Redis would hold in memory (and in its append-only file), and a file on a volume is
served with range requests straight from the page cache. Any process that sees the
folder sees the same job: several replicas and workers share it through a volume.

A job keeps its film for as long as it is kept itself (until it expires or is removed),
so a rerun (POST /v1/videos/{id}/rerun) needs no new upload. The rerun's own film is a
hard link to its source's (`link_upload`): one copy on disk, no bytes moved, and each job
deletes only its own name, so removing, cancelling or sweeping either never takes the
other's input. Where the volume has no hard links, it is a copy.
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from video.errors import TOO_LONG, TOO_MANY_FRAMES, TOO_MANY_PIXELS


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
# video's limit codes, as the API names them (POST refuses a header beyond a limit with these;
# a job that decodes past one fails with the same code).
LIMIT_CODES = {
    TOO_MANY_PIXELS: "video_frame_too_large",
    TOO_MANY_FRAMES: "video_too_many_frames",
    TOO_LONG: "video_too_long",
}


def job_error_code(video_code: str) -> str:
    """The code a failed job carries for a VideoError's code."""
    return LIMIT_CODES.get(video_code, video_code)


# Temporary files (a record being replaced, the writability probe) older than this are
# left over from a killed process.
TEMPORARY_STALE_S = 60.0


class JobLimitReached(Exception):
    """No place for another job: this client's (`per_client`) or the service's limit is reached."""

    def __init__(self, per_client: bool) -> None:
        super().__init__("per client" if per_client else "in all")
        self.per_client = per_client


class Reservation:
    """A place under the job limits, taken for one upload: its file stays locked (flock) for as long as the
    request holds it, so a request that died (its process killed) is known by its lock, whatever the time."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    def release(self) -> None:
        self.path.unlink(missing_ok=True)
        self._handle.close()


class FilmGone(Exception):
    """A job's film is no longer kept (deleted or swept) though its record is."""


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
    held: bool = False  # a worker has it in hand (heartbeat_at says it lives), from taking it to letting go
    remove_requested: bool = False  # DELETEd while held: removed when the worker lets go
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

    def _reservation_path(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.reserved"

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
        """The job's record, with a job whose worker went silent let go on the spot; None if unknown or expired."""
        if not valid_job_id(job_id):
            return None
        record = self._read(job_id)
        if record is None:
            return None
        now = time.time() if now is None else now
        if self._worker_lost(record, now):
            record = self.update(job_id, lambda current: self._let_go_lost(current, now)) or record
        if record.remove_requested:
            if not record.held:
                self.remove(job_id)  # its worker died before letting go
            return None  # removed, as far as anyone asking knows; its files go when its worker lets go
        if record.expires_at is not None and record.expires_at <= now:
            return None
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
        if not self._record_path(job_id).exists():
            return None  # gone: taking the lock would leave a lock file behind
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
        """Jobs queued or running, and places reserved for uploads (of `owner`, or in all)."""
        return sum(1 for holder in self._active_owners(time.time()) if owner is None or holder == owner)

    def _active_owners(self, now: float) -> list[str]:
        """The owner of every job queued or running (lost ones failed first) and of every live reservation."""
        owners = []
        for record in self.all():
            if record.state in ACTIVE_STATES and self._worker_lost(record, now):
                record = self.update(record.id, lambda current: self._let_go_lost(current, now)) or record
            if record.state in ACTIVE_STATES:
                owners.append(record.owner)
        for path in self.jobs.glob("*.reserved"):
            if self._record_path(path.stem).exists() or not self._reservation_live(path):
                continue  # the job counts itself, or the request died
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                owners.append(str(json.loads(path.read_text())["owner"]))
        return owners

    @staticmethod
    def _reservation_live(path: Path) -> bool:
        """Whether a request still holds the reservation (its lock cannot be taken)."""
        try:
            with open(path) as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            pass
        return False

    # --- places under the limits ------------------------------------------------------

    def reserve(self, job_id: str, owner: str, per_client: int, in_all: int) -> Reservation:
        """Take a place for a job about to be uploaded; JobLimitReached when none is left.

        Counting and taking happen under one lock of the whole folder, so concurrent
        uploads (from any web worker or replica sharing it) never all pass a limit that
        each of them alone would meet. The place counts until the job is created (it
        then counts itself), until `Reservation.release`, or until its process dies.
        """
        self.ensure()
        with open(self.jobs / ".admission.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                owners = self._active_owners(time.time())
                if owners.count(owner) >= per_client:
                    raise JobLimitReached(per_client=True)
                if len(owners) >= in_all:
                    raise JobLimitReached(per_client=False)
                return self._locked_reservation(job_id, owner)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _locked_reservation(self, job_id: str, owner: str) -> Reservation:
        # Locked before it gets its name: no one ever sees it unlocked and takes it for dead.
        path = self._reservation_path(job_id)
        temporary = path.with_name(f".{job_id}.{uuid.uuid4().hex}.tmp")
        handle = open(temporary, "w")  # noqa: SIM115 (held open, locked, until Reservation.release)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            handle.write(json.dumps({"owner": owner}))
            handle.flush()
            os.replace(temporary, path)
        except BaseException:
            handle.close()
            temporary.unlink(missing_ok=True)
            raise
        return Reservation(path, handle)

    def link_upload(self, source: JobRecord, job_id: str, min_free_bytes: int) -> Path:
        """The film of `source` as job `job_id`'s upload: a hard link (a copy where the volume has none).

        FilmGone when the source's film is gone; StoreUnavailable when a copy would not
        fit. The caller holds `job_id`'s reservation, so the sweep keeps the new name.
        """
        original = self.upload_path(source)
        target = self.uploads / f"{job_id}{source.upload_suffix}"
        try:
            os.link(original, target)
            return target
        except FileNotFoundError:
            if not original.exists():
                raise FilmGone(source.id) from None
            raise
        except OSError:
            pass  # no hard links here (EPERM, EXDEV, EMLINK, ENOTSUP...): copy it
        try:
            film = open(original, "rb")  # noqa: SIM115 (closed below)
        except FileNotFoundError:
            raise FilmGone(source.id) from None
        # Opened before the check: a source removed meanwhile is still read whole through this handle.
        with film:
            self.check_writable(min_free_bytes, os.fstat(film.fileno()).st_size)
            try:
                with open(target, "wb") as copy:
                    shutil.copyfileobj(film, copy, 1024 * 1024)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
        return target

    # --- the life of a job ----------------------------------------------------------

    def holds(self, record: JobRecord, now: float) -> bool:
        """Whether a live worker has the job in hand (its heartbeat is recent)."""
        in_hand = record.held or record.state is JobState.RUNNING
        return in_hand and (now - (record.heartbeat_at or 0)) <= self.heartbeat_timeout_s

    def _worker_lost(self, record: JobRecord, now: float) -> bool:
        return (record.held or record.state is JobState.RUNNING) and not self.holds(record, now)

    def _let_go_lost(self, record: JobRecord, now: float) -> JobRecord | None:
        """A job whose worker went silent: failed if it was running, and no longer held."""
        if not self._worker_lost(record, now):
            return None
        if record.state is not JobState.RUNNING:
            return replace(record, held=False)  # cancelled while its worker was stopping
        failed = self.finished(
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
        return replace(failed, held=False)

    def finished(
        self,
        record: JobRecord,
        state: JobState,
        now: float,
        ttl_s: float | None,
        error: dict[str, str] | None = None,
        result_bytes: int | None = None,
    ) -> JobRecord:
        """The record of a job that ended, kept (with its film, for a rerun, and its result) for `ttl_s`."""
        ttl = ttl_s if ttl_s is not None else record.extra.get("ttl_s", 3600)
        return replace(
            record,
            state=state,
            finished_at=now,
            expires_at=now + float(ttl),
            error=error,
            result_bytes=result_bytes,
        )

    def take(self, job_id: str, now: float) -> JobRecord | None:
        """A worker takes a queued job: running and held, from now; None if it is not queued any more."""

        def start(record: JobRecord) -> JobRecord | None:
            if record.state is not JobState.QUEUED:
                return None  # cancelled (or removed) while it waited
            return replace(record, state=JobState.RUNNING, started_at=now, heartbeat_at=now, held=True)

        record = self.update(job_id, start)
        if record is None or record.state is not JobState.RUNNING or record.started_at != now:
            return None
        return record

    def heartbeat(self, job_id: str, now: float) -> None:
        """The worker holding the job is alive."""
        self.update(job_id, lambda record: replace(record, heartbeat_at=now) if record.held else None)

    def stop_requested(self, job_id: str) -> bool:
        """What the worker asks between batches: stop unless the job is still running (cancelled, removed)."""
        if self._cancel_path(job_id).exists():
            return True
        record = self._read(job_id)
        return record is None or record.state is not JobState.RUNNING

    def release(
        self,
        job_id: str,
        state: JobState,
        now: float,
        ttl_s: float,
        error: dict[str, str] | None = None,
        frames: int | None = None,
        result_bytes: int | None = None,
    ) -> JobRecord | None:
        """The worker lets go: the job ends in `state` unless it already ended (cancelled), and a
        job DELETEd meanwhile is removed now. Returns the final record (None once removed)."""

        def finish(current: JobRecord) -> JobRecord:
            if current.state.finished:
                return replace(current, held=False)  # cancelled while it ran: that answer stands
            ended = self.finished(current, state, now, ttl_s, error=error, result_bytes=result_bytes)
            if frames is not None:
                ended = replace(ended, frames_done=frames, frames_total=frames)
            return replace(ended, held=False)

        final = self.update(job_id, finish)
        if final is None or final.state is not JobState.DONE:
            self.result_path(job_id).unlink(missing_ok=True)
        if final is not None and final.remove_requested:
            self.remove(job_id)
            return None
        return final

    def cancel(self, job_id: str, now: float, ttl_s: float) -> JobRecord | None:
        """Stop a queued or running job: cancelled at once; its worker stops at its next batch."""
        self._cancel_path(job_id).touch()

        def cancelled(current: JobRecord) -> JobRecord | None:
            if current.state.finished:
                return None
            return self.finished(current, JobState.CANCELLED, now, ttl_s)

        return self.update(job_id, cancelled)

    def delete(self, job_id: str, now: float) -> None:
        """Remove a finished job: at once, or, while its worker still holds it, as far as `get` can
        tell (its files go when the worker lets go, or at the sweep once its heartbeat stops)."""

        def deferred(current: JobRecord) -> JobRecord | None:
            return replace(current, remove_requested=True) if self.holds(current, now) else None

        record = self.update(job_id, deferred)
        if record is None or not (record.remove_requested and self.holds(record, now)):
            self.remove(job_id)

    def remove(self, job_id: str) -> None:
        """Delete everything of the job (record last, so a half-removed job is still seen)."""
        for path in (
            self.result_path(job_id),
            self._cancel_path(job_id),
            self._reservation_path(job_id),
            *self.uploads.glob(f"{job_id}.*"),
            *self.results.glob(f".{job_id}.tmp-*"),
            self._record_path(job_id),
            self.jobs / f"{job_id}.lock",
        ):
            with contextlib.suppress(OSError):
                path.unlink()

    # --- the sweep ------------------------------------------------------------------

    def sweep(self, now: float | None = None) -> int:
        """Let go of jobs whose worker died, delete expired and DELETEd jobs, then every leftover file
        (`sweep_leftovers`); returns how many jobs were deleted."""
        now = time.time() if now is None else now
        removed = 0
        for record in self.all():
            if self._worker_lost(record, now):
                record = self.update(record.id, lambda current: self._let_go_lost(current, now)) or record
            expired = record.expires_at is not None and record.expires_at <= now
            if (expired or record.remove_requested) and not self.holds(record, now):
                self.remove(record.id)
                removed += 1
        self.sweep_leftovers(now)
        return removed

    def sweep_leftovers(self, now: float) -> list[Path]:
        """Delete what no job accounts for: results of jobs not done, films being written by no live
        worker, uploads of no job or live reservation, stale reservations, locks and markers of
        removed jobs, old temporaries. Returns what was deleted.

        Each file's job is read after the file was seen, so a file made meanwhile by a job
        being created or taken is seen with its reservation or its worker's hold.
        """
        deleted = []
        for path in self._listing(self.results, self.uploads, self.jobs):
            if not self._accounted_for(path, now):
                with contextlib.suppress(OSError):
                    path.unlink()
                    deleted.append(path)
        return deleted

    @staticmethod
    def _listing(*folders: Path) -> Iterable[Path]:
        for folder in folders:
            with contextlib.suppress(OSError):
                yield from (path for path in folder.iterdir() if path.is_file())

    def _accounted_for(self, path: Path, now: float) -> bool:
        name = path.name
        if path.parent == self.results and name.startswith(".") and ".tmp-" in name:
            job_id, kind = name[1:].split(".tmp-", 1)[0], "writing"
        elif name.startswith("."):  # .admission.lock, a record's or the probe's temporary
            return name == ".admission.lock" or self._fresh(path, now, TEMPORARY_STALE_S)
        else:
            job_id, kind = name.split(".", 1)[0], path.parent.name
        if not valid_job_id(job_id):
            return True  # not a file of this store's making: left alone
        if path.parent == self.jobs and name.endswith(".reserved"):
            return self._reservation_live(path)
        reserved = self._reservation_live(self._reservation_path(job_id))  # before the record
        record = self._read(job_id)
        if record is None:
            return reserved or name.endswith(".json")  # a record that cannot be read is kept, not guessed at
        in_hand = self.holds(record, now)
        if kind == "writing":
            return in_hand
        if kind == "results":
            return record.state is JobState.DONE or in_hand
        return True  # the record itself, its film, its lock and its cancel marker go with the job

    @staticmethod
    def _fresh(path: Path, now: float, max_age_s: float) -> bool:
        try:
            return now - path.stat().st_mtime <= max_age_s
        except OSError:
            return False
