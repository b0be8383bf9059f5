"""Faults: killed workers, a killed runner process, concurrent submitters, full or read-only disks."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from backend.jobs import JobRunner, JobService, StorageError
from backend.jobs import artifacts as artifacts_module
from backend.store import StoreError
from past.errors import ConfigError
from past.settings import Settings
from tests.jobs_support import (  # noqa: F401 - fixtures
    ROOT,
    job_settings,
    past_cli,
    pid_alive,
    runner,
    service,
    start_daemon,
    wait_until,
)


def test_kill_9_of_a_worker_fails_that_job_only_and_keeps_its_logs(service, runner):  # noqa: F811
    victim = service.submit("selftest.count", {"n": 10_000, "interval_s": 0.01})
    other = service.submit("selftest.count", {"n": 60, "interval_s": 0.02})
    wait_until(lambda: len(service.metrics(victim.id)) > 5 and service.get(other.id).progress > 0, what="both")
    os.kill(service.get(victim.id).pid, signal.SIGKILL)
    killed = service.wait(victim.id, 30)
    assert killed.state == "failed" and killed.error == "the worker killed by signal SIGKILL (logs kept)"
    messages = [e["message"] for e in service.logs(victim.id)]
    assert messages[0].startswith(f"job {victim.id} (selftest.count) attempt 1 started")
    assert len(service.metrics(victim.id)) > 0
    assert "counting from 0 to 10000" in service.log_tail(victim.id)
    assert service.wait(other.id, 60).state == "succeeded"
    after = service.wait(service.submit("selftest.count", {"n": 2}).id, 30)  # the runner still serves
    assert after.state == "succeeded"


def test_kill_9_of_the_runner_process_then_restart_reconciles_and_resumes(job_settings, service, tmp_path):  # noqa: F811
    daemon = start_daemon(job_settings, tmp_path / "daemon.log", "--cpu-slots", "3")
    try:
        # a: worker survives the runner and stops itself; b: worker dies with it; c: worker ignores stop (hung)
        a = service.submit("selftest.count", {"n": 3000, "interval_s": 0.02})
        b = service.submit("selftest.count", {"n": 3000, "interval_s": 0.02})
        c = service.submit("selftest.count", {"n": 3000, "interval_s": 0.02, "ignore_stop": True})
        wait_until(lambda: all(service.get(j.id).progress >= 0.01 for j in (a, b, c)), 60, "all three running")
        second = past_cli(job_settings, "job", "daemon")
        assert second.returncode == 2 and "another job runner already serves" in second.stderr
        pids = {j.id: service.get(j.id).pid for j in (a, b, c)}
        # b is frozen first so that its runner watchdog cannot notice the runner's death before b itself dies
        os.kill(pids[b.id], signal.SIGSTOP)
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(10)
        os.kill(pids[b.id], signal.SIGKILL)
    finally:
        with contextlib.suppress(ProcessLookupError):
            daemon.kill()
    wait_until(lambda: service.get(a.id).state == "interrupted", 15, "a to notice its runner died")
    assert "the job runner died" in service.get(a.id).error
    assert service.get(b.id).state == "running" and service.get(c.id).state == "running"  # nobody knows yet
    assert pid_alive(pids[c.id])

    restarted = JobRunner(job_settings, slots={"cpu": 3}, grace_s=1.5).start()
    try:
        for job in (b, c):
            rec = service.get(job.id)
            assert rec.state == "interrupted" and "resume with `past job resume" in rec.error
            assert any("interrupted" in e["message"] for e in service.logs(job.id))
            assert len(service.metrics(job.id)) > 0  # what it wrote before the crash is kept
        wait_until(lambda: not pid_alive(pids[c.id]), 10, "the orphaned worker to be killed")
        assert service.store.integrity_check() == "ok"
        for job in (a, b, c):  # the rest of the count quickly (and c no longer ignores stop)
            service.jobs.update(job.id, params={**job.params, "interval_s": 0.0, "ignore_stop": False})
            service.resume(job.id)
        for job in (a, b, c):
            done = service.wait(job.id, 90)
            assert done.state == "succeeded" and done.attempt == 2, done
            assert done.result["started_from"] > 0  # continued from its checkpoint
    finally:
        restarted.stop()
    assert service.store.integrity_check() == "ok"


SUBMITTER = """
import sys
from backend.jobs import JobService
from past.settings import Settings
svc = JobService(Settings.load(sys.argv[1]))
for name in sys.argv[2:]:
    svc.submit("selftest.count", {"n": 1, "interval_s": 0.0, "metrics_per_step": 20}, name=name)
"""


def test_20_concurrent_submissions_from_threads_and_processes(job_settings, service):  # noqa: F811
    busy = JobRunner(job_settings, slots={"cpu": 3}).start()
    try:
        noisy = service.submit("selftest.count", {"n": 10**6, "interval_s": 0.001, "metrics_per_step": 20})
        names = [f"job-{i:02d}" for i in range(20)]
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SUBMITTER, str(job_settings.data_dir), *names[i : i + 2]],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(0, 10, 2)
        ]
        errors: list[BaseException] = []

        def submit(batch: list[str]) -> None:
            svc = JobService(job_settings)
            try:
                for name in batch:
                    svc.submit("selftest.count", {"n": 1, "interval_s": 0.0}, name=name, client_token=name)
                    svc.submit("selftest.count", {"n": 1}, name=name, client_token=name)  # a retried request
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=submit, args=(names[i : i + 2],)) for i in range(10, 20, 2)]
        for t in threads:
            t.start()
        outputs = [p.communicate(timeout=120) for p in procs]
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert all(p.returncode == 0 for p in procs), outputs
        assert not any("locked" in err for _, err in outputs)
        rows = service.store.query("SELECT name, count(*) AS n FROM jobs WHERE name IS NOT NULL GROUP BY name")
        assert {r["name"]: r["n"] for r in rows} == dict.fromkeys(names, 1)
        ids = [j.id for j in service.list(limit=100) if j.name]
        assert sorted(service.wait(i, 120).state for i in ids) == ["succeeded"] * 20
        assert service.get(noisy.id).state == "running" and len(service.metrics(noisy.id)) > 1000
        service.cancel(noisy.id)
        assert service.wait(noisy.id, 30).state == "cancelled"
    finally:
        busy.stop()
    assert service.store.integrity_check() == "ok"


@pytest.fixture
def tiny_tmpfs(tmp_path: Path):
    """A 1 MiB tmpfs (we run as root in CI); skipped where mounting is not permitted."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(mount_point)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.decode().strip()}); the injected-ENOSPC test covers it")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_disk_full_fails_the_job_with_no_half_written_artifact(job_settings, service, runner, tiny_tmpfs):  # noqa: F811
    job = service.submit("selftest.count", {"n": 2, "interval_s": 0})
    # put this job's artifact directory on the full disk; the store stays where it is
    job_dir = service.artifacts.job_dir(job.id)
    job_dir.parent.mkdir(parents=True, exist_ok=True)
    job_dir.symlink_to(tiny_tmpfs)
    assert service.wait(job.id, 30).state == "succeeded"
    big = service.submit("selftest.count", {"n": 2, "interval_s": 0, "artifact_mb": 2.0})
    big_dir = service.artifacts.job_dir(big.id)
    (tiny_tmpfs / "big").mkdir()
    big_dir.symlink_to(tiny_tmpfs / "big")
    done = service.wait(big.id, 30)
    assert done.state == "failed" and "is full" in done.error, done.error
    assert sorted(p.name for p in big_dir.iterdir()) == ["checkpoints"]  # no blob.bin, no temp file
    assert json.loads((job_dir / "count.json").read_text())["count"] == 2  # earlier artifacts intact


def test_atomic_write_leaves_nothing_on_enospc(tmp_path, monkeypatch):
    target = tmp_path / "out" / "weights.bin"
    target.parent.mkdir()
    target.write_bytes(b"old")

    def full(handle, data):
        handle.write(data[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(artifacts_module, "_write_all", full)
    with pytest.raises(StorageError, match="is full"):
        artifacts_module.atomic_write(target, b"x" * 1000)
    assert target.read_bytes() == b"old" and sorted(p.name for p in target.parent.iterdir()) == ["weights.bin"]


def test_read_only_data_dir_gives_clear_errors(tmp_path):
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4M", "tmpfs", str(mount_point)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        settings = Settings.load(mount_point / "data").ensure()
        writer = JobService(settings)
        writer.submit("selftest.count")
        writer.store.close()
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        with pytest.raises(ConfigError, match="is not writable"):
            settings.ensure()
        with pytest.raises(StoreError, match=r"cannot open the store .* Check that the data directory is writable"):
            JobService(settings)
        with pytest.raises(StorageError, match="not writable"):
            artifacts_module.ArtifactStore(settings).write_bytes("j1", "x.json", b"{}")
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_atomic_dir_publishes_whole_directories_only(job_settings):  # noqa: F811
    store = artifacts_module.ArtifactStore(job_settings)
    with store.atomic_dir("j1", "model") as tmp:
        (tmp / "config.json").write_text("{}")
        (tmp / "model.safetensors").write_bytes(b"v1")
    target = store.job_dir("j1") / "model"
    assert sorted(p.name for p in target.iterdir()) == ["config.json", "model.safetensors"]
    with pytest.raises(StorageError, match="is full"), store.atomic_dir("j1", "model") as tmp:
        (tmp / "model.safetensors").write_bytes(b"v2-partial")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert (target / "model.safetensors").read_bytes() == b"v1"  # the old directory is untouched
    assert sorted(p.name for p in store.job_dir("j1").iterdir()) == ["model"]  # no .partial left
