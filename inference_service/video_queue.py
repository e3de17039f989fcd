"""The video job queue: Huey, with its SQLite store on one machine and its Redis store on many.

Only job ids travel through the queue (records and films are files: `video_jobs.py`).
The web workers enqueue; the video worker (`video_worker.py`) consumes. Both build the
same Huey from the same settings, so the task has one name everywhere. Huey keeps a
queued task in its store until a consumer takes it: a restarted service or worker finds
the jobs that were waiting. A task taken by a worker that is then killed is not run
again; its job is failed (`worker_lost`) by the heartbeat check instead, so it never
stays "running".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from inference_service.config import Settings

QUEUE_NAME = "colorizer-videos"
TASK_NAME = "colorize_video"
# An idle consumer looks at the SQLite queue at least this often (Huey's default backs
# off to 10 s, which a user would see as a job sitting "queued").
SQLITE_POLL_MAX_S = 1.0

# What the worker process runs for a job id (set by video_worker.py; a web worker never runs jobs).
_job_runner: Callable[[str], None] | None = None


def set_job_runner(runner: Callable[[str], None] | None) -> None:
    global _job_runner
    _job_runner = runner


def _run_job(job_id: str) -> None:
    if _job_runner is None:
        raise RuntimeError("this process runs no video jobs (no video worker was started in it)")
    _job_runner(job_id)


class VideoQueue:
    """The Huey queue of video jobs and its one task."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.huey: Huey
        if settings.video_queue_url:
            # blocking: the consumer waits on Redis (BRPOP) instead of polling it.
            self.huey = RedisHuey(QUEUE_NAME, url=settings.video_queue_url, results=False, blocking=True)
        else:
            settings.video_path.mkdir(parents=True, exist_ok=True)
            self.huey = SqliteHuey(QUEUE_NAME, filename=str(settings.video_path / "queue.sqlite3"), results=False)
        self._task: Any = self.huey.task(name=TASK_NAME, retries=0)(_run_job)

    @property
    def store_kind(self) -> str:
        return "redis" if self.settings.video_queue_url else "sqlite"

    def enqueue(self, job_id: str) -> str:
        """Queue the job; returns the queue's task id (to revoke it)."""
        task = self._task.s(job_id)
        self.huey.enqueue(task)
        return task.id

    def revoke(self, task_id: str) -> None:
        """A queued task that will not run (a consumer that takes it skips it)."""
        self.huey.revoke_by_id(task_id)

    def pending(self) -> int:
        return self.huey.pending_count()

    def consumer(self, workers: int) -> Any:
        """A Huey consumer with `workers` threads (they share the process's one model)."""
        options: dict[str, Any] = {"workers": workers, "worker_type": "thread", "periodic": False}
        if not self.settings.video_queue_url:
            options["max_delay"] = SQLITE_POLL_MAX_S
        return self.huey.create_consumer(**options)
