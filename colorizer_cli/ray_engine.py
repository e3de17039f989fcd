"""The Ray engine of the offline CLI: `colorizer colorize ... --engine ray`.

Ray Data streams the list of pending inputs through a pool of actors. Each actor
loads the model once, then takes batches of `--batch-size` files: it reads them
(local paths or fsspec URLs, from whichever node it runs on), colorizes them with
`Colorizer.colorize_batch` (files of the same render shape share one forward),
and writes each result itself. Only file names and short outcome rows travel
through Ray's object store, never pixels, so the work spreads over as many
machines as the cluster has: with `--ray-address auto` on a cluster of 10 nodes
with 4 GPUs each and `--num-gpus-per-worker 1`, 40 actors each hold one model
copy on one GPU and pull batches as they finish the last one. A film is a task of
its own (a batch of one, queued before the photos, which fill in behind it): its
actor streams it from its URL and writes it whole (`colorizer_cli.batch_video`).

The driver (this process) lists inputs and existing outputs (one listing each,
for resuming), feeds the dataset, counts outcomes for the progress line and the
report, and never touches an image. The artifact is read here and shipped to the
actors through the object store, so cluster nodes need the Python environment but
not the model file.

Importing this module imports ray; the local engine never does. Nothing here
imports torch: the actors load the model on whichever backend is installed
(ONNX Runtime on CPU workers with the `serve` extra), so '.[serve,ray]' is enough.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import ray
import ray.data

import colorizer_cli
import model
from colorizer_cli.batch_io import Failure, InputFile, OutputSettings, colorize_files
from colorizer_cli.batch_video import colorize_video_file
from colorizer_cli.engines import BatchOptions, Outcomes, Progress, check_hints_supported
from colorizer_cli.film_keyframes import KeyframeSpec
from model.artifact import default_artifact_path, read_metadata
from model.colorizer import Colorizer
from model.hints import HINT_INPUT_CHANNELS
from model.options import ColorizeOptions

# Rows per Ray Data block: small enough that work spreads early, large enough
# that a million files do not become a million scheduling units.
MAX_BLOCKS = 1000


class ColorizeWorker:
    """A Ray Data actor: one model copy, loaded once, colorizing batches of files (a film is a batch of one)."""

    def __init__(
        self,
        files: dict[str, bytes],
        output: OutputSettings,
        options: ColorizeOptions,
        use_gpu: bool,
        threads: int,
        keyframes: tuple[KeyframeSpec, ...] = (),
        keep_colour_photos: bool = False,
    ) -> None:
        # Colorizer.load reads files: write the shipped ones (the artifact, and its .onnx file when
        # there is one) to this node's temp folder under their own names, so the ONNX file is found.
        folder = tempfile.mkdtemp(prefix="colorizer-")
        try:
            for name, data in files.items():
                with open(os.path.join(folder, name), "wb") as file:
                    file.write(data)
            artifact = os.path.join(folder, next(name for name in files if name.endswith(".safetensors")))
            self.colorizer = Colorizer.load(artifact, device="cuda" if use_gpu else "cpu", threads=threads)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.output = output
        self.options = options
        self.keyframes = keyframes
        self.keep_colour_photos = keep_colour_photos

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        items = [
            InputFile(str(url), str(relative)) for url, relative in zip(batch["url"], batch["relative"], strict=False)
        ]
        photos = [item for item in items if not item.is_video]
        colour_photos: list[str] = []
        photo_outcomes = iter(
            colorize_files(self.colorizer, photos, self.output, self.options, self.keep_colour_photos, colour_photos)
        )
        outcomes = [
            colorize_video_file(self.colorizer, item, self.output, self.options, keyframes=self.keyframes)
            if item.is_video
            else next(photo_outcomes)
            for item in items
        ]
        found = set(colour_photos)
        return {
            "url": np.asarray([item.url for item in items], dtype=object),
            "relative": np.asarray([item.relative for item in items], dtype=object),
            "colour_photo": np.asarray([item.relative in found for item in items], dtype=bool),
            "code": np.asarray([outcome.code if outcome else "" for outcome in outcomes], dtype=object),
            "message": np.asarray([outcome.message if outcome else "" for outcome in outcomes], dtype=object),
        }


def _connect(address: str | None) -> bool:
    """Join the cluster at `address` (or start a local Ray); True when this call started it.

    A Ray already initialised in this process (a test, a notebook) is used as it is.
    A remote cluster gets this `model` and `colorizer_cli` code shipped with the job, so its
    nodes run the same code as the driver (their environment must still have the dependencies).
    """
    if ray.is_initialized():
        return False
    runtime_env = None
    if address:
        runtime_env = {"py_modules": [model, colorizer_cli], "excludes": ["weights/", "__pycache__/"]}
    ray.init(address=address, runtime_env=runtime_env, include_dashboard=False)
    return True


def _worker_count(requested: int | None, cpus_per_worker: float, gpus_per_worker: float) -> int:
    if requested:
        return requested
    resources = ray.cluster_resources()
    if gpus_per_worker > 0:
        return max(1, math.floor(resources.get("GPU", 0) / gpus_per_worker))
    return max(1, math.floor(resources.get("CPU", 1) / cpus_per_worker))


def _artifact_path(artifact: str | None) -> Path:
    """The .safetensors artifact of the run (`--artifact` may name its ONNX file)."""
    path = Path(artifact or default_artifact_path())
    return path.with_suffix(".safetensors") if path.suffix == ".onnx" else path


def _model_files(path: Path) -> dict[str, bytes]:
    """The artifact's bytes, and its ONNX file's when it has one beside it, by file name."""
    files = {path.name: path.read_bytes()}
    onnx = path.with_suffix(".onnx")
    if onnx.is_file():
        files[onnx.name] = onnx.read_bytes()
    return files


def run_ray(pending: list[InputFile], options: BatchOptions, progress: Progress, outcomes: Outcomes) -> None:
    """Colorize `pending` on Ray; appends to `outcomes` as the actors' answers arrive."""
    artifact = _artifact_path(options.artifact)
    metadata = read_metadata(artifact)  # a bad artifact fails here, clearly, not in every actor
    check_hints_supported(metadata.generator.in_channels == HINT_INPUT_CHANNELS, options)
    files = _model_files(artifact)
    ray_options = options.ray
    started_here = _connect(ray_options.address)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # one progress line from the driver instead
        workers = _worker_count(ray_options.workers, ray_options.cpus_per_worker, ray_options.num_gpus_per_worker)
        worker_kwargs = {
            "files": files,
            "output": options.output,
            "options": options.colorize,
            "use_gpu": ray_options.num_gpus_per_worker > 0,
            "threads": max(1, int(ray_options.cpus_per_worker)),
            "keyframes": options.keyframes,
            "keep_colour_photos": options.keep_colour_photos,
        }
        films = [item for item in pending if item.is_video]
        photos = [item for item in pending if not item.is_video]
        # Films first, one per task (each may take minutes), so the photos fill in behind them.
        parts = [(films, 1, len(films)), (photos, options.batch_size, math.ceil(len(photos) / options.batch_size))]
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
                num_cpus=ray_options.cpus_per_worker,
                num_gpus=ray_options.num_gpus_per_worker,
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
            outcomes.failures.extend(failed)
            outcomes.colour_photos.extend(
                str(relative)
                for relative, colour in zip(batch["relative"], batch["colour_photo"], strict=True)
                if colour
            )
            progress.update(done=len(batch["url"]), failed=len(failed), name=str(batch["url"][-1]))
    finally:
        # Batches arrive as actors finish them; the report names them in input order, as the local engine does.
        order = {item.relative: index for index, item in enumerate(pending)}
        outcomes.colour_photos.sort(key=lambda relative: order.get(relative, len(order)))
        if started_here:
            ray.shutdown()
