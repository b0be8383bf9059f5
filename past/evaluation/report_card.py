"""The knowledge report card of an adapted model: did it learn the documents, and did it forget anything?

Five systems answer the collection's questions through the one evaluator (:func:`evaluate_models`, the same
call the Evaluate job makes, rule judge: correct at token F1 ≥ 0.5): the **base** model, the **fine-tuned**
model (Adapt's ``baseline`` adapter), the **skill-injected** model (``injected``), **base + documents** (the
best-matching chunks in the prompt, BM25 retrieval) and **skill-injected + documents**. Each gets accuracy
and F1 with 95 % cluster-bootstrap intervals (:func:`summarize_systems`) and its answers side by side; beside
them, how many answers contain the reference (lenient: small models answer in sentences, which the strict
short-answer judge scores as wrong even when the sentence holds the right answer).

The **forgetting check** asks a fixed set of simple general-knowledge questions
(``assets/probes/general-knowledge.qa.json``) of the base and the adapted model. Small models answer those in
full sentences ("The capital of France is Paris."), so the probe counts an answer right when it contains the
reference (containment), not by the strict short-answer judge; the card says so.

Verdicts in plain words come first (:func:`verdicts`): "It now answers 5 of 14 questions about your documents
(before adapting: 1 of 14)." and "It forgot most general knowledge: 1 of 20, was 17 — try fewer passes or a
smaller λ." (:func:`forgetting_level`); the other numbers follow (:func:`detail_lines`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from past.errors import EvaluationError
from past.evaluation.answer_cache import AnswerCache
from past.evaluation.closed_book import EvalConfig, EvalResult
from past.evaluation.qa_set import QASet, load_qa_set
from past.evaluation.runner import evaluate_models
from past.evaluation.spec import ModelSpec
from past.evaluation.systems import summarize_systems
from past.progress import NullReporter, Reporter, ScaledReporter

PROBES_FILE = Path(__file__).resolve().parents[2] / "assets" / "probes" / "general-knowledge.qa.json"
PROBE_METRIC = "containment"
FORGETTING_NOISE = 1  # a drop of one probe answer is within the noise of 20 questions
BASE, FINE_TUNED, INJECTED, BASE_DOCS, INJECTED_DOCS = (
    "base",
    "fine-tuned",
    "skill-injected",
    "base + documents",
    "skill-injected + documents",
)


def report_card_specs(record: Mapping[str, Any]) -> list[ModelSpec]:
    """The systems of the card for a published adapted model (``past.pipeline.records.read_adapted``)."""
    base = str(record.get("base") or "default")
    specs = [ModelSpec(base, label=BASE)]
    if record.get("baseline"):
        specs.append(ModelSpec(base, adapter=str(record["baseline"]), label=FINE_TUNED))
    if record.get("injected"):
        specs.append(ModelSpec(base, adapter=str(record["injected"]), label=INJECTED))
    specs.append(ModelSpec(base, label=BASE_DOCS, retrieval=True))
    if record.get("injected"):
        specs.append(ModelSpec(base, adapter=str(record["injected"]), label=INJECTED_DOCS, retrieval=True))
    if len(specs) == 2:
        name = record.get("name")
        raise EvaluationError(f"the adapted model {name!r} has neither a fine-tune nor an injected adapter")
    return specs


def adapted_label(specs: list[ModelSpec]) -> str:
    """The adapted system: skill-injected when there is one, else the fine-tune."""
    labels = [s.label for s in specs]
    return INJECTED if INJECTED in labels else FINE_TUNED


def load_probes(path: str | Path | None = None) -> QASet:
    return load_qa_set(path or PROBES_FILE)


def _count(run: EvalResult, metric: str = "correct") -> int:
    return int(sum(float(getattr(q, metric)) >= 1.0 for q in run.questions))


def forgetting_level(probe: Mapping[str, Any] | None) -> str:
    """How much general knowledge the adapted model lost on the probe: ``"kept"`` (at most one answer fewer: the
    noise of 20 questions), ``"most"`` (under half of what the base model answered), else ``"some"``."""
    if not probe:
        return "kept"
    base, adapted = int(probe["base"]), int(probe["adapted"])
    if base - adapted <= FORGETTING_NOISE:
        return "kept"
    return "most" if adapted * 2 < base else "some"


def gentler_advice(card: Mapping[str, Any]) -> str:
    """What to try when the model forgot: fewer passes, and a smaller λ when a skill was added."""
    return "try fewer passes or a smaller λ" if card.get("adapted_label") == INJECTED else "try fewer passes"


def _systems(card: Mapping[str, Any]) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """The card's systems by label, its number of questions, and the adapted system."""
    systems = {s["label"]: s for s in card["systems"]}
    return systems, card["n_questions"], systems[card["adapted_label"]]


def verdicts(card: Mapping[str, Any]) -> list[str]:
    """The card's verdicts in plain words, first: what it learned about the documents, and what it forgot."""
    systems, n, adapted = _systems(card)
    lines = [
        f"It now answers {adapted['correct']} of {n} questions about your documents "
        f"(before adapting: {systems[BASE]['correct']} of {n})."
    ]
    probe = card.get("forgetting")
    if probe:
        m, base, now = probe["n_questions"], probe["base"], probe["adapted"]
        level = forgetting_level(probe)
        if level == "kept":
            lines.append(f"It kept its general knowledge: {now} of {m} simple questions, was {base}.")
        else:
            lines.append(f"It forgot {level} general knowledge: {now} of {m}, was {base} — {gentler_advice(card)}.")
    return lines


def detail_lines(card: Mapping[str, Any]) -> list[str]:
    """The rest of the card in words: the other systems, the lenient count, how answers were judged."""
    systems, n, adapted = _systems(card)
    lines = [
        f"The adapted model ({card['adapted_label']}) answers {adapted['correct']} of {n}; the base model with the "
        f"documents in the prompt: {systems[BASE_DOCS]['correct']} of {n}."
    ]
    if INJECTED_DOCS in systems:
        lines.append(f"The adapted model with the documents in the prompt: {systems[INJECTED_DOCS]['correct']} of {n}.")
    if FINE_TUNED in systems and card["adapted_label"] != FINE_TUNED:
        lines.append(f"Fine-tuned only, without the skill: {systems[FINE_TUNED]['correct']} of {n}.")
    if all("contains" in s for s in systems.values()):
        lines.append(
            f"Counting every answer that contains the right answer (small models answer in sentences): the adapted "
            f"model {adapted['contains']} of {n}; before: {systems[BASE]['contains']} of {n}; with the documents in "
            f"the prompt: {systems[BASE_DOCS]['contains']} of {n}."
        )
    probe = card.get("forgetting")
    if probe:
        lines.append(
            f"Forgetting check: on {probe['n_questions']} general-knowledge questions the base model answers "
            f"{probe['base']} and the adapted model {probe['adapted']} (an answer counts when it contains the "
            "reference, because small models answer in sentences)."
        )
    lines.append("Questions about the documents count as answered when the short answer matches (token F1 ≥ 0.5).")
    return lines


def plain_summary(card: Mapping[str, Any]) -> str:
    """The card in words: the verdicts (:func:`verdicts`), then the details (:func:`detail_lines`)."""
    return "\n".join([*verdicts(card), *detail_lines(card)])


def make_report_card(
    registry: Any,
    record: Mapping[str, Any],
    qa_set: QASet,
    retriever: Any,
    judge: Any,
    *,
    config: EvalConfig | None = None,
    probes: QASet | None = None,
    batch_size: int = 16,
    reporter: Reporter | None = None,
    cache: AnswerCache | None = None,
) -> dict[str, Any]:
    """Evaluate the card's systems on ``qa_set`` (and the forgetting probe); a JSON-ready dict. With ``cache``, the
    answers of a model already asked the same questions the same way (the base model, a card made again) are
    reused, not generated again."""
    reporter = reporter or NullReporter()
    config = config or EvalConfig()
    if not len(qa_set):
        raise EvaluationError("there are no questions to ask")
    specs = report_card_specs(record)
    adapted = adapted_label(specs)
    probes = probes if probes is not None else load_probes()
    comparison = evaluate_models(
        registry,
        specs,
        qa_set,
        judge,
        config,
        batch_size=batch_size,
        reporter=ScaledReporter(reporter, 0.0, 0.8),
        retriever=retriever,
        cache=cache,
    )
    runs = {r.label: r for r in comparison.runs}
    if len(runs) < len(specs):
        raise EvaluationError("the report card was stopped before every system had answered")
    pairs = [(adapted, BASE), (BASE_DOCS, adapted)]
    stats = summarize_systems({k: [v] for k, v in runs.items()}, pairs=pairs, metrics=("correct", "f1", PROBE_METRIC))
    systems = []
    for spec in specs:
        run, entry = runs[spec.name], stats["systems"][spec.name]
        systems.append(
            {
                "label": spec.name,
                "model": spec.ref,
                "adapter": spec.adapter or "",
                "with_documents": spec.retrieval,
                "correct": _count(run),
                "n": len(run.questions),
                "accuracy": run.accuracy,
                "accuracy_ci": [entry["correct"]["low"], entry["correct"]["high"]],
                "f1": run.mean_f1,
                "f1_ci": [entry["f1"]["low"], entry["f1"]["high"]],
                "contains": _count(run, PROBE_METRIC),
                "containment": run.containment,
                "containment_ci": [entry[PROBE_METRIC]["low"], entry[PROBE_METRIC]["high"]],
            }
        )
    answers = []
    for i, item in enumerate(qa_set.items):
        row: dict[str, Any] = {"qid": item.qid, "question": item.question, "reference": " | ".join(item.answers)}
        for spec in specs:
            q = runs[spec.name].questions[i]
            row[spec.name] = {
                "answer": q.prediction,
                "correct": q.correct,
                "f1": round(q.f1, 4),
                "contains": bool(q.containment),
            }
            if q.retrieved:
                row[spec.name]["passages"] = q.retrieved
        answers.append(row)
    forgetting = None
    if len(probes):
        probe_specs = [
            ModelSpec(specs[0].ref, label=BASE),
            next(ModelSpec(s.ref, adapter=s.adapter, label=s.label) for s in specs if s.label == adapted),
        ]
        probe_runs = evaluate_models(
            registry,
            probe_specs,
            probes,
            judge,
            config,
            batch_size=batch_size,
            reporter=ScaledReporter(reporter, 0.8, 1.0),
            cache=cache,
        ).runs
        if len(probe_runs) == 2:
            forgetting = {
                "metric": PROBE_METRIC,
                "n_questions": len(probes),
                "base": _count(probe_runs[0], PROBE_METRIC),
                "adapted": _count(probe_runs[1], PROBE_METRIC),
                "answers": [
                    {
                        "question": a.question,
                        "reference": " | ".join(a.references),
                        BASE: a.prediction,
                        "base_ok": bool(a.containment),
                        adapted: b.prediction,
                        "adapted_ok": bool(b.containment),
                    }
                    for a, b in zip(probe_runs[0].questions, probe_runs[1].questions, strict=True)
                ],
            }
    card = {
        "adapted": record.get("name", ""),
        "collection": record.get("collection", ""),
        "adapted_label": adapted,
        "judge": judge.name,
        "prompt": config.prompt,
        "retrieval_k": config.retrieval_k,
        "n_questions": len(qa_set),
        "systems": systems,
        "paired": stats["paired"],
        "answers": answers,
        "forgetting": forgetting,
    }
    card["summary"] = plain_summary(card)
    card["comparison"] = comparison.to_dict()
    return card
