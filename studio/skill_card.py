"""A skill's card in plain words: what it was built on and from which documents, what it measurably does,
its size and its orthogonality picture, each number with what it was measured on (Markdown, no Gradio).

Read from the skill's manifest (``skill.json``) and, when present, ``orthogonality.json`` next to it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from past.skills import SkillManifest
from studio.words import COSINE_WORDS, dtype_words, judge_words

SYSTEM_WORDS = {
    "base": "the base model alone",
    "sft": "fine-tuned on the documents",
    "past": "fine-tuned + this skill",
    "retrieval": "base model with the documents in the prompt",
}
SHOWN_DOCUMENTS = 12
BENCH_SYSTEMS = {
    "base": "the base model alone",
    "sft-passage": "fine-tuned on the passage",
    "sft-synth": "fine-tuned on the passage + notes",
    "past": "fine-tuned + this skill",
    "skill-only": "this skill alone (no fine-tuning)",
}
OPEN_BOOK_SYSTEMS = {
    "base+doc": "the base model alone",
    "skill-only+doc": "this skill alone (no fine-tuning)",
    "sft-synth+doc": "fine-tuned on the passage + notes",
    "past+doc": "fine-tuned + this skill",
}
OPEN_BOOK_PAIRS = {
    "skill-only+doc − base+doc": "adding this skill to the base model",
    "past+doc − sft-synth+doc": "adding this skill to the fine-tuned model",
}
HOW_TO_MEASURE = (
    "Not measured yet. To measure it: on **Adapt**, pick a document collection with questions and this skill, "
    "then **Evaluate it** (or run `past eval --qa QUESTIONS.json --model base=default --model past=…`)."
)
ANALYSIS_FILE = "orthogonality.json"
# What a benchmark measured with, in words: (label, how the value is shown).
BASIS_WORDS = {
    "judge": ("answers graded by", judge_words),
    "prompt": ("prompt", str),
    "context": ("what the model saw", lambda value: str(value).removeprefix("oracle: ")),
}


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _interval(evaluation: dict[str, Any], system: str, value: float, questions: int | None) -> str:
    """The stored interval of ``system``, else a Wilson interval from the question count (said so)."""
    for key in ("accuracy_ci", "ci"):
        stored = evaluation.get(key)
        if isinstance(stored, dict) and isinstance(stored.get(system), list | tuple) and len(stored[system]) == 2:
            low, high = stored[system]
            return f"[{low:.0%} – {high:.0%}]"
    if questions:
        low, high = wilson(round(value * questions), questions)
        return f"[{low:.0%} – {high:.0%}]*"
    return ""


def _estimate(entry: object, metric: str) -> dict[str, float] | None:
    value = entry.get(metric) if isinstance(entry, dict) else None
    if isinstance(value, dict) and all(_number(value.get(k)) is not None for k in ("mean", "low", "high")):
        return value
    return None


def _points(difference: dict[str, float]) -> str:
    zero = " — not distinguishable from zero." if difference["low"] <= 0 <= difference["high"] else "."
    return (
        f"{difference['mean'] * 100:+.1f} points [{difference['low'] * 100:+.1f}, {difference['high'] * 100:+.1f}]"
        + zero
    )


def benchmark_section(
    evaluation: dict[str, Any],
    heading: str = "Closed-book questions",
    names: dict[str, str] = BENCH_SYSTEMS,
    pairs: dict[str, str] | None = None,
) -> str:
    """``metrics.evaluation`` as ``bench/quality.py --attach-to-skill`` writes it (or ``metrics.open_book`` from
    ``bench/open_book.py``): means with 95 % intervals, then the skill's paired effect."""
    systems = evaluation["systems"]
    lines = [f"{heading}, measured on {evaluation.get('measured_on') or 'an unrecorded set'}:", ""]
    lines += ["| system | short answer right | 95 % interval | word overlap (token F1) |", "| --- | --- | --- | --- |"]
    for name, words in names.items():
        correct, f1 = _estimate(systems.get(name), "correct"), _estimate(systems.get(name), "f1")
        if correct is None:
            continue
        f1_text = f"{f1['mean']:.3f}" if f1 else ""
        lines.append(
            f"| {words} | {correct['mean']:.1%} | [{correct['low']:.1%} – {correct['high']:.1%}] | {f1_text} |"
        )
    pairs = pairs or {"past − sft-synth": "The skill's own effect (same questions, with vs without it)"}
    for key, words in pairs.items():
        paired = (evaluation.get("paired") or {}).get(key) or {}
        difference = _estimate(paired.get("correct"), "difference") if isinstance(paired, dict) else None
        if difference is not None:
            lines += ["", f"{words[0].upper()}{words[1:]}: {_points(difference)}"]
    basis = [f"{words}: {shown(evaluation[k])}" for k, (words, shown) in BASIS_WORDS.items() if evaluation.get(k)]
    if basis:
        lines += ["", "; ".join(basis) + "."]
    return "\n".join(lines)


def measured_section(manifest: SkillManifest) -> str:
    evaluation = (manifest.metrics or {}).get("evaluation")
    if isinstance(evaluation, dict) and isinstance(evaluation.get("systems"), dict):
        text = benchmark_section(evaluation)
        open_book = (manifest.metrics or {}).get("open_book")
        if isinstance(open_book, dict) and isinstance(open_book.get("systems"), dict):
            pairs = {k: f"Effect of {v} (same questions)" for k, v in OPEN_BOOK_PAIRS.items()}
            text += "\n\n" + benchmark_section(open_book, "With the passage in the prompt", OPEN_BOOK_SYSTEMS, pairs)
        return text
    if not isinstance(evaluation, dict) or not isinstance(evaluation.get("accuracy"), dict):
        return HOW_TO_MEASURE
    questions = evaluation.get("questions") if isinstance(evaluation.get("questions"), int) else None
    documents = [str(d) for d in evaluation.get("documents", []) if isinstance(d, str)]
    lam = _number(evaluation.get("lam"))
    basis = []
    if questions:
        basis.append(f"{questions} questions")
    if documents:
        basis.append(f"about {len(documents)} target documents ({', '.join(documents)})")
    if evaluation.get("judge"):
        basis.append(f"answers judged by {judge_words(evaluation['judge'])}")
    if lam is not None:
        basis.append(f"skill added at λ {lam:g}")
    lines = [f"Closed-book questions answered correctly (measured on {', '.join(basis) or 'an unrecorded set'}):", ""]
    lines += ["| system | correct | 95 % interval |", "| --- | --- | --- |"]
    scores = evaluation.get("mean_score") if isinstance(evaluation.get("mean_score"), dict) else {}
    wilson_used = False
    for system, raw in evaluation["accuracy"].items():
        value = _number(raw)
        if value is None:
            continue
        interval = _interval(evaluation, system, value, questions)
        wilson_used |= interval.endswith("*")
        count = f" ({round(value * questions)} of {questions})" if questions else ""
        lines.append(f"| {SYSTEM_WORDS.get(system, system)} | {value:.0%}{count} | {interval.rstrip('*')} |")
    if scores:
        parts = [f"{SYSTEM_WORDS.get(k, k)} {v:.3f}" for k, v in scores.items() if _number(v) is not None]
        lines += ["", f"Mean answer score (0 – 1, partial credit, same questions): {'; '.join(parts)}."]
    if wilson_used:
        lines += ["", "Intervals: Wilson 95 % intervals from the question count (questions taken as independent)."]
    return "\n".join(lines)


def built_section(manifest: SkillManifest) -> str:
    recipe = manifest.recipe or {}
    base = manifest.base_ref or "an unnamed model"
    lines = [
        f"- **Base model:** {base} ({manifest.architecture or manifest.model_type or 'unknown architecture'}, "
        f"recognised by its weights' fingerprint `{manifest.base_fingerprint or '—'}`); it works only with this base.",
        f"- **Learned in:** {manifest.source_domain or 'an unrecorded domain'}, over {manifest.rounds} round(s) of "
        "fine-tuning then practice with rewards (reinforcement learning).",
    ]
    documents = [d for d in manifest.source_documents if not str(d).endswith(".qa.json")]
    question_files = [d for d in manifest.source_documents if str(d).endswith(".qa.json")]
    if documents:
        shown = ", ".join(documents[:SHOWN_DOCUMENTS])
        more = f" and {len(documents) - SHOWN_DOCUMENTS} more" if len(documents) > SHOWN_DOCUMENTS else ""
        lines.append(f"- **From the documents ({len(documents)}):** {shown}{more}")
    if question_files:
        lines.append(f"- **With the question files:** {', '.join(question_files)}")
    sft, grpo, preset = recipe.get("sft") or {}, recipe.get("grpo") or {}, recipe.get("preset")
    if sft or grpo or preset:
        epochs = sft.get("num_train_epochs")
        sft_length = (
            f"{epochs:g} epoch(s)" if not sft.get("max_steps") and epochs else f"{sft.get('max_steps', '?')} steps"
        )
        learned = f"as the Adapt preset '{preset}'" if preset else f"{sft_length}"
        lines.append(
            f"- **Recipe:** fine-tuning {learned} per round, practice (GRPO) "
            f"{grpo.get('max_steps', '?')} steps per round, seed(s) {recipe.get('seeds', recipe.get('seed', '?'))}"
        )
    if preset:
        lines.append(
            f"- **Built for:** the Adapt preset '{preset}' (its source documents were fine-tuned exactly as "
            "that preset fine-tunes yours)"
        )
    elif sft:
        lines.append(
            "- **Built for:** no Adapt preset (its source documents were fine-tuned with the recipe above, not as "
            "Adapt fine-tunes yours)"
        )
    lines += practice_lines(manifest.metrics or {}, recipe)
    if manifest.created_at:
        lines.append(f"- **Made:** {manifest.created_at}")
    return "\n".join(lines)


def practice_lines(metrics: dict[str, Any], recipe: dict[str, Any]) -> list[str]:
    """In words, per round: how often the source model answered right before practice, and how often a practice
    group held at least one right answer (the only groups that teach correctness rather than style)."""
    before = metrics.get("source_accuracy_before_rl") or []
    groups = metrics.get("grpo_correct_group_curve") or []
    lines = []
    for k in range(max(len(before), len(groups))):
        parts = []
        entry = before[k] if k < len(before) else {}
        if entry and entry.get("n_questions"):
            right = round(entry["accuracy"] * entry["n_questions"])
            parts.append(
                f"before practice the source model answered {right} of {entry['n_questions']} of its questions "
                f"right ({entry.get('prompt', '?')} prompt, closed book)"
            )
        curve = groups[k] if k < len(groups) else []
        if curve:
            share, first, last = sum(curve) / len(curve), curve[:10], curve[-10:]
            size = (recipe.get("grpo") or {}).get("num_generations", "?")
            parts.append(
                f"in {share:.0%} of practice groups at least one of the {size} tries was right "
                f"(first steps {sum(first) / len(first):.0%}, last steps {sum(last) / len(last):.0%})"
            )
        if parts:
            lines.append(f"- **Round {k + 1}:** " + "; ".join(parts))
    return lines


def size_section(manifest: SkillManifest) -> str:
    form = manifest.form
    if manifest.form == "lora" and manifest.rank:
        form = f"a compact low-rank change (LoRA, rank {manifest.rank}: the directions each matrix may change in)"
    return (
        f"{manifest.size_bytes / 1e6:.1f} MB on disk, {len(manifest.params)} weight matrices changed, stored as "
        f"{form} in {dtype_words(manifest.dtype)}. Suggested strength: λ {manifest.default_lambda} "
        "(how much of the skill is added: 0 = none, 1 = as built)."
    )


def orthogonality_section(skill_dir: Path | None) -> str:
    path = skill_dir / ANALYSIS_FILE if skill_dir else None
    if path is None or not path.is_file():
        return "No orthogonality analysis is stored with this skill; make one on the **Analyse** screen."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"The stored orthogonality analysis ({ANALYSIS_FILE}) cannot be read."
    lines = [
        "How much the skill's update overlaps with learning the documents (cosine of the weight changes per layer "
        "and module; near 0 means they do not interfere, which is why adding the skill works). " + COSINE_WORDS
    ]
    for table in data if isinstance(data, list) else [data]:
        summary = table.get("summary", {})
        mean_abs = _number(summary.get("mean_abs_cosine"))
        largest = _number(summary.get("max_abs_cosine"))
        if mean_abs is None:
            continue
        rows = len(table.get("rows", []))
        more = f", largest {largest:.3f}" if largest is not None else ""
        lines.append(f"- {table.get('label', 'comparison')}: mean |cos| {mean_abs:.3f}{more} over {rows} matrices")
    return "\n".join(lines)


def skill_card(manifest: SkillManifest, skill_dir: Path | None = None) -> str:
    """The whole card as Markdown."""
    return "\n\n".join(
        [
            f"## {manifest.name}",
            manifest.description or "(no description)",
            "### What it was built on",
            built_section(manifest),
            "### What it measurably does",
            measured_section(manifest),
            "### Size",
            size_section(manifest),
            "### Orthogonality",
            orthogonality_section(skill_dir),
        ]
    )
