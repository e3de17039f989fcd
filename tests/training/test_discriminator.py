"""The PatchGAN discriminator (training.discriminator): map size and receptive field."""

import torch

from training.discriminator import PatchDiscriminator


def test_patch_discriminator_map_size():
    discriminator = PatchDiscriminator()
    assert discriminator(torch.randn(1, 3, 256, 256)).shape == (1, 1, 30, 30)


def test_patch_discriminator_receptive_field_is_70():
    torch.manual_seed(0)
    discriminator = PatchDiscriminator().eval()
    x = torch.randn(1, 3, 256, 256, requires_grad=True)
    discriminator(x)[0, 0, 15, 15].backward()
    assert x.grad is not None
    influenced = x.grad.abs().sum(dim=(0, 1)) > 0
    rows = torch.nonzero(influenced.any(dim=1)).flatten()
    cols = torch.nonzero(influenced.any(dim=0)).flatten()
    assert rows.max() - rows.min() + 1 == 70
    assert cols.max() - cols.min() + 1 == 70
