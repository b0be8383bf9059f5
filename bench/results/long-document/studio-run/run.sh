#!/bin/bash
# Issue 12's acceptance run, as run on 2026-12-01 (this machine's paths): a studio on port 7870 over the
# working data directory, a browser launches the Adapt job, a watcher records its progress from the store.
set -e
cd /work/main
export PAST_DATA_DIR=/work/runs/pd
OUT=bench/results/long-document/studio-run
nohup .venv/bin/python launch.py --port 7870 > /work/runs/logs/studio12.log 2>&1 &
for i in $(seq 120); do curl -sf http://127.0.0.1:7870/ > /dev/null && break; sleep 1; done
.venv/bin/python $OUT/launch_run.py http://127.0.0.1:7870/ > /work/runs/logs/launch12.log 2>&1
JOB=$(python3 -c "import json; print(json.load(open('$OUT/launch.json'))['job_id'])")
nohup .venv/bin/python $OUT/watch_run.py "$JOB" > /work/runs/logs/watch12.log 2>&1 &
