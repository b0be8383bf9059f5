"""Issue 12's acceptance run in a real studio (a record, run once on 2026-12-01): a real Chromium opens a
running studio, uploads the 100,000-character LooGLE document (longdep_qa row 1, "Urban planning of
Barcelona", first 99,899 characters) on the Documents screen, picks the "long document" preset on the Adapt
screen, reads the estimate shown before Launch, launches, and closes the browser (the job runs on).
`watch_run.py` then records the job's progress from the store; `reattach.py` reopens the page mid-run and
at the end. Paths are this machine's; the studio is started by `run.sh`."""

import json
import sys
import time
from pathlib import Path

ROOT = Path("/work/main")
OUT = Path(__file__).resolve().parent
DOC = Path("/work/runs/urban-planning-of-barcelona.txt")
COLLECTION = "urban-planning-barcelona"
SKILL = "closed-book-qa-smollm2-135m"


def main(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import expect

    from tests.browser import chromium_page, pick, upload_document

    record: dict = {"document": str(DOC), "chars": len(DOC.read_text(encoding="utf-8"))}
    with chromium_page(1280, 1000) as page:
        page.goto(url)
        record["upload"] = upload_document(page, DOC, COLLECTION, timeout_ms=120_000)
        page.screenshot(path=OUT / "1-documents.png", full_page=True)

        page.get_by_role("tab", name="Adapt", exact=True).click()
        pick(page, "adapt-collection", COLLECTION)
        pick(page, "adapt-skill", SKILL)
        page.get_by_text("More settings").click()
        page.locator("#adapt-preset").get_by_text("long-document:", exact=False).click()
        estimate = page.locator("#adapt-estimate")
        expect(estimate).to_contain_text("Estimated time", timeout=120_000)
        expect(page.locator("#adapt-steps input[type=number]")).to_have_value("2", timeout=30_000)
        shown, stable_since = "", time.monotonic()
        while time.monotonic() - stable_since < 5:  # the estimate for the preset's own passes has settled
            page.wait_for_timeout(500)
            now = estimate.inner_text()
            if now != shown:
                shown, stable_since = now, time.monotonic()
        record["estimate_text"] = shown
        record["passes_shown"] = page.locator("#adapt-steps input[type=number]").input_value()
        page.screenshot(path=OUT / "2-adapt-estimate.png", full_page=True)
        page.locator("#adapt-launch").click()
        record["launched_at"] = time.time()
        status = page.locator("#adapt-status")
        expect(status).to_contain_text("running", timeout=120_000)
        page.wait_for_timeout(20_000)
        page.screenshot(path=OUT / "3-adapt-running.png", full_page=True)
    from backend.jobs.service import JobService
    from past.settings import Settings

    job = JobService(Settings.load()).list(kind="pipeline.adapt", limit=1)[0]
    record.update(job_id=job.id, job_params=job.params, job_created_at=job.created_at)
    (OUT / "launch.json").write_text(json.dumps(record, indent=2))
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
