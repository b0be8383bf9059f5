"""Closed-book evaluation: QA sets, model specs with adapters, per-question/per-doc/overall scores, seeds,
λ sweeps and reports; tiny random models for the plumbing, the real default model for behaviour."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from past.errors import EvaluationError
from past.evaluation import (
    EvalConfig,
    ModelSpec,
    QuestionResult,
    evaluate_models,
    lambda_sweep,
    load_qa_set,
    summarise_runs,
    write_report,
)
from past.evaluation.closed_book import summarise
from past.evaluation.prompts import first_line
from past.judges import RuleQAJudge
from past.models import ModelRegistry
from past.settings import Settings
from tests.tiny_models import make_tiny_llama

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def tiny_checkpoint(path: Path, seed: int = 0) -> Path:
    make_tiny_llama(path, seed=seed)
    shutil.copy(ROOT / "tests" / "data" / "tiny_tokenizer.json", path / "tokenizer.json")
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "eos_token": "</s>",
        "pad_token": "</s>",
        "unk_token": "<unk>",
    }
    (path / "tokenizer_config.json").write_text(json.dumps(config))
    return path


def test_the_sample_qa_files_load_and_filter() -> None:
    qa = load_qa_set(ROOT / "assets" / "documents")
    assert len(qa) == 42 and qa.doc_ids == ["isle-of-vessary", "orvane-glass-lichen", "quillmere-handbook"]
    test = qa.filter(split="test")
    assert len(test) == 12 and {i.split for i in test.items} == {"test"}
    assert len(qa.filter(docs=["quillmere-handbook"], limit=3)) == 3
    assert len({i.qid for i in qa.items}) == 42


def test_squad_and_jsonl_qa_files(tmp_path: Path) -> None:
    squad = [
        {
            "title": "Super Bowl 50",
            "context": "The game was played in Santa Clara.",
            "questions": [{"question": "Where?", "answer": "Santa Clara"}],
        }
    ]
    (tmp_path / "squad.json").write_text(json.dumps(squad))
    (tmp_path / "qa.jsonl").write_text(json.dumps({"question": "Q?", "answers": ["a", "b"], "doc_id": "d"}) + "\n")
    qa = load_qa_set([tmp_path / "squad.json", tmp_path / "qa.jsonl"])
    assert [(i.doc_id, i.answers) for i in qa.items] == [("super-bowl-50-0000", ("Santa Clara",)), ("d", ("a", "b"))]
    assert qa.contexts == {"super-bowl-50-0000": "The game was played in Santa Clara."}
    (tmp_path / "bad.json").write_text(json.dumps({"questions": [{"question": "no answer"}]}))
    with pytest.raises(EvaluationError, match="has no answer"):
        load_qa_set(tmp_path / "bad.json")
    with pytest.raises(EvaluationError, match="does not exist"):
        load_qa_set(tmp_path / "missing.json")


@pytest.mark.skipif(not (SHARED / "squad" / "dev_passages.json").is_file(), reason="../shared/data/squad is absent")
def test_the_shared_squad_dev_set_loads() -> None:
    qa = load_qa_set(SHARED / "squad" / "dev_passages.json")
    assert len(qa) == 9316 and len(qa.doc_ids) == 1817 and len(qa.contexts) == 1817


def test_model_spec_parsing() -> None:
    assert ModelSpec.parse("default") == ModelSpec("default")
    assert ModelSpec.parse("sft=default+runs/a@3") == ModelSpec("default", "runs/a", "sft", 3)
    assert ModelSpec.parse("/abs/model+adapter").name == "/abs/model+adapter"
    with pytest.raises(EvaluationError):
        ModelSpec.parse("x=m@seed")


def _question(doc: str, correct: bool, f1: float) -> QuestionResult:
    return QuestionResult("q", doc, "Q?", ["a"], "p", float(correct), correct, f1)


def test_runs_summarise_to_mean_and_sample_sd() -> None:
    run_a = summarise("sft", 1, "rule", [_question("d1", True, 1.0), _question("d2", False, 0.0)])
    run_b = summarise("sft", 2, "rule", [_question("d1", True, 1.0), _question("d2", True, 0.5)])
    assert run_a.accuracy == 0.5 and run_a.per_doc["d2"] == {"n": 1, "accuracy": 0.0, "mean_f1": 0.0}
    summary = summarise_runs("sft", [run_a, run_b])
    assert summary.runs == 2 and summary.accuracy_mean == 0.75
    assert summary.accuracy_sd == pytest.approx(0.35355, abs=1e-4)
    assert summary.per_doc_accuracy == {"d1": 1.0, "d2": 0.5}
    assert first_line(" Paris.\n\nQuestion: next?") == "Paris."


def test_tiny_models_with_adapter_replicates_and_report(tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = tiny_checkpoint(tmp_path / "base", seed=0)
    other = tiny_checkpoint(tmp_path / "other", seed=1)
    lora = get_peft_model(AutoModelForCausalLM.from_pretrained(base), LoraConfig(r=2, target_modules=["q_proj"]))
    lora.save_pretrained(tmp_path / "adapter")
    registry = ModelRegistry(Settings.load(tmp_path / "data").ensure())
    qa = load_qa_set(ROOT / "assets" / "documents").filter(split="test", limit=5)
    specs = [
        ModelSpec(str(base), label="base"),
        ModelSpec(str(base), adapter=str(tmp_path / "adapter"), label="lora", seed=1),
        ModelSpec(str(other), label="lora", seed=2),
    ]
    comparison = evaluate_models(registry, specs, qa, RuleQAJudge(), EvalConfig(max_new_tokens=4), batch_size=2)
    assert [s.label for s in comparison.summaries] == ["base", "lora"]
    assert [s.runs for s in comparison.summaries] == [1, 2]
    for run in comparison.runs:
        assert len(run.questions) == 5 and all(0.0 <= q.score <= 1.0 for q in run.questions)
        assert set(run.per_doc) <= set(qa.doc_ids) and 0.0 <= run.accuracy <= 1.0
    assert [r.seed for r in comparison.runs] == [None, 1, 2]
    paths = write_report(comparison, tmp_path / "report")
    rows = list(csv.DictReader(paths["questions.csv"].open()))
    assert len(rows) == 15 and rows[0]["label"] == "base"
    assert json.loads(paths["results.json"].read_text())["kind"] == "models"
    html = paths["chart.html"].read_text()
    assert "plotly" in html.lower() and '"type":"bar"' in html.replace(" ", "")
    with pytest.raises(EvaluationError, match="not a PEFT adapter"):
        evaluate_models(registry, [ModelSpec(str(base), adapter=str(tmp_path))], qa, RuleQAJudge())


def test_lambda_sweep_calls_the_builder_per_lambda(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = tiny_checkpoint(tmp_path / "base")
    tokenizer = AutoTokenizer.from_pretrained(base)
    built: list[float] = []

    def build(lam: float):
        built.append(lam)
        model = AutoModelForCausalLM.from_pretrained(base)
        with torch.no_grad():
            model.lm_head.weight.mul_(1.0 + lam)
        return model, tokenizer

    qa = load_qa_set(ROOT / "assets" / "documents").filter(limit=3)
    sweep = lambda_sweep(build, [0.0, 0.5, 1.0], qa, RuleQAJudge(), EvalConfig(max_new_tokens=3))
    assert built == [0.0, 0.5, 1.0] and [s.x for s in sweep.summaries] == [0.0, 0.5, 1.0]
    assert sweep.kind == "lambda_sweep" and all(len(r.questions) == 3 for r in sweep.runs)
    html = write_report(sweep, tmp_path / "sweep")["chart.html"].read_text()
    assert '"mode":"lines+markers"' in html.replace(" ", "")


@pytest.mark.slow
def test_default_model_closed_book_gives_a_number_per_question(session_settings, tmp_path: Path) -> None:
    (tmp_path / "general.jsonl").write_text(
        json.dumps({"question": "What is the capital of France?", "answer": "Paris", "doc_id": "general"}) + "\n"
    )
    qa = load_qa_set([tmp_path / "general.jsonl", ROOT / "assets" / "documents"]).filter(limit=6)
    comparison = evaluate_models(
        ModelRegistry(session_settings), [ModelSpec("default", label="base")], qa, RuleQAJudge(), batch_size=6
    )
    run = comparison.runs[0]
    assert [q.qid for q in run.questions] == [i.qid for i in qa.items]
    assert all(isinstance(q.score, float) and 0.0 <= q.score <= 1.0 and q.prediction for q in run.questions)
    assert run.questions[0].containment == 1.0  # the base model knows this one, closed-book (in a sentence)
    fictional = [q for q in run.questions if q.doc_id != "general"]
    assert not any(q.correct for q in fictional)  # ...but not the invented facts
    assert run.accuracy == pytest.approx(sum(q.correct for q in run.questions) / 6)
    assert set(run.per_doc) == {"general", "isle-of-vessary"}


def test_closed_book_scores_exactly_with_an_endpoint_answering(tmp_path: Path) -> None:
    from past.evaluation import evaluate_closed_book
    from past.generators import EndpointConfig, OpenAIChatGenerator
    from tests.openai_stub import openai_stub

    known = {"Who built the Copper Bridge?": "Thaddeus Quill.\n\nQuestion: more?", "What is orvanin?": "A pigment"}
    rows = [
        {"question": "Who built the Copper Bridge?", "answer": "Thaddeus Quill", "doc_id": "vessary"},
        {"question": "Who was the first Lanternward?", "answer": "Ilse Marrow", "doc_id": "vessary"},
        {"question": "What is orvanin?", "answer": "a pigment", "doc_id": "lichen"},
    ]
    (tmp_path / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with openai_stub(lambda messages: known.get(messages[-1]["content"], "I do not know")) as (url, state):
        generator = OpenAIChatGenerator(EndpointConfig(url, model="m", api_key_env=None))
        config = EvalConfig(prompt="question")
        result = evaluate_closed_book(generator, load_qa_set(tmp_path / "qa.jsonl"), RuleQAJudge(), config, label="x")
    assert sorted(r["messages"][-1]["content"] for r in state.requests) == sorted(r["question"] for r in rows)
    assert [q.prediction for q in result.questions] == ["Thaddeus Quill.", "I do not know", "A pigment"]
    assert [q.correct for q in result.questions] == [True, False, True]
    assert [q.em for q in result.questions] == [1.0, 0.0, 1.0] and result.prompt == "question"
    assert result.accuracy == pytest.approx(2 / 3) and result.per_doc["vessary"]["accuracy"] == 0.5
    assert result.per_doc["lichen"] == {"n": 1, "accuracy": 1.0, "mean_f1": 1.0}
