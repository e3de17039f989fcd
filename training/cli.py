"""`python -m training` command line: train, export, evaluate, prepare-data, average."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import MISSING, Field, fields
from typing import Any, get_args, get_origin, get_type_hints

from model.backends import BACKENDS
from model.options import VIBRANCE
from training.cli_support import HelpFormatter, add_version_argument
from training.config import OPTION_GROUPS, TrainConfig

Subparsers = argparse._SubParsersAction  # argparse's subcommand registry (it has no public name)


def _argument_of(config_field: Field, field_type: Any) -> tuple[list[str], dict[str, Any]]:
    """The flag(s) and add_argument keywords of a TrainConfig field, read from its type and metadata."""
    meta = config_field.metadata
    flag = meta["flag"] or "--" + config_field.name.replace("_", "-")
    keywords: dict[str, Any] = {"dest": config_field.name, "help": meta["help"]}
    default = config_field.default
    if config_field.default_factory is not MISSING:
        default = config_field.default_factory()
    if field_type is bool:
        # A flag turns the default around: --hints (False -> True), --no-progress (True -> False).
        return [flag], {**keywords, "action": "store_false" if default else "store_true"}
    if default is MISSING:
        keywords["required"] = True
    else:
        keywords["default"] = default
    kinds = [kind for kind in get_args(field_type) or (field_type,) if kind is not type(None)]
    element = get_args(kinds[-1])[0] if get_origin(kinds[-1]) is list else kinds[0]
    keywords["type"] = element
    for name in ("choices", "metavar", "nargs"):
        if meta[name] is not None:
            keywords[name] = list(meta[name]) if name == "choices" else meta[name]
    return [flag], keywords


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field declared with `option(...)`, in their groups (training/config.py)."""
    types = get_type_hints(TrainConfig)
    groups = {name: parser.add_argument_group(title) for name, title in OPTION_GROUPS.items()}
    for config_field in fields(TrainConfig):
        if "help" in config_field.metadata:
            flags, keywords = _argument_of(config_field, types[config_field.name])
            groups[config_field.metadata["group"]].add_argument(*flags, **keywords)


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
    add_config_arguments(parser)
    parser.add_argument("--resume", default=None, help="continue from a checkpoint, e.g. RUN/last.pt")


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
        "--vibrance",
        type=float,
        default=VIBRANCE.default,
        help=f"the chroma scale of every colorization (the product's option, {VIBRANCE.minimum:g} to {VIBRANCE.maximum:g})",
    )
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


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The TrainConfig of parsed `train` flags (one --data-dir is kept as a string, as before)."""
    values = {item.name: getattr(args, item.name) for item in fields(TrainConfig) if "help" in item.metadata}
    data_dir = list(values["data_dir"])
    values["data_dir"] = data_dir[0] if len(data_dir) == 1 else data_dir
    for name, value in values.items():
        if isinstance(value, tuple):
            values[name] = list(value)
    return TrainConfig(**values)


def _train(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> int:
    from training.trainer import train

    try:
        config = config_from_args(args)
    except ValueError as error:
        raise SystemExit(f"python -m training train: {error}") from None
    result = train(config, resume=args.resume)
    return 130 if result["interrupted"] else 0


def _export(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from training.onnx_export import export_onnx

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


def _evaluate(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> int:
    from model.artifact import default_artifact_path, onnx_path_for
    from training.evaluate import evaluate, format_table, record_in_artifact, write_json

    artifact = args.artifact or default_artifact_path()
    result = evaluate(
        artifact,
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
        vibrance=args.vibrance,
    )
    print(format_table(result))
    if args.json:
        write_json(result, args.json)
    if args.record_as:
        record_in_artifact(artifact, args.record_as, result)
        if onnx_path_for(artifact).is_file():  # the ONNX file carries the metadata too: keep the pair in step
            from training.onnx_export import export_onnx

            print(export_onnx(artifact))
    return 0


def _prepare_data(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> int:
    from training.prepare_data import prepare_folder

    counts = prepare_folder(
        args.data_dir, args.out_dir, args.size, not args.no_crop, args.quality, args.limit, args.workers
    )
    print(json.dumps(counts))
    return 0


def _average(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> int:
    from training.average import average_artifacts

    print(
        average_artifacts(
            args.artifacts, args.out, version=args.version, weights=args.weights, description=args.description
        )
    )
    return 0


# One handler per subcommand: (parsed flags, the parser for usage errors) -> exit status.
HANDLERS: dict[str, Callable[[argparse.Namespace, argparse.ArgumentParser], int]] = {
    "train": _train,
    "export": _export,
    "evaluate": _evaluate,
    "prepare-data": _prepare_data,
    "average": _average,
}


def main(argv: list[str] | None = None, prog: str = "python -m training") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    # The ONNX exporter's libraries log every optimisation pass at INFO.
    for noisy in ("onnxscript", "onnx_ir", "torch.onnx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return HANDLERS[args.command](args, parser)


if __name__ == "__main__":
    sys.exit(main())
