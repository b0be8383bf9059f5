"""End to end in a real browser: the first screen chats with the default model."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import chromium_page


@pytest.mark.slow
@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_chat_screen_streams_a_reply(studio_url: str, output_dir: Path, width: int, height: int) -> None:
    with chromium_page(width, height) as page:
        page.goto(studio_url)
        page.get_by_role("tab", name="Chat", exact=True).wait_for()
        page.screenshot(path=output_dir / "chat-empty.png", full_page=True)
        page.locator("#chat-prompt textarea").fill("What is the capital of France?")
        page.locator("#chat-send").click()
        bot = page.locator("#chat-box .bot, #chat-box [data-testid='bot']").last
        bot.wait_for(timeout=60_000)
        page.wait_for_function(
            "() => { const s = document.querySelector('#chat-status'); return s && s.innerText.includes('SmolLM2'); }",
            timeout=60_000,
        )
        expect(bot).to_contain_text("Paris", timeout=60_000)
        expect(page.locator("#chat-send")).to_be_enabled(timeout=300_000)  # the reply runs on after "Paris"
        page.screenshot(path=output_dir / "chat-reply.png", full_page=True)
