"""A gallery of photos the models never saw, for the model card: real black-and-white
photographs, and colour photos shown in grayscale beside their truth.

The photos are the ones that scikit-image and matplotlib ship inside their wheels
(nothing is downloaded): `camera` (a 1978 photograph), `coins`, `moon` and `page` are
black-and-white originals; `astronaut`, `chelsea`, `coffee`, `rocket`, `motorcycle_left`
and matplotlib's portrait of Grace Hopper are colour photos, colorized from their
lightness alone. Each model named gets a column, so an old and a new model can be
compared on the same photos:

    python -m training.gallery --artifact .bench/colorizer-1.1.0.safetensors model/weights/colorizer-default.safetensors \\
        --label 1.1.0 2.0.0 --out docs/model_card/gallery.jpg
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from model.colorizer import Colorizer

# (name, file inside its package, black-and-white original?)
_SKIMAGE_PHOTOS = (
    ("camera (1978, b/w)", "camera.png", True),
    ("coins (b/w)", "coins.png", True),
    ("moon (b/w)", "moon.png", True),
    ("astronaut", "astronaut.png", False),
    ("chelsea", "chelsea.png", False),
    ("coffee", "coffee.png", False),
    ("rocket", "rocket.jpg", False),
    ("motorcycle", "motorcycle_left.png", False),
)


def gallery_photos(extra: tuple[Path, ...] = ()) -> list[tuple[str, Image.Image, bool]]:
    """(label, photo, is a black-and-white original) for every photo the gallery shows: the
    packages' photos, then `extra` colour photos (e.g. portraits: skin is where models go grey)."""
    import skimage

    data = Path(skimage.__file__).parent / "data"
    photos = []
    for label, name, is_bw in _SKIMAGE_PHOTOS:
        with Image.open(data / name) as image:
            photos.append((label, image.convert("L" if is_bw else "RGB"), is_bw))
    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    with Image.open(hopper) as image:
        photos.append(("Grace Hopper", image.convert("RGB"), False))
    for path in extra:
        with Image.open(path) as image:
            photos.append((path.stem, image.convert("RGB"), False))
    return photos


def build_gallery(
    artifacts: list[str],
    labels: list[str],
    out: Path,
    render_size: int | None = None,
    extra: tuple[Path, ...] = (),
) -> Path:
    """One row per photo: the input (grayscale), each model's colours, and the truth where there is one."""
    colorizers = [Colorizer.load(path) for path in artifacts]
    photos = gallery_photos(extra)
    columns = ["input", *labels, "truth"]
    figure, axes = plt.subplots(
        len(photos), len(columns), figsize=(2.4 * len(columns), 2.2 * len(photos)), dpi=100, squeeze=False
    )
    for row, (name, photo, is_bw) in enumerate(photos):
        gray = photo.convert("L").convert("RGB")
        cells: list[Image.Image | None] = [gray]
        cells += [colorizer.colorize(photo, render_size=render_size) for colorizer in colorizers]
        cells.append(None if is_bw else photo)
        for column, cell in enumerate(cells):
            axis = axes[row][column]
            axis.set_xticks([])
            axis.set_yticks([])
            if cell is None:
                axis.axis("off")
                axis.text(0.5, 0.5, "black-and-white\noriginal", ha="center", va="center", fontsize=8)
            else:
                axis.imshow(np.asarray(cell))
            if row == 0:
                axis.set_title(columns[column], fontsize=9)
            if column == 0:
                axis.set_ylabel(name, fontsize=8)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, pil_kwargs={"quality": 85} if out.suffix.lower() in (".jpg", ".jpeg") else {})
    plt.close(figure)
    return out


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training.gallery", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--artifact", nargs="+", required=True, help="one or more artifacts, one column each")
    parser.add_argument("--label", nargs="+", default=None, help="column titles (default: the artifacts' versions)")
    parser.add_argument("--render-size", type=int, default=None, help="render size (default: each artifact's)")
    parser.add_argument("--out", type=Path, required=True, help="the picture to write (.jpg or .png)")
    parser.add_argument(
        "--photo", type=Path, action="append", default=[], help="a further colour photo as a row (repeatable)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    labels = args.label or [Colorizer.load(path).metadata.version for path in args.artifact]
    if len(labels) != len(args.artifact):
        raise SystemExit("--label needs one title per --artifact")
    print(build_gallery(args.artifact, labels, args.out, args.render_size, tuple(args.photo)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
