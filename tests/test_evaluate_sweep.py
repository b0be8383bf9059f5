"""The ``evaluate`` job's λ sweep on the default model: λ=0 answers exactly as the target itself, and a
large λ (50) changes the answers; the sweep report (JSON, CSV, line chart) lands in ``sweep/``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.jobs import JobService
from backend.jobs.worker import run_job
from past.models import ModelRegistry
from past.settings import Settings
from past.skills import SkillLibrary, skill_from_adapter
from past.skills.lambdas import LAMBDA_MAX
from tests.skill_fixtures import random_lora

QUESTIONS = {
    "doc_id": "capitals",
    "questions": [
        {"question": "What is the capital of France?", "answer": "Paris"},
        {"question": "What is the capital of Japan?", "answer": "Tokyo"},
    ],
}


@pytest.mark.slow
def test_lambda_sweep_job(session_settings: Settings, tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    settings.models_dir.symlink_to(session_settings.models_dir)  # the default model, already converted
    settings = settings.ensure()
    registry = ModelRegistry(settings)
    base = registry.resolve("default")
    adapter = random_lora(base.path, tmp_path / "adapter", seed=3, r=8, alpha=64)
    skill_from_adapter(
        adapter, settings.skills_dir / "noise", name="noise", base_fingerprint=registry.fingerprint("default")
    ).close()
    assert [m.name for m in SkillLibrary(settings).list()] == ["noise"]
    qa = tmp_path / "capitals.qa.json"
    qa.write_text(json.dumps(QUESTIONS))

    service = JobService(settings)
    job = service.submit(
        "evaluate",
        {
            "models": ["default"],
            "qa_path": str(qa),
            "max_new_tokens": 8,
            "sweep_lambdas": [0.0, LAMBDA_MAX],
            "sweep_skill": "noise",
            "sweep_target": "default",
        },
    )
    service.jobs.update(job.id, state="running")  # as the runner's claim would
    run_job(job.id, settings)
    job = service.get(job.id)
    assert job.state == "succeeded", job.error
    assert [p["lambda"] for p in job.result["sweep"]] == [0.0, LAMBDA_MAX]

    out = service.artifacts.job_dir(job.id)
    models = json.loads((out / "results.json").read_text())
    sweep = json.loads((out / "sweep" / "results.json").read_text())
    assert sweep["kind"] == "lambda_sweep" and [s["x"] for s in sweep["summaries"]] == [0.0, LAMBDA_MAX]
    base_answers = [q["prediction"] for q in models["runs"][0]["questions"]]
    at_zero = [q["prediction"] for q in sweep["runs"][0]["questions"]]
    at_one = [q["prediction"] for q in sweep["runs"][1]["questions"]]
    assert at_zero == base_answers, "λ = 0 must leave the target unchanged"
    assert at_one != base_answers, "a large λ must change the answers"
    assert (out / "sweep" / "chart.html").stat().st_size > 1000 and (out / "sweep" / "summary.csv").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".sweep-")], "scratch models are removed"
