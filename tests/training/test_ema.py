"""The weight EMA (training.ema)."""

import pytest
import torch
from torch import nn

from training.ema import WeightEMA


def test_ema_follows_the_swa_utils_rule_and_copies_counters():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    ema = WeightEMA(model, decay=0.9)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    model(torch.rand(4, 1, 5, 5))  # BatchNorm buffers move, num_batches_tracked counts
    ema.update(model)
    for key, value in model.state_dict().items():
        averaged = ema.state_dict()[key]
        if value.is_floating_point():
            torch.testing.assert_close(averaged, 0.9 * start[key] + 0.1 * value)
        else:
            assert torch.equal(averaged, value)
    assert not ema.module.training and not any(p.requires_grad for p in ema.module.parameters())
    with pytest.raises(ValueError):
        WeightEMA(model, decay=1.0)
