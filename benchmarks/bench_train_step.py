"""Training-step throughput of the v2 recipe against its arithmetic floor and v1.

The step timed is the trainer's own (`training.steps.train_step`) with the v2 data
path: batches gathered from photos held on the device as uint8 and cropped and
flipped there (`training.device_data`), simulated colour hints, the EMA update in
phase 2, metric sums kept on the device (one reduction at the end). Phase 1 is the
L1 step, phase 2 a D update plus a G update.

For each phase it prints images/s for each variant (eager; torch.compile; compile
with CUDA graphs), the step's FLOPs per image (counted with FlopCounterMode), the
"floor" those FLOPs allow at the device's measured matrix-product rate (bf16 on
CUDA, fp32 on the CPU) and at a third of it, and v1's 1,150 / 900 img/s (H100,
256 px, data loading included). On a GPU (the defaults: 256 px, batch 64):

    python benchmarks/bench_train_step.py

On the CPU it runs the same code at a tiny size (64 px, batch 4, 2 steps); the
numbers only show that it works.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import torch

from training.throughput import (
    V1_IMAGES_PER_S,
    host_sync_in_step,
    matmul_rate,
    random_photos,
    step_flops,
    step_throughput,
    v2_nets,
)

VARIANTS = {"eager": None, "compile": "default", "compile+cudagraphs": "reduce-overhead"}


def get_args_parser() -> argparse.ArgumentParser:
    cuda = torch.cuda.is_available()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--image-size", type=int, default=256 if cuda else 64, help="crop side (default: 256 on CUDA, 64 on the CPU)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=64 if cuda else 4, help="images per step (default: 64 on CUDA, 4 on the CPU)"
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=50 if cuda else 2,
        help="timed steps per measurement (default: 50 on CUDA, 2 on the CPU)",
    )
    parser.add_argument(
        "--warmup", type=int, default=10 if cuda else 1, help="untimed steps first (compilation happens here)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3 if cuda else 1, help="measurements per variant and phase; the median is shown"
    )
    parser.add_argument("--photos", type=int, default=2048 if cuda else 16, help="random photos held on the device")
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=list(VARIANTS) if cuda else ["eager"],
        help="what to time (default: all on CUDA, eager on the CPU)",
    )
    parser.add_argument("--ema-decay", type=float, default=0.999, help="EMA of G in phase 2 (0: off)")
    parser.add_argument("--device", default="cuda" if cuda else "cpu")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    device = torch.device(args.device)
    dtype = torch.bfloat16 if device.type == "cuda" else None
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        print(f"torch {torch.__version__}, {torch.cuda.get_device_name(device)}")
    else:
        print(f"torch {torch.__version__}, CPU, {torch.get_num_threads()} threads")
    photos = random_photos(args.photos, args.image_size, device)
    counted = v2_nets(device, dtype)
    flops = {phase: step_flops(counted, args.image_size, phase) for phase in (1, 2)}
    del counted
    rate = matmul_rate(device, dtype or torch.float32, 8192 if device.type == "cuda" else 512)
    rates: dict[str, dict[int, float]] = {}
    for variant in args.variants:
        torch.manual_seed(0)
        mode = VARIANTS[variant]
        nets = v2_nets(
            device, dtype, compile=mode is not None, compile_mode=mode or "default", ema_decay=args.ema_decay
        )
        rates[variant] = {}
        for phase in (1, 2):
            started = time.perf_counter()
            measured = [
                step_throughput(
                    nets, args.image_size, args.batch_size, phase, args.steps, args.warmup if r == 0 else 2, photos
                )
                for r in range(args.rounds)
            ]
            rates[variant][phase] = statistics.median(measured)
            if variant == "eager" and device.type == "cuda":
                sync = host_sync_in_step(nets, photos, args.batch_size, phase)
                print(
                    f"  eager phase {phase}: {'no host synchronisation in the step' if sync is None else 'HOST SYNC: ' + sync}"
                )
            print(
                f"  {variant} phase {phase}: {' '.join(f'{m:.0f}' for m in measured)} img/s "
                f"({time.perf_counter() - started:.0f} s, warm-up and compilation included)",
                flush=True,
            )
        del nets
        if device.type == "cuda":
            torch.cuda.empty_cache()

    precision = "bf16 autocast, channels_last" if dtype else "fp32"
    print(
        f"\n{device.type.upper()} at {args.image_size}x{args.image_size}, batch {args.batch_size}, {precision}, "
        f"hints, EMA {args.ema_decay}; matrix products measured at {rate / 1e9:,.0f} GFLOP/s ({'bf16' if dtype else 'fp32'})"
    )
    print(f"  {'':22s} {'GFLOP/img':>10s} {'floor img/s':>12s} {'1/3 floor':>10s} {'v1 img/s':>9s}")
    for phase in (1, 2):
        floor = rate / flops[phase]
        print(
            f"  {'phase ' + str(phase):22s} {flops[phase] / 1e9:10.1f} {floor:12.0f} {floor / 3:10.0f} {V1_IMAGES_PER_S[phase]:9.0f}"
        )
    print(
        f"  {'variant':22s} {'phase 1 img/s':>14s} {'x v1':>6s} {'% floor':>8s} {'phase 2 img/s':>14s} {'x v1':>6s} {'% floor':>8s}"
    )
    for variant, variant_rates in rates.items():
        cells = []
        for phase in (1, 2):
            cells.append(
                f"{variant_rates[phase]:14.0f} {variant_rates[phase] / V1_IMAGES_PER_S[phase]:6.2f} "
                f"{100 * variant_rates[phase] * flops[phase] / rate:7.0f}%"
            )
        print(f"  {variant:22s} {' '.join(cells)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
