"""The video job routes in the OpenAPI document (openapi.py builds the rest and calls `add_video_api`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inference_service.config import Settings
from inference_service.option_schemas import option_schema
from inference_service.video_jobs import COLORIZE_FAILED, STORAGE_FULL, WORKER_LOST, job_error_code
from inference_service.video_keyframes import IMAGES_FIELD, KEYFRAME_PARTS, KEYFRAME_REQUEST_CODES, MODE_FIELD, MODES
from video.errors import VIDEO_ERROR_CODES
from video.keyframe_input import KEYFRAME_ERROR_CODES
from video.options import VIDEO_JOB_OPTIONS

_JOB = {"$ref": "#/components/schemas/VideoJob"}
_JOB_ID = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "description": "The job's id, as POST /v1/videos answered it.",
    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
}
# What a failed job's `error.code` may be: video's codes (its limits as the API names them), a keyframe's
# the request could not see (one past the last decoded frame: the worker fails the job with its KeyframeError),
# and the job's own.
JOB_ERROR_CODES = sorted(
    {job_error_code(code) for code in VIDEO_ERROR_CODES - {"cancelled"}}
    | KEYFRAME_ERROR_CODES
    | {WORKER_LOST, STORAGE_FULL, COLORIZE_FAILED}
)
SOURCE_GONE = "video_source_gone"
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def video_schemas(obj: Callable[..., dict]) -> dict[str, Any]:
    """The components the video routes use; `obj` is openapi.py's closed-object helper."""
    return {
        "VideoLimits": obj(
            {
                "max_upload_bytes": {"type": "integer", "description": "Largest accepted video file."},
                "max_duration_s": {"type": "number", "description": "Longest accepted video (from its header)."},
                "max_frames": {"type": "integer", "description": "Most frames."},
                "max_frame_pixels": {"type": "integer", "description": "Largest accepted frame, width x height."},
                "max_jobs_per_client": {
                    "type": "integer",
                    "description": "Jobs one client may have queued or running.",
                },
                "result_ttl_s": {"type": "integer", "description": "How long a finished job and its result are kept."},
            },
            required=[
                "max_upload_bytes",
                "max_duration_s",
                "max_frames",
                "max_frame_pixels",
                "max_jobs_per_client",
                "result_ttl_s",
            ],
            description="The limits of video jobs, enforced before any work (POST /v1/videos).",
        ),
        "VideoCapabilities": obj(
            {
                "supported": {"type": "boolean", "description": "False: installed without the video extra."},
                "input_extensions": {"type": "array", "items": {"type": "string"}},
                "input_media_types": {"type": "array", "items": {"type": "string"}},
                "output_media_type": {"type": "string", "const": "video/mp4"},
            },
            required=["supported", "input_extensions", "input_media_types", "output_media_type"],
        ),
        "VideoJob": obj(
            {
                "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                "state": {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled"]},
                "filename": {"type": "string", "description": "The upload's file name, or empty."},
                "created_at": {"type": "string", "format": "date-time"},
                "started_at": _NULLABLE_TIME,
                "finished_at": _NULLABLE_TIME,
                "expires_at": {
                    **_NULLABLE_TIME,
                    "description": "When a finished job and its result are deleted (null while it is not finished).",
                },
                "progress": obj(
                    {
                        "frames_done": {"type": "integer", "minimum": 0},
                        "frames_total": {"type": "integer", "minimum": 0, "description": "0 when unknown."},
                        "percent": {"type": "number", "minimum": 0, "maximum": 100},
                        "eta_s": {
                            "type": ["number", "null"],
                            "description": "Seconds left at the pace so far (null unless running).",
                        },
                    },
                    required=["frames_done", "frames_total", "percent", "eta_s"],
                ),
                "video": obj(
                    {
                        "width": {"type": "integer"},
                        "height": {"type": "integer"},
                        "frames": {"type": "integer", "description": "From the header (0: unknown)."},
                        "fps": {"type": ["number", "null"]},
                        "duration_s": {"type": "number"},
                        "codec": {"type": "string"},
                        "audio": {"type": "boolean", "description": "Whether it has sound (carried over)."},
                    },
                    required=["width", "height", "frames", "fps", "duration_s", "codec", "audio"],
                    description="The upload, as its header describes it.",
                ),
                "options": obj(
                    {
                        "render_size": {"type": ["integer", "null"]},
                        "vibrance": {"type": "number"},
                        "crf": {"type": "integer"},
                    },
                    required=["render_size", "vibrance", "crf"],
                ),
                "status_url": {"type": "string", "description": "This job (GET, DELETE)."},
                "result_url": {"type": "string", "description": "Its MP4 once done (GET; range requests)."},
                "result_bytes": {"type": ["integer", "null"]},
                "keyframes": {
                    "type": "array",
                    "description": "The keyframes the job colours its film with, by time (their images are kept "
                    "in the job, not shown): a rerun starts from these.",
                    "items": obj(
                        {
                            "time": {"type": "number", "minimum": 0, "description": "Seconds from the first frame."},
                            "hints": {"type": "array", "items": {"$ref": "#/components/schemas/Hint"}},
                            "has_image": {"type": "boolean", "description": "Whether a colour image was sent."},
                        },
                        required=["time", "hints", "has_image"],
                    ),
                },
                "error": _nullable(
                    obj(
                        {
                            "code": {"type": "string", "enum": JOB_ERROR_CODES},
                            "message": {"type": "string"},
                            "request_id": {"type": "string"},
                        },
                        required=["code", "message", "request_id"],
                        description="Why a failed job failed (request_id: of the POST that made it).",
                    )
                ),
            },
            required=[
                "id",
                "state",
                "filename",
                "created_at",
                "started_at",
                "finished_at",
                "expires_at",
                "progress",
                "video",
                "options",
                "status_url",
                "result_url",
                "result_bytes",
                "keyframes",
                "error",
            ],
        ),
    }


def video_paths(settings: Settings, ok: Callable[..., dict], error: Callable[..., dict]) -> dict[str, Any]:
    """The /v1/videos routes; `ok` and `error` are openapi.py's response helpers."""
    limits = settings.video_limits()
    option_schemas = {option.name: option_schema(option) for option in VIDEO_JOB_OPTIONS}
    video_schema = {
        "type": "string",
        "minLength": 1,
        "maxLength": limits["max_upload_bytes"],
        "description": f"The video: MP4, MOV, MKV, WebM, AVI, animated GIF. At most {limits['max_upload_bytes']} "
        f"bytes, {limits['max_duration_s']:g} s, {limits['max_frames']} frames, frames of "
        f"{limits['max_frame_pixels']} pixels.",
    }
    not_found = error("No such job: unknown, expired, removed, or another API key's.", ["not_found"])
    job_parameters = [_JOB_ID]
    option_parameters = [
        {"name": name, "in": "query", "required": False, "schema": schema} for name, schema in option_schemas.items()
    ]
    queued = {
        **ok("Queued: the job as GET /v1/videos/{job_id} shows it.", _JOB),
        "headers": {
            "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
            "Location": {"description": "The status URL.", "schema": {"type": "string"}},
        },
        # Where the id goes next (and what schemathesis's stateful phase follows).
        "links": {
            name: {"operationId": operation, "parameters": {"job_id": "$response.body#/id"}}
            for name, operation in (
                ("VideoJob", "videoJob"),
                ("VideoResult", "videoResult"),
                ("DeleteVideoJob", "deleteVideoJob"),
                ("RerunVideoJob", "rerunVideoJob"),
            )
        },
    }
    # The refusals a new job may get, whether its film is uploaded or a rerun's.
    new_job_refusals = {
        "429": error(
            "This client has max_jobs_per_client jobs queued, running or being uploaded already.",
            ["too_many_jobs"],
            retry_after=True,
        ),
        "503": error(
            "Too many jobs in all (busy), or the video folder cannot be written or is full.",
            ["busy", "result_store_unavailable", "storage_full"],
            retry_after=True,
        ),
    }
    limit_codes = ["video_too_long", "video_too_many_frames", "video_frame_too_large", "unsupported_codec"]
    return {
        "/v1/videos": {
            "post": {
                "operationId": "createVideoJob",
                "summary": "Queue a video for colorization (a job).",
                "description": "Send the video as the multipart file field `video`, or as the raw body with a "
                "video/* Content-Type. Options in the query string or as form fields. Every limit is checked "
                "before the job exists; the answer comes once the upload is stored and probed. Poll the "
                "status URL; fetch the result URL once `state` is `done`.",
                "parameters": option_parameters,
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["video"],
                                "properties": {
                                    "video": {**video_schema, "contentMediaType": "application/octet-stream"},
                                    **option_schemas,
                                    **KEYFRAME_PARTS,
                                },
                            },
                            "encoding": {"video": {"contentType": "video/*"}, IMAGES_FIELD: {"contentType": "image/*"}},
                        },
                        "video/*": {"schema": {**video_schema, "contentMediaType": "video/*"}},
                    },
                },
                "responses": {
                    "202": queued,
                    "400": error(
                        "No video, or one that cannot be read (`reason`: not_a_video, truncated, no_video_stream, "
                        "no_frames, decode_failed), or a request that is not valid HTTP/1.1; or a keyframe that "
                        "cannot be used (its code says why).",
                        ["missing_video", "invalid_video", "bad_request", *KEYFRAME_REQUEST_CODES],
                    ),
                    "413": error("The video is larger than the byte limit.", ["payload_too_large", "form_too_large"]),
                    "415": error("Neither multipart/form-data nor a video/* body.", ["unsupported_media_type"]),
                    "422": error(
                        "Beyond a limit (duration, frames, frame size), a codec that cannot be decoded, or a "
                        "parameter out of range (`parameter` names it).",
                        [*limit_codes, "invalid_parameter"],
                    ),
                    **new_job_refusals,
                },
            }
        },
        "/v1/videos/{job_id}/rerun": {
            "post": {
                "operationId": "rerunVideoJob",
                "summary": "Colorize a job's film again, with more or other keyframes or options: a new job, no upload.",
                "description": "The new job colorizes the film of job `job_id` (kept with that job until it "
                "expires or is removed, in any state). Its options are the ones sent (query string or form "
                "fields), the others the source job's. Its keyframes are the source job's with the sent ones "
                "(`keyframes`, `keyframe_images`, as for POST /v1/videos) merged in: a sent keyframe within half "
                "a frame of a kept one (at exactly its time when the frame rate is unknown) replaces it; "
                f"`{MODE_FIELD}=replace` drops the kept ones first. The merged list is held to the same checks and "
                "limit. The body may be empty. In all else a new job, as POST /v1/videos makes one (limits, "
                "job counts, the answer); removing either job never removes the other's film.",
                "parameters": [*job_parameters, *option_parameters],
                "requestBody": {
                    "required": False,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    **option_schemas,
                                    **KEYFRAME_PARTS,
                                    MODE_FIELD: {
                                        "type": "string",
                                        "enum": list(MODES),
                                        "default": MODES[0],
                                        "description": "merge: the sent keyframes join the source job's "
                                        "(replacing any at the same frame); replace: only the sent ones.",
                                    },
                                },
                            },
                            "encoding": {IMAGES_FIELD: {"contentType": "image/*"}},
                        }
                    },
                },
                "responses": {
                    "202": queued,
                    "400": error(
                        "A keyframe that cannot be used (its code says why; too_many_keyframes counts the merged "
                        "list), a kept film that can no longer be read (invalid_video), or a request that is not "
                        "valid HTTP/1.1.",
                        ["bad_request", "invalid_video", *KEYFRAME_REQUEST_CODES],
                    ),
                    "404": not_found,
                    "410": error(
                        "The source job is there but its film is no longer kept: send the film again.", [SOURCE_GONE]
                    ),
                    "413": error(
                        "The body (the keyframe images) is larger than the video byte limit, or one keyframe image "
                        "is over its own.",
                        ["payload_too_large", "form_too_large"],
                    ),
                    "415": error("Neither multipart/form-data nor an empty body.", ["unsupported_media_type"]),
                    "422": error(
                        "An option out of range (`parameter` names it), or a film beyond a limit lowered since "
                        "its job was made.",
                        [*limit_codes, "invalid_parameter"],
                    ),
                    **new_job_refusals,
                },
            }
        },
        "/v1/videos/{job_id}": {
            "get": {
                "operationId": "videoJob",
                "summary": "A job's state, progress (frames, percent, ETA) and, when it failed, its error.",
                "parameters": job_parameters,
                "responses": {"200": ok("The job.", _JOB), "404": not_found},
            },
            "delete": {
                "operationId": "deleteVideoJob",
                "summary": "Cancel a queued or running job (200: it is cancelled; its worker stops within "
                "seconds), or remove a finished one and its result (204; a job cancelled while running keeps "
                "its files until its worker has stopped, then they go).",
                "parameters": job_parameters,
                "responses": {
                    "200": ok("Cancelled.", _JOB),
                    "204": {"description": "Removed."},
                    "404": not_found,
                },
            },
        },
        "/v1/videos/{job_id}/result": {
            "get": {
                "operationId": "videoResult",
                "summary": "The colorized MP4 (H.264; the input's frame count, size, timing and audio).",
                "description": "Supports range requests (a browser's video element seeks with them). "
                "`download=1` answers it as an attachment.",
                "parameters": [
                    *job_parameters,
                    {
                        "name": "download",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["0", "1", "true", "false"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The whole MP4.",
                        "headers": {
                            "Content-Disposition": {
                                "description": 'inline (or attachment); filename="<stem>-colorized.mp4"',
                                "schema": {"type": "string"},
                            },
                            "Accept-Ranges": {"schema": {"type": "string"}},
                        },
                        "content": {"video/mp4": {"schema": {"type": "string", "contentMediaType": "video/mp4"}}},
                    },
                    "206": {
                        "description": "The range asked for.",
                        "headers": {"Content-Range": {"schema": {"type": "string"}}},
                        "content": {"video/mp4": {"schema": {"type": "string", "contentMediaType": "video/mp4"}}},
                    },
                    "304": {"description": "Not modified (If-None-Match: the result never changes)."},
                    "404": not_found,
                    "409": error("Not done yet (or failed, or cancelled): `state` says which.", ["job_not_done"]),
                    "416": error("A range outside the file.", ["range_not_satisfiable"]),
                },
            }
        },
    }
