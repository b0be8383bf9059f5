"""Records an adapt job's progress from the store every 20 s (state, progress, message, the worker's CPU
time and resident memory) until it ends, to `progress.jsonl`; then `job.json` (the job as stored)."""

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path("/work/main")
OUT = Path(__file__).resolve().parent


def tree_usage(pid: int | None) -> tuple[float, float]:
    """CPU seconds and RSS MB of a process and its children (from /proc)."""
    if not pid:
        return 0.0, 0.0
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
        cpu = sum(sum(p.cpu_times()[:2]) for p in procs)
        rss = sum(p.memory_info().rss for p in procs) / 2**20
        return cpu, rss
    except psutil.Error:
        return 0.0, 0.0


def main(job_id: str) -> None:
    sys.path.insert(0, str(ROOT))
    from backend.jobs.service import JobService
    from past.settings import Settings

    service = JobService(Settings.load())
    with open(OUT / "progress.jsonl", "a") as log:
        while True:
            job = service.get(job_id)
            cpu, rss = tree_usage(job.pid)
            row = {
                "t": round(time.time(), 1),
                "state": job.state,
                "progress": job.progress,
                "message": job.message,
                "cpu_s": round(cpu, 1),
                "rss_mb": round(rss),
            }
            log.write(json.dumps(row) + "\n")
            log.flush()
            if job.terminal:
                break
            time.sleep(20)
    (OUT / "job.json").write_text(json.dumps(asdict(job), indent=2, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
