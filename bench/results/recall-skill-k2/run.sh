#!/bin/bash
# Stage I for the recall-practice preset over K=2 rounds (2 x 24 GRPO steps), then PaST vs SFT on the fine-tunes
# the storage study kept (bench/target_recipes.py --keep-adapters KEPT): no target is trained again. Resumable.
# PAST_DATA_DIR: the data directory; RUN: the Stage I run directory; KEPT: the storage study's kept fine-tunes.
cd "$(dirname "$0")/../../.." || exit 1
: "${PAST_DATA_DIR:?set PAST_DATA_DIR}" "${RUN:?set RUN}" "${KEPT:?set KEPT}"
.venv/bin/past build-skill --recipe bench/results/recall-skill-k2/recipe.json --run-dir "$RUN" --threads 2 || exit 1
# seed 0 (passages 38-50 kept): exploratory, λ chosen here
.venv/bin/python bench/quality.py --skill recall-practice-k2-smollm2-135m --preset recall-practice --prompt recall \
  --passages 50 --seeds 0 --systems base,sft-synth,past,skill-only --lambdas 2,4 --sweep-seeds 0 \
  --only-kept --keep-adapters "$KEPT" \
  --out bench/results/quality-recall-k2/s0 --data-dir "$PAST_DATA_DIR" --threads 2 || exit 1
# seeds 1 and 2: the confirmatory analysis fixed in PREREGISTERED.md (λ 4; λ 1 and 2 secondary)
.venv/bin/python bench/quality.py --skill recall-practice-k2-smollm2-135m --preset recall-practice --prompt recall \
  --passages 50 --seeds 1,2 --systems sft-synth,past --lam 4 --lambdas 1,2 --sweep-seeds 1,2 --probes base,sft-synth,past \
  --only-kept --keep-adapters "$KEPT" \
  --out bench/results/quality-recall-k2/confirm --data-dir "$PAST_DATA_DIR" --threads 2 || exit 1
