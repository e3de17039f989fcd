"""Our pre/post-processing vs scikit-image on a 12-megapixel photo, and the Colorizer's peak memory.

What is timed (the image is already decoded: decoding is excluded on both sides):

  ours     model.preprocessing.prepare(image)        orientation + L* at full resolution
           model.preprocessing.compose(L, ab)       ab upsampled bilinearly from the render
                                                    size + Lab -> 8-bit sRGB image
  skimage  skimage.color.rgb2lab(...)[..., 0]       L* (a grey photo through gray2rgb first)
           skimage.transform.resize(ab, order=1)    bilinear upsampling of ab
           skimage.color.lab2rgb + rounding to uint8

ab is the size the generator predicts for a 4000x3000 photo at render size 256
(352x256), taken from the photo itself so the colours are realistic. skimage gets
float32 input (its fastest route: uint8 input is converted to float64); pass
--skimage-float64 for the uint8/float64 route. Both run on the grey and the colour
version of the photo, interleaved, several repeats; the medians are compared.

Peak memory: a fresh subprocess loads the artifact, decodes a 12 MP JPEG and runs the
whole `Colorizer.colorize` on it; its peak RSS (VmHWM, the process's high-water mark,
torch and the model included) is reported.

Run (from the repository root):

    .venv/bin/python benchmarks/bench_pre_post.py [--photo PATH] [--artifact PATH]

The build machine is shared and noisy: read the ratios, not the milliseconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import numpy as np
import torch
from PIL import Image

from benchmarks.harness import write_random_artifact
from model.artifact import default_artifact_path
from model.lab import rgb_to_lab
from model.preprocessing import compose, prepare, render_shape

REQUIRED_SPEEDUP = 4.0
MEMORY_LIMIT_MB = 2048
_BORDER = 8  # pixels where the two upsamplers' edge handling differs
DEFAULT_PHOTO = REPO_ROOT.parent / "shared" / "data" / "colorize" / "bench" / "000000.jpg"


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--photo",
        type=Path,
        default=DEFAULT_PHOTO,
        help="photo upscaled to the benchmark size; a synthetic image when missing (default: %(default)s)",
    )
    parser.add_argument("--width", type=int, default=4000, help="benchmark image width (default: 4000)")
    parser.add_argument("--height", type=int, default=3000, help="benchmark image height (default: 3000)")
    parser.add_argument("--render-size", type=int, default=256, help="render size ab is predicted at (default: 256)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per path and input (default: 3)")
    parser.add_argument(
        "--skimage-float64", action="store_true", help="give skimage uint8 input (float64 inside) instead of float32"
    )
    parser.add_argument(
        "--artifact",
        type=Path,
        default=None,
        help="artifact for the peak-memory run (default: the shipped one, else a random full-size generator)",
    )
    parser.add_argument("--skip-memory", action="store_true", help="do not run the peak-memory subprocess")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a bar is not met")
    parser.add_argument("--peak-memory-child", type=Path, nargs=2, help=argparse.SUPPRESS)  # ARTIFACT IMAGE
    return parser


# --- the benchmark image ----------------------------------------------------------------------


def benchmark_photo(path: Path, width: int, height: int) -> Image.Image:
    """A decoded RGB photo of the benchmark size: `path` upscaled, or a synthetic one."""
    if path.is_file():
        with Image.open(path) as photo:
            return photo.convert("RGB").resize((width, height), Image.Resampling.BICUBIC)
    from tests.conftest import make_photo

    print(f"note: {path} not found, using a synthetic {width}x{height} image")
    return make_photo(width, height)


def predicted_ab(photo: Image.Image, render_size: int) -> torch.Tensor:
    """ab (2, h, w) at the render shape, from the photo itself: what a good generator would predict."""
    height, width = render_shape(photo.height, photo.width, render_size)
    small = np.asarray(photo.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    return rgb_to_lab(torch.from_numpy(small).permute(2, 0, 1))[1:].contiguous()


# --- the two paths ----------------------------------------------------------------------------


def run_ours(image: Image.Image, ab: torch.Tensor) -> tuple[Image.Image, dict[str, float]]:
    start = time.perf_counter()
    prepared = prepare(image)
    prepared_at = time.perf_counter()
    result = compose(prepared.lightness, ab.numpy(), prepared.alpha)
    done = time.perf_counter()
    stages = {"L": prepared_at - start, "upsample + Lab->sRGB": done - prepared_at}
    return result, stages


def run_skimage(image: Image.Image, ab_hwc: np.ndarray, float64: bool) -> tuple[Image.Image, dict[str, float]]:
    from skimage import color, transform
    from skimage.util import img_as_float32

    start = time.perf_counter()
    pixels = np.asarray(image)
    values = pixels if float64 else img_as_float32(pixels)
    rgb_in = color.gray2rgb(values) if values.ndim == 2 else values
    lightness = color.rgb2lab(rgb_in)[..., 0]
    lightness_at = time.perf_counter()
    full_ab = transform.resize(
        ab_hwc, (pixels.shape[0], pixels.shape[1]), order=1, preserve_range=True, anti_aliasing=False
    )
    resized_at = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "negative Z values clipped": expected for saturated ab
        rgb = color.lab2rgb(np.dstack([lightness, full_ab.astype(lightness.dtype)]))
    result = Image.fromarray(np.round(rgb * 255.0).astype(np.uint8))
    done = time.perf_counter()
    stages = {"L": lightness_at - start, "upsample": resized_at - lightness_at, "Lab->sRGB": done - resized_at}
    return result, stages


def compare(inputs: dict[str, Image.Image], ab: torch.Tensor, repeats: int, float64: bool) -> dict:
    """Per input: lists of total seconds and of stage seconds for each path, interleaved."""
    ab_hwc = ab.permute(1, 2, 0).numpy()
    runners = {"ours": lambda image: run_ours(image, ab), "skimage": lambda image: run_skimage(image, ab_hwc, float64)}
    results: dict[str, dict[str, dict[str, Any]]] = {
        kind: {path: {"total": [], "stages": [], "output": None} for path in runners} for kind in inputs
    }
    for repeat in range(repeats):
        for kind, image in inputs.items():
            order = list(runners) if repeat % 2 == 0 else list(runners)[::-1]
            for path in order:
                output, stages = runners[path](image)
                record = results[kind][path]
                record["total"].append(sum(stages.values()))
                record["stages"].append(stages)
                record["output"] = np.asarray(output)
    return results


def report_speed(results: dict, repeats: int, float64: bool) -> dict[str, float]:
    print(
        f"pre/post-processing, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"skimage on {'float64' if float64 else 'float32'}, median of {repeats} interleaved runs"
    )
    speedups = {}
    for kind, paths in results.items():
        for path, record in paths.items():
            stage_names = record["stages"][0].keys()
            stages = ", ".join(
                f"{name} {statistics.median(s[name] for s in record['stages']) * 1e3:.0f}" for name in stage_names
            )
            print(f"  {kind:5s} {path:8s} {statistics.median(record['total']) * 1e3:8.0f} ms   ({stages})")
        ours, reference = paths["ours"], paths["skimage"]
        speedups[kind] = statistics.median(reference["total"]) / statistics.median(ours["total"])
        difference = np.abs(ours["output"].astype(np.int16) - reference["output"].astype(np.int16))
        verdict = "meets" if speedups[kind] >= REQUIRED_SPEEDUP else "BELOW"
        print(f"  {kind:5s} speed-up {speedups[kind]:.1f}x (required >= {REQUIRED_SPEEDUP:.0f}x: {verdict})")
        # At the image border the two bilinear upsamplers differ by design (torch clamps
        # source coordinates, skimage reflects them), so agreement is read inside it.
        inside = difference[_BORDER:-_BORDER, _BORDER:-_BORDER]
        print(
            f"  {kind:5s} outputs agree within {inside.max()} level(s) more than {_BORDER} px from the border "
            f"({np.mean(inside > 1) * 100:.4f}% of values off by more than 1); max {difference.max()} at the border"
        )
    return speedups


# --- peak memory ------------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB."""
    # VmHWM, not ru_maxrss: ru_maxrss survives fork + exec, so a child started by this
    # (large) benchmark process would report the parent's peak.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def peak_memory_child(artifact: Path, image_path: Path) -> None:
    """Runs in the subprocess: load, decode, colorize; print peak RSS as JSON."""
    from model.colorizer import Colorizer

    colorizer = Colorizer.load(artifact, device="cpu")
    loaded = _peak_rss_mb()
    with Image.open(image_path) as image:
        result = colorizer.colorize(image)
    print(
        json.dumps({"after_load_mb": loaded, "peak_mb": _peak_rss_mb(), "size": list(result.size), "mode": result.mode})
    )


def measure_peak_memory(inputs: dict[str, Image.Image], artifact: Path | None, render_size: int) -> dict[str, float]:
    peaks = {}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        if artifact is None:
            shipped = default_artifact_path()
            if shipped.is_file():
                artifact = shipped
            else:
                artifact = write_random_artifact(scratch / "random.safetensors", render_size=render_size)
        print(f"peak memory of Colorizer.colorize on a decoded 12 MP JPEG, fresh process, artifact {artifact.name}:")
        for kind, image in inputs.items():
            image_path = scratch / f"{kind}.jpg"
            image.save(image_path, quality=95)
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--peak-memory-child",
                str(artifact),
                str(image_path),
            ]
            completed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO_ROOT)
            measured = json.loads(completed.stdout.strip().splitlines()[-1])
            peaks[kind] = measured["peak_mb"]
            verdict = "meets" if measured["peak_mb"] < MEMORY_LIMIT_MB else "OVER"
            print(
                f"  {kind:5s} peak RSS {measured['peak_mb']:6.0f} MB (after loading torch + model "
                f"{measured['after_load_mb']:.0f} MB; limit {MEMORY_LIMIT_MB} MB: {verdict}), "
                f"output {measured['size'][0]}x{measured['size'][1]} {measured['mode']}"
            )
    return peaks


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    if args.peak_memory_child:
        peak_memory_child(*args.peak_memory_child)
        return 0
    photo = benchmark_photo(args.photo, args.width, args.height)
    inputs = {"gray": photo.convert("L"), "rgb": photo}
    ab = predicted_ab(photo, args.render_size)
    print(f"image {photo.width}x{photo.height} ({photo.width * photo.height / 1e6:.1f} MP), ab {tuple(ab.shape)}")
    results = compare(inputs, ab, args.repeats, args.skimage_float64)
    speedups = report_speed(results, args.repeats, args.skimage_float64)
    passed = all(value >= REQUIRED_SPEEDUP for value in speedups.values())
    if not args.skip_memory:
        peaks = measure_peak_memory(inputs, args.artifact, args.render_size)
        passed = passed and all(value < MEMORY_LIMIT_MB for value in peaks.values())
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
