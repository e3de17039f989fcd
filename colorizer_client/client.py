"""The client: one class, the standard library's HTTP and, for images, Pillow.

Why hand-written rather than generated (openapi-python-client): the API is a handful
of operations (a photo, the model, health, and a video job's submit, state, result,
rerun and delete), and the one that matters most sends a multipart upload with JSON in a form
field and answers an image, which a generated client models as generic files and
bytes; generating would add httpx and attrs to the install and some forty files to
regenerate. Instead this module takes what a caller has (a path, bytes, a file or a
PIL image) and gives what a caller wants (a PIL image or bytes), and
tests/client/test_client.py holds it to the committed contract (docs/openapi/) and to
the real service.

Retries: a 503 with Retry-After (busy, or the model still loading) is retried after
the advised wait, up to `retries` times; anything else is raised at once as an
ApiError with the API's stable code. Colorizing is idempotent, so a retry is safe.
"""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import IO, Any

from PIL import Image

from colorizer_client.errors import ApiError, ServiceUnavailable, TransportError
from colorizer_client.videos import VideoJob, VideoJobFailed

# A path, the file's bytes, an open binary file, or a PIL image.
ImageInput = str | Path | bytes | IO[bytes] | Image.Image
# A film: a path, its bytes, or an open binary file.
VideoInput = str | Path | bytes | IO[bytes]
# A hint as the API's object {"x", "y", "color"}, or (x, y, "#rrggbb"), or a model.hints.Hint.
HintInput = Any

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_RETRIES = 3
# The longest wait the client accepts from a Retry-After before giving up instead.
MAX_RETRY_WAIT_S = 60.0


@dataclass(frozen=True)
class Colorized:
    """A colorized image as the API answered it."""

    data: bytes  # the encoded image (PNG, JPEG or WebP)
    content_type: str
    model_name: str | None = None
    model_version: str | None = None
    inference_ms: float | None = None
    render_size: int | None = None
    request_id: str | None = None
    attempts: int = 1  # 1, or more when it was retried after 503s

    @property
    def image(self) -> Image.Image:
        """The result as a PIL image (decoded from `data`)."""
        image = Image.open(io.BytesIO(self.data))
        image.load()
        return image

    def save(self, path: str | Path) -> Path:
        """Write the encoded bytes as they came (no re-encoding)."""
        Path(path).write_bytes(self.data)
        return Path(path)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Message  # http.client's headers: case-insensitive .get()
    body: bytes = field(repr=False)


def _hint_object(hint: HintInput) -> dict[str, Any]:
    """A pin as the API's JSON object: a mapping ({"x", "y", "color", "reach"?}), a model.hints.Hint, or a
    tuple (x, y, color[, reach]); its reach ("small", "medium", "whole") goes only where one is given."""
    if isinstance(hint, Mapping):
        x, y, color, reach = hint["x"], hint["y"], hint["color"], hint.get("reach")
    elif hasattr(hint, "hex_color"):  # model.hints.Hint
        x, y, color, reach = hint.x, hint.y, hint.hex_color, hint.reach
    else:
        x, y, color, *rest = hint
        reach = rest[0] if rest else None
    return {"x": x, "y": y, "color": color} | ({"reach": reach} if reach is not None else {})


def _image_bytes(image: ImageInput) -> tuple[bytes, str]:
    """(bytes, filename) of an image input; a PIL image is sent as PNG (lossless)."""
    if isinstance(image, Image.Image):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue(), "image.png"
    if isinstance(image, bytes | bytearray):
        return bytes(image), "image"
    if isinstance(image, str | Path):
        path = Path(image)
        return path.read_bytes(), path.name
    return image.read(), Path(getattr(image, "name", "image")).name


def _video_bytes(video: VideoInput) -> tuple[bytes, str]:
    """(bytes, filename) of a film input."""
    if isinstance(video, bytes | bytearray):
        return bytes(video), "video.mp4"
    if isinstance(video, str | Path):
        path = Path(video)
        return path.read_bytes(), path.name
    return video.read(), Path(getattr(video, "name", "video.mp4")).name


def _multipart(fields: Mapping[str, str], files: Sequence[tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body with the text fields, then the `files` as (field, bytes, filename)."""
    boundary = f"colorizer-{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for field_name, content, name in files:
        safe_name = name.replace('"', "").replace("\r", "").replace("\n", "") or "image"
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{safe_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _keyframe_parts(keyframes: Sequence[Mapping[str, Any]]) -> tuple[str, list[tuple[str, bytes, str]]]:
    """A film's keyframes as the API takes them: the `keyframes` JSON field and the `keyframe_images` files."""
    entries = []
    images: list[tuple[str, bytes, str]] = []
    for keyframe in keyframes:
        entry: dict[str, Any] = {"time": keyframe["time"]}
        if keyframe.get("image") is not None:
            entry["image"] = len(images)
            images.append(("keyframe_images", *_image_bytes(keyframe["image"])))
        if keyframe.get("hints"):
            entry["hints"] = [_hint_object(hint) for hint in keyframe["hints"]]
        entries.append(entry)
    return json.dumps(entries), images


def _retry_after(headers: Message) -> int | None:
    value = headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


class ColorizerClient:
    """The REST API at `base_url`: the service ("http://host:8000") or the gateway ("http://host:8080/api").

    `timeout_s`: per HTTP request (connect and each read). `retries`: how many times a
    503 with Retry-After is tried again. `sleep` is time.sleep (a test may count waits).
    """

    def __init__(
        self,
        base_url: str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        max_retry_wait_s: float = MAX_RETRY_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.retries = retries
        self.max_retry_wait_s = max_retry_wait_s
        self._sleep = sleep

    # --- the API ------------------------------------------------------------------------------

    def colorize(
        self,
        image: ImageInput,
        *,
        render_size: int | None = None,
        format: str | None = None,  # the API's own name, though it shadows a builtin
        quality: int | None = None,
        vibrance: float | None = None,
        hints: Sequence[HintInput] | None = None,
        request_id: str | None = None,
    ) -> Colorized:
        """Colorize one image (POST /v1/colorize). Options left None are the service's defaults.

        hints: (x, y, "#rrggbb") tuples or {"x", "y", "color"} objects, x and y 0..1 from the
        left and from the top; only for a model that takes them (`model_info()["supports_hints"]`).
        """
        data, filename = _image_bytes(image)
        options: dict[str, Any] = {
            "render_size": render_size,
            "format": format,
            "quality": quality,
            "vibrance": vibrance,
            "hints": json.dumps([_hint_object(hint) for hint in hints]) if hints else None,
        }
        fields = {name: str(value) for name, value in options.items() if value is not None}
        body, content_type = _multipart(fields, [("image", data, filename)])
        headers = {"Content-Type": content_type, "Accept": "image/*, application/json"}
        if request_id:
            headers["X-Request-Id"] = request_id
        answer, attempts = self._send("POST", "/v1/colorize", body, headers)
        inference_ms = answer.headers.get("X-Inference-Ms")
        render = answer.headers.get("X-Render-Size", "")
        return Colorized(
            data=answer.body,
            content_type=answer.headers.get("Content-Type", "").split(";")[0],
            model_name=answer.headers.get("X-Model-Name"),
            model_version=answer.headers.get("X-Model-Version"),
            inference_ms=float(inference_ms) if inference_ms else None,
            render_size=int(render) if render.isdigit() else None,
            request_id=answer.headers.get("X-Request-Id"),
            attempts=attempts,
        )

    def model_info(self) -> dict[str, Any]:
        """GET /v1/model: name, version, render size, whether it takes hints, the limits, the formats."""
        answer, _ = self._send("GET", "/v1/model")
        return json.loads(answer.body)

    def health(self) -> dict[str, Any]:
        """GET /v1/health, answered with 503 too while the model loads or after it failed: never raises for that."""
        answer, _ = self._send("GET", "/v1/health", accept_statuses=(503,), retry=False)
        return json.loads(answer.body)

    # --- video jobs ---------------------------------------------------------------------------

    def submit_video(
        self,
        video: VideoInput,
        *,
        render_size: int | None = None,
        vibrance: float | None = None,
        crf: int | None = None,
        keyframes: Sequence[Mapping[str, Any]] | None = None,
        request_id: str | None = None,
    ) -> VideoJob:
        """Queue a film (POST /v1/videos, answered 202); its limits are in `model_info()["limits"]["video"]`.

        keyframes: {"time": seconds, "image"?: a colour image of that frame (path, bytes, file
        or PIL image), "hints"?: pins as for `colorize`}; their colours carry through their shots.
        """
        data, filename = _video_bytes(video)
        options = {"render_size": render_size, "vibrance": vibrance, "crf": crf}
        return self._new_video_job("/v1/videos", options, keyframes, [("video", data, filename)], request_id)

    def rerun_video(
        self,
        job_id: str,
        *,
        keyframes: Sequence[Mapping[str, Any]] | None = None,
        keyframes_mode: str | None = None,
        render_size: int | None = None,
        vibrance: float | None = None,
        crf: int | None = None,
        request_id: str | None = None,
    ) -> VideoJob:
        """Colorize job `job_id`'s film again as a new job (POST /v1/videos/{id}/rerun, 202): no upload.

        Options left None are the source job's. keyframes (as for `submit_video`) join the
        source job's, one at the same frame replacing it; keyframes_mode="replace" uses only these.
        The source job's film must still be kept (ApiError 410 video_source_gone otherwise).
        """
        options = {"render_size": render_size, "vibrance": vibrance, "crf": crf, "keyframes_mode": keyframes_mode}
        path = f"/v1/videos/{urllib.parse.quote(job_id)}/rerun"
        return self._new_video_job(path, options, keyframes, [], request_id)

    def _new_video_job(
        self,
        path: str,
        options: Mapping[str, Any],
        keyframes: Sequence[Mapping[str, Any]] | None,
        files: list[tuple[str, bytes, str]],
        request_id: str | None,
    ) -> VideoJob:
        fields = {name: str(value) for name, value in options.items() if value is not None}
        if keyframes:
            fields["keyframes"], images = _keyframe_parts(keyframes)
            files = [*files, *images]
        body, content_type = _multipart(fields, files)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        if request_id:
            headers["X-Request-Id"] = request_id
        answer, _ = self._send("POST", path, body, headers)
        return VideoJob.from_json(json.loads(answer.body))

    def video_job(self, job_id: str) -> VideoJob:
        """GET /v1/videos/{id}: the state, frames done of total, the ETA, the error once failed."""
        answer, _ = self._send("GET", f"/v1/videos/{urllib.parse.quote(job_id)}")
        return VideoJob.from_json(json.loads(answer.body))

    def wait_for_video(
        self,
        job_id: str,
        *,
        poll_s: float = 1.0,
        timeout_s: float | None = None,
        progress: Callable[[VideoJob], None] | None = None,
    ) -> VideoJob:
        """Poll until the job is done (returned); VideoJobFailed if it failed, was cancelled or ran out of time."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            job = self.video_job(job_id)
            if progress:
                progress(job)
            if job.state == "done":
                return job
            if job.finished:
                detail = (job.error or {}).get("message", "")
                raise VideoJobFailed(job, f"video job {job_id} {job.state}" + (f": {detail}" if detail else ""))
            if deadline is not None and time.monotonic() > deadline:
                raise VideoJobFailed(job, f"video job {job_id} still {job.state} after {timeout_s} s")
            self._sleep(poll_s)

    def download_video(self, job_id: str, target: str | Path) -> Path:
        """GET /v1/videos/{id}/result into `target` (streamed: a film never sits whole in memory)."""
        url = f"{self.base_url}/v1/videos/{urllib.parse.quote(job_id)}/result"
        request = urllib.request.Request(url, headers={"Accept": "video/*, application/json"})
        target = Path(target)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response, target.open("wb") as file:
                while chunk := response.read(1 << 20):
                    file.write(chunk)
        except urllib.error.HTTPError as error:
            with error:
                raise self._error_of(_Answer(error.code, error.headers, error.read())) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise TransportError(f"GET {url}: no answer ({getattr(error, 'reason', error)})") from error
        return target

    def delete_video(self, job_id: str) -> VideoJob | None:
        """DELETE /v1/videos/{id}: cancel a queued or running job (the job as cancelled is returned;
        the work stops within seconds), or remove a finished one and its result (None)."""
        answer, _ = self._send("DELETE", f"/v1/videos/{urllib.parse.quote(job_id)}", retry=False)
        return VideoJob.from_json(json.loads(answer.body)) if answer.status == 200 and answer.body else None

    def colorize_video(
        self,
        video: VideoInput,
        target: str | Path,
        *,
        render_size: int | None = None,
        vibrance: float | None = None,
        crf: int | None = None,
        keyframes: Sequence[Mapping[str, Any]] | None = None,
        poll_s: float = 1.0,
        timeout_s: float | None = None,
        progress: Callable[[VideoJob], None] | None = None,
    ) -> VideoJob:
        """The whole round trip: submit, wait (progress gets each state), download into `target`, remove the job."""
        job = self.submit_video(video, render_size=render_size, vibrance=vibrance, crf=crf, keyframes=keyframes)
        done = self.wait_for_video(job.id, poll_s=poll_s, timeout_s=timeout_s, progress=progress)
        self.download_video(job.id, target)
        self.delete_video(job.id)
        return done

    # --- HTTP ---------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        accept_statuses: tuple[int, ...] = (),
        retry: bool = True,
    ) -> tuple[_Answer, int]:
        """(the answer, attempts made); ApiError for an error status, after the retries a 503 earns."""
        attempts = 0
        while True:
            attempts += 1
            answer = self._once(method, path, body, headers or {"Accept": "application/json"})
            if 200 <= answer.status < 300 or answer.status in accept_statuses:
                return answer, attempts
            error = self._error_of(answer)
            wait = error.retry_after_s
            if (
                retry
                and isinstance(error, ServiceUnavailable)
                and wait is not None
                and wait <= self.max_retry_wait_s
                and attempts <= self.retries
            ):
                self._sleep(wait)
                continue
            raise error

    def _once(self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]) -> _Answer:
        request = urllib.request.Request(self.base_url + path, data=body, method=method, headers=dict(headers))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return _Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return _Answer(error.code, error.headers, error.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise TransportError(f"{method} {self.base_url}{path}: no answer ({reason})") from error

    @staticmethod
    def _error_of(answer: _Answer) -> ApiError:
        try:
            detail = json.loads(answer.body)["error"]
            code, message = str(detail["code"]), str(detail.get("message", ""))
        except (ValueError, KeyError, TypeError):
            code, message, detail = f"http_{answer.status}", answer.body[:200].decode("utf-8", "replace"), {}
        kind = ServiceUnavailable if answer.status == 503 else ApiError
        return kind(
            answer.status,
            code,
            message,
            request_id=detail.get("request_id") or answer.headers.get("X-Request-Id"),
            parameter=detail.get("parameter"),
            retry_after_s=_retry_after(answer.headers),
        )
