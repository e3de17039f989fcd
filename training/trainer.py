"""The training loop: set-up, epochs over both phases, validation, checkpoints, resume.

Single process (CPU or one GPU) or under torchrun (DDP; NCCL on GPUs, gloo on CPU).
Only rank 0 writes files. SIGINT/SIGTERM stop at the next step boundary with a
checkpoint that resumes exactly, mid-epoch included.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import os
import signal
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from model.artifact import load_artifact
from model.discriminator import PatchDiscriminator
from model.generator import GeneratorConfig, build_generator, expand_input_channels
from model.lab import DEFAULT_NORMALIZATION, rgb_to_lab
from model.torch_backend import resolve_device
from training.checkpoint import load_checkpoint, restore_rng_state, rng_state, save_checkpoint
from training.colour_losses import ab_histogram, rebalancing_weights
from training.config import TrainConfig
from training.data import PhotoDataset, ScanResult, list_images, scan_folder, split_validation
from training.device_data import DecodedPhotos, DevicePhotos, chunked, decode_photos, device_batches
from training.distributed import DistributedContext, all_reduce_sum, barrier, init_distributed, shutdown_distributed
from training.ema import WeightEMA
from training.hints import scale_hint_input_updates
from training.plots import plot_curves, save_sample_grid
from training.run_files import (
    TensorBoardLog,
    epoch_row,
    format_row,
    read_metrics,
    setup_logging,
    write_metrics,
)
from training.steps import MetricSums, Nets, to_rgb, train_step, validation_step

log = logging.getLogger("training")

# Under DDP, ranks agree on a SIGINT/SIGTERM (a collective) every this many steps.
_DISTRIBUTED_STOP_CHECK_STEPS = 20


class StopRequest:
    """Turns SIGINT/SIGTERM into a flag checked between steps."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = {}

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def _handle(self, signum, frame) -> None:  # noqa: ARG002
        self.requested = True

    def agreed(self, context: DistributedContext, device: torch.device) -> bool:
        """All ranks stop at the same step if any of them was signalled."""
        if not context.enabled:
            return self.requested
        flag = torch.tensor([1.0 if self.requested else 0.0], device=device)
        return bool(all_reduce_sum(flag, context).item() > 0)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


class EpochIndexSampler:
    """Yields (epoch, index) pairs so workers know the epoch for augmentation.

    Mutable: the trainer sets `epoch` and `indices` before each pass, so one
    DataLoader with persistent workers serves every epoch (no worker restarts).
    """

    def __init__(self) -> None:
        self.epoch, self.indices = 0, []

    def __iter__(self):
        return iter([(self.epoch, index) for index in self.indices])

    def __len__(self) -> int:
        return len(self.indices)


class _EpochAwareDataset(torch.utils.data.Dataset):
    def __init__(self, dataset: PhotoDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key):
        epoch, index = key
        self.dataset.set_epoch(epoch)
        return self.dataset[index]


def _ignore_stop_signals(worker_id: int) -> None:  # noqa: ARG001
    """Workers leave SIGINT/SIGTERM to the main process, which stops cleanly and saves.

    A Ctrl-C or `timeout` signals the whole process group; a worker killed by it
    would make the DataLoader raise before the checkpoint is written.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _precision(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    choice = config.precision
    if choice == "auto":
        choice = "bf16" if device.type == "cuda" else "fp32"
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[choice]


def _weights_checksum(module: torch.nn.Module) -> str:
    digest = hashlib.sha256()
    for key, value in sorted(module.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def _sync_buffers(module: torch.nn.Module, context: DistributedContext) -> None:
    """BatchNorm running stats drift per rank between DDP broadcasts; make rank 0's win."""
    if context.enabled:
        for buffer in module.buffers():
            torch.distributed.broadcast(buffer, src=0)


class Trainer:
    def __init__(self, config: TrainConfig, resume: str | None = None) -> None:
        self.config = config
        self.resume_path = resume
        self.out_dir = Path(config.out_dir)

    # ----- set-up -------------------------------------------------------------------------
    def _setup(self) -> None:
        config = self.config
        requested = resolve_device(config.device)
        self.context = init_distributed(requested.type)
        if requested.type == "cuda" and self.context.enabled:
            self.device = torch.device("cuda", self.context.local_rank)
        else:
            self.device = requested
        if self.context.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        barrier(self.context)
        setup_logging(self.out_dir, self.context.is_main, self.context.rank)
        torch.manual_seed(config.seed)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True

        self._setup_data()
        self._setup_nets()
        self.start_epoch, self.skip_batches, self.partial_sums = 0, 0, None
        self.global_step, self.best = 0, {"psnr": -math.inf, "phase": 0}
        if self.resume_path:
            self._resume(self.resume_path)
        self._wrap_nets()
        self._make_loaders()
        # Rows of epochs this run will redo (after a resume) are dropped.
        previous = read_metrics(self.out_dir / "metrics.csv") if self.context.is_main else []
        self.rows = [row for row in previous if int(row["epoch"]) <= self.start_epoch]

    def _setup_data(self) -> None:
        config = self.config
        workers = max(1, config.workers)
        if config.data_on_device:
            train_files, val_files, skipped = self._decode_to_device()
        else:
            train_scan = ScanResult()
            for folder in config.data_dirs:
                scan = scan_folder(folder, config.min_image_side, workers=workers * 2)
                log.info("train data %s: %s", folder, scan.describe())
                train_scan.files.extend(scan.files)
                train_scan.skipped.update(scan.skipped)
            if config.val_dir:
                val_scan = scan_folder(config.val_dir, config.min_image_side, workers=workers * 2)
                train_files, val_files = train_scan.files, val_scan.files
                log.info("val data %s: %s", config.val_dir, val_scan.describe())
            else:
                train_files, val_files = split_validation(train_scan.files, config.val_fraction, config.seed)
                log.info("val data: %d images held out of the train folder (--val-fraction %s)", len(val_files), config.val_fraction)
            if config.max_val_images:
                val_files = val_files[: config.max_val_images]
            skipped = train_scan.skipped
        if not train_files:
            raise SystemExit(f"no usable training images under {', '.join(config.data_dirs)}")
        if not val_files:
            raise SystemExit("no usable validation images")
        if not config.data_on_device:
            self.train_set = PhotoDataset(train_files, config.image_size, train=True, seed=config.seed)
            self.val_set = PhotoDataset(val_files, config.image_size, train=False)
        world = self.context.world_size
        # Every rank needs at least one full batch; tiny data sets shrink the batch instead.
        # BatchNorm needs two images per batch.
        self.batch_size = min(config.batch_size, len(train_files) // world)
        if self.batch_size < 2:
            raise SystemExit(f"need at least 2 training images per process (batch >= 2), have {len(train_files)} for {world}")
        self.counts = {"train": len(train_files), "val": len(val_files), **{f"skipped_{k}": v for k, v in skipped.items()}}

    def _decode_to_device(self) -> tuple[list, list, Counter]:
        """--data-on-device: decode every photo once (with the scan's checks) into device memory."""
        config = self.config
        threads = max(2, config.workers * 2, os.cpu_count() or 1)
        progress = config.progress and self.context.is_main
        started = time.perf_counter()
        decoded = []
        for folder in config.data_dirs:
            part = decode_photos(list_images(folder), config.image_size, config.min_image_side, threads, progress)
            log.info("train data %s: %s", folder, part.describe())
            decoded.append(part)
        train = DecodedPhotos(
            np.concatenate([p.pixels for p in decoded]), [f for p in decoded for f in p.files],
            sum((p.skipped for p in decoded), Counter()),
        )
        if config.val_dir:
            val = decode_photos(list_images(config.val_dir), config.image_size, config.min_image_side, threads, progress)
            log.info("val data %s: %s", config.val_dir, val.describe())
        else:
            train_files, val_files = split_validation(train.files, config.val_fraction, config.seed)
            position = {path: index for index, path in enumerate(train.files)}
            skipped = train.skipped
            train, val = train.subset([position[p] for p in train_files]), train.subset([position[p] for p in val_files])
            train.skipped = skipped
            log.info("val data: %d images held out of the train folder (--val-fraction %s)", len(val.files), config.val_fraction)
        if config.max_val_images:
            val = val.subset(list(range(min(config.max_val_images, len(val.files)))))
        self.train_set = DevicePhotos(train, self.device, seed=config.seed)
        self.val_set = DevicePhotos(val, self.device, seed=config.seed)
        log.info(
            "decoded %d + %d photos into %s memory in %.1f s (%.2f GB as uint8)", len(train.files), len(val.files),
            self.device.type, time.perf_counter() - started, (train.pixels.nbytes + val.pixels.nbytes) / 1e9,
        )
        return train.files, val.files, train.skipped

    def _setup_nets(self) -> None:
        config = self.config
        generator_config = GeneratorConfig(in_channels=config.in_channels, decoder_channels=tuple(config.decoder_channels))
        weights = None if config.encoder_weights == "none" else config.encoder_weights
        self.generator = build_generator(generator_config, encoder_weights=weights)
        if config.init_from:
            self._load_initial_generator(config.init_from, generator_config)
        self.generator.to(self.device)
        self.teacher = None
        if config.distill_from:
            self.teacher, metadata = load_artifact(config.distill_from, device=self.device)
            self.teacher.requires_grad_(False)
            log.info("images without hints learn the output of %s (%s %s)", config.distill_from, metadata.name, metadata.version)
        self.discriminator = PatchDiscriminator().to(self.device)
        self.channels_last = self.device.type == "cuda"
        if self.channels_last:
            self.generator.to(memory_format=torch.channels_last)
            self.discriminator.to(memory_format=torch.channels_last)
        # One fused kernel per optimizer step on CUDA instead of a dozen per parameter group.
        fused = {"fused": True} if self.device.type == "cuda" else {}
        self.optimizer_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr_g, betas=tuple(config.betas_g), **fused)
        if config.hints and config.hint_lr_scale != 1.0:
            scale_hint_input_updates(self.optimizer_g, self.generator, config.hint_lr_scale)
        self.optimizer_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr_d, betas=tuple(config.betas_d), **fused)
        self.ema = None  # created when the adversarial phase starts (or restored by _resume)
        self.ab_weights = self._ab_weights() if config.rebalanced_l1 else None
        self.autocast_dtype = _precision(config, self.device)
        use_scaler = self.autocast_dtype == torch.float16
        self.scaler_g = torch.amp.GradScaler(self.device.type) if use_scaler else None
        self.scaler_d = torch.amp.GradScaler(self.device.type) if use_scaler else None

    def _ab_weights(self, sample: int = 512, side: int = 64) -> torch.Tensor:
        """--rebalanced-l1: per-bin weights from the ab distribution of a seeded sample of training photos."""
        generator = torch.Generator().manual_seed(self.config.seed)
        chosen = torch.randperm(len(self.train_set), generator=generator)[:sample].tolist()
        if isinstance(self.train_set, DevicePhotos):
            images = self.train_set.gather(torch.tensor(chosen, device=self.device))
            batches = [F.interpolate(images, size=(side, side), mode="area")]
        else:
            small = PhotoDataset([self.train_set.files[i] for i in chosen], side, train=False)
            batches = [torch.stack([small[i] for i in range(len(small))])]
        counts = ab_histogram(batches)
        weights = rebalancing_weights(counts)
        log.info(
            "rebalanced L1: ab-bin weights from %d photos, %d bins occur, weights %.2f to %.1f",
            len(chosen), int((counts > 0).sum()), float(weights.min()), float(weights.max()),
        )
        return weights.to(self.device)

    def _load_initial_generator(self, path: str, generator_config: GeneratorConfig) -> None:
        pretrained, metadata = load_artifact(path)
        if metadata.generator.in_channels < generator_config.in_channels:
            # A model without hint inputs learns them from zero weights (it starts out unchanged).
            pretrained = expand_input_channels(pretrained, generator_config.in_channels)
        if pretrained.config != generator_config:
            raise SystemExit(
                f"--init-from {path}: its generator {metadata.generator} differs from this run's {generator_config} "
                "(--decoder-channels, --hints)"
            )
        self.generator.load_state_dict(pretrained.state_dict())
        log.info("generator initialised from %s (%s %s)", path, metadata.name, metadata.version)

    def _wrap_nets(self) -> None:
        config = self.config
        generator, discriminator = self.generator, self.discriminator
        if self.context.enabled:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            generator = DistributedDataParallel(generator, device_ids=device_ids)
            discriminator = DistributedDataParallel(discriminator, device_ids=device_ids)

        def compiled(module: torch.nn.Module) -> torch.nn.Module:
            return torch.compile(module, mode=None if config.compile_mode == "default" else config.compile_mode)

        # The G step's pass through D: without DDP's gradient hooks (D is frozen there).
        discriminator_frozen = self.discriminator
        if config.compile:
            generator, discriminator = compiled(generator), compiled(discriminator)
            discriminator_frozen = compiled(self.discriminator) if self.context.enabled else discriminator

        self.nets = Nets(
            generator=generator,
            discriminator=discriminator,
            generator_core=self.generator,
            discriminator_core=self.discriminator,
            optimizer_g=self.optimizer_g,
            optimizer_d=self.optimizer_d,
            scaler_g=self.scaler_g,
            scaler_d=self.scaler_d,
            device=self.device,
            autocast_dtype=self.autocast_dtype,
            channels_last=self.channels_last,
            hints=config.hint_simulation(),
            teacher=self.teacher,
            seed=config.seed,
            discriminator_frozen=discriminator_frozen,
            ema=self.ema,
            ab_weights=self.ab_weights,
            colourfulness_weight=config.colourfulness_weight,
        )

    def _start_ema(self) -> None:
        """The average starts as a copy of G when the adversarial phase starts (unless resumed)."""
        if self.config.ema_decay > 0 and self.ema is None:
            self.ema = WeightEMA(self.generator, self.config.ema_decay)
            self.nets.ema = self.ema
            log.info("EMA of the generator's weights from here on (decay %s)", self.config.ema_decay)

    # ----- checkpoints --------------------------------------------------------------------
    def _state(self, epoch: int, batches_done: int, sums: MetricSums | None, interrupted: bool) -> dict:
        return {
            "generator": self.generator.state_dict(),
            "generator_ema": self.ema.state_dict() if self.ema is not None else None,
            "discriminator": self.discriminator.state_dict(),
            "optimizer_g": self.optimizer_g.state_dict(),
            "optimizer_d": self.optimizer_d.state_dict(),
            "scaler_g": self.scaler_g.state_dict() if self.scaler_g else None,
            "scaler_d": self.scaler_d.state_dict() if self.scaler_d else None,
            "epoch": epoch,  # epochs fully done, or the epoch in progress when interrupted
            "phase": self.config.phase_of(min(epoch, self.config.total_epochs - 1)),  # the phase resume runs
            "batches_done": batches_done,
            "partial_sums": sums.state() if sums else None,
            "interrupted": interrupted,
            "global_step": self.global_step,
            "best": self.best,
            "rng": rng_state(),
            "config": self.config.to_dict(),
            "counts": self.counts,
            "val_metrics": getattr(self, "last_val", {}),
        }

    def _resume(self, path: str) -> None:
        state = load_checkpoint(path)
        self.generator.load_state_dict(state["generator"])
        if state.get("generator_ema") is not None:
            if self.config.ema_decay > 0:
                self.ema = WeightEMA(self.generator, self.config.ema_decay)
                self.ema.load_state_dict(state["generator_ema"])
            else:
                log.warning("%s holds an EMA of the generator, but --ema-decay is 0: continuing without it", path)
        self.discriminator.load_state_dict(state["discriminator"])
        self.optimizer_g.load_state_dict(state["optimizer_g"])
        self.optimizer_d.load_state_dict(state["optimizer_d"])
        for scaler, key in ((self.scaler_g, "scaler_g"), (self.scaler_d, "scaler_d")):
            if scaler is not None and state.get(key):
                scaler.load_state_dict(state[key])
        self.start_epoch = int(state["epoch"])
        self.global_step = int(state["global_step"])
        self.best = dict(state["best"])
        self.last_val = dict(state.get("val_metrics") or {})
        if state.get("interrupted"):
            self.skip_batches = int(state["batches_done"])
            self.partial_sums = MetricSums.from_state(state["partial_sums"]) if state.get("partial_sums") else None
        restore_rng_state(state["rng"])
        log.info(
            "resumed from %s: epoch %d, phase %d, step %d%s",
            path, self.start_epoch + 1, self.config.phase_of(self.start_epoch), self.global_step,
            f", {self.skip_batches} batches into the epoch" if self.skip_batches else "",
        )

    def _save(self, name: str, state: dict) -> None:
        if self.context.is_main:
            save_checkpoint(state, self.out_dir / name)

    # ----- loops --------------------------------------------------------------------------
    def _train_indices(self, epoch: int) -> list[int]:
        sampler = DistributedSampler(
            self.train_set, num_replicas=self.context.world_size, rank=self.context.rank,
            shuffle=True, seed=self.config.seed, drop_last=True,
        )
        sampler.set_epoch(epoch)
        indices = list(sampler)
        usable = len(indices) // self.batch_size * self.batch_size  # whole batches only
        return indices[:usable]

    def _make_loaders(self) -> None:
        if self.config.data_on_device:
            self.train_loader = self.val_loader = None
            self.val_indices = list(
                DistributedSampler(self.val_set, num_replicas=self.context.world_size, rank=self.context.rank, shuffle=False)
            )
            return
        workers = self.config.workers

        def loader(dataset, drop_last: bool) -> tuple[DataLoader, EpochIndexSampler]:
            sampler = EpochIndexSampler()
            return DataLoader(
                _EpochAwareDataset(dataset),
                batch_size=self.batch_size,
                sampler=sampler,
                num_workers=workers,
                pin_memory=self.device.type == "cuda",
                drop_last=drop_last,
                persistent_workers=workers > 0,
                prefetch_factor=4 if workers > 0 else None,
                worker_init_fn=_ignore_stop_signals,
            ), sampler

        self.train_loader, self.train_sampler = loader(self.train_set, drop_last=True)
        self.val_loader, self.val_sampler = loader(self.val_set, drop_last=False)
        self.val_sampler.indices = list(
            DistributedSampler(self.val_set, num_replicas=self.context.world_size, rank=self.context.rank, shuffle=False)
        )

    def _train_batches(self, epoch: int, indices: list[int]):
        """This epoch's batches from `indices` (this rank's remaining share, whole batches)."""
        if self.config.data_on_device:
            for batch_indices in device_batches(indices, self.batch_size, self.device):
                yield self.train_set.augmented(batch_indices, epoch)
            return
        self.train_sampler.epoch, self.train_sampler.indices = epoch, indices
        yield from self.train_loader

    def _set_learning_rates(self, epoch: int, batch_index: int, steps_per_epoch: int) -> None:
        """--gan-lr-decay-start: both rates by their step's factor in the adversarial phase."""
        config = self.config
        if config.gan_lr_decay_start >= 1.0 or self.config.phase_of(epoch) != 2:
            return
        gan_step = (epoch - config.l1_epochs) * steps_per_epoch + batch_index
        factor = config.gan_lr_factor(gan_step, config.gan_epochs * steps_per_epoch)
        for optimizer, base in ((self.optimizer_g, config.lr_g), (self.optimizer_d, config.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = base * factor

    def _train_epoch(self, epoch: int, stop: StopRequest) -> tuple[MetricSums, bool, int]:
        phase = self.config.phase_of(epoch)
        if phase == 2:
            self._start_ema()
        self.generator.train()
        self.discriminator.train()
        indices = self._train_indices(epoch)
        skip = self.skip_batches if epoch == self.start_epoch else 0
        sums = self.partial_sums if (skip and self.partial_sums) else MetricSums()
        total_batches = len(indices) // self.batch_size
        progress = tqdm(
            self._train_batches(epoch, indices[skip * self.batch_size :]), total=total_batches, initial=skip,
            unit="batch", leave=False, dynamic_ncols=True, desc=f"epoch {epoch + 1}/{self.config.total_epochs} phase {phase}",
            disable=not (self.context.is_main and self.config.progress),
        )
        # Agreeing on a stop across ranks is a collective that waits for the GPU: not every step.
        check_every = 1 if not self.context.enabled else _DISTRIBUTED_STOP_CHECK_STEPS
        started, seen, batches_done = time.perf_counter(), 0, skip
        for batch in progress:
            self._set_learning_rates(epoch, batches_done, total_batches)
            train_step(batch, self.nets, phase, self.config.lambda_l1, sums, step=self.global_step)
            self.global_step += 1
            batches_done += 1
            seen += batch.shape[0] * self.context.world_size
            progress.set_postfix(img_s=f"{seen / max(time.perf_counter() - started, 1e-9):.1f}", refresh=False)
            if batches_done < total_batches and batches_done % check_every == 0 and stop.agreed(self.context, self.device):
                progress.close()
                return sums, True, batches_done
        progress.close()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)  # the epoch's time includes the queued GPU work
        elapsed = time.perf_counter() - started
        self._images_per_s = seen / max(elapsed, 1e-9)
        return sums, False, batches_done

    def _reduce(self, sums: MetricSums) -> dict[str, float]:
        if not self.context.enabled:
            return sums.means()
        # Every rank has the same metric names in the same phase.
        names = sorted(sums.sums)
        packed = all_reduce_sum(sums.packed(names, self.device), self.context).tolist()
        total = max(packed[-1], 1.0)
        return {n: v / total for n, v in zip(names, packed[:-1], strict=False)}

    def _validate(self, epoch: int) -> dict[str, float]:
        phase = self.config.phase_of(epoch)
        self.generator.eval()
        self.discriminator.eval()
        nets = self.nets
        if self.ema is not None and phase == 2:
            nets = dataclasses.replace(nets, generator_core=self.ema.module)  # the averaged weights are the model
        sums, samples = MetricSums(), []
        if self.config.data_on_device:
            batches = (self.val_set.gather(i) for i in chunked(self.val_indices, self.batch_size, self.device))
        else:
            self.val_sampler.epoch = epoch
            batches = self.val_loader
        for batch in batches:
            predicted = validation_step(batch, nets, phase, self.config.lambda_l1, sums)
            if len(samples) < self.config.sample_count:
                truth = batch if batch.dtype == torch.uint8 else (batch * 255).round().to(torch.uint8)
                samples.extend(zip(truth.cpu(), predicted.cpu(), strict=False))
        self._samples = samples[: self.config.sample_count]
        return self._reduce(sums)

    def _write_epoch(self, epoch: int, train: dict, val: dict, seconds: float, save: bool) -> None:
        row = epoch_row(epoch + 1, self.config.phase_of(epoch), train, val, self._images_per_s, seconds)
        log.info(format_row(row))
        if not self.context.is_main:
            return
        self.rows.append(row)
        write_metrics(self.out_dir / "metrics.csv", self.rows)
        self.tensorboard.log_row(row)
        if not save:
            return
        plot_curves(self.rows, self.out_dir, self.config.l1_epochs)
        if self._samples:
            truth = torch.stack([s[0] for s in self._samples]).float() / 255.0
            predicted = torch.stack([s[1] for s in self._samples])
            lightness = DEFAULT_NORMALIZATION.normalize_l(rgb_to_lab(truth)[:, :1])
            gray = to_rgb(lightness, torch.zeros(lightness.shape[0], 2, *lightness.shape[2:]))
            save_sample_grid(gray, predicted, truth, self.out_dir / "samples.png", title=f"epoch {epoch + 1}")

    def _is_save_epoch(self, epoch: int) -> bool:
        """--save-every: every Nth epoch, the last epoch of each phase, and the last one."""
        config = self.config
        return (epoch + 1) % config.save_every == 0 or epoch + 1 in (config.l1_epochs, config.total_epochs)

    def run(self) -> dict:
        self._setup()
        config, context = self.config, self.context
        if context.is_main:
            self.tensorboard = TensorBoardLog(self.out_dir)
        log.info(
            "training on %s, world size %d, %s precision | %d train / %d val images | "
            "batch %d per rank, effective %d | %d L1 + %d GAN epochs at %d px",
            self.device, context.world_size, str(self.autocast_dtype or "fp32").replace("torch.", ""),
            self.counts["train"], self.counts["val"], self.batch_size, self.batch_size * context.world_size,
            config.l1_epochs, config.gan_epochs, config.image_size,
        )
        stop = StopRequest()
        stop.install()
        self._images_per_s = 0.0
        interrupted = False
        try:
            for epoch in range(self.start_epoch, config.total_epochs):
                started = time.perf_counter()
                sums, interrupted, batches_done = self._train_epoch(epoch, stop)
                if interrupted:
                    self._save("last.pt", self._state(epoch, batches_done, sums, interrupted=True))
                    log.info("stopped by signal in epoch %d after %d batches; saved last.pt", epoch + 1, batches_done)
                    break
                train_metrics = self._reduce(sums)
                _sync_buffers(self.generator, context)
                _sync_buffers(self.discriminator, context)
                if self.ema is not None:
                    _sync_buffers(self.ema.module, context)
                val_metrics = self._validate(epoch)
                self.last_val = val_metrics
                stopping = stop.agreed(context, self.device)
                save = self._is_save_epoch(epoch) or stopping
                self._write_epoch(epoch, train_metrics, val_metrics, time.perf_counter() - started, save)
                if save:
                    improved = self._is_best(epoch, val_metrics["psnr"])  # before the state, so last.pt knows it
                    state = self._state(epoch + 1, 0, None, interrupted=False)
                    self._save("last.pt", state)
                    if improved:
                        self._save("best.pt", state)
                    if epoch + 1 == config.l1_epochs and config.gan_epochs > 0:
                        self._save("phase1.pt", state)  # the L1 model, before the adversarial phase changes it
                barrier(context)
                if stopping:
                    log.info("stopped by signal after epoch %d; saved last.pt", epoch + 1)
                    interrupted = True
                    break
        finally:
            stop.restore()
            if context.is_main:
                self.tensorboard.close()
        checksum = _weights_checksum(self.generator) + _weights_checksum(self.discriminator)
        log.warning("rank %d final weights checksum %s", context.rank, checksum)
        shutdown_distributed(context)
        return {"interrupted": interrupted, "val": getattr(self, "last_val", {}), "checksum": checksum}

    def _is_best(self, epoch: int, val_psnr: float) -> bool:
        """best.pt tracks val PSNR within the latest phase: the L1 phase always wins on PSNR
        alone (it hedges towards grey), so a GAN-phase model is never displaced by it."""
        phase = self.config.phase_of(epoch)
        if phase > self.best["phase"] or val_psnr > self.best["psnr"]:
            self.best = {"psnr": val_psnr, "phase": phase, "epoch": epoch + 1}
            return True
        return False


def train(config: TrainConfig, resume: str | None = None) -> dict:
    return Trainer(config, resume).run()
