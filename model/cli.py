"""Offline colorization of files and folders, no server needed.

    python -m model photo.jpg old_photos/ --out colorized/ [--render-size 384] [--format jpeg]
    python -m model s3://archive/scans/ --out s3://archive/colorized/ --engine ray --ray-address auto
    colorizer colorize ...   (the same, from the installed console command)

Folders (local or fsspec URLs) are searched recursively; outputs keep the folder
structure and are named `<stem>-colorized.<ext>`. Videos (model/batch_video.py, needs
the `video` extra) keep their container: `clip.mp4` -> `clip-colorized.mp4`. A rerun skips inputs whose
output exists (`--overwrite` redoes them). Files that cannot be read, decoded,
colorized or written are recorded in `colorize-report.json` beside the outputs
and skipped; the exit status is 1 if any input failed, 2 for a usage error.

`--engine local` (the default) runs in this process; `--engine ray` spreads the
work over a Ray cluster (model/ray_engine.py, needs the `ray` extra).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from tqdm import tqdm

from model.artifact import ArtifactError, default_artifact_path
from model.backends import BACKENDS
from model.batch_io import (
    REPORT_NAME,
    Failure,
    FileError,
    InputFile,
    OutputSettings,
    colorize_files,
    list_inputs,
    pending_inputs,
    write_report,
)
from model.cli_support import HelpFormatter, add_version_argument
from model.colorizer import MAX_RENDER_SIZE, MAX_VIBRANCE, MIN_RENDER_SIZE, MIN_VIBRANCE, Colorizer
from model.image_formats import DEFAULT_QUALITY, OUTPUT_FORMATS
from model.video.formats import DEFAULT_CRF, MAX_CRF, MIN_CRF, VIDEO_SUFFIXES


def build_parser(prog: str = "python -m model") -> argparse.ArgumentParser:
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
    parser.add_argument(
        "--render-size",
        type=int,
        default=None,
        help=f"short side the network sees, {MIN_RENDER_SIZE}-{MAX_RENDER_SIZE} (default: the model's)",
    )
    parser.add_argument("--format", choices=sorted(OUTPUT_FORMATS), default="png", help="output format")
    parser.add_argument("--quality", type=int, default=DEFAULT_QUALITY, help="JPEG/WebP quality, 1-100")
    parser.add_argument(
        "--vibrance",
        type=float,
        default=1.0,
        help=f"scale the predicted colour, {MIN_VIBRANCE:g} (grayscale) to {MAX_VIBRANCE:g}; 1 is the model's",
    )
    parser.add_argument(
        "--crf",
        type=int,
        default=DEFAULT_CRF,
        help=f"video quality, {MIN_CRF} (lossless) to {MAX_CRF} (worst), on x264's scale (mapped for VP9, "
        "MPEG-4 and MJPEG); lower is better and larger",
    )
    parser.add_argument("--overwrite", action="store_true", help="colorize inputs again even when their output exists")
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
        "--cpus-per-worker", type=float, default=1.0, help="CPUs each model worker reserves (also its torch threads)"
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


class Progress:
    """The progress bar (tqdm on stderr): files done, failures, the latest file; below it,
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


def run_local(
    pending: list[InputFile],
    output: OutputSettings,
    args: argparse.Namespace,
    progress: Progress,
    failures: list[Failure],
) -> None:
    """The local engine: this process, one batch of photos after another, then one film after
    another. Appends to `failures` as it goes."""
    colorizer = Colorizer.load(args.artifact, device=args.device, backend=args.backend, threads=args.threads)
    print(f"{colorizer.name} {colorizer.version} on {colorizer.backend_name} ({colorizer.device})", file=sys.stderr)
    progress.update()
    photos = [item for item in pending if not item.is_video]
    for item in (item for item in pending if item.is_video):
        from model.batch_video import colorize_video_file  # fsspec glue for films; the core is model.video

        def on_frames(done: int, total: int, name: str = item.relative) -> None:
            progress.frames(done, total, name)

        failure = colorize_video_file(colorizer, item, output, args.render_size, args.vibrance, on_frames)
        progress.end_film()
        failures.extend([failure] if failure else [])
        progress.update(done=1, failed=1 if failure else 0, name=item.relative)
    for start in range(0, len(photos), args.batch_size):
        batch = photos[start : start + args.batch_size]
        outcomes = colorize_files(colorizer, batch, output, args.render_size, args.vibrance)
        failed = [outcome for outcome in outcomes if outcome is not None]
        failures.extend(failed)
        progress.update(done=len(batch), failed=len(failed), name=batch[-1].relative)


def main(argv: list[str] | None = None, prog: str = "python -m model") -> int:
    args = build_parser(prog).parse_args(argv)
    if args.render_size is not None and not MIN_RENDER_SIZE <= args.render_size <= MAX_RENDER_SIZE:
        return usage_error(f"--render-size must be between {MIN_RENDER_SIZE} and {MAX_RENDER_SIZE}")
    if args.batch_size < 1:
        return usage_error("--batch-size must be at least 1")
    if not 1 <= args.quality <= 100:
        return usage_error("--quality must be between 1 and 100")
    if not MIN_VIBRANCE <= args.vibrance <= MAX_VIBRANCE:
        return usage_error(f"--vibrance must be between {MIN_VIBRANCE:g} and {MAX_VIBRANCE:g}")
    if not MIN_CRF <= args.crf <= MAX_CRF:
        return usage_error(f"--crf must be between {MIN_CRF} and {MAX_CRF}")
    if args.engine == "ray" and (args.num_gpus_per_worker < 0 or args.cpus_per_worker <= 0 or (args.workers or 1) < 1):
        return usage_error("--num-gpus-per-worker must be >= 0, --cpus-per-worker > 0 and --workers >= 1")
    output = OutputSettings(args.out, args.format, args.quality, args.crf)
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

    failures: list[Failure] = []
    interrupted = False
    progress = Progress(len(pending), args.quiet)
    try:
        if pending and args.engine == "ray":
            try:
                from model.ray_engine import run_ray  # only this engine imports ray
            except ImportError as error:
                return usage_error(f"the Ray engine needs the ray extra ({error}): pip install '.[ray]'")
            run_ray(pending, output, args, progress, failures)
        elif pending:
            run_local(pending, output, args, progress, failures)
    except ArtifactError as error:
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
    }
    try:
        report = write_report(output, summary, failures)
    except FileError as error:
        print(f"error: {error.message}", file=sys.stderr)
        report = None
    for failure in failures:
        print(f"failed {failure.path}: {failure.message} [{failure.code}]", file=sys.stderr)
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
