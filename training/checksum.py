"""A short fingerprint of a network's weights, to compare runs and ranks at a glance.

The trainer logs it at the end of every run: DDP ranks must agree on it, and two runs
with the same seed on the same machine must too.
"""

from __future__ import annotations

import hashlib

import torch


def weights_checksum(module: torch.nn.Module) -> str:
    """The first 16 hex digits of a SHA-256 over every state-dict entry, by name."""
    digest = hashlib.sha256()
    for key, value in sorted(module.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]
