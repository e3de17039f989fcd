"""A run's networks as `Nets`: placed on the device, their optimizers, DDP and torch.compile.

One builder for the trainer (training/trainer.py: placed and optimizers first, a
checkpoint restored into them, then wrapped) and the throughput benchmarks
(training/throughput.py: `build_nets`, all at once), so a benchmarked step is the
trained step: same learning rates and betas (TrainConfig's), same fused Adam, same
memory format, same compile.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from model.colour_classes import colour_class_count
from model.generator import UNetGenerator
from training.colour_losses import AB_BINS
from training.config import TrainConfig
from training.ema import WeightEMA
from training.hints import scale_hint_input_updates
from training.steps import Nets


def place_networks(
    generator: nn.Module, discriminator: nn.Module, device: torch.device, channels_last_mode: str = "auto"
) -> bool:
    """Move both networks to `device`, channels_last as --channels-last says; returns whether they are.

    auto: on CUDA only (faster convolutions there; on 2 CPU cores it measured no faster for either
    encoder, MODEL_CARD).
    """
    generator.to(device)
    discriminator.to(device)
    channels_last = channels_last_mode == "on" or (channels_last_mode == "auto" and device.type == "cuda")
    if channels_last:
        generator.to(memory_format=torch.channels_last)
        discriminator.to(memory_format=torch.channels_last)
    return channels_last


def build_optimizers(
    config: TrainConfig, generator: nn.Module, discriminator: nn.Module, device: torch.device
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """Adam for G and D at the config's rates and betas (and the hint weights' update scale)."""
    # One fused kernel per optimizer step on CUDA instead of a dozen per parameter group.
    fused = {"fused": True} if device.type == "cuda" else {}
    beta1_g, beta2_g = config.betas_g
    beta1_d, beta2_d = config.betas_d
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=(beta1_g, beta2_g), **fused)
    if config.hints and config.hint_lr_scale != 1.0:
        if not isinstance(generator, UNetGenerator):
            raise TypeError(f"--hint-lr-scale needs the U-Net generator, not {type(generator).__name__}")
        scale_hint_input_updates(optimizer_g, generator, config.hint_lr_scale)
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=(beta1_d, beta2_d), **fused)
    return optimizer_g, optimizer_d


def wrap_nets(
    config: TrainConfig,
    generator: nn.Module,
    discriminator: nn.Module,
    optimizers: tuple[torch.optim.Optimizer, torch.optim.Optimizer],
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    *,
    channels_last: bool,
    distributed: bool = False,
    scalers: tuple[torch.amp.GradScaler | None, torch.amp.GradScaler | None] = (None, None),
    teacher: UNetGenerator | None = None,
    ema: WeightEMA | None = None,
    ab_weights: torch.Tensor | None = None,
    perceptual: nn.Module | None = None,
    class_weights: torch.Tensor | None = None,
) -> Nets:
    """The Nets a step runs: DDP around each network when `distributed`, torch.compile with --compile."""
    wrapped_g: nn.Module = generator
    wrapped_d: nn.Module = discriminator
    if distributed:
        device_ids = [device.index] if device.type == "cuda" else None
        wrapped_g = DistributedDataParallel(generator, device_ids=device_ids)
        wrapped_d = DistributedDataParallel(discriminator, device_ids=device_ids)

    def compiled(module: nn.Module) -> nn.Module:
        # torch.compile of a module returns an OptimizedModule (its annotation says a callable).
        mode = None if config.compile_mode == "default" else config.compile_mode
        return torch.compile(module, mode=mode)  # type: ignore[return-value]

    # The G step's pass through D: without DDP's gradient hooks (D is frozen there).
    discriminator_frozen: nn.Module = discriminator
    if config.compile:
        wrapped_g, wrapped_d = compiled(wrapped_g), compiled(wrapped_d)
        discriminator_frozen = compiled(discriminator) if distributed else wrapped_d
    optimizer_g, optimizer_d = optimizers
    return Nets(
        generator=wrapped_g,
        discriminator=wrapped_d,
        generator_core=generator,
        discriminator_core=discriminator,
        optimizer_g=optimizer_g,
        optimizer_d=optimizer_d,
        scaler_g=scalers[0],
        scaler_d=scalers[1],
        device=device,
        autocast_dtype=autocast_dtype,
        channels_last=channels_last,
        hints=config.hint_simulation(),
        teacher=teacher,
        seed=config.seed,
        discriminator_frozen=discriminator_frozen,
        ema=ema,
        ab_weights=ab_weights,
        colourfulness_weight=config.colourfulness_weight,
        real_chroma_boost=config.real_chroma_boost,
        perceptual=perceptual,
        perceptual_weight=config.perceptual_weight,
        class_weight=config.class_weight,
        class_weights=class_weights,
    )


def perceptual_loss(config: TrainConfig, device: torch.device, channels_last: bool) -> nn.Module | None:
    """--perceptual-weight: frozen ImageNet features of the run's EfficientNet-Lite (Lite0 beside a ResNet18)."""
    if not config.perceptual_weight:
        return None
    from training.perceptual import PerceptualLoss

    encoder = config.encoder if config.encoder.startswith("efficientnet_lite") else "efficientnet_lite0"
    loss = PerceptualLoss(encoder).to(device)
    return loss.to(memory_format=torch.channels_last) if channels_last else loss


def build_nets(
    config: TrainConfig,
    generator: nn.Module,
    discriminator: nn.Module,
    device: torch.device,
    autocast_dtype: torch.dtype | None,
) -> Nets:
    """Fresh Nets for one process, as the trainer builds them, for timing and counting steps.

    The colour terms are on as the config says (rebalancing weights all 1: the same arithmetic
    as real ones), and the EMA from the start when the config has one.
    """
    channels_last = place_networks(generator, discriminator, device, config.channels_last)
    optimizers = build_optimizers(config, generator, discriminator, device)
    ema = WeightEMA(generator, config.ema_decay) if config.ema_decay > 0 else None
    ab_weights = torch.ones(AB_BINS * AB_BINS, device=device) if config.rebalanced_l1 else None
    class_weights = torch.ones(colour_class_count(), device=device) if config.class_weight else None
    return wrap_nets(
        config,
        generator,
        discriminator,
        optimizers,
        device,
        autocast_dtype,
        channels_last=channels_last,
        ema=ema,
        ab_weights=ab_weights,
        perceptual=perceptual_loss(config, device, channels_last),
        class_weights=class_weights,
    )
