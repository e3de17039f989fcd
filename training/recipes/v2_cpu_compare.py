"""The CPU recipe's comparisons (docs/model-history.md, "2.0.0 recipe comparisons"): arms that branch
from one checkpoint of the main run, one change each, everything else fixed.

Every arm resumes the same checkpoint (`--resume`, which restores the random state
too, so every arm sees the same batches and hints), trains one epoch of `--images`
photos at the rates the checkpoint's optimizers hold (no decay), and is validated on the main run's held-out photos (1% of
train + train_extra, not val/ or bench/) at 256 px, the default render size. The arms:

- `l1-128`, the baseline: L1 on 128 px crops, as the main run's first part;
- `l1-256`: progressive resizing, L1 on 256 px crops;
- `perceptual-128`: L1 plus the perceptual term on ImageNet features (DeOldify's NoGAN);
- `gan-128`, `gan-256`: the adversarial phase against the 70x70 PatchGAN (a fresh D);
- `l1-128-seed1`: the baseline on other batches and hints, to size the noise.

    python -m training.recipes.v2_cpu_compare run --base runs/v2cpu/epoch6.pt --work runs/v2cmp
    python -m training.recipes.v2_cpu_compare table --work runs/v2cmp

An arm whose run folder already has its epoch is skipped, so `run` continues where it
stopped. Run folders stay under --work (git-ignored runs/), never in the repository.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from training.checkpoint import load_checkpoint
from training.config import TrainConfig
from training.recipes.v2_compare import read_rows, summary

# (name, flags beyond the common ones)
ARMS = [
    ("l1-128", ["--small-image-epochs", "1000"]),
    ("l1-256", []),
    ("perceptual-128", ["--small-image-epochs", "1000", "--perceptual-weight", "0.05"]),
    ("gan-128", ["--small-image-epochs", "1000", "--gan"]),
    ("gan-256", ["--gan"]),
    ("l1-128-seed1", ["--small-image-epochs", "1000", "--seed", "1"]),
]


def arm_command(name: str, flags: list[str], base: Path, work: Path, images: int) -> list[str]:
    """`python -m training train` for one arm: the base run's data, network and sizes (from its
    checkpoint's config), the base's epoch plus one, at the base's rates."""
    state = load_checkpoint(base)
    config = TrainConfig.from_dict(state["config"])
    epoch = int(state["epoch"])
    gan = "--gan" in flags
    flags = [flag for flag in flags if flag != "--gan"]
    validation = ["--val-dir", config.val_dir] if config.val_dir else ["--val-fraction", str(config.val_fraction)]
    if config.max_val_images:
        validation += ["--max-val-images", str(config.max_val_images)]
    return [
        sys.executable,
        *("-m", "training", "train", "--data-dir", *config.data_dirs, *validation, "--out-dir", str(work / name)),
        *("--encoder", config.encoder, "--encoder-weights", config.encoder_weights),
        *("--decoder-channels", *(str(width) for width in config.decoder_channels)),
        *(["--hints"] if config.hints else []),
        *("--image-size", str(config.image_size), "--small-image-size", str(config.small_image_size)),
        *("--min-image-side", str(config.min_image_side), "--batch-size", str(config.batch_size)),
        *("--epoch-images", str(images), "--seed", str(config.seed)),
        *("--l1-epochs", str(epoch if gan else epoch + 1), "--gan-epochs", "1" if gan else "0"),
        *("--data-on-device", "--device", config.device, "--no-progress", "--sample-count", "8"),
        *("--resume", str(base)),
        *flags,
    ]


def run(args: argparse.Namespace) -> int:
    work, base = Path(args.work), Path(args.base)
    work.mkdir(parents=True, exist_ok=True)
    epoch = int(load_checkpoint(base)["epoch"])
    for name, flags in ARMS:
        if args.only and name not in args.only:
            continue
        rows = read_rows(work / name)
        if rows and int(rows[-1]["epoch"]) > epoch:
            print(f"{name}: done already", flush=True)
            continue
        command = arm_command(name, flags, base, work, args.images)
        print(" ".join(command), flush=True)
        with open(work / f"{name}.log", "w") as log:
            code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
        if code:
            print(f"{name}: exit {code}, see {work / (name + '.log')}", flush=True)
            return code
    return 0


def table(args: argparse.Namespace) -> int:
    work = Path(args.work)
    print(
        "| arm | flags | held-out PSNR at 256 | gap to grayscale | SSIM | colourfulness (% of truth) "
        "| PSNR gain from 10 hints | images/s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, flags in ARMS:
        rows = read_rows(work / name)
        if not rows:
            print(f"| {name} | | not run | | | | | |")
            continue
        numbers = summary(rows[-1])
        print(
            f"| {name} | `{' '.join(flags) or '(none)'}` | {numbers['psnr']:.2f} dB | {numbers['gain']:+.2f} dB | "
            f"{numbers['ssim']:.3f} | {numbers['colourfulness']:.0f}% | {numbers['hinted_gain']:+.2f} dB "
            f"| {float(rows[-1]['images_per_s']):.1f} |"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.recipes.v2_cpu_compare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="train every arm that has not run yet")
    run_parser.add_argument("--base", required=True, help="the main run's checkpoint every arm starts from")
    run_parser.add_argument("--work", required=True, help="folder for the arms' runs and logs")
    run_parser.add_argument("--images", type=int, default=800, help="photos each arm trains on (default: 800)")
    run_parser.add_argument("--only", nargs="+", default=None, help="run only these arms")
    table_parser = commands.add_parser("table", help="the markdown table of the arms that ran")
    table_parser.add_argument("--work", required=True)
    args = parser.parse_args(argv)
    return run(args) if args.command == "run" else table(args)


if __name__ == "__main__":
    raise SystemExit(main())
