"""The rules that choose a two-headed model's decoding (temperature, mix) on held-out photos."""

from __future__ import annotations

from training.recipes.choose_class_decoding import choose, choose_against


def _row(psnr: float, colour: float) -> dict:
    return {"temperature": 0.38, "mix": 0.5, "psnr_gain_db": psnr, "ssim": 0.9, "colourfulness_ratio": colour}


ROWS = [_row(0.6, 0.36), _row(0.4, 0.49), _row(0.1, 0.57), _row(-0.3, 0.66)]


def test_floor_rule_takes_the_best_psnr_among_colourful_enough_rows():
    assert choose(ROWS, min_colourfulness=0.5) is ROWS[2]
    assert choose(ROWS, min_colourfulness=0.9) is ROWS[3]  # none reaches it: the most colourful


def test_reference_rule_takes_the_most_colourful_row_not_below_the_reference_psnr():
    assert choose_against(ROWS, {"psnr_gain_db": 0.38, "colourfulness_ratio": 0.48}) is ROWS[1]
    assert choose_against(ROWS, {"psnr_gain_db": 0.1, "colourfulness_ratio": 0.48}) is ROWS[2]
    assert choose_against(ROWS, {"psnr_gain_db": 0.9, "colourfulness_ratio": 0.48}) is ROWS[0]  # none: best PSNR
