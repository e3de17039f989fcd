"""Print how many L1 and GAN epochs fit a wall-clock budget on this machine.

    python -m training.recipes.plan_epochs --train-images 6025 --budget-s 420

Measures our G+D step throughput at the given size and batch (synthetic data),
then prints "L1_EPOCHS GAN_EPOCHS" (equal phases, capped by --max-epochs).
"""

from __future__ import annotations

import argparse
import sys

import torch

from model.torch_backend import resolve_device
from training.throughput import our_nets, plan_epochs, step_throughput


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--train-images", type=int, required=True, help="images per epoch")
    parser.add_argument("--budget-s", type=float, required=True, help="seconds available for training")
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epoch-overhead-s", type=float, default=3.0, help="validation, plots, checkpoints per epoch")
    parser.add_argument("--efficiency", type=float, default=0.8, help="share of synthetic throughput real data reaches")
    parser.add_argument("--max-epochs", type=int, default=40, help="cap per phase")
    args = parser.parse_args()
    device = resolve_device("auto")
    dtype = torch.bfloat16 if device.type == "cuda" else None
    torch.backends.cudnn.benchmark = True
    nets = our_nets(device, dtype)
    rates = {
        phase: step_throughput(nets, args.image_size, args.batch_size, phase=phase) * args.efficiency
        for phase in (1, 2)
    }
    l1_epochs, gan_epochs = plan_epochs(
        rates, args.train_images, args.budget_s, args.epoch_overhead_s, max_epochs=args.max_epochs
    )
    print(
        f"throughput phase1 {rates[1]:.0f} img/s, phase2 {rates[2]:.0f} img/s (x{args.efficiency} efficiency) "
        f"-> {l1_epochs}+{gan_epochs} epochs",
        file=sys.stderr,
    )
    print(l1_epochs, gan_epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
