"""Long documents (LooGLE regime): LooGLE question files, the LLM judge with rule fallback, the long-document
preset's data, the cost model and the bad-input limits. Fast; the one slow end-to-end run is marked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.documents import DocumentService
from backend.qa_upload import QAUploadError
from backend.store import Store
from past.errors import EvaluationError
from past.evaluation import load_qa_set
from past.evaluation.loogle import loogle_qa_set
from past.settings import Settings
from tests.openai_stub import openai_stub

ROOT = Path(__file__).resolve().parent.parent


def loogle_line(title: str, text: str, pairs: str) -> str:
    return json.dumps({"input": text, "title": title, "qa_pairs": pairs, "output": "none"})


GOOD_LINES = [
    loogle_line(
        "Lighthouse",
        "The Vessary light was lit in 1891 by Ossian Rudd.",
        "[{'Q': 'Who lit it?', 'A': 'Ossian Rudd', 'S': 'x'}]",
    ),
    "",
    loogle_line("Cloze", "Tallowmere is the town.", "[{'Q': '<mask-0> is the town', 'A': {'<mask-0>': 'Tallowmere'}}]"),
]


def test_loogle_lines_become_questions_with_contexts(tmp_path: Path) -> None:
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(GOOD_LINES) + "\n", encoding="utf-8")
    qa = load_qa_set(path)
    assert [i.doc_id for i in qa.items] == ["lighthouse-00", "cloze-01"]
    assert qa.items[0].answers == ("Ossian Rudd",) and qa.items[1].answers == ("<mask-0>: Tallowmere",)
    assert qa.contexts["lighthouse-00"].startswith("The Vessary light")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"input": "text", "qa_pairs": "[{\'Q\': \'q\', \'A\': "}', r"line 3: qa_pairs is not a Python literal"),
        (loogle_line("x", "text", "__import__('os').system('touch PWNED')"), r"line 3: qa_pairs is not a Python"),
        (loogle_line("x", "text", "[{'Q': 'q'}]"), r"line 3: qa_pairs entry 1 has no answer"),
        (loogle_line("x", "text", "{'Q': 'q', 'A': 'a'}"), r"line 3: qa_pairs must be a list"),
        ('{"input": "text"}', r"line 3: a LooGLE row needs input and qa_pairs \(missing qa_pairs\)"),
        ("{not json", r"line 3 is not valid JSON"),
    ],
)
def test_malformed_loogle_lines_name_the_line(tmp_path: Path, bad: str, message: str) -> None:
    lines = [GOOD_LINES[0], GOOD_LINES[2], bad]
    with pytest.raises(EvaluationError, match=message):
        loogle_qa_set(lines, "bad.jsonl")
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_loogle_upload_attaches_and_a_malformed_one_loses_nothing(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "data").ensure()
    docs = DocumentService(settings, Store(settings.db_path))
    good = ("\n".join(GOOD_LINES) + "\n").encode()
    row = docs.upload_qa("loogle_sample.jsonl", good, "long")
    assert row["meta"]["format"] == "loogle.jsonl" and row["meta"]["n_questions"] == 2
    before = sorted(p.name for p in settings.uploads_dir.iterdir())
    bad = (GOOD_LINES[0] + "\n" + loogle_line("x", "t", "[{'Q': 'q', 'A': open('x')}]") + "\n").encode()
    with pytest.raises(QAUploadError, match=r"broken\.jsonl line 2: qa_pairs is not a Python literal"):
        docs.upload_qa("broken.jsonl", bad, "long")
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == before
    assert [i.answers[0] for i in docs.qa_pairs("long").items] == ["Ossian Rudd", "<mask-0>: Tallowmere"]


def test_past_eval_reads_loogle_and_names_a_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from past.cli.main import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text(GOOD_LINES[0] + "\n" + loogle_line("x", "t", "[{'Q': 'q', 'A': 'a'},]]") + "\n")
    code = main(["--data-dir", str(tmp_path / "data"), "eval", "--qa", str(bad), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "bad.jsonl line 2: qa_pairs is not a Python literal" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_llm_judge_on_an_endpoint_records_both_verdicts_and_falls_back_to_rule() -> None:
    from past.evaluation import EvalConfig, evaluate_closed_book
    from past.generators import EndpointConfig
    from past.judges import FallbackJudge, make_judge

    class Fixed:
        name, batch_size = "fixed", 8

        def generate(self, conversations, params, seed=None):
            return ["Ossian Rudd", "garble", "Tallowmere town"][: len(conversations)]

    def grader(messages: list[dict]) -> str:
        text = messages[-1]["content"]
        return "Hmm." if "garble" in text else ("yes" if "Ossian" in text else "no")

    qa = loogle_qa_set([*GOOD_LINES, loogle_line("y", "t", "[{'Q': 'town?', 'A': 'Tallowmere'}]")], "s.jsonl")
    with openai_stub(grader) as (url, _):
        judge = make_judge("llm", endpoint=EndpointConfig(url, "grader", max_retries=0))
        assert isinstance(judge, FallbackJudge)
        result = evaluate_closed_book(Fixed(), qa, judge, EvalConfig())
    verdicts = [q.verdicts for q in result.questions]
    assert verdicts[0] == {"llm": 1.0, "rule": 1.0, "used": "llm"}
    assert verdicts[1]["llm"] is None and verdicts[1]["used"] == "rule"  # unparsed reply: rule score
    assert verdicts[2]["llm"] == 0.0 and verdicts[2]["rule"] > 0.5 and not result.questions[2].correct
    assert result.judge.endswith("+rule")
    # the endpoint is gone: every answer falls back to the rule judge, with the reason kept
    scores = judge.score_batch(["q"], ["Ossian Rudd"], [["Ossian Rudd"]])
    assert scores == [1.0] and judge.last_details[0]["used"] == "rule" and "cannot reach" in judge.fallback_reason
