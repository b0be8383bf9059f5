"""Parsers for generations: tagged QA pairs (malformed ones dropped and counted) and implication lists."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PAIR = re.compile(r"<question>(.*?)</question>\s*<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_OPEN_Q = re.compile(r"<question>", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]+|\(?\d{1,3}[.)]|\(?[a-z][.)](?=\s))\s*")


@dataclass(frozen=True)
class ParsedQA:
    pairs: list[tuple[str, str]]
    malformed: int


def _clean(text: str) -> str:
    return " ".join(text.split())


def parse_qa(text: str) -> ParsedQA:
    """Complete, non-empty ``<question>…</question><answer>…</answer>`` pairs in order.

    Every ``<question>`` that does not form a complete non-empty pair counts as malformed; a generation with
    no complete pair at all counts as (at least) one malformed generation.
    """
    pairs, bad = [], 0
    for question, answer in _PAIR.findall(text):
        question, answer = _clean(question), _clean(answer)
        if question and answer and "<" not in question and "<" not in answer:
            pairs.append((question, answer))
        else:
            bad += 1
    opened = len(_OPEN_Q.findall(text))
    bad += max(0, opened - len(pairs) - bad)
    if not pairs and bad == 0:
        bad = 1
    return ParsedQA(pairs, bad)


def parse_lines(text: str, min_words: int = 4) -> list[str]:
    """One item per line, bullets/numbering stripped, too-short lines and headers dropped."""
    items = []
    for line in text.splitlines():
        line = _clean(_BULLET.sub("", line))
        if len(line.split()) >= min_words and not line.endswith(":"):
            items.append(line)
    return items
