#!/bin/bash
# Stage I for the recall-practice preset over K=2 rounds (2 x 24 GRPO steps), then PaST vs SFT on the fine-tunes
# the storage study kept (bench/target_recipes.py --keep-adapters KEPT): no target is trained again. Resumable.
# PAST_DATA_DIR: the data directory; RUN: the Stage I run directory; KEPT: the storage study's kept fine-tunes.
cd "$(dirname "$0")/../../.." || exit 1
: "${PAST_DATA_DIR:?set PAST_DATA_DIR}" "${RUN:?set RUN}" "${KEPT:?set KEPT}"
.venv/bin/past build-skill --recipe bench/results/recall-skill-k2/recipe.json --run-dir "$RUN" --threads 2 || exit 1
for seeds in 0 1 2; do
  .venv/bin/python bench/quality.py --skill recall-practice-k2-smollm2-135m --preset recall-practice --prompt recall \
    --passages 50 --seeds "$seeds" --systems base,sft-synth,past,skill-only --lambdas 2,4 --sweep-seeds "$seeds" \
    --only-kept --keep-adapters "$KEPT" \
    --out "bench/results/quality-recall-k2/s$seeds" --data-dir "$PAST_DATA_DIR" --threads 2 || exit 1
done
