#!/bin/bash
# Issue 13 acceptance from the CLI: ingest API schemas, adapt with the tool-use skill, A/B agent run.
set -euo pipefail
cd /work/main
export PAST_DATA_DIR=/work/runs/pd OMP_NUM_THREADS=2
D=/work/runs/demo13
time .venv/bin/past tools ingest $D/logistics-queries.json --out $D/apis.jsonl
time .venv/bin/past adapt --preset tool-docs --skill tool-use-smollm2-135m $D/logistics-queries.json \
  --name demo-logistics-cli --epochs 2 --threads 2
A=$PAST_DATA_DIR/adapters/demo-logistics-cli
time .venv/bin/past tools run --apis $D/apis.jsonl --query "$(python3 -c "import json;print(json.load(open('$D/logistics-queries.json'))[0]['query'])")" \
  --model sft=default+$A/baseline --model past=default+$A/injected --max-turns 2 --max-new-tokens 96 --json $D/cli-run.json
