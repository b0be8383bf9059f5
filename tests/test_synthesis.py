"""Synthetic data: tag parsing with malformed generations counted, dedup, provenance, real generation runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from past.documents import Chunk, chunk_text, ingest_file
from past.errors import ConfigError, SynthesisError
from past.generators import EndpointConfig, OpenAIChatGenerator, local_generator
from past.synthesis import (
    QA_VARIANTS,
    Provenance,
    SynthesisConfig,
    SynthItem,
    deduplicate,
    parse_lines,
    parse_qa,
    read_items,
    synthesize,
    write_items,
)
from tests.openai_stub import openai_stub

ROOT = Path(__file__).resolve().parent.parent
PROV = Provenance("doc", 0, "test", "factual", 1, "2026-01-01T00:00:00+00:00")


def test_qa_tags_are_parsed_and_malformed_counted() -> None:
    good = parse_qa("<question> Who built the\nbridge? </question>\n<answer>Thaddeus Quill</answer>")
    assert good.pairs == [("Who built the bridge?", "Thaddeus Quill")] and good.malformed == 0
    two = parse_qa("<QUESTION>A?</QUESTION><ANSWER>a</ANSWER> text <question>B?</question>\n<answer>b</answer>")
    assert two.pairs == [("A?", "a"), ("B?", "b")] and two.malformed == 0
    assert parse_qa("Question: who? Answer: me").malformed == 1  # no tags at all
    assert parse_qa("<question>Who?</question>").malformed == 1  # no answer
    assert parse_qa("<question>Who?</answer>").malformed == 1  # wrong closing tag
    assert parse_qa("<question>  </question><answer>x</answer>").malformed == 1  # empty question
    mixed = parse_qa("<question>A?</question><answer>a</answer>\n<question>B?</question><answer>")
    assert mixed.pairs == [("A?", "a")] and mixed.malformed == 1
    nested = parse_qa("<question>A? <question>B?</question><answer>b</answer>")
    assert nested.pairs == [] and nested.malformed == 2


def test_implication_lines_lose_bullets_and_short_lines() -> None:
    text = "Implications:\n1. The island never freezes in its bay.\n- Salt made Vessary rich for decades.\nok\n"
    assert parse_lines(text) == ["The island never freezes in its bay.", "Salt made Vessary rich for decades."]


def test_dedup_uses_normalised_text_per_kind() -> None:
    items = [
        SynthItem("qa", "Who built the Copper Bridge?", "Quill", PROV),
        SynthItem("qa", "who built the copper bridge", "Thaddeus Quill", PROV),  # same question
        SynthItem("qa", "Who built the Copper Bridge in 1891?", "Quill", PROV),
        SynthItem("implication", "", "The Salt Years ended in 1655.", PROV),
        SynthItem("implication", "", "the salt years ended in 1655", PROV),
        SynthItem("summary", "Summarise", "The Salt Years ended in 1655.", PROV),  # other kind: kept
        SynthItem("implication", "", "...", PROV),  # nothing left after normalisation
    ]
    kept, dropped = deduplicate(items)
    assert [i.completion for i in kept] == ["Quill", "Quill", "The Salt Years ended in 1655.", kept[3].completion]
    assert [i.kind for i in kept] == ["qa", "qa", "implication", "summary"] and dropped == 3
    with pytest.raises(SynthesisError):
        SynthItem("poem", "", "x", PROV)


def test_items_round_trip_through_jsonl_atomically(tmp_path: Path) -> None:
    items = [SynthItem("qa", "Q?", "A", PROV), SynthItem("implication", "", "Some text here.", PROV)]
    path = write_items(tmp_path / "out" / "synth.jsonl", items)
    assert read_items(path) == items and items[0].text == "Question: Q?\nAnswer: A"
    assert json.loads(path.read_text().splitlines()[0])["provenance"]["variant"] == "factual"
    assert [p.name for p in path.parent.iterdir()] == ["synth.jsonl"]  # no temp file left
    (tmp_path / "bad.jsonl").write_text('{"kind": "qa"}\n')
    with pytest.raises(SynthesisError, match=r"bad\.jsonl"):
        read_items(tmp_path / "bad.jsonl")
    with pytest.raises(ConfigError):
        SynthesisConfig(tasks=("poems",))


def fake_teacher(messages: list[dict]) -> str:
    """Endpoint replies keyed on the prompt: tagged QA (one variant malformed), implications, summaries."""
    text = messages[-1]["content"]
    if "<question>" in text:
        if "compares or contrasts" in text:
            return "I cannot compare anything here."
        return "<question>Who led the first settlers of Vessary?</question>\n<answer>Ossian Rudd</answer>"
    if "Implications:" in text:
        return "1. Vessary was settled by people from Cray.\n2. Vessary was settled by people from Cray!\nshort"
    return "Vessary is a crescent island whose town is Tallowmere."


def test_synthesis_through_an_endpoint_counts_malformed_and_duplicates(tmp_path: Path) -> None:
    chunks = [Chunk("vessary", i, f"Passage number {i} about Vessary.", 0, 10) for i in range(2)]
    with openai_stub(fake_teacher) as (url, state):
        generator = OpenAIChatGenerator(EndpointConfig(url, model="teacher", api_key_env=None))
        config = SynthesisConfig(tasks=("passage", "implications", "qa", "summaries"), seed=7, max_new_tokens=64)
        result = synthesize(chunks, generator, config)
    stats = result.stats
    assert stats.requests == stats.generations == 2 * (1 + len(QA_VARIANTS) + 1) == len(state.requests)
    assert stats.malformed == 2  # the comparison variant, once per chunk
    # parsed from generations: 2x2 implications + 2x5 QA + 2 summaries + 2 expansions (passages are not generated).
    # The teacher repeats itself, so only one of each generated kind survives deduplication.
    assert stats.parsed == 4 + 10 + 4
    assert stats.by_kind == {"passage": 2, "implication": 1, "qa": 1, "summary": 1, "expansion": 1}
    assert stats.kept == len(result.items) == 6 and stats.duplicates == 2 + stats.parsed - stats.kept
    qa = next(i for i in result.items if i.kind == "qa")
    assert (qa.question, qa.answer) == ("Who led the first settlers of Vessary?", "Ossian Rudd")
    assert qa.provenance.doc_id == "vessary" and qa.provenance.chunk_index == 0
    assert qa.provenance.generator == f"openai:teacher@{url}" and qa.provenance.variant == "factual"
    assert qa.provenance.seed == 7 and qa.provenance.created_at.startswith("20")
    expansion = next(i for i in result.items if i.kind == "expansion")
    assert expansion.completion == chunks[0].text and "Tallowmere" in expansion.prompt
    assert {r["seed"] for r in state.requests} == set(range(7, 7 + stats.requests))


@pytest.mark.slow
def test_a_real_synthesis_run_with_the_default_model(default_model, tmp_path: Path) -> None:
    doc = ingest_file(ROOT / "assets" / "documents" / "isle-of-vessary.md")
    chunk = chunk_text(doc.text, default_model.tokenizer, "qa-128", doc.doc_id)[1]
    config = SynthesisConfig(
        tasks=("implications", "qa", "summaries"), qa_variants=("factual", "definition"), max_new_tokens=48, seed=3
    )
    result = synthesize([chunk], local_generator(default_model, batch_size=4), config)
    stats = result.stats
    assert stats.requests == stats.generations == 4
    qa_parsed = sum(1 for i in result.items if i.kind == "qa")
    assert 0 <= stats.malformed <= 4 and stats.kept == len(result.items) > 0
    assert qa_parsed + stats.malformed >= 2  # every QA generation is either parsed or counted as malformed
    for item in result.items:
        assert item.completion.strip() and item.provenance.doc_id == "isle-of-vessary"
        assert item.provenance.chunk_index == 1 and item.provenance.generator.startswith("local:")
        assert item.provenance.seed == 3
    path = write_items(tmp_path / "synth.jsonl", result.items)
    assert read_items(path) == result.items


def test_stored_rows_carry_a_training_view_for_sft_loaders(tmp_path: Path) -> None:
    rows = [
        SynthItem("qa", "Who led the settlers?", "Ossian Rudd", PROV).to_dict(),
        SynthItem("implication", "", "Vessary's bay never freezes.", PROV).to_dict(),
    ]
    assert rows[0]["messages"][0] == {"role": "user", "content": "Who led the settlers?"}
    assert rows[0]["question"] == "Who led the settlers?" and rows[0]["answer"] == "Ossian Rudd"
    assert rows[1]["text"] == "Vessary's bay never freezes." and "messages" not in rows[1]
    assert SynthItem.from_dict(rows[0]) == SynthItem("qa", "Who led the settlers?", "Ossian Rudd", PROV)


class StopAfterFirstBatch:
    def __init__(self) -> None:
        self.calls, self.fractions, self.metrics = 0, [], {}

    def progress(self, fraction: float, message: str) -> None:
        self.fractions.append(fraction)

    def metric(self, step: int, name: str, value: float) -> None:
        self.metrics[name] = value

    def log(self, message: str) -> None:
        del message

    def should_stop(self) -> bool:
        self.calls += 1
        return self.calls > 1


def test_synthesis_reports_progress_and_stops_cleanly() -> None:
    chunks = [Chunk("vessary", i, f"Passage {i}.", 0, 3) for i in range(3)]
    reporter = StopAfterFirstBatch()
    with openai_stub(fake_teacher) as (url, state):
        generator = OpenAIChatGenerator(EndpointConfig(url, model="t", api_key_env=None, concurrency=1))
        generator.batch_size = 2
        result = synthesize(chunks, generator, SynthesisConfig(tasks=("qa",), qa_variants=("factual",)), reporter)
    assert result.stats.stopped and result.stats.requests == 3 and result.stats.generations == 2 == len(state.requests)
    assert reporter.fractions[0] == 0.0 and reporter.fractions[-1] == 1.0
    assert reporter.metrics == {"synthesis/kept": 1, "synthesis/malformed": 0}
