"""The web app's on-device pipeline reads Python's constants and results from committed JSON files:
they must be what `tools.device_fixtures` writes from the current model code."""

from __future__ import annotations

import json

from tools.device_fixtures import OUTPUT_DIR, colour_constants, fixture_texts


def test_committed_device_fixtures_are_current() -> None:
    for name, text in fixture_texts().items():
        committed = OUTPUT_DIR / name
        assert committed.is_file(), f"{committed} is missing: run python -m tools.device_fixtures"
        assert committed.read_text() == text, f"{committed} is stale: run python -m tools.device_fixtures"


def test_constants_are_the_model_packages_own() -> None:
    from model import lab_numpy
    from model.propagation import DEFAULT_PROPAGATION

    constants = json.loads(json.dumps(colour_constants()))
    assert constants["lab"]["xyzFromRgb"] == lab_numpy.XYZ_FROM_RGB.tolist()
    assert constants["propagation"]["sigma"] == DEFAULT_PROPAGATION.sigma
    assert constants["normalization"] == lab_numpy.DEFAULT_NORMALIZATION.to_dict()
