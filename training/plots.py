"""PNG plots regenerated after every epoch: PSNR and GAN-loss curves, and a sample grid."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on training machines
import matplotlib.pyplot as plt
import numpy as np
import torch


def _series(rows: list[dict], split: str, key: str) -> tuple[list[int], list[float]]:
    epochs, values = [], []
    for row in rows:
        value = row.get(f"{split}_{key}")
        if value is not None and not math.isnan(float(value)):
            epochs.append(int(row["epoch"]))
            values.append(float(value))
    return epochs, values


def _curve_plot(rows: list[dict], key: str, title: str, ylabel: str, path: Path, l1_epochs: int) -> None:
    figure, axis = plt.subplots(figsize=(6, 4), dpi=100)
    for split, style in (("train", "-o"), ("val", "-s")):
        epochs, values = _series(rows, split, key)
        if epochs:
            axis.plot(epochs, values, style, markersize=3, label=split)
    if key == "psnr":
        epochs, values = _series(rows, "val", "psnr_grayscale")
        if epochs:
            axis.plot(epochs, values, "--", color="gray", label="val, grayscale baseline")
    if 0 < l1_epochs < max((int(r["epoch"]) for r in rows), default=0):
        axis.axvline(l1_epochs + 0.5, color="black", linewidth=0.8, linestyle=":", label="start of GAN phase")
    axis.set_title(title)
    axis.set_xlabel("epoch")
    axis.set_ylabel(ylabel)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_curves(rows: list[dict], out_dir: Path, l1_epochs: int) -> None:
    """psnr.png (train vs val, with the grayscale baseline) and gan_loss.png (total G loss)."""
    _curve_plot(rows, "psnr", "PSNR per epoch (sRGB)", "PSNR (dB)", out_dir / "psnr.png", l1_epochs)
    gan_rows = [row for row in rows if int(row["epoch"]) > l1_epochs] or rows
    _curve_plot(
        gan_rows, "g_total", "Total generator loss (GAN + lambda x L1)", "loss", out_dir / "gan_loss.png", l1_epochs
    )


def save_sample_grid(
    grayscale: torch.Tensor, predicted: torch.Tensor, truth: torch.Tensor, path: Path, title: str = ""
) -> None:
    """Rows of: grayscale input | prediction | ground truth (sRGB tensors in [0, 1], (N, 3, H, W))."""
    save_image_grid([grayscale, predicted, truth], path, title, labels=("input", "prediction", "ground truth"))


def save_image_grid(
    columns: list[torch.Tensor], path: Path, title: str = "", labels: tuple[str, ...] | None = None
) -> None:
    """One row per image, one column per tensor (sRGB in [0, 1], each (N, 3, H, W))."""
    count = columns[0].shape[0]
    figure, axes = plt.subplots(count, len(columns), figsize=(2 * len(columns), 2 * count), dpi=100, squeeze=False)
    for row in range(count):
        for column, images in enumerate(columns):
            axis = axes[row][column]
            axis.imshow(np.clip(images[row].permute(1, 2, 0).cpu().numpy(), 0, 1))
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0 and labels:
                axis.set_title(labels[column], fontsize=9)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
