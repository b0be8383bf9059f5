"""A/B chat screen against a running studio: blind send + vote through gradio_client, and in a real browser;
a side that answers with the documents (retrieval) shows the passages it read; the recall answer format shows
what each side remembered under its answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backend.chat_sessions import ABConversations
from backend.documents import DocumentService
from backend.store import ChatRepository, SelectionRepository, Store
from past.evaluation.prompts import PROMPT_LABELS
from past.settings import BUNDLED_MODEL_NAME, Settings
from studio.ab_chat_tab import NO_ADAPTER_CHOICE
from studio.recall_view import REMEMBERED
from tests.browser import chromium_page, pick
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def current_session(settings: Settings):
    store = Store(settings.db_path)
    conversations = ABConversations(ChatRepository(store))
    return conversations, conversations.get(SelectionRepository(store).get("ab_chat.session", ""))


def settled(page, timeout: float = 30_000) -> None:
    """Wait until no A/B chat component shows a pending update (Gradio's status tracker is hidden)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('#ab-blind [data-testid=status-tracker],"
        " #ab-chat-a [data-testid=status-tracker]')].every(e => e.classList.contains('hide'))",
        timeout=timeout,
    )


def named_sides(page, studio_url: str) -> None:
    """A new, not blind A/B conversation with the base model on both sides, neither reading the documents."""
    page.goto(studio_url)
    page.get_by_role("tab", name="A/B chat").click()
    settled(page)
    blind = page.locator("#ab-blind input")
    if blind.is_checked():  # passages and recall lines are shown with the models named, not in blind mode
        blind.uncheck()
        settled(page)
    page.locator("#ab-clear").click()
    settled(page)
    for key in ("a", "b"):
        pick(page, f"ab-model-{key}", BUNDLED_MODEL_NAME)
        pick(page, f"ab-adapter-{key}", NO_ADAPTER_CHOICE[0])
        retrieval = page.locator(f"#ab-retrieval-{key} input")
        if retrieval.is_checked():
            retrieval.uncheck()


def test_blind_send_vote_tally_and_export(studio_url: str, session_settings: Settings) -> None:
    from gradio_client import Client

    # Side B names the same model by its directory: a distinct identity that loads nothing more into the
    # shared studio's model pool (other tests count the adapters loaded there).
    m, directory = BUNDLED_MODEL_NAME, str(session_settings.models_dir / BUNDLED_MODEL_NAME)
    client = Client(studio_url, verbose=False)
    left, right, _, status_1, status_2, usage = client.predict(
        "Name a colour.", [], [], m, "", directory, "", 16, 0, 1, True, api_name="/ab_chat"
    )
    assert left[-1]["role"] == "assistant" and right[-1]["role"] == "assistant"
    assert "Model 1" in status_1 and "Model 2" in status_2 and "hidden in blind mode" in usage
    assert m not in status_1 + status_2, "blind mode must not name the model"
    conversations, session = current_session(session_settings)
    assert session is not None and session.blind and session.sides["b"].model == directory
    (turn,) = conversations.turns(session.id)
    assert turn.replies[session.real("left")] in str(left[-1]["content"])

    _hint, reveal, tally = client.predict("Left is better", api_name="/ab_vote")
    (vote,) = conversations.session_votes(session.id)
    expected = "b" if session.swapped else "a"
    assert vote["winner"] == expected, "the left pane's real side must get the win"
    assert (vote["model_a"], vote["model_b"]) == (m, directory)
    assert vote["prompt"] == "Name a colour." and vote["answer_b"] == turn.replies["b"]
    assert f"Model 1** was side {expected.upper()}" in reveal
    row = next(r for r in tally["data"] if r[1] == directory)
    assert row[2] >= 1 and row[3 if expected == "a" else 4] >= 1
    with pytest.raises(Exception, match="already voted"):
        client.predict("Tie", api_name="/ab_vote")

    exported = Path(client.predict(api_name="/ab_export"))
    records = {r["session_id"]: r for r in map(json.loads, exported.read_text().splitlines())}
    record = records[session.id]
    assert record["blind"] and record["swapped"] == session.swapped and record["votes"][0]["winner"] == expected
    assert [msg["role"] for msg in record["messages"]] == ["user", "assistant", "assistant"]
    assert [(msg.get("side"), msg.get("model")) for msg in record["messages"][1:]] == [("a", m), ("b", directory)]
    assert list((session_settings.artifacts_dir / "exports").glob("ab-conversations-*.jsonl"))


def test_blind_vote_in_the_browser_and_reload(studio_url: str, session_settings: Settings, output_dir: Path) -> None:
    with chromium_page() as page:
        page.goto(studio_url)
        expect(page.locator("#studio-access")).to_contain_text("Only reachable from this machine", timeout=30_000)
        expect(page.locator("#studio-serving")).to_contain_text("Chat engine: transformers · device CPU · float32")
        page.get_by_role("tab", name="A/B chat").click()
        settled(page)  # opening the tab restores the last conversation from the store; let that finish first
        page.locator("#ab-clear").click()  # and start a new one
        page.locator("#ab-blind input").check()
        expect(page.locator("#ab-model-a")).to_be_hidden()
        expect(page.locator("#ab-chat-a")).to_contain_text("Model 1")
        page.locator("#ab-settings").get_by_text("Generation settings").click()
        tokens = page.locator("#ab-max-tokens input[type=number]")
        tokens.fill("16")
        tokens.press("Enter")
        page.locator("#ab-prompt textarea").fill("What is the capital of France?")
        page.locator("#ab-send").click()
        for pane in ("#ab-chat-a", "#ab-chat-b"):
            page.locator(f"{pane} .bot, {pane} [data-testid='bot']").last.wait_for(timeout=60_000)
        expect(page.locator("#ab-vote-left")).to_be_enabled(timeout=60_000)
        page.screenshot(path=output_dir / "ab-blind-replies.png", full_page=True)
        page.locator("#ab-vote-right").click()
        expect(page.locator("#ab-reveal")).to_contain_text("Model 2 was side", timeout=30_000)
        expect(page.locator("#ab-vote-left")).to_be_disabled()
        expect(page.locator("#ab-tally")).to_contain_text(BUNDLED_MODEL_NAME)
        page.screenshot(path=output_dir / "ab-blind-reveal.png", full_page=True)

        conversations, session = current_session(session_settings)
        (vote,) = conversations.session_votes(session.id)
        assert vote["winner"] == session.real("right")

        page.reload()  # the conversation, the blind mode and the reveal come back from the store
        page.get_by_role("tab", name="A/B chat").click()
        settled(page)
        expect(page.locator("#ab-chat-b")).to_contain_text("capital of France", timeout=30_000)
        expect(page.locator("#ab-blind input")).to_be_checked()
        expect(page.locator("#ab-reveal")).to_contain_text("Model 2 was side")
        page.screenshot(path=output_dir / "ab-after-reload.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})  # phone width: the same screen, stacked
        expect(page.locator("#ab-vote-right")).to_be_visible()
        page.screenshot(path=output_dir / "ab-phone.png", full_page=True)


def test_a_side_answers_with_the_documents(studio_url: str, session_settings: Settings, output_dir: Path) -> None:
    """Side B answers "with the documents": the passages it read are shown under its reply (side A shows
    none), and the conversation keeps the message as typed."""
    collection = "ab-retrieval"
    store = Store(session_settings.db_path)
    document = (ROOT / "assets" / "documents" / "isle-of-vessary.md").read_bytes()
    (added,) = DocumentService(session_settings, store).upload([("isle-of-vessary.md", document)], collection)
    assert added.ok, added.error
    question = "In which sea is the Isle of Vessary?"
    with chromium_page() as page:
        named_sides(page, studio_url)
        page.locator("#ab-retrieval-b input").check()
        pick(page, "ab-retrieval-collection", collection)
        page.locator("#ab-settings").get_by_text("Generation settings").click()
        tokens = page.locator("#ab-max-tokens input[type=number]")
        tokens.fill("16")
        tokens.press("Enter")
        page.locator("#ab-prompt textarea").fill(question)
        page.locator("#ab-send").click()
        for pane in ("#ab-chat-a", "#ab-chat-b"):
            page.locator(f"{pane} .bot, {pane} [data-testid='bot']").last.wait_for(timeout=60_000)
        passages = page.locator("#ab-passages-b")
        expect(passages).to_contain_text("Passages from the documents used for this reply", timeout=60_000)
        expect(passages).to_contain_text("1. isle-of-vessary")
        expect(passages).to_contain_text("Marren Sea")  # the passage that answers the question
        expect(page.locator("#ab-send")).to_be_enabled(timeout=60_000)
        expect(page.locator("#ab-passages-a")).not_to_contain_text("Passages")
        page.screenshot(path=output_dir / "ab-with-documents.png", full_page=True)

    conversations, session = current_session(session_settings)
    assert session is not None and not session.blind
    (turn,) = conversations.turns(session.id)
    assert turn.prompt == question, "the conversation keeps the message as typed, not the passages"
    assert turn.replies["a"] and turn.replies["b"] and "⚠" not in turn.replies["a"] + turn.replies["b"]


def test_recall_format_shows_what_each_side_remembered(
    studio_url: str, session_settings: Settings, output_dir: Path
) -> None:
    """Answer format "recall, then answer": each pane shows the reply's answer line with "What it remembered:"
    under it (split by the same function the evaluator and the GRPO reward judge with), and the saved turn
    keeps what was shown."""
    with chromium_page() as page:
        named_sides(page, studio_url)
        page.locator("#ab-format").get_by_label(PROMPT_LABELS["recall"], exact=True).check()
        page.locator("#ab-settings").get_by_text("Generation settings").click()
        tokens = page.locator("#ab-max-tokens input[type=number]")
        tokens.fill("32")
        tokens.press("Enter")
        question = "What is the capital of France?"
        page.locator("#ab-prompt textarea").fill(question)
        page.locator("#ab-send").click()
        expect(page.locator("#ab-send")).to_be_enabled(timeout=90_000)
        settled(page, timeout=90_000)
        for pane in ("#ab-chat-a", "#ab-chat-b"):
            expect(page.locator(pane)).to_contain_text(REMEMBERED, timeout=30_000)
        page.screenshot(path=output_dir / "ab-recall-format.png", full_page=True)

    conversations, session = current_session(session_settings)
    assert session is not None
    turn = conversations.turns(session.id)[-1]
    assert turn.prompt == question, "the conversation keeps the message as typed, not the recall prompt"
    assert all(REMEMBERED in reply for reply in turn.replies.values())
