"""Minimal closed-book QA evaluation: the question alone, greedy answer, a judge's score per question.

Used by the pipeline to measure a skill's effect (base vs target SFT vs PaST); the evaluation module of
``past.evaluation`` offers the full study (seeds, λ sweeps, charts) on the same judge interface.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from past.judges import Judge, RuleQAJudge
from past.progress import NullReporter, Reporter
from past.training.modeling import load_model


@torch.no_grad()
def answer_questions(
    model: Any, tokenizer: Any, questions: Sequence[str], max_new_tokens: int = 32, batch_size: int = 8
) -> list[str]:
    tokenizer.padding_side = "left"
    answers: list[str] = []
    for start in range(0, len(questions), batch_size):
        batch = questions[start : start + batch_size]
        prompts = [
            tokenizer.apply_chat_template([{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True)
            for q in batch
        ]
        enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        answers += tokenizer.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return [a.strip() for a in answers]


def evaluate_closed_book(
    model_path: str | Path,
    qa: Sequence[dict[str, Any]],
    judge: Any = None,
    reporter: Reporter | None = None,
    max_new_tokens: int = 32,
) -> dict[str, Any]:
    """Scores per question, per document and overall for the model at ``model_path``."""
    reporter = reporter or NullReporter()
    judge = judge or RuleQAJudge()
    model, tokenizer = load_model(model_path)
    predictions = answer_questions(model, tokenizer, [q["question"] for q in qa], max_new_tokens)
    if isinstance(judge, Judge):
        scores = judge.score_batch([q["question"] for q in qa], predictions, [q["answers"] for q in qa])
    else:
        scores = [judge.score(pred, q["answers"]) for q, pred in zip(qa, predictions, strict=True)]
    rows = []
    for q, pred, score in zip(qa, predictions, scores, strict=True):
        score = float(score)
        rows.append(
            {
                "id": q.get("id", ""),
                "doc_id": q.get("doc_id", ""),
                "question": q["question"],
                "answers": q["answers"],
                "prediction": pred,
                "score": score,
            }
        )
    per_doc: dict[str, list[float]] = {}
    for row in rows:
        per_doc.setdefault(row["doc_id"], []).append(row["score"])
    mean = statistics.fmean(r["score"] for r in rows) if rows else 0.0
    threshold = getattr(judge, "threshold", 0.5)
    reporter.log(f"closed-book QA on {len(rows)} questions: mean score {mean:.3f}")
    return {
        "mean": mean,
        "accuracy": statistics.fmean(float(r["score"] >= threshold) for r in rows) if rows else None,
        "per_document": {d: statistics.fmean(s) for d, s in per_doc.items()},
        "questions": rows,
    }
