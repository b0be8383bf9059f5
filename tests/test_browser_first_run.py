"""The README's "First run", point and click in a real browser, exactly as written, on the default model.

1. Documents: upload ``isle-of-vessary.md`` and its ``isle-of-vessary.qa.json`` into one collection: the document
   is stored as text, the question file is attached as the collection's questions (never a text document).
2. Adapt: that collection, the bundled skill (preselected), the estimate shown above Launch (with the report card
   after it), fewer passes under More settings ("in a hurry": one), Launch.
3. The report card follows by itself: verdicts in plain words first (what it now answers, whether it forgot
   general knowledge, with the gentler setting offered when it did), numbers with intervals under Details.
4. Chat with it: A/B chat, side A the fine-tuned model and side B the same with the skill, each pane saying so.

Along the way it checks what a user meets off the written path, so that one adaptation serves both: a bad file
gets its own line, a skill built on another base is marked in the library and not offered, a reload mid-run
reattaches to the job and the form as launched, the fine-tune-vs-skill heatmap and the card's details (five systems,
the forgetting check, answers side by side), a blind A/B vote, and a job stopped on the Jobs screen.
The measured times (Adapt against its estimate, the report card) go to test-output/<test name>/timings.json.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from peft import LoraConfig, get_peft_model
from playwright.sync_api import expect
from transformers import LlamaForCausalLM

from backend.jobs.service import JobService
from backend.store import SelectionRepository, Store
from past.evaluation.report_card import BASE, BASE_DOCS, FINE_TUNED, INJECTED, INJECTED_DOCS, forgetting_level, verdicts
from past.models import fingerprint_checkpoint
from past.settings import Settings
from past.skills import SkillLibrary, skill_from_adapter
from studio.report_card_view import latest_card_job
from tests.browser import chromium_page, pick
from tests.jobs_support import wait_until
from tests.test_ab_studio import settled
from tests.tiny_models import make_tiny_llama

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "assets" / "documents"
COLLECTION = "isle-first-run"  # the README says "e.g. isle"; its own name keeps it apart from other tests
SKILL = "closed-book-qa-smollm2-135m"
N_QUESTIONS = len(json.loads((DOCS / "isle-of-vessary.qa.json").read_text())["questions"])
FOREIGN_SKILL = "skill-from-another-base"


def add_foreign_skill(settings: Settings, tmp: Path) -> None:
    """A LoRA skill built on a tiny random model: valid, but not for the default base."""
    library = SkillLibrary(settings)
    if library.exists(FOREIGN_SKILL):
        return
    base = make_tiny_llama(tmp / "tiny-base", seed=7)
    model = get_peft_model(
        LlamaForCausalLM.from_pretrained(base),
        LoraConfig(r=2, target_modules=["q_proj", "v_proj"], init_lora_weights=False),
    )
    model.save_pretrained(tmp / "tiny-adapter")
    skill_from_adapter(
        tmp / "tiny-adapter",
        library.new_path(FOREIGN_SKILL),
        name=FOREIGN_SKILL,
        base_fingerprint=fingerprint_checkpoint(base),
        base_ref="tiny-random-llama",
    )


@pytest.mark.slow
def test_readme_first_run(studio_url: str, session_settings: Settings, output_dir: Path, tmp_path: Path) -> None:
    service = JobService(session_settings)
    add_foreign_skill(session_settings, tmp_path)
    bad = tmp_path / "holiday-notes.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)  # an image wearing a .txt name
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
        # off the path: a bad file gets its own line, and nothing is added
        page.locator("#docs-files input[type=file]").set_input_files([str(bad)])
        page.wait_for_timeout(1500)
        page.locator("#docs-upload").click()
        expect(outcome).to_contain_text("0 of 1 file(s) added", timeout=60_000)
        expect(outcome).to_contain_text("holiday-notes.txt")
        expect(table).not_to_contain_text("holiday-notes.txt")
        page.screenshot(path=output_dir / "1-documents.png", full_page=True)

        # off the path: the skill library marks the skill built on another base as unusable with this one
        page.get_by_role("tab", name="Skill library", exact=True).click()
        skills = page.locator("#skills-table")
        expect(skills).to_contain_text(FOREIGN_SKILL, timeout=30_000)
        expect(skills).to_contain_text("other base")

        # 2. Adapt: the collection, the bundled skill, the estimate; one pass; Launch.
        page.get_by_role("tab", name="Adapt", exact=True).click()
        pick(page, "adapt-collection", COLLECTION)
        expect(page.locator("#adapt-skill input")).to_have_value(SKILL, timeout=30_000)
        expect(page.locator("#adapt-skill-note")).to_contain_text(FOREIGN_SKILL, timeout=30_000)  # not offered
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
        # off the path: a reload mid-run reattaches: the job's status, and the form as launched (not the defaults)
        page.reload()
        page.get_by_role("tab", name="Adapt", exact=True).click()
        expect(status).to_contain_text(f"Adapt '{COLLECTION}'", timeout=30_000)
        expect(page.locator("#adapt-collection input")).to_have_value(COLLECTION, timeout=30_000)
        expect(page.locator("#adapt-skill input")).to_have_value(SKILL)
        page.get_by_text("More settings").click()
        expect(page.locator("#adapt-steps input[type=number]")).to_have_value("1")
        expect(status.locator("[data-state=succeeded]")).to_be_visible(timeout=3_600_000)
        timings["adapt_s"] = round(time.monotonic() - started)
        expect(page.locator("#adapt-heatmap .js-plotly-plot")).to_be_visible(timeout=30_000)
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
        # the job's own record: its file among the job's artifacts, the document's chunks retrieved for the
        # "with the documents" systems, and a base that knows most of the general-knowledge probes
        assert (session_settings.artifacts_dir / card_job.id / "report_card.json").is_file()
        assert all(row[BASE_DOCS]["passages"] for row in result["answers"])
        assert result["forgetting"]["n_questions"] == 20 and result["forgetting"]["base"] >= 5
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
        rows = details.locator("tbody tr")
        expect(rows).to_have_count(5)
        shown = [rows.nth(i).locator("td").first.inner_text().strip() for i in range(5)]
        assert shown == [BASE, FINE_TUNED, INJECTED, BASE_DOCS, INJECTED_DOCS]
        assert shown == [system["label"] for system in result["systems"]]
        for i, system in enumerate(result["systems"]):  # the numbers are the job's
            expect(rows.nth(i)).to_contain_text(f"{system['correct']} of {N_QUESTIONS}")
        expect(details).to_contain_text(
            f"on {probe['n_questions']} general-knowledge questions the base model answers {probe['base']} "
            f"and the adapted model {probe['adapted']}"
        )
        expect(page.locator("#adapt-card-chart .js-plotly-plot")).to_be_visible()
        page.locator("#adapt-card-fold").get_by_text("Answers side by side").click()
        answers = page.locator("#adapt-card-answers")
        expect(answers).to_contain_text("the Marren Sea")
        expect(answers).to_contain_text("(general knowledge)")
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
        sides = SelectionRepository(Store(session_settings.db_path)).get("ab_chat.sides")
        assert sides["a"]["adapter"].endswith("baseline") and sides["b"]["adapter"].endswith("injected")

        # off the path: the same two blind, then a vote reveals which side was which
        settled(page)
        page.locator("#ab-clear").click()
        page.locator("#ab-blind input").check()
        page.locator("#ab-prompt textarea").fill("Where is the Isle of Vessary?")
        page.locator("#ab-send").click()
        for pane in ("#ab-chat-a", "#ab-chat-b"):
            page.locator(f"{pane} .bot, {pane} [data-testid='bot']").last.wait_for(timeout=300_000)
        expect(page.locator("#ab-vote-left")).to_be_enabled(timeout=300_000)
        page.locator("#ab-vote-tie").click()
        expect(page.locator("#ab-reveal")).to_contain_text("was side", timeout=30_000)
        expect(page.locator("#ab-reveal")).to_contain_text("injected")
        page.screenshot(path=output_dir / "5-ab-chat-vote.png", full_page=True)

        # off the path: a long job is stopped on the Jobs screen and says so in plain words
        job = service.submit("selftest.count", {"n": 100_000, "interval_s": 0.05}, name="A long count")
        wait_until(lambda: service.get(job.id).state == "running", 60, "the long count to start")
        page.get_by_role("tab", name="Jobs", exact=True).click()
        pick(page, "jobs-pick", f"A long count · running · {job.id}")
        page.locator("#jobs-cancel").click()
        expect(page.locator("#jobs-status")).to_contain_text("cancelled", timeout=60_000)
        page.screenshot(path=output_dir / "6-jobs-cancelled.png", full_page=True)
        assert service.get(job.id).state == "cancelled"
    (output_dir / "timings.json").write_text(json.dumps(timings, indent=2, ensure_ascii=False))
    print(json.dumps(timings, indent=2, ensure_ascii=False))
