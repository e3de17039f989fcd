"""Offline colorization of files and folders, no server needed: `colorizer colorize`.

    colorizer colorize photo.jpg old_photos/ --out colorized/ [--render-size 384] [--format jpeg]
    colorizer colorize scan.png --out out/ --vibrance 1.3 --hint 0.3,0.2,#4682c8 --hint 0.7,0.8,#a03020
    colorizer colorize clip.mp4 reels/ --out colorized/ [--crf 23]
    colorizer colorize s3://archive/scans/ --out s3://archive/colorized/ --engine ray --ray-address auto
    python -m colorizer_cli colorize ...   (the same)

Folders (local or fsspec URLs) are searched recursively; outputs keep the folder
structure and are named `<stem>-colorized.<ext>`. Videos (colorizer_cli.batch_video,
the `video` extra) keep their container: `clip.mp4` -> `clip-colorized.mp4`. A
rerun skips inputs whose output exists (`--overwrite` redoes them). Files that
cannot be read, decoded, colorized or written are recorded in `colorize-report.json`
beside the outputs and skipped; the exit status is 1 if any input failed, 2 for a
usage error.

The colorize options (render size, format, quality, vibrance, hints) are the REST
API's, from one table (model.options via colorizer_cli.option_flags); the films'
--crf is declared there too (video.options.VIDEO_OPTIONS). `--engine local` (the
default) runs in this process (colorizer_cli.engines); `--engine ray` spreads the
work over a Ray cluster (colorizer_cli.ray_engine, the `ray` extra).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from tqdm import tqdm

from colorizer_cli.batch_io import (
    REPORT_NAME,
    FileError,
    OutputSettings,
    list_inputs,
    pending_inputs,
    write_report,
)
from colorizer_cli.engines import BatchOptions, HintsUnsupported, Outcomes, RayOptions, run_local
from colorizer_cli.option_flags import add_option_flags, options_from_args
from model.artifact import ArtifactError, default_artifact_path
from model.backends import BACKENDS
from training.cli_support import HelpFormatter, add_version_argument
from video.formats import VIDEO_SUFFIXES

PROG = "colorizer colorize"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Colorize grayscale photos and films (files or whole folders, local or fsspec URLs) with the "
        "shipped or a given model. Reruns resume: inputs whose output exists are skipped. Videos ("
        + " ".join(sorted(VIDEO_SUFFIXES))
        + ") keep their container, frame count, frame rate and audio, with steady colour (needs the video "
        "extra: pip install '.[video]').",
        formatter_class=HelpFormatter,
    )
    add_version_argument(parser, prog)
    parser.add_argument(
        "inputs", nargs="+", help="image and video files and/or folders (searched recursively); paths or URLs"
    )
    parser.add_argument("--out", required=True, help="output folder or URL (e.g. s3://bucket/colorized)")
    parser.add_argument(
        "--artifact",
        default=None,
        help=f"model artifact (.safetensors) or its .onnx file (default: {default_artifact_path()})",
    )
    add_option_flags(parser)
    parser.add_argument("--overwrite", action="store_true", help="colorize inputs again even when their output exists")
    parser.add_argument(
        "--colour-photos",
        choices=("colorize", "keep"),
        default="colorize",
        help="photos that are already in colour (the spread of their a*, b*): colorize them from their gray, or "
        "keep them as they are; either way the summary names them",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=8,
        help="images decoded and colorized together (those of the same render shape share one forward)",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process; ray: a Ray cluster (needs the ray extra: pip install '.[ray]')",
    )
    parser.add_argument("--device", default="auto", help="local engine: auto (CUDA when present), cpu or cuda")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="local engine: what runs the network: onnx (ONNX Runtime, CPU), torch, or auto (torch on CUDA, "
        "else onnx when installed)",
    )
    parser.add_argument("--threads", type=int, default=0, help="local engine: network threads (0: every core)")
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar (there is none either when stderr is not a terminal); the summary is still printed",
    )
    ray_group = parser.add_argument_group("Ray engine (--engine ray)")
    ray_group.add_argument(
        "--ray-address",
        default=None,
        help="Ray cluster to join (e.g. auto, ray://head:10001); default: start a local Ray on this machine",
    )
    ray_group.add_argument(
        "--num-gpus-per-worker",
        type=float,
        default=0.0,
        help="GPUs each model worker reserves (0: CPU workers; 0.5: two workers share a GPU)",
    )
    ray_group.add_argument(
        "--cpus-per-worker", type=float, default=1.0, help="CPUs each model worker reserves (also its network threads)"
    )
    ray_group.add_argument(
        "--workers",
        type=int,
        default=None,
        help="most model workers at once (default: as many as the cluster's CPUs/GPUs allow)",
    )
    return parser


def usage_error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


class ProgressBar:
    """The engines' Progress as a tqdm bar on stderr: files done, failures, the latest file; below it,
    while a film is colorized, its frames with an ETA.

    Drawn only on a terminal and without --quiet: a log file gets no carriage returns.
    """

    def __init__(self, total: int, quiet: bool) -> None:
        self.failed = 0
        self.disabled = quiet or not sys.stderr.isatty()
        self.bar = tqdm(total=total, unit="file", dynamic_ncols=True, file=sys.stderr, disable=self.disabled)
        self.frame_bar: tqdm | None = None

    def frames(self, done: int, total: int, name: str = "") -> None:
        """The film in hand has `done` of about `total` frames (0: unknown) colorized."""
        if self.frame_bar is None:
            self.frame_bar = tqdm(
                total=total or None,
                unit="frame",
                desc=name[-30:],
                dynamic_ncols=True,
                file=sys.stderr,
                leave=False,
                position=1,
                disable=self.disabled,
            )
        if total and done > total:  # an estimate from the duration can fall short
            self.frame_bar.total = done
        self.frame_bar.update(done - self.frame_bar.n)
        if done == self.frame_bar.total:
            # tqdm skips a redraw within 0.1 s of the last, and a film's last batches often come that close.
            self.frame_bar.refresh()

    def end_film(self) -> None:
        if self.frame_bar is not None:
            self.frame_bar.close()
            self.frame_bar = None

    def update(self, done: int = 0, failed: int = 0, name: str = "") -> None:
        self.failed += failed
        if self.failed:
            self.bar.set_postfix(failed=self.failed, refresh=False)
        if name:
            self.bar.set_description(name[-30:], refresh=False)
        self.bar.update(done)

    def close(self) -> None:
        self.end_film()
        self.bar.close()


def _batch_options(args: argparse.Namespace) -> BatchOptions:
    """The run's options from the flags; ValueError for a combination argparse cannot check."""
    if args.batch_size < 1:
        raise ValueError("--batch-size must be at least 1")
    if args.engine == "ray" and (args.num_gpus_per_worker < 0 or args.cpus_per_worker <= 0 or (args.workers or 1) < 1):
        raise ValueError("--num-gpus-per-worker must be >= 0, --cpus-per-worker > 0 and --workers >= 1")
    colorize = options_from_args(args)
    return BatchOptions(
        output=OutputSettings(args.out, colorize.format, colorize.quality, args.crf),
        colorize=colorize,
        artifact=args.artifact,
        batch_size=args.batch_size,
        device=args.device,
        backend=args.backend,
        threads=args.threads,
        ray=RayOptions(args.ray_address, args.num_gpus_per_worker, args.cpus_per_worker, args.workers),
        keep_colour_photos=args.colour_photos == "keep",
        keyframes=(*args.keyframe_list, *(args.keyframes_file or ())),
    )


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        options = _batch_options(args)
    except ValueError as error:
        return usage_error(str(error))
    output = options.output
    try:
        inputs = list_inputs(args.inputs, exclude=args.out)
        pending = list(inputs) if args.overwrite else pending_inputs(inputs, output)
    except ImportError as error:  # e.g. s3:// without s3fs installed
        return usage_error(f"no filesystem for that URL: {error}")
    except (OSError, ValueError) as error:
        return usage_error(f"cannot list the inputs or the output folder: {error}")
    if not inputs:
        return usage_error("no images or videos found in the given inputs")
    skipped = len(inputs) - len(pending)
    if skipped:
        print(f"{skipped} of {len(inputs)} files already have an output in {args.out}: skipped", file=sys.stderr)

    outcomes = Outcomes()
    failures, colour_photos = outcomes.failures, outcomes.colour_photos
    interrupted = False
    progress = ProgressBar(len(pending), args.quiet)
    try:
        if pending and args.engine == "ray":
            try:
                from colorizer_cli.ray_engine import run_ray  # only this engine imports ray
            except ImportError as error:
                return usage_error(f"the Ray engine needs the ray extra ({error}): pip install '.[ray]'")
            run_ray(pending, options, progress, outcomes)
        elif pending:
            run_local(pending, options, progress, outcomes)
    except (ArtifactError, HintsUnsupported) as error:
        return usage_error(str(error))
    except KeyboardInterrupt:
        interrupted = True  # the report still says what failed so far; a rerun resumes
    finally:
        if pending:
            progress.close()
    summary = {
        "engine": args.engine,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "interrupted": interrupted,
        "inputs": len(inputs),
        "skipped_existing": skipped,
        "attempted": len(pending),
        "failed": len(failures),
        "colour_photos": {"action": args.colour_photos, "photos": colour_photos},
    }
    try:
        report = write_report(output, summary, failures)
    except FileError as error:
        print(f"error: {error.message}", file=sys.stderr)
        report = None
    for failure in failures:
        print(f"failed {failure.path}: {failure.message} [{failure.code}]", file=sys.stderr)
    if colour_photos:
        what = (
            "kept as they are"
            if options.keep_colour_photos
            else "colorized from their gray (--colour-photos keep keeps them)"
        )
        print(
            f"{len(colour_photos)} photos were already in colour: {what}: {', '.join(colour_photos[:5])}"
            + (" ..." if len(colour_photos) > 5 else ""),
            file=sys.stderr,
        )
    done = len(pending) - len(failures)
    print(
        f"colorized {done} of {len(pending)} files into {args.out}"
        + (f" ({skipped} already done)" if skipped else "")
        + (f"; report: {report}" if report else f"; no {REPORT_NAME} written"),
        file=sys.stderr,
    )
    if interrupted:
        return 130
    return 1 if failures or report is None else 0
