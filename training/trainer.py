"""The training loop: epochs over both phases, validation, checkpoints, resume.

Single process (CPU or one GPU) or under torchrun (DDP; NCCL on GPUs, gloo on CPU).
Only rank 0 writes files. SIGINT/SIGTERM stop at the next step boundary with a
checkpoint that resumes exactly, mid-epoch included (`training.stop_signals`).
Where the photos come from is `training.photo_sets`, how batches reach the loop
`training.samplers`, what one step does `training.steps`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from model.artifact import load_artifact
from model.generator import UNetGenerator, build_generator, expand_input_channels, with_class_head
from model.lab import DEFAULT_NORMALIZATION, rgb_to_lab
from model.torch_backend import resolve_device
from training.checkpoint import load_checkpoint, restore_rng_state, rng_state, save_checkpoint
from training.checksum import weights_checksum
from training.config import TrainConfig
from training.data import PhotoDataset
from training.device_data import DevicePhotos
from training.discriminator import PatchDiscriminator
from training.distributed import (
    DistributedContext,
    all_reduce_sum,
    barrier,
    init_distributed,
    shutdown_distributed,
    sync_buffers,
)
from training.ema import WeightEMA
from training.nets import build_optimizers, perceptual_loss, place_networks, wrap_nets
from training.photo_sets import ab_rebalancing_weights, class_weights_from_photos, load_photo_sets
from training.plots import plot_curves, save_sample_grid
from training.run_files import (
    TensorBoardLog,
    epoch_row,
    format_row,
    read_metrics,
    setup_logging,
    write_metrics,
)
from training.samplers import DeviceFeed, LoaderFeed, train_indices
from training.steps import MetricSums, Nets, to_rgb, train_step, validation_step
from training.stop_signals import StopRequest

log = logging.getLogger("training")

# Under DDP, ranks agree on a SIGINT/SIGTERM (a collective) every this many steps.
_DISTRIBUTED_STOP_CHECK_STEPS = 20


def _precision(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    choice = config.precision
    if choice == "auto":
        choice = "bf16" if device.type == "cuda" else "fp32"
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[choice]


def _start_process(config: TrainConfig, out_dir: Path) -> tuple[DistributedContext, torch.device]:
    """Join the process group (under torchrun), pick this rank's device, set up logging and seeds."""
    requested = resolve_device(config.device)
    context = init_distributed(requested.type)
    device = torch.device("cuda", context.local_rank) if requested.type == "cuda" and context.enabled else requested
    if context.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
    barrier(context)
    setup_logging(out_dir, context.is_main, context.rank)
    torch.manual_seed(config.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return context, device


def _downscaled(batch: torch.Tensor, size: int) -> torch.Tensor:
    """A batch of crops at size x size (progressive resizing): antialiased, float in [0, 1]."""
    images = batch.float().div_(255.0) if batch.dtype == torch.uint8 else batch.float()
    resized = F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return resized.clamp_(0.0, 1.0)


class Trainer:
    """One training run. Building it joins the process group, loads the photos, builds the
    networks and optimizers and restores a checkpoint (`resume`); `run` trains."""

    def __init__(self, config: TrainConfig, resume: str | None = None) -> None:
        self.config = config
        self.out_dir = Path(config.out_dir)
        self.context, self.device = _start_process(config, self.out_dir)

        photos = load_photo_sets(config, self.context, self.device)
        self.train_set, self.val_set = photos.train, photos.val
        self.batch_size, self.counts = photos.batch_size, photos.counts

        # Networks, optimizers and the training-only extras.
        self.generator = self._build_generator()
        self.teacher = self._load_teacher()
        self.discriminator = PatchDiscriminator()
        self.channels_last = place_networks(self.generator, self.discriminator, self.device, config.channels_last)
        self.optimizer_g, self.optimizer_d = build_optimizers(config, self.generator, self.discriminator, self.device)
        self.ema: WeightEMA | None = None  # created when the adversarial phase starts (or restored by _resume)
        self.ab_weights = (
            ab_rebalancing_weights(self.train_set, config.seed, self.device) if config.rebalanced_l1 else None
        )
        self.class_weights = (
            class_weights_from_photos(self.train_set, config.seed, self.device) if config.class_weight else None
        )
        self.autocast_dtype = _precision(config, self.device)
        use_scaler = self.autocast_dtype == torch.float16
        self.scaler_g = torch.amp.GradScaler(self.device.type) if use_scaler else None
        self.scaler_d = torch.amp.GradScaler(self.device.type) if use_scaler else None

        # Where the run stands; a resumed run takes these from its checkpoint.
        self.start_epoch = 0
        self.skip_batches = 0  # batches of start_epoch already done before an interruption
        self.partial_sums: MetricSums | None = None  # their metric sums
        self.global_step = 0
        self.best: dict[str, Any] = {"psnr": -math.inf, "phase": 0}
        self.last_val: dict[str, float] = {}
        if resume:
            self._resume(resume)

        self.nets = self._wrap_nets()
        self.feed: LoaderFeed | DeviceFeed
        if isinstance(self.train_set, DevicePhotos) and isinstance(self.val_set, DevicePhotos):
            self.feed = DeviceFeed(self.train_set, self.val_set, self.context, self.batch_size, self.device)
        else:
            assert isinstance(self.train_set, PhotoDataset) and isinstance(self.val_set, PhotoDataset)
            self.feed = LoaderFeed(
                self.train_set, self.val_set, self.context, self.batch_size, config.workers, self.device
            )
        # Rows of epochs this run will redo (after a resume) are dropped.
        previous = read_metrics(self.out_dir / "metrics.csv") if self.context.is_main else []
        self.rows = [row for row in previous if int(row["epoch"]) <= self.start_epoch]
        self.tensorboard: TensorBoardLog | None = None  # opened by `run` on rank 0
        self.images_per_s = 0.0  # of the last whole epoch
        self.samples: list[tuple[torch.Tensor, torch.Tensor]] = []  # (truth, prediction) of the last validation

    # ----- set-up -------------------------------------------------------------------------
    def _build_generator(self) -> UNetGenerator:
        config = self.config
        generator_config = config.generator_config()
        weights = None if config.encoder_weights == "none" else config.encoder_weights
        generator = build_generator(generator_config, encoder_weights=weights)
        if config.init_from:
            generator.load_state_dict(self._initial_generator(config.init_from).state_dict())
        if config.freeze_encoder:
            generator.encoder.requires_grad_(False)
        return generator.to(self.device)

    def _load_teacher(self) -> UNetGenerator | None:
        """--distill-from: the frozen generator whose output hint-free images learn."""
        if not self.config.distill_from:
            return None
        teacher, metadata = load_artifact(self.config.distill_from, device=self.device)
        teacher.requires_grad_(False)
        log.info(
            "images without hints learn the output of %s (%s %s)",
            self.config.distill_from,
            metadata.name,
            metadata.version,
        )
        return teacher

    def _initial_generator(self, path: str) -> UNetGenerator:
        """--init-from: the artifact's generator, grown to this run's input channels."""
        generator_config = self.config.generator_config()
        pretrained, metadata = load_artifact(path)
        if metadata.generator.in_channels < generator_config.in_channels:
            # A model without hint inputs learns them from zero weights (it starts out unchanged).
            pretrained = expand_input_channels(pretrained, generator_config.in_channels)
        if pretrained.config.colour_classes == 0 and generator_config.colour_classes:
            # A model without the classification head gets a fresh one (v2 -> v3 fine-tuning).
            pretrained = with_class_head(pretrained, generator_config)
        if pretrained.config != generator_config:
            raise SystemExit(
                f"--init-from {path}: its generator {metadata.generator} differs from this run's {generator_config} "
                "(--encoder, --decoder-channels, --hints)"
            )
        log.info("generator initialised from %s (%s %s)", path, metadata.name, metadata.version)
        return pretrained

    def _wrap_nets(self) -> Nets:
        return wrap_nets(
            self.config,
            self.generator,
            self.discriminator,
            (self.optimizer_g, self.optimizer_d),
            self.device,
            self.autocast_dtype,
            channels_last=self.channels_last,
            distributed=self.context.enabled,
            scalers=(self.scaler_g, self.scaler_d),
            teacher=self.teacher,
            ema=self.ema,
            ab_weights=self.ab_weights,
            perceptual=perceptual_loss(self.config, self.device, self.channels_last),
            class_weights=self.class_weights,
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
            "val_metrics": self.last_val,
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
            path,
            self.start_epoch + 1,
            self.config.phase_of(self.start_epoch),
            self.global_step,
            f", {self.skip_batches} batches into the epoch" if self.skip_batches else "",
        )

    def _save(self, name: str, state: dict) -> None:
        if self.context.is_main:
            save_checkpoint(state, self.out_dir / name)

    # ----- loops --------------------------------------------------------------------------
    def _set_learning_rates(self, epoch: int, batch_index: int, steps_per_epoch: int) -> None:
        """--l1-lr-decay: G's rate by its step's factor in the L1 phase; --gan-lr-decay-start: both
        rates by their step's factor in the adversarial phase."""
        config = self.config
        if config.phase_of(epoch) == 1:
            if config.l1_lr_decay != "none":
                progress = (epoch + batch_index / max(steps_per_epoch, 1)) / max(config.l1_epochs, 1)
                for group in self.optimizer_g.param_groups:
                    group["lr"] = config.lr_g * config.l1_lr_factor(progress)
            return
        if config.gan_lr_decay_start >= 1.0:
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
        if self.config.freeze_encoder:
            self.generator.encoder.eval()  # its batch-norm statistics stay as loaded
        self.discriminator.train()
        indices = train_indices(len(self.train_set), self.context, epoch, self.batch_size, self.config.seed)
        if self.config.epoch_images:
            # --epoch-images: this epoch is the first share of its shuffle (each rank its part), whole batches.
            share = max(self.config.epoch_images // self.context.world_size // self.batch_size, 1) * self.batch_size
            indices = indices[:share]
        crop = self.config.train_image_size(epoch)
        skip = self.skip_batches if epoch == self.start_epoch else 0
        sums = self.partial_sums if (skip and self.partial_sums) else MetricSums()
        total_batches = len(indices) // self.batch_size
        progress = tqdm(
            self.feed.train_batches(epoch, indices[skip * self.batch_size :]),
            total=total_batches,
            initial=skip,
            unit="batch",
            leave=False,
            dynamic_ncols=True,
            desc=f"epoch {epoch + 1}/{self.config.total_epochs} phase {phase} {crop} px",
            disable=not (self.context.is_main and self.config.progress),
        )
        # Agreeing on a stop across ranks is a collective that waits for the GPU: not every step.
        check_every = 1 if not self.context.enabled else _DISTRIBUTED_STOP_CHECK_STEPS
        started, seen, batches_done = time.perf_counter(), 0, skip
        for batch in progress:
            if crop != self.config.image_size:
                batch = _downscaled(batch, crop)
            self._set_learning_rates(epoch, batches_done, total_batches)
            train_step(batch, self.nets, phase, self.config.lambda_l1, sums, step=self.global_step)
            self.global_step += 1
            batches_done += 1
            seen += batch.shape[0] * self.context.world_size
            progress.set_postfix(img_s=f"{seen / max(time.perf_counter() - started, 1e-9):.1f}", refresh=False)
            if (
                batches_done < total_batches
                and batches_done % check_every == 0
                and stop.agreed(self.context, self.device)
            ):
                progress.close()
                return sums, True, batches_done
        progress.close()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)  # the epoch's time includes the queued GPU work
        elapsed = time.perf_counter() - started
        self.images_per_s = seen / max(elapsed, 1e-9)
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
        sums = MetricSums()
        samples: list[tuple[torch.Tensor, torch.Tensor]] = []
        for batch in self.feed.val_batches(epoch):
            predicted = validation_step(batch, nets, phase, self.config.lambda_l1, sums)
            if len(samples) < self.config.sample_count:
                truth = batch if batch.dtype == torch.uint8 else (batch * 255).round().to(torch.uint8)
                samples.extend(zip(truth.cpu(), predicted.cpu(), strict=False))
        self.samples = samples[: self.config.sample_count]
        return self._reduce(sums)

    def _write_epoch(self, epoch: int, train: dict, val: dict, seconds: float, save: bool) -> None:
        row = epoch_row(epoch + 1, self.config.phase_of(epoch), train, val, self.images_per_s, seconds)
        log.info(format_row(row))
        if not self.context.is_main:
            return
        self.rows.append(row)
        write_metrics(self.out_dir / "metrics.csv", self.rows)
        if self.tensorboard is not None:
            self.tensorboard.log_row(row)
        if not save:
            return
        plot_curves(self.rows, self.out_dir, self.config.l1_epochs)
        if self.samples:
            truth = torch.stack([s[0] for s in self.samples]).float() / 255.0
            predicted = torch.stack([s[1] for s in self.samples])
            lightness = DEFAULT_NORMALIZATION.normalize_l(rgb_to_lab(truth)[:, :1])
            gray = to_rgb(lightness, torch.zeros(lightness.shape[0], 2, *lightness.shape[2:]))
            save_sample_grid(gray, predicted, truth, self.out_dir / "samples.png", title=f"epoch {epoch + 1}")

    def _is_save_epoch(self, epoch: int) -> bool:
        """--save-every: every Nth epoch, the last epoch of each phase, and the last one."""
        config = self.config
        return (epoch + 1) % config.save_every == 0 or epoch + 1 in (config.l1_epochs, config.total_epochs)

    def run(self) -> dict:
        """Train from the start (or the resumed) epoch to the end, or until a stop signal."""
        config, context = self.config, self.context
        if context.is_main:
            self.tensorboard = TensorBoardLog(self.out_dir)
        log.info(
            "training on %s, world size %d, %s precision | %d train / %d val images | "
            "batch %d per rank, effective %d | %d L1 + %d GAN epochs at %d px",
            self.device,
            context.world_size,
            str(self.autocast_dtype or "fp32").replace("torch.", ""),
            self.counts["train"],
            self.counts["val"],
            self.batch_size,
            self.batch_size * context.world_size,
            config.l1_epochs,
            config.gan_epochs,
            config.image_size,
        )
        stop = StopRequest()
        stop.install()
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
                sync_buffers(self.generator, context)
                sync_buffers(self.discriminator, context)
                if self.ema is not None:
                    sync_buffers(self.ema.module, context)
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
                    if config.keep_gan_epochs and config.phase_of(epoch) == 2:
                        self._save(f"epoch{epoch + 1}.pt", state)
                    if epoch + 1 == config.l1_epochs and config.gan_epochs > 0:
                        self._save("phase1.pt", state)  # the L1 model, before the adversarial phase changes it
                barrier(context)
                if stopping:
                    log.info("stopped by signal after epoch %d; saved last.pt", epoch + 1)
                    interrupted = True
                    break
        finally:
            stop.restore()
            if self.tensorboard is not None:
                self.tensorboard.close()
        checksum = weights_checksum(self.generator) + weights_checksum(self.discriminator)
        log.warning("rank %d final weights checksum %s", context.rank, checksum)
        shutdown_distributed(context)
        return {"interrupted": interrupted, "val": self.last_val, "checksum": checksum}

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
