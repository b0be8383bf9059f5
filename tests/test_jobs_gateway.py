"""The runner's gateway: a remote worker runs a job without ever touching the data directory."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import httpx
import pytest

from backend.jobs.gateway.client import SCRATCH_ENV, TOKEN_ENV
from backend.jobs.gateway.server import JobGateway
from backend.store.jobs_repo import RUNNING
from tests.jobs_support import ROOT, job_settings, service  # noqa: F401 - fixtures

# Runs the worker with an audit hook that fails any file, directory or SQLite access under $GUARDED.
GUARDED_WORKER = """
import os, runpy, sys
guarded = os.environ["GUARDED"]
def guard(event, args):
    if event in ("open", "sqlite3.connect", "os.listdir", "os.scandir", "os.mkdir", "os.remove", "os.rename"):
        if any(isinstance(a, (str, bytes, os.PathLike)) and os.fsdecode(a).startswith(guarded) for a in args):
            raise PermissionError(f"the remote worker touched the data directory: {event} {args[0]!r}")
sys.addaudithook(guard)
sys.argv = ["backend.jobs.worker", *sys.argv[1:]]
runpy.run_module("backend.jobs.worker", run_name="__main__")
"""


def claim(service, job_id: str) -> None:  # noqa: F811
    """What the runner does before launching a worker."""
    assert service.jobs.update(job_id, expect=("queued",), state=RUNNING, claimed_at=time.time())


def run_remote_worker(gateway: JobGateway, job_id: str, token: str, scratch: Path, guarded: Path):
    env = {k: v for k, v in os.environ.items() if k != "PAST_DATA_DIR"}
    env.update({TOKEN_ENV: token, SCRATCH_ENV: str(scratch), "GUARDED": str(guarded), "PYTHONPATH": str(ROOT)})
    return subprocess.run(
        [sys.executable, "-c", GUARDED_WORKER, job_id, "--gateway", gateway.url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def gateway(job_settings):  # noqa: F811
    gw = JobGateway(job_settings)
    yield gw
    gw.close()


def test_a_remote_worker_reports_and_uploads_through_the_gateway_only(service, gateway, tmp_path):  # noqa: F811
    settings = service.settings
    first = service.submit("selftest.count", {"n": 5, "interval_s": 0.0, "artifact_mb": 0.25})
    claim(service, first.id)
    scratch = tmp_path / "node-scratch"
    done = run_remote_worker(gateway, first.id, gateway.register(first.id), scratch, settings.data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    record = service.get(first.id)
    assert record.state == "succeeded" and record.result["count"] == 5 and record.progress == 1.0
    assert [m["value"] for m in service.metrics(first.id)] == [1.0, 2.0, 3.0, 4.0, 5.0]
    log = service.log_tail(first.id)  # the worker's own stdout, copied through the gateway
    assert "counting from 0 to 5" in log and "uploaded 4 artifact file(s)" in log
    events = [e["message"] for e in service.events.logs(first.id)]
    assert any(f"scratch {scratch.resolve()}" in e for e in events) and events[-1] == f"job {first.id} succeeded"
    # exactly one copy of each artifact: in the data directory, none left on the node
    job_dir = settings.artifacts_dir / first.id
    assert sorted(p.name for p in job_dir.rglob("*") if p.is_file()) == [
        "blob.bin",
        "count.json",
        "count.txt",
        "result.json",
    ]
    assert (job_dir / "blob.bin").stat().st_size == 256 * 1024
    assert not [p for p in scratch.rglob("*") if p.is_file() and p.name in ("count.json", "blob.bin")]
    assert len(service.store.query("SELECT id FROM jobs WHERE id = ?", (first.id,))) == 1

    # a downstream job gets its input's artifacts from the gateway, into its own scratch
    second = service.submit("selftest.count", {"n": 2, "interval_s": 0.0}, inputs={"previous": first.id})
    claim(service, second.id)
    done = run_remote_worker(gateway, second.id, gateway.register(second.id), tmp_path / "other", settings.data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert service.get(second.id).result == {"count": 2, "offset": 5, "started_from": 0}


def test_the_gateway_refuses_other_tokens_jobs_and_escaping_archives(service, gateway):  # noqa: F811
    job = service.submit("selftest.count", {"n": 1})
    other = service.submit("selftest.count", {"n": 1})
    claim(service, job.id)
    token = gateway.register(job.id)
    base = f"{gateway.url}/v1/jobs"
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/{job.id}", headers=auth).json()["job"]["id"] == job.id
    assert httpx.get(f"{base}/{job.id}", headers={"Authorization": "Bearer nope"}).status_code == 403
    assert httpx.get(f"{base}/{other.id}", headers=auth).status_code == 403  # a token is good for its job only
    assert httpx.get(f"{base}/{job.id}/inputs/{other.id}", headers=auth).status_code == 403  # not its input
    assert httpx.get(f"{gateway.url}/etc/passwd", headers=auth).status_code == 404
    bad = httpx.post(f"{base}/{job.id}/finish", headers=auth, json={"state": "running"})
    assert bad.status_code == 400 and "not a final state" in bad.json()["error"]

    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        data = b"owned"
        member = tarfile.TarInfo("../../escaped.txt")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    refused = httpx.put(f"{base}/{job.id}/artifacts", headers=auth, content=archive.getvalue())
    assert refused.status_code == 400, refused.text
    assert not list(service.settings.data_dir.rglob("escaped.txt"))
    gateway.register(job.id)  # a new attempt: the old token stops working
    assert httpx.get(f"{base}/{job.id}", headers=auth).status_code == 403
