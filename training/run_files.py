"""What a run folder holds besides checkpoints: metrics.csv, TensorBoard events, a log file."""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

from training.hints import HINTED_PSNR_METRIC

METRIC_NAMES = ("psnr", "l1", "g_gan", "d_loss", "g_total")
VAL_ONLY_METRICS = ("psnr_grayscale", "ssim", "colorfulness", "colorfulness_truth", HINTED_PSNR_METRIC)
CSV_COLUMNS = (
    ["epoch", "phase"]
    + [f"train_{name}" for name in METRIC_NAMES]
    + [f"val_{name}" for name in METRIC_NAMES + VAL_ONLY_METRICS]
    + ["images_per_s", "epoch_seconds"]
)


def read_metrics(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def write_metrics(path: Path, rows: list[dict]) -> None:
    """Rewrite the whole CSV (small), so a resumed run can drop rows past its checkpoint."""
    temporary = path.with_suffix(".csv.tmp")
    with open(temporary, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _format(row.get(key)) for key in CSV_COLUMNS})
    temporary.replace(path)


def _format(value: object) -> str:
    if value is None:
        return "nan"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def epoch_row(epoch: int, phase: int, train: dict, val: dict, images_per_s: float, seconds: float) -> dict:
    row = {"epoch": epoch, "phase": phase, "images_per_s": images_per_s, "epoch_seconds": seconds}
    for name in METRIC_NAMES:
        row[f"train_{name}"] = train.get(name, math.nan)
    for name in METRIC_NAMES + VAL_ONLY_METRICS:
        row[f"val_{name}"] = val.get(name, math.nan)
    return row


def format_row(row: dict) -> str:
    """The one log line per epoch."""

    def show(key: str, digits: int = 3) -> str:
        value = float(row.get(key, math.nan))
        return "-" if math.isnan(value) else f"{value:.{digits}f}"

    return (
        f"epoch {row['epoch']} (phase {row['phase']}) | "
        f"train psnr {show('train_psnr', 2)} l1 {show('train_l1', 4)} g_gan {show('train_g_gan')} "
        f"d {show('train_d_loss')} g_total {show('train_g_total')} | "
        f"val psnr {show('val_psnr', 2)} (gray {show('val_psnr_grayscale', 2)}) ssim {show('val_ssim', 4)} l1 {show('val_l1', 4)} "
        f"g_gan {show('val_g_gan')} d {show('val_d_loss')} g_total {show('val_g_total')} "
        f"colourfulness {show('val_colorfulness', 1)}/{show('val_colorfulness_truth', 1)} "
        f"hinted psnr {show('val_' + HINTED_PSNR_METRIC, 2)} | "
        f"{float(row['images_per_s']):.1f} img/s, {float(row['epoch_seconds']):.1f} s"
    )


def setup_logging(out_dir: Path | None, is_main: bool, rank: int) -> None:
    """Rank 0 logs INFO to stderr and RUN/train.log; other ranks only warnings."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if out_dir is not None and is_main:
        handlers.append(logging.FileHandler(out_dir / "train.log"))
    prefix = "" if rank == 0 else f"[rank {rank}] "
    logging.basicConfig(
        level=logging.INFO if is_main else logging.WARNING,
        format=f"%(asctime)s {prefix}%(message)s",
        datefmt="%H:%M:%S",
        handlers=handlers,
        force=True,
    )


class TensorBoardLog:
    """Scalars per epoch, under RUN/tensorboard (created on rank 0 only)."""

    def __init__(self, out_dir: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(out_dir / "tensorboard"))

    def log_row(self, row: dict) -> None:
        epoch = int(row["epoch"])
        for key, value in row.items():
            if key in ("epoch", "phase"):
                continue
            value = float(value)
            if not math.isnan(value):
                split, _, name = key.partition("_")
                tag = f"{name}/{split}" if split in ("train", "val") else key
                self.writer.add_scalar(tag, value, epoch)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
