"""training/recipes/hint_model.py: v1 grown to take hints, automatic colours unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.artifact import load_artifact, read_metadata, save_artifact
from model.colorizer import Colorizer
from model.generator import input_convolutions
from model.hints import HINT_INPUT_CHANNELS, Hint
from tests.conftest import make_photo, write_tiny_artifact, write_tiny_hint_artifact
from training.recipes.hint_model import main


def test_the_grown_model_colours_exactly_as_its_base_without_hints(tmp_path):
    base = write_tiny_artifact(tmp_path / "v1.safetensors", seed=3)
    out = tmp_path / "v1.1.safetensors"
    assert main(["--base", str(base), "--out", str(out), "--version", "1.1.0", "--no-onnx"]) == 0
    metadata = read_metadata(out)
    assert metadata.version == "1.1.0" and metadata.generator.in_channels == HINT_INPUT_CHANNELS
    assert metadata.metrics == {}  # the base's numbers are re-measured, not carried over
    assert metadata.training["v1"]["version"] == read_metadata(base).version
    photo = make_photo(80, 60, seed=1).convert("L")
    before = Colorizer.load(base, backend="torch").colorize(photo)
    grown = Colorizer.load(out, backend="torch")
    assert np.array_equal(np.asarray(grown.colorize(photo)), np.asarray(before))
    # ...and takes hints, which move the colour at the pin.
    steered = grown.colorize(photo, hints=[Hint(0.5, 0.5, (255, 0, 0))])
    assert not np.array_equal(np.asarray(steered), np.asarray(before))


def test_hint_weights_are_copied_from_a_donor_and_nothing_else(tmp_path):
    base = write_tiny_artifact(tmp_path / "v1.safetensors", seed=3)
    donor_path = write_tiny_hint_artifact(tmp_path / "donor.safetensors", seed=9)
    donor, _ = load_artifact(donor_path)
    with torch.no_grad():  # give the donor non-zero hint weights to copy
        for key, first in input_convolutions(donor.config):
            dict(donor.named_parameters())[key][:, first + 1 : first + HINT_INPUT_CHANNELS] = 0.5
    save_artifact(donor_path, donor, read_metadata(donor_path), half_precision=False)
    out = tmp_path / "grafted.safetensors"
    assert main(["--base", str(base), "--out", str(out), "--hint-weights-from", str(donor_path), "--no-onnx"]) == 0
    grafted, _ = load_artifact(out)
    original, _ = load_artifact(base)
    grafted_state, original_state = grafted.state_dict(), original.state_dict()
    inputs = dict(input_convolutions(grafted.config))
    for key, value in grafted_state.items():
        if key in inputs:
            first = inputs[key]
            assert torch.all(value[:, first + 1 : first + HINT_INPUT_CHANNELS] == 0.5), key
            assert torch.equal(value[:, : first + 1], original_state[key][:, : first + 1]), key
        else:
            assert torch.equal(value, original_state[key]), key


def test_a_base_that_already_takes_hints_is_refused(tmp_path):
    base = write_tiny_hint_artifact(tmp_path / "hints.safetensors")
    with pytest.raises(SystemExit, match="one-plane"):
        main(["--base", str(base), "--out", str(tmp_path / "x.safetensors"), "--no-onnx"])
