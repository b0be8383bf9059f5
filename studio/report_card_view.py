"""How a knowledge report card is shown: verdicts in plain words first; the table with intervals and the chart
under "Details"; the answers side by side; a gentler setting to try when the model forgot general knowledge.

Reads the ``report_card`` job's result (:mod:`backend.report_card`); used by the Adapt screen.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from backend.jobs.service import JobService
from backend.store import JobRecord
from past.evaluation.report_card import INJECTED, detail_lines, forgetting_level, verdicts

KIND = "report_card"


def latest_card_job(jobs: JobService, adapted: str) -> JobRecord | None:
    """The newest report-card job of the adapted model ``adapted``."""
    for job in jobs.list(kind=KIND, limit=100):
        if job.params.get("adapted") == adapted:
            return job
    return None


def card_markdown(card: dict[str, Any]) -> str:
    """The verdicts in plain words: what the model now answers about the documents, what it forgot."""
    return "\n".join(["#### Knowledge report card", "", *(f"- **{line}**" for line in verdicts(card))])


def card_details(card: dict[str, Any]) -> str:
    """The other numbers in words, then each system's score with its 95 % interval and what it was measured on."""
    lines = [*detail_lines(card)]
    lines += [
        "",
        f"Measured on {card['n_questions']} questions of the collection '{card['collection']}' "
        f"(short-answer judge: correct when the answer shares at least half its words with the reference, "
        f"token F1 ≥ 0.5; 95 % intervals over documents).",
        "",
        "| system | answered | accuracy [95 % interval] | word overlap F1 [95 % interval] | answer contains the "
        "reference |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in card["systems"]:
        acc_lo, acc_hi = s["accuracy_ci"]
        f1_lo, f1_hi = s["f1_ci"]
        lines.append(
            f"| {s['label']} | {s['correct']} of {s['n']} | {s['accuracy']:.2f} [{acc_lo:.2f}, {acc_hi:.2f}] | "
            f"{s['f1']:.2f} [{f1_lo:.2f}, {f1_hi:.2f}] | {s.get('contains', '–')} of {s['n']} |"
        )
    return "\n".join(lines)


def gentler_setting(card: dict[str, Any], passes: int, lam: float | None) -> dict[str, Any] | None:
    """When the model forgot general knowledge: half the passes (at least one) and, with a skill, half the λ;
    None when it kept it (or there is nothing gentler to offer)."""
    if forgetting_level(card.get("forgetting")) == "kept":
        return None
    gentler: dict[str, Any] = {"passes": max(1, passes // 2)}
    if card.get("adapted_label") == INJECTED and isinstance(lam, int | float) and lam > 0:
        gentler["lam"] = round(lam / 2, 2)
    if gentler["passes"] == passes and "lam" not in gentler:
        return None
    return gentler


def gentler_words(gentler: dict[str, Any]) -> str:
    """The button's label for a gentler setting."""
    parts = [f"{gentler['passes']} pass{'es' if gentler['passes'] != 1 else ''}"]
    if "lam" in gentler:
        parts.append(f"λ {gentler['lam']:g}")
    return f"Use the gentler setting ({', '.join(parts)})"


def card_figure(card: dict[str, Any]) -> go.Figure | None:
    systems = card.get("systems") or []
    if not systems:
        return None
    figure = go.Figure(
        go.Bar(
            x=[s["label"] for s in systems],
            y=[s["accuracy"] for s in systems],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [s["accuracy_ci"][1] - s["accuracy"] for s in systems],
                "arrayminus": [s["accuracy"] - s["accuracy_ci"][0] for s in systems],
            },
            text=[f"{s['correct']} of {s['n']}" for s in systems],
        )
    )
    figure.update_layout(title="Questions about your documents answered", yaxis_title="accuracy (95 % CI)", height=320)
    figure.update_yaxes(range=[0, 1])
    return figure


def answer_rows(card: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Columns and rows of the answers side by side (✓ a correct short answer, ≈ an answer containing it)."""
    systems = [s["label"] for s in card.get("systems") or []]
    headers = ["question", "reference", *systems]
    rows = []
    for row in card.get("answers") or []:
        cells = [row["question"], row["reference"]]
        for label in systems:
            answer = row.get(label) or {}
            mark = "✓ " if answer.get("correct") else ("≈ " if answer.get("contains") else "")
            cells.append(mark + str(answer.get("answer", "")))
        rows.append(cells)
    probe = card.get("forgetting")
    if probe:
        for a in probe["answers"]:
            base, adapted = (f"{'✓ ' if a[f'{k}_ok'] else ''}" for k in ("base", "adapted"))
            cells = [f"(general knowledge) {a['question']}", a["reference"]]
            cells += [base + a["base"] if label == "base" else "" for label in systems]
            label = card["adapted_label"]
            if label in systems:
                cells[headers.index(label)] = adapted + a[label]
            rows.append(cells)
    return headers, rows
