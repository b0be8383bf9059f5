"""What a fine-tune on documents trains on: the data recipe shared by Stage I (source SFT) and Stage II (target SFT).

A :class:`DataRecipe` turns documents into SFT training texts:

* the documents' token windows (``chunking``, the paper's presets of :mod:`past.documents.chunking`),
  each ``passage_copies`` times;
* ``permutations``: the window's sentences in another order (model-free rewrites, seeded);
* ``synthesis``: texts a generator writes from each window (:mod:`past.synthesis`: ``implications``,
  ``rewrites``, ``qa`` pairs rendered as closed-book chat turns, ``summaries`` with their expansions);
* ``extractive_summaries``: context memorisation's multi-task texts of each window (the long-document
  regime, LooGLE): *expansion* (summary → passage) and *compression* (passage → summary), where the
  summary is the window's lead sentences (``summary_sentences`` of them, at most ``SUMMARY_MAX_WORDS``
  words) — a cheap, model-free CPU substitute for the paper's generated summaries;
* ``split_synthetic``: each generated implication line is its own training text (SEAL's recipe) instead of one
  text per generation;
* ``provided``: up to this many synthetic texts that came with a document (e.g. the implications shipped
  with the SQuAD source passages), recorded as provided rather than generated.
* ``practice``: this many bundled practice passages from other documents (:mod:`past.pipeline.practice`) join
  the texts, each passage once and each of its questions as a chat turn answered in ``qa_prompt``'s family (mixed
  training: answering is learned on other documents' questions, never on the user's);
* ``tool_docs``: the documents are API schemas (a tools collection): the stage trains on the paper's tool-use
  data instead (raw schemas, descriptions, name ↔ usage QA, ReAct format alignment; ``tool_questions``
  usage requests per API), see :mod:`past.tools.documents`.

:func:`synthesize_items` is the only step that needs a model; its items are stored by the caller so a
resumed run does not generate again. :func:`training_texts` is pure. :func:`item_quality` measures what was
generated (well-formed rate, how much of each item the passage supports).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from past.documents.chunking import Chunk, chunk_spec, chunk_text
from past.documents.ingest import Document
from past.errors import ConfigError
from past.evaluation.prompts import DEFAULT_PROMPT, RECALL_STYLES, check_prompt, recall_reply, render_prompt
from past.generators.base import ChatGenerator
from past.judges.rule import contains_answer, normalize_answer
from past.pipeline.practice import practice_passages
from past.progress import NullReporter, Reporter
from past.synthesis.items import SynthItem
from past.synthesis.pipeline import TASKS, SynthesisConfig, SynthesisStats, synthesize
from past.training.data import chat_text

GENERATED_TASKS = tuple(t for t in TASKS if t != "passage")
SUMMARY_MAX_WORDS = 80
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass
class DataRecipe:
    """Which training texts a document yields (JSON-serialisable; recipes and job records store it)."""

    chunking: str = "qa-256"
    passage_copies: int = 1
    permutations: int = 0
    synthesis: list[str] = field(default_factory=lambda: ["implications"])
    synthesis_samples: int = 1
    synthesis_max_new_tokens: int = 128
    synthesis_temperature: float = 1.0
    provided: int = 0
    split_synthetic: bool = False  # each implication line its own training text
    extractive_summaries: bool = False
    summary_sentences: int = 2
    qa_prompt: str = DEFAULT_PROMPT  # how synthetic QA pairs are asked (the evaluation's prompt family)
    practice: int = 0  # bundled practice passages (other documents) trained with their questions
    tool_docs: bool = False  # API schemas in, tool-use SFT records out (past.tools.documents)
    tool_questions: int = 2

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataRecipe:
        from past.training.runs import config_from_dict

        recipe = config_from_dict(cls, data)
        recipe.validate()
        return recipe

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> None:
        chunk_spec(self.chunking)
        unknown = [t for t in self.synthesis if t not in GENERATED_TASKS]
        if unknown:
            raise ConfigError(f"unknown synthesis task(s) {unknown}: choose from {', '.join(GENERATED_TASKS)}")
        if not isinstance(self.extractive_summaries, bool):
            raise ConfigError("extractive_summaries must be true or false")
        if not isinstance(self.split_synthetic, bool):
            raise ConfigError("split_synthetic must be true or false")
        if not isinstance(self.tool_docs, bool):
            raise ConfigError("tool_docs must be true or false")
        if self.tool_docs and (self.synthesis or self.extractive_summaries or self.permutations):
            raise ConfigError(
                "a tool_docs stage writes its own data from the API schemas: leave synthesis, "
                "permutations and extractive_summaries off"
            )
        names = (
            "passage_copies",
            "permutations",
            "provided",
            "synthesis_samples",
            "summary_sentences",
            "tool_questions",
            "practice",
        )
        for name in names:
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= 64:
                raise ConfigError(f"{name} must be a whole number from 0 to 64, got {value!r}")
        if not 1 <= self.synthesis_max_new_tokens <= 4096:
            raise ConfigError("synthesis_max_new_tokens must lie between 1 and 4096")
        if not 0.0 <= self.synthesis_temperature <= 2.0:
            raise ConfigError("synthesis_temperature must lie between 0 and 2")
        check_prompt(self.qa_prompt)
        if self.practice:
            practice_passages(self.practice)

    @property
    def needs_generator(self) -> bool:
        return bool(self.synthesis) and self.synthesis_samples > 0


def document_chunks(documents: Sequence[Document], tokenizer: Any, recipe: DataRecipe) -> list[Chunk]:
    return [c for d in documents for c in chunk_text(d.text, tokenizer, recipe.chunking, doc_id=d.doc_id)]


def synthesize_items(
    chunks: list[Chunk],
    generator: ChatGenerator,
    recipe: DataRecipe,
    seed: int,
    reporter: Reporter | None = None,
) -> tuple[list[SynthItem], SynthesisStats]:
    """Generate the recipe's synthetic items for ``chunks`` (empty when the recipe asks for none)."""
    if not recipe.needs_generator or not chunks:
        return [], SynthesisStats()
    config = SynthesisConfig(
        tasks=tuple(recipe.synthesis),
        samples=recipe.synthesis_samples,
        temperature=recipe.synthesis_temperature,
        max_new_tokens=recipe.synthesis_max_new_tokens,
        seed=seed,
    )
    result = synthesize(chunks, generator, config, reporter or NullReporter())
    return result.items, result.stats


def sentence_permutations(text: str, count: int, rng: random.Random) -> list[str]:
    """Up to ``count`` distinct reorderings of ``text``'s sentences (none for a one-sentence text)."""
    sentences = [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]
    if len(sentences) < 2:
        return []
    seen, out = {" ".join(sentences)}, []
    for _ in range(count * 4):
        if len(out) == count:
            break
        order = sentences[:]
        rng.shuffle(order)
        joined = " ".join(order)
        if joined not in seen:
            seen.add(joined)
            out.append(joined)
    return out


def lead_summary(text: str, sentences: int = 2, max_words: int = SUMMARY_MAX_WORDS) -> str:
    """The extractive summary of a window: its first ``sentences`` sentences, cut at ``max_words`` words."""
    lead = " ".join(s.strip() for s in _SENTENCE.split(text.strip())[:sentences] if s.strip())
    words = lead.split()
    return " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")


def memorisation_texts(window: str, sentences: int) -> tuple[str, str] | None:
    """Expansion (summary → passage) and compression (passage → summary) texts of one window; None when the
    lead summary would be the whole window (nothing to expand or compress)."""
    summary = lead_summary(window, sentences)
    if not summary or len(summary) >= len(window.strip()) * 0.9:
        return None
    expansion = f"Summary: {summary}\n\nFull passage: {window}"
    compression = f"Passage: {window}\n\nSummary: {summary}"
    return expansion, compression


def _chat(tokenizer: Any, question: str, answer: str, style: str) -> str:
    messages = [{"role": "user", "content": render_prompt(question, style)}, {"role": "assistant", "content": answer}]
    if getattr(tokenizer, "chat_template", None):
        return chat_text(tokenizer, messages)
    return f"{messages[0]['content']} {answer}"


def supporting_sentence(text: str, answer: str) -> str:
    """The first sentence of ``text`` that contains ``answer`` (SQuAD-normalised), or "" when none does."""
    return next((s.strip() for s in _SENTENCE.split(text.strip()) if contains_answer(s, answer)), "")


def _qa_text(tokenizer: Any, item: SynthItem, sources: dict[tuple[str, int], str], style: str) -> str:
    """A synthetic QA pair as a closed-book chat turn in ``style``; in a recall style the reply first recites the
    passage's sentence that holds the answer (a pair whose answer no sentence holds is dropped: "")."""
    source = sources.get((item.provenance.doc_id, item.provenance.chunk_index), "")
    return _answer_turn(tokenizer, item.prompt, item.completion, source, style)


def _answer_turn(tokenizer: Any, question: str, answer: str, source: str, style: str) -> str:
    """A question about ``source`` answered in ``style``; in a recall style the reply first recites the source's
    sentence that holds the answer ("" when no sentence holds it: such a pair is dropped)."""
    if style in RECALL_STYLES:
        sentence = supporting_sentence(source, answer)
        if not sentence:
            return ""
        answer = recall_reply(sentence, answer)
    return _chat(tokenizer, question, answer, style)


def practice_texts(count: int, tokenizer: Any, style: str) -> tuple[list[str], list[str]]:
    """The first ``count`` practice passages and their questions as chat turns in ``style``."""
    passages = practice_passages(count)
    turns = [_answer_turn(tokenizer, q, a, p.text, style) for p in passages for q, a in p.questions]
    return [p.text for p in passages], turns


def _grouped_implications(items: Sequence[SynthItem]) -> list[str]:
    """One text per generation: the implication lines a single request produced, in order."""
    groups: dict[tuple, list[str]] = {}
    for item in items:
        p = item.provenance
        groups.setdefault((p.doc_id, p.chunk_index, p.seed, p.variant), []).append(item.completion)
    return ["\n".join(lines) for lines in groups.values()]


def training_texts(
    chunks: Sequence[Chunk],
    items: Sequence[SynthItem],
    recipe: DataRecipe,
    tokenizer: Any,
    seed: int,
    provided: dict[str, list[str]] | None = None,
) -> tuple[list[str], dict[str, int]]:
    """The SFT texts of a recipe, with how many of each kind (pure: same inputs, same texts, same order)."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}

    def add(kind: str, new: list[str]) -> None:
        new = [t for t in new if t and t.strip()]
        texts.extend(new)
        if new:
            counts[kind] = counts.get(kind, 0) + len(new)

    texts: list[str] = []
    for chunk in chunks:
        add("passage", [chunk.text] * recipe.passage_copies)
        add("permutation", sentence_permutations(chunk.text, recipe.permutations, rng))
        pair = memorisation_texts(chunk.text, recipe.summary_sentences) if recipe.extractive_summaries else None
        if pair:
            add("expansion", [pair[0]])
            add("compression", [pair[1]])
    if recipe.provided and provided:
        for doc_id in dict.fromkeys(c.doc_id for c in chunks):
            add("provided", list(provided.get(doc_id, []))[: recipe.provided])
    implications = [i for i in items if i.kind == "implication"]
    if recipe.split_synthetic:
        add("implication", [i.completion for i in implications])
    else:
        add("implication", _grouped_implications(implications))
    add("rewrite", [i.completion for i in items if i.kind == "rewrite"])
    sources = {(c.doc_id, c.index): c.text for c in chunks}
    add("qa", [_qa_text(tokenizer, i, sources, recipe.qa_prompt) for i in items if i.kind == "qa"])
    add("summary", [f"{i.prompt}\n\n{i.completion}" for i in items if i.kind in ("summary", "expansion")])
    if recipe.practice:
        passages, turns = practice_texts(recipe.practice, tokenizer, recipe.qa_prompt)
        add("practice passage", passages)
        add("practice qa", turns)
    return texts, counts


def item_quality(chunks: Sequence[Chunk], items: Sequence[SynthItem], stats: SynthesisStats) -> dict[str, float]:
    """Well-formed rate of the generations and how much of each item's words its source passage contains."""
    by_chunk = {(c.doc_id, c.index): set(normalize_answer(c.text).split()) for c in chunks}
    supported = []
    for item in items:
        words = normalize_answer(item.completion).split()
        source = by_chunk.get((item.provenance.doc_id, item.provenance.chunk_index), set())
        if words:
            supported.append(sum(w in source for w in words) / len(words))
    generations = max(stats.generations, 1)
    return {
        "generations": stats.generations,
        "well_formed_rate": round(1.0 - stats.malformed / generations, 4) if stats.generations else 0.0,
        "items": len(items),
        "mean_passage_support": round(sum(supported) / len(supported), 4) if supported else 0.0,
    }
