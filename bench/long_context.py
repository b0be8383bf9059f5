"""Long documents on the CPU (issue 12): base vs SFT vs PaST with the ``long-document`` preset on LooGLE
documents, with the cost (estimate, wall and CPU minutes, peak memory) as the document grows.

Source/target split: the long-document skill's sources are ``shortdep_qa`` rows 0-3
(``assets/recipes/long_document_skill.json``); targets are ``longdep_qa`` rows 1-4 and ``shortdep_qa`` row 4.
Row 0 of ``longdep_qa`` is the same document as row 0 of ``shortdep_qa`` (José Luis Picardo): never a target.

For each target (``file:row``), slice length (``--chars``: the document's first N characters, at a sentence
boundary; 0 = the whole document) and seed, the run estimates the cost (:mod:`past.pipeline.cost`, with
this process's torch threads), adapts (``--skill`` given: mode ``past``, so the PaST arm is the fine-tune +
λ·skill; otherwise ``sft``), records wall seconds, CPU seconds and peak RSS, then asks the document's
questions closed-book of base, SFT (and PaST). Only questions a model of the slice could answer are asked:
with the whole document, all of them; with a slice, those whose LooGLE evidence passages all lie in it
(:meth:`past.evaluation.loogle.LoogleRow.questions_within`). Judge: the rule judge; with
``--judge-endpoint`` the LLM judge with the rule verdict recorded beside it.

``--from-job JOB`` adds a row from an adapt job already run (e.g. the studio's acceptance run, with
``--progress`` its watcher's record for CPU seconds and peak memory) instead of adapting again;
``--from-adapted NAME --document FILE --time-log LOG`` the row of a model ``past adapt`` published (the CLI's
acceptance run under ``/usr/bin/time -v``, whose report gives wall, CPU and peak memory).

Results accumulate in ``--out``/long_context.json (a rerun skips the rows it holds, so the table can grow
across sessions; the adapt run directories resume); ``summary.md`` there holds the table: per system the
accuracy with a 95 % cluster-bootstrap CI over documents (seeds averaged per question first) and the paired
differences SFT − base and PaST − SFT per question.

    OMP_NUM_THREADS=2 python bench/long_context.py --targets longdep_qa:1 --chars 0 --seeds 0,1,2 \\
        --skill closed-book-qa-smollm2-135m --out bench/results/long-document
    python bench/long_context.py --targets longdep_qa:1 --chars 3000 --steps 3 --out /tmp/lc   # a smoke run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import tables  # noqa: E402  (sibling modules)
from records import write_record  # noqa: E402

LOOGLE_DIR = ROOT.parent / "shared" / "data" / "loogle"
SOURCES = {"longdep_qa": {0}, "shortdep_qa": {0, 1, 2, 3}}  # the skill's sources and their twin (see above)
SYSTEMS = ("base", "sft", "past")


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def slice_text(text: str, chars: int) -> str:
    """The first ``chars`` characters, cut at the last sentence end in the second half (0 = all)."""
    if chars <= 0 or chars >= len(text):
        return text
    cut = text.rfind(". ", 0, chars)
    return text[: cut + 1 if cut > chars // 2 else chars]


def parse_targets(spec: str) -> list[tuple[str, int]]:
    """``longdep_qa:1,shortdep_qa:4`` → [(file stem, row)], refusing the skill's sources."""
    targets = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        stem, _, row = part.rpartition(":")
        if not stem or not row.isdigit():
            raise SystemExit(f"--targets: '{part}' is not FILE:ROW (e.g. longdep_qa:1)")
        if int(row) in SOURCES.get(stem, set()):
            raise SystemExit(f"--targets: {stem} row {row} is a source of the long-document skill: not a target")
        targets.append((stem, int(row)))
    return targets


def load_row(stem: str, row: int) -> Any:
    from past.evaluation.loogle import parse_loogle_lines

    path = LOOGLE_DIR / f"{stem}.jsonl"
    rows = parse_loogle_lines(path.read_text(encoding="utf-8").splitlines(), path.name)
    if not 0 <= row < len(rows):
        raise SystemExit(f"{path.name} has rows 0-{len(rows) - 1}, not {row}")
    return rows[row]


def questions_for(loogle_row: Any, text: str) -> Any:
    """The QA set a model of ``text`` is asked: every question for the whole document, else the in-slice ones."""
    from past.evaluation.qa_set import QAItem, QASet

    wanted = None if text == loogle_row.text else set(loogle_row.questions_within(text))
    items = [
        QAItem(qid, loogle_row.doc_id, question, (answer,))
        for qid, question, answer in loogle_row.questions
        if wanted is None or qid in wanted
    ]
    return QASet(items, {loogle_row.doc_id: text})


def evaluate(settings: Any, qa: Any, adapters: dict[str, str | None], args: argparse.Namespace) -> dict[str, Any]:
    """Each system's per-question scores on ``qa`` (closed book)."""
    from past.evaluation import EvalConfig, ModelSpec, evaluate_models
    from past.generators import EndpointConfig
    from past.judges import make_judge
    from past.models import ModelRegistry

    if not len(qa):
        return {}
    endpoint = EndpointConfig(args.judge_endpoint, args.judge_endpoint_model) if args.judge_endpoint else None
    judge = make_judge("llm" if endpoint else "rule", endpoint=endpoint)
    specs = [ModelSpec.parse(f"{label}=default" + (f"+{path}" if path else "")) for label, path in adapters.items()]
    comparison = evaluate_models(ModelRegistry(settings), specs, qa, judge, EvalConfig())
    return {
        run.label: [
            {"qid": q.qid, "correct": q.correct, "f1": round(q.f1, 4), "prediction": q.prediction}
            | ({"verdicts": q.verdicts} if q.verdicts else {})
            for q in run.questions
        ]
        for run in comparison.runs
    }


def run_one(settings: Any, target: tuple[str, int], chars: int, seed: int, args: argparse.Namespace) -> dict:
    from past.documents.chunking import load_tokenizer
    from past.documents.ingest import Document
    from past.models import ModelRegistry
    from past.pipeline.adapt import AdaptConfig, adapt
    from past.pipeline.cost import estimate_adapt_cost
    from past.skills import SkillLibrary

    registry = ModelRegistry(settings)
    registry.ensure_default()
    base_dir = Path(registry.resolve("default").path)
    loogle_row = load_row(*target)
    text = slice_text(loogle_row.text, chars)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    piece = Document(doc_id=loogle_row.doc_id, name=loogle_row.title, format="text", text=text, sha256=sha)
    config = AdaptConfig.from_preset("long-document", mode="past" if args.skill else "sft", seed=seed, lam=args.lam)
    if args.steps:
        for stage in config.stages:
            stage.sft = {**stage.sft, "max_steps": args.steps}
    estimate = estimate_adapt_cost([piece], config, load_tokenizer(base_dir))
    run_dir = Path(args.out) / "runs" / f"{loogle_row.doc_id}-{len(text)}-s{seed}"
    resumed = (run_dir / "state.json").exists()  # a run cut off earlier: its stages keep their own times
    wall, cpu = time.monotonic(), _cpu_seconds()
    skill = SkillLibrary(settings).load(args.skill) if args.skill else None
    try:
        result = adapt(base_dir, [piece], config, run_dir, skill=skill)
    finally:
        if skill is not None:
            skill.close()
    wall, cpu = time.monotonic() - wall, _cpu_seconds() - cpu
    adapters = {"base": None, "sft": str(result.baseline_adapter)}
    if args.skill:
        adapters["past"] = str(result.adapter)  # mode past: the fine-tune + λ·skill as one adapter
    cost = {  # a resumed run: wall = the sum of its stages' times; CPU and peak memory of this process only
        "wall_s": round(sum(result.stage_seconds.values()) if resumed else wall, 1),
        "cpu_s": None if resumed else round(cpu, 1),
        "peak_rss_mb": round(_peak_mb()),
        "stage_seconds": result.stage_seconds,
        "resumed": resumed,
    }
    return table_row(settings, args, target, loogle_row, text, estimate, seed, args.skill, cost, adapters)


def row_from_job(settings: Any, job_id: str, progress: Path | None, args: argparse.Namespace) -> dict:
    """A table row from an adapt job already run (its document must be a LooGLE target's text or slice)."""
    from backend.documents import DocumentService
    from backend.jobs.service import JobService
    from backend.store import Store
    from past.adapt_params import AdaptParams
    from past.models import ModelRegistry
    from past.pipeline.cost import estimate_preset

    job = JobService(settings).get(job_id)
    if job.state != "succeeded":
        raise SystemExit(f"job {job_id} is {job.state}, not succeeded")
    docs = DocumentService(settings, Store(settings.db_path)).documents(job.params["collection"])
    (text,) = [d.text for d in docs]
    target = next(t for t in args.targets_parsed if load_row(*t).text.startswith(text[:2000].strip()))
    loogle_row = load_row(*target)
    samples = [json.loads(line) for line in progress.read_text().splitlines()] if progress else []
    base_dir = Path(ModelRegistry(settings).resolve(job.params["base"]).path)
    params = AdaptParams(job.params["preset"], epochs=job.params.get("epochs"))
    estimate = estimate_preset(base_dir, docs, params, threads=None)
    adapters = {"base": None, "sft": job.result["baseline_adapter"], "past": job.result["injected_adapter"]}
    cost = {
        "wall_s": round(job.finished_at - job.started_at, 1),
        "cpu_s": max((s.get("cpu_s", 0.0) for s in samples), default=None),
        "peak_rss_mb": max((s.get("rss_mb", 0) for s in samples), default=None),
        "stage_seconds": job.result.get("stage_seconds") or published_stage_seconds(settings, job.result["name"]),
        "from_job": job_id,
    }
    seed = int(job.params.get("seed", 0))
    return table_row(settings, args, target, loogle_row, text, estimate, seed, job.params["skill"], cost, adapters)


def row_from_adapted(settings: Any, name: str, time_log: Path | None, args: argparse.Namespace) -> dict:
    """A table row from a model ``past adapt`` published (its record: documents, config, stage times; the
    command's wall time, CPU time and peak memory from ``--time-log``, else the sum of the stage times)."""
    from past.adapt_params import AdaptParams
    from past.documents.ingest import ingest_bytes
    from past.models import ModelRegistry
    from past.pipeline.cost import estimate_preset
    from past.pipeline.records import read_adapted

    record = read_adapted(settings, name)
    if args.document is None:
        raise SystemExit("--from-adapted needs --document, the file it was adapted to")
    doc = ingest_bytes(args.document.read_bytes(), args.document.name)
    if [d["chars"] for d in record["documents"]] != [len(doc.text)]:
        raise SystemExit(f"{args.document} is not the document '{name}' was adapted to")
    target = next(t for t in args.targets_parsed if load_row(*t).text.startswith(doc.text[:2000].strip()))
    base_dir = Path(ModelRegistry(settings).resolve(record["base"]).path)
    estimate = estimate_preset(base_dir, [doc], AdaptParams(record["preset"]), threads=None)
    stage_seconds = record.get("stage_seconds", {})
    measured = gnu_time(time_log) if time_log else {}
    cost = {
        "wall_s": round(measured.get("wall_s") or sum(stage_seconds.values()), 1),
        "cpu_s": measured.get("cpu_s"),
        "peak_rss_mb": measured.get("peak_rss_mb"),
        "stage_seconds": stage_seconds,
        "from_adapted": name,
    }
    adapters = {"base": None, "sft": record["baseline"], "past": record.get("injected")}
    seed = int(record["config"].get("seed", 0))
    return table_row(
        settings, args, target, load_row(*target), doc.text, estimate, seed, record["skill"], cost, adapters
    )


def gnu_time(log: Path) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) from the report of ``/usr/bin/time -v`` at the end of ``log``."""
    fields: dict[str, str] = {}
    for line in log.read_text(errors="replace").splitlines():
        key, sep, value = line.strip().rpartition(": ")
        if sep:
            fields[key] = value.strip()
    try:
        clock = [float(part) for part in fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
        cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
        rss_kb = int(fields["Maximum resident set size (kbytes)"])
    except (KeyError, ValueError) as exc:
        raise SystemExit(f"{log} holds no complete /usr/bin/time -v report ({exc})") from exc
    wall = sum(part * 60**i for i, part in enumerate(reversed(clock)))
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": round(rss_kb / 1024)}


def published_stage_seconds(settings: Any, name: str) -> dict[str, float]:
    """The stage times an adapted model was published with (jobs before 2026-12-01 kept them only there)."""
    from past.errors import ConfigError
    from past.pipeline.records import read_adapted

    try:
        return read_adapted(settings, name).get("stage_seconds", {})
    except ConfigError:  # not published (deleted since): no stage times
        return {}


def table_row(
    settings: Any,
    args: argparse.Namespace,
    target: tuple[str, int],
    loogle_row: Any,
    text: str,
    estimate: Any,
    seed: int,
    skill: str | None,
    cost: dict[str, Any],
    adapters: dict[str, str | None],
) -> dict[str, Any]:
    """One adaptation's row: what it learned, what it cost (``cost``), and each system's answers."""
    qa = questions_for(loogle_row, text)
    return {
        "target": f"{target[0]}:{target[1]}",
        "doc_id": loogle_row.doc_id,
        "chars": len(text),
        "tokens": estimate.document_tokens,
        "seed": seed,
        "skill": skill,
        "threads": estimate.threads,
        "estimate_s": round(estimate.seconds, 1),
        **cost,
        "questions": [item.qid for item in qa.items],
        "scores": evaluate(settings, qa, adapters, args),
    }


def summary(results: list[dict]) -> str:
    """The table: accuracy per system (CI over documents), paired differences, and the cost of each run."""
    from past.evaluation.stats import average_over_seeds, cluster_bootstrap, paired_difference

    lines = tables.table(["system", "accuracy (95 % CI over documents)", "mean F1", "questions × seeds"])
    per_system: dict[str, dict[str, float]] = {}
    clusters: dict[str, str] = {}
    for system in SYSTEMS:
        runs = [{s["qid"]: float(s["correct"]) for s in r["scores"].get(system, [])} for r in results]
        runs = [run for run in runs if run]
        if not runs:
            continue
        means = average_over_seeds(runs)
        f1 = [s["f1"] for r in results for s in r["scores"].get(system, [])]
        for r in results:
            for s in r["scores"].get(system, []):
                clusters[s["qid"]] = r["doc_id"]
        per_system[system] = means
        estimate = cluster_bootstrap(list(means.values()), [clusters[q] for q in means])
        lines.append(tables.row([system, estimate, f"{sum(f1) / len(f1):.3f}", len(f1)]))
    for a, b in (("sft", "base"), ("past", "sft")):
        if a in per_system and b in per_system:
            diff = paired_difference(per_system[a], per_system[b], clusters)
            lines.append(
                f"\n{a} − {b} (paired per question, seeds averaged): {diff.difference} "
                f"({diff.a_better} better, {diff.b_better} worse, {diff.ties} tied)"
            )
    header = ["target", "characters", "tokens", "seed", "threads", "estimate min", "wall min", "CPU min"]
    lines += ["", *tables.table([*header, "peak RSS MB", "questions"])]
    for r in results:
        size = [r["target"], f"{r['chars']:,}", f"{r['tokens']:,}", r["seed"], r["threads"]]
        cpu = f"{r['cpu_s'] / 60:.1f}" if r.get("cpu_s") else "–"
        wall = f"{r['wall_s'] / 60:.1f}" + (" (resumed: sum of stages)" if r.get("resumed") else "")
        cost = [f"{r['estimate_s'] / 60:.1f}", wall, cpu, r.get("peak_rss_mb") or "–"]
        lines.append(tables.row([*size, *cost, len(r["questions"])]))
    return "\n".join(lines) + "\n"


def main() -> int:
    from past.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", default="longdep_qa:1,longdep_qa:2", help="FILE:ROW of LooGLE target documents")
    parser.add_argument("--chars", default="0", help="slice lengths (0 = the whole document)")
    parser.add_argument("--seeds", default="0", help="adaptation seeds (≥ 3 for CIs)")
    parser.add_argument("--skill", help="a skill in the library: adds the PaST arm (mode past)")
    parser.add_argument("--lam", type=float, default=1.0, help="λ of the PaST arm")
    parser.add_argument("--steps", type=int, default=0, help="cap training steps per stage (0 = the preset's)")
    parser.add_argument("--from-job", help="add the row of an adapt job already run instead of adapting")
    parser.add_argument("--progress", type=Path, help="with --from-job: its watcher's progress.jsonl (CPU, memory)")
    parser.add_argument("--from-adapted", help="add the row of a model `past adapt` published (its name)")
    parser.add_argument("--document", type=Path, help="with --from-adapted: the document file it was adapted to")
    parser.add_argument("--time-log", type=Path, help="with --from-adapted: the command's `/usr/bin/time -v` output")
    parser.add_argument("--judge-endpoint")
    parser.add_argument("--judge-endpoint-model")
    parser.add_argument("--data-dir")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    args.targets_parsed = parse_targets(args.targets)
    settings = Settings.load(args.data_dir).ensure()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store = out / "long_context.json"
    results = json.loads(store.read_text()) if store.exists() else []
    done = {(r["target"], r["chars"], r["seed"], r.get("skill")) for r in results}

    def record(row: dict) -> None:
        results.append(row)
        write_record(store, results, out, ensure_ascii=False)
        (out / "summary.md").write_text(summary(results))
        accuracy = {k: sum(s["correct"] for s in v) for k, v in row["scores"].items()}
        print(
            f"{row['target']} {row['chars']:>7} chars seed {row['seed']}: estimate {row['estimate_s']:.0f} s, "
            f"wall {row['wall_s']:.0f} s, {len(row['questions'])} questions, correct {accuracy}",
            flush=True,
        )

    if args.from_job:
        record(row_from_job(settings, args.from_job, args.progress, args))
        return 0
    if args.from_adapted:
        record(row_from_adapted(settings, args.from_adapted, args.time_log, args))
        return 0
    for target in args.targets_parsed:
        full = load_row(*target).text
        for chars in [int(c) for c in args.chars.split(",")]:
            length = len(slice_text(full, chars))
            for seed in [int(s) for s in args.seeds.split(",")]:
                if (f"{target[0]}:{target[1]}", length, seed, args.skill) in done:
                    continue
                record(run_one(settings, target, chars, seed, args))
    print(summary(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
