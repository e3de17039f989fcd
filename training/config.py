"""The training configuration: one dataclass, built from the CLI and stored in every checkpoint."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from model.generator_config import GeneratorConfig
from model.hints import HINT_INPUT_CHANNELS
from training.hints import HintSimulation

# torch.compile modes: "reduce-overhead" captures CUDA graphs.
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune-no-cudagraphs")
L1_LR_DECAYS = ("none", "cosine")


@dataclass
class TrainConfig:
    data_dir: str | list[str]  # one photo folder, or several whose photos are pooled
    out_dir: str
    val_dir: str | None = None
    val_fraction: float = 0.05
    image_size: int = 256
    min_image_side: int = 64
    batch_size: int = 16
    l1_epochs: int = 20
    gan_epochs: int = 20
    lambda_l1: float = 100.0
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas_g: list[float] = field(default_factory=lambda: [0.5, 0.999])
    betas_d: list[float] = field(default_factory=lambda: [0.5, 0.999])
    # The generator's decoder widths; the default is GeneratorConfig's (one copy).
    decoder_channels: list[int] = field(default_factory=lambda: list(GeneratorConfig().decoder_channels))
    encoder: str = "resnet18"  # the generator's encoder (model.encoders.ENCODERS)
    encoder_weights: str = "none"  # none, imagenet (the encoder's shipped ImageNet weights) or a path
    init_from: str | None = None  # a serving artifact whose generator weights start the run
    device: str = "auto"
    precision: str = "auto"
    compile: bool = False
    workers: int = 4
    seed: int = 0
    sample_count: int = 8
    max_val_images: int | None = None
    progress: bool = True
    # Colour hints (Zhang et al. 2017): simulate them so the generator learns to follow them.
    hints: bool = False
    hint_none_share: float = 0.3
    hint_mean_count: float = 8.0
    hint_max_patch: int = 9
    hint_lr_scale: float = 1.0  # update multiplier for the weights that read the hint planes
    distill_from: str | None = None  # artifact whose output images without hints learn
    # v2 recipe options; each default keeps the v1 behaviour.
    data_on_device: bool = False  # decode the photos once into device memory, augment there (training.device_data)
    ema_decay: float = 0.0  # > 0: EMA of G's weights over the adversarial phase; validated and exported
    gan_lr_decay_start: float = 1.0  # share of the adversarial phase after which both rates fall linearly to 0
    rebalanced_l1: bool = False  # weight L1 per pixel by the rarity of its true colour (Zhang et al. 2016)
    colourfulness_weight: float = 0.0  # weight of DDColor's colourfulness loss beside L1 (relative to L1)
    compile_mode: str = "default"  # torch.compile mode with --compile; "reduce-overhead" adds CUDA graphs
    save_every: int = 1  # write checkpoints, plots and samples every N epochs (and at each phase's end)
    # CPU-scale recipe options (v2 on the CPU); each default keeps the earlier behaviour.
    epoch_images: int = 0  # > 0: an epoch is this many photos, a fresh random subset each epoch (validate more often)
    l1_lr_decay: str = "none"  # "cosine": G's rate falls along a half cosine over the L1 phase to l1_lr_floor x lr_g
    l1_lr_floor: float = 0.05
    small_image_size: int = 0  # > 0: progressive resizing, the first small_image_epochs train on crops this small
    small_image_epochs: int = 0
    channels_last: str = "auto"  # "auto" (on CUDA only), "on" or "off"
    perceptual_weight: float = (
        0.0  # weight of the ImageNet-feature term beside L1 (training.perceptual; relative to L1)
    )

    def __post_init__(self) -> None:
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"--ema-decay must be in [0, 1), got {self.ema_decay}")
        if not 0.0 <= self.gan_lr_decay_start <= 1.0:
            raise ValueError(f"--gan-lr-decay-start must be in [0, 1], got {self.gan_lr_decay_start}")
        if self.colourfulness_weight < 0:
            raise ValueError(f"--colourfulness-weight must be at least 0, got {self.colourfulness_weight}")
        if self.compile_mode not in COMPILE_MODES:
            raise ValueError(f"--compile-mode must be one of {', '.join(COMPILE_MODES)}, got {self.compile_mode}")
        if self.l1_lr_decay not in L1_LR_DECAYS:
            raise ValueError(f"--l1-lr-decay must be one of {', '.join(L1_LR_DECAYS)}, got {self.l1_lr_decay}")
        if not 0.0 <= self.l1_lr_floor <= 1.0:
            raise ValueError(f"--l1-lr-floor must be in [0, 1], got {self.l1_lr_floor}")
        if self.epoch_images < 0:
            raise ValueError(f"--epoch-images must be at least 0, got {self.epoch_images}")
        if self.small_image_size < 0 or self.small_image_epochs < 0:
            raise ValueError("--small-image-size and --small-image-epochs must be at least 0")
        if self.small_image_epochs and not 0 < self.small_image_size < self.image_size:
            raise ValueError(
                f"--small-image-epochs needs --small-image-size between 1 and --image-size ({self.image_size}) - 1"
            )
        if self.perceptual_weight < 0:
            raise ValueError(f"--perceptual-weight must be at least 0, got {self.perceptual_weight}")
        if self.channels_last not in ("auto", "on", "off"):
            raise ValueError(f"--channels-last must be auto, on or off, got {self.channels_last}")
        if self.save_every < 1:
            raise ValueError(f"--save-every must be at least 1, got {self.save_every}")

    @property
    def data_dirs(self) -> list[str]:
        return [self.data_dir] if isinstance(self.data_dir, str) else list(self.data_dir)

    @property
    def in_channels(self) -> int:
        return HINT_INPUT_CHANNELS if self.hints else 1

    def generator_config(self) -> GeneratorConfig:
        """The generator this run trains: its input channels (L, plus hint planes) and decoder widths."""
        return GeneratorConfig(
            in_channels=self.in_channels, decoder_channels=tuple(self.decoder_channels), encoder=self.encoder
        )

    def hint_simulation(self) -> HintSimulation | None:
        if not self.hints:
            return None
        return HintSimulation(
            none_share=self.hint_none_share, mean_count=self.hint_mean_count, max_patch=self.hint_max_patch
        )

    @property
    def total_epochs(self) -> int:
        return self.l1_epochs + self.gan_epochs

    def phase_of(self, epoch: int) -> int:
        """1 (L1 pretraining) or 2 (adversarial) for a 0-based epoch index."""
        return 1 if epoch < self.l1_epochs else 2

    def gan_lr_factor(self, gan_step: int, gan_steps: int) -> float:
        """The learning-rate multiplier at the adversarial phase's step `gan_step` (0-based) of `gan_steps`.

        1 until `gan_lr_decay_start` of the phase, then linear towards 0 (pix2pix's
        `linear` policy, per step): the last step runs at 1 / (decaying steps + 1).
        """
        start = int(round(self.gan_lr_decay_start * gan_steps))
        if gan_step < start or gan_steps <= start:
            return 1.0
        return 1.0 - (gan_step - start + 1) / (gan_steps - start + 1)

    def l1_lr_factor(self, progress: float) -> float:
        """G's learning-rate multiplier at `progress` (0..1) through the L1 phase (--l1-lr-decay)."""
        if self.l1_lr_decay == "none":
            return 1.0
        progress = min(max(progress, 0.0), 1.0)
        return self.l1_lr_floor + (1.0 - self.l1_lr_floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def train_image_size(self, epoch: int) -> int:
        """The crop side epoch `epoch` (0-based) trains at: small first with progressive resizing."""
        return self.small_image_size if epoch < self.small_image_epochs else self.image_size

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})
