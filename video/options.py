"""A film's options, declared once, in the options table's form (model.options.Option).

- `CRF`, the film's own: encoding quality (video.formats holds its scale);
- `VIDEO_OPTIONS`: what the offline CLI adds for films (--crf);
- `VIDEO_JOB_OPTIONS`: what a film job over REST takes (POST /v1/videos): the photo
  options that apply to a film, and its own. Hints are per photo and mean nothing for a film.

`VideoJobOptions` is their parsed form, beside a photo's `ColorizeOptions`: the service keeps
it in the job record, the video worker turns it into `VideoOptions`. PyAV-free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from model.options import RENDER_SIZE, VIBRANCE, Option, parse_values
from video.formats import DEFAULT_CRF, MAX_CRF, MIN_CRF

CRF = Option(
    "crf",
    "integer",
    "Video quality on x264's scale (0 is lossless, 51 the worst), mapped for VP9, MPEG-4 and MJPEG: "
    "lower is better and larger; 18 looks like the source to most eyes. Videos only (photos take quality).",
    default=DEFAULT_CRF,
    minimum=MIN_CRF,
    maximum=MAX_CRF,
)

VIDEO_OPTIONS: tuple[Option, ...] = (CRF,)
VIDEO_JOB_OPTIONS: tuple[Option, ...] = (RENDER_SIZE, VIBRANCE, CRF)


@dataclass(frozen=True)
class VideoJobOptions:
    """The parsed options of one video job (VIDEO_JOB_OPTIONS)."""

    render_size: int | None = None  # None: the model's
    vibrance: float = VIBRANCE.default
    crf: int = CRF.default

    def to_json(self) -> dict[str, Any]:
        """As stored in a job record and shown in its view."""
        return asdict(self)

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> VideoJobOptions:
        """From `to_json`'s form (keys it lacks take their defaults)."""
        return cls(**{name: values[name] for name in ("render_size", "vibrance", "crf") if name in values})


def parse_video_job_options(value_of: Callable[[str], str | None]) -> VideoJobOptions:
    """Every video job option from `value_of(name)` (its text, or None/blank for the default); OptionError."""
    return VideoJobOptions(**parse_values(VIDEO_JOB_OPTIONS, value_of))
