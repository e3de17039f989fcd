"""How the trainer's batches reach it: which photos each rank sees, and in what order.

Two feeds with one interface: `LoaderFeed` (files decoded by DataLoader workers, one
DataLoader per split kept for the whole run) and `DeviceFeed` (--data-on-device: photos
already decoded into device memory, cropped there). Both take this rank's share of an
epoch from `train_indices`, so a resumed run skips exactly the batches it had done.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from training.data import PhotoDataset
from training.device_data import DevicePhotos, chunked, device_batches
from training.distributed import DistributedContext
from training.stop_signals import ignore_stop_signals


def train_indices(dataset_size: int, context: DistributedContext, epoch: int, batch_size: int, seed: int) -> list[int]:
    """This rank's shuffled photo indices for `epoch`, cut to whole batches."""
    sampler: DistributedSampler[int] = DistributedSampler(
        range(dataset_size),  # type: ignore[arg-type]  # a sampler reads only the length
        num_replicas=context.world_size,
        rank=context.rank,
        shuffle=True,
        seed=seed,
        drop_last=True,
    )
    sampler.set_epoch(epoch)
    indices = list(sampler)
    usable = len(indices) // batch_size * batch_size
    return indices[:usable]


def validation_indices(dataset_size: int, context: DistributedContext) -> list[int]:
    """This rank's share of the validation photos, in order."""
    sampler: DistributedSampler[int] = DistributedSampler(
        range(dataset_size),  # type: ignore[arg-type]  # a sampler reads only the length
        num_replicas=context.world_size,
        rank=context.rank,
        shuffle=False,
    )
    return list(sampler)


class EpochIndexSampler:
    """Yields (epoch, index) pairs so workers know the epoch for augmentation.

    Mutable: the feed sets `epoch` and `indices` before each pass, so one DataLoader
    with persistent workers serves every epoch (no worker restarts).
    """

    def __init__(self) -> None:
        self.epoch = 0
        self.indices: list[int] = []

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter([(self.epoch, index) for index in self.indices])

    def __len__(self) -> int:
        return len(self.indices)


class EpochAwareDataset(Dataset):
    """A PhotoDataset indexed by (epoch, index): the epoch seeds that photo's augmentation."""

    def __init__(self, dataset: PhotoDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]) -> torch.Tensor:
        epoch, index = key
        self.dataset.set_epoch(epoch)
        return self.dataset[index]


class LoaderFeed:
    """Batches of photo files, decoded and augmented by DataLoader workers."""

    def __init__(
        self,
        train_set: PhotoDataset,
        val_set: PhotoDataset,
        context: DistributedContext,
        batch_size: int,
        workers: int,
        device: torch.device,
    ) -> None:
        self.train_sampler = EpochIndexSampler()
        self.val_sampler = EpochIndexSampler()
        self.val_sampler.indices = validation_indices(len(val_set), context)
        self.train_loader = self._loader(train_set, self.train_sampler, batch_size, workers, device, drop_last=True)
        self.val_loader = self._loader(val_set, self.val_sampler, batch_size, workers, device, drop_last=False)

    @staticmethod
    def _loader(
        dataset: PhotoDataset,
        sampler: EpochIndexSampler,
        batch_size: int,
        workers: int,
        device: torch.device,
        drop_last: bool,
    ) -> DataLoader:
        return DataLoader(
            EpochAwareDataset(dataset),
            batch_size=batch_size,
            sampler=sampler,  # yields (epoch, index) keys, which DataLoader passes on as they are
            num_workers=workers,
            pin_memory=device.type == "cuda",
            drop_last=drop_last,
            persistent_workers=workers > 0,
            prefetch_factor=4 if workers > 0 else None,
            worker_init_fn=ignore_stop_signals,
        )

    def train_batches(self, epoch: int, indices: list[int]) -> Iterable[torch.Tensor]:
        """This epoch's batches of the photos at `indices` (this rank's remaining share, whole batches)."""
        self.train_sampler.epoch, self.train_sampler.indices = epoch, indices
        return self.train_loader

    def val_batches(self, epoch: int) -> Iterable[torch.Tensor]:
        self.val_sampler.epoch = epoch
        return self.val_loader


class DeviceFeed:
    """Batches of photos already in device memory (--data-on-device), cropped on the device."""

    def __init__(
        self,
        train_set: DevicePhotos,
        val_set: DevicePhotos,
        context: DistributedContext,
        batch_size: int,
        device: torch.device,
    ) -> None:
        self.train_set, self.val_set = train_set, val_set
        self.batch_size, self.device = batch_size, device
        self.val_indices = validation_indices(len(val_set), context)

    def train_batches(self, epoch: int, indices: list[int]) -> Iterator[torch.Tensor]:
        for batch_indices in device_batches(indices, self.batch_size, self.device):
            yield self.train_set.augmented(batch_indices, epoch)

    def val_batches(self, _epoch: int) -> Iterator[torch.Tensor]:
        for batch_indices in chunked(self.val_indices, self.batch_size, self.device):
            yield self.val_set.gather(batch_indices)
