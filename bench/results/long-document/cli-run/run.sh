#!/bin/bash
# Issue 12's acceptance run through the CLI (2026-12-02, this 2-core machine): the same 100,000-character
# LooGLE document as the studio run (longdep_qa row 1, Urban planning of Barcelona, cut at the last sentence
# end before 100,000 characters: 99,899), `past adapt --preset long-document` with the bundled skill, under
# /usr/bin/time -v; then its row in the long-context table (closed-book answers of base, SFT and PaST).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
OUT=bench/results/long-document/cli-run
DATA=${PAST_DATA_DIR:-/work/runs/pd}
RUNS=${RUNS:-/work/runs}
DOC=$RUNS/urban-planning-of-barcelona.txt
mkdir -p "$RUNS"
.venv/bin/python - "$DOC" <<'PY'
import sys
from tests.bench_modules import load_bench
bench = load_bench("long_context")
open(sys.argv[1], "w").write(bench.slice_text(bench.load_row("longdep_qa", 1).text, 100_000))
PY
.venv/bin/past --data-dir "$DATA" model prepare
.venv/bin/past --data-dir "$DATA" skill list | grep -q closed-book-qa-smollm2-135m ||
  .venv/bin/past --data-dir "$DATA" skill import assets/skills/closed-book-qa-smollm2-135m
.venv/bin/past --data-dir "$DATA" adapt "$DOC" --preset long-document --skill closed-book-qa-smollm2-135m --estimate-only 2>&1 | tee $OUT/estimate.txt
/usr/bin/time -v .venv/bin/past --data-dir "$DATA" adapt "$DOC" --preset long-document \
  --skill closed-book-qa-smollm2-135m --seed 1 --name barcelona-100k-cli-s1 --run-dir "$RUNS/long100k-cli-s1" \
  > $OUT/adapt.log 2>&1
.venv/bin/python bench/long_context.py --data-dir "$DATA" --from-adapted barcelona-100k-cli-s1 --document "$DOC" \
  --time-log $OUT/adapt.log --targets longdep_qa:1 --out bench/results/long-document
