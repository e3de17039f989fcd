"""The web app's on-device pipeline reads Python's constants and results from committed JSON files:
they must be what `tools.device_fixtures` writes from the current model code."""

from __future__ import annotations

import json
import math

from tools.device_fixtures import OUTPUT_DIR, colour_constants, fixture_texts

# The files are written on one machine and checked on others, whose maths libraries may
# round a matrix inverse or a solve differently in the last digit (seen: rgbFromXyz, and
# labCases' values one unit apart in the fifth decimal). A stale file differs in structure
# or by far more than a rounding flip in the digits written (3 to 5 decimals).
_ROUNDING = 1e-3


def _differences(committed: object, current: object, where: str = "") -> list[str]:
    """Where two JSON documents differ beyond a last-digit rounding flip."""
    if isinstance(current, dict):
        if not isinstance(committed, dict) or committed.keys() != current.keys():
            return [f"{where or '/'}: keys differ"]
        return [found for key in current for found in _differences(committed[key], current[key], f"{where}/{key}")]
    if isinstance(current, list):
        if not isinstance(committed, list) or len(committed) != len(current):
            return [f"{where}: lengths differ"]
        return [
            found
            for index, pair in enumerate(zip(committed, current, strict=True))
            for found in _differences(*pair, f"{where}/{index}")
        ]
    if isinstance(current, float) and isinstance(committed, (int, float)) and not isinstance(committed, bool):
        close = math.isclose(committed, current, rel_tol=1e-6, abs_tol=_ROUNDING)
        return [] if close else [f"{where}: {committed} != {current}"]
    return [] if committed == current else [f"{where}: {committed!r} != {current!r}"]


def test_committed_device_fixtures_are_current() -> None:
    for name, text in fixture_texts().items():
        committed = OUTPUT_DIR / name
        assert committed.is_file(), f"{committed} is missing: run python -m tools.device_fixtures"
        differences = _differences(json.loads(committed.read_text()), json.loads(text))
        assert not differences, f"{committed} is stale (run python -m tools.device_fixtures): {differences[:5]}"


def test_a_changed_value_is_found_and_a_rounding_flip_is_not() -> None:
    committed = {"values": [0.12345, 2.0, [1.5]], "name": "x"}
    assert not _differences(committed, {"values": [0.12346, 2.0, [1.5]], "name": "x"})
    assert _differences(committed, {"values": [0.13345, 2.0, [1.5]], "name": "x"}) == ["/values/0: 0.12345 != 0.13345"]
    assert _differences(committed, {"values": [0.12345, 2.0], "name": "x"}) == ["/values: lengths differ"]
    assert _differences(committed, {"values": [0.12345, 2.0, [1.5]], "name": "y"}) == ["/name: 'x' != 'y'"]


def test_constants_are_the_model_packages_own() -> None:
    from model import lab_numpy
    from model.propagation import DEFAULT_PROPAGATION

    constants = json.loads(json.dumps(colour_constants()))
    assert constants["lab"]["xyzFromRgb"] == lab_numpy.XYZ_FROM_RGB.tolist()
    assert constants["propagation"]["sigma"] == DEFAULT_PROPAGATION.sigma
    assert constants["normalization"] == lab_numpy.DEFAULT_NORMALIZATION.to_dict()
