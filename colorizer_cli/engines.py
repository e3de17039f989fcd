"""What an offline engine is given: the run's options and a progress sink; and the local engine.

An engine (`run_local` here, `colorizer_cli.ray_engine.run_ray`) takes the pending
inputs, a `BatchOptions`, a `Progress` and the run's `Outcomes` to append to. It knows
nothing of the command line: `colorizer_cli.colorize` builds the options from the
flags, and the progress bar is its business too.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Protocol

from colorizer_cli.batch_io import Failure, InputFile, OutputSettings, colorize_files
from colorizer_cli.batch_video import colorize_video_file
from colorizer_cli.film_keyframes import KeyframeSpec
from model.colorizer import Colorizer
from model.options import ColorizeOptions


class Progress(Protocol):
    """Where an engine reports what it did: files done, how many of them failed, the latest name;
    and, while the local engine colorizes a film, that film's frames."""

    def update(self, done: int = 0, failed: int = 0, name: str = "") -> None: ...

    def frames(self, done: int, total: int, name: str = "") -> None:
        """The film in hand has `done` of about `total` frames (0: unknown) colorized."""

    def end_film(self) -> None:
        """The film in hand is finished (written or failed)."""


@dataclass(frozen=True)
class RayOptions:
    """Where and how the Ray engine runs (`--engine ray`)."""

    address: str | None = None  # None: start a local Ray on this machine
    num_gpus_per_worker: float = 0.0
    cpus_per_worker: float = 1.0
    workers: int | None = None  # None: as many as the cluster's CPUs/GPUs allow


@dataclass(frozen=True)
class BatchOptions:
    """One offline run: what to colorize with, how, and where the results go."""

    output: OutputSettings
    colorize: ColorizeOptions = field(default_factory=ColorizeOptions)
    artifact: str | None = None  # None: $COLORIZER_ARTIFACT or the shipped model
    batch_size: int = 8
    # The local engine's model placement.
    device: str = "auto"
    backend: str = "auto"
    threads: int = 0
    ray: RayOptions = field(default_factory=RayOptions)
    # Photos already in colour (model.colour_input): written as they are instead of colorized from their gray.
    keep_colour_photos: bool = False
    # A film's keyframes (--keyframe, --keyframes), read and checked per film.
    keyframes: tuple[KeyframeSpec, ...] = ()


@dataclass
class Outcomes:
    """What an engine found, appended as it goes: a run cut short still reports what it did."""

    failures: list[Failure] = field(default_factory=list)
    # Photos already in colour (model.colour_input), by relative path, in the order of the inputs.
    colour_photos: list[str] = field(default_factory=list)


class HintsUnsupported(ValueError):
    """Hints were asked for, but the model takes none (a usage error, before any file is read)."""


def check_hints_supported(supports_hints: bool, options: BatchOptions) -> None:
    if options.colorize.hints and not supports_hints:
        raise HintsUnsupported("this model does not take colour hints (--hint / --hints): leave them out")


def run_local(pending: list[InputFile], options: BatchOptions, progress: Progress, outcomes: Outcomes) -> None:
    """The local engine: this process, one film after another, then one batch of photos after
    another. Appends to `outcomes` as it goes."""
    colorizer = Colorizer.load(
        options.artifact, device=options.device, backend=options.backend, threads=options.threads
    )
    check_hints_supported(colorizer.supports_hints, options)
    print(f"{colorizer.name} {colorizer.version} on {colorizer.backend_name} ({colorizer.device})", file=sys.stderr)
    progress.update()
    for item in (item for item in pending if item.is_video):

        def on_frames(done: int, total: int, name: str = item.relative) -> None:
            progress.frames(done, total, name)

        failure = colorize_video_file(colorizer, item, options.output, options.colorize, on_frames, options.keyframes)
        progress.end_film()
        outcomes.failures.extend([failure] if failure else [])
        progress.update(done=1, failed=1 if failure else 0, name=item.relative)
    photos = [item for item in pending if not item.is_video]
    for start in range(0, len(photos), options.batch_size):
        batch = photos[start : start + options.batch_size]
        written = colorize_files(
            colorizer, batch, options.output, options.colorize, options.keep_colour_photos, outcomes.colour_photos
        )
        failed = [outcome for outcome in written if outcome is not None]
        outcomes.failures.extend(failed)
        progress.update(done=len(batch), failed=len(failed), name=batch[-1].relative)
