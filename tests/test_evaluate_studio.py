"""The Evaluate screen's main action through ``gradio_client`` against a running studio: attach a tiny
question file to a collection, launch an evaluation of the default model, watch the job succeed in the
studio's embedded runner, and read a score for every question back from the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.jobs import JobService

QUESTIONS = {
    "doc_id": "capitals",
    "questions": [
        {"id": "cap-0", "question": "What is the capital of France?", "answer": "Paris"},
        {"id": "cap-1", "question": "What is the capital of Italy?", "answer": "Rome"},
        {"id": "cap-2", "question": "Who led the first settlers of the Isle of Vessary?", "answer": "Ossian Rudd"},
    ],
}


@pytest.mark.slow
def test_evaluate_screen_runs_an_evaluation_job(studio_url: str, session_settings, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    client = Client(studio_url, verbose=False)
    qa_file = tmp_path / "capitals.qa.json"
    qa_file.write_text(json.dumps(QUESTIONS))
    message, _, _ = client.predict(handle_file(str(qa_file)), "eval-capitals", api_name="/attach_questions")
    assert "3 questions" in message and "eval-capitals" in message

    with pytest.raises(Exception, match="not valid JSON"):  # a bad file is a plain message, not a trace
        bad = tmp_path / "broken.qa.json"
        bad.write_text('{"questions": [')
        client.predict(handle_file(str(bad)), "eval-capitals", api_name="/attach_questions")

    with pytest.raises(Exception, match="Pick at least one model"):
        client.predict([], "eval-capitals", "rule", 16, 0, None, None, "", api_name="/evaluate")

    outputs = client.predict(
        ["smollm2-135m-instruct"], "eval-capitals", "rule", 16, 0, None, None, "", api_name="/evaluate"
    )
    job_id = outputs[0]
    assert job_id and "evaluate on eval-capitals" in outputs[1]

    service = JobService(session_settings)
    job = service.wait(job_id, timeout=240, poll=0.5)
    assert job.state == "succeeded", (job.error, service.log_tail(job_id)[-2000:])
    assert job.result["n_questions"] == 3 and job.result["models"][0]["label"] == "smollm2-135m-instruct"
    (metric,) = service.metrics(job_id, "accuracy")  # one accuracy point per model
    assert metric["value"] == pytest.approx(job.result["models"][0]["accuracy"], abs=1e-4)

    status, summary, table, _chart, details, files, *_ = client.predict(job_id, api_name="/evaluate_status")
    assert "finished" in status and "3 questions" in summary
    assert table["data"][0][0] == "smollm2-135m-instruct" and table["data"][0][3] == 3
    rows = details["data"]
    assert [r[1] for r in rows] == [q["question"] for q in QUESTIONS["questions"]]
    for row in rows:  # a number per question, the model's answer beside the reference
        score, f1 = float(row[4]), float(row[6])
        assert 0.0 <= score <= 1.0 and 0.0 <= f1 <= 1.0 and row[5] in ("yes", "no")
    assert rows[0][7] == "yes", "the default model knows the capital of France (it says so in a sentence)"
    assert rows[2][7] == "no", "nor can it know a fictional island's settler"
    assert {Path(f).name for f in files} >= {"results.json", "questions.csv", "chart.html"}

    results = client.predict(job_id, api_name="/evaluation_results")  # the Analyse screen shows it too
    assert "3 questions" in results[0] and results[1]["data"][0][0] == "smollm2-135m-instruct"
