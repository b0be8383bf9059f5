"""Rule-based answer scores: SQuAD-normalised exact match, token F1 and answer containment.

:func:`answer_scores` gives all three for one prediction (best over the references). Containment is
lenient: a prediction that recites a whole sentence containing the reference passes it, so it is reported
as a secondary figure and never used as the default criterion of correctness or as a reward (the rule
judge of :mod:`past.judges.base` scores token F1 and calls an answer correct at F1 ≥ 0.5).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower().translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token-level F1 between a prediction and one reference."""
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(ref)
    return 2 * precision * recall / (precision + recall)


def contains_answer(prediction: str, reference: str) -> bool:
    ref = normalize_answer(reference)
    return bool(ref) and f" {ref} " in f" {normalize_answer(prediction)} "


def exact_match(prediction: str, reference: str) -> bool:
    return normalize_answer(prediction) == normalize_answer(reference)


@dataclass(frozen=True)
class AnswerScores:
    """The best exact match, token F1 and containment of one prediction over its references."""

    em: float
    f1: float
    containment: float


def answer_scores(prediction: str, references: list[str] | tuple[str, ...] | str) -> AnswerScores:
    refs = [references] if isinstance(references, str) else [r for r in references if r]
    if not refs:
        return AnswerScores(0.0, 0.0, 0.0)
    return AnswerScores(
        em=float(any(exact_match(prediction, r) for r in refs)),
        f1=max(token_f1(prediction, r) for r in refs),
        containment=float(any(contains_answer(prediction, r) for r in refs)),
    )
