"""The rules that choose a two-headed model's decoding (temperature, mix) on held-out photos."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
import torch

from model.artifact import load_artifact
from model.colour_classes import colour_class_count
from tests.conftest import TINY_GENERATOR, make_photo, write_tiny_artifact
from training.evaluate import evaluate
from training.recipes.choose_class_decoding import choose, choose_against, main, sweep, write_chosen


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


def test_the_sweep_scores_every_gain_and_the_choice_is_written_into_the_network(tmp_path):
    config = replace(TINY_GENERATOR, colour_classes=colour_class_count())
    source = write_tiny_artifact(tmp_path / "two-heads.safetensors", seed=5, config=config)
    photos = []
    for seed in range(2):
        photos.append(tmp_path / f"photo{seed}.png")
        make_photo(72, 56, seed=seed).save(photos[-1])
    rows = sweep(source, photos, progress=False, gains=(1.0, 1.5), temperatures=(0.2, 0.38), mixes=(0.0, 0.5, 1.0))
    assert len(rows) == 2 * 3 * 2
    assert {(row["temperature"], row["mix"], row["gain"]) for row in rows} == set(
        itertools.product((0.2, 0.38), (0.0, 0.5, 1.0), (1.0, 1.5))
    )
    for row in rows:
        if row["gain"] == 1.5:
            plain = next(
                r
                for r in rows
                if r["gain"] == 1.0 and r["temperature"] == row["temperature"] and r["mix"] == row["mix"]
            )
            assert row["colourfulness_ratio"] > plain["colourfulness_ratio"]
    chosen = max(rows, key=lambda row: row["colourfulness_ratio"])
    out = write_chosen(source, tmp_path / "chosen.safetensors", "3.0.0-test", chosen, {"rule": "test"})
    generator, metadata = load_artifact(out)
    assert generator.config.chroma_gain == chosen["gain"] == 1.5
    assert metadata.training["class_decoding"]["chosen"] == chosen
    # The chosen artifact, run as the product runs it, scores exactly as the sweep scored its setting.
    result = evaluate(out, photos, backend="torch", device="cpu", progress=False)
    assert result["gain_over_baseline"]["psnr_db"] == pytest.approx(chosen["psnr_gain_db"], abs=1e-3)
    assert result["colorfulness_ratio_to_truth"] == pytest.approx(chosen["colourfulness_ratio"], abs=1e-4)


@pytest.mark.parametrize("option", [["--mixes", "1.5"], ["--gains", "0"], ["--temperatures", "-0.1"]])
def test_settings_out_of_range_are_refused(option, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path / "none.safetensors"), "--data-dir", str(tmp_path), *option])
    assert "must be" in capsys.readouterr().err
    assert torch.is_grad_enabled()  # main() leaves the process as it found it
