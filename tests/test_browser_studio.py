"""End to end in a real browser, on the default model: the whole point-and-click PaST workflow.

Upload a document (and a bad file), see the skill library (with a skill from another base marked),
attach a few questions to the collection, launch Adapt with the bundled default skill, watch the job
succeed, see the fine-tune-vs-skill heatmap and the knowledge report card made after it (five systems,
the forgetting check), chat with both models in blind A/B mode and vote, and stop a job on the Jobs screen.
Screenshots of each screen go to test-output/<test name>/.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from peft import LoraConfig, get_peft_model
from playwright.sync_api import expect
from transformers import LlamaForCausalLM

from backend.jobs.service import JobService
from backend.store import SelectionRepository, Store
from past.evaluation.report_card import BASE, BASE_DOCS, FINE_TUNED, INJECTED, INJECTED_DOCS
from past.models import fingerprint_checkpoint
from past.settings import Settings
from past.skills import SkillLibrary, skill_from_adapter
from studio.report_card_view import latest_card_job
from tests.browser import chromium_page, pick
from tests.test_ab_studio import settled
from tests.tiny_models import make_tiny_llama

ROOT = Path(__file__).resolve().parent.parent
FOREIGN_SKILL = "skill-from-another-base"
COLLECTION = "e2e-vessary"
N_QUESTIONS = 4  # questions in the report card: each of its five systems answers them


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


def few_questions(tmp: Path) -> Path:
    """The first questions of the bundled Isle of Vessary question file (a short report card)."""
    data = json.loads((ROOT / "assets" / "documents" / "isle-of-vessary.qa.json").read_text())
    data["questions"] = data["questions"][:N_QUESTIONS]
    path = tmp / "isle-of-vessary-few.qa.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.slow
def test_point_and_click_adaptation(
    studio_url: str, session_settings: Settings, output_dir: Path, tmp_path: Path
) -> None:
    add_foreign_skill(session_settings, tmp_path)
    good = tmp_path / "isle-of-vessary.md"
    good.write_text((ROOT / "assets" / "documents" / "isle-of-vessary.md").read_text())
    bad = tmp_path / "holiday-notes.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)  # an image wearing a .txt name

    with chromium_page() as page:
        page.goto(studio_url)

        # 1. Documents: one good file, one bad one; each gets its own line.
        page.get_by_role("tab", name="Documents", exact=True).click()
        collection = page.locator("#docs-collection input")
        collection.fill(COLLECTION)
        collection.press("Enter")
        page.locator("#docs-files input[type=file]").set_input_files([str(good), str(bad)])
        page.wait_for_timeout(1500)
        page.locator("#docs-upload").click()
        outcome = page.locator("#docs-outcome")
        expect(outcome).to_contain_text("1 of 2 file(s) added", timeout=60_000)
        expect(outcome).to_contain_text("holiday-notes.txt")
        expect(outcome).to_contain_text("isle-of-vessary.md")
        page.screenshot(path=output_dir / "1-documents.png", full_page=True)

        # 2. Skill library: the foreign skill is marked as unusable with this base.
        page.get_by_role("tab", name="Skill library", exact=True).click()
        table = page.locator("#skills-table")
        expect(table).to_contain_text(FOREIGN_SKILL, timeout=30_000)
        expect(table).to_contain_text("other base")
        page.screenshot(path=output_dir / "2-skill-library.png", full_page=True)

        # 3. Evaluate: a few of the document's questions attached to the collection (for the report card).
        page.get_by_role("tab", name="Evaluate", exact=True).click()
        page.locator("#ev-add-questions").get_by_text("Add questions to a collection").click()
        questions = few_questions(tmp_path)
        page.locator("#ev-qa-file input[type=file]").set_input_files(str(questions))
        uploaded = page.locator("#ev-qa-file").get_by_role("cell", name=questions.name, exact=True)
        expect(uploaded).to_be_visible(timeout=30_000)
        target = page.locator("#ev-qa-collection input")
        target.fill(COLLECTION)
        target.press("Enter")
        page.locator("#ev-attach").click()
        expect(page.locator("#ev-attach-msg")).to_contain_text(f"{N_QUESTIONS} questions", timeout=30_000)
        expect(page.locator("#ev-attach-msg")).to_contain_text(COLLECTION)

        # 4. Adapt: the bundled default skill is offered, the foreign one is not; launch with few passes.
        page.get_by_role("tab", name="Adapt", exact=True).click()
        expect(page.locator("#adapt-skill-note")).to_contain_text(FOREIGN_SKILL, timeout=30_000)
        pick(page, "adapt-collection", COLLECTION)
        skill_value = page.locator("#adapt-skill input").input_value()
        assert skill_value and skill_value != FOREIGN_SKILL, "the default skill should be preselected"
        page.get_by_text("More settings").click()
        steps = page.locator("#adapt-steps input[type=number]")
        steps.fill("2")
        steps.press("Enter")
        page.locator("#adapt-launch").click()
        status = page.locator("#adapt-status")
        expect(status).to_contain_text("Adapt", timeout=30_000)
        page.screenshot(path=output_dir / "3-adapt-running.png", full_page=True)
        # A reload mid-run reattaches: the job's status, and the form as it was launched (not the defaults).
        page.reload()
        page.get_by_role("tab", name="Adapt", exact=True).click()
        expect(page.locator("#adapt-status")).to_contain_text(f"Adapt '{COLLECTION}'", timeout=30_000)
        expect(page.locator("#adapt-collection input")).to_have_value(COLLECTION, timeout=30_000)
        expect(page.locator("#adapt-skill input")).to_have_value(skill_value)
        page.get_by_text("More settings").click()
        expect(page.locator("#adapt-steps input[type=number]")).to_have_value("2")
        expect(status.locator("[data-state=succeeded]")).to_be_visible(timeout=900_000)
        expect(page.locator("#adapt-heatmap .js-plotly-plot")).to_be_visible(timeout=30_000)
        page.screenshot(path=output_dir / "4-adapt-done-heatmap.png", full_page=True)

        # 5. The knowledge report card is made by itself (the collection has questions): five systems, plain
        #    words first, the forgetting check, a chart, and the answers side by side; the numbers are the job's.
        card = page.locator("#adapt-card")
        expect(card).to_contain_text("general knowledge", timeout=600_000)  # the forgetting verdict
        service = JobService(session_settings)
        adapts = service.list(kind="pipeline.adapt", limit=20)
        adapt_job = next(j for j in adapts if j.state == "succeeded" and j.params["collection"] == COLLECTION)
        card_job = latest_card_job(service, adapt_job.result["name"])
        assert card_job is not None and card_job.state == "succeeded"
        result = card_job.result
        assert result["n_questions"] == N_QUESTIONS and result["collection"] == COLLECTION
        expect(card).to_contain_text(result["summary"].splitlines()[0])  # plain words: "It now answers 3 of 4 ..."
        page.locator("#adapt-card-more").get_by_text("Details").click()  # the numbers with intervals
        details = page.locator("#adapt-card-details")
        rows = details.locator("tbody tr")
        expect(rows).to_have_count(5)
        shown = [rows.nth(i).locator("td").first.inner_text().strip() for i in range(5)]
        five = [BASE, FINE_TUNED, INJECTED, BASE_DOCS, INJECTED_DOCS]
        assert shown == five == [system["label"] for system in result["systems"]]
        for i, system in enumerate(result["systems"]):
            expect(rows.nth(i)).to_contain_text(f"{system['correct']} of {N_QUESTIONS}")
        probe = result["forgetting"]
        expect(details).to_contain_text(
            f"on {probe['n_questions']} general-knowledge questions the base model answers {probe['base']} "
            f"and the adapted model {probe['adapted']}"
        )
        expect(page.locator("#adapt-card-chart .js-plotly-plot")).to_be_visible()
        page.locator("#adapt-card-fold").get_by_text("Answers side by side").click()
        answers = page.locator("#adapt-card-answers")
        expect(answers).to_contain_text("the Marren Sea")
        expect(answers).to_contain_text("(general knowledge)")
        page.screenshot(path=output_dir / "4b-adapt-report-card.png", full_page=True)

        # 6. A/B chat: "Chat with it" opens the fine-tune (left) vs the injected model (right).
        page.locator("#adapt-chat").click()
        expect(page.locator("#ab-prompt")).to_be_visible(timeout=30_000)
        settled(page)
        sides = SelectionRepository(Store(session_settings.db_path)).get("ab_chat.sides")
        assert sides["a"]["adapter"].endswith("baseline") and sides["b"]["adapter"].endswith("injected")
        page.locator("#ab-clear").click()
        blind = page.locator("#ab-blind input")
        if not blind.is_checked():
            blind.check()
        page.locator("#ab-settings").get_by_text("Generation settings").click()
        tokens = page.locator("#ab-max-tokens input[type=number]")
        tokens.fill("24")
        tokens.press("Enter")
        page.locator("#ab-prompt textarea").fill("Where is the Isle of Vessary?")
        page.locator("#ab-send").click()
        for pane in ("#ab-chat-a", "#ab-chat-b"):
            page.locator(f"{pane} .bot, {pane} [data-testid='bot']").last.wait_for(timeout=120_000)
        expect(page.locator("#ab-vote-left")).to_be_enabled(timeout=120_000)
        page.screenshot(path=output_dir / "5-ab-chat-blind.png", full_page=True)
        page.locator("#ab-vote-tie").click()
        expect(page.locator("#ab-reveal")).to_contain_text("was side", timeout=30_000)
        expect(page.locator("#ab-reveal")).to_contain_text("injected")
        page.screenshot(path=output_dir / "6-ab-chat-vote.png", full_page=True)

        # 7. Jobs: a long job is stopped from the page and says so in plain words.
        job = service.submit("selftest.count", {"n": 100_000, "interval_s": 0.05}, name="A long count")
        deadline = time.monotonic() + 60
        while service.get(job.id).state != "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        page.get_by_role("tab", name="Jobs", exact=True).click()
        pick(page, "jobs-pick", f"A long count · running · {job.id}")
        page.locator("#jobs-cancel").click()
        expect(page.locator("#jobs-status")).to_contain_text("cancelled", timeout=60_000)
        page.screenshot(path=output_dir / "7-jobs-cancelled.png", full_page=True)
        assert service.get(job.id).state == "cancelled"
