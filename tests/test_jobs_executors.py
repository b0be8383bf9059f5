"""Executors: accelerate launch (command + a real CPU run), Ray Jobs API against a real local head."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backend.jobs import JobRunner, JobSpecError
from backend.jobs.executors import AccelerateExecutor, LaunchRequest, LocalProcessExecutor
from tests.conftest import free_port
from tests.jobs_support import job_settings, service, wait_until  # noqa: F401 - fixtures


def test_accelerate_command_passes_config_and_options_through(tmp_path):
    config = tmp_path / "fsdp.yaml"
    config.write_text("distributed_type: FSDP\n")
    request = LaunchRequest(
        job_id="abc",
        attempt=1,
        data_dir=tmp_path,
        log_path=tmp_path / "l.log",
        options={"config_file": str(config), "num_processes": 4, "mixed_precision": "bf16", "extra_args": ["--x"]},
    )
    argv = AccelerateExecutor(python="/py").command(request)
    assert argv[:3] == ["/py", "-m", "accelerate.commands.launch"]
    assert argv[argv.index("--config_file") + 1] == str(config)
    assert argv[argv.index("--num_processes") + 1] == "4" and "--mixed_precision" in argv and "--cpu" not in argv
    assert argv[-5:] == ["-m", "backend.jobs.worker", "abc", "--data-dir", str(tmp_path)]
    assert argv.index("--x") < argv.index("backend.jobs.worker")
    local = LocalProcessExecutor().command(request)
    assert local[1:] == ["-m", "backend.jobs.worker", "abc", "--data-dir", str(tmp_path)]


def test_accelerate_options_are_validated_at_submit(service):  # noqa: F811
    with pytest.raises(JobSpecError, match="unknown accelerate option"):
        service.submit("selftest.count", executor="accelerate", executor_options={"gpus": 2})
    with pytest.raises(JobSpecError, match=r"accelerate config file /nope\.yaml does not exist"):
        service.submit("selftest.count", executor="accelerate", executor_options={"config_file": "/nope.yaml"})


@pytest.mark.slow
def test_accelerate_launch_runs_a_real_cpu_job(job_settings, service):  # noqa: F811
    runner = JobRunner(job_settings, slots={"cpu": 1}).start()
    try:
        job = service.submit(
            "selftest.count",
            {"n": 3, "interval_s": 0.0},
            executor="accelerate",
            executor_options={"cpu": True, "num_processes": 1},
        )
        done = service.wait(job.id, 120)
    finally:
        runner.stop()
    log = service.log_tail(job.id)
    assert done.state == "succeeded", log
    assert "accelerate.commands.launch --cpu --num_processes 1 -m backend.jobs.worker" in log
    assert done.result["count"] == 3


def _ray_cli() -> str | None:
    candidate = Path(sys.executable).parent / "ray"
    return str(candidate) if candidate.exists() else shutil.which("ray")


@pytest.fixture
def ray_head(tmp_path):
    pytest.importorskip("ray", reason="ray is not installed (optional extra `cluster`)")
    ray = _ray_cli()
    if ray is None:
        pytest.skip("the ray CLI is not installed")
    port, dashboard = free_port(), free_port()
    start = [
        ray,
        "start",
        "--head",
        "--node-ip-address",
        "127.0.0.1",
        "--port",
        str(port),
        "--dashboard-host",
        "127.0.0.1",
        "--dashboard-port",
        str(dashboard),
        "--include-dashboard",
        "true",
        "--num-cpus",
        "1",
        "--disable-usage-stats",
    ]
    proc = subprocess.run(start, capture_output=True, text=True, timeout=180)
    try:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield f"http://127.0.0.1:{dashboard}"
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)


@pytest.mark.slow
def test_ray_executor_runs_and_cancels_jobs_on_a_real_local_head(job_settings, service, ray_head):  # noqa: F811
    from backend.jobs.executors.ray import RayExecutor

    executors = {"local": LocalProcessExecutor(), "ray": RayExecutor(ray_head, python=sys.executable)}
    runner = JobRunner(job_settings, slots={"cpu": 2}, executors=executors, grace_s=20).start()
    try:
        job = service.submit("selftest.count", {"n": 5, "interval_s": 0.01}, executor="ray")
        done = service.wait(job.id, 120)
        assert done.state == "succeeded", service.log_tail(job.id)
        assert done.external_id == f"past-{job.id}-a1" and done.pid is None
        # the Ray driver log is copied into ours once the runner sees the Ray job end
        wait_until(lambda: "counting from 0 to 5" in service.log_tail(job.id), 30, "the Ray driver log")
        assert len(service.metrics(job.id)) == 5
        long = service.submit("selftest.count", {"n": 100_000, "interval_s": 0.02}, executor="ray")
        wait_until(lambda: service.get(long.id).progress > 0, 120, "the Ray job to report progress")
        service.cancel(long.id)
        cancelled = service.wait(long.id, 60)
        assert cancelled.state == "cancelled", cancelled
    finally:
        runner.stop()
