"""Submit workers to an existing Ray cluster through the Ray Jobs API (optional extra ``cluster``).

A Ray job runs ``python -m backend.jobs.worker JOB --gateway URL`` on whichever node Ray picks. It never
sees the data directory: the worker reads its job, reports progress, metrics and logs, and sends its
artifacts back through the runner's gateway (:mod:`backend.jobs.gateway`), which this executor starts in
the runner's process on first use. Only the project itself must be importable on the nodes
(``PYTHONPATH`` points at this checkout's path). The gateway listens on ``gateway_host:gateway_port``
(``$PAST_GATEWAY_HOST``, default 127.0.0.1; ``$PAST_GATEWAY_PORT``, default any free port); on a real
cluster listen on an address the nodes reach (e.g. 0.0.0.0) and set ``$PAST_GATEWAY_ADVERTISE`` to the
head's address as the nodes see it. Stop = ``stop_job`` (Ray sends SIGTERM, then SIGKILL after its own
grace period).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import threading
from pathlib import Path

from backend.jobs.errors import JobError
from backend.jobs.executors.base import PROJECT_ROOT, LaunchRequest
from backend.jobs.gateway.client import TOKEN_ENV
from backend.jobs.gateway.server import JobGateway
from backend.jobs.process import RUNNER_PID_ENV
from past.settings import Settings

_EXIT = {"SUCCEEDED": 0, "FAILED": 1, "STOPPED": -15}
GATEWAY_HOST_ENV = "PAST_GATEWAY_HOST"
GATEWAY_PORT_ENV = "PAST_GATEWAY_PORT"
GATEWAY_ADVERTISE_ENV = "PAST_GATEWAY_ADVERTISE"
LOCAL_ONLY_ENV = {RUNNER_PID_ENV, "CUDA_VISIBLE_DEVICES"}  # the runner is not local there; Ray assigns GPUs


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

    def __init__(self, client, submission_id: str, request: LaunchRequest, gateway: JobGateway) -> None:
        self.client, self.external_id, self.request, self.gateway = client, submission_id, request, gateway
        self._code: int | None = None

    def poll(self) -> int | None:
        if self._code is not None:
            return self._code
        status = str(self.client.get_job_status(self.external_id))
        status = status.split(".")[-1]
        if status not in _EXIT:
            return None
        self._code = _EXIT[status]
        if not self.gateway.heard_from(self.request.job_id):  # it failed before reaching us: Ray's log says why
            with contextlib.suppress(Exception), open(self.request.log_path, "a") as log:
                log.write(self.client.get_job_logs(self.external_id))
        self.gateway.unregister(self.request.job_id)
        return self._code

    def terminate(self) -> None:
        with contextlib.suppress(Exception):
            self.client.stop_job(self.external_id)

    def kill(self) -> None:
        self.terminate()


class RayExecutor:
    name = "ray"

    def __init__(
        self,
        address: str,
        python: str = "python",
        gateway_host: str | None = None,
        gateway_port: int | None = None,
        gateway_advertise: str | None = None,
    ) -> None:
        self.address, self.python = address, python
        self.gateway_host = gateway_host or os.environ.get(GATEWAY_HOST_ENV) or "127.0.0.1"
        self.gateway_port = gateway_port if gateway_port is not None else int(os.environ.get(GATEWAY_PORT_ENV, "0"))
        self.gateway_advertise = gateway_advertise or os.environ.get(GATEWAY_ADVERTISE_ENV)
        self._client_obj = None
        self._gateway: JobGateway | None = None
        self._lock = threading.Lock()

    @property
    def client(self):
        if self._client_obj is None:
            self._client_obj = _client(self.address)
        return self._client_obj

    def gateway(self, data_dir: Path) -> JobGateway:
        """The gateway for ``data_dir``'s store, started on first use."""
        with self._lock:
            if self._gateway is None:
                settings = Settings.load(data_dir)
                self._gateway = JobGateway(settings, self.gateway_host, self.gateway_port, self.gateway_advertise)
            return self._gateway

    def entrypoint(self, request: LaunchRequest) -> str:
        url = self.gateway(request.data_dir).url
        return shlex.join([self.python, "-m", "backend.jobs.worker", request.job_id, "--gateway", url])

    def runtime_env(self, request: LaunchRequest, token: str) -> dict:
        env = {"PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1", TOKEN_ENV: token}
        env.update({k: v for k, v in request.env.items() if k not in LOCAL_ONLY_ENV})
        return {"env_vars": env}

    def launch(self, request: LaunchRequest) -> RayHandle:
        opts = request.options
        gateway = self.gateway(request.data_dir)
        token = gateway.register(request.job_id)
        submission_id = f"past-{request.job_id}-a{request.attempt}"
        gpus = [g for g in request.env.get("CUDA_VISIBLE_DEVICES", "").split(",") if g.strip()]
        try:
            self.client.submit_job(
                entrypoint=self.entrypoint(request),
                submission_id=submission_id,
                runtime_env=self.runtime_env(request, token),
                entrypoint_num_cpus=opts.get("num_cpus", 1),
                entrypoint_num_gpus=opts.get("num_gpus", len(gpus)),
                metadata={"past_job_id": request.job_id},
            )
        except BaseException:
            gateway.unregister(request.job_id)
            raise
        request.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(request.log_path, "a") as log:
            log.write(
                f"==> attempt {request.attempt}: submitted to Ray at {self.address} as {submission_id}; "
                f"the worker reports through {gateway.url}\n"
            )
        return RayHandle(self.client, submission_id, request, gateway)

    def stop_orphan(self, pid: int | None, pid_started: float | None, external_id: str | None) -> None:
        del pid, pid_started
        if external_id:
            with contextlib.suppress(Exception):
                self.client.stop_job(external_id)

    def close(self) -> None:
        """Stop the gateway (the runner is stopping)."""
        with self._lock:
            if self._gateway is not None:
                self._gateway.close()
                self._gateway = None
