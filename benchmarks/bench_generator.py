"""Our generator vs the report's generator: CPU forward at 256x256, side by side in one run.

The reference is fastai's `DynamicUnet` on a ResNet18 body with one input channel
(L) and two outputs (ab), built the way `unet_learner(dls, resnet18, n_in=1,
n_out=2, pretrained=False)` builds it: `create_unet_model` -> `create_body`
(resnet18 cut before its pooling head, first conv rebuilt for 1 channel) ->
`DynamicUnet(body, 2, (256, 256))`. No weights are downloaded: timing does not
depend on the weights' values.

fastai is not a product dependency. Install it for this benchmark only, into a
folder of its own and without dependencies, so pip cannot replace the venv's torch:

    .venv/bin/pip install --no-deps --target .bench/fastai -r benchmarks/requirements-fastai.txt

Run (from the repository root):

    .venv/bin/python benchmarks/bench_generator.py

Both networks run in eval mode under torch.inference_mode, on the same input, in
alternating order (ours first, then theirs first, ...); the medians are compared.
This runs once at 1 torch thread (how the service runs: one worker process per
core) and once at torch's default thread count. The build machine is shared and
noisy: read the ratio, not the milliseconds. With other load on the machine, the
multi-threaded medians suffer most (every op waits for a descheduled thread); the
ratio of minimums is printed as the noise-robust cross-check.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import torch
from torch import nn

from model.generator import GeneratorConfig, UNetGenerator

REQUIRED_SPEEDUP = 2.5
FASTAI_INSTALL = "pip install --no-deps --target .bench/fastai -r benchmarks/requirements-fastai.txt"


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256, help="input height and width (default: 256)")
    parser.add_argument("--batch-size", type=int, default=1, help="images per forward (default: 1)")
    parser.add_argument("--repeats", type=int, default=15, help="timed forwards per network (default: 15)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed forwards per network first (default: 3)")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[1, torch.get_num_threads()],
        help="torch thread counts to compare at, one comparison each (default: 1 as the service runs with "
        "one worker per core, then torch's own choice: %(default)s)",
    )
    parser.add_argument(
        "--fastai-dir",
        type=Path,
        default=REPO_ROOT / ".bench" / "fastai",
        help="folder fastai was installed into with pip --target (default: .bench/fastai)",
    )
    parser.add_argument(
        "--strict", action="store_true", help=f"exit with status 1 when the speed-up is below {REQUIRED_SPEEDUP}x"
    )
    return parser


def build_fastai_reference(size: int, fastai_dir: Path) -> nn.Module:
    """fastai's DynamicUnet on a 1-channel ResNet18 body with 2 outputs, random weights."""
    if fastai_dir.is_dir():
        # Appended, not prepended: torch and the rest of the venv always win over the folder.
        sys.path.append(str(fastai_dir))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fastai's imports warn about deprecated torch.jit APIs
            from fastai.vision.learner import create_unet_model  # type: ignore[import-not-found]  # optional: the comparison only
    except ImportError as error:
        raise SystemExit(
            f"fastai is not importable ({error}).\nInstall it for this benchmark only: .venv/bin/{FASTAI_INSTALL}"
        ) from error
    from torchvision.models import resnet18

    return create_unet_model(resnet18, n_out=2, img_size=(size, size), pretrained=False, n_in=1)


def parameter_count(module: nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


def time_forward(network: nn.Module, batch: torch.Tensor) -> float:
    start = time.perf_counter()
    network(batch)
    return time.perf_counter() - start


def compare(networks: dict[str, nn.Module], batch: torch.Tensor, repeats: int, warmup: int) -> dict[str, list[float]]:
    """Seconds per forward for each network, measured in alternating order."""
    names = list(networks)
    timings: dict[str, list[float]] = {name: [] for name in names}
    with torch.inference_mode():
        for _ in range(warmup):
            for name in names:
                networks[name](batch)
        for repeat in range(repeats):
            order = names if repeat % 2 == 0 else names[::-1]
            for name in order:
                timings[name].append(time_forward(networks[name], batch))
    return timings


def report(networks: dict[str, nn.Module], timings: dict[str, list[float]]) -> float:
    print(f"  {'generator':24s} {'parameters':>12s} {'median ms':>10s} {'min ms':>8s}")
    for name, network in networks.items():
        seconds = timings[name]
        print(
            f"  {name:24s} {parameter_count(network):12,d} "
            f"{statistics.median(seconds) * 1e3:10.1f} {min(seconds) * 1e3:8.1f}"
        )
    ours, reference = (timings[name] for name in networks)
    speedup = statistics.median(reference) / statistics.median(ours)
    paired = statistics.median(r / o for o, r in zip(ours, reference, strict=False))
    verdict = "meets" if speedup >= REQUIRED_SPEEDUP else "BELOW"
    print(
        f"  speed-up (median fastai / median ours): {speedup:.2f}x, required >= {REQUIRED_SPEEDUP}x: {verdict}  "
        f"[median of paired ratios {paired:.2f}x, ratio of minimums {min(reference) / min(ours):.2f}x]"
    )
    return speedup


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    torch.manual_seed(0)
    networks = {
        "ours (UNetGenerator)": UNetGenerator(GeneratorConfig()).eval(),
        "fastai DynamicUnet": build_fastai_reference(args.size, args.fastai_dir).eval(),
    }
    batch = torch.randn(args.batch_size, 1, args.size, args.size)
    with torch.inference_mode():
        for name, network in networks.items():
            shape = tuple(network(batch).shape)
            if shape != (args.batch_size, 2, args.size, args.size):
                raise SystemExit(f"{name} returned {shape}, expected ab at the input size")

    print(
        f"CPU forward, batch {args.batch_size} x 1 x {args.size} x {args.size}, torch {torch.__version__}, "
        f"eval + inference_mode, {args.repeats} interleaved repeats"
    )
    speedups = []
    for threads in dict.fromkeys(args.threads):  # in order, without repeats
        torch.set_num_threads(threads)
        print(f"{threads} thread{'s' if threads > 1 else ''}:")
        speedups.append(report(networks, compare(networks, batch, args.repeats, args.warmup)))
    return 1 if args.strict and min(speedups) < REQUIRED_SPEEDUP else 0


if __name__ == "__main__":
    sys.exit(main())
