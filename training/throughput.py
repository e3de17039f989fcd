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
from dataclasses import replace
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from model.discriminator import PatchDiscriminator
from model.generator import GeneratorConfig, UNetGenerator
from training.colour_losses import AB_BINS
from training.device_data import DecodedPhotos, DevicePhotos
from training.ema import WeightEMA
from training.hints import HintSimulation
from training.steps import MetricSums, Nets, train_step

# v1's measured training throughput on one H100 at 256 px, batch 32, bf16, data loading included (MODEL_CARD.md).
V1_IMAGES_PER_S = {1: 1150.0, 2: 900.0}


def make_nets(
    generator: nn.Module,
    discriminator: nn.Module,
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    *,
    hints: HintSimulation | None = None,
    ema_decay: float = 0.0,
    compile_mode: str | None = None,
    rebalanced_l1: bool = False,
    colourfulness_weight: float = 0.0,
) -> Nets:
    """Nets as the trainer builds them for one process: channels_last and fused Adam on CUDA,
    optionally torch.compile (`compile_mode`: "default", "reduce-overhead", ...), an EMA of G and the
    colour terms (rebalancing weights all 1 here: the same arithmetic as real ones)."""
    channels_last = device.type == "cuda"
    generator, discriminator = generator.to(device), discriminator.to(device)
    if channels_last:
        generator.to(memory_format=torch.channels_last)
        discriminator.to(memory_format=torch.channels_last)
    fused = {"fused": True} if device.type == "cuda" else {}
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999), **fused)
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999), **fused)
    wrapped_g: nn.Module = generator
    wrapped_d: nn.Module = discriminator
    if compile_mode:
        mode = None if compile_mode == "default" else compile_mode
        # torch.compile of a module returns an OptimizedModule (its annotation says a callable).
        wrapped_g = torch.compile(generator, mode=mode)  # type: ignore[assignment]
        wrapped_d = torch.compile(discriminator, mode=mode)  # type: ignore[assignment]
    return Nets(
        wrapped_g,
        wrapped_d,
        generator,
        discriminator,
        optimizer_g,
        optimizer_d,
        None,
        None,
        device,
        autocast_dtype,
        channels_last,
        hints=hints,
        discriminator_frozen=wrapped_d,
        ema=WeightEMA(generator, ema_decay) if ema_decay > 0 else None,
        ab_weights=torch.ones(AB_BINS * AB_BINS, device=device) if rebalanced_l1 else None,
        colourfulness_weight=colourfulness_weight,
    )


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
    return make_nets(UNetGenerator(), PatchDiscriminator(), device, autocast_dtype, **options)


def v2_nets(
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    decoder_channels: Sequence[int] | None = None,
    **options: Any,
) -> Nets:
    """The v2 recipe's nets: the hint-capable generator (4 input channels) and simulated hints."""
    config = GeneratorConfig(in_channels=4)
    if decoder_channels:
        config = replace(config, decoder_channels=tuple(decoder_channels))
    return make_nets(
        UNetGenerator(config), PatchDiscriminator(), device, autocast_dtype, hints=HintSimulation(), **options
    )
