"""Huge and odd numbers in every numeric parameter are 422 invalid_parameter, never a 500 (issue 21).

Generated values (Hypothesis, tests/odd_numbers.py) in the query string, in form
fields, and inside the hints JSON, for every numeric option of the options table.
No image is sent: a value that is taken leads on to 400 missing_image, which proves
the parameters were read and accepted without running the model.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from model.options import HINTS, Option
from tests.odd_numbers import NUMERIC_OPTIONS, any_text, bad_coordinates, bad_values, good_values, within_bounds
from tests.service.conftest import error_of

# The test client is shared between examples: that is the point (one app, many requests).
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PLACES = ("query", "form")


def _post(client, name: str, text: str, where: str):
    if where == "query":
        return client.post("/v1/colorize", query_string={name: text})
    return client.post("/v1/colorize", data={name: text}, content_type="multipart/form-data")


def _refused(response, name: str) -> None:
    error = error_of(response, 422)
    assert error["code"] == "invalid_parameter" and error["parameter"] == name, error


def _taken(response) -> None:
    assert error_of(response, 400)["code"] == "missing_image"


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("option", NUMERIC_OPTIONS, ids=lambda option: option.name)
def test_odd_and_out_of_range_numbers_are_invalid_parameter(client, option: Option, where: str):
    @EXAMPLES
    @given(text=bad_values(option))
    def check(text: str) -> None:
        _refused(_post(client, option.name, text, where), option.name)

    check()


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("option", NUMERIC_OPTIONS, ids=lambda option: option.name)
def test_plain_numbers_within_the_bounds_are_taken(client, option: Option, where: str):
    @EXAMPLES
    @given(text=good_values(option))
    def check(text: str) -> None:
        _taken(_post(client, option.name, text, where))

    check()


@pytest.mark.parametrize("option", NUMERIC_OPTIONS, ids=lambda option: option.name)
def test_any_text_is_taken_only_when_it_is_a_number_within_the_bounds(client, option: Option):
    @EXAMPLES
    @given(text=any_text())
    def check(text: str) -> None:
        response = _post(client, option.name, text, "query")
        if not text.strip():
            _taken(response)  # blank: the default
        elif within_bounds(option, text):
            _taken(response)
        else:
            _refused(response, option.name)

    check()


def _hints_text(x: str, y: str = "0.5") -> str:
    return f'[{{"x": {x}, "y": {y}, "color": "#a03020"}}]'


@pytest.mark.parametrize("where", PLACES)
def test_hint_coordinates_outside_0_to_1_are_invalid_parameter(hint_client, where: str):
    @EXAMPLES
    @given(coordinate=bad_coordinates(), first=st.booleans())
    def check(coordinate: str, first: bool) -> None:
        text = _hints_text(coordinate) if first else _hints_text("0.5", coordinate)
        _refused(_post(hint_client, HINTS.name, text, where), HINTS.name)

    check()


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON parser's recursion
        _hints_text("9" * 5000),  # more digits than int() reads
        _hints_text("1" + "0" * 400),
        _hints_text("1e400"),
    ],
    ids=["nested", "5000-digits", "401-digits", "1e400"],
)
def test_hints_json_beyond_the_parsers_limits_is_invalid_parameter(hint_client, text: str):
    response = hint_client.post("/v1/colorize", data={"hints": text}, content_type="multipart/form-data")
    _refused(response, HINTS.name)


def test_hints_within_0_to_1_are_taken(hint_client):
    hints = [{"x": 0, "y": 1, "color": "#000000"}, {"x": 0.5, "y": 1e-300, "color": "#FFFFFF"}]
    _taken(hint_client.post("/v1/colorize", query_string={"hints": json.dumps(hints)}))


def test_the_red_teams_render_size(client):
    _refused(client.post("/v1/colorize?render_size=9999999999999999999999999999"), "render_size")


# --- through the gateway: a real gateway process in front of gunicorn --------------------------

GATEWAY_ROUTES = ("/api/colorize", "/api/v1/colorize")
# Each example is two HTTP hops: fewer of them.
GATEWAY_EXAMPLES = settings(max_examples=25, deadline=None)


@pytest.mark.slow
@pytest.mark.parametrize("route", GATEWAY_ROUTES)
@pytest.mark.parametrize("option", NUMERIC_OPTIONS, ids=lambda option: option.name)
def test_odd_numbers_through_the_gateway_are_invalid_parameter(gateway_url, option: Option, route: str):
    import requests

    session = requests.Session()

    @GATEWAY_EXAMPLES
    @given(text=bad_values(option), where=st.sampled_from(PLACES))
    def check(text: str, where: str) -> None:
        if where == "query":
            response = session.post(gateway_url + route, params={option.name: text}, timeout=30)
        else:
            response = session.post(gateway_url + route, files={option.name: (None, text)}, timeout=30)
        assert response.status_code == 422, response.text[:300]
        error = response.json()["error"]
        assert (error["code"], error["parameter"]) == ("invalid_parameter", option.name)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("route", GATEWAY_ROUTES)
def test_the_red_teams_render_size_through_the_gateway(gateway_url, route: str):
    import requests

    response = requests.post(f"{gateway_url}{route}?render_size=9999999999999999999999999999", timeout=30)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_parameter"
