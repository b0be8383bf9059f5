"""The runner's gateway: remote workers reach the store and the artifacts of their job over HTTP.

A worker on another node (a Ray job) must never open the SQLite file of the data directory: SQLite's
locking is not safe over network file systems. The gateway runs in the runner's process, next to the
store, and offers each launched job a small JSON + tar API, authorised by a per-attempt token handed to
the worker at launch (:meth:`JobGateway.register`):

=====  ==========================================  =============================================
GET    ``/v1/jobs/ID``                             the job's record, the head's data dir and default model
GET    ``/v1/jobs/ID/inputs/UP``                   the record of input job UP
GET    ``/v1/jobs/ID/inputs/UP/artifacts``         UP's artifacts (tar)
GET    ``/v1/jobs/ID/checkpoints``                 this job's checkpoints from earlier attempts (tar)
POST   ``/v1/jobs/ID/started``                     started, with the first log line
POST   ``/v1/jobs/ID/report``                      progress, metrics, log lines; answers whether to stop
POST   ``/v1/jobs/ID/output``                      raw stdout/stderr, appended to the job's log file
PUT    ``/v1/jobs/ID/artifacts``                   the job's artifacts (tar), merged into its directory
POST   ``/v1/jobs/ID/finish``                      the outcome: state, error, result
=====  ==========================================  =============================================
"""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import json
import re
import secrets
import tarfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from backend.jobs.artifacts import ArtifactStore
from backend.jobs.gateway.transfer import pack, receive, unpack
from backend.jobs.logs import log_path
from backend.jobs.reporter import StoreSink
from backend.store import EventRepository, JobRepository, NotFoundError, Store
from backend.store.jobs_repo import RUNNING, TERMINAL
from past.datasets.jsonl import loads_json
from past.settings import Settings

MAX_JSON_BYTES = 64 * 1024**2
FINAL_FIELDS = {"state", "finished_at", "error", "result", "progress", "message"}
_ROUTE = re.compile(r"^/v1/jobs/(?P<job>[0-9a-f]{6,32})(?P<rest>(/[A-Za-z0-9_.-]+)*)$")


class GatewayError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class JobGateway:
    """An HTTP server in the runner's process that remote workers report through."""

    def __init__(
        self, settings: Settings, host: str = "127.0.0.1", port: int = 0, advertise: str | None = None
    ) -> None:
        """Listen on ``host:port`` (0: any free port); workers are told ``advertise`` (default: the
        listening address), e.g. the head node's address when listening on 0.0.0.0."""
        self.settings = settings
        self.store = Store(settings.db_path)
        self.jobs, self.events = JobRepository(self.store), EventRepository(self.store)
        self.artifacts = ArtifactStore(settings)
        self._tokens: dict[str, str] = {}
        self._heard: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{advertise or bound_host}:{bound_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="past-job-gateway", daemon=True)
        self._thread.start()

    # what the executor calls
    def register(self, job_id: str) -> str:
        """A new token for one attempt of ``job_id`` (a previous attempt's token stops working)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[job_id] = token
            self._heard.discard(job_id)
        return token

    def unregister(self, job_id: str) -> None:
        with self._lock:
            self._tokens.pop(job_id, None)

    def heard_from(self, job_id: str) -> bool:
        """Whether the worker of ``job_id`` sent any output through the gateway."""
        with self._lock:
            return job_id in self._heard

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self.store.close()

    # requests
    def authorise(self, job_id: str, header: str | None) -> None:
        with self._lock:
            token = self._tokens.get(job_id)
        given = (header or "").removeprefix("Bearer ").strip()
        if token is None or not hmac.compare_digest(token.encode(), given.encode()):
            raise GatewayError(HTTPStatus.FORBIDDEN, f"no valid token for job {job_id}")

    def job(self, job_id: str) -> dict[str, Any]:
        return {
            "job": dataclasses.asdict(self.jobs.get(job_id)),
            "data_dir": str(self.settings.data_dir),
            "default_model": self.settings.default_model,
        }

    def input_record(self, job_id: str, upstream: str) -> dict[str, Any]:
        if upstream not in self.jobs.get(job_id).inputs.values():
            raise GatewayError(HTTPStatus.FORBIDDEN, f"job {upstream} is not an input of job {job_id}")
        return {"job": dataclasses.asdict(self.jobs.get(upstream))}

    def started(self, job_id: str, body: dict[str, Any]) -> dict[str, Any]:
        import time

        self.jobs.update(job_id, expect=(RUNNING,), started_at=time.time(), message="started")
        self.events.log(job_id, str(body.get("message", "started")))
        return {}

    def report(self, job_id: str, body: dict[str, Any]) -> dict[str, Any]:
        progress = body.get("progress")
        metrics = [(int(s), str(n), float(v), float(t)) for s, n, v, t in body.get("metrics", [])]
        logs = [(float(t), str(level), str(m)) for t, level, m in body.get("logs", [])]
        StoreSink(self.store, job_id).write((float(progress[0]), str(progress[1])) if progress else None, metrics, logs)
        job = self.jobs.get(job_id)
        return {"stop": bool(job.stop_reason) or job.state != RUNNING}

    def output(self, job_id: str, data: bytes) -> dict[str, Any]:
        with self._lock:
            self._heard.add(job_id)
        path = log_path(self.settings, job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            handle.write(data)
        return {}

    def receive_artifacts(self, job_id: str, stream: Any, length: int | None) -> dict[str, Any]:
        target = self.artifacts.ensure_dir(self.artifacts.job_dir(job_id))
        archive = receive(stream, length, self.artifacts.root)
        try:
            files = unpack(archive, target)
        finally:
            archive.unlink(missing_ok=True)
        return {"files": len(files)}

    def finish(self, job_id: str, body: dict[str, Any]) -> dict[str, Any]:
        final = {k: v for k, v in body.items() if k in FINAL_FIELDS}
        if final.get("state") not in TERMINAL:
            raise GatewayError(HTTPStatus.BAD_REQUEST, f"not a final state: {final.get('state')!r}")
        done = self.jobs.update(job_id, expect=(RUNNING,), **final)
        return {"recorded": bool(done)}


def _handler(gateway: JobGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "past-job-gateway"

        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # requests are not worth a line each in the runner's output

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def _dispatch(self, method: str) -> None:
            try:
                match = _ROUTE.match(self.path)
                if match is None:
                    raise GatewayError(HTTPStatus.NOT_FOUND, f"no such resource: {self.path}")
                job_id, parts = match["job"], [p for p in match["rest"].split("/") if p]
                gateway.authorise(job_id, self.headers.get("Authorization"))
                self._route(method, job_id, parts)
            except GatewayError as exc:
                self._json({"error": str(exc)}, exc.status)
            except NotFoundError as exc:
                self._json({"error": str(exc)}, HTTPStatus.NOT_FOUND)
            except (ValueError, TypeError, KeyError, tarfile.TarError) as exc:
                self._json({"error": f"bad request: {exc}"}, HTTPStatus.BAD_REQUEST)
            except Exception as exc:  # the runner keeps serving; the worker sees the reason
                self._json({"error": f"{type(exc).__name__}: {exc}"}, HTTPStatus.INTERNAL_SERVER_ERROR)

        def _route(self, method: str, job_id: str, parts: list[str]) -> None:
            if method == "GET" and not parts:
                return self._json(gateway.job(job_id))
            if method == "GET" and len(parts) == 2 and parts[0] == "inputs":
                return self._json(gateway.input_record(job_id, parts[1]))
            if method == "GET" and len(parts) == 3 and parts[0] == "inputs" and parts[2] == "artifacts":
                gateway.input_record(job_id, parts[1])  # authorised for its inputs only
                return self._tar(gateway.artifacts.job_dir(parts[1]))
            if method == "GET" and parts == ["checkpoints"]:
                return self._tar(gateway.artifacts.checkpoint_dir(job_id))
            if method == "POST" and parts == ["started"]:
                return self._json(gateway.started(job_id, self._body()))
            if method == "POST" and parts == ["report"]:
                return self._json(gateway.report(job_id, self._body()))
            if method == "POST" and parts == ["output"]:
                return self._json(gateway.output(job_id, self._raw(MAX_JSON_BYTES)))
            if method == "PUT" and parts == ["artifacts"]:
                return self._json(gateway.receive_artifacts(job_id, self.rfile, self._length()))
            if method == "POST" and parts == ["finish"]:
                return self._json(gateway.finish(job_id, self._body()))
            raise GatewayError(HTTPStatus.NOT_FOUND, f"no such resource: {method} {self.path}")

        def _length(self) -> int:
            raw = self.headers.get("Content-Length")
            if raw is None:
                raise GatewayError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
            return int(raw)

        def _raw(self, limit: int) -> bytes:
            length = self._length()
            if length > limit:
                raise GatewayError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body of {length} bytes is too large")
            return self.rfile.read(length)

        def _body(self) -> dict[str, Any]:
            data = loads_json(self._raw(MAX_JSON_BYTES) or b"{}")
            if not isinstance(data, dict):
                raise GatewayError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
            return data

        def _json(self, data: dict[str, Any], status: HTTPStatus = HTTPStatus.OK) -> None:
            payload = json.dumps(data, default=str).encode()
            with contextlib.suppress(OSError):  # the worker may have gone away
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        def _tar(self, directory: Path) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/x-tar")
            self.send_header("Connection", "close")  # HTTP/1.0: the end of the archive is the end of the body
            self.end_headers()
            pack(directory, self.wfile)

    return Handler


__all__ = ["GatewayError", "JobGateway"]
