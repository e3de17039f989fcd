"""Training throughput: our G + PatchGAN vs the report's G (fastai DynamicUnet, ResNet18) + the same PatchGAN.

One step is exactly what `training.steps.train_step` does in the adversarial phase:
a D update on real vs G(L).detach(), then a G update on BCE + lambda x L1, at
batch 16. Both setups run in the same process, in alternating rounds, on the
same device; images/s are compared by median. On the CPU at 128 px; where a CUDA
GPU is available, also at 256 px with the trainer's settings (bf16 autocast,
channels_last).

fastai is a benchmark-only dependency (see benchmarks/README.md):

    .venv/bin/pip install --no-deps --target .bench/fastai -r benchmarks/requirements-fastai.txt
    .venv/bin/python benchmarks/bench_training.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import torch

from benchmarks.bench_generator import build_fastai_reference
from model.generator import UNetGenerator
from training.discriminator import PatchDiscriminator
from training.throughput import make_nets, step_throughput

REQUIRED_SPEEDUP = 2.5


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=16, help="images per step (default: 16)")
    parser.add_argument("--cpu-size", type=int, default=128, help="image side on the CPU (default: 128)")
    parser.add_argument("--gpu-size", type=int, default=256, help="image side on CUDA (default: 256)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating measurement rounds (default: 3)")
    parser.add_argument("--steps", type=int, default=2, help="timed steps per round on the CPU (default: 2)")
    parser.add_argument("--gpu-steps", type=int, default=20, help="timed steps per round on CUDA (default: 20)")
    parser.add_argument(
        "--fastai-dir",
        type=Path,
        default=REPO_ROOT / ".bench" / "fastai",
        help="folder fastai was installed into (default: .bench/fastai)",
    )
    parser.add_argument("--cpu-only", action="store_true", help="skip the CUDA comparison even when a GPU is present")
    return parser


def compare(device: torch.device, size: int, args, steps: int) -> float:
    dtype = torch.bfloat16 if device.type == "cuda" else None
    torch.manual_seed(0)
    setups = {
        "ours (ResNet18 U-Net)": make_nets(UNetGenerator(), PatchDiscriminator(), device, dtype),
        "report (fastai DynamicUnet)": make_nets(
            build_fastai_reference(size, args.fastai_dir), PatchDiscriminator(), device, dtype
        ),
    }
    rates: dict[str, list[float]] = {name: [] for name in setups}
    names = list(setups)
    for round_index in range(args.rounds):
        for name in names if round_index % 2 == 0 else names[::-1]:
            warmup = 2 if round_index == 0 else 1
            rates[name].append(
                step_throughput(setups[name], size, args.batch_size, phase=2, steps=steps, warmup=warmup)
            )
    print(
        f"\n{device.type.upper()} at {size}x{size}, batch {args.batch_size}, "
        f"{'bf16 autocast, channels_last' if dtype else 'fp32'}, one step = D update + G update"
    )
    print(f"  {'setup':30s} {'G params':>12s} {'median img/s':>13s} {'all rounds':>24s}")
    for name, nets in setups.items():
        params = sum(p.numel() for p in nets.generator.parameters())
        all_rounds = " ".join(f"{r:.1f}" for r in rates[name])
        print(f"  {name:30s} {params:12,d} {statistics.median(rates[name]):13.1f} {all_rounds:>24s}")
    speedup = statistics.median(rates[names[0]]) / statistics.median(rates[names[1]])
    verdict = "meets" if speedup >= REQUIRED_SPEEDUP else "BELOW"
    print(f"  speed-up: {speedup:.2f}x ({verdict} the {REQUIRED_SPEEDUP}x bar)")
    return speedup


def main() -> int:
    args = get_args_parser().parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    compare(torch.device("cpu"), args.cpu_size, args, args.steps)
    if torch.cuda.is_available() and not args.cpu_only:
        torch.backends.cudnn.benchmark = True
        compare(torch.device("cuda"), args.gpu_size, args, args.gpu_steps)
    else:
        print("\nno CUDA device here: GPU comparison skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
