"""The v2 recipe (training/recipes/v2_model.py) on a lent GPU: stage the photos, train within a time budget,
export, pack the results. With `--class-weight` and `--init-from`, the same session trains the 3.0.0
recipe's two heads (training/recipes/v3_cpu.sh) on every photo at 256 px, from the shipped model:

    python3 -m tools.gpu_staging.v2_session train --out "$OUT" --class-weight 0.02 --held-out-fraction 0.01 \\
        --init-from model/weights/colorizer-default.safetensors --version 3.1.0

then, here, its decoding is chosen on the same held-out photos (`python -m
training.recipes.choose_class_decoding ... --data-dir .v2data/prepared/train .v2data/prepared/train_extra`).

A GPU is lent for about 15 minutes in all (start-up included), one command at a
time, at most 10 minutes and 64 MiB of files (the working tree included) per
call, and files stay on the machine only while it is held (about 30 s after each
call). So the photos travel as numbered parts in consecutive calls, and the last
call trains; see docs/model-history.md, "How v2 will be trained":

    # here (CPU), once: WebP copies of the photos, packed into parts that fit a call
    python -m tools.gpu_staging.v2_session build-parts
    # device calls 1 .. N-1, each right after the previous one: carry .v2data/partK
    python3 -m tools.gpu_staging.v2_session stage
    # device call N: carry .v2data/partN; trains, exports, writes the results to $OUT
    python3 -m tools.gpu_staging.v2_session train --out "$OUT"
    # here: join the artifact parts that came back and check their hashes
    python -m tools.gpu_staging.v2_session join FILES_AT --out .v2data/result

`dry-run` runs the same steps on the CPU with tiny photos, parts and networks (under a minute).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shutil
import signal
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model.artifact import file_sha256
from model.generator_config import GeneratorConfig
from training.recipes.v2_model import L1_SHARE, NAME, RECIPE, VERSION, description, v2_config

if TYPE_CHECKING:  # for annotations only
    import torch

    from training.config import TrainConfig
    from training.steps import Nets

log = logging.getLogger("v2_model")

REPO = Path(__file__).resolve().parents[2]
SPLIT_BYTES = 15 * 1024 * 1024  # files back from $OUT may be at most 16 MiB each
STAGED = "staged"  # under the staging root: the unpacked photos
# $OUT file names
ARTIFACT = "colorizer-v2.safetensors"
L1_ARTIFACT = "colorizer-v2-l1.safetensors"
CHECKSUMS = "SHA256SUMS"
RUN_ARCHIVE = "run.tar.gz"
SUMMARY = "summary.json"


# ----- here: build the parts ------------------------------------------------------------------
def _prepare(source: Path, target: Path, quality: int, limit: int | None, workers: int) -> None:
    """WebP copy of a photo folder (256 px centre squares), skipped when an identical one exists."""
    from training.prepare_data import prepare_folder

    settings = {"source": str(source.resolve()), "size": 256, "quality": quality, "limit": limit}
    marker = target / ".prepared.json"
    if marker.is_file() and json.loads(marker.read_text()) == settings:
        return
    if target.exists():
        shutil.rmtree(target)
    counts = prepare_folder(source, target, 256, True, quality, limit, workers)
    log.info("prepared %s -> %s: %s", source, target, counts)
    marker.write_text(json.dumps(settings))


def build(args: argparse.Namespace) -> int:
    from tools.gpu_staging.parts import MIB, TRANSFER_LIMIT_BYTES, build_parts, working_tree_bytes

    root, data = Path(args.root), Path(args.data_root)
    prepared = root / "prepared"
    folders = {}
    for name, quality, limit in (
        ("train", args.quality, None),
        ("train_extra", args.quality, None),
        ("val", args.val_quality, args.val_limit),
    ):
        _prepare(data / name, prepared / name, quality, limit, args.workers)
        folders[name] = prepared / name
    tree = working_tree_bytes(args.repo) if args.tree_bytes is None else args.tree_bytes
    part_limit = TRANSFER_LIMIT_BYTES - tree - int(args.margin_mib * MIB)
    notes = {"size": 256, "quality": args.quality, "val_quality": args.val_quality, "val_limit": args.val_limit}
    parts = build_parts(folders, root, part_limit, notes=notes)
    print(f"working tree {tree / MIB:.1f} MiB; parts of at most {part_limit / MIB:.1f} MiB; {len(parts)} parts:")
    for part in parts:
        manifest = json.loads((part / "manifest.json").read_text())
        print(f"  {part}: {manifest['bytes'] / MIB:.1f} MiB, {manifest['files']}")
    print("device calls (each right after the previous one; the machine keeps files ~30 s after a call):")
    for index, part in enumerate(parts, start=1):
        carry = json.dumps([str(part.relative_to(args.repo)) if part.is_relative_to(args.repo) else str(part)])
        if index < len(parts):
            print(
                f"  {index}. run(command='python3 -m tools.gpu_staging.v2_session stage', carry={carry}, timeout_s=120)"
            )
        else:
            print(
                f"  {index}. run(command='python3 -m tools.gpu_staging.v2_session train --out \"$OUT\"', carry={carry}, timeout_s=600)"
            )
    return 0


# ----- device: stage and train -------------------------------------------------------------------
def _stage_carried(root: Path) -> tuple[list[int], list[int], dict[str, int]]:
    from tools.gpu_staging.parts import staged_parts, unpack_part

    for part in sorted(root.glob("part[0-9][0-9]")):
        if (part / "manifest.json").is_file():
            manifest = unpack_part(part, root / STAGED)  # a no-op for a part unpacked by an earlier call
            log.info("%s on this machine: %s", part.name, manifest["files"])
    return staged_parts(root / STAGED)


def stage(args: argparse.Namespace) -> int:
    from tools.gpu_staging.parts import StagingError

    started = time.monotonic()
    try:
        present, missing, counts = _stage_carried(Path(args.root))
    except StagingError as error:
        print(f"staging failed: {error}", file=sys.stderr)
        return 2
    print(f"staged parts {present}, missing {missing}, photos {counts} ({time.monotonic() - started:.1f} s)")
    return 0


def _measure(config: TrainConfig, device: torch.device, steps: int) -> dict:
    """Real-step images/s per phase (fresh networks, random photos cropped on the device), FLOPs, matmul rate."""
    import torch

    from model.generator import UNetGenerator
    from training.discriminator import PatchDiscriminator
    from training.throughput import (
        V1_IMAGES_PER_S,
        host_sync_in_step,
        make_nets,
        matmul_rate,
        random_photos,
        step_flops,
        step_throughput,
    )

    dtype = torch.bfloat16 if device.type == "cuda" else None
    generator_config = config.generator_config()

    def nets(compiled: bool) -> Nets:
        torch.manual_seed(config.seed)
        return make_nets(
            UNetGenerator(generator_config),
            PatchDiscriminator(),
            device,
            dtype,
            dataclasses.replace(config, compile=compiled),
        )

    photos = random_photos(max(4 * config.batch_size, 8), config.image_size, device)
    measured: dict[str, Any] = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "batch_size": config.batch_size,
        "image_size": config.image_size,
        "compile": config.compile,
        "rates": {},
        "flops_per_image": {},
    }
    timed = nets(config.compile)
    for phase in (1, 2):
        started = time.perf_counter()
        measured["rates"][phase] = step_throughput(timed, config.image_size, config.batch_size, phase, steps, 3, photos)
        log.info(
            "phase %d: %.0f img/s (measured in %.1f s, warm-up and compilation included)",
            phase,
            measured["rates"][phase],
            time.perf_counter() - started,
        )
        sync = host_sync_in_step(timed, photos, config.batch_size, phase)
        measured.setdefault("host_sync", {})[phase] = sync
        if sync:
            log.warning("phase %d: the step makes the host wait for the GPU: %s", phase, sync)
    counted = nets(False)
    for phase in (1, 2):
        measured["flops_per_image"][phase] = step_flops(counted, config.image_size, phase)
    rate = matmul_rate(device, dtype or torch.float32, 8192 if device.type == "cuda" else 256)
    measured["matmul_flops_per_s"] = rate
    for phase in (1, 2):
        floor = rate / measured["flops_per_image"][phase]
        log.info(
            "phase %d: %.1f GFLOP/image; %.0f img/s measured vs %.0f img/s at the measured %s matmul rate (%.1f TFLOP/s), "
            "%.0f at a third of it; v1 %.0f img/s (%.2fx)",
            phase,
            measured["flops_per_image"][phase] / 1e9,
            measured["rates"][phase],
            floor,
            "bf16" if dtype else "fp32",
            rate / 1e12,
            floor / 3,
            V1_IMAGES_PER_S[phase],
            measured["rates"][phase] / V1_IMAGES_PER_S[phase],
        )
    del timed, counted, photos
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return measured


def _split(path: Path, out_dir: Path, chunk: int) -> list[Path]:
    parts = []
    with open(path, "rb") as handle:
        for index, block in enumerate(iter(lambda: handle.read(chunk), b"")):
            target = out_dir / f"{path.name}.part{index}"
            target.write_bytes(block)
            parts.append(target)
    return parts


def _watchdog(seconds: float) -> threading.Timer:
    """SIGTERM this process after `seconds`: the trainer then saves last.pt at the next step and returns."""
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.daemon = True
    timer.start()
    return timer


def _beyond_the_recipe(args: argparse.Namespace) -> dict[str, Any]:
    """TrainConfig fields the v2 recipe leaves at their defaults, set for a v3 run (the classification
    term's weight, the artifact to start from, a held-out share of the photos instead of the val subset)."""
    fields = {"class_weight": args.class_weight, "init_from": args.init_from}
    changes = {key: value for key, value in fields.items() if value is not None}
    if args.held_out_fraction:
        # Training validates on photos it never sees, and the decoding is chosen on the same share
        # afterwards (choose_class_decoding on build-parts' prepared folders); the val subset is
        # then only the quick look at the end.
        changes |= {"val_dir": None, "val_fraction": args.held_out_fraction}
    return changes


def train(args: argparse.Namespace) -> int:
    import torch

    from model.torch_backend import resolve_device
    from tools.gpu_staging.parts import StagingError, staged_manifests
    from training.evaluate import evaluate, write_json
    from training.export import export_artifact
    from training.trainer import train as run_training

    started = time.monotonic()
    root, out = Path(args.root), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        present, missing, counts = _stage_carried(root)
    except StagingError as error:
        print(f"staging failed: {error}", file=sys.stderr)
        return 2
    if missing or not present:
        print(
            f"parts missing on this machine: {missing or 'all'} (staged: {present}); stage them first", file=sys.stderr
        )
        return 3
    staged = root / STAGED
    device = resolve_device(args.device)
    run_dir = root / "run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    recipe = {**RECIPE, **{key: value for key, value in vars(args).items() if key in RECIPE and value is not None}}
    beyond = _beyond_the_recipe(args)
    config = v2_config(
        [str(staged / "train"), str(staged / "train_extra")],
        beyond.pop("val_dir", str(staged / "val")),
        str(run_dir),
        device=args.device,
        compile=args.compile,
        compile_mode=args.compile_mode,
        progress=False,
        seed=args.seed,
        decoder_channels=list(args.decoder_channels),
        **recipe,
        **beyond,
    )
    log.info("torch %s on %s; staged %s in %.1f s", torch.__version__, device, counts, time.monotonic() - started)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    from training.throughput import plan_epochs

    measured = _measure(config, device, args.measure_steps)
    train_images = counts.get("train", 0) + counts.get("train_extra", 0)
    epoch_seconds = {phase: train_images / measured["rates"][phase] for phase in (1, 2)}
    l1_epochs, gan_epochs = plan_epochs(
        measured["rates"], train_images, args.budget_s, args.epoch_overhead_s, l1_share=args.l1_share
    )
    save_every = max(1, round(args.save_interval_s / max(epoch_seconds[2], 1e-3)))
    config = dataclasses.replace(config, l1_epochs=l1_epochs, gan_epochs=gan_epochs, save_every=save_every)
    plan = {
        "l1_epochs": l1_epochs,
        "gan_epochs": gan_epochs,
        "save_every": save_every,
        "budget_s": args.budget_s,
        "train_images": train_images,
        "measured": measured,
        "config": config.to_dict(),
    }
    (out / "plan.json").write_text(json.dumps(plan, indent=2, default=str) + "\n")
    log.info(
        "plan: %d L1 + %d GAN epochs of %d photos, checkpoints every %d epochs, budget %.0f s",
        l1_epochs,
        gan_epochs,
        train_images,
        save_every,
        args.budget_s,
    )

    training_started = time.monotonic()
    timer = _watchdog(args.budget_s * 1.15 + 30)
    try:
        result = run_training(config)
    finally:
        timer.cancel()
    training_seconds = time.monotonic() - training_started
    log.info("training took %.0f s%s", training_seconds, " (stopped by the watchdog)" if result["interrupted"] else "")

    notes = staged_manifests(staged)[0].get("notes", {})
    text = description(train_images, l1_epochs, gan_epochs, recipe, notes)
    artifacts = {
        ARTIFACT: (run_dir / "last.pt", args.version),
        L1_ARTIFACT: (run_dir / "phase1.pt", f"{args.version}-l1"),
    }
    exported = {}
    for name, (checkpoint, version) in artifacts.items():
        if checkpoint.is_file():
            # overwrite: a resumed run re-exports its own artifacts.
            exported[name] = export_artifact(
                checkpoint, run_dir / name, name=NAME, version=version, description=text, overwrite=True
            )
    evaluation = None
    if ARTIFACT in exported and time.monotonic() - started < args.call_limit_s - args.reserve_s:
        # One pass gives both modes: automatic, and with 10 hints read off the truth.
        evaluation = evaluate(
            exported[ARTIFACT],
            staged / "val",
            device=args.device,
            progress=False,
            hints=10,
            sample_grid=run_dir / "val_subset_grid.png",
            sample_count=6,
        )
        write_json(evaluation, run_dir / "val_subset_eval.json")

    checksums = []
    for name, path in exported.items():
        checksums.append(f"{file_sha256(path)}  {name}")
        for part in _split(path, out, args.split_bytes):
            checksums.append(f"{file_sha256(part)}  {part.name}")
    (out / CHECKSUMS).write_text("\n".join(checksums) + "\n")
    with tarfile.open(out / RUN_ARCHIVE, "w:gz") as archive:
        for path in sorted(run_dir.iterdir()):
            if path.is_file() and path.suffix in {".csv", ".log", ".png", ".json"}:
                archive.add(path, arcname=f"run/{path.name}")
        archive.add(out / "plan.json", arcname="run/plan.json")
    (out / "plan.json").unlink()
    summary = {
        "version": args.version,
        "device": measured["device"],
        "images_per_s": measured["rates"],
        "flops_per_image": measured["flops_per_image"],
        "matmul_flops_per_s": measured["matmul_flops_per_s"],
        "epochs": {"l1": l1_epochs, "gan": gan_epochs},
        "training_seconds": training_seconds,
        "interrupted": result["interrupted"],
        "final_val": result["val"],
        "val_subset": None
        if evaluation is None
        else {
            "images": evaluation["images"],
            "psnr_gain_db": evaluation["gain_over_baseline"]["psnr_db"],
            "colorfulness_ratio": evaluation["colorfulness_ratio_to_truth"],
            "hints10_psnr_gain_over_automatic_db": evaluation["hints"]["psnr_gain_over_automatic_db"],
        },
        "call_seconds": time.monotonic() - started,
    }
    (out / SUMMARY).write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(json.dumps(summary, indent=2, default=str))
    files = sorted(p for p in out.iterdir() if p.is_file())
    too_big = [p.name for p in files if p.stat().st_size > 16 * 1024 * 1024]
    if len(files) > 8 or too_big:
        log.error("$OUT holds %d files (at most 8 come back), too big: %s", len(files), too_big or "none")
    print("join on the CPU: python -m tools.gpu_staging.v2_session join FILES_AT --out .v2data/result")
    return 0 if ARTIFACT in exported else 1


# ----- here: join -------------------------------------------------------------------------------
def join(args: argparse.Namespace) -> int:
    """Join the artifact parts from a finished `train` call and check every hash."""
    source, out = Path(args.files), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    expected = {}
    for line in (source / CHECKSUMS).read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        expected[name.strip()] = digest
    joined = []
    for name in (ARTIFACT, L1_ARTIFACT):
        parts = sorted(source.glob(f"{name}.part*"), key=lambda p: int(p.name.rsplit("part", 1)[1]))
        if not parts:
            continue
        for part in parts:
            if file_sha256(part) != expected.get(part.name):
                print(f"{part}: SHA-256 differs from {CHECKSUMS}", file=sys.stderr)
                return 1
        target = out / name
        with open(target, "wb") as handle:
            for part in parts:
                handle.write(part.read_bytes())
        if file_sha256(target) != expected.get(name):
            print(f"{target}: SHA-256 differs from {CHECKSUMS} after joining", file=sys.stderr)
            return 1
        joined.append(target)
    if (source / RUN_ARCHIVE).is_file():
        with tarfile.open(source / RUN_ARCHIVE) as archive:
            archive.extractall(out, filter="data")
    for path in joined:
        print(f"{path}: {path.stat().st_size / 1e6:.1f} MB, SHA-256 checked")
    return 0 if joined else 1


# ----- CPU dry run ------------------------------------------------------------------------------
def dry_run(args: argparse.Namespace) -> int:
    """Every step above at a tiny size on the CPU: photos -> parts -> stage (one call per part) -> train -> join."""
    import numpy as np
    from PIL import Image

    from model.colorizer import Colorizer
    from tools.gpu_staging.parts import build_parts

    work = Path(args.work)
    if work.exists():
        shutil.rmtree(work)
    rng = np.random.default_rng(0)
    for name, count in (("train", 24), ("train_extra", 12), ("val", 6)):
        folder = work / "prepared" / name
        folder.mkdir(parents=True)
        for index in range(count):
            # Smooth colour fields with a few shapes: colour that follows lightness a little.
            base = rng.uniform(0, 255, (4, 4, 3)).astype(np.uint8)
            image = Image.fromarray(base).resize((48, 48), Image.Resampling.BICUBIC)
            image.save(folder / f"{index:03d}.webp", quality=90)
    root = work / ".v2data"
    notes = {"quality": 90, "size": 48}
    folders = {name: work / "prepared" / name for name in ("train", "train_extra", "val")}
    total = sum(p.stat().st_size for folder in folders.values() for p in folder.iterdir())
    parts = build_parts(folders, root, total // 2, notes=notes)  # three parts, as for the real photos
    if len(parts) < 2:
        raise AssertionError(f"the dry run should need several parts, got {len(parts)}")
    # Call k carries part k; parts carried before stay on the machine (ignored paths are kept).
    pending = work / "pending"
    pending.mkdir()
    for part in parts:
        part.rename(pending / part.name)
    for part in parts[:-1]:
        (pending / part.name).rename(part)
        code = stage(argparse.Namespace(root=str(root)))
        if code:
            return code
    (pending / parts[-1].name).rename(parts[-1])
    out = work / "out"
    code = train(
        argparse.Namespace(
            root=str(root),
            out=str(out),
            device="cpu",
            budget_s=4.0,
            measure_steps=1,
            epoch_overhead_s=0.5,
            l1_share=L1_SHARE,
            save_interval_s=0.0,
            call_limit_s=600.0,
            reserve_s=0.0,
            split_bytes=12 * 1024 * 1024,
            compile=False,
            compile_mode="default",
            seed=0,
            decoder_channels=[16, 16, 16, 8, 8],
            image_size=32,
            batch_size=4,
            lambda_l1=None,
            lr_g=None,
            lr_d=None,
            ema_decay=0.9,
            gan_lr_decay_start=None,
            rebalanced_l1=None,
            colourfulness_weight=None,
            hints=None,
            version=args.version,
            class_weight=args.class_weight,
            init_from=None,
            held_out_fraction=args.held_out_fraction,
        )
    )
    if code:
        return code
    result = work / "result"
    if join(argparse.Namespace(files=str(out), out=str(result))):
        return 1
    colorizer = Colorizer.load(result / ARTIFACT, device="cpu")
    assert colorizer.version == args.version and colorizer.supports_hints, colorizer.metadata
    assert bool(colorizer.metadata.generator.colour_classes) == bool(args.class_weight), colorizer.metadata
    files = sorted(p.name for p in out.iterdir())
    if len(files) > 8:
        raise AssertionError(f"$OUT holds {len(files)} files, at most 8 come back: {files}")
    print(f"dry run ok: {len(parts)} parts, $OUT holds {files}; {result / ARTIFACT} is {NAME} {colorizer.version}")
    return 0


def _add_v3_options(parser: argparse.ArgumentParser) -> None:
    """What a run of the v3 recipe sets beyond v2's (train and dry-run take the same)."""
    parser.add_argument("--version", default=VERSION, help="the exported artifacts' version")
    parser.add_argument(
        "--class-weight", type=float, default=None, help="weight of the a*b* classification term (v3: 0.02)"
    )
    parser.add_argument(
        "--held-out-fraction",
        type=float,
        default=None,
        help="validate on this share of the photos instead of the val subset (v3: 0.01, as v3_cpu.sh)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.gpu_staging.v2_session",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    defaults = argparse.ArgumentDefaultsHelpFormatter

    build_parser_ = commands.add_parser(
        "build-parts", help="here: WebP copies of the photos, packed into parts", formatter_class=defaults
    )
    build_parser_.add_argument(
        "--data-root",
        default=str(REPO.parent / "shared" / "data" / "colorize"),
        help="holds train/, train_extra/, val/",
    )
    build_parser_.add_argument(
        "--root", default=str(REPO / ".v2data"), help="staging root (git-ignored): prepared/ and partNN/"
    )
    build_parser_.add_argument(
        "--repo", default=str(REPO), help="the checkout whose working tree travels with every call"
    )
    build_parser_.add_argument("--quality", type=int, default=45, help="WebP quality of the training photos")
    build_parser_.add_argument("--val-quality", type=int, default=85, help="WebP quality of the validation subset")
    build_parser_.add_argument("--val-limit", type=int, default=96, help="validation photos (the first N of val/)")
    build_parser_.add_argument(
        "--tree-bytes", type=int, default=None, help="working-tree size (default: measured with git)"
    )
    build_parser_.add_argument("--margin-mib", type=float, default=2.0, help="room left in each transfer")
    build_parser_.add_argument("--workers", type=int, default=2, help="parallel conversions")

    stage_parser = commands.add_parser(
        "stage", help="device: unpack and check the carried part(s)", formatter_class=defaults
    )
    stage_parser.add_argument("--root", default=".v2data", help="staging root")

    train_parser = commands.add_parser(
        "train", help="device: stage, plan, train, export, pack $OUT", formatter_class=defaults
    )
    train_parser.add_argument("--root", default=".v2data", help="staging root")
    train_parser.add_argument(
        "--out", default=os.environ.get("OUT", ".v2data/out"), help="where the results go (the device's $OUT)"
    )
    train_parser.add_argument("--device", default="auto", help="auto, cuda or cpu")
    train_parser.add_argument("--budget-s", type=float, default=400.0, help="seconds of training (both phases)")
    train_parser.add_argument("--l1-share", type=float, default=L1_SHARE, help="share of the budget for the L1 phase")
    train_parser.add_argument("--measure-steps", type=int, default=20, help="timed steps per phase for the plan")
    train_parser.add_argument("--epoch-overhead-s", type=float, default=1.0, help="validation and logging per epoch")
    train_parser.add_argument("--save-interval-s", type=float, default=60.0, help="write checkpoints about this often")
    train_parser.add_argument("--call-limit-s", type=float, default=600.0, help="the device call's time limit")
    train_parser.add_argument(
        "--reserve-s", type=float, default=60.0, help="skip the quick evaluation with less left than this"
    )
    train_parser.add_argument("--split-bytes", type=int, default=SPLIT_BYTES, help="artifact parts' size in $OUT")
    train_parser.add_argument("--compile", action="store_true", help="torch.compile both networks")
    train_parser.add_argument(
        "--compile-mode", default="default", help="torch.compile mode (reduce-overhead: CUDA graphs)"
    )
    train_parser.add_argument("--seed", type=int, default=0)
    _add_v3_options(train_parser)
    train_parser.add_argument(
        "--init-from", default=None, help="start from this artifact (v3: model/weights/colorizer-default.safetensors)"
    )
    train_parser.add_argument("--decoder-channels", type=int, nargs=5, default=list(GeneratorConfig().decoder_channels))
    for key, value in RECIPE.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            train_parser.add_argument(
                flag, type=lambda s: s.lower() in ("1", "true", "yes"), default=None, help=f"recipe: {value}"
            )
        else:
            train_parser.add_argument(flag, type=type(value), default=None, help=f"recipe: {value}")

    join_parser = commands.add_parser(
        "join", help="here: join the artifact parts from $OUT, check hashes", formatter_class=defaults
    )
    join_parser.add_argument("files", help="the folder the device call's files came back to (files_at)")
    join_parser.add_argument("--out", default=".v2data/result", help="where the joined artifacts and the run files go")

    dry_parser = commands.add_parser("dry-run", help="CPU: every step at a tiny size", formatter_class=defaults)
    dry_parser.add_argument("--work", default="/tmp/v2-dry-run", help="scratch folder (emptied first)")
    _add_v3_options(dry_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args = build_parser().parse_args(argv)
    commands = {"build-parts": build, "stage": stage, "train": train, "join": join, "dry-run": dry_run}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
