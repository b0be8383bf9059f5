"""How a knowledge report card is shown: plain words first, then a table with intervals, a chart, the answers.

Reads the ``report_card`` job's result (:mod:`backend.report_card`); used by the Adapt screen.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from backend.jobs.service import JobService
from backend.store import JobRecord

KIND = "report_card"


def latest_card_job(jobs: JobService, adapted: str) -> JobRecord | None:
    """The newest report-card job of the adapted model ``adapted``."""
    for job in jobs.list(kind=KIND, limit=100):
        if job.params.get("adapted") == adapted:
            return job
    return None


def card_markdown(card: dict[str, Any]) -> str:
    """The plain-words summary, then each system's score with its 95 % interval and what it was measured on."""
    lines = ["#### Knowledge report card", "", *card["summary"].splitlines()]
    if card.get("systems"):
        lines += [
            "",
            f"Measured on {card['n_questions']} questions of the collection '{card['collection']}' "
            f"(short-answer judge: correct at token F1 ≥ 0.5; 95 % intervals over documents).",
            "",
            "| system | answered | accuracy [95 % CI] | F1 [95 % CI] | answer contains the reference |",
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
