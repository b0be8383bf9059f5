"""The README's "First run", point and click in a real browser, exactly as written, on the default model.

1. Documents: upload ``isle-of-vessary.md`` and its ``isle-of-vessary.qa.json`` into one collection: the document
   is stored as text, the question file is attached as the collection's questions (never a text document).
2. Adapt: that collection, the bundled skill (preselected), the estimate shown above Launch (with the report card
   after it), fewer passes under More settings ("in a hurry": one), Launch.
3. The report card follows by itself: verdicts in plain words first (what it now answers, whether it forgot
   general knowledge, with the gentler setting offered when it did), numbers with intervals under Details.
4. Chat with it: A/B chat, side A the fine-tuned model and side B the same with the skill, each pane saying so.

The measured times (Adapt against its estimate, the report card) go to test-output/<test name>/timings.json.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backend.jobs.service import JobService
from past.evaluation.report_card import forgetting_level, verdicts
from past.settings import Settings
from studio.report_card_view import latest_card_job
from tests.browser import chromium_page, pick

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "assets" / "documents"
COLLECTION = "isle-first-run"  # the README says "e.g. isle"; its own name keeps it apart from other tests
SKILL = "closed-book-qa-smollm2-135m"
N_QUESTIONS = len(json.loads((DOCS / "isle-of-vessary.qa.json").read_text())["questions"])


@pytest.mark.slow
def test_readme_first_run(studio_url: str, session_settings: Settings, output_dir: Path) -> None:
    service = JobService(session_settings)
    timings: dict[str, object] = {}
    # A newcomer's studio is quiet: on the shared test studio, wait for another test's adaptation to end (while one
    # runs, the Adapt screen shows that run's choices, as after a reload mid-run, and would reset these).
    deadline = time.monotonic() + 900
    while any(not j.terminal for j in service.list(kind="pipeline.adapt", limit=20)):
        assert time.monotonic() < deadline, "another test's adaptation is still running after 15 minutes"
        time.sleep(2)
    with chromium_page(1280, 900) as page:
        page.goto(studio_url)

        # 1. Documents: the document and its questions in one upload, into one collection.
        page.get_by_role("tab", name="Documents", exact=True).click()
        box = page.locator("#docs-collection input")
        box.fill(COLLECTION)
        box.press("Enter")
        files = [str(DOCS / "isle-of-vessary.md"), str(DOCS / "isle-of-vessary.qa.json")]
        page.locator("#docs-files input[type=file]").set_input_files(files)
        page.wait_for_timeout(1500)
        page.locator("#docs-upload").click()
        outcome = page.locator("#docs-outcome")
        expect(outcome).to_contain_text(f"2 of 2 file(s) added to '{COLLECTION}'", timeout=60_000)
        expect(outcome).to_contain_text(f"isle-of-vessary.qa.json: {N_QUESTIONS} questions, attached to")
        expect(page.locator("#docs-questions")).to_contain_text(
            f"'{COLLECTION}': isle-of-vessary.qa.json ({N_QUESTIONS} questions)", timeout=30_000
        )
        table = page.locator("#docs-table")
        expect(table).to_contain_text("isle-of-vessary.md")
        expect(table).not_to_contain_text("isle-of-vessary.qa.json")  # never stored as a text document
        # a mistake is said next to the button and stays there
        page.locator("#docs-delete").click()
        expect(page.locator("#docs-delete-msg")).to_contain_text("Pick a document first")
        page.screenshot(path=output_dir / "1-documents.png", full_page=True)

        # 2. Adapt: the collection, the bundled skill, the estimate; one pass; Launch.
        page.get_by_role("tab", name="Adapt", exact=True).click()
        pick(page, "adapt-collection", COLLECTION)
        expect(page.locator("#adapt-skill input")).to_have_value(SKILL, timeout=30_000)
        page.get_by_text("More settings").click()
        steps = page.locator("#adapt-steps input[type=number]")
        steps.fill("1")
        steps.press("Enter")
        estimate = page.locator("#adapt-estimate")
        expect(estimate).to_contain_text("Estimated time", timeout=120_000)
        expect(estimate).to_contain_text(f"Then the report card ({N_QUESTIONS} questions", timeout=60_000)
        timings["estimate"] = estimate.inner_text()
        page.screenshot(path=output_dir / "2-adapt-estimate.png", full_page=True)
        started = time.monotonic()
        page.locator("#adapt-launch").click()
        status = page.locator("#adapt-status")
        expect(status).to_contain_text(f"Adapt '{COLLECTION}'", timeout=60_000)
        expect(status.locator("[data-state=succeeded]")).to_be_visible(timeout=3_600_000)
        timings["adapt_s"] = round(time.monotonic() - started)
        adapt_job = next(
            j
            for j in service.list(kind="pipeline.adapt", limit=20)
            if j.state == "succeeded" and j.params["collection"] == COLLECTION
        )
        assert adapt_job.params["epochs"] == 1.0 and adapt_job.params["skill"] == SKILL
        timings["adapt_job_s"] = round(adapt_job.finished_at - adapt_job.started_at)

        # 3. The report card, by itself: verdicts first, in plain words; intervals only under Details.
        card = page.locator("#adapt-card")
        expect(card).to_contain_text("It now answers", timeout=3_600_000)
        card_job = latest_card_job(service, adapt_job.result["name"])
        assert card_job is not None and card_job.state == "succeeded"
        timings["report_card_s"] = round(card_job.finished_at - card_job.started_at)
        result = card_job.result
        assert result["n_questions"] == N_QUESTIONS and result["collection"] == COLLECTION
        lines = verdicts(result)
        for line in lines:
            expect(card).to_contain_text(line)
        assert lines[0].startswith("It now answers ") and f"of {N_QUESTIONS} questions about your documents" in lines[0]
        expect(card).not_to_contain_text("[")  # no intervals among the verdicts
        gentler = page.locator("#adapt-gentler")
        probe = result["forgetting"]
        if forgetting_level(probe) == "kept":
            assert lines[1].startswith("It kept its general knowledge")
            expect(gentler).to_be_hidden()
        else:  # forgetting called out, with the gentler setting one press away
            assert lines[1].startswith("It forgot") and f"was {probe['base']}" in lines[1]
            expect(gentler).to_be_visible()
            lam = float(page.locator("#adapt-lam input[type=number]").input_value())
            gentler.click()
            expect(page.locator("#adapt-gentler-note")).to_contain_text("press Launch", timeout=30_000)
            halved = float(page.locator("#adapt-lam input[type=number]").input_value())
            assert halved == pytest.approx(round(lam / 2, 2))
        timings["verdicts"] = lines
        page.locator("#adapt-card-more").get_by_text("Details").click()
        details = page.locator("#adapt-card-details")
        expect(details).to_contain_text("95 % interval")
        expect(details.locator("tbody tr")).to_have_count(5)
        page.screenshot(path=output_dir / "3-report-card.png", full_page=True)

        # 4. Chat with it: side A is the fine-tuned model, side B the same with the skill; the panes say so.
        page.locator("#adapt-chat").click()
        expect(page.locator("#ab-prompt")).to_be_visible(timeout=30_000)
        blind = page.locator("#ab-blind input")
        if blind.is_checked():  # another test may have left blind mode on
            blind.uncheck()
        name = adapt_job.result["name"]
        side_a = re.compile(rf"Side A: {re.escape(name)}: fine-tuned on its documents")
        side_b = re.compile(rf"Side B: {re.escape(name)}: fine-tuned \+ skill '{SKILL}'")
        expect(page.locator("#ab-chat-a")).to_contain_text(side_a, timeout=30_000)
        expect(page.locator("#ab-chat-b")).to_contain_text(side_b)
        page.locator("#ab-settings").get_by_text("Generation settings").click()
        tokens = page.locator("#ab-max-tokens input[type=number]")
        tokens.fill("24")
        tokens.press("Enter")
        page.locator("#ab-prompt textarea").fill("Where is the Isle of Vessary?")
        page.locator("#ab-send").click()
        for pane in ("#ab-chat-a", "#ab-chat-b"):
            page.locator(f"{pane} .bot, {pane} [data-testid='bot']").last.wait_for(timeout=300_000)
        expect(page.locator("#ab-status-a")).to_contain_text(side_a, timeout=300_000)
        expect(page.locator("#ab-status-b")).to_contain_text(side_b)
        expect(page.locator("#ab-send")).to_be_enabled(timeout=300_000)
        page.screenshot(path=output_dir / "4-ab-chat.png", full_page=True)
    (output_dir / "timings.json").write_text(json.dumps(timings, indent=2, ensure_ascii=False))
    print(json.dumps(timings, indent=2, ensure_ascii=False))
