"""Colour as classes (model.colour_classes, the generator's classification head): the bins,
the annealed mean, the mix of both heads, and growing a head onto a model without one."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from model.colour_classes import AB_GRID, AB_LIMIT, ab_bin_centres, colour_class_count
from model.generator import UNetGenerator, annealed_mean, mix_heads, with_class_head
from model.generator_config import GeneratorConfig
from tests.conftest import TINY_GENERATOR

TWO_HEADS = replace(TINY_GENERATOR, colour_classes=colour_class_count())


def test_bins_are_the_in_gamut_grid_points():
    centres = ab_bin_centres()
    # Zhang et al. count 313 from ImageNet's pixels; the in-gamut rule gives a few less, never the whole grid.
    assert 230 <= len(centres) <= 320 < (2 * AB_LIMIT / AB_GRID + 1) ** 2
    assert np.all(np.mod(centres, AB_GRID) == 0) and np.abs(centres).max() <= AB_LIMIT
    assert len({tuple(c) for c in centres}) == len(centres)
    assert [0.0, 0.0] in centres.tolist()  # grey
    # A saturated sRGB red is in gamut; its bin must be among them.
    assert [80.0, 70.0] in centres.tolist()
    assert [-110.0, -110.0] not in centres.tolist()  # no sRGB colour is that green-blue


def test_annealed_mean_goes_from_the_mean_to_the_mode():
    centres = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    logits = torch.log(torch.tensor([0.2, 0.5, 0.3]))[None, :, None, None]
    mean = annealed_mean(logits, centres, 1.0)[0, :, 0, 0]
    assert mean.tolist() == pytest.approx([0.5, 0.3])
    mode = annealed_mean(logits, centres, 0.01)[0, :, 0, 0]
    assert mode.tolist() == pytest.approx([1.0, 0.0], abs=1e-6)


def test_annealed_mean_is_the_softmax_expectation_whatever_the_logits_offset():
    torch.manual_seed(3)
    centres = torch.from_numpy(ab_bin_centres()) / 110.0
    logits = torch.randn(2, len(centres), 3, 5) * 2
    for offset in (0.0, -500.0, 300.0):
        for temperature in (1.0, 0.38, 0.2):
            expected = torch.einsum("bqhw,qc->bchw", torch.softmax((logits + offset) / temperature, dim=1), centres)
            got = annealed_mean(logits + offset, centres, temperature)
            assert torch.allclose(got, expected, atol=1e-4), (offset, temperature)  # 0.01 a*b* units
    # Far beyond: the cap binds, and the colour stays finite and inside the bins' range.
    extreme = annealed_mean(logits * 1000, centres, 0.01)
    assert torch.isfinite(extreme).all() and extreme.abs().max() <= centres.abs().max()


def test_two_heads_output_is_their_mix_at_any_size():
    torch.manual_seed(0)
    generator = UNetGenerator(TWO_HEADS).eval()
    with torch.no_grad():
        for height, width in [(64, 64), (37, 53)]:
            inputs = torch.rand(2, 1, height, width) * 2 - 1
            heads = generator(inputs, heads=True)
            assert heads.ab.shape == heads.regression.shape == (2, 2, height, width)
            assert heads.logits is not None
            assert heads.logits.shape == (2, colour_class_count(), -(-height // 4), -(-width // 4))
            assert torch.equal(generator(inputs), heads.ab)
            assert heads.ab.abs().max() <= 1
    # mix 0 is the regression head alone, mix 1 the classification head's colour alone.
    regression = torch.zeros(1, 2, 8, 8)
    logits = torch.full((1, colour_class_count(), 2, 2), -30.0)
    reddest = int(np.argmax(ab_bin_centres()[:, 0]))
    logits[:, reddest] = 30.0
    centres = torch.from_numpy(ab_bin_centres()) / 110.0
    assert torch.equal(mix_heads(regression, logits, centres, 0.38, 0.0), regression)
    full = mix_heads(regression, logits, centres, 0.38, 1.0)
    assert full[0, 0].flatten().tolist() == pytest.approx([float(centres[reddest, 0])] * 64, abs=1e-5)
    assert mix_heads(regression, logits, centres, 0.38, 0.5)[0, 0, 0, 0] == pytest.approx(0.5 * full[0, 0, 0, 0])


def test_a_lower_temperature_gives_more_colour():
    torch.manual_seed(1)
    generator = UNetGenerator(TWO_HEADS).eval()
    with torch.no_grad():
        assert generator.class_head is not None
        torch.nn.init.normal_(generator.class_head.weight, std=0.5)
        inputs = torch.rand(1, 1, 64, 64) * 2 - 1
        chroma = []
        for temperature in (1.0, 0.38, 0.1):
            generator.config = replace(TWO_HEADS, class_temperature=temperature, class_mix=1.0)
            chroma.append(float(generator(inputs).norm(dim=1).mean()))
    assert chroma[0] < chroma[1] < chroma[2]


def test_a_class_head_grows_onto_a_model_without_one():
    torch.manual_seed(2)
    plain = UNetGenerator(TINY_GENERATOR).eval()
    grown = with_class_head(plain, TWO_HEADS).eval()
    inputs = torch.rand(1, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.equal(grown(inputs, heads=True).regression, plain(inputs))
    with pytest.raises(ValueError):
        with_class_head(grown, TWO_HEADS)
    with pytest.raises(ValueError, match="in-gamut bins"):
        UNetGenerator(replace(TINY_GENERATOR, colour_classes=7))


def test_config_round_trip_and_models_before_classes():
    assert GeneratorConfig.from_dict(TWO_HEADS.to_dict()) == TWO_HEADS
    old = TINY_GENERATOR.to_dict()
    for key in ("colour_classes", "class_temperature", "class_mix", "chroma_gain"):
        del old[key]
    assert GeneratorConfig.from_dict(old).colour_classes == 0
    assert GeneratorConfig.from_dict(old).chroma_gain == 1.0  # the network's colour as trained


def test_the_chroma_gain_scales_the_output_within_the_ab_range():
    torch.manual_seed(4)
    generator = UNetGenerator(TWO_HEADS).eval()
    inputs = torch.rand(1, 1, 40, 48) * 2 - 1
    with torch.no_grad():
        plain = generator(inputs)
        generator.config = replace(TWO_HEADS, chroma_gain=1.3)
        gained = generator(inputs)
        heads = generator(inputs, heads=True)
    assert torch.allclose(gained, (plain * 1.3).clamp(-1, 1))
    assert torch.equal(heads.ab, gained)  # the heads themselves are as trained
    assert GeneratorConfig.from_dict(replace(TWO_HEADS, chroma_gain=1.3).to_dict()).chroma_gain == 1.3


def test_at_a_mix_of_0_inference_leaves_the_class_head_out_and_training_still_reads_it():
    torch.manual_seed(5)
    generator = UNetGenerator(replace(TWO_HEADS, class_mix=0.0)).eval()
    assert generator.class_head is not None
    calls: list[int] = []
    generator.class_head.register_forward_hook(lambda *_: calls.append(1))
    inputs = torch.rand(1, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        output = generator(inputs)
        assert not calls  # not run, so not in an exported graph either
        heads = generator(inputs, heads=True)
    assert len(calls) == 1 and heads.logits is not None
    assert torch.equal(output, heads.regression)
