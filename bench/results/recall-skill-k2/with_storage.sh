#!/bin/bash
# The confirm (run.sh) with the storage study's seed 2 beside it, one torch process at a time: every PERIOD seconds
# (default 1500) the confirm is paused (SIGSTOP) while bench/target_recipes.py reads the recall-practice fine-tunes
# it kept since as its 'practice3 recall e10 b1' units (the same recipe and seed: evaluated, not retrained; a kept
# fine-tune's record must match) and trains short-notes on the same passages; then the confirm goes on (SIGCONT).
# Resumable: both skip finished units. A last storage pass when the confirm ends, then the storage report over all
# its recipes (each pass rewrites it for its two). Used on 2026-12-07 for passages 291-581.
cd "$(dirname "$0")/../../.." || exit 1
: "${PAST_DATA_DIR:?set PAST_DATA_DIR}" "${KEPT:?set KEPT}"
PERIOD=${PERIOD:-1500}
ALL="short-notes,passage e10 b1,passage e10 b4,passage e40 b1,perm4 e10 b1,perm4+qa-recall e10 b1,practice3 recall e10 b1,practice3 recall control"
storage() {
  .venv/bin/python bench/target_recipes.py --passages 50 --seeds 2 --recipes "short-notes,practice3 recall e10 b1" \
    --keep-adapters "$KEPT" --only-kept --data-dir "$PAST_DATA_DIR" --out bench/results/storage --threads 2 |
    grep -E "passage [0-9]+ seed"
}
bash bench/results/recall-skill-k2/run.sh &
confirm=$!
# stopped (Ctrl-C, kill): nothing left paused or running behind it
trap 'kill "$confirm" 2>/dev/null; pkill -f "bench/quality.py|bench/target_recipes.py"; pkill -CONT -f bench/quality.py; exit 130' INT TERM
while kill -0 "$confirm" 2>/dev/null; do
  for _ in $(seq "$((PERIOD / 10))"); do kill -0 "$confirm" 2>/dev/null || break; sleep 10; done
  kill -0 "$confirm" 2>/dev/null || break
  pkill -STOP -f bench/quality.py
  storage
  pkill -CONT -f bench/quality.py
done
wait "$confirm"
status=$?
storage
.venv/bin/python bench/target_recipes.py --passages 50 --seeds 0,1,2 --recipes "$ALL" --out bench/results/storage \
  --report-only > /dev/null
exit "$status"
