"""The remote worker's side of the gateway: a :class:`~backend.jobs.link.JobLink` over HTTP.

The worker runs on another node (a Ray job) in a scratch directory of that node
(``$PAST_WORKER_SCRATCH``, else the system's temporary directory): its job's artifacts are written there,
uploaded to the runner when the job ends and then removed, so the data directory holds the one copy.
Inputs' artifacts and the checkpoints of earlier attempts are downloaded first. Progress, metrics and
log lines go through :class:`GatewaySink`; the process's own stdout/stderr (tracebacks included) is
copied to the job's log file by :class:`OutputPump`. If the gateway stays unreachable for
``lost_after_s`` the job stops as interrupted, as a local worker does when its runner dies.
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from backend.jobs.gateway.transfer import pack_to_temp, receive, unpack
from backend.jobs.reporter import BufferedReporter, LogRow, MetricRow, Progress
from backend.store import JobRecord
from past.errors import PastError
from past.settings import Settings

TOKEN_ENV = "PAST_GATEWAY_TOKEN"
SCRATCH_ENV = "PAST_WORKER_SCRATCH"


class GatewayUnreachableError(PastError):
    """The runner's gateway did not answer."""


class GatewayClient:
    """JSON and tar requests for one job, with a few retries on connection errors."""

    def __init__(self, url: str, job_id: str, token: str, retries: int = 4, timeout: float = 60.0) -> None:
        self.base = f"{url.rstrip('/')}/v1/jobs/{job_id}"
        self.retries = retries
        self.http = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                response = self.http.request(method, self.base + path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise GatewayUnreachableError(
                        f"the job runner's gateway at {self.base} is unreachable: {exc}"
                    ) from exc
                time.sleep(delay)
                delay *= 2
                continue
            if response.status_code >= 400:
                try:
                    reason = response.json().get("error", response.text)
                except ValueError:
                    reason = response.text
                raise PastError(f"the gateway refused {method} {path or '/'}: {reason}")
            return response
        raise AssertionError("unreachable")

    def get(self, path: str = "") -> dict[str, Any]:
        return self._request("GET", path).json()

    def post(self, path: str, body: dict[str, Any] | None = None, content: bytes | None = None) -> dict[str, Any]:
        if content is not None:
            return self._request("POST", path, content=content).json()
        return self._request("POST", path, json=body or {}).json()

    def download(self, path: str, target: Path, scratch: Path) -> int:
        """A tar from ``path`` extracted into ``target``; the number of files."""
        with self.http.stream("GET", self.base + path) as response:
            if response.status_code >= 400:
                response.read()
                raise PastError(f"the gateway refused GET {path}: {response.text}")
            archive = receive(_IterReader(response.iter_bytes()), None, scratch)
        try:
            return len(unpack(archive, target))
        finally:
            archive.unlink(missing_ok=True)

    def upload(self, path: str, directory: Path, scratch: Path) -> dict[str, Any]:
        archive = pack_to_temp(directory, scratch)
        try:
            with open(archive, "rb") as handle:
                size = str(archive.stat().st_size)
                return self._request("PUT", path, content=handle, headers={"Content-Length": size}).json()
        finally:
            archive.unlink(missing_ok=True)

    def close(self) -> None:
        self.http.close()


class _IterReader:
    """A ``read(n)`` view of an iterator of byte chunks."""

    def __init__(self, chunks: Any) -> None:
        self.chunks, self.buffer = iter(chunks), b""

    def read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data


class GatewaySink:
    """Reports posted to the gateway; kept and resent with the next report while it cannot be reached."""

    def __init__(self, client: GatewayClient, lost: threading.Event, lost_after_s: float) -> None:
        self.client, self.lost, self.lost_after_s = client, lost, lost_after_s
        self._last_ok = time.monotonic()
        self._progress: Progress | None = None
        self._metrics: list[MetricRow] = []
        self._logs: list[LogRow] = []

    def write(self, progress: Progress | None, metrics: list[MetricRow], logs: list[LogRow]) -> bool:
        self._progress = progress or self._progress
        self._metrics += metrics
        self._logs += logs
        body = {"progress": self._progress, "metrics": self._metrics, "logs": self._logs}
        try:
            answer = self.client.post("/report", body)
        except GatewayUnreachableError:
            if time.monotonic() - self._last_ok > self.lost_after_s:
                print("the job runner's gateway is gone: stopping", flush=True)
                self.lost.set()
                return True
            raise
        self._last_ok = time.monotonic()
        self._progress, self._metrics, self._logs = None, [], []
        return bool(answer.get("stop"))


class OutputPump:
    """Copies this process's stdout and stderr (file descriptors 1 and 2, so child processes and C code
    too) to the job's log file through the gateway, and still to the original streams (Ray's own log)."""

    def __init__(self, client: GatewayClient, interval: float = 0.5) -> None:
        self.client, self.interval = client, interval
        sys.stdout.flush()
        sys.stderr.flush()
        self._saved = (os.dup(1), os.dup(2))
        self._read, write = os.pipe()
        os.dup2(write, 1)
        os.dup2(write, 2)
        os.close(write)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="output-pump", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        pending, last = b"", time.monotonic()
        while True:
            ready, _, _ = select.select([self._read], [], [], self.interval)
            data = os.read(self._read, 1 << 16) if ready else b""
            if data:
                os.write(self._saved[0], data)
                pending += data
            eof = bool(ready) and not data
            if pending and (eof or self._done.is_set() or time.monotonic() - last >= self.interval):
                try:
                    self.client.post("/output", content=pending)
                    pending = b""
                except PastError:
                    pass  # kept; sent with the next chunk
                last = time.monotonic()
            if eof or (self._done.is_set() and not ready):
                return

    def close(self) -> None:
        """Restore stdout/stderr and send what is left (children still holding the pipe are not waited for)."""
        if self._done.is_set():
            return
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self._saved[0], 1)
        os.dup2(self._saved[1], 2)
        self._done.set()
        self._thread.join(timeout=10)
        os.close(self._read)


class GatewayLink:
    """A worker on another node: everything through the gateway, files in a scratch directory."""

    watches_runner = False

    def __init__(
        self, job_id: str, url: str, token: str, scratch: Path | None = None, lost_after_s: float = 60.0
    ) -> None:
        self.job_id = job_id
        self.client = GatewayClient(url, job_id, token)
        root = scratch or Path(os.environ.get(SCRATCH_ENV) or Path(tempfile.gettempdir()) / "past-worker")
        info = self.client.get()
        self.head_data_dir = info["data_dir"]
        # models provisioned here stay for the node's next jobs; artifacts leave with their job
        self.settings = Settings(data_dir=(root / "data").resolve(), default_model=info["default_model"]).ensure()
        self.scratch = root / "transfers"
        self.lost = threading.Event()
        self.lost_after_s = lost_after_s
        self._reporter: BufferedReporter | None = None
        self._fetched: list[Path] = []
        self._pump = OutputPump(self.client)

    def load(self) -> JobRecord:
        return JobRecord(**self.client.get()["job"])

    def upstream(self, job_id: str) -> JobRecord:
        record = JobRecord(**self.client.get(f"/inputs/{job_id}")["job"])
        target = self.settings.artifacts_dir / job_id
        self.client.download(f"/inputs/{job_id}/artifacts", target, self.scratch)
        self._fetched.append(target)
        return record

    def prepare(self, job: JobRecord, resumable: bool) -> None:
        if resumable and job.resume:
            target = self.settings.artifacts_dir / self.job_id / "checkpoints"
            count = self.client.download("/checkpoints", target, self.scratch)
            print(f"fetched {count} checkpoint file(s) of earlier attempts", flush=True)

    def reporter(self, stop_event: threading.Event) -> BufferedReporter:
        if self._reporter is None:
            sink = GatewaySink(self.client, self.lost, self.lost_after_s)
            self._reporter = BufferedReporter(sink, self.job_id, stop_event=stop_event)
        return self._reporter

    def started(self, message: str) -> None:
        print(message, flush=True)
        where = f"{message} on {os.uname().nodename}, scratch {self.settings.data_dir}"
        self.client.post("/started", {"message": where})

    def finish(self, final: dict[str, Any]) -> None:
        if self._reporter is not None:
            self._reporter.close()
        job_dir = self.settings.artifacts_dir / self.job_id
        if job_dir.is_dir():
            sent = self.client.upload("/artifacts", job_dir, self.scratch)
            print(f"uploaded {sent.get('files', 0)} artifact file(s) to the job runner", flush=True)
        final = {**final, "result": _on_head(final.get("result"), str(self.settings.data_dir), self.head_data_dir)}
        self._pump.close()  # everything printed so far is in the job's log before the outcome is
        self.client.post("/finish", final)
        for path in [job_dir, *self._fetched]:  # the data directory now holds the only copy
            shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        self._pump.close()
        self.client.close()


def _on_head(value: Any, local: str, head: str) -> Any:
    """``value`` with paths under this node's scratch data directory moved to the head's data directory."""
    if isinstance(value, str) and (value == local or value.startswith(local + os.sep)):
        return head + value[len(local) :]
    if isinstance(value, dict):
        return {k: _on_head(v, local, head) for k, v in value.items()}
    if isinstance(value, list):
        return [_on_head(v, local, head) for v in value]
    return value
