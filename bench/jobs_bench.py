"""Job runner benchmarks: submit-to-start latency, metric write throughput, read latency under load.

    python bench/jobs_bench.py [--runs 20] [--seconds 5] [--json out.json]

Runs a real in-process JobRunner (as the studio does) over a throw-away data directory, with
``selftest.count`` workers (real subprocesses writing to the real SQLite store; the test kind from
``tests/count_kind.py``, opted in through ``PAST_EXTRA_JOB_KINDS``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.jobs import JobRunner, JobService
from backend.jobs.registry import EXTRA_KINDS_ENV
from past.settings import Settings


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(service: JobService, runs: int) -> dict:
    claim, start, done = [], [], []
    for _ in range(runs):
        t0 = time.time()
        job = service.submit("selftest.count", {"n": 0, "interval_s": 0.0})
        rec = service.wait(job.id, 60, poll=0.005)
        claim.append(rec.claimed_at - t0)
        start.append(rec.started_at - t0)
        done.append(rec.finished_at - t0)
    return {
        "submit_to_claim_ms": statistics.median(claim) * 1000,
        "submit_to_worker_start_ms": statistics.median(start) * 1000,
        "submit_to_start_p95_ms": pct(start, 0.95) * 1000,
        "submit_to_succeeded_ms": statistics.median(done) * 1000,
    }


def count_rows(service: JobService, job_id: str) -> int:
    return service.store.query("SELECT count(*) AS n FROM metrics WHERE job_id = ?", (job_id,))[0]["n"]


def throughput(service: JobService, seconds: float) -> dict:
    job = service.submit("selftest.count", {"n": 10**9, "interval_s": 0.0, "metrics_per_step": 100})
    while service.get(job.id).progress == 0:
        time.sleep(0.05)
    time.sleep(1.0)  # warm up
    n0, t0 = count_rows(service, job.id), time.monotonic()
    time.sleep(seconds)
    n1, t1 = count_rows(service, job.id), time.monotonic()
    service.cancel(job.id)
    service.wait(job.id, 60)
    return {"metric_rows_per_s": (n1 - n0) / (t1 - t0)}


def ui_reads(service: JobService, job_id: str, samples: int, spacing: float) -> dict[str, list[float]]:
    """What a live job page does on each refresh: the job row, the latest values, new chart points, the list."""
    timings: dict[str, list[float]] = {"job_row": [], "latest_metrics": [], "new_points": [], "job_list": [], "all": []}
    last_id = 0
    for _ in range(samples):
        t_all = time.perf_counter()
        t = time.perf_counter()
        service.get(job_id)
        timings["job_row"].append(time.perf_counter() - t)
        t = time.perf_counter()
        service.latest_metrics(job_id)
        timings["latest_metrics"].append(time.perf_counter() - t)
        t = time.perf_counter()
        rows = service.metrics(job_id, "value", after_id=last_id)
        if rows:
            last_id = rows[-1]["id"]
        timings["new_points"].append(time.perf_counter() - t)
        t = time.perf_counter()
        service.list(limit=50)
        timings["job_list"].append(time.perf_counter() - t)
        timings["all"].append(time.perf_counter() - t_all)
        time.sleep(spacing)
    return timings


def read_latency(service: JobService, samples: int, history: int) -> dict:
    """Reads of a job page: idle, then while another job writes ~1,000 rows/s, for a small job and for a
    finished job with ``history`` metric rows (a long training run: 10 metrics x history/10 steps)."""
    idle_job = service.wait(service.submit("selftest.count", {"n": 200, "interval_s": 0.0}).id, 60)
    idle = ui_reads(service, idle_job.id, samples, 0.02)
    big = service.wait(service.submit("selftest.count", {"n": 1, "interval_s": 0.0}).id, 60)
    steps = history // 10
    for start in range(0, steps, 10_000):
        service.events.add_metrics(
            big.id,
            [(s, f"m{k}", float(s), 0.0) for s in range(start, min(start + 10_000, steps)) for k in range(10)],
        )
    # 13 metric rows per step every ~12 ms (10 ms sleep + the loop) = ~1,000 rows/s (measured below)
    job = service.submit("selftest.count", {"n": 10**9, "interval_s": 0.01, "metrics_per_step": 13})
    while service.get(job.id).progress == 0:
        time.sleep(0.05)
    time.sleep(1.0)
    n0, t0 = count_rows(service, job.id), time.monotonic()
    busy = ui_reads(service, job.id, samples, 0.02)
    busy_big = ui_reads(service, big.id, samples // 2, 0.02)
    rate = (count_rows(service, job.id) - n0) / (time.monotonic() - t0)
    big_full, big_chart = [], []
    for _ in range(5):
        t = time.perf_counter()
        service.metrics(big.id, "m0")
        big_full.append(time.perf_counter() - t)
        t = time.perf_counter()
        service.metric_series(big.id, "m0", max_points=2000)
        big_chart.append(time.perf_counter() - t)
    full = []
    for _ in range(20):
        t = time.perf_counter()
        service.metrics(job.id, "value")
        full.append(time.perf_counter() - t)
    rows_total = count_rows(service, job.id)
    service.cancel(job.id)
    service.wait(job.id, 60)
    out = {"writer_rows_per_s": rate, "rows_in_job_at_end": rows_total}
    for name in idle:
        out[f"{name}_idle_median_ms"] = statistics.median(idle[name]) * 1000
        out[f"{name}_busy_median_ms"] = statistics.median(busy[name]) * 1000
        out[f"{name}_busy_p95_ms"] = pct(busy[name], 0.95) * 1000
        out[f"{name}_busy_{history}rows_median_ms"] = statistics.median(busy_big[name]) * 1000
        out[f"{name}_busy_{history}rows_p95_ms"] = pct(busy_big[name], 0.95) * 1000
    out["full_chart_series_busy_median_ms"] = statistics.median(full) * 1000
    out[f"full_series_{history // 10}_points_busy_median_ms"] = statistics.median(big_full) * 1000
    out[f"chart_series_{history // 10}_to_2000_points_busy_median_ms"] = statistics.median(big_chart) * 1000
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="no-op jobs for the latency median")
    parser.add_argument("--seconds", type=float, default=5.0, help="throughput measuring window")
    parser.add_argument("--samples", type=int, default=200, help="UI refreshes measured under load")
    parser.add_argument("--history", type=int, default=500_000, help="metric rows of the long finished job")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()
    os.environ[EXTRA_KINDS_ENV] = "tests.count_kind"  # the counting job kind, for this process and its workers
    with tempfile.TemporaryDirectory(prefix="past-jobs-bench-") as tmp:
        settings = Settings.load(tmp).ensure()
        service = JobService(settings)
        runner = JobRunner(settings, slots={"cpu": 2}, grace_s=5).start()
        try:
            results = {"latency": latency(service, args.runs)}
            results["throughput"] = throughput(service, args.seconds)
            results["reads"] = read_latency(service, args.samples, args.history)
        finally:
            runner.stop()
            service.store.close()
    for section, values in results.items():
        print(f"## {section}")
        for key, value in values.items():
            print(f"{key:44} {value:12.2f}" if isinstance(value, float) else f"{key:44} {value:12}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
