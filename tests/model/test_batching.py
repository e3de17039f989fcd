"""Micro-batching of concurrent requests, on the CPU torch backend (the logic is the GPU's)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from model.backends import load_backend
from model.batching import MicroBatcher
from model.colorizer import Colorizer
from tests.conftest import make_photo


@pytest.fixture(scope="module")
def torch_backend(tiny_artifact):
    torch.set_num_threads(1)
    return load_backend(tiny_artifact, backend="torch", device="cpu", threads=1)


class RecordingForward:
    """The backend's forward, recording each batch size (and optionally failing)."""

    def __init__(self, backend, fail: bool = False) -> None:
        self.backend, self.fail = backend, fail
        self.sizes: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            self.sizes.append(len(batch))
        if self.fail:
            raise RuntimeError("CUDA out of memory (simulated)")
        return self.backend.run(batch)


def _inputs(count: int, shape=(1, 64, 96), seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, shape).astype(np.float32) for _ in range(count)]


def _call_together(batcher: MicroBatcher, items: list[np.ndarray]) -> list[np.ndarray]:
    start = threading.Barrier(len(items))

    def call(item):
        start.wait()
        return batcher(item)

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(call, items))


def test_concurrent_same_shape_inputs_share_forwards(torch_backend):
    forward = RecordingForward(torch_backend)
    batcher = MicroBatcher(forward, wait_s=0.5, max_batch=8)
    items = _inputs(6)
    outputs = _call_together(batcher, items)
    assert sum(forward.sizes) == 6
    assert len(forward.sizes) < 6 and max(forward.sizes) > 1
    assert (batcher.stats.forwards, batcher.stats.images) == (len(forward.sizes), 6)
    # Each caller gets its own input's result, as if it had run alone.
    for item, output in zip(items, outputs, strict=False):
        alone = torch_backend.run(item[None])[0]
        assert output.shape == (2, 64, 96)
        assert np.abs(output - alone).max() < 1e-4


def test_different_shapes_never_share_a_forward(torch_backend):
    forward = RecordingForward(torch_backend)
    batcher = MicroBatcher(forward, wait_s=0.3, max_batch=8)
    items = _inputs(3, (1, 64, 96)) + _inputs(3, (1, 96, 64), seed=1)
    outputs = _call_together(batcher, items)
    assert [output.shape[1:] for output in outputs] == [(64, 96)] * 3 + [(96, 64)] * 3
    assert sum(forward.sizes) == 6 and len(forward.sizes) >= 2


def test_max_batch_caps_a_forward_and_a_full_group_does_not_wait(torch_backend):
    forward = RecordingForward(torch_backend)
    batcher = MicroBatcher(forward, wait_s=30.0, max_batch=2)  # only a full group can finish in time
    outputs = _call_together(batcher, _inputs(4))
    assert len(outputs) == 4
    assert forward.sizes == [2, 2]
    assert batcher.stats.largest_batch == 2


def test_a_failed_forward_reaches_every_caller(torch_backend):
    batcher = MicroBatcher(RecordingForward(torch_backend, fail=True), wait_s=0.3, max_batch=4)
    start = threading.Barrier(3)

    def call(item):
        start.wait()
        with pytest.raises(RuntimeError, match="out of memory"):
            batcher(item)
        return True

    with ThreadPoolExecutor(3) as pool:
        assert all(pool.map(call, _inputs(3)))


def test_without_a_wait_each_call_runs_alone(torch_backend):
    forward = RecordingForward(torch_backend)
    batcher = MicroBatcher(forward, wait_s=0.0, max_batch=8)
    for item in _inputs(3):
        batcher(item)
    assert forward.sizes == [1, 1, 1]
    with pytest.raises(ValueError):
        MicroBatcher(forward, wait_s=-1, max_batch=8)


def test_a_batching_colorizer_gives_the_pictures_of_a_plain_one(tiny_artifact, torch_backend):
    photos = [make_photo(120, 80, seed=seed).convert("L") for seed in range(4)] + [make_photo(80, 120, seed=9)]
    plain = [Colorizer(torch_backend).colorize(photo) for photo in photos]
    batching = Colorizer(torch_backend, batch_wait_s=0.5, max_batch=8)
    start = threading.Barrier(len(photos))

    def colorize(photo):
        start.wait()
        return batching.colorize(photo)

    with ThreadPoolExecutor(len(photos)) as pool:
        results = list(pool.map(colorize, photos))
    for expected, result in zip(plain, results, strict=False):
        assert result.size == expected.size
        assert np.abs(np.asarray(result, np.int16) - np.asarray(expected, np.int16)).max() <= 1
    stats = batching.batching
    assert stats["images"] == 5 and stats["forwards"] < 5 and stats["largest_batch"] >= 2
