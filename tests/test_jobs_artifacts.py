"""Artifacts and experiments: deletion keeps what something else still references; model.prepare job."""

from __future__ import annotations

import json

import pytest

from backend.jobs import JobRunner, JobStateError
from backend.store import CatalogRepository, NotFoundError
from tests.jobs_support import job_settings, runner, service  # noqa: F401 - fixtures


def test_deleting_an_experiment_keeps_referenced_artifacts(service, runner):  # noqa: F811
    exp = service.create_experiment("run 1")
    registered = service.submit("selftest.count", {"n": 1, "interval_s": 0}, experiment_id=exp["id"])
    consumed = service.submit("selftest.count", {"n": 1, "interval_s": 0}, experiment_id=exp["id"])
    scratch = service.submit("selftest.count", {"n": 1, "interval_s": 0}, experiment_id=exp["id"])
    outside = service.submit("selftest.count", {"n": 1}, inputs={"previous": consumed.id})  # another experiment
    long = service.submit("selftest.count", {"n": 10_000, "interval_s": 0.02}, experiment_id=exp["id"])
    for job in (registered, consumed, scratch, outside):
        assert service.wait(job.id, 60).state == "succeeded"
    CatalogRepository(service.store, "skills").add("my skill", path="v.safetensors", job_id=registered.id)
    with pytest.raises(JobStateError, match="has active jobs"):
        service.delete_experiment(exp["id"])
    service.cancel(long.id)
    service.wait(long.id, 30)
    outcome = service.delete_experiment(exp["id"])
    assert sorted(outcome["removed"]) == sorted([scratch.id, long.id])
    assert sorted(outcome["kept"]) == sorted([registered.id, consumed.id])
    assert not service.artifacts.job_dir(scratch.id).exists() and not service.log_file(scratch.id).exists()
    assert (service.artifacts.job_dir(registered.id) / "result.json").exists()
    assert (service.artifacts.job_dir(consumed.id) / "count.json").exists()
    assert service.get(consumed.id).experiment_id is None
    with pytest.raises(NotFoundError):  # the deleted job is gone, and so are its metric and event rows
        service.metrics(scratch.id)
    for table in ("metrics", "job_events"):
        assert not service.store.query(f"SELECT 1 FROM {table} WHERE job_id = ?", (scratch.id,))
    assert service.store.query("SELECT 1 FROM job_events WHERE job_id = ?", (registered.id,))
    assert service.store.integrity_check() == "ok"


def test_result_artifact_is_complete_json(service, runner):  # noqa: F811
    job = service.wait(service.submit("selftest.count", {"n": 3, "interval_s": 0}).id, 30)
    files = sorted(p.name for p in service.artifacts.job_dir(job.id).iterdir())
    assert files == ["checkpoints", "count.json", "result.json"]  # no temp files left behind
    assert json.loads((service.artifacts.job_dir(job.id) / "result.json").read_text()) == job.result


@pytest.mark.slow
def test_model_prepare_job_provisions_the_default_model(session_settings, job_settings, service):  # noqa: F811
    # the conversion itself is the foundation's (tested there); here the store already holds it, as in a
    # studio that has started once, and the job must find and report it through the real registry
    job_settings.models_dir.rmdir()
    job_settings.models_dir.symlink_to(session_settings.models_dir)
    one_slot = JobRunner(job_settings, slots={"cpu": 1}).start()
    try:
        done = service.wait(service.submit("model.prepare").id, 240)
    finally:
        one_slot.stop()
    assert done.state == "succeeded", service.log_tail(done.id)
    model = done.result["model"]
    assert (job_settings.models_dir / model["name"] / "model.safetensors").exists()
    from past.models import ModelRegistry

    assert ModelRegistry(job_settings).fingerprint("default") == model["fingerprint"]
    assert any("ready, fingerprint" in e["message"] for e in service.logs(done.id))
    assert done.progress == 1.0
