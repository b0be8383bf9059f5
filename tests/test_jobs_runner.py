"""The job runner with real worker processes: DAGs, priorities, slots, timeout, cancel, retry."""

from __future__ import annotations

import json

import pytest

from backend.jobs import JobRunner, JobStateError, RunnerBusyError
from tests.jobs_support import job_settings, pid_alive, runner, service, wait_until  # noqa: F401 - fixtures


def test_dag_runs_in_order_and_consumes_upstream_artifacts(service, runner):  # noqa: F811
    a = service.submit("selftest.count", {"n": 4, "interval_s": 0.01})
    b = service.submit("selftest.count", {"n": 3, "interval_s": 0.01}, inputs={"previous": a.id})
    c = service.submit("selftest.count", {"n": 2, "interval_s": 0.01}, inputs={"previous": b.id}, after=[a.id])
    done = [service.wait(j.id, 60) for j in (a, b, c)]
    assert [j.state for j in done] == ["succeeded"] * 3
    assert done[0].finished_at <= done[1].started_at and done[1].finished_at <= done[2].started_at
    assert [j.result["offset"] for j in done] == [0, 4, 7]  # each read its upstream's count.json by id
    assert service.metrics(c.id)[-1]["value"] == 9.0
    assert json.loads((service.artifacts.job_dir(c.id) / "result.json").read_text())["count"] == 2
    assert done[2].progress == 1.0 and done[2].message == "done"


def test_failed_dependency_cancels_dependents_and_retry_revives_them(service, runner):  # noqa: F811
    bad = service.submit("selftest.count", {"n": 3, "fail_at": 1, "interval_s": 0})
    child = service.submit("selftest.count", {"n": 1}, inputs={"previous": bad.id})
    grandchild = service.submit("selftest.count", {"n": 1}, after=[child.id])
    assert service.wait(bad.id, 60).state == "failed"
    assert "RuntimeError: selftest failure at 1" in service.get(bad.id).error
    child_done = service.wait(child.id, 30)
    assert child_done.state == "cancelled" and f"dependency {bad.id} (selftest.count) failed" in child_done.error
    assert service.wait(grandchild.id, 30).state == "cancelled"
    assert "Traceback" in service.log_tail(bad.id)  # the worker's stderr is in the job's log file
    assert any(e["level"] == "error" for e in service.logs(bad.id))
    service.jobs.update(bad.id, params={**bad.params, "fail_at": None})  # "fix" the cause, then retry
    service.retry(bad.id, fresh=True)
    assert [service.wait(j.id, 60).state for j in (bad, child, grandchild)] == ["succeeded"] * 3
    assert service.get(bad.id).result["started_from"] == 0  # fresh: the checkpoint was discarded


def test_priorities_and_cpu_slots(job_settings, service):  # noqa: F811
    low = service.submit("selftest.count", {"n": 2, "interval_s": 0.05}, priority=0)
    high = service.submit("selftest.count", {"n": 2, "interval_s": 0.05}, priority=10)
    mid = service.submit("selftest.count", {"n": 2, "interval_s": 0.05}, priority=5)
    gpu = service.submit("selftest.count", {"n": 1}, resources=["gpu"])
    one_slot = JobRunner(job_settings, slots={"cpu": 1}).start()
    try:
        jobs = [service.wait(j.id, 60) for j in (high, mid, low)]
        failed_gpu = service.wait(gpu.id, 30)
    finally:
        one_slot.stop()
    assert [j.state for j in jobs] == ["succeeded"] * 3
    assert jobs[0].claimed_at < jobs[1].claimed_at < jobs[2].claimed_at
    assert jobs[0].finished_at <= jobs[1].claimed_at and jobs[1].finished_at <= jobs[2].claimed_at  # one at a time
    assert failed_gpu.state == "failed" and "no slot for resources ['gpu']" in failed_gpu.error


def test_timeout_fails_the_job(service, runner):  # noqa: F811
    job = service.submit("selftest.count", {"n": 10_000, "interval_s": 0.05}, timeout_s=1.0)
    done = service.wait(job.id, 30)
    assert done.state == "failed" and done.error.startswith("timed out after 1 s (stopped cleanly)")
    assert done.finished_at - done.claimed_at < 6


def test_cancel_is_cooperative_first(service, runner):  # noqa: F811
    job = service.submit("selftest.count", {"n": 10_000, "interval_s": 0.02})
    wait_until(lambda: service.get(job.id).progress > 0, what="progress")
    service.cancel(job.id)
    done = service.wait(job.id, 30)
    assert done.state == "cancelled" and done.error == "cancelled (stopped cleanly)"
    assert any(e["message"].startswith("stopped at") for e in service.logs(job.id))
    wait_until(lambda: service.get(job.id).exit_code == 2, 10, "the worker to exit by itself (2 = stopped)")


def test_a_job_that_stops_by_raising_is_cancelled_not_failed(service, runner):  # noqa: F811
    """The pipeline's stages stop by raising StoppedError (a PastError): Stop must still read 'cancelled'."""
    job = service.submit("selftest.count", {"n": 10_000, "interval_s": 0.02, "raise_on_stop": True})
    wait_until(lambda: service.get(job.id).progress > 0, what="progress")
    service.cancel(job.id)
    done = service.wait(job.id, 30)
    assert done.state == "cancelled", done.error
    assert done.error.startswith("cancelled (stopped cleanly): stopped on request at ") and "rerun" in done.error
    wait_until(lambda: service.get(job.id).exit_code == 2, 10, "the worker to exit by itself (2 = stopped)")


def test_cancel_forced_after_grace_kills_the_whole_tree(service, runner):  # noqa: F811
    job = service.submit("selftest.count", {"n": 10_000, "interval_s": 0.02, "spawn_child": True, "ignore_stop": True})
    marker = service.artifacts.job_dir(job.id) / "grandchild.json"
    wait_until(lambda: service.get(job.id).progress > 0 and marker.exists(), what="the grandchild")
    grandchild = json.loads(marker.read_text())["pid"]
    worker = service.get(job.id).pid
    assert pid_alive(grandchild) and pid_alive(worker)
    service.cancel(job.id)
    done = service.wait(job.id, 30)
    assert done.state == "cancelled" and done.error == "cancelled (killed after the grace period)"
    wait_until(lambda: service.get(job.id).exit_code == -9, 10, "the worker's SIGKILL exit")
    wait_until(lambda: not pid_alive(grandchild) and not pid_alive(worker), 10, "the tree to die")


def test_retry_resumes_from_the_checkpoint(service, runner):  # noqa: F811
    job = service.submit("selftest.count", {"n": 30, "interval_s": 0.02, "fail_at": 12})
    assert service.wait(job.id, 30).state == "failed"
    # retry with the same params would fail again at 12: resume goes past it only from the checkpoint
    assert (service.artifacts.checkpoint_dir(job.id) / "count.txt").read_text() == "12"
    service.jobs.update(job.id, params={**job.params, "fail_at": None})
    again = service.wait(service.retry(job.id).id, 30)
    assert again.state == "succeeded" and again.attempt == 2 and again.result["started_from"] == 12
    with pytest.raises(JobStateError, match="is succeeded"):
        service.retry(job.id)


def test_one_runner_per_data_dir(job_settings, runner):  # noqa: F811
    with pytest.raises(RunnerBusyError, match="another job runner already serves"):
        JobRunner(job_settings).start()


def test_cli_follows_shows_and_cancels_jobs(job_settings, service, runner):  # noqa: F811
    from tests.jobs_support import past_cli

    ran = past_cli(job_settings, "job", "submit", "selftest.count", "-p", "n=3", "-p", "interval_s=0", "--wait")
    job_id = ran.stdout.splitlines()[0]
    assert ran.returncode == 0, ran.stderr
    assert "counting from 0 to 3" in ran.stdout and f"job {job_id} succeeded" in ran.stderr
    shown = json.loads(past_cli(job_settings, "job", "show", job_id, "--json").stdout)
    assert shown["state"] == "succeeded" and shown["latest_metrics"]["value"] == {"step": 3, "value": 3.0}
    long = service.submit("selftest.count", {"n": 100_000, "interval_s": 0.02})
    wait_until(lambda: service.get(long.id).state == "running", what="the long job to start")
    cancelled = past_cli(job_settings, "job", "cancel", long.id)
    assert cancelled.returncode == 0 and "(stop requested)" in cancelled.stdout
    assert service.wait(long.id, 30).state == "cancelled"
    with pytest.raises(JobStateError, match=f"job {long.id} is already cancelled"):
        service.cancel(long.id)


def test_gpu_slots_are_granted_and_passed_to_the_worker(job_settings, service):  # noqa: F811
    from backend.jobs.slots import SlotPool

    pool = SlotPool({"cpu": 1, "gpu:0": 1, "gpu:1": 1})
    assert pool.try_acquire(["gpu:1"]) == ["gpu:1"]
    assert pool.try_acquire(["gpu", "gpu"]) is None  # only gpu:0 is left
    assert pool.try_acquire(["cpu", "gpu"]) == ["cpu", "gpu:0"]
    assert not pool.can_ever(["gpu"] * 3) and pool.can_ever(["gpu", "gpu"])
    # a CPU-only machine pretending to have two GPUs: the plumbing (slot -> CUDA_VISIBLE_DEVICES) is real
    two_gpus = JobRunner(job_settings, slots={"cpu": 1, "gpu:0": 1, "gpu:1": 1}).start()
    try:
        on_gpu1 = service.submit("selftest.count", {"n": 1}, resources=["gpu:1"])
        on_cpu = service.submit("selftest.count", {"n": 1})
        assert service.wait(on_gpu1.id, 30).state == "succeeded" and service.wait(on_cpu.id, 30).state == "succeeded"
    finally:
        two_gpus.stop()
    assert "with CUDA_VISIBLE_DEVICES=1" in service.logs(on_gpu1.id)[0]["message"]
    assert service.logs(on_cpu.id)[0]["message"].endswith("with CUDA_VISIBLE_DEVICES=")  # CPU jobs see none


def test_embedded_runner_steps_aside_for_a_running_one(job_settings, service, runner):  # noqa: F811
    import os

    from backend.jobs import start_embedded

    assert start_embedded(job_settings) is None
    assert service.runner_status()["runner_id"] == runner.runner_id
    assert service.runner_status()["pid"] == os.getpid()


def test_runner_status_tells_a_live_runner_from_a_stale_lease(service, runner):  # noqa: F811
    assert service.runner_status()["alive"] is True
    with service.store.write() as db:
        db.execute("UPDATE runner_lease SET pid = 999999999")  # as left by a runner that was killed
    assert service.runner_status()["alive"] is False
