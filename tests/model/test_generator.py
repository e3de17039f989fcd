"""The U-Net generator (model.generator): sizes, encoder weights, skips, input-channel growth."""

import pytest
import torch

from model.generator import GeneratorConfig, UNetGenerator, build_generator
from tests.conftest import TINY_GENERATOR


@pytest.mark.parametrize("height,width", [(256, 256), (64, 96), (37, 53), (33, 200)])
def test_generator_keeps_any_size_and_range(height, width):
    torch.manual_seed(0)
    generator = UNetGenerator(TINY_GENERATOR).eval()
    with torch.no_grad():
        ab = generator(torch.rand(2, 1, height, width) * 2 - 1)
    assert ab.shape == (2, 2, height, width)
    assert ab.abs().max() <= 1


def test_default_generator_has_resnet18_encoder_with_one_input_channel():
    generator = UNetGenerator(GeneratorConfig())
    assert generator.get_submodule("encoder.stem.0").in_channels == 1
    encoder_params = sum(p.numel() for p in generator.encoder.parameters())
    # torchvision resnet18 minus fc (513,000) and with a 1-channel first conv (-6,272).
    assert encoder_params == 11_689_512 - 513_000 - 6_272


def test_skip_connections_carry_fine_detail():
    """A change in one input pixel must reach the output at full resolution near that pixel."""
    torch.manual_seed(0)
    generator = UNetGenerator(TINY_GENERATOR).eval()
    x = torch.randn(1, 1, 64, 64, requires_grad=True)
    generator(x)[0, 0, 40, 40].backward()
    assert x.grad is not None and x.grad[0, 0, 40, 40].abs() > 0


def test_encoder_weights_from_local_torchvision_file(tmp_path):
    from torchvision.models import resnet18

    torch.manual_seed(3)
    reference = resnet18(weights=None)
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    generator = build_generator(TINY_GENERATOR, encoder_weights=path)
    assert torch.equal(generator.get_parameter("encoder.layer4.1.conv2.weight"), reference.layer4[1].conv2.weight)
    summed = reference.conv1.weight.sum(dim=1, keepdim=True)
    assert torch.allclose(generator.get_parameter("encoder.stem.0.weight"), summed)


def test_missing_encoder_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="encoder weights"):
        build_generator(TINY_GENERATOR, encoder_weights=tmp_path / "absent.pth")


def test_expanded_generator_computes_exactly_what_the_original_does():
    """Zero-initialised hint inputs: the same output, with or without hint planes."""
    from model.generator import expand_input_channels

    torch.manual_seed(0)
    original = UNetGenerator(TINY_GENERATOR).eval()
    expanded = expand_input_channels(original, 4).eval()
    assert expanded.config.in_channels == 4
    lightness = torch.rand(2, 1, 40, 72) * 2 - 1
    hints = torch.rand(2, 3, 40, 72)
    with torch.no_grad():
        reference = original(lightness)
        assert torch.equal(expanded(torch.cat([lightness, torch.zeros_like(hints)], dim=1)), reference)
        assert torch.equal(expanded(torch.cat([lightness, hints], dim=1)), reference)
    # Once the new weights move, the hint planes reach the output.
    with torch.no_grad():
        expanded.get_parameter("encoder.stem.0.weight")[:, 1:].normal_()
        assert not torch.allclose(expanded(torch.cat([lightness, hints], dim=1)), reference)


def test_input_convolutions_name_the_weights_that_read_the_input():
    from model.generator import input_convolutions

    for in_channels in (1, 4):
        generator = UNetGenerator(
            GeneratorConfig(in_channels=in_channels, decoder_channels=TINY_GENERATOR.decoder_channels)
        )
        parameters = dict(generator.named_parameters())
        convolutions = list(input_convolutions(generator.config))
        assert convolutions, "no input convolution named: the check below would pass on nothing"
        for name, first in convolutions:
            assert parameters[name].shape[1] == first + in_channels
