"""The video job API: POST /v1/videos, GET /v1/videos/{id}, GET .../result, DELETE /v1/videos/{id},
POST /v1/videos/{id}/rerun.

Everything that can be refused is refused before the job exists, in the order that
costs least: the options, the client's and the service's job counts, the declared
size, a writable folder with room, then the upload itself (streamed to disk, never held
in memory) and its probe (container, stream, codec, frame size, duration, frame count:
milliseconds, no frame decoded). Only then is the job queued (video_queue.py) for the
video worker (video_worker.py). A rerun is a new job in every respect but the upload:
its film is the source job's, linked (JobStore.link_upload), and its keyframes the
source's with the sent ones merged in.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from flask import Blueprint, Response, current_app, g, jsonify, request, send_file
from werkzeug.datastructures import FileStorage

from inference_service.client_identity import request_client
from inference_service.config import Settings
from inference_service.errors import ApiError
from inference_service.imaging import content_disposition, original_stem
from inference_service.offload import run_blocking
from inference_service.request_input import invalid_parameter, reading_body, single_value
from inference_service.video_jobs import (
    ACTIVE_STATES,
    LIMIT_CODES,
    FilmGone,
    JobLimitReached,
    JobRecord,
    JobState,
    JobStore,
    Reservation,
    StoreUnavailable,
    new_job_id,
)
from inference_service.video_keyframes import (
    MODE_FIELD,
    MODES,
    keyframes_view,
    merge_keyframes,
    parse_keyframe_parts,
)
from inference_service.video_queue import VideoQueue
from model.options import OptionError
from video.errors import TOO_LONG, TOO_MANY_FRAMES, TOO_MANY_PIXELS, UNSUPPORTED_CODEC
from video.formats import VIDEO_SUFFIXES
from video.options import VIDEO_JOB_OPTIONS, VideoJobOptions, parse_video_job_options

videos = Blueprint("videos", __name__)

# The path prefix the service is reached under (the gateway: "/api"), for the URLs in answers.
PREFIX_HEADER = "X-Forwarded-Prefix"
# Raw bodies: the Content-Type's container, for the name the upload is stored under.
MEDIA_TYPE_SUFFIXES = {
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/x-matroska": ".mkv",
    "video/webm": ".webm",
    "video/x-msvideo": ".avi",
    "video/avi": ".avi",
    "video/x-m4v": ".m4v",
    "image/gif": ".gif",
}
_CHUNK_BYTES = 1024 * 1024
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")


@dataclass
class VideoService:
    """What the video views share, kept in app.extensions["colorizer_videos"]."""

    settings: Settings
    store: JobStore
    queue: VideoQueue | None  # None until first used (opening it creates the SQLite file)

    def open_queue(self) -> VideoQueue:
        if self.queue is None:
            self.queue = VideoQueue(self.settings)
        return self.queue


def videos_supported() -> bool:
    """Videos need the `video` extra (PyAV) in the web workers, for the upload's probe."""
    return importlib.util.find_spec("av") is not None


def video_capabilities() -> dict[str, Any]:
    """What /v1/model says about videos: whether they are taken, in what, and what comes out."""
    return {
        "supported": videos_supported(),
        "input_extensions": sorted(VIDEO_SUFFIXES),
        "input_media_types": sorted(MEDIA_TYPE_SUFFIXES),
        "output_media_type": "video/mp4",
    }


def _service() -> VideoService:
    return current_app.extensions["colorizer_videos"]


def _client() -> str:
    """Whose request it is (jobs per client; a key's jobs are private to it): client_identity.py."""
    return request_client()


def _prefix() -> str:
    given = request.headers.get(PREFIX_HEADER, "").strip().rstrip("/")
    return given if _PREFIX.match(given) else ""


def job_view(record: JobRecord, now: float | None = None) -> dict[str, Any]:
    """A job as the API shows it (GET /v1/videos/{id}, and the 202 of POST)."""
    now = time.time() if now is None else now
    base = f"{_prefix()}/v1/videos/{record.id}"
    total = max(record.frames_total, record.frames_done)
    view: dict[str, Any] = {
        "id": record.id,
        "state": record.state.value,
        "filename": record.filename,
        "created_at": _iso(record.created_at),
        "started_at": _iso(record.started_at),
        "finished_at": _iso(record.finished_at),
        "expires_at": _iso(record.expires_at),
        "progress": {
            "frames_done": record.frames_done,
            "frames_total": total,
            "percent": round(100.0 * record.frames_done / total, 1) if total else 0.0,
            "eta_s": record.eta_s(now),
        },
        "video": record.video,
        "options": record.options,
        "status_url": base,
        "result_url": f"{base}/result",
        "result_bytes": record.result_bytes,
        "keyframes": keyframes_view(record.extra.get("keyframes") or []),
        "error": None,
    }
    if record.error:
        view["error"] = {**record.error, "request_id": record.request_id}
    return view


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment % 1 * 1000):03d}Z"


# --- POST ---------------------------------------------------------------------------------


def _video_options(fallback: dict[str, Any] | None = None) -> VideoJobOptions:
    """The request's options (query string or form); one not sent (or blank) is `fallback`'s, else its default."""
    fallback = fallback or {}

    def value_of(name: str) -> str | None:
        given = single_value(request.values, name)
        if given is None and fallback.get(name) is not None:
            return str(fallback[name])
        return given

    try:
        options = parse_video_job_options(value_of)
    except OptionError as error:
        raise invalid_parameter(error.name, error.message) from None
    for option in VIDEO_JOB_OPTIONS:
        if option.name in request.files:
            raise invalid_parameter(option.name, f"'{option.name}' was sent as a file; send it as a text field.")
    return options


def _suffix_for(filename: str | None, mimetype: str) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return suffix
    return MEDIA_TYPE_SUFFIXES.get(mimetype, ".video")


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"The video is larger than the limit of {limit} bytes.",
        headers={"Connection": "close"},
    )


def _copy_limited(source: IO[bytes], target: Path, limit: int) -> int:
    """Copy the upload to `target`, at most `limit` bytes (413 beyond); returns the bytes written."""
    written = 0
    try:
        with open(target, "wb") as out:
            while True:
                chunk = source.read(_CHUNK_BYTES)
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    raise _too_large(limit)
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return written


def _receive_upload(settings: Settings, job_id: str, store: JobStore) -> tuple[Path, str, str, int]:
    """The film written to the uploads folder: (path, suffix, original name, bytes)."""
    limit = settings.video_max_upload_bytes
    mimetype = request.mimetype
    with reading_body():
        if mimetype == "multipart/form-data":
            file: FileStorage | None = request.files.get("video")
            if file is None:
                raise ApiError(400, "missing_video", "No video: send it as the multipart file field 'video'.")
            suffix = _suffix_for(file.filename, file.mimetype)
            path = store.uploads / f"{job_id}{suffix}"
            size = _copy_limited(file.stream, path, limit)
            filename = file.filename or ""
        elif mimetype.startswith("video/") or mimetype == "image/gif":
            suffix = _suffix_for(None, mimetype)
            path = store.uploads / f"{job_id}{suffix}"
            size = _copy_limited(request.stream, path, limit)
            filename = ""
        elif not mimetype and not request.content_length:
            raise ApiError(
                400,
                "missing_video",
                "No video: send it as the multipart file field 'video', or as the raw body with a video/* Content-Type.",
            )
        else:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"Content-Type {mimetype!r} is not accepted: send multipart/form-data with a file field 'video', "
                "or the raw video with a video/* Content-Type.",
            )
    if size == 0:
        path.unlink(missing_ok=True)
        raise ApiError(400, "invalid_video", "The video is empty (0 bytes).", reason="not_a_video")
    return path, suffix, filename, size


def _probe(path: str, max_pixels: int) -> Any:
    """The probe's answer or its VideoError, returned (a thread pool would print a raised one)."""
    from video import VideoError, probe

    try:
        return probe(path, max_pixels)
    except VideoError as error:
        return error


def _describe(path: Path, settings: Settings) -> dict[str, Any]:
    """Probe the film (no frame decoded) and hold it to the limits; 4xx ApiError otherwise."""
    from video import VideoError

    info = run_blocking(_probe, str(path), settings.video_max_frame_pixels)
    if isinstance(info, VideoError):
        error = info
        if error.code == TOO_MANY_PIXELS:
            raise ApiError(
                422,
                LIMIT_CODES[TOO_MANY_PIXELS],
                f"The video's frames are larger than the limit of {settings.video_max_frame_pixels} pixels "
                "(width x height).",
            ) from None
        if error.code == UNSUPPORTED_CODEC:
            raise ApiError(
                422, "unsupported_codec", f"The video's codec cannot be decoded here: {error.message}."
            ) from None
        raise ApiError(
            400, "invalid_video", f"This is not a video that can be read: {error.message}.", reason=error.code
        ) from None
    duration = info.duration_s or (info.frames / float(info.rate) if info.rate else 0.0)
    if duration > settings.video_max_duration_s:
        raise ApiError(
            422,
            LIMIT_CODES[TOO_LONG],
            f"The video lasts {duration:.1f} s, longer than the limit of {settings.video_max_duration_s:g} s.",
        )
    if info.frames > settings.video_max_frames:
        raise ApiError(
            422,
            LIMIT_CODES[TOO_MANY_FRAMES],
            f"The video has {info.frames} frames, more than the limit of {settings.video_max_frames}.",
        )
    return {
        "width": info.width,
        "height": info.height,
        "frames": info.frames,
        "fps": round(float(info.rate), 3) if info.rate else None,
        "duration_s": round(duration, 3),
        "codec": info.codec,
        "audio": bool(info.audio_codecs),
    }


def _reserve(store: JobStore, job_id: str, client: str, settings: Settings) -> Reservation:
    """A place under the client's and the service's job limits, taken before the body is read
    (uploads sent side by side are counted as they start, not once each is stored)."""
    try:
        return store.reserve(job_id, client, settings.video_max_jobs_per_client, settings.video_max_active_jobs)
    except JobLimitReached as limit:
        if limit.per_client:
            raise ApiError(
                429,
                "too_many_jobs",
                f"You already have {settings.video_max_jobs_per_client} video jobs queued, running or being "
                "uploaded; wait for one to finish, or cancel one.",
                headers={"Retry-After": "30"},
            ) from None
        raise ApiError(
            503, "busy", "Too many videos are waiting to be colorized; retry later.", headers={"Retry-After": "30"}
        ) from None
    except OSError as error:
        unavailable = StoreUnavailable("result_store_unavailable", f"no place could be taken ({error.strerror})")
        raise _store_error(unavailable) from None


def _store_error(error: StoreUnavailable) -> ApiError:
    return ApiError(503, error.code, f"Video jobs cannot be taken now: {error.message}.", headers={"Retry-After": "30"})


@videos.post("/v1/videos")
def create_video_job() -> tuple[Response, int]:
    """Queue a film for colorization: 202 with the job's id, status URL and result URL."""
    service = _service()
    settings = service.settings
    _require_videos()
    options = _video_options()
    if "video" in request.form:
        raise ApiError(
            400, "missing_video", "The 'video' field was sent as text, not as a file (with curl: -F video=@clip.mp4)."
        )
    client = _client()
    store = service.store
    _check_room(store, settings)
    job_id = new_job_id()
    with _placed(store, job_id, client, settings) as films:
        with _storing("the upload could not be stored"):
            path, suffix, filename, size = _receive_upload(settings, job_id, store)
        films.append(path)
        video = _describe(path, settings)
        keyframes = parse_keyframe_parts(request.form, request.files, video)
        extra = {"upload_bytes": size, "keyframes": keyframes}
        record = _new_record(job_id, client, os.path.basename(filename)[:200], suffix, options, video, extra)
        store.create(record)
    return _queued(record)


@contextlib.contextmanager
def _placed(store: JobStore, job_id: str, client: str, settings: Settings) -> Iterator[list[Path]]:
    """A place under the job limits while job `job_id` is made; the films put in the list are deleted
    unless the job is created. The place is given back either way: a created job counts itself."""
    reservation = _reserve(store, job_id, client, settings)
    films: list[Path] = []
    try:
        yield films
    except BaseException:
        for film in films:
            film.unlink(missing_ok=True)
        raise
    finally:
        reservation.release()


@contextlib.contextmanager
def _storing(what: str) -> Iterator[None]:
    """A film that cannot be written to the video folder: 503 (storage_full, or its own StoreUnavailable)."""
    try:
        yield
    except StoreUnavailable as error:
        raise _store_error(error) from None
    except OSError as error:
        raise _store_error(StoreUnavailable("storage_full", f"{what} ({error.strerror})")) from None


def _require_videos() -> None:
    if not videos_supported():
        raise ApiError(501, "videos_unsupported", "This service was installed without the video extra.")


def _check_room(store: JobStore, settings: Settings) -> None:
    """503 unless the folder takes the request's body with room to spare; 413 for a body declared too large."""
    try:
        store.check_writable(settings.video_min_free_bytes, request.content_length or 0)
    except StoreUnavailable as error:
        raise _store_error(error) from None
    declared = request.content_length
    if declared is not None and declared > settings.video_max_upload_bytes + 64 * 1024:
        raise _too_large(settings.video_max_upload_bytes)
    request.max_content_length = settings.video_max_upload_bytes + 64 * 1024


def _new_record(
    job_id: str,
    client: str,
    filename: str,
    suffix: str,
    options: VideoJobOptions,
    video: dict[str, Any],
    extra: dict[str, Any],
) -> JobRecord:
    settings = _service().settings
    return JobRecord(
        id=job_id,
        state=JobState.QUEUED,
        owner=client,
        filename=filename,
        upload_suffix=suffix,
        created_at=time.time(),
        request_id=g.get("request_id") or "",
        options=options.to_json(),
        video=video,
        frames_total=video["frames"],
        extra={"ttl_s": settings.video_result_ttl_s, **extra},
    )


def _queued(record: JobRecord) -> tuple[Response, int]:
    """Queue the created job for the video worker; the 202 answer with its view."""
    service = _service()
    task_id = service.open_queue().enqueue(record.id)
    record = service.store.update(record.id, lambda current: replace(current, queue_task_id=task_id)) or record
    body = job_view(record)
    response = jsonify(body)
    response.headers["Location"] = body["status_url"]
    response.headers["Cache-Control"] = "no-store"
    return response, 202


# --- rerun --------------------------------------------------------------------------------


def _source_gone(source: JobRecord) -> ApiError:
    return ApiError(
        410,
        "video_source_gone",
        f"The film of video job {source.id} is no longer kept; send it again with POST /v1/videos.",
    )


def _keyframes_mode() -> str:
    mode = single_value(request.form, MODE_FIELD) or MODES[0]
    if mode not in MODES:
        raise invalid_parameter(MODE_FIELD, f"'{MODE_FIELD}' must be one of {', '.join(MODES)}.")
    return mode


@videos.post("/v1/videos/<job_id>/rerun")
def rerun_video_job(job_id: str) -> tuple[Response, int]:
    """A new job on the film of job `job_id` (no upload): its options unless sent, its keyframes with the sent ones."""
    service = _service()
    settings = service.settings
    _require_videos()
    source = _visible(job_id)
    client = _client()
    mimetype = request.mimetype
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if has_body and mimetype != "multipart/form-data":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type {mimetype!r} is not accepted: send multipart/form-data (or no body at all).",
        )
    store = service.store
    _check_room(store, settings)
    with reading_body():
        form, files = request.form, request.files
    options = _video_options(source.options)
    mode = _keyframes_mode()
    if not store.upload_path(source).exists():
        raise _source_gone(source)
    new_id = new_job_id()
    with _placed(store, new_id, client, settings) as films:
        try:
            with _storing("the film could not be copied"):
                path = store.link_upload(source, new_id, settings.video_min_free_bytes)
        except FilmGone:
            raise _source_gone(source) from None
        films.append(path)
        video = _describe(path, settings)
        sent = parse_keyframe_parts(form, files, video)
        kept = (source.extra.get("keyframes") or []) if mode == "merge" else []
        keyframes = merge_keyframes(kept, sent, video.get("fps"))
        extra = {"upload_bytes": source.extra.get("upload_bytes"), "keyframes": keyframes, "rerun_of": source.id}
        record = _new_record(new_id, client, source.filename, source.upload_suffix, options, video, extra)
        store.create(record)
    return _queued(record)


# --- GET / DELETE -------------------------------------------------------------------------


def _visible(job_id: str) -> JobRecord:
    """The job, if this client may see it: a key's jobs are private to that key (404 to others)."""
    record = _service().store.get(job_id)
    if record is None or (record.owner.startswith("key:") and record.owner != _client()):
        raise ApiError(404, "not_found", "No such video job (it may have expired or been removed).")
    return record


@videos.get("/v1/videos/<job_id>")
def video_job(job_id: str) -> Response:
    """The job's state, progress and ETA; its error when it failed."""
    response = jsonify(job_view(_visible(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@videos.get("/v1/videos/<job_id>/result")
def video_result(job_id: str) -> Response:
    """The colorized MP4 (range requests supported); 409 job_not_done before it is done."""
    record = _visible(job_id)
    path = _service().store.result_path(job_id)
    if record.state is not JobState.DONE or not path.exists():
        raise ApiError(
            409,
            "job_not_done",
            f"The video job is {record.state.value}; its result exists once it is done.",
            state=record.state.value,
        )
    stem = original_stem(record.filename) if record.filename else "video"
    response = send_file(path, mimetype="video/mp4", conditional=True, etag=job_id, max_age=0)
    disposition = "attachment" if request.args.get("download") in ("1", "true") else "inline"
    response.headers["Content-Disposition"] = content_disposition(f"{stem}-colorized.mp4").replace(
        "inline", disposition, 1
    )
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


@videos.delete("/v1/videos/<job_id>")
def delete_video_job(job_id: str) -> Response | tuple[str, int]:
    """Cancel a queued or running job (200, the job as cancelled), or remove a finished one (204).

    A job cancelled while running is gone for the client at its removal (204, then 404),
    but its files go only once its worker has let go.
    """
    service = _service()
    store = service.store
    record = _visible(job_id)
    now = time.time()
    if record.state not in ACTIVE_STATES:
        # Removed for the client at once; a worker still stopping keeps the job's files (and
        # the record it polls) until it lets go: a second DELETE never frees them under it.
        store.delete(job_id, now)
        return "", 204
    cancelled = store.cancel(job_id, now, service.settings.video_result_ttl_s) or record
    if record.state is JobState.QUEUED and record.queue_task_id:
        service.open_queue().revoke(record.queue_task_id)
    response = jsonify(job_view(cancelled))
    response.headers["Cache-Control"] = "no-store"
    return response
