"""Offline batches: the local engine vs the Ray engine of `colorizer colorize`, in images per second.

Writes N photo-like grayscale JPEGs (two sizes, so batches hold two render shapes)
into a temporary folder, starts a local Ray on this machine's cores once (timed
apart: a cluster is started once, not per job), then runs the CLI's `main()` with
each engine into a fresh output folder, taking turns for --repeats rounds:

  local   one process, torch on every core, batches of --batch-size
  ray     Ray Data, one actor per core (1 CPU and 1 torch thread each), same batches

Each run is timed whole (model load and actor start-up included), once on all N
images and once on a single image; the difference gives each engine's fixed cost
per job and its throughput once running, which is what decides how a large
archive spreads. The outputs are compared: with torch on 2 threads locally and 1
per actor, the order of float sums differs, so a few values may differ by one
level (the tests run both engines at one thread and require identical pixels);
more than one level fails the run.

Examples:
    .venv/bin/python benchmarks/bench_batch.py                    # the shipped default model
    .venv/bin/python benchmarks/bench_batch.py --random-weights --images 32
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.harness import benchmark_parser, photo_like_jpeg, resolve_artifact
from colorizer_cli.colorize import main as colorize_cli

ENGINES = ("local", "ray")

CLUSTER_NOTE = """\
How it spreads over a cluster: the driver (the machine that runs `colorizer colorize
... --engine ray --ray-address auto`) lists the inputs and the existing outputs
once, then hands Ray Data one row per file (its URL and relative path, a few
hundred bytes). Ray keeps up to --workers actors busy (default: the cluster's
CPUs / --cpus-per-worker, or its GPUs / --num-gpus-per-worker); each actor loads
the model once and pulls the next batch when it finishes one, reading and writing
the files itself, from its own node, straight to the storage (s3://, gs://, a
shared folder). No pixels pass through the driver or Ray's object store, so
throughput grows with the number of actors until the storage or the network is
the limit: about (workers x the one-actor rate below). A node lost mid-run has its
actors restarted elsewhere and its batches retried; a killed job resumes on rerun
from the outputs that exist."""


def get_args_parser() -> argparse.ArgumentParser:
    parser = benchmark_parser(__doc__, allow_tiny=True)
    parser.add_argument("--images", type=int, default=48, help="images per run (default: 48)")
    parser.add_argument("--size", type=int, default=512, help="long side of the test JPEGs (default: 512)")
    parser.add_argument("--batch-size", type=int, default=4, help="--batch-size of both engines (default: 4)")
    parser.add_argument("--repeats", type=int, default=2, help="rounds of both engines (default: 2)")
    parser.add_argument(
        "--cpus",
        type=int,
        default=os.cpu_count() or 1,
        help="CPUs the local Ray gets, one actor each (default: this machine's cores)",
    )
    return parser


def write_inputs(folder: Path, count: int, size: int) -> None:
    """`count` grayscale JPEGs, half landscape (size x 3/4 size), half square."""
    folder.mkdir(parents=True)
    for index in range(count):
        data = photo_like_jpeg(size, seed=index)
        if index % 2:
            with Image.open(io.BytesIO(data)) as image:
                buffer = io.BytesIO()
                image.crop((0, 0, size, size * 3 // 4)).save(buffer, format="JPEG", quality=90)
                data = buffer.getvalue()
        (folder / f"scan{index:04d}.jpg").write_bytes(data)


def run_engine(engine: str, inputs: Path, out: Path, artifact: Path, args: argparse.Namespace) -> float:
    """Seconds for one whole CLI run (progress output swallowed)."""
    argv = [
        str(inputs),
        "--out",
        str(out),
        "--artifact",
        str(artifact),
        "--engine",
        engine,
        "--batch-size",
        str(args.batch_size),
    ]
    if engine == "local":
        argv += ["--device", "cpu"]
    else:
        argv += ["--workers", str(args.cpus), "--cpus-per-worker", "1"]
    started = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()) as captured:
        status = colorize_cli(argv)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{engine} run failed ({status}):\n{captured.getvalue()[-2000:]}")
    return elapsed


def compare_outputs(first: Path, second: Path) -> tuple[int, int, int]:
    """(largest difference in levels, values that differ, values compared) between two output folders."""
    names = sorted(path.name for path in first.glob("*-colorized.png"))
    if not names or names != sorted(path.name for path in second.glob("*-colorized.png")):
        raise SystemExit(f"the engines wrote different files: {first} vs {second}")
    largest = differing = total = 0
    for name in names:
        with Image.open(first / name) as a, Image.open(second / name) as b:
            difference = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16))
        largest = max(largest, int(difference.max()))
        differing += int(np.count_nonzero(difference))
        total += difference.size
    return largest, differing, total


def main() -> int:
    args = get_args_parser().parse_args()
    try:
        import ray
    except ImportError:
        raise SystemExit("this benchmark needs the optional Ray extra: .venv/bin/pip install -e '.[ray]'") from None

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch_name:
        scratch = Path(scratch_name)
        artifact = resolve_artifact(args, scratch)
        write_inputs(scratch / "many", args.images, args.size)
        write_inputs(scratch / "one", 1, args.size)

        started = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        ray_start_s = time.perf_counter() - started
        print(
            f"artifact {artifact.name}; {args.images} JPEGs at {args.size} px; local Ray on {args.cpus} CPUs "
            f"started in {ray_start_s:.1f} s (once per cluster)"
        )

        seconds: dict[tuple[str, str], list[float]] = {}
        for round_index in range(args.repeats):
            order = ENGINES if round_index % 2 == 0 else ENGINES[::-1]
            for engine in order:
                for job in ("one", "many"):
                    out = scratch / f"out-{engine}-{job}-{round_index}"
                    elapsed = run_engine(engine, scratch / job, out, artifact, args)
                    seconds.setdefault((engine, job), []).append(elapsed)
                    print(f"  round {round_index + 1}: {engine:<5} {job:<4} {elapsed:6.1f} s", flush=True)
        ray.shutdown()

        largest, differing, total = compare_outputs(scratch / "out-local-many-0", scratch / "out-ray-many-0")
        # Same code and batches; only torch's thread count differs (all cores here, one per actor), which
        # changes the order of float sums: a value may move by one level. The tests compare at equal threads.
        print(f"\nRay vs local outputs: {differing} of {total} values differ, by at most {largest} level(s)")
        print(f"{'engine':<8}{'whole job':>12}{'img/s':>9}{'fixed cost':>13}{'img/s running':>16}")
        rates = {}
        for engine in ENGINES:
            many = statistics.median(seconds[(engine, "many")])
            one = statistics.median(seconds[(engine, "one")])
            running = (args.images - 1) / max(many - one, 1e-9)
            rates[engine] = (args.images / many, running)
            print(f"{engine:<8}{many:>10.1f} s{args.images / many:>9.2f}{one:>11.1f} s{running:>16.2f}")
        print(
            f"ray / local, whole job: {rates['ray'][0] / rates['local'][0]:.2f}x; "
            f"once running: {rates['ray'][1] / rates['local'][1]:.2f}x; "
            f"one Ray actor once running: {rates['ray'][1] / args.cpus:.2f} img/s"
        )
        print()
        print(CLUSTER_NOTE)
        return 0 if largest <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
