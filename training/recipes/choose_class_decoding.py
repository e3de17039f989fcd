"""Choose how a two-headed model decodes its colour: the temperature T, the mix and the chroma gain, by a rule
on held-out photos.

    python -m training.recipes.choose_class_decoding RUN/c.safetensors --data-dir DATA/train DATA/train_extra \\
        --out colorizer.safetensors --version 3.0.0

The classification head's annealed mean at T (`model.generator.annealed_mean`), its
share of the output (`class_mix`) and a gain on the output's chroma (`chroma_gain`) trade
PSNR for colour at inference, so they are chosen after training, like the L1/PatchGAN
interpolation was. The photos are the training run's
own held-out split (the same `--val-fraction` and seed), never val/ or bench/. Two rules:

- by default, **the highest PSNR among the settings whose colourfulness reaches
  `--min-colourfulness` of the truth** (0.75: the product's bar is 0.70, and a held-out
  set of 139 photos is noisy); if none does, the most colourful setting;
- with `--reference MODEL` (the model it is to replace), **the most colourful setting whose
  PSNR is not below the reference's** on the same photos (a new model must not lose PSNR to
  buy colour); if none, the best PSNR. It says whether the choice also beats the reference's
  colourfulness, i.e. whether it is better on both numbers.

Each photo goes through the network once; every setting re-decodes its two heads
(`model.generator.mix_heads`) through the product's own pre- and post-processing
(`model.colorizer.Colorizer` on the torch backend), scored as `python -m training
evaluate` scores (PSNR, SSIM, colourfulness of the full-resolution result).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from tqdm import tqdm

from model.artifact import load_artifact, save_artifact
from model.backends import load_backend
from model.colorizer import Colorizer
from model.generator import UNetGenerator, mix_heads
from model.preprocessing import orient
from model.torch_backend import TorchBackend
from training.data import scan_folder, split_validation
from training.evaluate import _colorfulness, _grayscale_baseline, _scores, evaluate

TEMPERATURES = (0.1, 0.15, 0.2, 0.3, 0.38, 0.5, 0.7, 1.0)
MIXES = (0.0, 0.25, 0.5, 0.75, 1.0)
# A pixel loss's colour is often right in hue and short in chroma; above about 1.4 the
# wrong hues it also scales cost more PSNR than the right ones gain (2.0.0, held-out:
# 1.2 gave -0.16 dB for +10 points of colourfulness, 1.45 -0.53 dB for +25).
GAINS = (1.0, 1.1, 1.2, 1.3, 1.4)


class SweptDecoding(nn.Module):
    """The generator's trunk run once per distinct input; its heads re-decoded at (temperature, mix, gain)."""

    def __init__(self, generator: UNetGenerator) -> None:
        super().__init__()
        self.generator = generator
        self.temperature = generator.config.class_temperature
        self.mix = generator.config.class_mix
        self.gain = generator.config.chroma_gain
        self._heads: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        key = hashlib.sha1(inputs.detach().cpu().numpy().tobytes()).hexdigest()
        if key not in self._heads:
            heads = self.generator(inputs, heads=True)
            assert heads.logits is not None
            self._heads[key] = (heads.regression, heads.logits)
        regression, logits = self._heads[key]
        mixed = mix_heads(regression, logits, self.generator.ab_centres, self.temperature, self.mix)
        return (mixed * self.gain).clamp(-1.0, 1.0)  # as UNetGenerator.forward applies chroma_gain


def held_out_photos(data_dirs: list[str], fraction: float, seed: int, min_side: int = 64) -> list[Path]:
    """The photos a training run with these --data-dir, --val-fraction, --seed and --min-image-side held out
    (the same scan, so the same usable photos in the same order, and the same split)."""
    files = [path for folder in data_dirs for path in scan_folder(folder, min_side, workers=4).files]
    return split_validation(files, fraction, seed)[1]


def sweep(
    artifact: Path,
    photos: list[Path],
    progress: bool = True,
    gains: tuple[float, ...] = GAINS,
    temperatures: tuple[float, ...] = TEMPERATURES,
    mixes: tuple[float, ...] = MIXES,
) -> list[dict]:
    """Scores of every (temperature, mix, gain) on the photos: a list of rows, one per setting."""
    backend = load_backend(artifact, backend="torch", device="cpu")
    assert isinstance(backend, TorchBackend)
    if backend.generator.class_head is None:
        raise SystemExit(f"{artifact}: the model has no classification head (nothing to choose)")
    swept = SweptDecoding(backend.generator)
    backend.generator = swept  # type: ignore[assignment]  # called as the generator is: inputs -> ab
    colorizer = Colorizer(backend)
    settings = list(itertools.product(temperatures, mixes, gains))
    totals = {setting: {"psnr": 0.0, "ssim": 0.0, "colorfulness": 0.0} for setting in settings}
    baseline_psnr = truth_colour = 0.0
    count = 0
    for path in tqdm(photos, desc="held-out", unit="img", disable=not progress):
        with Image.open(path) as opened:
            image = orient(opened).convert("RGB")
        truth = np.asarray(image)
        for setting in settings:
            swept.temperature, swept.mix, swept.gain = setting
            predicted = np.asarray(colorizer.colorize(image).convert("RGB"))
            for metric, value in _scores(predicted, truth).items():
                totals[setting][metric] += value
        baseline_psnr += _scores(_grayscale_baseline(image), truth)["psnr"]
        truth_colour += _colorfulness(truth)
        count += 1
    rows = []
    for (temperature, mix, gain), sums in totals.items():
        rows.append(
            {
                "temperature": temperature,
                "mix": mix,
                "gain": gain,
                "psnr_gain_db": (sums["psnr"] - baseline_psnr) / count,
                "ssim": sums["ssim"] / count,
                "colourfulness_ratio": sums["colorfulness"] / max(truth_colour, 1e-9),
            }
        )
    return rows


def reference_scores(artifact: Path, photos: list[Path], progress: bool = True) -> dict:
    """The reference model's PSNR gain and colourfulness ratio on the photos (`training.evaluate`'s scores)."""
    result = evaluate(artifact, photos, backend="torch", device="cpu", progress=progress)
    return {
        "psnr_gain_db": result["gain_over_baseline"]["psnr_db"],
        "colourfulness_ratio": result["colorfulness_ratio_to_truth"],
    }


def choose_against(rows: list[dict], reference: dict) -> dict:
    """The rule with a reference: the most colourful row not below its PSNR gain, else the best PSNR."""
    kept = [row for row in rows if row["psnr_gain_db"] >= reference["psnr_gain_db"]]
    if kept:
        return max(kept, key=lambda row: row["colourfulness_ratio"])
    return max(rows, key=lambda row: row["psnr_gain_db"])


def choose(rows: list[dict], min_colourfulness: float) -> dict:
    """The rule: the best PSNR gain among rows colourful enough, else the most colourful row."""
    colourful = [row for row in rows if row["colourfulness_ratio"] >= min_colourfulness]
    if colourful:
        return max(colourful, key=lambda row: row["psnr_gain_db"])
    return max(rows, key=lambda row: row["colourfulness_ratio"])


def format_rows(rows: list[dict], chosen: dict) -> str:
    lines = ["| T | mix | gain | PSNR gain (dB) | SSIM | colourfulness |", "|---|---|---|---|---|---|"]
    for row in rows:
        mark = " **chosen**" if row is chosen else ""
        lines.append(
            f"| {row['temperature']} | {row['mix']} | {row['gain']} | {row['psnr_gain_db']:+.3f} | {row['ssim']:.4f} "
            f"| {100 * row['colourfulness_ratio']:.1f}%{mark} |"
        )
    return "\n".join(lines)


def write_chosen(artifact: Path, out: Path, version: str | None, chosen: dict, rule: dict) -> Path:
    """The artifact again, its generator decoding at the chosen setting."""
    generator, metadata = load_artifact(artifact)
    config = dataclasses.replace(
        generator.config,
        class_temperature=float(chosen["temperature"]),
        class_mix=float(chosen["mix"]),
        chroma_gain=float(chosen["gain"]),
    )
    rebuilt = UNetGenerator(config)
    rebuilt.load_state_dict(generator.state_dict())
    training = {**metadata.training, "class_decoding": {**rule, "chosen": chosen}}
    shipped = dataclasses.replace(
        metadata, version=version or metadata.version, generator=config, training=training, metrics={}
    )
    return save_artifact(out, rebuilt, shipped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.recipes.choose_class_decoding",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("artifact", type=Path, help="a model with a classification head (.safetensors)")
    parser.add_argument("--data-dir", nargs="+", required=True, help="the training run's --data-dir folders")
    parser.add_argument("--val-fraction", type=float, default=0.01, help="the run's --val-fraction (default: 0.01)")
    parser.add_argument("--seed", type=int, default=0, help="the run's --seed (default: 0)")
    parser.add_argument("--limit", type=int, help="score only the first N held-out photos")
    parser.add_argument(
        "--min-colourfulness", type=float, default=0.75, help="the rule's colourfulness floor (default: 0.75)"
    )
    parser.add_argument(
        "--reference", type=Path, help="the model to replace: choose the most colourful setting not below its PSNR"
    )
    parser.add_argument("--out", type=Path, help="write the artifact decoding at the chosen setting here")
    parser.add_argument("--version", help="with --out: the version to record (default: the source's)")
    parser.add_argument(
        "--temperatures",
        type=float,
        nargs="+",
        default=TEMPERATURES,
        help=f"temperatures to try (default: {' '.join(map(str, TEMPERATURES))})",
    )
    parser.add_argument(
        "--mixes", type=float, nargs="+", default=MIXES, help=f"mixes to try (default: {' '.join(map(str, MIXES))})"
    )
    parser.add_argument(
        "--gains",
        type=float,
        nargs="+",
        default=GAINS,
        help=f"chroma gains to try (default: {' '.join(map(str, GAINS))}; 1 alone: the network's colour as trained)",
    )
    parser.add_argument("--json", type=Path, help="also write every row and the choice as JSON")
    args = parser.parse_args(argv)
    if any(value <= 0 for value in (*args.gains, *args.temperatures)):
        parser.error("--gains and --temperatures must be above 0")
    if any(not 0 <= mix <= 1 for mix in args.mixes):
        parser.error("--mixes must be in [0, 1]")
    with torch.no_grad():  # not set_grad_enabled(False): main() is also called in-process (tests)
        return _choose(args)


def _choose(args: argparse.Namespace) -> int:
    """Sweep, choose by the rule, print the table, write what was asked for."""
    photos = held_out_photos(args.data_dir, args.val_fraction, args.seed)[: args.limit]
    rows = sweep(
        args.artifact, photos, gains=tuple(args.gains), temperatures=tuple(args.temperatures), mixes=tuple(args.mixes)
    )
    rule: dict = {"photos": len(photos)}
    if args.reference:
        reference = reference_scores(args.reference, photos)
        chosen = choose_against(rows, reference)
        dominates = chosen["psnr_gain_db"] >= reference["psnr_gain_db"] and (
            chosen["colourfulness_ratio"] > reference["colourfulness_ratio"]
        )
        rule |= {"rule": "most colourful not below the reference's PSNR", "reference": str(args.reference)}
        rule |= {"reference_scores": reference, "better_on_both": dominates}
    else:
        chosen = choose(rows, args.min_colourfulness)
        rule |= {"min_colourfulness": args.min_colourfulness, "rule": "best PSNR above the floor"}
    print(format_rows(rows, chosen))
    if args.reference:
        print(
            f"reference {args.reference}: {reference['psnr_gain_db']:+.3f} dB, "
            f"{100 * reference['colourfulness_ratio']:.1f}%; the choice is "
            + ("better on both numbers" if rule["better_on_both"] else "NOT better on both numbers")
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "chosen": chosen, **rule}, indent=2))
    if args.out:
        print(f"wrote {write_chosen(args.artifact, args.out, args.version, chosen, rule)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
