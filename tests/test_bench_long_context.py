"""bench/long_context.py's pure parts: the target split is enforced, and the table pairs systems per question."""

from __future__ import annotations

import pytest

from tests.bench_modules import load_bench


def test_targets_refuse_the_skills_sources_and_bad_specs() -> None:
    bench = load_bench("long_context")
    assert bench.parse_targets("longdep_qa:1, shortdep_qa:4") == [("longdep_qa", 1), ("shortdep_qa", 4)]
    for spec, message in (("longdep_qa:0", "source"), ("shortdep_qa:2", "source"), ("longdep_qa", "FILE:ROW")):
        with pytest.raises(SystemExit, match=message):
            bench.parse_targets(spec)


def row(doc: str, seed: int, correct: dict[str, dict[str, bool]]) -> dict:
    scores = {
        system: [{"qid": qid, "correct": ok, "f1": float(ok), "prediction": ""} for qid, ok in answers.items()]
        for system, answers in correct.items()
    }
    first = next(iter(correct.values()))
    return {
        "target": f"longdep_qa:{doc}", "doc_id": doc, "chars": 1000, "tokens": 250, "seed": seed, "threads": 2,
        "estimate_s": 60.0, "wall_s": 90.0, "cpu_s": 150.0, "peak_rss_mb": 4000, "questions": list(first),
        "scores": scores,
    }  # fmt: skip


def test_summary_pairs_per_question_averaging_seeds() -> None:
    bench = load_bench("long_context")
    results = [
        row("1", 0, {"base": {"a": False, "b": False}, "sft": {"a": True, "b": False}, "past": {"a": True, "b": True}}),
        row(
            "1", 1, {"base": {"a": False, "b": False}, "sft": {"a": False, "b": False}, "past": {"a": True, "b": True}}
        ),
        row("2", 0, {"base": {"c": True}, "sft": {"c": True}, "past": {"c": False}}),
    ]
    table = bench.summary(results)
    assert "| base | 0.333 [" in table  # c right; a, b wrong (per question, seeds averaged, then the mean)
    assert "| sft | 0.500 [" in table  # a: 0.5 over seeds, b: 0, c: 1
    assert "| past | 0.667 [0.000, 1.000] | 0.800 | 5 |" in table  # a and b right twice, c wrong once
    assert (
        "sft − base (paired per question, seeds averaged): 0.167 [" in table and "(1 better, 0 worse, 2 tied)" in table
    )
    assert "past − sft" in table and "(2 better, 1 worse, 0 tied)" in table
    assert "| longdep_qa:2 | 1,000 | 250 | 0 | 2 | 1.0 | 1.5 | 2.5 | 4000 | 1 |" in table


GNU_TIME_TAIL = """\
adapted 'x'
\tCommand being timed: "past adapt doc.txt --preset long-document"
\tUser time (seconds): 5400.25
\tSystem time (seconds): 120.75
\tElapsed (wall clock) time (h:mm:ss or m:ss): 0:54:07.50
\tMaximum resident set size (kbytes): 5017600
\tExit status: 0
"""


def test_the_cli_runs_cost_is_read_from_gnu_time(tmp_path) -> None:
    bench = load_bench("long_context")
    log = tmp_path / "adapt.log"
    log.write_text(GNU_TIME_TAIL)
    assert bench.gnu_time(log) == {"wall_s": 3247.5, "cpu_s": 5521.0, "peak_rss_mb": 4900}
    log.write_text("adapted 'x'\n\tUser time (seconds): 1.0\n")  # the command was killed before time reported
    with pytest.raises(SystemExit, match="no complete"):
        bench.gnu_time(log)
