"""bench/tool_use.py's paired comparison: per query and seed, a − b, with the CI over queries and the counts."""

from __future__ import annotations

from past.tools.evaluation import QueryScore, ToolEvalRun, metric_means
from tests.bench_modules import load_bench


def run(label: str, seed: int, solved: dict[str, float]) -> ToolEvalRun:
    scores = [
        QueryScore(qid, "Cat", ok, ok, ok, 1.0, ok, ok, 0.1 + 0.9 * ok, 1, "finish" if ok else "max_turns")
        for qid, ok in solved.items()
    ]
    return ToolEvalRun(label, seed, scores, [], metric_means(scores), {})


def test_paired_difference_matches_queries_and_seeds_and_counts_wins() -> None:
    bench = load_bench("tool_use")
    past = [run("past", 0, {"q1": 1.0, "q2": 0.0, "q3": 0.0}), run("past", 1, {"q1": 1.0, "q2": 1.0, "q3": 0.0})]
    sft = [run("sft", 0, {"q1": 0.0, "q2": 0.0, "q3": 0.0}), run("sft", 1, {"q1": 1.0, "q2": 0.0, "q3": 1.0})]
    diffs = bench.paired(past, sft)
    solved = diffs["solved"]
    # items: q1@0 +1, q2@0 0, q3@0 0, q1@1 0, q2@1 +1, q3@1 −1 → mean 1/6
    assert abs(solved["difference"]["mean"] - 1 / 6) < 1e-9
    assert (solved["a_better"], solved["b_better"], solved["ties"]) == (2, 1, 3)
    assert solved["difference"]["clusters"] == 3  # bootstrap over queries, seeds pooled
    assert solved["difference"]["low"] <= solved["difference"]["mean"] <= solved["difference"]["high"]
    assert diffs["format"]["difference"]["mean"] == 0.0
    line = bench.paired_lines("past − sft", {"solved": solved})[0]
    assert line.startswith("| past − sft | solved | +0.167 [")
