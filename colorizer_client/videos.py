"""Video jobs as the client sees them: the job's state (GET /v1/videos/{id}) and how one ends badly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from colorizer_client.errors import ColorizerError

FINISHED_STATES = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class VideoJob:
    """One video job as the API last described it (`raw` holds the whole JSON object)."""

    id: str
    state: str  # queued, running, done, failed or cancelled
    frames_done: int
    frames_total: int
    percent: float
    eta_s: float | None
    error: dict[str, Any] | None  # {"code", "message", ...} once failed
    keyframes: list[dict[str, Any]]  # what the job colours its film with: {"time", "hints", "has_image"}
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> VideoJob:
        progress = body.get("progress") or {}
        return cls(
            id=str(body["id"]),
            state=str(body["state"]),
            frames_done=int(progress.get("frames_done") or 0),
            frames_total=int(progress.get("frames_total") or 0),
            percent=float(progress.get("percent") or 0.0),
            eta_s=progress.get("eta_s"),
            error=body.get("error"),
            keyframes=list(body.get("keyframes") or []),
            raw=body,
        )

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


class VideoJobFailed(ColorizerError):
    """The job ended failed or cancelled, or did not finish in time; `job` is its last state, `code` the reason."""

    def __init__(self, job: VideoJob, message: str) -> None:
        super().__init__(message)
        self.job = job
        self.code = (job.error or {}).get("code") or job.state
