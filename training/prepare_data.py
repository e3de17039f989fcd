"""Make a compact training copy of a photo folder: short side resized, optional centre crop, WebP.

Smaller files decode faster and travel to a training machine more cheaply; the
training CLI reads the copy like any other folder.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from training.data import center_crop_box, check_image, list_images


def _convert(source: Path, target: Path, size: int, crop: bool, quality: int) -> str | None:
    reason = check_image(source, min_side=1)
    if reason is not None:
        return reason
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    width, height = image.size
    scale = size / min(width, height)
    if crop:
        image = image.resize((size, size), Image.Resampling.LANCZOS, box=center_crop_box(width, height))
    elif scale < 1:
        image = image.resize((round(width * scale), round(height * scale)), Image.Resampling.LANCZOS)
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, format="WEBP", quality=quality, method=6)
    return None


def prepare_folder(
    data_dir: str | Path,
    out_dir: str | Path,
    size: int = 256,
    crop: bool = True,
    quality: int = 65,
    limit: int | None = None,
    workers: int = 4,
) -> dict:
    """Convert every usable image under data_dir; returns counts of written and skipped files."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    files = list_images(data_dir)[:limit] if limit else list_images(data_dir)
    targets = [out_dir / path.relative_to(data_dir).with_suffix(".webp") for path in files]
    counts: dict[str, int] = {"written": 0}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = pool.map(lambda pair: _convert(pair[0], pair[1], size, crop, quality), zip(files, targets, strict=False))
        for reason in tqdm(jobs, total=len(files), unit="img", desc="prepare"):
            key = "written" if reason is None else f"skipped {reason}"
            counts[key] = counts.get(key, 0) + 1
    return counts
