"""model.hints: parsing user hints and painting them into the generator's planes."""

import json

import numpy as np
import pytest
from skimage import color

from model.hints import (
    HINT_PATCH_SIZE,
    MAX_HINTS,
    Hint,
    HintError,
    by_reach,
    hint_pixel,
    paint_hints,
    parse_color,
    parse_hints,
)
from model.lab import DEFAULT_NORMALIZATION


def test_parse_hints_reads_the_documented_json():
    hints = parse_hints('[{"x": 0.25, "y": 0.6, "color": "#a03020"}, {"x": 1, "y": 0, "color": "#00FF00"}]')
    assert hints == [Hint(0.25, 0.6, (160, 48, 32)), Hint(1.0, 0.0, (0, 255, 0))]
    assert hints[0].hex_color == "#a03020" and hints[1].hex_color == "#00ff00"


def test_a_hint_may_say_how_far_it_reaches_and_reaches_the_whole_region_by_default():
    hints = parse_hints(
        '[{"x": 0, "y": 0, "color": "#000000", "reach": "small"}, {"x": 1, "y": 1, "color": "#ffffff"}]'
    )
    assert [hint.reach for hint in hints] == ["small", "whole"]


def test_by_reach_groups_the_widest_first():
    small, whole, medium = Hint(0, 0, (0, 0, 0), "small"), Hint(1, 1, (9, 9, 9)), Hint(0.5, 0.5, (1, 1, 1), "medium")
    groups = by_reach([small, whole, medium, Hint(0.1, 0.1, (2, 2, 2), "small")])
    assert [share for share, _ in groups] == sorted((share for share, _ in groups), reverse=True)
    assert [[hint.reach for hint in group] for _, group in groups] == [["whole"], ["medium"], ["small", "small"]]


@pytest.mark.parametrize("value", [None, "", "  ", "[]"])
def test_no_hints(value):
    assert parse_hints(value) == []


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "JSON array"),
        ('{"x": 0.5}', "JSON array"),
        ("[1]", "must be an object"),
        ('[{"x": 0.5, "y": 0.5}]', "missing color"),
        ('[{"x": 1.5, "y": 0.5, "color": "#000000"}]', "outside [0, 1]"),
        ('[{"x": -0.1, "y": 0.5, "color": "#000000"}]', "outside [0, 1]"),
        ('[{"x": "0.5", "y": 0.5, "color": "#000000"}]', "must be a number"),
        ('[{"x": true, "y": 0.5, "color": "#000000"}]', "must be a number"),
        ('[{"x": 0.5, "y": 0.5, "color": "red"}]', "#rrggbb"),
        ('[{"x": 0.5, "y": 0.5, "color": "#12345"}]', "#rrggbb"),
        ('[{"x": 0.5, "y": 0.5, "color": "#000000", "size": 3}]', "unknown keys"),
        ('[{"x": 0.5, "y": 0.5, "color": "#000000", "reach": "tiny"}]', "reach must be one of small, medium, whole"),
        ('[{"x": 0.5, "y": 0.5, "color": "#000000", "reach": 0.1}]', "reach must be one of"),
        # unhashable: found by schemathesis as a 500
        ('[{"x": 0.5, "y": 0.5, "color": "#000000", "reach": ["null"]}]', "reach must be one of"),
        ('[{"x": 0.5, "y": 0.5, "color": "#000000", "reach": {}}]', "reach must be one of"),
        ("[" + ",".join(['{"x": 0, "y": 0, "color": "#000000"}'] * (MAX_HINTS + 1)) + "]", f"at most {MAX_HINTS}"),
    ],
)
def test_malformed_hints_are_refused_with_the_problem_named(text, problem):
    with pytest.raises(HintError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parse_hints(text)


def test_non_finite_numbers_are_refused():
    with pytest.raises(HintError):
        parse_hints(json.dumps([{"x": float("nan"), "y": 0.5, "color": "#000000"}]))


def test_parse_color():
    assert parse_color("#0a0B0c") == (10, 11, 12)


def test_hint_pixel_maps_the_unit_square_onto_the_grid():
    assert hint_pixel(Hint(0.0, 0.0, (0, 0, 0)), 10, 20) == (0, 0)
    assert hint_pixel(Hint(1.0, 1.0, (0, 0, 0)), 10, 20) == (9, 19)
    assert hint_pixel(Hint(0.5, 0.25, (0, 0, 0)), 10, 20) == (2, 10)


def test_paint_hints_draws_the_colours_chroma_as_a_patch_with_a_mask():
    color_rgb = (200, 40, 30)
    planes = paint_hints([Hint(0.5, 0.5, color_rgb)], 32, 48)
    assert planes.shape == (3, 32, 48) and planes.dtype == np.float32
    rows, columns = np.nonzero(planes[2])
    assert rows.min() == 16 - HINT_PATCH_SIZE // 2 and rows.max() == 16 + HINT_PATCH_SIZE // 2
    assert columns.min() == 24 - HINT_PATCH_SIZE // 2 and columns.max() == 24 + HINT_PATCH_SIZE // 2
    expected_ab = color.rgb2lab(np.array([[color_rgb]], dtype=np.float64) / 255.0)[0, 0, 1:]
    patch = planes[:2, planes[2] > 0] * DEFAULT_NORMALIZATION.ab_scale
    np.testing.assert_allclose(patch, np.repeat(expected_ab[:, None], patch.shape[1], axis=1), atol=0.05)
    assert not planes[:, planes[2] == 0].any()  # nothing outside the patch


def test_patches_are_cut_at_the_border_and_later_hints_win():
    planes = paint_hints([Hint(0.0, 0.0, (255, 0, 0)), Hint(0.05, 0.05, (0, 0, 255))], 40, 40, patch_size=5)
    assert planes[2, 0, 0] == 1 and planes[2, 3, 3] == 1 and planes[2, 5, 5] == 0
    assert planes[1, 0, 0] < 0  # blue's b* wins where the patches overlap
    assert paint_hints([], 8, 8).sum() == 0
