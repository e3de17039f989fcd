"""Skin, measured: the colour error and the chroma inside face boxes, beside the truth's.

    python -m training.face_boxes --data-dir DATA/val DATA/bench --artifact a.safetensors b.safetensors

Whole-photo PSNR hides what people look at first. Faces are found on the ground truth's
lightness with OpenCV's frontal-face Haar cascade (shipped in OpenCV 4.x's `cv2.data`; the
train extra pins it), so the split is every photo with at least one face. Inside each box,
for each model: the mean a*b* error against the truth (Lab units) and the mean chroma
(sqrt(a*^2 + b*^2)) beside the truth's. Grey skin shows as chroma far below the truth's,
orange skin as chroma above it with a large error.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from model.colorizer import Colorizer
from model.lab_numpy import srgb8_to_lab
from model.preprocessing import orient
from training.data import list_images

# A face must be at least this share of the photo's short side (smaller ones are mostly false hits).
MIN_FACE_SHARE = 0.06
# Haar parameters: a 10% scale step, and 6 overlapping hits before a box counts (fewer false faces).
SCALE_FACTOR = 1.1
MIN_NEIGHBOURS = 6


@dataclass(frozen=True)
class FaceBox:
    left: int
    top: int
    width: int
    height: int


def face_detector() -> Any:  # cv2's classifier type
    """OpenCV's frontal-face cascade (needs opencv-python-headless 4.x: OpenCV 5 moved the cascades out)."""
    import cv2

    if not hasattr(cv2, "CascadeClassifier"):
        raise SystemExit(f"OpenCV {cv2.__version__} has no Haar cascades: install the train extra (OpenCV 4.x)")
    cascades = Path(cv2.data.haarcascades)  # type: ignore[attr-defined]  # not in OpenCV's stubs
    detector = cv2.CascadeClassifier(str(cascades / "haarcascade_frontalface_default.xml"))
    if detector.empty():
        raise SystemExit("OpenCV's frontal-face cascade could not be loaded")
    return detector


def find_faces(detector: Any, rgb: np.ndarray) -> list[FaceBox]:
    """Face boxes in an 8-bit RGB photo, largest first."""
    gray = np.ascontiguousarray(np.asarray(Image.fromarray(rgb).convert("L")))
    smallest = max(24, int(MIN_FACE_SHARE * min(gray.shape)))
    found = detector.detectMultiScale(
        gray, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBOURS, minSize=(smallest, smallest)
    )
    boxes = [FaceBox(int(x), int(y), int(w), int(h)) for x, y, w, h in found]
    return sorted(boxes, key=lambda box: -box.width * box.height)


def box_scores(predicted: np.ndarray, truth: np.ndarray, box: FaceBox) -> dict[str, float]:
    """Mean a*b* error and the chroma of prediction and truth inside one box (8-bit RGB arrays)."""
    window = (slice(box.top, box.top + box.height), slice(box.left, box.left + box.width))
    ab_predicted = srgb8_to_lab(np.ascontiguousarray(predicted[window]))[..., 1:]
    ab_truth = srgb8_to_lab(np.ascontiguousarray(truth[window]))[..., 1:]
    return {
        "ab_error": float(np.linalg.norm(ab_predicted - ab_truth, axis=-1).mean()),
        "chroma": float(np.linalg.norm(ab_predicted, axis=-1).mean()),
        "chroma_truth": float(np.linalg.norm(ab_truth, axis=-1).mean()),
    }


def face_split(folders: list[str], progress: bool = True) -> list[tuple[Path, list[FaceBox]]]:
    """Every photo under the folders with at least one face, with its boxes."""
    detector = face_detector()
    split = []
    files = [path for folder in folders for path in list_images(folder)]
    for path in tqdm(files, desc="finding faces", unit="img", disable=not progress):
        with Image.open(path) as opened:
            rgb = np.asarray(orient(opened).convert("RGB"))
        boxes = find_faces(detector, rgb)
        if boxes:
            split.append((path, boxes))
    return split


def score_models(split: list[tuple[Path, list[FaceBox]]], artifacts: list[str], progress: bool = True) -> dict:
    """Per model: the box-averaged a*b* error, chroma, and the truth's chroma."""
    results: dict[str, dict] = {}
    for artifact in artifacts:
        colorizer = Colorizer.load(artifact)
        totals = {"ab_error": 0.0, "chroma": 0.0, "chroma_truth": 0.0}
        boxes = 0
        for path, faces in tqdm(split, desc=Path(artifact).name, unit="img", disable=not progress):
            with Image.open(path) as opened:
                image = orient(opened).convert("RGB")
            truth = np.asarray(image)
            predicted = np.asarray(colorizer.colorize(image).convert("RGB"))
            for box in faces:
                for key, value in box_scores(predicted, truth, box).items():
                    totals[key] += value
                boxes += 1
        means = {key: value / max(boxes, 1) for key, value in totals.items()}
        means["chroma_gap"] = means["chroma"] - means["chroma_truth"]
        results[artifact] = {"model": f"{colorizer.name} {colorizer.version}", "boxes": boxes, **means}
    return results


def format_table(results: dict, photos: int) -> str:
    lines = [
        f"face boxes in {photos} photos",
        "| model | boxes | a*b* error | chroma | truth's chroma | gap |",
        "|---|---|---|---|---|---|",
    ]
    for row in results.values():
        lines.append(
            f"| {row['model']} | {row['boxes']} | {row['ab_error']:.2f} | {row['chroma']:.2f} "
            f"| {row['chroma_truth']:.2f} | {row['chroma_gap']:+.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.face_boxes", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", nargs="+", required=True, help="folders of colour photos (ground truth)")
    parser.add_argument("--artifact", nargs="+", required=True, help="models to score (.safetensors or .onnx)")
    parser.add_argument("--json", type=Path, help="also write the split and the scores as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    split = face_split(args.data_dir, progress=not args.no_progress)
    if not split:
        raise SystemExit("no faces found under " + ", ".join(args.data_dir))
    results = score_models(split, args.artifact, progress=not args.no_progress)
    print(format_table(results, len(split)))
    if args.json:
        faces = {str(path): [box.__dict__ for box in boxes] for path, boxes in split}
        args.json.write_text(json.dumps({"faces": faces, "scores": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
