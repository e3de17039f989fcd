#!/usr/bin/env bash
# The recipe that produced the shipped default model (model/weights/colorizer-default.safetensors).
#
#   training/recipes/default_model.sh DATA_ROOT RUN_DIR OUT_DIR [TRAIN_BUDGET_SECONDS]
#
# DATA_ROOT/train and DATA_ROOT/val are photo folders. For the shipped model they were
# `python -m training prepare-data` copies of shared/data/colorize (train: all 6,025 photos as
# 256 px centre crops, WebP q65; val: the first 96 BSDS500 photos, for per-epoch validation).
# The number of epochs per phase is planned from measured throughput so that training fits
# the budget (equal L1 and GAN phases, up to 40 each); run it on a CUDA GPU (bf16 autocast).
# Writes OUT_DIR/best.safetensors and OUT_DIR/last.safetensors.
set -euo pipefail
PYTHON=${PYTHON:-python3}
DATA=$1
RUN=$2
OUT=$3
BUDGET=${4:-420}
BATCH=${BATCH:-32}
SIZE=${SIZE:-256}
WORKERS=${WORKERS:-12}
MAX_EPOCHS=${MAX_EPOCHS:-40}
mkdir -p "$OUT"

images=$(find "$DATA/train" -type f | wc -l)
read -r l1_epochs gan_epochs < <($PYTHON -m training.recipes.plan_epochs --train-images "$images" \
  --budget-s "$BUDGET" --image-size "$SIZE" --batch-size "$BATCH" --max-epochs "$MAX_EPOCHS")
echo "plan: $images images, $l1_epochs L1 + $gan_epochs GAN epochs, batch $BATCH, $SIZE px"

started=$(date +%s)
# A hard stop past the budget: SIGTERM makes the trainer save last.pt and exit cleanly.
set +e
timeout --signal=TERM $((BUDGET + 80)) $PYTHON -m training train \
  --data-dir "$DATA/train" --val-dir "$DATA/val" --out-dir "$RUN" \
  --image-size "$SIZE" --batch-size "$BATCH" --l1-epochs "$l1_epochs" --gan-epochs "$gan_epochs" \
  --workers "$WORKERS" --no-progress
status=$?
set -e
echo "train exit status $status, wall time $(( $(date +%s) - started )) s"

description="ResNet18 U-Net trained from scratch (random encoder) on ${images} photos (shared/data/colorize/train, \
ImageNet samples + Flickr landscapes, 256 px centre crops), ${l1_epochs} L1 + ${gan_epochs} PatchGAN epochs, \
batch ${BATCH}, ${SIZE} px, bf16 on one GPU; recipe training/recipes/default_model.sh"
for which in best last; do
  if [ -f "$RUN/$which.pt" ]; then
    $PYTHON -m training export --checkpoint "$RUN/$which.pt" --out "$OUT/$which.safetensors" \
      --version "1.0.0" --description "$description" --overwrite  # a rerun replaces its own exports
  fi
done
