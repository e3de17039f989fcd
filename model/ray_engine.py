"""The Ray engine of the offline CLI: `python -m model ... --engine ray`.

Ray Data streams the list of pending inputs through a pool of actors. Each actor
loads the model once, then takes batches of `--batch-size` files: it reads them
(local paths or fsspec URLs, from whichever node it runs on), colorizes them with
`Colorizer.colorize_batch` (files of the same render shape share one forward),
and writes each result itself. Only file names and short outcome rows travel
through Ray's object store, never pixels, so the work spreads over as many
machines as the cluster has: with `--ray-address auto` on a cluster of 10 nodes
with 4 GPUs each and `--num-gpus-per-worker 1`, 40 actors each hold one model
copy on one GPU and pull batches as they finish the last one.

The driver (this process) lists inputs and existing outputs (one listing each,
for resuming), feeds the dataset, counts outcomes for the progress line and the
report, and never touches an image. The artifact is read here and shipped to the
actors through the object store, so cluster nodes need the Python environment but
not the model file.

Importing this module imports ray; the local engine never does.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import ray
import ray.data
import torch

import model
from model.artifact import default_artifact_path, read_metadata
from model.batch_io import Failure, InputFile, OutputSettings, colorize_files
from model.batch_video import colorize_video_file
from model.colorizer import Colorizer

if TYPE_CHECKING:
    from model.cli import Progress

# Rows per Ray Data block: small enough that work spreads early, large enough
# that a million files do not become a million scheduling units.
MAX_BLOCKS = 1000


class ColorizeWorker:
    """A Ray Data actor: one model copy, loaded once, colorizing batches of files (a film is a batch of one)."""

    def __init__(
        self,
        artifact: bytes,
        output: OutputSettings,
        render_size: int | None,
        use_gpu: bool,
        torch_threads: int,
        vibrance: float = 1.0,
    ) -> None:
        torch.set_num_threads(max(1, torch_threads))
        # Colorizer.load reads a file: write the shipped bytes to this node's temp folder.
        handle, path = tempfile.mkstemp(suffix=".safetensors")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(artifact)
            self.colorizer = Colorizer.load(path, device="cuda" if use_gpu else "cpu")
        finally:
            os.remove(path)
        self.output = output
        self.render_size = render_size
        self.vibrance = vibrance

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        items = [
            InputFile(str(url), str(relative)) for url, relative in zip(batch["url"], batch["relative"], strict=False)
        ]
        photos = [item for item in items if not item.is_video]
        photo_outcomes = iter(colorize_files(self.colorizer, photos, self.output, self.render_size, self.vibrance))
        outcomes = [
            colorize_video_file(self.colorizer, item, self.output, self.render_size, self.vibrance)
            if item.is_video
            else next(photo_outcomes)
            for item in items
        ]
        return {
            "url": np.asarray([item.url for item in items], dtype=object),
            "code": np.asarray([outcome.code if outcome else "" for outcome in outcomes], dtype=object),
            "message": np.asarray([outcome.message if outcome else "" for outcome in outcomes], dtype=object),
        }


def _connect(address: str | None) -> bool:
    """Join the cluster at `address` (or start a local Ray); True when this call started it.

    A Ray already initialised in this process (a test, a notebook) is used as it is.
    A remote cluster gets this `model` package shipped with the job, so its nodes run
    the same code as the driver (their environment must still have the dependencies).
    """
    if ray.is_initialized():
        return False
    runtime_env = None
    if address:
        runtime_env = {"py_modules": [model], "excludes": ["weights/", "__pycache__/"]}
    ray.init(address=address, runtime_env=runtime_env, include_dashboard=False)
    return True


def _worker_count(requested: int | None, cpus_per_worker: float, gpus_per_worker: float) -> int:
    if requested:
        return requested
    resources = ray.cluster_resources()
    if gpus_per_worker > 0:
        return max(1, math.floor(resources.get("GPU", 0) / gpus_per_worker))
    return max(1, math.floor(resources.get("CPU", 1) / cpus_per_worker))


def run_ray(
    pending: list[InputFile],
    output: OutputSettings,
    args: argparse.Namespace,
    progress: Progress,
    failures: list[Failure],
) -> None:
    """Colorize `pending` on Ray; appends each failed file to `failures` as outcomes arrive."""
    artifact_path = Path(args.artifact or default_artifact_path())
    read_metadata(artifact_path)  # a bad artifact fails here, clearly, not in every actor
    artifact = artifact_path.read_bytes()
    started_here = _connect(args.ray_address)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # one progress line from the driver instead
        workers = _worker_count(args.workers, args.cpus_per_worker, args.num_gpus_per_worker)
        worker_kwargs = {
            "artifact": artifact,
            "output": output,
            "render_size": args.render_size,
            "use_gpu": args.num_gpus_per_worker > 0,
            "torch_threads": max(1, int(args.cpus_per_worker)),
            "vibrance": getattr(args, "vibrance", 1.0),
        }
        films = [item for item in pending if item.is_video]
        photos = [item for item in pending if not item.is_video]
        # Films first, one per task (each may take minutes), so the photos fill in behind them.
        parts = [(films, 1, len(films)), (photos, args.batch_size, math.ceil(len(photos) / args.batch_size))]
        datasets = [
            ray.data.from_items(
                [{"url": item.url, "relative": item.relative} for item in items],
                override_num_blocks=min(MAX_BLOCKS, max(1, blocks)),
            ).map_batches(
                ColorizeWorker,
                fn_constructor_kwargs=worker_kwargs,
                batch_size=batch_size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(min_size=1, max_size=workers),
                num_cpus=args.cpus_per_worker,
                num_gpus=args.num_gpus_per_worker,
                # Ray Data restarts a lost actor (a node gone mid-run) and retries its batches by default.
            )
            for items, batch_size, blocks in parts
            if items
        ]
        dataset = datasets[0] if len(datasets) == 1 else datasets[0].union(*datasets[1:])
        progress.update()
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            failed = [
                Failure(str(url), str(code), str(message))
                for url, code, message in zip(batch["url"], batch["code"], batch["message"], strict=False)
                if code
            ]
            failures.extend(failed)
            progress.update(done=len(batch["url"]), failed=len(failed), name=str(batch["url"][-1]))
    finally:
        if started_here:
            ray.shutdown()
