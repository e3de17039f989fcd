"""Colour hints and vibrance on POST /v1/colorize: every malformed case, a model without
hint support, good hinted requests, and what GET /v1/model and the OpenAPI document say."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import color

from tests.conftest import make_photo
from tests.service.conftest import encode, error_of

RED = "#c81e1e"
# A spot in the left half, far from the right edge the tests compare against.
PIN = {"x": 0.25, "y": 0.5, "color": RED}


def _gray_jpeg(width: int = 96, height: int = 64) -> bytes:
    return encode(make_photo(width, height, seed=4).convert("L"), "JPEG", quality=95)


def _flat_gray_png(width: int = 96, height: int = 64) -> bytes:
    """One flat grey region: a hint's colour spreads over all of it."""
    return encode(Image.new("L", (width, height), 128), "PNG")


def _post(client, *, query: dict | None = None, form: dict | None = None, image: bytes | None = None):
    """Multipart upload of `image` (a grey JPEG by default) with form fields and a query string."""
    body = {"image": (io.BytesIO(image if image is not None else _gray_jpeg()), "photo.jpg"), **(form or {})}
    return client.post("/v1/colorize", query_string=query or {}, data=body, content_type="multipart/form-data")


def _placed(where: str, fields: dict) -> dict[str, Any]:
    """`fields` as _post's keyword `where` ("query" or "form")."""
    return {where: fields}


def _lab(response) -> np.ndarray:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    image = Image.open(io.BytesIO(response.data)).convert("RGB")
    return color.rgb2lab(np.asarray(image, dtype=np.float64) / 255.0)


def _hints(*hints: dict) -> str:
    return json.dumps(list(hints))


# --- malformed hints and vibrance: 422 invalid_parameter, the parameter named -------------

_TOO_MANY = _hints(*[{"x": i / 64, "y": 0.5, "color": RED} for i in range(65)])

MALFORMED_HINTS = [
    ("not JSON", "[{x: 0.5}", "JSON"),
    ("truncated JSON", '[{"x": 0.5, "y": 0.5, "color": "#ff0000"}', "JSON"),
    ("an object, not an array", json.dumps(PIN), "array"),
    ("a string, not an array", '"red"', "array"),
    ("a number, not an array", "42", "array"),
    ("more than 64", _TOO_MANY, "at most 64"),
    ("an element that is not an object", "[1]", "object"),
    ("x above 1", _hints({**PIN, "x": 1.01}), "outside [0, 1]"),
    ("x below 0", _hints({**PIN, "x": -0.1}), "outside [0, 1]"),
    ("y above 1", _hints({**PIN, "y": 2}), "outside [0, 1]"),
    ("x a string", _hints({**PIN, "x": "0.5"}), "must be a number"),
    ("y null", _hints({**PIN, "y": None}), "must be a number"),
    ("x a boolean", _hints({**PIN, "x": True}), "must be a number"),
    ("x NaN", '[{"x": NaN, "y": 0.5, "color": "#ff0000"}]', "must be a number"),
    ("y Infinity", '[{"x": 0.5, "y": Infinity, "color": "#ff0000"}]', "must be a number"),
    ("colour a name", _hints({**PIN, "color": "red"}), "#rrggbb"),
    ("colour short form", _hints({**PIN, "color": "#f00"}), "#rrggbb"),
    ("colour without #", _hints({**PIN, "color": "ff0000"}), "#rrggbb"),
    ("colour not hex", _hints({**PIN, "color": "#gg0000"}), "#rrggbb"),
    ("colour with alpha", _hints({**PIN, "color": "#ff000080"}), "#rrggbb"),
    ("colour a number", _hints({**PIN, "color": 16711680}), "#rrggbb"),
    ("colour rgb()", _hints({**PIN, "color": "rgb(255, 0, 0)"}), "#rrggbb"),
    ("a key missing", _hints({"x": 0.5, "y": 0.5}), "missing color"),
    ("an unknown key", _hints({**PIN, "size": 3}), "unknown keys"),
    ("an unknown reach", _hints({**PIN, "reach": "huge"}), "reach must be one of small, medium, whole"),
    ("a reach as a number", _hints({**PIN, "reach": 0.2}), "reach must be one of"),
    ("the second hint bad", _hints(PIN, {**PIN, "y": 1.5}), "hint 1"),
]


@pytest.mark.parametrize("where", ["form", "query"])
@pytest.mark.parametrize(("name", "value", "problem"), MALFORMED_HINTS, ids=[case[0] for case in MALFORMED_HINTS])
def test_malformed_hints_are_an_invalid_parameter(hint_client, where, name, value, problem):
    response = _post(hint_client, **_placed(where, {"hints": value}))
    error = error_of(response, 422)
    assert error["code"] == "invalid_parameter", error
    assert error["parameter"] == "hints"
    assert problem in error["message"], error["message"]
    assert len(error["message"]) <= 300


MALFORMED_VIBRANCE = [
    ("not a number", "vivid", "between 0 and 2"),
    ("below 0", "-0.1", "between 0 and 2"),
    ("above 2", "2.01", "between 0 and 2"),
    ("far above 2", "1e400", "between 0 and 2"),
    ("NaN", "nan", "between 0 and 2"),
    ("infinity", "inf", "between 0 and 2"),
    ("a decimal comma", "1,5", "between 0 and 2"),
    ("hexadecimal", "0x1", "between 0 and 2"),
    ("a JSON list", "[1]", "between 0 and 2"),
]


@pytest.mark.parametrize("where", ["form", "query"])
@pytest.mark.parametrize(("name", "value", "problem"), MALFORMED_VIBRANCE, ids=[case[0] for case in MALFORMED_VIBRANCE])
def test_malformed_vibrance_is_an_invalid_parameter(hint_client, where, name, value, problem):
    error = error_of(_post(hint_client, **_placed(where, {"vibrance": value})), 422)
    assert error["code"] == "invalid_parameter" and error["parameter"] == "vibrance"
    assert problem in error["message"] and "vibrance" in error["message"]


@pytest.mark.parametrize(
    ("name", "values"),
    [("hints", [_hints(PIN), _hints({**PIN, "color": "#00ff00"})]), ("vibrance", ["0.5", "1.5"])],
)
def test_a_parameter_given_twice_with_different_values_is_refused(hint_client, name, values):
    error = error_of(_post(hint_client, query={name: values[0]}, form={name: values[1]}), 422)
    assert error["code"] == "invalid_parameter" and error["parameter"] == name
    assert "more than once" in error["message"]
    error = error_of(_post(hint_client, query={name: values}), 422)
    assert error["parameter"] == name


@pytest.mark.parametrize("name", ["hints", "vibrance"])
def test_a_parameter_sent_as_a_file_is_refused_not_ignored(hint_client, name):
    body = {"image": (io.BytesIO(_gray_jpeg()), "photo.jpg"), name: (io.BytesIO(b"[]"), f"{name}.json")}
    error = error_of(hint_client.post("/v1/colorize", data=body, content_type="multipart/form-data"), 422)
    assert (error["code"], error["parameter"]) == ("invalid_parameter", name)
    assert "text field" in error["message"]


def test_malformed_hints_are_refused_whatever_the_model(client):
    """Validation comes first: a 1-channel model answers invalid_parameter, not hints_unsupported."""
    error = error_of(_post(client, form={"hints": "[{x: 1}"}), 422)
    assert (error["code"], error["parameter"]) == ("invalid_parameter", "hints")
    error = error_of(_post(client, form={"vibrance": "3"}), 422)
    assert (error["code"], error["parameter"]) == ("invalid_parameter", "vibrance")


# --- a model without hint support --------------------------------------------------------


@pytest.mark.parametrize("where", ["form", "query"])
def test_hints_to_a_model_without_hint_support_are_hints_unsupported(client, where):
    error = error_of(_post(client, **_placed(where, {"hints": _hints(PIN)})), 422)
    assert error["code"] == "hints_unsupported"
    assert error["parameter"] == "hints"
    assert "tiny-test-colorizer" in error["message"] and "hints" in error["message"]


def test_a_model_without_hint_support_takes_no_hints_and_vibrance(client):
    for blank in ("[]", "", "  "):
        assert _post(client, form={"hints": blank}).status_code == 200
    lab = _lab(_post(client, form={"vibrance": "0"}))
    assert np.abs(lab[..., 1:]).max() < 1.0  # grayscale


# --- good requests -----------------------------------------------------------------------


def test_a_hint_recolours_its_region_and_leaves_the_rest(hint_client):
    flat = _flat_gray_png()
    plain = _lab(_post(hint_client, image=flat))
    red = _lab(_post(hint_client, image=flat, form={"hints": _hints(PIN)}))
    assert red.shape == plain.shape == (64, 96, 3)
    # At the pin (x 0.25 -> column 24, y 0.5 -> row 32): strongly red, a* well up.
    assert red[32, 24, 1] > 20 and red[32, 24, 1] > plain[32, 24, 1] + 15
    # The photo keeps its lightness.
    assert np.abs(red[..., 0] - plain[..., 0]).max() < 2.0


def test_a_small_reach_pin_colours_fewer_pixels_than_one_that_reaches_the_whole_region(hint_client):
    flat = _flat_gray_png()
    plain = _lab(_post(hint_client, image=flat))

    def coloured(reach: str) -> int:
        lab = _lab(_post(hint_client, image=flat, form={"hints": _hints({**PIN, "reach": reach})}))
        return int((np.hypot(lab[..., 1] - plain[..., 1], lab[..., 2] - plain[..., 2]) > 3).sum())

    assert 0 < coloured("small") < coloured("medium") < coloured("whole")
    # Whole region is what a hint without a reach does.
    assert _post(hint_client, image=flat, form={"hints": _hints({**PIN, "reach": "whole"})}).data == (
        _post(hint_client, image=flat, form={"hints": _hints(PIN)}).data
    )


def test_hints_in_the_query_string_or_a_form_field_give_the_same_image(hint_client):
    hints = _hints(PIN, {"x": 0.8, "y": 0.2, "color": "#2050d0"})
    by_form = _post(hint_client, form={"hints": hints})
    by_query = _post(hint_client, query={"hints": hints})
    plain = _post(hint_client)
    assert by_form.status_code == by_query.status_code == 200
    assert by_form.data == by_query.data
    assert by_form.data != plain.data
    # The same value in both places is one value, as for the other parameters.
    assert _post(hint_client, query={"hints": hints}, form={"hints": hints}).data == by_form.data


def test_sixty_four_hints_are_accepted(hint_client):
    hints = _hints(*[{"x": (i % 8) / 7, "y": (i // 8) / 7, "color": "#3080c0"} for i in range(64)])
    response = _post(hint_client, form={"hints": hints})
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data)).size == (96, 64)


def test_hints_follow_the_exif_orientation(hint_client):
    """x and y are relative to the image as shown (EXIF applied), not as stored."""
    upright = Image.new("L", (90, 60), 128)
    upright.paste(40, (45, 0, 90, 60))  # a dark right half: the hint's region stops at its edge
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 8  # shown rotated back to 90x60
    jpeg = encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    lab = _lab(_post(hint_client, image=jpeg, form={"hints": _hints({"x": 0.2, "y": 0.5, "color": RED})}))
    assert lab.shape[:2] == (60, 90)
    assert lab[30, 18, 1] > 20  # the pin's spot, in the upright image
    assert lab[30, 18, 1] > lab[30, 75, 1] + 10  # across the edge, much less red


def test_vibrance_zero_is_grayscale_one_the_default_and_two_more_colourful(hint_client):
    photo = _gray_jpeg()
    default = _post(hint_client, image=photo)
    assert _post(hint_client, image=photo, form={"vibrance": "1"}).data == default.data
    assert _post(hint_client, image=photo, query={"vibrance": "1.0"}).data == default.data
    gray = _lab(_post(hint_client, image=photo, form={"vibrance": "0"}))
    assert np.abs(gray[..., 1:]).max() < 1.0
    chroma = {
        vibrance: np.hypot(
            *_lab(_post(hint_client, image=photo, query={"vibrance": vibrance}))[..., 1:].transpose(2, 0, 1)
        ).mean()
        for vibrance in ("0.5", "1", "2")
    }
    assert chroma["0.5"] < chroma["1"] < chroma["2"]


def test_vibrance_applies_to_the_hinted_colours_too(hint_client):
    flat = _flat_gray_png()
    hinted = _lab(_post(hint_client, image=flat, form={"hints": _hints(PIN), "vibrance": "0"}))
    assert np.abs(hinted[..., 1:]).max() < 1.0


def test_the_log_line_counts_hints_and_records_vibrance(hint_client, caplog):
    with caplog.at_level("INFO", logger="inference_service.requests"):
        _post(hint_client, form={"hints": _hints(PIN, PIN), "vibrance": "1.5"})
    fields = [getattr(record, "fields", {}) for record in caplog.records if record.name == "inference_service.requests"]
    assert any(entry.get("hints") == 2 and entry.get("vibrance") == 1.5 for entry in fields), fields


# --- what the service says about it ------------------------------------------------------


def test_the_model_route_says_whether_the_model_takes_hints(client, hint_client):
    plain = client.get("/v1/model").get_json()
    assert (plain["supports_hints"], plain["max_hints"]) == (False, 0)
    hinted = hint_client.get("/v1/model").get_json()
    assert (hinted["supports_hints"], hinted["max_hints"]) == (True, 64)
    assert hinted["generator"]["in_channels"] == 4
    assert hinted["limits"]["vibrance"] == {"min": 0.0, "max": 2.0, "default": 1.0}


def test_the_openapi_document_describes_hints_and_vibrance(hint_client):
    document = hint_client.get("/openapi.json").get_json()
    operation = document["paths"]["/v1/colorize"]["post"]
    query = {
        parameter["name"]: parameter.get("schema") or parameter["content"]["application/json"]["schema"]
        for parameter in operation["parameters"]
    }
    multipart = operation["requestBody"]["content"]["multipart/form-data"]
    form = multipart["schema"]["properties"]
    # A JSON array, serialized as JSON in the query string and in its form field.
    assert next(p for p in operation["parameters"] if p["name"] == "hints")["content"].keys() == {"application/json"}
    assert multipart["encoding"]["hints"]["contentType"] == "application/json"
    for schemas in (query, form):
        assert schemas["hints"]["type"] == "array" and schemas["hints"]["maxItems"] == 64
        assert schemas["hints"]["items"] == {"$ref": "#/components/schemas/Hint"}
        assert (schemas["vibrance"]["minimum"], schemas["vibrance"]["maximum"], schemas["vibrance"]["default"]) == (
            0,
            2,
            1,
        )
    hint = document["components"]["schemas"]["Hint"]
    assert set(hint["required"]) == {"x", "y", "color"} and hint["additionalProperties"] is False
    assert "hints_unsupported" in operation["responses"]["422"]["description"]
    model = document["components"]["schemas"]["ModelInfo"]["properties"]
    assert model["supports_hints"]["type"] == "boolean" and model["max_hints"]["type"] == "integer"


def test_the_openapi_document_gives_the_loaded_models_hint_limit(client, hint_client):
    """A model without hints: the document allows none (hints_unsupported otherwise), so generated requests agree."""
    for test_client, expected in ((client, 0), (hint_client, 64)):
        operation = test_client.get("/openapi.json").get_json()["paths"]["/v1/colorize"]["post"]
        form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
        assert form["hints"]["maxItems"] == expected
