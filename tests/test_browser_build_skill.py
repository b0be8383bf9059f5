"""End to end in a real browser, on the default model: build a skill in the studio and use it.

Upload a source document and its questions, build a tiny skill on the "Build a skill" screen (one round, two
SFT steps of its own instead of an Adapt preset, two GRPO steps) after its time estimate shows those steps, watch
the live reward curve appear while the job runs, find the skill in the Skill library with its orthogonality
analysis, and adapt another document with it on the Adapt screen. Screenshots of each screen go to
test-output/<test name>/.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backend.jobs.service import JobService
from past.settings import Settings
from past.skills import SkillLibrary
from tests.browser import chromium_page, pick, upload_document

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "assets" / "corpora" / "skill-source"
SOURCE_COLLECTION = "e2e-skill-source"
TARGET_COLLECTION = "e2e-skill-target"
SKILL = "tiny-built-skill"  # sorts after the bundled skill, so other screens' defaults stay the same
TINY_BUILD = {"rounds": 1, "sft-steps": 2, "grpo-steps": 2, "num-generations": 2, "prompts-per-step": 1}


def job_state(page, elem_id: str) -> str | None:
    return page.locator(f"#{elem_id} .job-status").get_attribute("data-state")


@pytest.mark.slow
def test_build_a_tiny_skill_see_it_in_the_library_and_adapt_with_it(
    studio_url: str, session_settings: Settings, output_dir: Path
) -> None:
    service = JobService(session_settings)
    with chromium_page() as page:
        page.goto(studio_url)

        # 1. Documents: one source document for the skill, one target document to adapt to later.
        upload_document(page, SOURCES / "saffron-rail.md", SOURCE_COLLECTION)
        upload_document(page, SOURCES / "kettleby-clockworks.md", TARGET_COLLECTION)

        # 2. Questions about the source document, attached to its collection.
        page.get_by_role("tab", name="Evaluate", exact=True).click()
        page.get_by_text("Add questions to a collection", exact=True).click()
        page.locator("#ev-qa-file input[type=file]").set_input_files([str(SOURCES / "saffron-rail.qa.json")])
        target = page.locator("#ev-qa-collection input")
        target.fill(SOURCE_COLLECTION)
        target.press("Enter")
        page.wait_for_timeout(1000)
        page.locator("#ev-attach").click()
        expect(page.locator("#ev-attach-msg")).to_contain_text("questions", timeout=60_000)
        expect(page.locator("#ev-attach-msg")).to_contain_text(SOURCE_COLLECTION)
        page.screenshot(path=output_dir / "1-questions-attached.png", full_page=True)

        # 3. Build a skill with tiny step counts; the reward curve shows up while the job still runs.
        page.get_by_role("tab", name="Build a skill", exact=True).click()
        page.locator("#build-name").locator("textarea, input").first.fill(SKILL)
        pick(page, "build-collection", SOURCE_COLLECTION)
        page.locator("#build-preset label", has_text="custom").click()  # the steps below, not a whole preset
        page.get_by_text("Training settings (sensible defaults)", exact=True).click()
        for key, value in TINY_BUILD.items():
            number = page.locator(f"#build-{key} input[type=number]")
            number.fill(str(value))
            number.press("Enter")
        # the time it will take, said before Build, for the choices on screen (one round of 2 + 2 steps)
        estimate = page.locator("#build-estimate")
        expect(estimate).to_contain_text("(2 GRPO steps)", timeout=60_000)
        expect(estimate).to_contain_text("Estimated time: about")
        expect(estimate).to_contain_text("for 1 round. A round: learning its 1 document(s)")
        started = time.monotonic()
        page.locator("#build-launch").click()
        expect(page.locator("#build-status")).to_contain_text(SKILL, timeout=30_000)
        expect(page.locator("#build-curves")).to_contain_text("reward", timeout=600_000)
        assert job_state(page, "build-status") == "running", "the reward curve is drawn while the job runs"
        page.screenshot(path=output_dir / "2-build-live-reward.png", full_page=True)
        expect(page.locator("#build-status [data-state=succeeded]")).to_be_visible(timeout=600_000)
        build_seconds = time.monotonic() - started
        build = service.list(kind="pipeline.build_skill", limit=1)[0]
        assert build.params["grpo_steps"] == 2 and build.params["num_generations"] == 2
        assert build.params["preset"] == "custom" and build.params["sft_steps"] == 2
        page.screenshot(path=output_dir / "3-build-done.png", full_page=True)

        # 4. Skill library: the new skill with its analysis (SFT update vs the RL skill, layer by layer).
        library = SkillLibrary(session_settings)
        assert (library.path_for(SKILL) / "orthogonality.json").is_file(), "Stage I stores its analysis"
        page.get_by_role("tab", name="Skill library", exact=True).click()
        page.get_by_role("button", name="Refresh", exact=True).click()
        expect(page.locator("#skills-table")).to_contain_text(SKILL, timeout=30_000)
        pick(page, "skills-pick", SKILL)
        expect(page.locator("#skills-heatmap .js-plotly-plot")).to_be_visible(timeout=30_000)
        expect(page.locator("#skills-practice .js-plotly-plot")).to_be_visible()  # its practice, step by step
        expect(page.locator("#skills-card")).to_contain_text(SOURCE_COLLECTION)  # the card shows the description
        page.screenshot(path=output_dir / "4-library-analysis.png", full_page=True)

        # 5. Adapt the target document with the new skill (no synthetic data, one pass: quick).
        page.get_by_role("tab", name="Adapt", exact=True).click()
        pick(page, "adapt-collection", TARGET_COLLECTION)
        pick(page, "adapt-skill", SKILL)
        page.get_by_text("More settings").click()
        page.locator("#adapt-preset label", has_text="passage-only").click()
        passes = page.locator("#adapt-steps input[type=number]")
        passes.fill("1")
        passes.press("Enter")
        page.locator("#adapt-launch").click()
        status = page.locator("#adapt-status")
        expect(status).to_contain_text(SKILL, timeout=30_000)
        expect(status.locator("[data-state=succeeded]")).to_be_visible(timeout=600_000)
        expect(page.locator("#adapt-heatmap .js-plotly-plot")).to_be_visible(timeout=30_000)
        page.screenshot(path=output_dir / "5-adapted-with-the-new-skill.png", full_page=True)
        adapted = service.list(kind="pipeline.adapt", limit=1)[0]
        assert adapted.params["skill"] == SKILL and adapted.params["collection"] == TARGET_COLLECTION
        assert adapted.params["preset"] == "passage-only" and adapted.state == "succeeded"
    print(f"build {build_seconds:.0f} s; whole test until the adapted model {time.monotonic() - started:.0f} s")
