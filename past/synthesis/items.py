"""Synthetic training items with full provenance, their JSONL storage and deduplication."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from past.datasets import read_jsonl, write_jsonl
from past.errors import SynthesisError
from past.judges.rule import normalize_answer

KINDS = ("passage", "implication", "qa", "summary", "expansion", "rewrite")


@dataclass(frozen=True)
class Provenance:
    """Where an item came from: source chunk, generator, prompt variant, seed and time."""

    doc_id: str
    chunk_index: int
    generator: str
    variant: str
    seed: int | None
    created_at: str


@dataclass(frozen=True)
class SynthItem:
    """One training example. ``qa``: prompt=question, completion=answer; ``implication``/``passage``: text in
    ``completion`` with an empty prompt; ``summary``/``expansion``: instruction in ``prompt``."""

    kind: str
    prompt: str
    completion: str
    provenance: Provenance
    item_id: str = field(default="")

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SynthesisError(f"unknown item kind '{self.kind}' (expected one of {', '.join(KINDS)})")
        if not self.item_id:
            digest = hashlib.sha256(f"{self.kind}\0{self.prompt}\0{self.completion}".encode()).hexdigest()[:16]
            object.__setattr__(self, "item_id", digest)

    @property
    def question(self) -> str | None:
        return self.prompt if self.kind == "qa" else None

    @property
    def answer(self) -> str | None:
        return self.completion if self.kind == "qa" else None

    @property
    def text(self) -> str:
        """The item as one training text (for plain causal-LM fine-tuning)."""
        if self.kind == "qa":
            return f"Question: {self.prompt}\nAnswer: {self.completion}"
        return f"{self.prompt}\n\n{self.completion}" if self.prompt else self.completion

    @property
    def messages(self) -> list[dict[str, str]]:
        """The item as a chat exchange (QA: the question alone, then the answer: the closed-book format)."""
        if self.kind == "qa":
            return [{"role": "user", "content": self.prompt}, {"role": "assistant", "content": self.completion}]
        if self.prompt:
            return [{"role": "user", "content": self.prompt}, {"role": "assistant", "content": self.completion}]
        return [{"role": "assistant", "content": self.completion}]

    def to_dict(self) -> dict:
        """Stored row: the fields plus a ready training view that SFT loaders pick up directly
        (``messages`` for QA pairs, ``text`` for the others)."""
        row = asdict(self)
        if self.kind == "qa":
            row.update(question=self.prompt, answer=self.completion, messages=self.messages)
        else:
            row["text"] = self.text
        return row

    @classmethod
    def from_dict(cls, data: dict) -> SynthItem:
        return cls(
            kind=data["kind"],
            prompt=data["prompt"],
            completion=data["completion"],
            provenance=Provenance(**data["provenance"]),
            item_id=data.get("item_id", ""),
        )


def dedup_key(item: SynthItem) -> tuple[str, str]:
    """Items with the same key are duplicates: QA by question, expansions by summary, others by text."""
    if item.kind == "qa":
        return item.kind, normalize_answer(item.prompt)
    if item.kind == "expansion":
        return item.kind, normalize_answer(item.prompt)
    return item.kind, normalize_answer(item.completion)


def deduplicate(items: Iterable[SynthItem]) -> tuple[list[SynthItem], int]:
    """Keep the first of each duplicate group (normalised text); return (kept, number dropped)."""
    kept, seen, dropped = [], set(), 0
    for item in items:
        key = dedup_key(item)
        if key in seen or not key[1]:
            dropped += 1
            continue
        seen.add(key)
        kept.append(item)
    return kept, dropped


def write_items(path: str | os.PathLike[str], items: Iterable[SynthItem]) -> Path:
    return write_jsonl(path, (i.to_dict() for i in items))


def read_items(path: str | os.PathLike[str]) -> list[SynthItem]:
    rows = read_jsonl(path)
    try:
        return [SynthItem.from_dict(r) for r in rows]
    except (KeyError, TypeError) as exc:
        raise SynthesisError(f"{Path(path).name} is not a synthetic-data file (bad or missing field: {exc})") from exc
