"""Executors: accelerate launch (command + a real CPU run), Ray Jobs API against a real local head."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
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


@pytest.mark.slow
def test_two_ranks_under_accelerate_do_once_only_work_once(job_settings, service):  # noqa: F811
    runner = JobRunner(job_settings, slots={"cpu": 1}).start()
    try:
        job = service.submit(
            "selftest.ranks",
            {"n": 12, "prepare_s": 1.0},
            executor="accelerate",
            executor_options={"cpu": True, "num_processes": 2, "main_process_port": free_port()},
        )
        done = service.wait(job.id, 300)
    finally:
        runner.stop()
    log = service.log_tail(job.id)
    assert done.state == "succeeded", log
    assert done.result["world_size"] == 2 and "started in pid" in log and "as 2 ranks" in log
    assert "rank 0 of 2: 6 item(s)" in log and "rank 1 of 2: 6 item(s)" in log  # each rank did its share
    # once-only work happened once: one store row, one log line, one copy of each file
    assert len(service.store.query("SELECT id FROM jobs WHERE id = ?", (job.id,))) == 1
    events = [e["message"] for e in service.events.logs(job.id)]
    assert events.count("prepared the shared input on the main rank") == 1
    assert [m["value"] for m in service.metrics(job.id)] == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]  # rank 0 reports
    job_dir = job_settings.artifacts_dir / job.id
    assert sorted(p.name for p in job_dir.iterdir()) == ["prepared.json", "result.json", "summary.json"]
    published_root = job_settings.data_dir / "selftest"
    assert [p.name for p in published_root.iterdir()] == [job.id]  # no staging directory left behind
    published = json.loads((published_root / job.id / "published.json").read_text())
    assert published["rank"] == 0
    # the other rank waited: it read the input after the main rank wrote it, went on after it published
    written_at = json.loads((job_dir / "prepared.json").read_text())["written_at"]
    read_at = float(re.search(r"rank 1 read the prepared input at ([\d.]+)", log)[1])
    past_barrier = float(re.search(r"rank 1 got past the publishing barrier at ([\d.]+)", log)[1])
    assert read_at >= written_at and past_barrier >= published["at"]


def _ray_cli() -> str | None:
    candidate = Path(sys.executable).parent / "ray"
    return str(candidate) if candidate.exists() else shutil.which("ray")


WORKER_STARTS = 4  # a worker node is started at most this often (start-up timeouts on a loaded machine)


class LocalRayCluster:
    """A Ray head and worker nodes on this machine, each ``ray start --block`` in its own session, so that stopping
    it stops exactly these processes (not other tests' Ray). The head is a node with one CPU too: each node costs a
    whole set of Ray processes (GCS or raylet, dashboard agent, log monitor), ~15 s to start on two cores."""

    def __init__(self, ray: str, root: Path) -> None:
        self.ray, self.root = ray, root
        self.port, self.dashboard = free_port(), free_port()
        self.address = f"http://127.0.0.1:{self.dashboard}"
        self.temp = Path(tempfile.mkdtemp(prefix="ray-"))  # short: Ray's socket paths must stay under 108 bytes
        self.nodes: list[subprocess.Popen] = []
        self.workers: dict[str, tuple[subprocess.Popen, dict[str, str], int]] = {}  # name → (node, env, starts)

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - the node keeps it
        cmd = [self.ray, "start", "--block", "--node-ip-address", "127.0.0.1", "--disable-usage-stats", *args]
        cmd += ["--dashboard-agent-listen-port", str(free_port())]  # Ray's fixed default clashes between nodes
        node = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}, start_new_session=True
        )
        self.nodes.append(node)
        return node

    def start_head(self, env: dict[str, str]) -> None:
        """The head, with one CPU (it runs one job at a time, like a worker node) and ``env``."""
        head = ["--head", "--port", str(self.port), "--num-cpus", "1", "--temp-dir", str(self.temp)]
        head += ["--ray-client-server-port", str(free_port())]  # not the fixed 10001 another Ray may hold
        dashboard = ["--include-dashboard", "true", "--dashboard-host", "127.0.0.1"]
        slow_machine = {"RAY_DASHBOARD_STARTUP_TIMEOUT_S": "600"}  # Ray's 60 s are too short on a busy CI machine
        self._start("head", [*head, *dashboard, "--dashboard-port", str(self.dashboard)], {**slow_machine, **env})
        from ray.job_submission import JobSubmissionClient

        deadline = time.monotonic() + 600
        while True:
            try:
                JobSubmissionClient(self.address).list_jobs()
                return
            except Exception:
                if time.monotonic() > deadline or self.nodes[0].poll() is not None:
                    raise RuntimeError((self.root / "head.log").read_text()) from None
                time.sleep(1)

    def add_worker(self, name: str, env: dict[str, str]) -> None:
        """A worker node with one CPU (so that one job runs on it at a time)."""
        self.workers[name] = (self._start(name, self._worker_args(), env), env, 1)

    def _worker_args(self) -> list[str]:
        return ["--address", f"127.0.0.1:{self.port}", "--num-cpus", "1"]

    def _restart_dead_workers(self) -> None:
        """A worker whose start timed out (Ray waits a fixed 30 s for its raylet, too short on a loaded machine) is
        started again, up to ``WORKER_STARTS`` times in all; then the test fails with its log."""
        for name, (node, env, starts) in list(self.workers.items()):
            if node.poll() is None:
                continue
            if starts >= WORKER_STARTS:
                log = (self.root / f"{name}.log").read_text()[-3000:]
                raise RuntimeError(f"Ray worker {name} died {starts} times:\n{log}")
            self.workers[name] = (self._start(name, self._worker_args(), env), env, starts + 1)

    def wait_for_cpus(self, cpus: int, timeout: float = 600) -> None:
        from ray.util.state import list_nodes

        deadline = time.monotonic() + timeout
        while True:
            try:
                alive = list_nodes(address=self.address, filters=[("state", "=", "ALIVE")], detail=True)
            except Exception:  # the state API answers a while after the dashboard
                alive = []
            if sum(n.resources_total.get("CPU", 0) for n in alive) >= cpus:
                return
            self._restart_dead_workers()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Ray workers did not join within {timeout} s")
            time.sleep(1)

    def stop(self) -> None:
        """Kill every node's process group outright: a graceful ``ray start --block`` shutdown waits ~30 s on
        its own timeouts, and a throwaway test cluster has nothing to save."""
        for node in reversed(self.nodes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.pid, signal.SIGKILL)
        for node in self.nodes:
            node.wait(10)
        shutil.rmtree(self.temp, ignore_errors=True)


SCRATCH = ("node-a", "node-b")


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory):
    """One local Ray cluster for this module (starting and stopping one costs most of a Ray test): two one-CPU
    nodes (the head and a worker), each with its own scratch directory (``root / node-a``, ``root / node-b``)."""
    pytest.importorskip("ray", reason="ray is not installed (optional extra `cluster`)")
    ray = _ray_cli()
    if ray is None:
        pytest.skip("the ray CLI is not installed")
    cluster = LocalRayCluster(ray, tmp_path_factory.mktemp("ray"))
    try:
        head, *others = SCRATCH
        cluster.start_head({"PAST_WORKER_SCRATCH": str(cluster.root / head)})
        for i, name in enumerate(others):
            cluster.add_worker(f"worker-{i}", {"PAST_WORKER_SCRATCH": str(cluster.root / name)})
        cluster.wait_for_cpus(len(SCRATCH))
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.slow
def test_ray_executor_runs_and_cancels_jobs_on_a_real_local_head(job_settings, service, ray_cluster):  # noqa: F811
    from backend.jobs.executors.ray import RayExecutor

    executors = {"local": LocalProcessExecutor(), "ray": RayExecutor(ray_cluster.address, python=sys.executable)}
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


@pytest.mark.slow
def test_ray_workers_on_two_nodes_report_through_the_gateway(job_settings, service, ray_cluster):  # noqa: F811
    from ray.job_submission import JobSubmissionClient

    from backend.jobs.executors.ray import RayExecutor

    scratch = [ray_cluster.root / name for name in SCRATCH]
    executors = {"ray": RayExecutor(ray_cluster.address, python=sys.executable)}
    runner = JobRunner(job_settings, slots={"cpu": 2}, executors=executors, grace_s=20).start()
    try:
        params = {"n": 20, "interval_s": 0.2, "artifact_mb": 0.5}
        pair = [service.submit("selftest.count", params, executor="ray") for _ in range(2)]
        follow = service.submit(
            "selftest.count", {"n": 3, "interval_s": 0.0}, inputs={"previous": pair[0].id}, executor="ray"
        )
        done = [service.wait(job.id, 300) for job in [*pair, follow]]
    finally:
        runner.stop()
    for job in done:
        assert job.state == "succeeded", service.log_tail(job.id)
    infos = [JobSubmissionClient(ray_cluster.address).get_job_info(job.external_id) for job in done]
    assert infos[0].driver_node_id != infos[1].driver_node_id  # the two at once ran on the two nodes
    for info in infos:  # the Ray jobs are never told where the data directory is
        assert str(job_settings.data_dir) not in info.entrypoint + json.dumps(info.runtime_env)
        assert "--gateway http://127.0.0.1:" in info.entrypoint
    places = set()
    for job in done:
        events = " ".join(e["message"] for e in service.events.logs(job.id))
        places |= {i for i, path in enumerate(scratch) if f"scratch {path.resolve()}" in events}
        assert len(service.store.query("SELECT id FROM jobs WHERE id = ?", (job.id,))) == 1
        assert f"counting from 0 to {job.params['n']}" in service.log_tail(job.id)  # stdout, via the gateway
    assert places == {0, 1}
    for job in pair:
        assert [m["value"] for m in service.metrics(job.id)] == [float(i) for i in range(1, 21)]
        files = sorted(p.name for p in (job_settings.artifacts_dir / job.id).rglob("*") if p.is_file())
        assert files == ["blob.bin", "count.json", "count.txt", "result.json"]
    assert done[2].result == {"count": 3, "offset": 20, "started_from": 0}  # read its input's artifact
    # exactly one copy of each artifact: the nodes' scratch holds none once the jobs are done
    ours = {job.id for job in done}  # (the nodes are shared with the module's other Ray test)
    left = [p for path in scratch for p in path.rglob("*") if p.is_file() and "artifacts" in p.parts]
    left = [p for p in left if ours & set(p.parts)]
    assert left == []
