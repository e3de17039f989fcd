#!/usr/bin/env bash
# The 3.0.0 recipe on a CPU: 2.0.0's U-Net grows a classification head over the in-gamut
# a*b* bins (Zhang et al. 2016; --class-weight), trained beside its L1 head, then a short
# adversarial phase against the PatchGAN. Resumable: run it again after an interruption
# and each stage continues from its last.pt (SIGINT/SIGTERM save one at the next step);
# a finished stage is skipped.
#
#   training/recipes/v3_cpu.sh DATA_ROOT RUN_DIR [INIT_ARTIFACT]
#
# DATA_ROOT holds train/ and train_extra/ (shared/data/colorize); 1% of them is held out
# for choosing checkpoints and the decoding (val/ and bench/ stay for the final
# evaluation). INIT_ARTIFACT defaults to the shipped 2.0.0 model's weights.
#
#   A  decoder and heads only (--freeze-encoder: no backward pass through 2.0.0's
#      ImageNet-pretrained, colour-trained encoder; 1.5x the images/s of training it all),
#      128 px crops, L1 + class term, cosine-decayed rate;
#   B  everything, at 256 px (the default render size): a few L1 + class epochs;
#   C  from B, a short PatchGAN phase (BCE-with-logits + lambda x (L1 + class term)) with
#      both rates decaying to 0. B and C are separate artifacts so they can be compared.
#   D  from C's last epoch, more PatchGAN epochs (D_EPOCHS; 0 skips it), exported from its
#      last epoch: best.pt keeps the best val PSNR, which in an adversarial phase is its least
#      adversarial epoch, while the PatchGAN epochs are what moved the PSNR/colour frontier
#      outwards (docs/model-history.md, "Colour 3.0: two heads").
#
# Then: python -m training.recipes.choose_class_decoding picks the temperature and the
# mix on the held-out photos, and python -m training export writes the artifact.
# Run it under `nice`; it uses the cores OMP_NUM_THREADS gives it.
set -euo pipefail
PYTHON=${PYTHON:-python3}
DATA=$1
RUN=$2
INIT=${3:-model/weights/colorizer-default.safetensors}
A_EPOCHS=${A_EPOCHS:-8}
B_EPOCHS=${B_EPOCHS:-2}
C_EPOCHS=${C_EPOCHS:-2}
D_EPOCHS=${D_EPOCHS:-4}
EPOCH_IMAGES=${EPOCH_IMAGES:-1600}
EPOCH_IMAGES_256=${EPOCH_IMAGES_256:-800}
CLASS_WEIGHT=${CLASS_WEIGHT:-0.02}
common=(
  --data-dir "$DATA/train" "$DATA/train_extra" --val-fraction 0.01 --max-val-images 128
  --encoder efficientnet_lite0 --hints --class-weight "$CLASS_WEIGHT"
  --batch-size 16 --data-on-device --device cpu --no-progress
)

stage() {  # stage DIR ARGS...: resume DIR/last.pt unless the stage finished (DIR/done)
  local dir=$1
  shift
  [ -f "$dir/done" ] && { echo "$dir: done"; return; }
  local resume=()
  [ -f "$dir/last.pt" ] && resume=(--resume "$dir/last.pt") && echo "resuming from $dir/last.pt"
  $PYTHON -m training train "${common[@]}" --out-dir "$dir" "$@" "${resume[@]}"
  touch "$dir/done"
}

export_stage() {  # export_stage NAME [CHECKPOINT]: RUN/NAME/best.pt (or last.pt) -> RUN/NAME.safetensors (once)
  local checkpoint=${2:-best}
  [ -f "$RUN/$1.safetensors" ] || $PYTHON -m training export --checkpoint "$RUN/$1/$checkpoint.pt" \
    --out "$RUN/$1.safetensors" --version "3.0.0-$1" --no-onnx
}

stage "$RUN/a" --init-from "$INIT" --freeze-encoder --image-size 128 --epoch-images "$EPOCH_IMAGES" \
  --l1-epochs "$A_EPOCHS" --gan-epochs 0 --l1-lr-decay cosine
export_stage a
stage "$RUN/b" --init-from "$RUN/a.safetensors" --image-size 256 --epoch-images "$EPOCH_IMAGES_256" \
  --lr-g 5e-5 --l1-epochs "$B_EPOCHS" --gan-epochs 0 --l1-lr-decay cosine
export_stage b
stage "$RUN/c" --init-from "$RUN/b.safetensors" --image-size 256 --epoch-images "$EPOCH_IMAGES_256" \
  --lr-g 5e-5 --lr-d 2e-4 --l1-epochs 0 --gan-epochs "$C_EPOCHS" --gan-lr-decay-start 0
export_stage c
[ "$D_EPOCHS" -gt 0 ] || exit 0
[ -f "$RUN/c-last.safetensors" ] || $PYTHON -m training export --checkpoint "$RUN/c/last.pt" \
  --out "$RUN/c-last.safetensors" --version "3.0.0-c-last" --no-onnx
stage "$RUN/d" --init-from "$RUN/c-last.safetensors" --image-size 256 --epoch-images "$EPOCH_IMAGES_256" \
  --lr-g 5e-5 --lr-d 2e-4 --l1-epochs 0 --gan-epochs "$D_EPOCHS" --gan-lr-decay-start 0
export_stage d last
