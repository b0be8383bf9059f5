"""Closed-book QA evaluation of one model: the question alone in the prompt, greedy batched answers, judged.

Per-question results (prediction, score, correct, token F1), then per-document and overall accuracy and F1.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field

from past.evaluation.qa_set import QASet
from past.generators.base import ChatGenerator, user
from past.judges.base import Judge
from past.judges.rule import token_f1
from past.progress import NullReporter, Reporter
from past.serving.generation import GenerationParams

# The answer prompt of the paper's SQuAD setting.
ANSWER_PROMPT = "Let's answer a question directly and concisely.\nQuestion: {question}\nAnswer:"
# The bare question as the user turn (the format GRPO trains on when no instruction is added).
QUESTION_ONLY_PROMPT = "{question}"
PROMPTS = {"paper": ANSWER_PROMPT, "question": QUESTION_ONLY_PROMPT}


@dataclass(frozen=True)
class EvalConfig:
    max_new_tokens: int = 32
    temperature: float = 0.0  # greedy; >0 samples with the run's seed
    correct_threshold: float = 0.5
    prompt: str = ANSWER_PROMPT


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
    per_doc: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def first_line(text: str) -> str:
    """The answer proper: generation up to the first blank line or new 'Question:'."""
    text = text.strip()
    for stop in ("\n\n", "\nQuestion:"):
        text = text.split(stop, 1)[0]
    return text.strip()


def summarise(label: str, seed: int | None, judge: str, questions: list[QuestionResult]) -> EvalResult:
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
) -> EvalResult:
    """Answer every question closed-book with ``generator`` and score it with ``judge``."""
    import time

    config = config or EvalConfig()
    reporter = reporter or NullReporter()
    started = time.monotonic()
    params = GenerationParams(max_new_tokens=config.max_new_tokens, temperature=config.temperature)
    items = qa_set.items
    predictions: list[str] = []
    batch = max(1, generator.batch_size)
    for start in range(0, len(items), batch):
        if reporter.should_stop():
            items = items[:start]
            reporter.log(f"evaluation of {label} stopped after {start} questions")
            break
        reporter.progress(
            start / max(len(items), 1), f"{label}: answering {start + 1}-{min(start + batch, len(items))}"
        )
        conversations = [user(config.prompt.format(question=i.question)) for i in items[start : start + batch]]
        replies = generator.generate(conversations, params, seed=seed)
        predictions.extend(first_line(r) for r in replies)
    scores = (
        judge.score_batch([i.question for i in items], predictions, [list(i.answers) for i in items]) if items else []
    )
    questions = [
        QuestionResult(
            qid=i.qid,
            doc_id=i.doc_id,
            question=i.question,
            references=list(i.answers),
            prediction=p,
            score=s,
            correct=s >= config.correct_threshold,
            f1=max(token_f1(p, a) for a in i.answers),
        )
        for i, p, s in zip(items, predictions, scores, strict=True)
    ]
    result = summarise(label, seed, judge.name, questions)
    result.seconds = time.monotonic() - started
    reporter.metric(0, f"eval/{label}/accuracy", result.accuracy)
    reporter.progress(1.0, f"{label}: accuracy {result.accuracy:.3f} on {len(questions)} questions")
    return result
