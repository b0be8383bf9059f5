#!/bin/bash
# Stage I for the recall-practice preset, then PaST vs SFT on the storage study's first 10 passages (resumable).
# PAST_DATA_DIR: the data directory; RUN: the Stage I run directory (rerun with the same one to resume).
cd "$(dirname "$0")/../../.." || exit 1
: "${PAST_DATA_DIR:?set PAST_DATA_DIR}" "${RUN:?set RUN}"
.venv/bin/past build-skill --recipe bench/results/recall-skill/recipe.json --run-dir "$RUN" --threads 2 || exit 1
.venv/bin/python bench/quality.py --skill recall-practice-smollm2-135m --preset recall-practice --prompt recall \
  --passages 20 --limit 10 --seeds 0 --systems base,sft-synth,past,skill-only \
  --out bench/results/quality-recall --data-dir "$PAST_DATA_DIR" --threads 2
