"""Reopens the studio's Adapt screen in a fresh browser (as a user who closed the tab and came back): the
screen reattaches to the latest adapt job from the store. Saves a screenshot under the given name."""

import sys
from pathlib import Path

ROOT = Path("/work/main")
OUT = Path(__file__).resolve().parent


def main(url: str, name: str, wait_done: bool = False) -> None:
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import expect

    from tests.browser import chromium_page

    with chromium_page(1280, 1000) as page:
        page.goto(url)
        page.get_by_role("tab", name="Adapt", exact=True).click()
        status = page.locator("#adapt-status")
        expect(status).to_contain_text("Adapt", timeout=60_000)
        if wait_done:
            expect(status.locator("[data-state=succeeded]")).to_be_visible(timeout=60_000)
            expect(page.locator("#adapt-heatmap .js-plotly-plot")).to_be_visible(timeout=60_000)
        page.wait_for_timeout(5000)
        print(status.inner_text())
        print(page.locator("#adapt-stages").inner_text())
        page.screenshot(path=OUT / f"{name}.png", full_page=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "done")
