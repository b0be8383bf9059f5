"""The knowledge report card: the same numbers as the Evaluate job (one evaluator), its plain words, no questions.

Fast: tiny random Llama checkpoints with random LoRA adapters stand in for an adapted model, published the way
Adapt publishes one (``<data>/adapters/<name>/{baseline,injected,adapted.json}``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.documents import DocumentService
from backend.jobs.artifacts import ArtifactStore
from backend.jobs.kind import JobContext
from backend.jobs.kinds import evaluate, report_card
from backend.report_card import build_report_card
from backend.store import Store
from past.errors import ConfigError
from past.evaluation.report_card import (
    BASE,
    BASE_DOCS,
    FINE_TUNED,
    INJECTED,
    INJECTED_DOCS,
    forgetting_level,
    plain_summary,
    verdicts,
)
from past.progress import NullReporter
from past.settings import Settings
from tests.tiny_models import make_tiny_llama

ROOT = Path(__file__).resolve().parent.parent
SYSTEMS = [BASE, FINE_TUNED, INJECTED, BASE_DOCS, INJECTED_DOCS]


def tiny_checkpoint(path: Path) -> Path:
    """A tiny random Llama whose answers are words and depend on the prompt: its vocabulary is exactly the test
    tokenizer's, its matrices are N(0, 1) (the default 0.02 gives one token whatever the prompt) and the special
    tokens can never be generated."""
    import torch
    from transformers import LlamaForCausalLM

    make_tiny_llama(path, seed=0, vocab=66)
    model = LlamaForCausalLM.from_pretrained(path)
    with torch.no_grad():
        torch.manual_seed(0)
        for weight in model.parameters():
            if weight.dim() == 2:
                weight.normal_(0.0, 1.0)
        model.model.embed_tokens.weight[:3] = 0.0  # <unk>, <s>, </s> (tied with the output layer)
    model.save_pretrained(path, safe_serialization=True)
    (path / "tokenizer.json").write_bytes((ROOT / "tests" / "data" / "tiny_tokenizer.json").read_bytes())
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "</s>", "pad_token": "</s>"}
    (path / "tokenizer_config.json").write_text(json.dumps(config))
    return path


def random_lora(base: Path, out: Path, seed: int) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    config = LoraConfig(r=2, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(AutoModelForCausalLM.from_pretrained(base), config).save_pretrained(out)
    return out


@pytest.fixture
def adapted(tmp_path: Path) -> tuple[Settings, Path]:
    """A data dir whose default model is a tiny checkpoint, a collection with 3 questions, an adapted model."""
    base = tiny_checkpoint(tmp_path / "base")
    settings = Settings(data_dir=(tmp_path / "data").resolve(), default_model=str(base)).ensure()
    docs = DocumentService(settings, Store(settings.db_path))
    for name in ("isle-of-vessary.md", "orvane-glass-lichen.md"):
        assert docs.upload([(name, (ROOT / "assets" / "documents" / name).read_bytes())], "islands")[0].ok
    qa = json.loads((ROOT / "assets" / "documents" / "isle-of-vessary.qa.json").read_text())
    qa["questions"] = qa["questions"][:3]
    docs.upload_qa("isle.qa.json", json.dumps(qa).encode(), "islands")
    folder = settings.adapters_dir / "isle-v1"
    random_lora(base, folder / "baseline", seed=1)
    random_lora(base, folder / "injected", seed=2)
    record = {"name": "isle-v1", "base": str(base), "collection": "islands", "mode": "past", "lam": 1.0}
    (folder / "adapted.json").write_text(json.dumps(record))
    return settings, base


def context(settings: Settings, out: Path) -> JobContext:
    out.mkdir(parents=True, exist_ok=True)
    return JobContext(
        job_id=out.name,
        attempt=1,
        settings=settings,
        reporter=NullReporter(),
        output_dir=out,
        checkpoint_dir=None,
        resume=False,
        inputs={},
        artifacts=ArtifactStore(settings),
    )


def test_report_card_numbers_equal_the_evaluate_jobs(adapted: tuple[Settings, Path]) -> None:
    settings, base = adapted
    folder = settings.adapters_dir / "isle-v1"
    params = report_card.ReportCardParams(adapted="isle-v1", max_new_tokens=6, batch_size=3)
    params.validate()
    card = report_card.run(params, context(settings, settings.artifacts_dir / "card-job"))
    assert json.loads((settings.artifacts_dir / "card-job" / "report_card.json").read_text())["systems"]

    spec = evaluate.EvaluateParams(
        models=[
            f"{BASE}={base}",
            f"{FINE_TUNED}={base}+{folder / 'baseline'}",
            f"{INJECTED}={base}+{folder / 'injected'}",
        ],
        collection="islands",
        with_documents=True,
        max_new_tokens=6,
        batch_size=3,
    )
    spec.validate()
    out = settings.artifacts_dir / "eval-job"
    job = evaluate.run(spec, context(settings, out))
    runs = {r["label"]: r for r in json.loads((out / "results.json").read_text())["runs"]}
    summaries = {s["label"]: s for s in json.loads((out / "results.json").read_text())["summaries"]}
    by_label = {m["label"]: m for m in job["models"]}

    assert [s["label"] for s in card["systems"]] == SYSTEMS and card["n_questions"] == 3
    for system in card["systems"]:
        label = system["label"]
        assert system["accuracy"] == pytest.approx(summaries[label]["accuracy_mean"])
        assert system["f1"] == pytest.approx(summaries[label]["f1_mean"])
        assert round(system["f1"], 4) == by_label[label]["f1"]
        assert system["accuracy_ci"] == pytest.approx(summaries[label]["accuracy_ci"])
        assert system["f1_ci"] == pytest.approx(summaries[label]["f1_ci"])
        assert system["correct"] == sum(q["correct"] for q in runs[label]["questions"])
        assert system["contains"] == sum(q["containment"] == 1.0 for q in runs[label]["questions"])
        assert system["containment"] == pytest.approx(summaries[label]["containment_mean"])
        answers = [row[label]["answer"] for row in card["answers"]]
        assert answers == [q["prediction"] for q in runs[label]["questions"]]  # the very same answers
    for row, question in zip(card["answers"], runs[BASE_DOCS]["questions"], strict=True):
        assert row[BASE_DOCS]["passages"] == question["retrieved"] and question["retrieved"]  # chunks recorded
        assert "passages" not in row[BASE]  # closed-book systems get no passages
    assert runs[BASE]["with_documents"] is False and runs[BASE_DOCS]["with_documents"] is True
    column = {label: [row[label]["answer"] for row in card["answers"]] for label in SYSTEMS}
    assert all(column[BASE]) and column[BASE] != column[FINE_TUNED]  # real answers, and the adapters matter
    assert column[BASE] != column[BASE_DOCS]  # so do the passages in the prompt

    probe = card["forgetting"]
    assert probe["metric"] == "containment" and probe["n_questions"] == 20 and len(probe["answers"]) == 20
    assert probe["base"] == sum(a["base_ok"] for a in probe["answers"])
    first, second = card["summary"].splitlines()[:2]
    injected = next(s for s in card["systems"] if s["label"] == INJECTED)
    before = next(s for s in card["systems"] if s["label"] == BASE)
    assert first == (
        f"It now answers {injected['correct']} of 3 questions about your documents "
        f"(before adapting: {before['correct']} of 3)."
    )
    assert "general knowledge" in second and f"{probe['adapted']} of 20" in second  # the forgetting verdict
    assert second.endswith(f"was {probe['base']}.") or f"was {probe['base']} — try" in second
    assert "with the documents in the prompt:" in card["summary"] and "Forgetting check: on 20" in card["summary"]


def test_a_model_adapted_with_a_recall_preset_is_carded_in_its_format(adapted: tuple[Settings, Path]) -> None:
    """The card reads a model in the answer format its preset trained (recall-practice: recall, then answer;
    only the answer line is judged); an explicit prompt still wins."""
    settings, _ = adapted
    folder = settings.adapters_dir / "isle-v1"
    record = {**json.loads((folder / "adapted.json").read_text()), "preset": "recall-practice"}
    (folder / "adapted.json").write_text(json.dumps(record))
    card = build_report_card(settings, "isle-v1", limit=1, batch_size=1)
    assert card["prompt"] == "recall" and card["n_questions"] == 1
    direct = build_report_card(settings, "isle-v1", limit=1, batch_size=1, max_new_tokens=4, prompt="paper")
    assert direct["prompt"] == "paper"


def test_plain_words_and_a_collection_without_questions(adapted: tuple[Settings, Path], capsys) -> None:
    settings, _ = adapted
    card = {
        "adapted_label": INJECTED,
        "n_questions": 20,
        "systems": [{"label": k, "correct": c} for k, c in zip(SYSTEMS, [1, 9, 14, 16, 17], strict=True)],
        "forgetting": {"n_questions": 20, "base": 15, "adapted": 13},
    }
    text = plain_summary(card)
    assert text.startswith(
        "It now answers 14 of 20 questions about your documents (before adapting: 1 of 20).\n"
        "It forgot some general knowledge: 13 of 20, was 15 — try fewer passes or a smaller λ."
    )
    assert "base model with the documents in the prompt: 16 of 20" in text
    assert "base model answers 15 and the adapted model 13" in text
    forgot = {**card, "forgetting": {"n_questions": 20, "base": 17, "adapted": 1}}
    assert verdicts(forgot)[1] == "It forgot most general knowledge: 1 of 20, was 17 — try fewer passes or a smaller λ."
    assert forgetting_level(forgot["forgetting"]) == "most"
    kept = {**card, "forgetting": {"n_questions": 20, "base": 15, "adapted": 14}}  # one fewer: noise
    assert verdicts(kept)[1] == "It kept its general knowledge: 14 of 20 simple questions, was 15."
    tuned_only = {**forgot, "adapted_label": FINE_TUNED}
    assert verdicts(tuned_only)[1].endswith("— try fewer passes.")  # no skill, no λ to lower

    docs = DocumentService(settings, Store(settings.db_path))
    assert docs.upload([("notes.md", b"# Notes\n\nThe ferry leaves at noon.")], "empty")[0].ok
    none = build_report_card(settings, "isle-v1", "empty")
    assert none["no_questions"] and "has no questions yet" in none["summary"] and "systems" not in none
    with pytest.raises(ConfigError, match="no adapted model named 'missing'"):
        build_report_card(settings, "missing")

    qa_file = str(ROOT / "assets" / "documents" / "isle-of-vessary.qa.json")
    with pytest.raises(ValueError, match="needs a collection"):
        evaluate.EvaluateParams(models=["default"], qa_path=qa_file, with_documents=True).validate()
    with pytest.raises(ValueError, match="name the adapted model"):
        report_card.ReportCardParams().validate()

    from backend.cli import report_card_cmd
    from past.cli.main import main

    code = main(
        ["--data-dir", str(settings.data_dir), "report-card", "--adapted", "isle-v1", "--collection", "empty"],
        extra_commands=[report_card_cmd],
    )
    assert code == 0 and "has no questions yet" in capsys.readouterr().out
    assert main(["--data-dir", str(settings.data_dir), "report-card", "--adapted", "nope"], [report_card_cmd]) == 2
    assert "no adapted model named 'nope'" in capsys.readouterr().err


class LogReporter(NullReporter):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, message: str) -> None:
        self.lines.append(message)


def reused(reporter: LogReporter) -> list[str]:
    return [line.split(":")[0] for line in reporter.lines if "answers are reused" in line]


def test_a_card_made_again_reuses_the_answers_of_unchanged_models(adapted: tuple[Settings, Path]) -> None:
    """The base model (and any unchanged adapter) answers a question set once; a changed adapter, other questions
    or another prompt family are asked again, and a damaged entry is answered again, not trusted."""
    settings, base = adapted
    folder = settings.adapters_dir / "isle-v1"
    options = {"max_new_tokens": 6, "batch_size": 3}
    first_log, again_log = LogReporter(), LogReporter()
    first = build_report_card(settings, "isle-v1", reporter=first_log, **options)
    assert reused(first_log) == [] and len(list(settings.answer_cache_dir.glob("*.json"))) == 7  # 5 systems, 2 probes
    again = build_report_card(settings, "isle-v1", reporter=again_log, **options)
    assert sorted(reused(again_log)) == sorted([*SYSTEMS, BASE, INJECTED])  # nothing generated again
    for label in SYSTEMS:
        assert [r[label] for r in again["answers"]] == [r[label] for r in first["answers"]]
    assert again["forgetting"] == first["forgetting"] and again["systems"] == first["systems"]

    random_lora(base, folder / "injected", seed=3)  # adapted again: the skill-injected model changed
    changed_log = LogReporter()
    changed = build_report_card(settings, "isle-v1", reporter=changed_log, **options)
    assert sorted(reused(changed_log)) == sorted([BASE, FINE_TUNED, BASE_DOCS, BASE])
    assert [r[INJECTED]["answer"] for r in changed["answers"]] != [r[INJECTED]["answer"] for r in first["answers"]]

    for entry in settings.answer_cache_dir.glob("*.json"):
        entry.write_text("{not json")
    other_log = LogReporter()
    other = build_report_card(settings, "isle-v1", reporter=other_log, limit=2, prompt="question", **options)
    assert reused(other_log) == [] and other["n_questions"] == 2 and other["prompt"] == "question"
    damaged_log = LogReporter()
    build_report_card(settings, "isle-v1", reporter=damaged_log, **options)
    assert reused(damaged_log) == []  # every entry of the first question set was damaged: all answered again
