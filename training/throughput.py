"""Training-step throughput (images/s) on synthetic batches: for planning runs and benchmarks.

One step is exactly what `train_step` does: in phase 2 a D update then a G update.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from model.discriminator import PatchDiscriminator
from model.generator import UNetGenerator
from training.steps import MetricSums, Nets, train_step


def make_nets(generator: nn.Module, discriminator: nn.Module, device: torch.device, autocast_dtype) -> Nets:
    channels_last = device.type == "cuda"
    generator, discriminator = generator.to(device), discriminator.to(device)
    if channels_last:
        generator.to(memory_format=torch.channels_last)
        discriminator.to(memory_format=torch.channels_last)
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return Nets(generator, discriminator, generator, discriminator, optimizer_g, optimizer_d, None, None,
                device, autocast_dtype, channels_last)


def step_throughput(
    nets: Nets, image_size: int, batch_size: int, phase: int = 2, steps: int = 10, warmup: int = 3
) -> float:
    """Images per second of `train_step` on random images already on the device."""
    batch = torch.randint(0, 256, (batch_size, 3, image_size, image_size), dtype=torch.uint8, device=nets.device)
    sums = MetricSums()

    def sync() -> None:
        if nets.device.type == "cuda":
            torch.cuda.synchronize(nets.device)

    for _ in range(warmup):
        train_step(batch, nets, phase, 100.0, sums)
    sync()
    started = time.perf_counter()
    for _ in range(steps):
        train_step(batch, nets, phase, 100.0, sums)
    sync()
    return steps * batch_size / (time.perf_counter() - started)


def our_nets(device: torch.device, autocast_dtype) -> Nets:
    return make_nets(UNetGenerator(), PatchDiscriminator(), device, autocast_dtype)
