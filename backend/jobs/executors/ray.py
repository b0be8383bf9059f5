"""Submit workers to an existing Ray cluster through the Ray Jobs API (optional extra ``cluster``).

The Ray job's entrypoint is the same worker command as locally; it needs the project importable on
the cluster nodes and the data directory (store and artifacts) on a file system they share with
the runner. Stop = ``stop_job`` (Ray sends SIGTERM, then SIGKILL after its own grace period). The
driver log is copied into the job's log file when the job ends.
"""

from __future__ import annotations

import contextlib
import shlex

from backend.jobs.errors import JobError
from backend.jobs.executors.base import PROJECT_ROOT, LaunchRequest, worker_argv
from backend.jobs.process import RUNNER_PID_ENV

_EXIT = {"SUCCEEDED": 0, "FAILED": 1, "STOPPED": -15}


def _client(address: str):
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError as exc:
        raise JobError("the Ray executor needs the optional extra: pip install 'past-studio[cluster]'") from exc
    try:
        return JobSubmissionClient(address)
    except Exception as exc:
        raise JobError(f"cannot reach the Ray cluster at {address}: {exc}") from exc


class RayHandle:
    pid = None
    pid_started = None

    def __init__(self, client, submission_id: str, request: LaunchRequest) -> None:
        self.client, self.external_id, self.request = client, submission_id, request
        self._code: int | None = None

    def poll(self) -> int | None:
        if self._code is not None:
            return self._code
        status = str(self.client.get_job_status(self.external_id))
        status = status.split(".")[-1]
        if status not in _EXIT:
            return None
        self._code = _EXIT[status]
        with contextlib.suppress(Exception), open(self.request.log_path, "a") as log:
            log.write(self.client.get_job_logs(self.external_id))
        return self._code

    def terminate(self) -> None:
        with contextlib.suppress(Exception):
            self.client.stop_job(self.external_id)

    def kill(self) -> None:
        self.terminate()


class RayExecutor:
    name = "ray"

    def __init__(self, address: str, python: str = "python") -> None:
        self.address, self.python = address, python
        self._client_obj = None

    @property
    def client(self):
        if self._client_obj is None:
            self._client_obj = _client(self.address)
        return self._client_obj

    def entrypoint(self, request: LaunchRequest) -> str:
        return shlex.join(worker_argv(request.job_id, request.data_dir, python=self.python))

    def runtime_env(self, request: LaunchRequest) -> dict:
        env = {"PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1", "PAST_DATA_DIR": str(request.data_dir)}
        env.update({k: v for k, v in request.env.items() if k != RUNNER_PID_ENV})  # the runner is not local there
        return {"env_vars": env}

    def launch(self, request: LaunchRequest) -> RayHandle:
        opts = request.options
        submission_id = f"past-{request.job_id}-a{request.attempt}"
        self.client.submit_job(
            entrypoint=self.entrypoint(request),
            submission_id=submission_id,
            runtime_env=self.runtime_env(request),
            entrypoint_num_cpus=opts.get("num_cpus", 1),
            entrypoint_num_gpus=opts.get("num_gpus", 0),
            metadata={"past_job_id": request.job_id},
        )
        request.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(request.log_path, "a") as log:
            log.write(f"==> attempt {request.attempt}: submitted to Ray at {self.address} as {submission_id}\n")
        return RayHandle(self.client, submission_id, request)

    def stop_orphan(self, pid: int | None, pid_started: float | None, external_id: str | None) -> None:
        del pid, pid_started
        if external_id:
            with contextlib.suppress(Exception):
                self.client.stop_job(external_id)
