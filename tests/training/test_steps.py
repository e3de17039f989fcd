"""One training step (training.steps): device-side metric sums, the colour terms in the objective."""

import pytest
import torch

from training.hints import HintSimulation
from training.steps import MetricSums


def test_metric_sums_keep_tensors_on_their_device_until_the_epoch_ends():
    sums = MetricSums()
    sums.add("psnr", torch.tensor([20.0, 22.0]), 2)
    sums.add("l1", torch.tensor(0.5), 2)
    sums.add("lr", 0.1, 2)
    sums.count += 2
    sums.add("psnr", torch.tensor([24.0]), 1)
    sums.add("l1", torch.tensor(0.2), 1)
    sums.add("lr", 0.1, 1)
    sums.count += 1
    assert isinstance(sums.sums["psnr"], torch.Tensor) and isinstance(sums.sums["l1"], torch.Tensor)
    assert sums.means() == pytest.approx({"psnr": 22.0, "l1": 0.4, "lr": 0.1})
    restored = MetricSums.from_state(sums.state())
    assert restored.means() == pytest.approx(sums.means())
    assert sums.packed(["l1", "psnr"], torch.device("cpu")).tolist() == pytest.approx([1.2, 66.0, 3.0])


def test_the_colour_terms_enter_the_generator_objective_of_both_phases():
    from training.colour_losses import colourfulness_loss as loss_of
    from training.steps import split_lab, to_rgb, train_step
    from training.throughput import v2_nets

    torch.manual_seed(0)
    batch = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    for phase in (1, 2):
        nets = v2_nets(torch.device("cpu"), None, decoder_channels=[16, 16, 16, 8, 8])
        nets.colourfulness_weight = 0.5
        nets.generator.eval()  # the same prediction inside the step and here (BatchNorm statistics)
        _, lightness, _ = split_lab(batch, nets)
        with torch.no_grad():
            planes = torch.zeros(2, 3, 32, 32)
            expected = loss_of(to_rgb(lightness, nets.generator(torch.cat([lightness, planes], dim=1)))).item()
        nets.hints = HintSimulation(none_share=1.0)  # no hints: the prediction matches the one above
        sums = MetricSums()
        train_step(batch, nets, phase, 10.0, sums)
        means = sums.means()
        lambda_l1 = 1.0 if phase == 1 else 10.0
        extra = means["g_total"] - lambda_l1 * means["l1"] - means.get("g_gan", 0.0)
        assert extra == pytest.approx(lambda_l1 * 0.5 * expected, rel=1e-4)


def test_a_saturation_boosted_real_is_what_the_discriminator_learns_from():
    from training.steps import _real_for_discriminator, train_step
    from training.throughput import v2_nets

    nets = v2_nets(torch.device("cpu"), None, decoder_channels=[16, 16, 16, 8, 8])
    ab = torch.tensor([[[[0.5, -0.9]], [[0.1, 0.0]]]])
    assert _real_for_discriminator(ab, nets) is ab  # 1: the photo as it is
    nets.real_chroma_boost = 1.5
    boosted = _real_for_discriminator(ab.clone(), nets)
    assert boosted.flatten().tolist() == pytest.approx([0.75, -1.0, 0.15, 0.0])  # scaled, clipped to the range

    # It changes D's loss on the same batch and weights, and nothing of the G step's pixel term.
    torch.manual_seed(0)
    batch = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    nets.hints = HintSimulation(none_share=1.0)
    losses = {}
    for boost in (1.0, 2.0):
        torch.manual_seed(1)
        fresh = v2_nets(torch.device("cpu"), None, decoder_channels=[16, 16, 16, 8, 8])
        fresh.hints, fresh.real_chroma_boost = nets.hints, boost
        sums = MetricSums()
        train_step(batch, fresh, 2, 10.0, sums)
        losses[boost] = sums.means()
    assert losses[1.0]["l1"] == pytest.approx(losses[2.0]["l1"])
    assert abs(losses[1.0]["d_loss"] - losses[2.0]["d_loss"]) > 1e-4


def test_one_epoch_planner_for_both_recipes():
    from training.throughput import plan_epochs

    rates = {1: 100.0, 2: 50.0}  # images/s: 10 s and 20 s per epoch of 1000 images, plus 2 s overhead each
    assert plan_epochs(rates, 1000, 340, 2.0) == (10, 10)  # v1: equal phases, 34 s per pair
    assert plan_epochs(rates, 1000, 340, 2.0, max_epochs=4) == (4, 4)
    assert plan_epochs(rates, 1000, 340, 2.0, l1_share=0.25) == (7, 11)  # v2: a quarter for L1, the rest GAN
    assert plan_epochs(rates, 1000, 1, 2.0, l1_share=0.5) == (1, 1)  # never less than one each


def test_the_benchmarks_nets_are_the_trainers_learning_rates():
    from training.throughput import our_nets

    nets = our_nets(torch.device("cpu"), None, lr_g=1e-3, lr_d=3e-4, betas_g=[0.9, 0.99])
    assert nets.optimizer_g.param_groups[0]["lr"] == 1e-3 and nets.optimizer_d.param_groups[0]["lr"] == 3e-4
    assert nets.optimizer_g.param_groups[0]["betas"] == (0.9, 0.99)


def test_the_perceptual_term_is_zero_for_the_truth_and_grows_with_a_wrong_colour():
    import timm

    from training.perceptual import PerceptualLoss

    torch.manual_seed(0)
    state = timm.create_model("tf_efficientnet_lite0", pretrained=False).state_dict()
    loss = PerceptualLoss("efficientnet_lite0", state_dict=state)
    truth = torch.rand(2, 3, 64, 64)
    tinted = truth.clone()
    tinted[:, 0] = (tinted[:, 0] + 0.3).clamp(0, 1)
    assert float(loss(truth, truth)) == 0.0
    slightly = truth * 0.97 + 0.03 * tinted
    predicted = tinted.clone().requires_grad_(True)
    value = loss(predicted, truth)
    assert float(value.detach()) > float(loss(slightly, truth)) > 0
    value.backward()
    assert predicted.grad is not None and predicted.grad.abs().sum() > 0
    assert not any(parameter.requires_grad for parameter in loss.parameters())
