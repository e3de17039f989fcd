"""training.hints: simulated hints have the advertised statistics and the right values."""

import numpy as np
import pytest
import torch

from model.generator import GeneratorConfig, UNetGenerator, input_convolutions
from training.hints import (
    HintSimulation,
    hints_from_truth,
    sample_counts,
    scale_hint_input_updates,
    simulate_hints,
    step_generator,
)


def test_counts_follow_the_none_share_and_the_geometric_mean():
    simulation = HintSimulation(none_share=0.3, mean_count=8.0)
    counts = sample_counts(200_000, simulation, torch.Generator().manual_seed(0)).double()
    assert (counts == 0).double().mean().item() == pytest.approx(0.3, abs=0.005)
    positive = counts[counts > 0]
    assert positive.min().item() == 1
    assert positive.mean().item() == pytest.approx(8.0, rel=0.02)
    # Geometric: P(k + 1) / P(k) = 1 - 1/mean.
    ones, twos = (positive == 1).double().sum(), (positive == 2).double().sum()
    assert (twos / ones).item() == pytest.approx(1 - 1 / 8.0, rel=0.03)
    assert counts.max().item() <= simulation.max_count


def test_each_hint_carries_the_mean_of_the_truth_in_its_patch():
    torch.manual_seed(0)
    ab = torch.rand(6, 2, 24, 32) * 2 - 1
    simulation = HintSimulation(none_share=0.0, mean_count=1.0 + 1e-9, min_patch=3, max_patch=3)
    planes = simulate_hints(ab, simulation, step_generator(0, 0))  # one 3x3 hint per image
    for image in range(6):
        rows, columns = torch.nonzero(planes[image, 2], as_tuple=True)
        assert len(rows) == 9 and rows.max() - rows.min() == 2 and columns.max() - columns.min() == 2
        patch = ab[image, :, rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
        expected = patch.mean(dim=(1, 2))
        torch.testing.assert_close(planes[image, :2, rows[0], columns[0]], expected)
        assert torch.all(planes[image, :2][:, planes[image, 2] == 0] == 0)


def test_patch_sides_and_positions_cover_their_range():
    ab = torch.zeros(400, 2, 16, 16)
    simulation = HintSimulation(none_share=0.0, mean_count=1.0 + 1e-9, min_patch=1, max_patch=4)
    planes = simulate_hints(ab, simulation, step_generator(3, 7))
    areas = planes[:, 2].flatten(1).sum(dim=1)
    assert set(areas.tolist()) == {1.0, 4.0, 9.0, 16.0}
    covered = planes[:, 2].sum(dim=0)
    # Positions span the grid: every row and every column is hinted in some image.
    assert (covered.sum(dim=0) > 0).all() and (covered.sum(dim=1) > 0).all()


def test_the_same_step_draws_the_same_hints_and_counts_can_be_fixed():
    ab = torch.rand(4, 2, 16, 16)
    simulation = HintSimulation()
    assert torch.equal(
        simulate_hints(ab, simulation, step_generator(1, 5)), simulate_hints(ab, simulation, step_generator(1, 5))
    )
    assert not torch.equal(
        simulate_hints(ab, simulation, step_generator(1, 5)), simulate_hints(ab, simulation, step_generator(1, 6))
    )
    fixed = simulate_hints(
        ab, HintSimulation(min_patch=1, max_patch=1), step_generator(0, 0), counts=torch.tensor([0, 1, 2, 3])
    )
    assert fixed[:, 2].flatten(1).sum(dim=1).tolist()[0] == 0
    assert fixed[:, 2].flatten(1).sum(dim=1).tolist()[1] == 1


def test_hints_from_truth_read_the_photos_colour_where_they_point():
    rgb = np.zeros((40, 60, 3), dtype=np.uint8)
    rgb[:, :30] = (200, 30, 30)
    rgb[:, 30:] = (30, 30, 200)
    hints = hints_from_truth(rgb, 50, np.random.default_rng(0), render_size=40)
    assert len(hints) == 50
    for hint in hints:
        column = int(hint.x * 60)
        if column < 27:
            assert hint.color == pytest.approx((200, 30, 30), abs=2)
        elif column > 32:
            assert hint.color == pytest.approx((30, 30, 200), abs=2)


def test_hint_weights_get_scaled_updates_and_the_rest_do_not():
    torch.manual_seed(0)
    config = GeneratorConfig(in_channels=4, decoder_channels=(16, 16, 16, 8, 8))
    plain, scaled = UNetGenerator(config), UNetGenerator(config)
    scaled.load_state_dict(plain.state_dict())
    optimizers = [torch.optim.Adam(net.parameters(), lr=1e-2) for net in (plain, scaled)]
    scale_hint_input_updates(optimizers[1], scaled, 10.0)
    before = {k: v.clone() for k, v in plain.state_dict().items()}
    inputs = torch.rand(2, 4, 32, 32)
    for net, optimizer in zip((plain, scaled), optimizers, strict=False):
        net(inputs).square().mean().backward()
        optimizer.step()
    plain_state, scaled_state = dict(plain.named_parameters()), dict(scaled.named_parameters())
    for name, first in input_convolutions(config):
        plain_step = plain_state[name].detach() - before[name]
        scaled_step = scaled_state[name].detach() - before[name]
        hints = slice(first + 1, first + 4)
        torch.testing.assert_close(scaled_step[:, hints], 10 * plain_step[:, hints])
        torch.testing.assert_close(scaled_step[:, first], plain_step[:, first])  # L keeps its rate
    torch.testing.assert_close(scaled_state["head.weight"], plain_state["head.weight"])


def test_simulated_hints_match_painting_them_one_by_one_overlaps_included():
    ab = torch.rand(5, 2, 12, 14) * 2 - 1
    simulation = HintSimulation(none_share=0.2, mean_count=6.0, min_patch=1, max_patch=6)
    counts = torch.tensor([0, 1, 5, 12, 30])  # many hints on a small image: overlaps
    planes = simulate_hints(ab, simulation, step_generator(2, 9), counts=counts)
    # Repeat the draws simulate_hints makes from the same generator.
    generator = step_generator(2, 9)
    slots = int(counts.max())
    sides = torch.randint(1, 7, (5, slots), generator=generator).clamp(max=12)
    tops = (torch.rand(5, slots, generator=generator) * (12 - sides + 1)).long()
    lefts = (torch.rand(5, slots, generator=generator) * (14 - sides + 1)).long()
    torch.testing.assert_close(planes, _reference_planes(ab, tops, lefts, sides, counts))


def _reference_planes(ab, tops, lefts, sides, counts):
    """One hint at a time, in order, as the serving path paints them."""
    planes = torch.zeros(ab.shape[0], 3, *ab.shape[2:])
    for image in range(ab.shape[0]):
        for slot in range(int(counts[image])):
            top, left, side = int(tops[image, slot]), int(lefts[image, slot]), int(sides[image, slot])
            patch = ab[image, :, top : top + side, left : left + side]
            planes[image, :2, top : top + side, left : left + side] = patch.mean(dim=(1, 2))[:, None, None]
            planes[image, 2, top : top + side, left : left + side] = 1
    return planes
