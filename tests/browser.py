"""Headless Debian Chromium driven by Playwright (no browser download), for end-to-end UI tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Playwright's 5 s default for an ``expect`` is a speed check on a loaded 2-core machine (two test workers, a
# training job beside the studio); the tests' waits are guards against a hang: 30 s unless a step says otherwise.
EXPECT_TIMEOUT_MS = 30_000


@contextmanager
def chromium_page(width: int = 1280, height: int = 800) -> Iterator:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Debian chromium is not installed; `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def pick(page, elem_id: str, value: str) -> None:
    """Choose ``value`` in a Gradio dropdown."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill(value)
    page.get_by_role("option", name=value, exact=True).click()


def upload_document(page, path: Path, collection: str, timeout_ms: int = 60_000) -> str:
    """Upload one file into ``collection`` on the Documents screen; return the outcome line it shows."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Documents", exact=True).click()
    box = page.locator("#docs-collection input")
    box.fill(collection)
    box.press("Enter")
    page.locator("#docs-files input[type=file]").set_input_files([str(path)])
    page.wait_for_timeout(1000)
    page.locator("#docs-upload").click()
    outcome = page.locator("#docs-outcome")
    expect(outcome).to_contain_text(f"1 of 1 file(s) added to '{collection}'", timeout=timeout_ms)
    return outcome.inner_text()
