"""The default rule-based judge: SQuAD-normalised token F1 and answer containment.

``RuleJudge.score`` returns a reward in [0, 1]: 1.0 when the normalised reference answer is
contained in the normalised prediction, otherwise the token F1 between them.
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


@dataclass(frozen=True)
class RuleJudge:
    """Containment-or-F1 scoring; ``correct`` uses ``threshold`` on the score."""

    threshold: float = 0.5

    def score(self, prediction: str, references: list[str] | str) -> float:
        refs = [references] if isinstance(references, str) else list(references)
        if not refs:
            return 0.0
        return max(1.0 if contains_answer(prediction, r) else token_f1(prediction, r) for r in refs)

    def correct(self, prediction: str, references: list[str] | str) -> bool:
        return self.score(prediction, references) >= self.threshold
