"""``report_card``: the knowledge report card of an adapted model, as a job (see :mod:`backend.report_card`).

Base, fine-tuned, skill-injected, base + documents and skill-injected + documents answer the collection's
questions through the one evaluator; plus the forgetting check. The whole card lands in ``report_card.json``
in the job's artifacts; the job's result is the card without the per-run details.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from backend.jobs.kind import JobContext, JobKind
from backend.jobs.kinds.evaluate import (  # PROMPT_STYLES: kept equal to past.evaluation.prompts.PROMPTS by a test
    PROMPT_STYLES,
    check_answering,
)
from backend.jobs.params import param
from past.numbers import COUNT, TOKENS
from past.paths import check_name


@dataclass
class ReportCardParams:
    adapted: str = param("", help="the adapted model (the name Adapt published it under)")
    collection: str | None = param(
        None, help="collection whose questions to ask (default: the one it was adapted to)", ref="collection"
    )
    split: str | None = param(None, help="only questions of this split (e.g. test)")
    limit: int | None = param(None, bounds=COUNT, help="at most this many questions")
    max_new_tokens: int = param(32, bounds=TOKENS, help="longest answer, in tokens")
    prompt: str | None = param(
        None, help="prompt style of the questions (default: the one the model's preset trains)", choices=PROMPT_STYLES
    )
    retrieval_k: int = param(
        3, bounds=COUNT, help="passages put in front of each question when answering with documents"
    )
    batch_size: int = param(16, bounds=COUNT, help="questions answered at once")

    def validate(self) -> None:
        if not self.adapted:
            raise ValueError("name the adapted model (adapted=NAME)")
        check_name(self.adapted, "adapted model")
        check_answering(self)


def report_card(settings: Any, params: ReportCardParams, reporter: Any) -> dict[str, Any]:
    """The card these parameters ask for (the job and ``past report-card`` both build it here)."""
    from backend.report_card import build_report_card

    options = {k: v for k, v in asdict(params).items() if k not in ("adapted", "collection")}  # same names
    return build_report_card(settings, params.adapted, params.collection, reporter=reporter, **options)


def run(params: ReportCardParams, ctx: JobContext) -> dict[str, Any]:
    from backend.report_card import CARD_FILE

    card = report_card(ctx.settings, params, ctx.reporter)
    ctx.write_json(CARD_FILE, card)
    for i, system in enumerate(card.get("systems", [])):
        ctx.reporter.metric(i, "accuracy", system["accuracy"])
    ctx.reporter.progress(1.0, card["summary"].splitlines()[0])
    return {**{k: v for k, v in card.items() if k != "comparison"}, "files": {CARD_FILE: CARD_FILE}}


KIND = JobKind(
    name="report_card",
    params=ReportCardParams,
    run=run,
    description="Knowledge report card of an adapted model: five systems on the collection's questions, "
    "with and without the documents, plus a forgetting check.",
    prefers_gpu=True,
)
