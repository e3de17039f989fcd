"""Evaluate an artifact with the real Colorizer pipeline against the grayscale baseline.

For every photo: the Colorizer sees the photo (it keeps only its lightness),
predicts ab at the render size, and combines it with the full-resolution L.
The grayscale baseline is the same L with a = b = 0. Both are compared with the
original: PSNR and SSIM (scikit-image) and colourfulness (Hasler & Suesstrunk).

With `hints=N` (a hint-capable model), every photo is colorized a second time with
N hints read off the ground truth at random positions (seeded per photo), and those
scores are reported beside the automatic ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from tqdm import tqdm

from model.artifact import load_artifact, save_artifact
from model.colorizer import Colorizer
from model.options import VIBRANCE
from model.preprocessing import compose, lightness_of, orient
from model.propagation import DEFAULT_PROPAGATION
from training.data import list_images
from training.hints import hints_from_truth
from training.metrics import colorfulness


def _colorfulness(array: np.ndarray) -> float:
    return float(colorfulness(torch.from_numpy(np.array(array)).permute(2, 0, 1).unsqueeze(0).float() / 255.0)[0])


def _grayscale_baseline(image: Image.Image) -> np.ndarray:
    """The same L with a = b = 0, through the Colorizer's own output path."""
    return np.asarray(compose(lightness_of(image), np.zeros((2, 1, 1), np.float32)))


def _scores(candidate: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {
        "psnr": float(peak_signal_noise_ratio(truth, candidate, data_range=255)),
        "ssim": float(structural_similarity(truth, candidate, channel_axis=-1, data_range=255)),
        "colorfulness": _colorfulness(candidate),
    }


def evaluate(
    artifact: str | Path,
    data_dir: str | Path | Sequence[Path],
    render_size: int | None = None,
    device: str = "auto",
    limit: int | None = None,
    progress: bool = True,
    sample_grid: str | Path | None = None,
    sample_count: int = 6,
    hints: int = 0,
    propagate: bool = True,
    seed: int = 0,
    backend: str = "auto",
    vibrance: float = VIBRANCE.default,
) -> dict:
    """Mean PSNR/SSIM/colourfulness of the model and the grayscale baseline over a folder (or a list of photos).

    hints: also colorize with this many ground-truth hints per photo; propagate: let
    the Colorizer spread hints along the lightness edges (False: the network alone);
    backend: what runs the network (auto, onnx, torch); vibrance: the chroma scale every
    colorization gets (the product's option, 1 = the network's own colours).
    """
    colorizer = Colorizer.load(
        artifact, device=device, backend=backend, propagation=DEFAULT_PROPAGATION if propagate else None
    )
    if hints and not colorizer.supports_hints:
        raise SystemExit(f"{artifact}: this model does not take colour hints (--hints needs a hint-capable model)")
    size = render_size or colorizer.render_size
    if isinstance(data_dir, str | Path):
        files = list_images(data_dir)
    else:
        files, data_dir = list(data_dir), f"{len(data_dir)} photos"
    files = files[:limit] if limit else files
    totals: dict[str, dict[str, float]] = {"model": {}, "grayscale": {}, "truth": {"colorfulness": 0.0}}
    if hints:
        totals["hinted"] = {}
    count = 0
    samples: list[tuple[np.ndarray, ...]] = []
    for path in tqdm(files, desc="evaluate", unit="img", disable=not progress):
        try:
            with Image.open(path) as opened:
                image = orient(opened).convert("RGB")
        except (OSError, ValueError, SyntaxError):
            continue
        truth = np.asarray(image)
        predicted = np.asarray(colorizer.colorize(image, render_size=render_size, vibrance=vibrance).convert("RGB"))
        baseline = _grayscale_baseline(image)
        candidates = [("model", predicted), ("grayscale", baseline)]
        if hints:
            rng = np.random.default_rng([seed, count])
            given = hints_from_truth(truth, hints, rng, size)
            hinted = np.asarray(
                colorizer.colorize(image, render_size=render_size, hints=given, vibrance=vibrance).convert("RGB")
            )
            candidates.append(("hinted", hinted))
        if len(samples) < sample_count:
            samples.append((baseline, predicted, hinted, truth) if hints else (baseline, predicted, truth))
        for name, candidate in candidates:
            for metric, value in _scores(candidate, truth).items():
                totals[name][metric] = totals[name].get(metric, 0.0) + value
        totals["truth"]["colorfulness"] += _colorfulness(truth)
        count += 1
    if count == 0:
        raise SystemExit(f"no readable images under {data_dir}")
    if sample_grid and samples:
        title = f"{colorizer.name} {colorizer.version}" + (
            f": grayscale | automatic | {hints} hints | truth" if hints else ""
        )
        _save_grid(samples, Path(sample_grid), title)
    means = {name: {metric: value / count for metric, value in values.items()} for name, values in totals.items()}
    result = {
        "artifact": str(artifact),
        "model": {"name": colorizer.name, "version": colorizer.version},
        "backend": colorizer.backend_name,
        "data_dir": str(data_dir),
        "images": count,
        "render_size": size,
        "vibrance": vibrance,
        "model_metrics": means["model"],
        "grayscale_baseline": means["grayscale"],
        "ground_truth": means["truth"],
        "gain_over_baseline": {
            "psnr_db": means["model"]["psnr"] - means["grayscale"]["psnr"],
            "ssim": means["model"]["ssim"] - means["grayscale"]["ssim"],
        },
        "colorfulness_ratio_to_truth": means["model"]["colorfulness"] / max(means["truth"]["colorfulness"], 1e-9),
    }
    if hints:
        result["hints"] = {
            "count": hints,
            "propagation": propagate,
            "seed": seed,
            "metrics": means["hinted"],
            "psnr_gain_over_automatic_db": means["hinted"]["psnr"] - means["model"]["psnr"],
        }
    return result


def _save_grid(samples: list[tuple[np.ndarray, ...]], path: Path, title: str) -> None:
    from training.plots import save_image_grid

    def stack(column: int) -> torch.Tensor:
        # Photos differ in size: centre-crop them to the smallest common square for the grid.
        side = min(min(s[column].shape[:2]) for s in samples)
        crops = []
        for sample in samples:
            array = sample[column]
            top, left = (array.shape[0] - side) // 2, (array.shape[1] - side) // 2
            crops.append(torch.from_numpy(np.array(array[top : top + side, left : left + side])).permute(2, 0, 1))
        return torch.stack(crops).float() / 255.0

    path.parent.mkdir(parents=True, exist_ok=True)
    save_image_grid([stack(column) for column in range(len(samples[0]))], path, title=title)


def record_in_artifact(artifact: str | Path, name: str, result: dict) -> None:
    """Store an evaluation's summary in the artifact's metadata, metrics[name] (the weights are unchanged)."""
    generator, metadata = load_artifact(artifact)
    metadata.metrics[name] = {
        "data_dir": result["data_dir"],
        "images": result["images"],
        "render_size": result["render_size"],
        "model": result["model_metrics"],
        "grayscale_baseline": result["grayscale_baseline"],
        "ground_truth_colorfulness": result["ground_truth"]["colorfulness"],
        "psnr_gain_db": result["gain_over_baseline"]["psnr_db"],
        "colorfulness_ratio_to_truth": result["colorfulness_ratio_to_truth"],
    }
    if "hints" in result:
        metadata.metrics[name]["hints"] = result["hints"]
    save_artifact(artifact, generator, metadata, half_precision=_is_half_precision(artifact))


def _is_half_precision(artifact: str | Path) -> bool:
    """Keep the file's precision: float16 -> float32 -> float16 round-trips exactly."""
    from safetensors import safe_open

    with safe_open(str(artifact), framework="pt") as handle:
        return handle.get_slice("head.weight").get_dtype() == "F16"


def format_table(result: dict) -> str:
    model, gray, truth = result["model_metrics"], result["grayscale_baseline"], result["ground_truth"]
    gain = result["gain_over_baseline"]
    lines = [
        (
            f"{result['model']['name']} {result['model']['version']} on {result['data_dir']} "
            f"({result['images']} images, render size {result['render_size']}"
            f"{'' if result.get('vibrance', VIBRANCE.default) == VIBRANCE.default else ', vibrance ' + str(result['vibrance'])})"
        ),
        f"{'':<22}{'PSNR (dB)':>10}{'SSIM':>9}{'colourfulness':>15}",
        f"{'model':<22}{model['psnr']:>10.2f}{model['ssim']:>9.4f}{model['colorfulness']:>15.1f}",
        f"{'grayscale baseline':<22}{gray['psnr']:>10.2f}{gray['ssim']:>9.4f}{gray['colorfulness']:>15.1f}",
        f"{'ground truth':<22}{'-':>10}{'-':>9}{truth['colorfulness']:>15.1f}",
        (
            f"{'model - baseline':<22}{gain['psnr_db']:>+10.2f}{gain['ssim']:>+9.4f}"
            f"{result['colorfulness_ratio_to_truth']:>14.0%} of truth"
        ),
    ]
    if "hints" in result:
        hinted, count = result["hints"]["metrics"], result["hints"]["count"]
        lines += [
            f"{f'model, {count} hints':<22}{hinted['psnr']:>10.2f}{hinted['ssim']:>9.4f}{hinted['colorfulness']:>15.1f}",
            (
                f"{'hints - automatic':<22}{result['hints']['psnr_gain_over_automatic_db']:>+10.2f}"
                f"{hinted['ssim'] - model['ssim']:>+9.4f}"
                f"{'' if result['hints']['propagation'] else '   (network only, no propagation)'}"
            ),
        ]
    return "\n".join(lines)


def write_json(result: dict, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2) + "\n")
