"""Closed-book QA evaluation of one model: the question alone in the prompt, greedy batched answers, judged.

The one evaluator of the project: the Evaluate screen and job, ``past eval``, Stage I's own skill
evaluation, the report card and ``bench/quality.py`` all come here. Per question: the prediction, the
judge's score and verdict (correct at score ≥ ``correct_threshold``), and the rule metrics that are always
computed whatever the judge (exact match, token F1, containment); then per-document and overall means.
The prompt style (:mod:`past.evaluation.prompts`) and the judge's name are recorded with every result.

"With documents": given a ``retriever`` (anything with ``retrieve(question, k)`` returning hits with ``text``,
``doc_name`` and ``chunk``, e.g. :class:`past.retrieval.RetrievalIndex`), each question is asked with its
``retrieval_k`` best chunks in front of it (:func:`past.evaluation.prompts.documents_conversation`); everything else
(decoding, judging, statistics) is the same, and the chunks used are recorded per question.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from past.errors import EvaluationError
from past.evaluation.prompts import (
    ANSWER_TOKENS,
    DEFAULT_PROMPT,
    RECALL_STYLES,
    check_prompt,
    documents_conversation,
    prompt_conversation,
    split_reply,
)
from past.evaluation.qa_set import QASet
from past.generators.base import ChatGenerator
from past.judges.base import Judge
from past.judges.rule import answer_scores
from past.progress import NullReporter, Reporter
from past.serving.generation import GenerationParams


@dataclass(frozen=True)
class EvalConfig:
    max_new_tokens: int = 32
    temperature: float = 0.0  # greedy; >0 samples with the run's seed
    correct_threshold: float = 0.5
    prompt: str = DEFAULT_PROMPT  # a style of past.evaluation.prompts.PROMPTS
    retrieval_k: int = 3  # chunks put in front of the question when evaluating with documents

    def __post_init__(self) -> None:
        check_prompt(self.prompt)
        if self.max_new_tokens < 1:
            raise EvaluationError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")

    @property
    def answer_tokens(self) -> int:
        """New tokens per reply: ``max_new_tokens``, raised to what the prompt style needs (a recall line + answer)."""
        if self.prompt in RECALL_STYLES:
            return max(self.max_new_tokens, ANSWER_TOKENS[self.prompt])
        return self.max_new_tokens
        if self.retrieval_k < 1:
            raise EvaluationError(f"retrieval_k must be at least 1, got {self.retrieval_k}")


@dataclass
class QuestionResult:
    qid: str
    doc_id: str
    question: str
    references: list[str]
    prediction: str
    score: float
    correct: bool
    f1: float
    em: float = 0.0
    containment: float = 0.0
    retrieved: list[str] = field(default_factory=list)  # "document#chunk" put in the prompt (with documents)
    verdicts: dict = field(default_factory=dict)  # a FallbackJudge's {"llm", "rule", "used"}
    recall: str = ""  # the "recall" style's remembered sentence (never judged); "" for direct styles


@dataclass
class EvalResult:
    """One model on one QA set (one run)."""

    label: str
    seed: int | None
    judge: str
    questions: list[QuestionResult]
    accuracy: float
    mean_f1: float
    mean_score: float
    mean_em: float = 0.0
    containment: float = 0.0
    prompt: str = DEFAULT_PROMPT
    per_doc: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0
    with_documents: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def summarise(
    label: str, seed: int | None, judge: str, questions: list[QuestionResult], prompt: str = DEFAULT_PROMPT
) -> EvalResult:
    def mean(values: list[float]) -> float:
        return statistics.fmean(values) if values else 0.0

    per_doc: dict[str, dict[str, float]] = {}
    for doc_id in dict.fromkeys(q.doc_id for q in questions):
        mine = [q for q in questions if q.doc_id == doc_id]
        per_doc[doc_id] = {
            "n": len(mine),
            "accuracy": mean([float(q.correct) for q in mine]),
            "mean_f1": mean([q.f1 for q in mine]),
        }
    return EvalResult(
        label=label,
        seed=seed,
        judge=judge,
        questions=questions,
        accuracy=mean([float(q.correct) for q in questions]),
        mean_f1=mean([q.f1 for q in questions]),
        mean_score=mean([q.score for q in questions]),
        mean_em=mean([q.em for q in questions]),
        containment=mean([q.containment for q in questions]),
        prompt=prompt,
        per_doc=per_doc,
    )


def evaluate_closed_book(
    generator: ChatGenerator,
    qa_set: QASet,
    judge: Judge,
    config: EvalConfig | None = None,
    *,
    label: str = "model",
    seed: int | None = None,
    reporter: Reporter | None = None,
    retriever: Any = None,
) -> EvalResult:
    """Answer every question with ``generator`` (closed-book, or with retrieved chunks) and score it."""
    import time

    config = config or EvalConfig()
    reporter = reporter or NullReporter()
    started = time.monotonic()
    params = GenerationParams(max_new_tokens=config.answer_tokens, temperature=config.temperature)
    items = qa_set.items
    predictions: list[str] = []
    recalls: list[str] = []
    retrieved: list[list[str]] = []
    batch = max(1, generator.batch_size)
    for start in range(0, len(items), batch):
        if reporter.should_stop():
            items = items[:start]
            reporter.log(f"evaluation of {label} stopped after {start} questions")
            break
        reporter.progress(
            start / max(len(items), 1), f"{label}: answering {start + 1}-{min(start + batch, len(items))}"
        )
        conversations = []
        for item in items[start : start + batch]:
            if retriever is None:
                conversations.append(prompt_conversation(item.question, config.prompt))
                retrieved.append([])
                continue
            hits = retriever.retrieve(item.question, config.retrieval_k)
            conversations.append(documents_conversation(item.question, [h.text for h in hits], config.prompt))
            retrieved.append([f"{h.doc_name}#{h.chunk}" for h in hits])
        replies = generator.generate(conversations, params, seed=seed)
        for reply in replies:
            answer, recall = split_reply(reply, config.prompt)
            predictions.append(answer)
            recalls.append(recall)
    scores = (
        judge.score_batch([i.question for i in items], predictions, [list(i.answers) for i in items]) if items else []
    )
    details = list(getattr(judge, "last_details", None) or [])
    details = details if len(details) == len(scores) else [{}] * len(scores)
    questions = []
    for item, prediction, recall, score, used, verdicts in zip(
        items, predictions, recalls, scores, retrieved[: len(items)], details, strict=True
    ):
        rule = answer_scores(prediction, item.answers)
        questions.append(
            QuestionResult(
                qid=item.qid,
                doc_id=item.doc_id,
                question=item.question,
                references=list(item.answers),
                prediction=prediction,
                score=score,
                correct=score >= config.correct_threshold,
                f1=rule.f1,
                em=rule.em,
                containment=rule.containment,
                retrieved=used,
                verdicts=dict(verdicts),
                recall=recall,
            )
        )
    result = summarise(label, seed, judge.name, questions, config.prompt)
    result.seconds = time.monotonic() - started
    result.with_documents = retriever is not None
    reporter.metric(0, f"eval/{label}/accuracy", result.accuracy)
    reporter.progress(1.0, f"{label}: accuracy {result.accuracy:.3f} on {len(questions)} questions")
    return result
