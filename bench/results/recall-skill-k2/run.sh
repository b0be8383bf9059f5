#!/bin/bash
# PaST vs SFT with the K=2 recall skill (bench/results/recall-skill-k2/PREREGISTERED.md). Resumable.
# The skill ships in assets/skills/recall-practice-k2-smollm2-135m (bench/quality.py adds the bundled skills to the
# data directory's library); REBUILD=1 RUN=DIR rebuilds it first (Stage I, ~57 min here; see REBUILD.md).
# KEPT: a folder for the recall-practice fine-tunes (kept so a later λ or probe reuses them; trained when absent).
cd "$(dirname "$0")/../../.." || exit 1
: "${PAST_DATA_DIR:?set PAST_DATA_DIR}" "${KEPT:?set KEPT}"
if [ "${REBUILD:-0}" = 1 ]; then
  : "${RUN:?set RUN (the Stage I run directory)}"
  .venv/bin/past build-skill --recipe bench/results/recall-skill-k2/recipe.json --run-dir "$RUN" --threads 2 || exit 1
fi
# seed 0 (exploratory; λ was chosen here): the 13 passages (38-50) whose fine-tunes the storage study had kept
if [ "${EXPLORATORY:-0}" = 1 ]; then
  .venv/bin/python bench/quality.py --skill recall-practice-k2-smollm2-135m --preset recall-practice --prompt recall \
    --passages 50 --seeds 0 --systems base,sft-synth,past,skill-only --lambdas 2,4 --sweep-seeds 0 \
    --only-kept --keep-adapters "$KEPT" \
    --out bench/results/quality-recall-k2/s0 --data-dir "$PAST_DATA_DIR" --threads 2 || exit 1
fi
# seeds 1 and 2: the confirmatory analysis (λ 4; λ 1 and 2 and the probes secondary), passage-major
.venv/bin/python bench/quality.py --skill recall-practice-k2-smollm2-135m --preset recall-practice --prompt recall \
  --passages 50 --seeds 1,2 --systems sft-synth,past --lam 4 --lambdas 1,2 --sweep-seeds 1,2 --probes base,sft-synth,past \
  --keep-adapters "$KEPT" \
  --out bench/results/quality-recall-k2/confirm --data-dir "$PAST_DATA_DIR" --threads 2 || exit 1
