#!/usr/bin/env bash
# The 2.0.0 recipe on a CPU: an ImageNet-pretrained EfficientNet-Lite0 U-Net, hint-capable,
# trained in a few hours on 2 cores. Resumable: run it again after an interruption and it
# continues from RUN/last.pt (SIGINT/SIGTERM save one at the next step).
#
#   training/recipes/v2_cpu.sh DATA_ROOT RUN_DIR
#
# DATA_ROOT holds train/ and train_extra/ (shared/data/colorize). Validation, for choosing
# checkpoints, is 1% of those photos held out (val/ and bench/ are kept for the final
# evaluation). Phase 1 is L1 with a cosine-decayed rate, 128 px crops first and 256 px
# (the default render size) at the end; phase 2 is a short PatchGAN phase at 256 px with
# both rates decaying linearly to 0. Epochs are 1,600 photos each (a fresh random subset),
# so the run validates and checkpoints every few minutes. Run it under `nice`; it uses
# every core it is given (OMP_NUM_THREADS).
set -euo pipefail
PYTHON=${PYTHON:-python3}
DATA=$1
RUN=$2
L1_EPOCHS=${L1_EPOCHS:-12}
SMALL_EPOCHS=${SMALL_EPOCHS:-10}
GAN_EPOCHS=${GAN_EPOCHS:-2}
EPOCH_IMAGES=${EPOCH_IMAGES:-1600}

resume=()
if [ -f "$RUN/last.pt" ]; then
  resume=(--resume "$RUN/last.pt")
  echo "resuming from $RUN/last.pt"
fi
exec $PYTHON -m training train \
  --data-dir "$DATA/train" "$DATA/train_extra" --val-fraction 0.01 --max-val-images 128 --out-dir "$RUN" \
  --encoder efficientnet_lite0 --encoder-weights imagenet --hints \
  --image-size 256 --small-image-size 128 --small-image-epochs "$SMALL_EPOCHS" \
  --batch-size 16 --epoch-images "$EPOCH_IMAGES" --l1-epochs "$L1_EPOCHS" --gan-epochs "$GAN_EPOCHS" \
  --l1-lr-decay cosine --gan-lr-decay-start 0 \
  --data-on-device --device cpu --no-progress "${resume[@]}"
