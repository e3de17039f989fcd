"""An exponential moving average of the generator's weights for the adversarial phase.

The adversarial phase's generator flip-flops between colour choices from one step
to the next (v1's curves); the average over the last ~1/(1 - decay) steps keeps the
colours they agree on. The update is `torch.optim.swa_utils`' EMA rule
(`get_ema_multi_avg_fn`: ema += (1 - decay) * (weights - ema), one fused
`_foreach_lerp_` over all tensors), applied to parameters and BatchNorm buffers
alike (`use_buffers=True` in `AveragedModel` terms), so the averaged model
validates and exports as it is. `AveragedModel.update_parameters` itself compares
a step counter on the device with zero for every tensor, which would make every
training step wait for the GPU; this class keeps the same rule without that.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.optim.swa_utils import get_ema_multi_avg_fn


class WeightEMA:
    """`module`'s weights averaged over training steps; `.module` is the averaged copy (eval mode)."""

    def __init__(self, module: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be between 0 and 1, got {decay}")
        self.decay = decay
        self.module = copy.deepcopy(module).eval().requires_grad_(False)
        self._update = get_ema_multi_avg_fn(decay)

    @staticmethod
    def _tensors(module: nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(floating-point, other) parameters and buffers in a fixed order."""
        tensors = [t.detach() for t in list(module.parameters()) + list(module.buffers())]
        return [t for t in tensors if t.is_floating_point()], [t for t in tensors if not t.is_floating_point()]

    @torch.no_grad()
    def update(self, source: nn.Module) -> None:
        """Move the average one step towards `source`'s current weights (no host synchronisation)."""
        averaged_floats, averaged_others = self._tensors(self.module)
        source_floats, source_others = self._tensors(source)
        self._update(averaged_floats, source_floats, None)
        for averaged, current in zip(averaged_others, source_others, strict=False):
            averaged.copy_(current)  # e.g. BatchNorm's num_batches_tracked: a count, not averaged

    def state_dict(self) -> dict:
        return self.module.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state)
