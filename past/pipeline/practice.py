"""Practice passages from other documents, with their questions: the QA half of mixed training.

A model fine-tuned on a passage can often recite it but not answer from it. Training on the passage *and* on
question–answer pairs about other passages (Physics of Language Models 3.1's mixed training; PIT) teaches the
answering step itself; :func:`past.pipeline.data_recipe.training_texts` renders these in the recipe's prompt
family. The bundled set is ``assets/practice/squad-practice.json`` (SQuAD dev passages from articles no benchmark
target comes from; see its README).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from past.errors import ConfigError

PRACTICE_FILE = Path(__file__).resolve().parents[2] / "assets" / "practice" / "squad-practice.json"


@dataclass(frozen=True)
class PracticePassage:
    title: str
    text: str
    questions: tuple[tuple[str, str], ...]  # (question, answer)


@lru_cache(maxsize=4)
def load_practice(path: Path = PRACTICE_FILE) -> tuple[PracticePassage, ...]:
    """The practice passages of a bundled file (project data, not user input), in file order."""
    if not path.is_file():
        raise ConfigError(f"the practice passages file {path.name} is missing from assets/practice")
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        PracticePassage(
            title=p["title"],
            text=p["context"],
            questions=tuple((q["question"], q["answer"]) for q in p["questions"]),
        )
        for p in data["passages"]
    )


def practice_passages(count: int) -> tuple[PracticePassage, ...]:
    """The first ``count`` practice passages; a count beyond the bundled set is a configuration error."""
    passages = load_practice()
    if count > len(passages):
        raise ConfigError(f"practice must be at most {len(passages)} (the bundled practice passages), got {count}")
    return passages[:count]
