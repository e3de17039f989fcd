"""The weights fingerprint the trainer logs (training.checksum)."""

import re

import torch
from torch import nn

from training.checksum import weights_checksum


def test_the_checksum_follows_the_weights_and_only_them():
    torch.manual_seed(0)
    first = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    twin = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    twin.load_state_dict(first.state_dict())
    checksum = weights_checksum(first)
    assert re.fullmatch(r"[0-9a-f]{16}", checksum), checksum
    assert weights_checksum(twin) == checksum
    with torch.no_grad():
        twin.get_parameter("0.bias")[0] += 1e-6
    assert weights_checksum(twin) != checksum
    twin.load_state_dict(first.state_dict())
    twin.get_buffer("1.running_mean")[0] = 1.0  # buffers count too: they are part of the model
    assert weights_checksum(twin) != checksum
