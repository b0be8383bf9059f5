"""Long documents (LooGLE regime): LooGLE question files, the LLM judge with rule fallback, the long-document
preset's data, the cost model and the bad-input limits. Fast; the one slow end-to-end run is marked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from backend.documents import DocumentService
from backend.qa_upload import QAUploadError
from backend.store import Store
from past.errors import EvaluationError
from past.evaluation import load_qa_set
from past.evaluation.qa_set import loogle_qa_set
from past.settings import Settings
from tests.openai_stub import openai_stub

ROOT = Path(__file__).resolve().parent.parent


def loogle_line(title: str, text: str, pairs: str) -> str:
    return json.dumps({"input": text, "title": title, "qa_pairs": pairs, "output": "none"})


GOOD_LINES = [
    loogle_line(
        "Lighthouse",
        "The Vessary light was lit in 1891 by Ossian Rudd.",
        "[{'Q': 'Who lit it?', 'A': 'Ossian Rudd', 'S': 'x'}]",
    ),
    "",
    loogle_line("Cloze", "Tallowmere is the town.", "[{'Q': '<mask-0> is the town', 'A': {'<mask-0>': 'Tallowmere'}}]"),
]


def test_loogle_lines_become_questions_with_contexts(tmp_path: Path) -> None:
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(GOOD_LINES) + "\n", encoding="utf-8")
    qa = load_qa_set(path)
    assert [i.doc_id for i in qa.items] == ["lighthouse-00", "cloze-01"]
    assert qa.items[0].answers == ("Ossian Rudd",) and qa.items[1].answers == ("<mask-0>: Tallowmere",)
    assert qa.contexts["lighthouse-00"].startswith("The Vessary light")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"input": "text", "qa_pairs": "[{\'Q\': \'q\', \'A\': "}', r"line 3: qa_pairs is not a Python literal"),
        (loogle_line("x", "text", "__import__('os').system('touch PWNED')"), r"line 3: qa_pairs is not a Python"),
        (loogle_line("x", "text", "[{'Q': 'q'}]"), r"line 3: qa_pairs entry 1 has no answer"),
        (loogle_line("x", "text", "{'Q': 'q', 'A': 'a'}"), r"line 3: qa_pairs must be a list"),
        ('{"input": "text"}', r"line 3: a LooGLE row needs input and qa_pairs \(missing qa_pairs\)"),
        ("{not json", r"line 3 is not valid JSON"),
    ],
)
def test_malformed_loogle_lines_name_the_line(tmp_path: Path, bad: str, message: str) -> None:
    lines = [GOOD_LINES[0], GOOD_LINES[2], bad]
    with pytest.raises(EvaluationError, match=message):
        loogle_qa_set(lines, "bad.jsonl")
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_loogle_upload_attaches_and_a_malformed_one_loses_nothing(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "data").ensure()
    docs = DocumentService(settings, Store(settings.db_path))
    good = ("\n".join(GOOD_LINES) + "\n").encode()
    row = docs.upload_qa("loogle_sample.jsonl", good, "long")
    assert row["meta"]["format"] == "loogle.jsonl" and row["meta"]["n_questions"] == 2
    before = sorted(p.name for p in settings.uploads_dir.iterdir())
    bad = (GOOD_LINES[0] + "\n" + loogle_line("x", "t", "[{'Q': 'q', 'A': open('x')}]") + "\n").encode()
    with pytest.raises(QAUploadError, match=r"broken\.jsonl line 2: qa_pairs is not a Python literal"):
        docs.upload_qa("broken.jsonl", bad, "long")
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == before
    assert [i.answers[0] for i in docs.qa_pairs("long").items] == ["Ossian Rudd", "<mask-0>: Tallowmere"]


def test_past_eval_reads_loogle_and_names_a_bad_line(tmp_path: Path) -> None:
    """``past eval --qa bad.jsonl`` stops with the line's error (main prints it as ``error: …``, exit 2)."""
    import argparse

    from past.cli import eval_cmd

    bad = tmp_path / "bad.jsonl"
    bad.write_text(GOOD_LINES[0] + "\n" + loogle_line("x", "t", "[{'Q': 'q', 'A': 'a'},]]") + "\n")
    parser = argparse.ArgumentParser()
    eval_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["eval", "--qa", str(bad), "--out", str(tmp_path / "r")])
    with pytest.raises(EvaluationError, match=r"bad\.jsonl line 2: qa_pairs is not a Python literal"):
        args.func(args, Settings.load(tmp_path / "data").ensure())
    assert not (tmp_path / "r").exists()


def test_llm_judge_on_an_endpoint_records_both_verdicts_and_falls_back_to_rule() -> None:
    from past.evaluation import EvalConfig, evaluate_closed_book
    from past.generators import EndpointConfig
    from past.judges import FallbackJudge, make_judge

    class Fixed:
        name, batch_size = "fixed", 8

        def generate(self, conversations, params, seed=None):
            return ["Ossian Rudd", "garble", "Tallowmere town"][: len(conversations)]

    def grader(messages: list[dict]) -> str:
        text = messages[-1]["content"]
        return "Hmm." if "garble" in text else ("yes" if "Ossian" in text else "no")

    qa = loogle_qa_set([*GOOD_LINES, loogle_line("y", "t", "[{'Q': 'town?', 'A': 'Tallowmere'}]")], "s.jsonl")
    with openai_stub(grader) as (url, _):
        judge = make_judge("llm", endpoint=EndpointConfig(url, "grader", max_retries=0))
        assert isinstance(judge, FallbackJudge)
        result = evaluate_closed_book(Fixed(), qa, judge, EvalConfig())
    verdicts = [q.verdicts for q in result.questions]
    assert verdicts[0] == {"llm": 1.0, "rule": 1.0, "used": "llm"}
    assert verdicts[1]["llm"] is None and verdicts[1]["used"] == "rule"  # unparsed reply: rule score
    assert verdicts[2]["llm"] == 0.0 and verdicts[2]["rule"] > 0.5 and not result.questions[2].correct
    assert result.judge.endswith("+rule")
    # the endpoint is gone: every answer falls back to the rule judge, with the reason kept
    scores = judge.score_batch(["q"], ["Ossian Rudd"], [["Ossian Rudd"]])
    assert scores == [1.0] and judge.last_details[0]["used"] == "rule" and "cannot reach" in judge.fallback_reason


TINY_TOKENIZER = ROOT / "tests" / "data" / "tiny_tokenizer.json"


def tiny_tokenizer():
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_file(str(TINY_TOKENIZER)))


def long_text(sentences: int) -> str:
    return " ".join(f"Sentence {n} says the keeper of light {n} was named Rudd {n}." for n in range(sentences))


def test_long_document_preset_memorises_windows_then_practises_qa() -> None:
    from backend.jobs.kinds.adapt import PRESET_NAMES
    from past.documents.ingest import ingest_bytes
    from past.pipeline import PRESETS, AdaptConfig
    from past.pipeline.data_recipe import document_chunks, lead_summary, training_texts

    assert list(PRESETS) == PRESET_NAMES and "long-document" in PRESET_NAMES
    assert "manual or report of many pages" in PRESETS["long-document"]["description"]
    config = AdaptConfig.from_preset("long-document")
    assert [s.name for s in config.stages] == ["memorise", "qa"]
    memorise, qa = config.stages
    assert memorise.data.chunking == "memorise-1024" and memorise.data.extractive_summaries
    assert qa.data.synthesis == ["qa"] and not memorise.data.needs_generator
    tokenizer = tiny_tokenizer()
    doc = ingest_bytes(long_text(400).encode(), "manual.md")
    chunks = document_chunks([doc], tokenizer, memorise.data)
    texts, counts = training_texts(chunks, [], memorise.data, tokenizer, 0)
    assert len(chunks) > 3 and counts == {"passage": len(chunks), "expansion": len(chunks), "compression": len(chunks)}
    summary = lead_summary(chunks[1].text)
    assert f"Summary: {summary}\n\nFull passage: {chunks[1].text}" in texts
    assert f"Passage: {chunks[1].text}\n\nSummary: {summary}" in texts
    assert AdaptConfig.from_dict(config.to_dict()).stages[0].data.extractive_summaries


def test_cost_model_grows_with_length_and_counts_steps() -> None:
    from past.documents.ingest import ingest_bytes
    from past.pipeline import AdaptConfig
    from past.pipeline.cost import estimate_adapt_cost, human_duration, launch_note

    tokenizer = tiny_tokenizer()
    config = AdaptConfig.from_preset("long-document", mode="sft")
    short = estimate_adapt_cost([ingest_bytes(long_text(200).encode(), "a.md")], config, tokenizer)
    longer = estimate_adapt_cost([ingest_bytes(long_text(800).encode(), "b.md")], config, tokenizer)
    assert 3.0 < longer.document_tokens / short.document_tokens < 5.0
    assert longer.seconds > 2.5 * (short.seconds - 30) and longer.stages[0].windows > short.stages[0].windows
    memorise = short.stages[0]
    assert memorise.texts == 3 * memorise.windows  # window, expansion, compression
    assert memorise.steps == -(-memorise.texts // 2) * 2  # batch 1 × accumulation 2, 2 epochs
    assert short.stages[1].generated_tokens > 0 and "on this machine" in short.describe()
    assert human_duration(700) == "12 minutes" and human_duration(20) == "20 seconds"
    note = launch_note(longer, 1)
    assert (
        note.startswith("Estimated time: **about ")
        and f"{longer.stages[0].windows + longer.stages[1].windows} windows" in note
    )


def test_launch_note_adds_the_report_card_and_says_when_the_machine_is_busy() -> None:
    from past.documents.ingest import ingest_bytes
    from past.pipeline import AdaptConfig
    from past.pipeline.cost import estimate_adapt_cost, launch_note, report_card_seconds

    config = AdaptConfig.from_preset("short-notes", mode="sft")
    cost = estimate_adapt_cost([ingest_bytes(long_text(200).encode(), "a.md")], config, tiny_tokenizer(), threads=2)
    quiet = launch_note(cost, 1, card_questions=14, load=0.2, cores=2)
    assert "writing practice material about" in quiet  # the generation's share is named
    assert "Then the report card (14 questions and the forgetting check): about" in quiet and "busy" not in quiet
    assert report_card_seconds(28, 2) > report_card_seconds(14, 2) > report_card_seconds(14, 4)
    busy = launch_note(cost, 1, card_questions=14, load=6.0, cores=2)
    assert "The machine is busy (load 6.0 on 2 cores): expect about 4.0× longer" in busy
    assert "report card" not in launch_note(cost, 1, load=0.0, cores=2)  # no questions: no card follows


def test_cost_model_charges_long_windows_more_per_token_and_divides_by_threads() -> None:
    from past.documents.ingest import ingest_bytes
    from past.pipeline import AdaptConfig
    from past.pipeline.cost import TWO_THREAD_SPEEDUP, estimate_adapt_cost, thread_speedup, train_seconds

    assert thread_speedup(1) == 1.0 and thread_speedup(2) == pytest.approx(TWO_THREAD_SPEEDUP)
    assert thread_speedup(2) < thread_speedup(4) < thread_speedup(16) < 16  # Amdahl: more, never linear
    # a token of a 1,024-token window costs more than one of a 64-token QA pair (attention, activations)
    assert train_seconds([1024]) / 1024 > 1.8 * train_seconds([64]) / 64
    assert train_seconds([100, 100]) == pytest.approx(2 * train_seconds([100]))
    config = AdaptConfig.from_preset("long-document", mode="sft")
    doc = [ingest_bytes(long_text(400).encode(), "a.md")]
    one, two = (estimate_adapt_cost(doc, config, tiny_tokenizer(), threads) for threads in (1, 2))
    assert one.cpu_seconds == pytest.approx(two.cpu_seconds) and one.seconds == pytest.approx(one.cpu_seconds)
    assert two.seconds == pytest.approx(two.cpu_seconds / TWO_THREAD_SPEEDUP)
    assert "(CPU, 1 thread)" in one.describe() and "(CPU, 2 threads)" in two.describe()


def test_a_slice_is_asked_only_the_loogle_questions_whose_evidence_it_holds() -> None:
    from past.evaluation.loogle import parse_loogle_lines

    text = "The light was lit in 1891. Ossian Rudd kept it for forty years. The town of Tallowmere lies east."
    pairs = (
        "[{'Q': 'When was it lit?', 'A': '1891', 'S': ['The light was lit in 1891.']},"
        " {'Q': 'Who kept it?', 'A': 'Ossian Rudd', 'S': 'Ossian Rudd kept it  for forty\\nyears.'},"
        " {'Q': 'Where is the town?', 'A': 'east', 'S': ['The light was lit', 'Tallowmere lies east']},"
        " {'Q': 'How old?', 'A': 'old'}]"
    )
    (row,) = parse_loogle_lines([loogle_line("Light", text, pairs)], "t.jsonl")
    ids = [qid for qid, _, _ in row.questions]
    assert row.evidence[ids[1]] == ("Ossian Rudd kept it  for forty\nyears.",) and row.evidence[ids[3]] == ()
    assert row.questions_within(text) == ids[:3]  # no evidence, never asked of a slice
    first = text[: text.index("Tallowmere")]
    assert row.questions_within(first) == ids[:2]  # one evidence passage beyond the slice
    assert row.questions_within(text[:20]) == []


def test_a_fifty_page_pdf_is_read_whole_and_gets_an_estimate(tmp_path: Path) -> None:
    """The studio's 'long document' case as a user brings it: a PDF of ~50 pages of a LooGLE document."""
    from past.pipeline import AdaptConfig
    from past.pipeline.cost import estimate_adapt_cost
    from tests.doc_files import text_pdf_pages

    loogle = ROOT.parent / "shared" / "data" / "loogle" / "longdep_qa.jsonl"
    text = json.loads(loogle.read_text(encoding="utf-8").splitlines()[1])["input"][:100_000]
    pdf = text_pdf_pages(text, lines_per_page=24, width=90)
    settings = Settings.load(tmp_path / "data").ensure()
    docs = DocumentService(settings, Store(settings.db_path))
    (outcome,) = docs.upload([("urban-planning.pdf", pdf)], "report")
    assert outcome.ok, outcome.error
    (document,) = docs.documents("report")
    import io

    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 45
    words = text.split()
    assert abs(len(document.text.split()) - len(words)) < 0.02 * len(words)  # every page's words, none lost
    assert " ".join(words[-12:-2]) in " ".join(document.text.split())  # through the last page
    cost = estimate_adapt_cost([document], AdaptConfig.from_preset("long-document", mode="sft"), tiny_tokenizer(), 2)
    assert cost.stages[0].windows > 10 and "(CPU, 2 threads)" in cost.describe()


def test_past_adapt_estimate_only_prints_the_studio_estimate_and_trains_nothing(
    tmp_path: Path, session_settings
) -> None:
    import subprocess

    from past.adapt_params import AdaptParams
    from past.documents.ingest import ingest_bytes
    from past.models import ModelRegistry
    from past.pipeline.cost import estimate_preset

    loogle = ROOT.parent / "shared" / "data" / "loogle" / "longdep_qa.jsonl"
    text = json.loads(loogle.read_text(encoding="utf-8").splitlines()[2])["input"][:20_000]
    doc = tmp_path / "pension-reform.txt"
    doc.write_text(text, encoding="utf-8")
    adapters = sorted(p.name for p in session_settings.adapters_dir.glob("*"))
    args = ["adapt", str(doc), "--preset", "long-document", "--estimate-only", "--threads", "1"]  # no skill needed
    result = subprocess.run(
        [sys.executable, "-m", "past.cli.main", "--data-dir", str(session_settings.data_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    base = ModelRegistry(session_settings).resolve("default").path
    params = AdaptParams("long-document")
    studio = estimate_preset(base, [ingest_bytes(doc.read_bytes(), doc.name)], params, threads=1)
    assert f"estimated time: {studio.describe()}" in result.stderr  # the words the Adapt screen shows
    assert "(CPU, 1 thread)" in result.stderr and f"memorise: {studio.stages[0].windows} windows" in result.stderr
    assert sorted(p.name for p in session_settings.adapters_dir.glob("*")) == adapters


def test_bad_documents_are_refused_and_nothing_else_is_lost(tmp_path: Path) -> None:
    import io

    from pypdf import PdfWriter

    from past.documents.ingest import MAX_DOCUMENT_CHARS

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    blank = io.BytesIO()
    writer.write(blank)
    settings = Settings.load(tmp_path / "data").ensure()
    docs = DocumentService(settings, Store(settings.db_path))
    assert docs.upload([("notes.md", b"# Notes\n\nThe lighthouse keeper is Ossian Rudd.")], "manuals")[0].ok
    outcomes = docs.upload(
        [
            ("scan.pdf", blank.getvalue()),
            ("empty.pdf", b""),
            ("huge.txt", ("word " * (MAX_DOCUMENT_CHARS // 5 + 10)).encode()),
        ],
        "manuals",
    )
    errors = [o.error or "" for o in outcomes]
    assert "no extractable text" in errors[0] and "scanned images" in errors[0]
    assert errors[1].startswith("empty.pdf:")
    assert "too long to adapt to" in errors[2] and f"{MAX_DOCUMENT_CHARS:,}" in errors[2]
    assert [r["name"] for r in docs.list("manuals")] == ["notes"]


@pytest.mark.slow
def test_long_document_preset_end_to_end_and_the_estimate_is_within_2x(tmp_path: Path, session_settings) -> None:
    """The long-document preset on a short slice with the bundled model, a few steps a stage; resumable."""
    sys.path.insert(0, str(ROOT))
    from bench.cost_calibration import DEFAULT_DOC, calibrate

    text = DEFAULT_DOC.read_text(encoding="utf-8")[:2000]
    report = calibrate(session_settings, text, tmp_path / "run", steps=2)
    result = report["result"]
    assert [s["name"] for s in result["stages"]] == ["memorise", "qa"]
    assert result["stages"][0]["texts"]["expansion"] >= 1
    # the qa stage had the model write questions; the 135M writer's usable pairs are ~2 % of its samples (bench/README
    # "cost against length"), so a 2,000-character slice may yield none: what it wrote is counted, not required
    qa_stage = result["stages"][1]
    assert qa_stage["synthesis"]["generator"].startswith("local"), "the qa stage did not ask the model for questions"
    assert all(s["steps"] == 2 for s in result["stages"])
    assert 0.5 <= report["ratio"] <= 2.0, report
    again = calibrate(session_settings, text, tmp_path / "run", steps=2)  # a rerun resumes: nothing is redone
    assert again["measured_s"] < report["measured_s"] / 3


def test_loogle_files_are_sources_of_documents_and_the_long_document_recipe_loads(tmp_path: Path) -> None:
    from past.pipeline import load_sources
    from past.pipeline.recipe import SkillRecipe

    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(GOOD_LINES) + "\n", encoding="utf-8")
    sources = load_sources([path])
    assert [d.doc_id for d in sources.documents] == ["lighthouse-00", "cloze-01"]
    assert sources.qa.doc_ids == ["lighthouse-00", "cloze-01"] and sources.documents[0].text.startswith("The Vessary")
    recipe = SkillRecipe.load(ROOT / "assets" / "recipes" / "long_document_skill.json")
    data = recipe.data_recipe()
    assert recipe.k == 2 and data.extractive_summaries and data.chunking == "memorise-1024"
