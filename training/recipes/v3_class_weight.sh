#!/usr/bin/env bash
# A controlled comparison for colour 3.0: does a stronger classification term move the PSNR/colour
# frontier outwards? Two arms from the same start (v3_cpu.sh's stage B), equal images and CPU:
# decoder and heads only (--freeze-encoder), 128 px, L1 + W x class term, W in $WEIGHTS. Each arm is
# exported and swept on the run's held-out photos against the model it would replace
# (choose_class_decoding --reference): the most colourful decoding not below its PSNR.
#
#   training/recipes/v3_class_weight.sh DATA_ROOT RUN_DIR START_ARTIFACT [REFERENCE]
#
# Resumable like v3_cpu.sh (each arm's last.pt; a finished arm is skipped).
set -euo pipefail
PYTHON=${PYTHON:-python3}
DATA=$1
RUN=$2
START=$3
REFERENCE=${4:-model/weights/colorizer-default.safetensors}
WEIGHTS=${WEIGHTS:-0.02 0.1}
EPOCHS=${EPOCHS:-2}
EPOCH_IMAGES=${EPOCH_IMAGES:-1600}
LIMIT=${LIMIT:-48}
for weight in $WEIGHTS; do
  dir="$RUN/w$weight"
  if [ ! -f "$dir/done" ]; then
    resume=()
    [ -f "$dir/last.pt" ] && resume=(--resume "$dir/last.pt")
    $PYTHON -m training train --data-dir "$DATA/train" "$DATA/train_extra" --val-fraction 0.01 \
      --max-val-images 128 --encoder efficientnet_lite0 --hints --class-weight "$weight" \
      --batch-size 16 --data-on-device --device cpu --no-progress --out-dir "$dir" \
      --init-from "$START" --freeze-encoder --image-size 128 --epoch-images "$EPOCH_IMAGES" \
      --l1-epochs "$EPOCHS" --gan-epochs 0 --l1-lr-decay cosine "${resume[@]}"
    touch "$dir/done"
  fi
  [ -f "$dir.safetensors" ] || $PYTHON -m training export --checkpoint "$dir/best.pt" --out "$dir.safetensors" \
    --version "3.0.0-w$weight" --no-onnx
  [ -f "$dir.sweep.json" ] || $PYTHON -m training.recipes.choose_class_decoding "$dir.safetensors" \
    --data-dir "$DATA/train" "$DATA/train_extra" --limit "$LIMIT" --reference "$REFERENCE" \
    --json "$dir.sweep.json" > "$dir.sweep.txt" 2>&1
done
