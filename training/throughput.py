"""Training-step throughput (images/s) and arithmetic (FLOPs): for planning runs and benchmarks.

One step is exactly what `train_step` does: in phase 1 the G update on L1, in
phase 2 a D update then a G update. `step_throughput` times it on batches from a
`DevicePhotos` set (the device-side crop and flip included) or on one fixed batch;
`step_flops` counts the step's floating-point operations with
`torch.utils.flop_counter.FlopCounterMode` (convolutions and matrix products,
forward and backward: everything else is a rounding error beside them).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from model.generator import build_generator
from training.config import TrainConfig
from training.device_data import DecodedPhotos, DevicePhotos
from training.discriminator import PatchDiscriminator
from training.nets import build_nets
from training.steps import MetricSums, Nets, train_step

# v1's measured training throughput on one H100 at 256 px, batch 32, bf16, data loading included (docs/model-history.md).
V1_IMAGES_PER_S = {1: 1150.0, 2: 900.0}


def make_nets(
    generator: nn.Module,
    discriminator: nn.Module,
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    config: TrainConfig | None = None,
) -> Nets:
    """Nets as the trainer builds them (training.nets.build_nets), from `config` (default: the default
    recipe's): its learning rates and betas, EMA, compile, hints and colour terms."""
    return build_nets(config or TrainConfig(data_dir="", out_dir=""), generator, discriminator, device, autocast_dtype)


def plan_epochs(
    rates: dict[int, float],
    images: int,
    budget_s: float,
    epoch_overhead_s: float,
    l1_share: float | None = None,
    max_epochs: int | None = None,
) -> tuple[int, int]:
    """(L1 epochs, GAN epochs) that fill `budget_s`, from each phase's images/s and a per-epoch overhead.

    With `l1_share`, that share of the budget goes to phase 1 and what is left to phase 2 (the
    v2 recipe); without, both phases get the same count, as many pairs as fit (v1's recipe).
    At least one epoch each; at most `max_epochs` each when given.
    """
    seconds = {phase: images / rates[phase] + epoch_overhead_s for phase in (1, 2)}
    if l1_share is None:
        l1_epochs = gan_epochs = max(1, int(budget_s // (seconds[1] + seconds[2])))
    else:
        l1_epochs = max(1, int(budget_s * l1_share // seconds[1]))
        gan_epochs = max(1, int((budget_s - l1_epochs * seconds[1]) // seconds[2]))
    if max_epochs is not None:
        l1_epochs, gan_epochs = min(l1_epochs, max_epochs), min(gan_epochs, max_epochs)
    return l1_epochs, gan_epochs


def random_photos(count: int, image_size: int, device: torch.device, seed: int = 0) -> DevicePhotos:
    """A DevicePhotos set of random uint8 images (timing needs no real photos)."""
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (count, image_size, image_size, 3), dtype=torch.uint8, generator=generator)
    return DevicePhotos(DecodedPhotos(pixels.numpy(), [], Counter()), device, seed=seed)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_throughput(
    nets: Nets,
    image_size: int,
    batch_size: int,
    phase: int = 2,
    steps: int = 10,
    warmup: int = 3,
    photos: DevicePhotos | None = None,
) -> float:
    """Images per second of `train_step`: on batches cropped from `photos` (the real data path), else one
    random batch already on the device. Timed from the first step after `warmup` to the GPU's last."""
    sums = MetricSums()
    fixed = None
    if photos is None:
        fixed = torch.randint(0, 256, (batch_size, 3, image_size, image_size), dtype=torch.uint8, device=nets.device)
    else:
        order = torch.randperm(len(photos), generator=torch.Generator().manual_seed(0))
        needed = (warmup + steps) * batch_size
        order = order.repeat(needed // len(photos) + 1)[:needed].to(nets.device).view(-1, batch_size)

    def batch(index: int) -> torch.Tensor:
        if photos is None:
            assert fixed is not None
            return fixed
        return photos.augmented(order[index], epoch=0)

    for index in range(warmup):
        train_step(batch(index), nets, phase, 100.0, sums, step=index)
    _sync(nets.device)
    started = time.perf_counter()
    for index in range(warmup, warmup + steps):
        train_step(batch(index), nets, phase, 100.0, sums, step=index)
    _sync(nets.device)
    sums.means()  # the per-epoch reduction, once
    return steps * batch_size / (time.perf_counter() - started)


def host_sync_in_step(nets: Nets, photos: DevicePhotos, batch_size: int, phase: int) -> str | None:
    """Run one step (after warm-up) with CUDA's sync debug mode set to error: None if nothing in it
    made the host wait for the GPU, else the error naming the call. CUDA only (None elsewhere)."""
    if nets.device.type != "cuda":
        return None
    indices = torch.arange(batch_size, device=nets.device) % len(photos)
    batch = photos.augmented(indices, epoch=0)
    sums = MetricSums()
    torch.cuda.synchronize(nets.device)
    torch.cuda.set_sync_debug_mode("error")
    try:
        train_step(batch, nets, phase, 100.0, sums, step=10_000)
    except RuntimeError as error:
        return str(error).splitlines()[0]
    finally:
        torch.cuda.set_sync_debug_mode("default")
    return None


def step_flops(nets: Nets, image_size: int, phase: int, batch_size: int = 2) -> float:
    """Floating-point operations per image of one `train_step` (forward and backward passes)."""
    batch = torch.randint(0, 256, (batch_size, 3, image_size, image_size), dtype=torch.uint8, device=nets.device)
    counter = FlopCounterMode(display=False)
    # No cuDNN autotuning for this one-off batch shape: the count does not depend on the kernels.
    with counter, torch.backends.cudnn.flags(enabled=torch.backends.cudnn.enabled, benchmark=False):
        train_step(batch, nets, phase, 100.0, MetricSums())
    _sync(nets.device)
    return counter.get_total_flops() / batch_size


def matmul_rate(device: torch.device, dtype: torch.dtype, size: int = 8192, repeats: int = 10) -> float:
    """Measured FLOP/s of a size^3 matrix product in `dtype` (random operands, after a warm-up)."""
    generator = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, device=device, dtype=dtype, generator=generator)
    b = torch.randn(size, size, device=device, dtype=dtype, generator=generator)
    a @ b
    _sync(device)
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    _sync(device)
    return 2 * size**3 * repeats / (time.perf_counter() - started)


def our_nets(device: torch.device, autocast_dtype: torch.dtype | None, **options: Any) -> Nets:
    """The default recipe's nets; `options`: TrainConfig fields to change (ema_decay, compile, ...)."""
    config = TrainConfig(data_dir="", out_dir="", **options)
    return make_nets(build_generator(config.generator_config()), PatchDiscriminator(), device, autocast_dtype, config)


def v2_nets(
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    decoder_channels: Sequence[int] | None = None,
    **options: Any,
) -> Nets:
    """The v2 recipe's nets: the hint-capable generator (4 input channels) and simulated hints."""
    if decoder_channels:
        options["decoder_channels"] = list(decoder_channels)
    return our_nets(device, autocast_dtype, hints=True, **options)
