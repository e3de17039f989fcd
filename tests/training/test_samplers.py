"""Which photos each rank trains on, and the epoch-aware sampler (training.samplers)."""

import torch

from training.distributed import DistributedContext
from training.samplers import EpochAwareDataset, EpochIndexSampler, train_indices, validation_indices

SINGLE = DistributedContext()


def test_train_indices_are_whole_batches_reshuffled_every_epoch_and_repeatable():
    first = train_indices(23, SINGLE, epoch=0, batch_size=4, seed=7)
    assert len(first) == 20 and len(set(first)) == 20 and set(first) <= set(range(23))
    assert train_indices(23, SINGLE, epoch=0, batch_size=4, seed=7) == first  # a resume redraws the same order
    assert train_indices(23, SINGLE, epoch=1, batch_size=4, seed=7) != first


def test_ranks_share_an_epoch_without_overlap():
    ranks = [DistributedContext(rank=r, world_size=2) for r in range(2)]
    shares = [train_indices(20, context, epoch=3, batch_size=2, seed=0) for context in ranks]
    assert set(shares[0]).isdisjoint(shares[1]) and len(shares[0]) == len(shares[1]) == 10
    validation = [validation_indices(5, context) for context in ranks]
    assert sorted(set(validation[0]) | set(validation[1])) == list(range(5))
    assert validation_indices(5, SINGLE) == list(range(5))


def test_the_sampler_hands_each_index_its_epoch():
    sampler = EpochIndexSampler()
    sampler.epoch, sampler.indices = 4, [2, 0, 1]
    assert list(sampler) == [(4, 2), (4, 0), (4, 1)] and len(sampler) == 3


class _Recorder:
    """A PhotoDataset's interface: remembers the epoch it was set to."""

    def __init__(self) -> None:
        self.epoch = -1

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> torch.Tensor:
        return torch.tensor([self.epoch, index])


def test_the_dataset_augments_for_the_epoch_it_is_asked_for():
    dataset = EpochAwareDataset(_Recorder())  # type: ignore[arg-type]  # a stand-in with PhotoDataset's interface
    assert len(dataset) == 3
    assert dataset[(5, 2)].tolist() == [5, 2]
