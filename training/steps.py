"""One optimisation step per phase, and one validation step; the pix2pix recipe.

Phase 1 (L1 pretraining): G minimises L1(G(L), ab).
Phase 2 (adversarial), in pix2pix's `optimize_parameters` order:
  1. D step: BCE-with-logits(D(L, ab), real) and (D(L, G(L).detach()), fake), halved.
  2. G step with D frozen: BCE-with-logits(D(L, G(L)), real) + lambda * L1(G(L), ab).
Losses are computed on normalised ab (network units), as pix2pix does.

With a classification head (`Nets.class_weight`, v3), the pixel term is L1 of the
regression head plus class_weight x the rebalanced cross-entropy of the classification
head (`training.class_loss`), in both phases; D judges the output, the mix of both heads.

With hint simulation on (`Nets.hints`), each batch gets simulated colour hints
(`training.hints`) beside L, in both phases. With a teacher (`Nets.teacher`), the
images that drew no hints learn the teacher's output instead of the ground truth, so
a fine-tune that teaches a model to follow hints keeps its automatic colours.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from model.generator import UNetGenerator
from model.lab import DEFAULT_NORMALIZATION, lab_to_rgb, rgb_to_lab
from training.class_loss import class_loss
from training.colour_losses import colourfulness_loss, l1_loss
from training.ema import WeightEMA
from training.hints import HINTED_PSNR_METRIC, VALIDATION_HINTS, HintSimulation, simulate_hints, step_generator
from training.metrics import colorfulness, psnr, ssim

# Validation hints are drawn from this seed every epoch, so epochs compare like for like.
_VALIDATION_HINT_SEED = 1234


@dataclass
class Nets:
    """The networks as the step functions need them.

    `generator`/`discriminator` may be DDP- or compile-wrapped; `*_core` are the plain
    modules (for checkpoints, and for the G step's pass through D, which must not
    trigger DDP's gradient hooks on D).
    """

    generator: nn.Module
    discriminator: nn.Module
    generator_core: nn.Module
    discriminator_core: nn.Module
    optimizer_g: torch.optim.Optimizer
    optimizer_d: torch.optim.Optimizer
    scaler_g: torch.amp.GradScaler | None  # fp16 only; bf16 and fp32 need no scaling
    scaler_d: torch.amp.GradScaler | None
    device: torch.device
    autocast_dtype: torch.dtype | None
    channels_last: bool = False
    hints: HintSimulation | None = None  # simulate colour hints (the generator then takes 4 channels)
    teacher: UNetGenerator | None = None  # frozen generator whose output hint-free images learn
    seed: int = 0
    # D for the G step's pass: the plain (or only compiled) module, without DDP's gradient hooks
    # (None: discriminator_core, which has none).
    discriminator_frozen: nn.Module | None = None
    ema: WeightEMA | None = None  # updated after every adversarial G step
    ab_weights: torch.Tensor | None = None  # class-rebalancing weight per ab bin, on the device (--rebalanced-l1)
    colourfulness_weight: float = 0.0  # weight of DDColor's colourfulness loss in the generator's objective
    real_chroma_boost: float = 1.0  # the discriminator's real ab is scaled by this (a saturation-boosted "real")
    perceptual: nn.Module | None = None  # frozen ImageNet features (training.perceptual), with perceptual_weight
    perceptual_weight: float = 0.0
    class_weight: float = 0.0  # weight of the a*b* classification term beside L1 (the generator has that head)
    class_weights: torch.Tensor | None = None  # its class-rebalancing weight per bin, on the device

    @property
    def discriminator_for_generator_step(self) -> nn.Module:
        return self.discriminator_frozen or self.discriminator_core


class MetricSums:
    """Per-image sums of metrics, reduced across ranks at the end of an epoch.

    Tensor values stay on their device: adding them never waits for the GPU, so the
    step loop runs ahead of it. The one transfer to the host is at the epoch's end
    (`means`, or the trainer's all-reduce) or when a checkpoint stores `state`.
    """

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor | float] = {}
        self.count = 0

    def add(self, name: str, value_per_image: torch.Tensor | float, images: int) -> None:
        total: torch.Tensor | float
        if isinstance(value_per_image, torch.Tensor):
            value = value_per_image.detach()
            total = value.sum(dtype=torch.float64) if value.dim() > 0 else value.double() * images
        else:
            total = float(value_per_image) * images
        self.sums[name] = self.sums.get(name, 0.0) + total

    def state(self) -> dict:
        return {"sums": {name: float(total) for name, total in self.sums.items()}, "count": self.count}

    @classmethod
    def from_state(cls, state: dict) -> MetricSums:
        sums = cls()
        sums.sums.update(state["sums"])
        sums.count = int(state["count"])
        return sums

    def packed(self, names: list[str], device: torch.device) -> torch.Tensor:
        """The sums of `names` and the image count as one float64 tensor on `device` (for an all-reduce)."""
        values = [torch.as_tensor(self.sums[name], dtype=torch.float64, device=device) for name in names]
        values.append(torch.tensor(float(self.count), dtype=torch.float64, device=device))
        return torch.stack(values)

    def means(self) -> dict[str, float]:
        names = sorted(self.sums)
        if not names:
            return {}
        device = next((v.device for v in self.sums.values() if isinstance(v, torch.Tensor)), torch.device("cpu"))
        totals = self.packed(names, device).tolist()  # the one synchronisation
        return {name: total / max(self.count, 1) for name, total in zip(names, totals[:-1], strict=False)}


def split_lab(batch: torch.Tensor, nets: Nets) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """RGB batch (uint8, or float in [0, 1] from `training.device_data`) -> (sRGB in [0, 1],
    normalised L, normalised ab) on the training device, float32.

    The sRGB batch is the ground truth the metrics compare with (no Lab round trip needed).
    """
    rgb = batch.to(nets.device, non_blocking=True)
    rgb = rgb.float().div_(255.0) if rgb.dtype == torch.uint8 else rgb.float()
    lab = rgb_to_lab(rgb)
    lightness = DEFAULT_NORMALIZATION.normalize_l(lab[:, :1])
    ab = DEFAULT_NORMALIZATION.normalize_ab(lab[:, 1:])
    if nets.channels_last:
        lightness = lightness.contiguous(memory_format=torch.channels_last)
        ab = ab.contiguous(memory_format=torch.channels_last)
    return rgb, lightness, ab


def to_rgb(lightness: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """Normalised (L, ab) -> sRGB in [0, 1]."""
    lab = torch.cat(
        [DEFAULT_NORMALIZATION.denormalize_l(lightness.float()), DEFAULT_NORMALIZATION.denormalize_ab(ab.float())],
        dim=1,
    )
    return lab_to_rgb(lab)


def generator_inputs(
    lightness: torch.Tensor, hint_planes: torch.Tensor | None, channels_last: bool = False
) -> torch.Tensor:
    """The generator's input: L alone, or L followed by the hint planes."""
    if hint_planes is None:
        return lightness
    inputs = torch.cat([lightness, hint_planes.to(lightness.dtype)], dim=1)
    return inputs.contiguous(memory_format=torch.channels_last) if channels_last else inputs


def _teacher_targets(ab: torch.Tensor, lightness: torch.Tensor, hint_planes: torch.Tensor, nets: Nets) -> torch.Tensor:
    """ab, with the teacher's prediction in place of the truth for images that drew no hints."""
    no_hints = hint_planes[:, 2].flatten(1).amax(dim=1) == 0
    if not bool(no_hints.any()):
        return ab
    teacher = nets.teacher
    assert teacher is not None  # only called when the recipe has a teacher
    teacher_in = lightness[no_hints]
    extra = teacher.config.in_channels - 1  # a 1-channel teacher reads L only
    if extra:
        teacher_in = torch.cat(
            [teacher_in, teacher_in.new_zeros(teacher_in.shape[0], extra, *teacher_in.shape[2:])], dim=1
        )
    with torch.no_grad(), _autocast(nets):
        predicted = teacher(teacher_in).float()
    targets = ab.clone()
    targets[no_hints] = predicted
    return targets


def _autocast(nets: Nets) -> contextlib.AbstractContextManager:
    if nets.autocast_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=nets.device.type, dtype=nets.autocast_dtype)


def _backward_and_step(
    loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None
) -> None:
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()


def _bce(logits: torch.Tensor, real: bool, per_image: bool = False) -> torch.Tensor:
    """BCE-with-logits against all-real or all-fake targets; the batch mean, or one value per image."""
    logits = logits.float()
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    if not per_image:
        return F.binary_cross_entropy_with_logits(logits, target)
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(1).mean(dim=1)


def _real_for_discriminator(ab: torch.Tensor, nets: Nets) -> torch.Tensor:
    """The "real" a*b* D learns from: the photo's, or saturation-boosted (--real-chroma-boost), clipped to the range."""
    if nets.real_chroma_boost == 1.0:
        return ab
    return (ab * nets.real_chroma_boost).clamp_(-1.0, 1.0)


def _colour_term(lightness: torch.Tensor, fake: torch.Tensor, nets: Nets, truth: torch.Tensor) -> torch.Tensor | float:
    """The colourfulness and perceptual terms (0 when their weights are 0); they ride with L1, so
    lambda scales them in phase 2."""
    term: torch.Tensor | float = 0.0
    if nets.colourfulness_weight:
        term = term + nets.colourfulness_weight * colourfulness_loss(to_rgb(lightness, fake))
    if nets.perceptual is not None and nets.perceptual_weight:
        term = term + nets.perceptual_weight * nets.perceptual(to_rgb(lightness, fake), truth)
    return term


def _generate(nets: Nets, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The training pass: (output ab, the regression head's ab, the classification logits or None)."""
    with _autocast(nets):
        if not nets.class_weight:
            fake = nets.generator(inputs)
            return fake.float(), fake.float(), None
        out = nets.generator(inputs, heads=True)
    return out.ab.float(), out.regression.float(), out.logits


def _pixel_terms(
    regression: torch.Tensor, logits: torch.Tensor | None, target: torch.Tensor, nets: Nets
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(L1 of the regression head, the classification loss or None) against the target."""
    l1 = l1_loss(regression, target, nets.ab_weights)
    if logits is None:
        return l1, None
    return l1, class_loss(logits, target, nets.class_weights)


def _set_requires_grad(module: nn.Module, flag: bool) -> None:
    for parameter in module.parameters():
        parameter.requires_grad_(flag)


def train_step(batch: torch.Tensor, nets: Nets, phase: int, lambda_l1: float, sums: MetricSums, step: int = 0) -> None:
    """One optimisation step; adds per-image metrics of this batch to `sums`.

    `step` (the global step) seeds the simulated hints, so a resumed run repeats them.
    """
    truth, lightness, ab = split_lab(batch, nets)
    images = lightness.shape[0]
    hint_planes = None
    target = ab
    if nets.hints is not None:
        hint_planes = simulate_hints(ab, nets.hints, step_generator(nets.seed, step))
        if nets.teacher is not None:
            target = _teacher_targets(ab, lightness, hint_planes, nets)
    fake, regression, logits = _generate(nets, generator_inputs(lightness, hint_planes, nets.channels_last))
    l1, classes = _pixel_terms(regression, logits, target, nets)
    pixel = l1 if classes is None else l1 + nets.class_weight * classes
    if classes is not None:
        sums.add("class", classes.detach(), images)

    if phase == 1:
        g_total = pixel + _colour_term(lightness, fake, nets, truth)
        nets.optimizer_g.zero_grad(set_to_none=True)
        _backward_and_step(g_total, nets.optimizer_g, nets.scaler_g)
        sums.add("l1", l1.detach(), images)
        sums.add("g_total", g_total.detach(), images)  # phase 1's whole objective
    else:
        _set_requires_grad(nets.discriminator_core, True)
        nets.optimizer_d.zero_grad(set_to_none=True)
        with _autocast(nets):
            logits_fake = nets.discriminator(torch.cat([lightness, fake.detach()], dim=1))
            logits_real = nets.discriminator(torch.cat([lightness, _real_for_discriminator(ab, nets)], dim=1))
        d_loss = 0.5 * (_bce(logits_fake, real=False) + _bce(logits_real, real=True))
        _backward_and_step(d_loss, nets.optimizer_d, nets.scaler_d)

        _set_requires_grad(nets.discriminator_core, False)
        nets.optimizer_g.zero_grad(set_to_none=True)
        with _autocast(nets):
            judged = nets.discriminator_for_generator_step(torch.cat([lightness, fake], dim=1))
        g_gan = _bce(judged, real=True)
        g_total = g_gan + lambda_l1 * (pixel + _colour_term(lightness, fake, nets, truth))
        _backward_and_step(g_total, nets.optimizer_g, nets.scaler_g)
        _set_requires_grad(nets.discriminator_core, True)
        if nets.ema is not None:
            nets.ema.update(nets.generator_core)
        for name, value in (("l1", l1), ("g_gan", g_gan), ("d_loss", d_loss), ("g_total", g_total)):
            sums.add(name, value.detach(), images)

    with torch.no_grad():
        sums.add("psnr", psnr(to_rgb(lightness, fake.detach()), truth), images)
    sums.count += images


@torch.no_grad()
def validation_step(batch: torch.Tensor, nets: Nets, phase: int, lambda_l1: float, sums: MetricSums) -> torch.Tensor:
    """Evaluate a batch (networks in eval mode); returns the predicted sRGB for sample grids.

    The adversarial terms are only meaningful once D trains, so phase 1 logs L1 alone.
    """
    truth, lightness, ab = split_lab(batch, nets)
    images = lightness.shape[0]
    no_hints = None
    if nets.hints is not None:
        no_hints = torch.zeros(images, 3, *lightness.shape[2:], device=lightness.device)
    with _autocast(nets):
        fake = nets.generator_core(generator_inputs(lightness, no_hints, nets.channels_last)).float()
    l1 = F.l1_loss(fake, ab, reduction="none").flatten(1).mean(dim=1)
    sums.add("l1", l1, images)
    if phase == 1:
        sums.add("g_total", l1, images)
    else:
        with _autocast(nets):
            logits_fake = nets.discriminator_core(torch.cat([lightness, fake], dim=1))
            logits_real = nets.discriminator_core(torch.cat([lightness, _real_for_discriminator(ab, nets)], dim=1))
        g_gan = _bce(logits_fake, real=True, per_image=True)
        d_loss = 0.5 * (_bce(logits_fake, real=False, per_image=True) + _bce(logits_real, real=True, per_image=True))
        sums.add("g_gan", g_gan, images)
        sums.add("d_loss", d_loss, images)
        sums.add("g_total", g_gan + lambda_l1 * l1, images)
    predicted = to_rgb(lightness, fake)
    baseline = to_rgb(lightness, torch.zeros_like(ab))
    sums.add("psnr", psnr(predicted, truth), images)
    sums.add("psnr_grayscale", psnr(baseline, truth), images)
    sums.add("ssim", ssim(predicted, truth), images)
    sums.add("colorfulness", colorfulness(predicted), images)
    sums.add("colorfulness_truth", colorfulness(truth), images)
    if nets.hints is not None:
        # The same number of hints for every image, drawn the same way every epoch.
        counts = torch.full((images,), VALIDATION_HINTS)
        planes = simulate_hints(ab, nets.hints, step_generator(_VALIDATION_HINT_SEED, sums.count), counts=counts)
        with _autocast(nets):
            hinted = nets.generator_core(generator_inputs(lightness, planes, nets.channels_last)).float()
        sums.add(HINTED_PSNR_METRIC, psnr(to_rgb(lightness, hinted), truth), images)
    sums.count += images
    return predicted
