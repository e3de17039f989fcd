"""The run's training and validation photos: scanned files, or photos decoded into device memory.

Also decides the batch size per process (tiny data sets shrink it) and the counts the
checkpoint records (usable photos, and why others were skipped), and measures the
photos' colour distribution for --rebalanced-l1.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training.class_loss import bin_histogram, class_rebalancing_weights
from training.colour_losses import ab_histogram, rebalancing_weights
from training.config import TrainConfig
from training.data import PhotoDataset, ScanResult, list_images, scan_folder, split_validation
from training.device_data import DecodedPhotos, DevicePhotos, decode_photos
from training.distributed import DistributedContext

log = logging.getLogger("training")


@dataclass
class PhotoSets:
    """Both splits, of one kind: PhotoDatasets (files) or DevicePhotos (--data-on-device)."""

    train: PhotoDataset | DevicePhotos
    val: PhotoDataset | DevicePhotos
    batch_size: int  # per process
    counts: dict[str, int]


def load_photo_sets(config: TrainConfig, context: DistributedContext, device: torch.device) -> PhotoSets:
    """Scan (or decode) the configured folders; exits with a message when too few photos are usable."""
    train: PhotoDataset | DevicePhotos
    val: PhotoDataset | DevicePhotos
    if config.data_on_device:
        train_files, val_files, skipped, train, val = _decode_to_device(config, context, device)
    else:
        train_files, val_files, skipped = _scan_files(config)
    if not train_files:
        raise SystemExit(f"no usable training images under {', '.join(config.data_dirs)}")
    if not val_files:
        raise SystemExit("no usable validation images")
    if not config.data_on_device:
        train = PhotoDataset(train_files, config.image_size, train=True, seed=config.seed)
        val = PhotoDataset(val_files, config.image_size, train=False)
    world = context.world_size
    # Every rank needs at least one full batch; tiny data sets shrink the batch instead.
    # BatchNorm needs two images per batch.
    batch_size = min(config.batch_size, len(train_files) // world)
    if batch_size < 2:
        raise SystemExit(
            f"need at least 2 training images per process (batch >= 2), have {len(train_files)} for {world}"
        )
    counts = {"train": len(train_files), "val": len(val_files), **{f"skipped_{k}": v for k, v in skipped.items()}}
    return PhotoSets(train, val, batch_size, counts)


def _scan_files(config: TrainConfig) -> tuple[list[Path], list[Path], Counter]:
    workers = max(1, config.workers)
    train_scan = ScanResult()
    for folder in config.data_dirs:
        scan = scan_folder(folder, config.min_image_side, workers=workers * 2)
        log.info("train data %s: %s", folder, scan.describe())
        train_scan.files.extend(scan.files)
        train_scan.skipped.update(scan.skipped)
    if config.val_dir:
        val_scan = scan_folder(config.val_dir, config.min_image_side, workers=workers * 2)
        train_files, val_files = train_scan.files, val_scan.files
        log.info("val data %s: %s", config.val_dir, val_scan.describe())
    else:
        train_files, val_files = split_validation(train_scan.files, config.val_fraction, config.seed)
        log.info(
            "val data: %d images held out of the train folder (--val-fraction %s)", len(val_files), config.val_fraction
        )
    if config.max_val_images:
        val_files = val_files[: config.max_val_images]
    return train_files, val_files, train_scan.skipped


def _decode_to_device(
    config: TrainConfig, context: DistributedContext, device: torch.device
) -> tuple[list[Path], list[Path], Counter, DevicePhotos, DevicePhotos]:
    """--data-on-device: decode every photo once (with the scan's checks) into device memory."""
    threads = max(2, config.workers * 2, os.cpu_count() or 1)
    progress = config.progress and context.is_main
    started = time.perf_counter()
    decoded = []
    for folder in config.data_dirs:
        part = decode_photos(list_images(folder), config.image_size, config.min_image_side, threads, progress)
        log.info("train data %s: %s", folder, part.describe())
        decoded.append(part)
    train = DecodedPhotos(
        np.concatenate([p.pixels for p in decoded]),
        [f for p in decoded for f in p.files],
        sum((p.skipped for p in decoded), Counter()),
    )
    if config.val_dir:
        val = decode_photos(list_images(config.val_dir), config.image_size, config.min_image_side, threads, progress)
        log.info("val data %s: %s", config.val_dir, val.describe())
    else:
        train_files, val_files = split_validation(train.files, config.val_fraction, config.seed)
        position = {path: index for index, path in enumerate(train.files)}
        skipped = train.skipped
        train, val = train.subset([position[p] for p in train_files]), train.subset([position[p] for p in val_files])
        train.skipped = skipped
        log.info(
            "val data: %d images held out of the train folder (--val-fraction %s)", len(val.files), config.val_fraction
        )
    if config.max_val_images:
        val = val.subset(list(range(min(config.max_val_images, len(val.files)))))
    log.info(
        "decoded %d + %d photos into %s memory in %.1f s (%.2f GB as uint8)",
        len(train.files),
        len(val.files),
        device.type,
        time.perf_counter() - started,
        (train.pixels.nbytes + val.pixels.nbytes) / 1e9,
    )
    return (
        train.files,
        val.files,
        train.skipped,
        DevicePhotos(train, device, seed=config.seed),
        DevicePhotos(val, device, seed=config.seed),
    )


def _photo_sample(
    photos: PhotoDataset | DevicePhotos, seed: int, device: torch.device, sample: int, side: int
) -> list[torch.Tensor]:
    """A seeded sample of the photos, small: the batches a colour distribution is estimated from."""
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(photos), generator=generator)[:sample].tolist()
    if isinstance(photos, DevicePhotos):
        images = photos.gather(torch.tensor(chosen, device=device))
        return [F.interpolate(images, size=(side, side), mode="area")]
    small = PhotoDataset([photos.files[i] for i in chosen], side, train=False)
    return [torch.stack([small[i] for i in range(len(small))])]


def class_weights_from_photos(
    photos: PhotoDataset | DevicePhotos, seed: int, device: torch.device, sample: int = 512, side: int = 64
) -> torch.Tensor:
    """--class-weight: the classification term's per-bin rebalancing weights from a seeded sample."""
    counts = bin_histogram(_photo_sample(photos, seed, device, sample, side))
    weights = class_rebalancing_weights(counts)
    log.info(
        "classification: rebalancing from %d photos, %d of %d bins occur, weights %.2f to %.1f",
        min(sample, len(photos)),
        int((counts > 0).sum()),
        len(counts),
        float(weights.min()),
        float(weights.max()),
    )
    return weights.to(device)


def ab_rebalancing_weights(
    photos: PhotoDataset | DevicePhotos, seed: int, device: torch.device, sample: int = 512, side: int = 64
) -> torch.Tensor:
    """--rebalanced-l1: per-bin weights from the ab distribution of a seeded sample of the photos."""
    counts = ab_histogram(_photo_sample(photos, seed, device, sample, side))
    weights = rebalancing_weights(counts)
    log.info(
        "rebalanced L1: ab-bin weights from %d photos, %d bins occur, weights %.2f to %.1f",
        min(sample, len(photos)),
        int((counts > 0).sum()),
        float(weights.min()),
        float(weights.max()),
    )
    return weights.to(device)
