"""training/recipes/propagation_hints.py: the learned hint pathway dropped, automatic colours kept."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.artifact import load_artifact, read_metadata, save_artifact
from model.colorizer import Colorizer
from model.generator import input_convolutions
from model.hints import HINT_INPUT_CHANNELS, Hint
from tests.conftest import make_photo, write_tiny_artifact, write_tiny_hint_artifact
from training.recipes.propagation_hints import main


def _with_learned_hint_weights(path):
    generator, metadata = load_artifact(path)
    with torch.no_grad():
        parameters = dict(generator.named_parameters())
        for key, first in input_convolutions(generator.config):
            parameters[key][:, first + 1 : first + HINT_INPUT_CHANNELS] = 0.5
    save_artifact(path, generator, metadata, half_precision=False)
    return path


def test_hint_weights_become_zero_and_nothing_else_changes(tmp_path):
    source = _with_learned_hint_weights(write_tiny_hint_artifact(tmp_path / "learned.safetensors", seed=4))
    out = tmp_path / "propagated.safetensors"
    assert main([str(source), "--out", str(out), "--version", "2.0.0", "--no-onnx"]) == 0
    metadata = read_metadata(out)
    assert metadata.version == "2.0.0" and metadata.metrics == {}
    assert metadata.training["hint_inputs"]["weights"] == "zero"
    before, _ = load_artifact(source)
    after, _ = load_artifact(out)
    inputs = dict(input_convolutions(after.config))
    before_state = before.state_dict()
    for key, value in after.state_dict().items():
        if key in inputs:
            first = inputs[key]
            assert torch.all(value[:, first + 1 : first + HINT_INPUT_CHANNELS] == 0), key
            assert torch.equal(value[:, : first + 1], before_state[key][:, : first + 1]), key
        else:
            assert torch.equal(value, before_state[key]), key


def test_automatic_colours_stay_and_hints_still_steer_by_propagation(tmp_path):
    source = _with_learned_hint_weights(write_tiny_hint_artifact(tmp_path / "learned.safetensors", seed=4))
    out = tmp_path / "propagated.safetensors"
    main([str(source), "--out", str(out), "--no-onnx"])
    photo = make_photo(80, 60, seed=1).convert("L")
    learned, propagated = Colorizer.load(source, backend="torch"), Colorizer.load(out, backend="torch")
    automatic = np.asarray(propagated.colorize(photo))
    assert np.array_equal(automatic, np.asarray(learned.colorize(photo)))
    hint = [Hint(0.5, 0.5, (255, 0, 0))]
    steered = np.asarray(propagated.colorize(photo, hints=hint)).astype(int)
    assert np.abs(steered - automatic).max() > 10
    # The network alone no longer sees the hint: without propagation nothing moves.
    network_only = Colorizer.load(out, backend="torch", propagation=None)
    assert np.array_equal(np.asarray(network_only.colorize(photo, hints=hint)), automatic)


def test_a_generator_without_hint_planes_is_refused(tmp_path):
    source = write_tiny_artifact(tmp_path / "v1.safetensors")
    with pytest.raises(SystemExit, match="not a hint-capable"):
        main([str(source), "--out", str(tmp_path / "x.safetensors"), "--no-onnx"])
