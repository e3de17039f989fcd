"""The video worker: a Huey consumer that colorizes queued films, one process with its own model.

    python -m inference_service.video_worker     # = colorizer video-worker
    # `colorizer serve` starts one beside its web workers (COLORIZER_VIDEO_WORKERS, 0: none)

It runs apart from the web workers, niced (COLORIZER_VIDEO_NICE) and with its own few
network threads (COLORIZER_VIDEO_THREADS), at most COLORIZER_VIDEO_WORKERS films at a
time: photos keep their cores and their latency while a film is colorized. Every job
it runs has a heartbeat in its record (every second, and after every batch of frames);
a record whose heartbeat stops (the worker was killed) is failed by whoever reads it
next (`JobStore.get`), and by the next worker's sweep, within
COLORIZER_VIDEO_HEARTBEAT_TIMEOUT_S. The sweep runs at start-up and then once per
heartbeat timeout: it also deletes expired jobs and every file a killed process left.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from inference_service.config import Settings
from inference_service.request_log import configure_logging
from inference_service.video_jobs import (
    COLORIZE_FAILED,
    STORAGE_FULL,
    JobRecord,
    JobState,
    JobStore,
    job_error_code,
)
from inference_service.video_queue import VideoQueue, set_job_runner

if TYPE_CHECKING:
    from model.colorizer import Colorizer

logger = logging.getLogger("inference_service.video_worker")

HEARTBEAT_INTERVAL_S = 1.0
# Progress is written to the record at most this often (each write is a small file replace).
PROGRESS_INTERVAL_S = 0.5


class JobRunner:
    """Runs one job at a time per calling thread: the record's life from queued to finished."""

    def __init__(self, settings: Settings, store: JobStore, colorizer: Colorizer) -> None:
        self.settings = settings
        self.store = store
        self.colorizer = colorizer
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def running(self) -> list[str]:
        with self._lock:
            return list(self._running)

    def heartbeat(self) -> None:
        now = time.time()
        for job_id in self.running():
            self.store.heartbeat(job_id, now)

    def run(self, job_id: str) -> None:
        record = self.store.take(job_id, time.time())
        if record is None:
            logger.info("video job skipped", extra={"fields": {"job_id": job_id}})
            return
        with self._lock:
            self._running.add(job_id)
        try:
            self._colorize(record)
        finally:
            with self._lock:
                self._running.discard(job_id)

    def _colorize(self, record: JobRecord) -> None:
        """The job, from the worker's hold to letting go (`_finish`), whatever happens."""
        from inference_service.video_keyframes import job_keyframes
        from video import KeyframeError, VideoCancelled, VideoError, VideoOptions, colorize_video
        from video.options import VideoJobOptions

        job_id = record.id
        if self.store.stop_requested(job_id):
            self._finish(record, JobState.CANCELLED)
            return
        last_write = 0.0

        def progress(update: object) -> None:
            nonlocal last_write
            moment = time.time()
            if moment - last_write < PROGRESS_INTERVAL_S:
                return
            last_write = moment
            done = int(update.frames_done)  # type: ignore[attr-defined]
            total = int(update.frames_total) or record.frames_total  # type: ignore[attr-defined]
            self.store.update(
                job_id,
                lambda current: (
                    replace(current, frames_done=done, frames_total=max(total, done), heartbeat_at=moment)
                    if current.state is JobState.RUNNING
                    else None
                ),
            )

        options = VideoJobOptions.from_json(record.options)
        video_options = VideoOptions(
            render_size=options.render_size,
            vibrance=options.vibrance,
            crf=options.crf,
            # The upload's header passed these at POST; a header may lie, so they hold while decoding too.
            max_pixels=self.settings.video_max_frame_pixels,
            max_frames=self.settings.video_max_frames,
            max_duration_s=self.settings.video_max_duration_s,
        )
        result_path = self.store.result_path(job_id)
        logger.info("video job started", extra={"fields": {"job_id": job_id, "request_id": record.request_id}})
        try:
            result = colorize_video(
                self.colorizer,
                str(self.store.upload_path(record)),
                str(result_path),
                video_options,
                progress=progress,
                cancel=lambda: self.store.stop_requested(job_id),
                keyframes=job_keyframes(record.extra.get("keyframes") or []),
            )
        except VideoCancelled:
            self._finish(record, JobState.CANCELLED)
        except VideoError as error:
            self._finish(record, JobState.FAILED, {"code": job_error_code(error.code), "message": error.message})
        except KeyframeError as error:  # one the POST could not see: past the last frame the header promised
            self._finish(record, JobState.FAILED, {"code": error.code, "message": error.message})
        except OSError as error:
            code = STORAGE_FULL if error.errno in (errno.ENOSPC, errno.EDQUOT) else COLORIZE_FAILED
            logger.exception("video job could not write", extra={"fields": {"job_id": job_id}})
            self._finish(record, JobState.FAILED, {"code": code, "message": "The result could not be written."})
        except Exception:
            logger.exception("video job failed", extra={"fields": {"job_id": job_id}})
            self._finish(
                record,
                JobState.FAILED,
                {"code": COLORIZE_FAILED, "message": "The video could not be colorized (the log has the detail)."},
            )
        else:
            self._finish(record, JobState.DONE, frames=result.frames, result_bytes=result_path.stat().st_size)

    def _finish(
        self,
        record: JobRecord,
        state: JobState,
        error: dict[str, str] | None = None,
        frames: int | None = None,
        result_bytes: int | None = None,
    ) -> None:
        now = time.time()
        ttl = self.settings.video_result_ttl_s
        final = self.store.release(record.id, state, now, ttl, error, frames, result_bytes)
        logger.info(
            "video job finished",
            extra={
                "fields": {
                    "job_id": record.id,
                    "state": final.state if final is not None else "removed",
                    "error_code": (error or {}).get("code"),
                    "frames": frames,
                    "seconds": round(now - (record.started_at or now), 2),
                }
            },
        )


def load_video_colorizer(settings: Settings) -> Colorizer:
    """The worker's own Colorizer: the service's model on COLORIZER_VIDEO_THREADS threads, no batching."""
    from model.backends import load_backend
    from model.colorizer import Colorizer

    backend = load_backend(settings.artifact_path, settings.backend, settings.device, settings.video_threads)
    return Colorizer(backend)


def _every(interval_s: float, action: object, stop: threading.Event, name: str) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(interval_s):
            try:
                action()  # type: ignore[operator]
            except Exception:
                logger.exception(f"{name} failed")

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def main() -> int:
    settings = Settings.from_sources()
    configure_logging(settings.log_level)
    if settings.video_nice:
        os.nice(settings.video_nice)
    store = JobStore(settings.video_path, settings.video_heartbeat_timeout_s)
    store.ensure()
    store.sweep()  # what a killed worker left: its job failed, its half-written film deleted
    colorizer = load_video_colorizer(settings)
    runner = JobRunner(settings, store, colorizer)
    set_job_runner(runner.run)
    queue = VideoQueue(settings)
    stop = threading.Event()
    _every(HEARTBEAT_INTERVAL_S, runner.heartbeat, stop, "video-heartbeat")
    # As often as a heartbeat may be missed: a killed worker's job is failed, and its files
    # deleted, within two heartbeat timeouts (a sweep lists three folders: cheap).
    _every(max(1.0, settings.video_heartbeat_timeout_s), store.sweep, stop, "video-sweep")
    workers = max(1, settings.video_workers)
    logger.info(
        "video worker ready",
        extra={
            "fields": {
                "pid": os.getpid(),
                "queue": queue.store_kind,
                "workers": workers,
                "threads": settings.video_threads,
                "nice": settings.video_nice,
            }
        },
    )
    # Huey stops on SIGINT (graceful: the job in hand finishes) and SIGTERM (at once).
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    queue.consumer(workers).run()
    stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
