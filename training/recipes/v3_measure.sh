#!/usr/bin/env bash
# Every number of the 3.0.0 bar (issue 27) for a candidate model, beside the model it would
# replace, written to OUT_DIR as JSON and tables:
#
#   training/recipes/v3_measure.sh CANDIDATE.safetensors DATA_ROOT OUT_DIR [REFERENCE.safetensors]
#
#   1. `python -m training evaluate` on val/ and bench/ at the default render size, no hints
#      (PSNR gain over grayscale, SSIM, colourfulness against the truth);
#   2. 10 hints read off the truth on both (the model card's rows), and on bench/ the network
#      alone too (the learned hint pathway), so the better of the two can ship;
#   3. the face boxes of val/ and bench/: a*b* error and chroma against the truth's;
#   4. the ONNX generator time at render 256 against the reference's (one run, alternating),
#      and the artifact's size.
#
# The reference defaults to the shipped model. DATA_ROOT holds val/ and bench/. Nothing here
# chooses anything: the decoding is chosen before, on held-out training photos
# (training/recipes/choose_class_decoding.py). Run it under `nice`.
set -euo pipefail
PYTHON=${PYTHON:-python3}
CANDIDATE=$1
DATA=$2
OUT=$3
REFERENCE=${4:-model/weights/colorizer-default.safetensors}
mkdir -p "$OUT"

for model in candidate reference; do
  artifact=$CANDIDATE
  [ "$model" = reference ] && artifact=$REFERENCE
  # With --hints the automatic scores come too: they are read from these runs.
  [ -f "$OUT/$model-val.json" ] || $PYTHON -m training evaluate --artifact "$artifact" --backend torch \
    --device cpu --data-dir "$DATA/val" --hints 10 --json "$OUT/$model-val.json"
  [ -f "$OUT/$model-bench-hints.json" ] || $PYTHON -m training evaluate --artifact "$artifact" --backend torch \
    --device cpu --data-dir "$DATA/bench" --hints 10 --json "$OUT/$model-bench-hints.json"
  [ -f "$OUT/$model-bench-hints-network.json" ] || $PYTHON -m training evaluate --artifact "$artifact" \
    --backend torch --device cpu --data-dir "$DATA/bench" --hints 10 --no-propagation \
    --json "$OUT/$model-bench-hints-network.json"
done
[ -f "$OUT/faces.json" ] || $PYTHON -m training.face_boxes --data-dir "$DATA/val" "$DATA/bench" \
  --artifact "$REFERENCE" "$CANDIDATE" --json "$OUT/faces.json" | tee "$OUT/faces.md"
onnx_of() { echo "${1%.safetensors}.onnx"; }
[ -f "$(onnx_of "$CANDIDATE")" ] || $PYTHON -m training export --artifact "$CANDIDATE"
$PYTHON benchmarks/bench_models.py --candidate "$(onnx_of "$CANDIDATE")" --reference "$(onnx_of "$REFERENCE")" \
  --sizes 256 | tee "$OUT/speed.md"
$PYTHON - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
def scores(name):
    result = json.loads((out / f"{name}.json").read_text())
    hints = result.get("hints", {})
    return result["gain_over_baseline"]["psnr_db"], result["colorfulness_ratio_to_truth"], hints
rows = ["| model | val PSNR gain | val colour | bench PSNR gain | bench colour | val, 10 hints "
        "| bench, 10 hints (propagated / network alone) |",
        "|---|---:|---:|---:|---:|---:|---:|"]
for model in ("reference", "candidate"):
    val, bench = scores(f"{model}-val"), scores(f"{model}-bench-hints")
    hinted = [scores(f"{model}-bench-hints{kind}")[2]["metrics"]["psnr"] for kind in ("", "-network")]
    rows.append(f"| {model} | {val[0]:+.2f} dB | {100 * val[1]:.0f}% | {bench[0]:+.2f} dB | {100 * bench[1]:.0f}% "
                f"| {val[2]['metrics']['psnr']:.2f} dB | {hinted[0]:.2f} / {hinted[1]:.2f} dB |")
(out / "summary.md").write_text("\n".join(rows) + "\n")
print("\n".join(rows))
PY
