"""The studio process runs jobs (embedded runner); kill -9 of the studio mid-job, then restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backend.jobs import JobService
from past.settings import DATA_DIR_ENV, Settings
from tests.conftest import ROOT, free_port, wait_for_http
from tests.jobs_support import pid_alive, wait_until


def _start_studio(settings: Settings, service: JobService, log: Path) -> subprocess.Popen:
    """A real studio (launch.py) whose embedded job runner has taken the data directory."""
    port = free_port()
    env = {**os.environ, DATA_DIR_ENV: str(settings.data_dir), "PYTHONUNBUFFERED": "1"}
    with open(log, "ab") as handle:
        studio = subprocess.Popen(
            [sys.executable, str(ROOT / "launch.py"), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/", studio)
        wait_until(lambda: (service.runner_status() or {}).get("pid") == studio.pid, 30, "the studio's runner")
    except BaseException:
        print(log.read_text(errors="replace")[-3000:])
        studio.kill()
        raise
    return studio


@pytest.mark.slow
def test_kill_9_of_the_studio_mid_job_then_restart(session_settings, tmp_path):
    settings = Settings.load(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    settings.models_dir.symlink_to(session_settings.models_dir)  # the default model, already converted
    settings = settings.ensure()
    service = JobService(settings)
    log = tmp_path / "studio.log"
    studio = _start_studio(settings, service, log)
    try:
        job = service.submit("selftest.count", {"n": 3000, "interval_s": 0.01})
        wait_until(lambda: service.get(job.id).progress > 0.02, 60, "the job to run in the studio's runner")
        worker = service.get(job.id).pid
        studio.send_signal(signal.SIGKILL)
        studio.wait(10)
    finally:
        if studio.poll() is None:
            studio.kill()
    wait_until(lambda: service.get(job.id).state == "interrupted", 15, "the job to be interrupted")
    wait_until(lambda: not pid_alive(worker), 10, "the worker to end")
    assert service.store.integrity_check() == "ok"
    kept = len(service.metrics(job.id))
    assert kept > 0 and service.logs(job.id)
    studio = _start_studio(settings, service, log)
    try:
        service.jobs.update(job.id, params={**job.params, "interval_s": 0.0})  # finish the rest quickly
        done = service.wait(service.resume(job.id).id, 60)
        assert done.state == "succeeded" and done.attempt == 2 and done.result["started_from"] > 0
        assert len(service.metrics(job.id)) >= kept
    finally:
        studio.terminate()
        studio.wait(30)
    assert service.store.integrity_check() == "ok"


def test_the_jobs_log_shows_the_jobs_own_lines() -> None:
    """The Jobs screen's log: tqdm redraws and a library's FutureWarning (with its ``warnings.warn(`` line) are
    left out; the job's own progress lines stay, in order."""
    from studio.job_view import job_log_lines

    raw = (
        "documents: 12 windows of 256 tokens\n"
        "Generating:  40%|████      | 4/10 [00:03<00:05,  1.2it/s]\rGenerating: 100%|██████████| 10/10 [00:08<00:00]\n"
        "/venv/transformers/modeling_utils.py:3303: FutureWarning: `is_gradient_checkpointing` is deprecated\n"
        "  warnings.warn(\n"
        "  5%|▌         | 1/20 [00:02<00:40,  2.10s/it]\n"
        "documents: step 10 of 20, loss 2.31\n"
    )
    assert job_log_lines(raw) == "documents: 12 windows of 256 tokens\ndocuments: step 10 of 20, loss 2.31"
    assert job_log_lines("\n".join(f"line {i}" for i in range(100)), keep=3) == "line 97\nline 98\nline 99"
