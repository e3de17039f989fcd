"""The CPU-scale comparisons behind the v2 recipe's options (docs/model-history.md, "Recipe comparisons").

One change per arm against a baseline, everything else fixed: the same photos, seed,
crops, hints and validation images. Phase 1 (L1 only, from scratch) compares plain L1
with class-rebalanced L1 and with a colourfulness loss. Phase 2 (adversarial) starts
every arm from the baseline's phase-1 checkpoint (`--resume`, which also restores the
random state, so every arm sees the same batches and hints) and compares plain
pix2pix with EMA weights, with lr decay and with a lower lambda.

    python -m training.recipes.v2_compare run --work /tmp/cmp      # ~70 min on one CPU core; arms run one after another
    python -m training.recipes.v2_compare table --work /tmp/cmp    # the markdown table from the arms' metrics.csv
    python -m training.recipes.v2_compare grid --work /tmp/cmp --out grid.jpg   # every arm on the same val photos

An arm whose run folder already has its final epoch is skipped, so `run` continues
where it stopped. Run folders and the photo subset stay under --work, never in the repo.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from training.hints import HINTED_PSNR_METRIC

if TYPE_CHECKING:
    import torch

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "colorize"  # ../shared beside the checkout
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}

# (name, phase, flags beyond the common ones). Phase-2 arms resume the phase-1 baseline.
# EMA: at decay 0.999 the GPU run's 3,700-11,000 adversarial steps are averaged over
# their last ~1,000 (a tenth to a quarter of the phase); 0.95 averages this scale's 100
# steps over their last ~20 (0.999 here would just return the phase-1 weights).
ARMS = [
    ("p1-baseline", 1, []),
    ("p1-rebalanced", 1, ["--rebalanced-l1"]),
    ("p1-colourfulness-0.3", 1, ["--colourfulness-weight", "0.3"]),
    ("p1-colourfulness-0.03", 1, ["--colourfulness-weight", "0.03"]),
    ("p2-baseline", 2, []),
    ("p2-ema-0.95", 2, ["--ema-decay", "0.95"]),
    ("p2-lr-decay-0.5", 2, ["--gan-lr-decay-start", "0.5"]),
    ("p2-lambda-50", 2, ["--lambda-l1", "50"]),
    # Not an option: the baseline on other batches and hints from the same start, to size the noise.
    ("p2-baseline-seed1", 2, ["--seed", "1"]),
]


def make_subset(work: Path, data_root: Path, train_images: int, val_images: int, seed: int = 0) -> Path:
    """Symlinks to a seeded sample of train + train_extra (in proportion) and the first val photos."""
    subset = work / "data"
    if subset.is_dir():
        return subset
    folders = {
        name: sorted(p for p in (data_root / name).iterdir() if p.suffix.lower() in SUFFIXES)
        for name in ("train", "train_extra")
    }
    total = sum(len(paths) for paths in folders.values())
    for name, paths in folders.items():
        target = subset / name
        target.mkdir(parents=True)
        for path in random.Random(seed).sample(paths, round(train_images * len(paths) / total)):
            (target / path.name).symlink_to(path)
    (subset / "val").mkdir()
    for path in sorted(p for p in (data_root / "val").iterdir() if p.suffix.lower() in SUFFIXES)[:val_images]:
        (subset / "val" / path.name).symlink_to(path)
    return subset


def common_flags(subset: Path, args: argparse.Namespace) -> list[str]:
    return [
        "--data-dir",
        str(subset / "train"),
        str(subset / "train_extra"),
        "--val-dir",
        str(subset / "val"),
        "--image-size",
        str(args.image_size),
        "--batch-size",
        str(args.batch_size),
        "--hints",
        "--data-on-device",
        "--device",
        "cpu",
        "--seed",
        "0",
        "--l1-epochs",
        str(args.l1_epochs),
        "--no-progress",
        "--sample-count",
        "8",
    ]


def finished(run_dir: Path, epochs: int) -> bool:
    rows = read_rows(run_dir)
    return bool(rows) and int(rows[-1]["epoch"]) >= epochs


def read_rows(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.csv"
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def run(args: argparse.Namespace) -> int:
    work = Path(args.work)
    subset = make_subset(work, Path(args.data_root), args.train_images, args.val_images)
    baseline = work / "p1-baseline" / "last.pt"
    for name, phase, flags in ARMS:
        if args.only and name not in args.only:
            continue
        run_dir = work / name
        gan_epochs = 0 if phase == 1 else args.gan_epochs
        if finished(run_dir, args.l1_epochs + gan_epochs):
            print(f"{name}: done already", flush=True)
            continue
        command = [
            sys.executable,
            "-m",
            "training",
            "train",
            *common_flags(subset, args),
            "--gan-epochs",
            str(gan_epochs),
            "--out-dir",
            str(run_dir),
            *flags,
        ]
        if phase == 2:
            command += ["--resume", str(baseline)]
        print(" ".join(command), flush=True)
        with open(work / f"{name}.log", "w") as log:
            code = subprocess.call(
                command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"}
            )
        if code:
            print(f"{name}: exit {code}, see {work / (name + '.log')}", flush=True)
            return code
    return 0


def summary(row: dict) -> dict[str, float]:
    """The numbers the table shows from one metrics.csv row (the arm's last epoch)."""
    psnr, gray = float(row["val_psnr"]), float(row["val_psnr_grayscale"])
    return {
        "psnr": psnr,
        "gain": psnr - gray,
        "ssim": float(row["val_ssim"]),
        "colourfulness": 100 * float(row["val_colorfulness"]) / float(row["val_colorfulness_truth"]),
        "hinted_gain": float(row.get(f"val_{HINTED_PSNR_METRIC}") or "nan") - psnr,
    }


def table(args: argparse.Namespace) -> int:
    work = Path(args.work)
    print("| arm | phase | val PSNR | gap to grayscale | SSIM | colourfulness (% of truth) | PSNR gain from 10 hints |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, phase, flags in ARMS:
        rows = [row for row in read_rows(work / name) if int(row["phase"]) == phase]
        if not rows:
            print(f"| {name} | {phase} | not run | | | | |")
            continue
        numbers = summary(rows[-1])
        print(
            f"| {name} (`{' '.join(flags) or 'baseline'}`) | {phase} | {numbers['psnr']:.2f} dB | {numbers['gain']:+.2f} dB | "
            f"{numbers['ssim']:.3f} | {numbers['colourfulness']:.0f}% | {numbers['hinted_gain']:+.2f} dB |"
        )
    return 0


def _predict(checkpoint: Path, lightness: torch.Tensor) -> torch.Tensor:
    """The automatic colours (no hints) of a run's last weights: its EMA where it kept one, as validation used."""
    import torch

    from model.generator import UNetGenerator
    from training.checkpoint import load_checkpoint
    from training.config import TrainConfig
    from training.steps import generator_inputs, to_rgb

    state = load_checkpoint(checkpoint)
    config = TrainConfig.from_dict(state["config"])
    generator = UNetGenerator(config.generator_config())
    generator.load_state_dict(state["generator_ema"] if state.get("generator_ema") is not None else state["generator"])
    hint_planes = torch.zeros(lightness.shape[0], 3, *lightness.shape[2:]) if config.hints else None
    with torch.no_grad():
        return to_rgb(lightness, generator.eval()(generator_inputs(lightness, hint_planes)))


def grid(args: argparse.Namespace) -> int:
    """One row per val photo: input | each arm that ran | truth, with the arms' names on top."""
    import numpy as np
    import torch
    from PIL import Image, ImageDraw

    from model.lab import DEFAULT_NORMALIZATION, rgb_to_lab
    from training.data import PhotoDataset, list_images
    from training.steps import to_rgb

    work = Path(args.work)
    photos = PhotoDataset(list_images(work / "data" / "val")[: args.rows], args.image_size, train=False)
    truth = torch.stack([photos[i] for i in range(len(photos))]).float() / 255.0
    lightness = DEFAULT_NORMALIZATION.normalize_l(rgb_to_lab(truth)[:, :1])
    columns = [("input", to_rgb(lightness, torch.zeros(len(photos), 2, *lightness.shape[2:])))]
    for name, _, _ in ARMS:
        if (work / name / "last.pt").is_file():
            columns.append((name, _predict(work / name / "last.pt", lightness)))
    columns.append(("truth", truth))
    tile, header = args.image_size * args.scale, 16
    sheet = Image.new("RGB", (tile * len(columns), header + tile * len(photos)), "white")
    draw = ImageDraw.Draw(sheet)
    for column, (name, images) in enumerate(columns):
        draw.text((column * tile + 3, 2), name, fill="black")
        for row, image in enumerate(images):
            pixels = (image.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            sheet.paste(
                Image.fromarray(pixels).resize((tile, tile), Image.Resampling.BICUBIC),
                (column * tile, header + row * tile),
            )
    sheet.save(args.out, quality=80)
    print(args.out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser(
        "run", help="train the arms one after another", formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    run_parser.add_argument("--work", default="/tmp/cmp", help="subset and run folders (outside the repo)")
    run_parser.add_argument("--data-root", default=str(DATA), help="folder holding train/, train_extra/ and val/")
    run_parser.add_argument("--train-images", type=int, default=1600, help="photos sampled from train + train_extra")
    run_parser.add_argument("--val-images", type=int, default=96, help="first photos of val/")
    run_parser.add_argument("--image-size", type=int, default=64)
    run_parser.add_argument("--batch-size", type=int, default=16)
    run_parser.add_argument("--l1-epochs", type=int, default=2)
    run_parser.add_argument("--gan-epochs", type=int, default=1)
    run_parser.add_argument("--only", nargs="*", default=None, help="arm names to run (default: all)")
    table_parser = commands.add_parser("table", help="print the markdown table")
    table_parser.add_argument("--work", default="/tmp/cmp")
    grid_parser = commands.add_parser(
        "grid", help="a sample sheet of every arm", formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    grid_parser.add_argument("--work", default="/tmp/cmp")
    grid_parser.add_argument("--out", required=True, help="image file to write (.jpg keeps it small)")
    grid_parser.add_argument("--rows", type=int, default=6, help="val photos (the first ones)")
    grid_parser.add_argument("--image-size", type=int, default=64, help="the arms' training size")
    grid_parser.add_argument("--scale", type=int, default=2, help="tile side = image size x scale")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return {"run": run, "table": table, "grid": grid}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
