"""The A/B chat's and the Arena's handlers, called directly (no browser, no model): which sides the pickers name,
the panes' titles, a reply streamed from a scripted engine and what is saved of it, votes, and what a reloaded page
gets back (the conversation, blind mode, the answer format)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest

from backend.chat_sessions import ABConversations, Side
from backend.lambda_arena import arena_dir, question_pair
from backend.model_pool import ModelPool
from backend.path_policy import PathPolicy
from backend.store import Store
from past.errors import ConfigError, PastError
from past.models import ModelRegistry
from past.serving.engine import StreamEvent
from past.settings import Settings
from studio.ab_chat_tab import (
    BLIND_KEY,
    HIDDEN_USAGE,
    SESSION_KEY,
    SIDES_KEY,
    ABChat,
    after_reply,
    cast,
    fresh,
    pane_titles,
    picked_sides,
    remember_format,
    respond,
    restore,
)
from studio.ab_reply import ERROR_MARK
from studio.arena_tab import Arena, vote_buttons
from studio.arena_tab import cast as arena_cast
from studio.arena_tab import respond as arena_respond
from studio.context import StudioContext
from studio.guard import Guard
from studio.recall_view import AS_TYPED, FORMAT_KEY, RECALL, REMEMBERED

SKILL = "qa-skill"
RECALL_REPLY = "Paris is the capital of France.\nAnswer: Paris"


class ScriptedEngine:
    """The model side of the boundary: each side streams ``replies[i]`` in two pieces (or fails with an error);
    what the sides were sent is kept."""

    name = "scripted"

    def __init__(self) -> None:
        self.replies = ["Hello there.", "Hi!"]
        self.fail: int | None = None
        self.sent: list = []

    def stream(self, sides, conversations, params, stop=None) -> Iterator[StreamEvent]:
        self.sent.append([[dict(m) for m in c] for c in conversations])
        for i in range(len(sides)):
            yield StreamEvent(i, "ready")
            if i == self.fail:
                yield StreamEvent(i, "error", "the adapter did not load")
                continue
            half = len(self.replies[i]) // 2
            yield StreamEvent(i, "text", self.replies[i][:half])
            yield StreamEvent(i, "text", self.replies[i][half:])
            yield StreamEvent(i, "done", finish_reason="stop")


@pytest.fixture
def ctx(tmp_path: Path) -> StudioContext:
    settings = Settings.load(tmp_path / "data").ensure()
    registry = ModelRegistry(settings)
    return StudioContext(
        settings=settings,
        registry=registry,
        models=ModelPool(registry, 2**30),
        engine=ScriptedEngine(),
        engine_choice=None,  # type: ignore[arg-type]  # neither used by these handlers
        store=Store(settings.db_path),
        jobs=None,  # type: ignore[arg-type]
        skills=None,  # type: ignore[arg-type]
    )


@pytest.fixture
def ab(ctx: StudioContext) -> ABChat:
    return ABChat(ctx, ABConversations(ctx.chats), retrievers=None, names=["base"], default="base")  # type: ignore[arg-type]


def send(ab: ABChat, message: str, *, blind: bool = False, sid: str = "", history=([], []), fmt: str = AS_TYPED):
    """All frames of one A/B reply, as the ``/ab_chat`` API streams them."""
    args = (message, *history, "base", "", "base", "/adapters/past", 16, 0.0, 1.0, blind, sid, False, False, None)
    return list(respond(ab, *args, fmt))


def test_picked_sides_follow_the_path_policy(ctx: StudioContext) -> None:
    assert picked_sides(ctx.guard.policy, " base ", " /a/lora ", "other", "") == {
        "a": Side("base", "/a/lora"),
        "b": Side("other", ""),
    }
    exposed = PathPolicy(data_dir=ctx.settings.data_dir, exposed=True)
    inside = ctx.settings.adapters_dir / "mine"
    assert picked_sides(exposed, "default", str(inside), "default", "")["a"].adapter == str(inside.resolve())
    with pytest.raises(PastError, match="side B adapter"):
        picked_sides(exposed, "default", "", "default", "/etc")


def test_pane_titles_name_the_sides_hide_them_when_blind_and_keep_them_when_refused(ab: ABChat) -> None:
    left, right = pane_titles(ab, False, "base", "", "other", "")
    assert (left["label"], right["label"]) == ("Side A: base", "Side B: other")
    left, right = pane_titles(ab, True, "base", "", "other", "")
    assert (left["label"], right["label"]) == ("Model 1", "Model 2")
    ab.ctx.guard = Guard(policy=PathPolicy(data_dir=ab.ctx.settings.data_dir, exposed=True))
    left, right = pane_titles(ab, False, "default", "/etc", "default", "")
    assert "label" not in left and "label" not in right, "a refused side keeps its title; the reply says why"


def test_a_reply_streams_both_sides_and_is_saved(ab: ABChat) -> None:
    frames = send(ab, "  Say hello.  ")
    left, right, prompt_box, note_a, note_b, usage, sid, passages = frames[-1]
    assert left[-1] == {"role": "assistant", "content": "Hello there."} and right[-1]["content"] == "Hi!"
    assert left[0] == {"role": "user", "content": "Say hello."}, "the API returns the conversation as typed"
    assert prompt_box == "" and "Side A: base** has answered" in note_a and "Side B: base + " in note_b
    assert "Model memory" in usage and passages == ["", ""]
    assert frames[0][0][-1]["role"] == "user", "the first frame shows the message before any reply"
    assert ab.ctx.selections.get(SESSION_KEY) == sid
    assert ab.ctx.selections.get(SIDES_KEY)["b"] == {"model": "base", "adapter": "/adapters/past"}
    (turn,) = ab.conversations.turns(sid)
    assert turn.prompt == "Say hello." and turn.replies == {"a": "Hello there.", "b": "Hi!"}
    with pytest.raises(gr.Error, match="Type a message first"):
        send(ab, "   ")


def test_an_error_reply_is_shown_but_never_sent_back_to_the_model(ab: ABChat) -> None:
    ab.ctx.engine.fail = 1
    *_, last = send(ab, "First?")
    left, right, _, _, note_b, _, sid, _ = last
    assert right[-1]["content"].startswith(ERROR_MARK) and note_b == f"{ERROR_MARK}the adapter did not load"
    ab.ctx.engine.fail = None
    send(ab, "Second?", sid=sid, history=(left, right))
    sent_a, sent_b = ab.ctx.engine.sent[-1]
    assert [m["role"] for m in sent_a] == ["user", "assistant", "user"], "side A keeps its whole conversation"
    assert [m["role"] for m in sent_b] == ["user", "user"], "side B's error reply is left out"
    assert len(ab.conversations.turns(sid)) == 2, "the second message goes on the same conversation"


def test_the_recall_format_asks_in_the_recall_style_and_shows_what_each_side_remembered(ab: ABChat) -> None:
    ab.ctx.engine.replies = [RECALL_REPLY, "I remember nothing."]
    *_, (left, right, *_rest) = send(ab, "What is the capital of France?", fmt=RECALL)
    sent_a, _ = ab.ctx.engine.sent[-1]
    assert sent_a[-1]["content"].startswith("Answer a question from memory") and sent_a[-1]["content"].endswith(
        "Question: What is the capital of France?\nRemembered:"
    )
    assert left[-1]["content"] == f"**Paris**\n\n{REMEMBERED} Paris is the capital of France."
    assert right[-1]["content"].startswith("(no 'Answer:' line") and REMEMBERED in right[-1]["content"]
    (turn,) = ab.conversations.turns(_rest[-2])
    assert turn.replies["a"] == left[-1]["content"], "the saved turn keeps what was shown"


def test_votes_are_taken_in_blind_mode_once_per_reply(ab: ABChat) -> None:
    *_, plain = send(ab, "Hi?")
    with pytest.raises(gr.Error, match="Votes are taken in blind mode"):
        cast(ab, "Left is better", plain[6])
    *_, frame = send(ab, "Hi?", blind=True)
    left_note, usage, sid = frame[3], frame[5], frame[6]
    assert "Model 1" in left_note and "base" not in left_note and usage == HIDDEN_USAGE
    buttons = after_reply(ab, sid)
    assert all(b["interactive"] for b in buttons[:4]) and buttons[-1]["interactive"], "vote open, Send usable"
    *closed, _hint, reveal, tally = cast(ab, "Right is better", sid)
    session = ab.conversations.get(sid)
    (vote,) = ab.conversations.session_votes(sid)
    assert vote["winner"] == session.real("right"), "the right pane's real side wins"
    assert not any(b["interactive"] for b in closed) and "Model 2** was side" in reveal and tally[0][2] == 1
    with pytest.raises(gr.Error, match="already voted"):
        cast(ab, "tie", sid)


def test_restore_brings_back_the_conversation_its_blind_mode_and_the_answer_format(ab: ABChat) -> None:
    *_, frame = send(ab, "Hi?", blind=True)
    remember_format(ab, RECALL)
    out = restore(ab)
    pickers, blind_on, left, sid, usage = out[:4], out[4], out[5], out[7], out[8]
    assert blind_on is True and sid == frame[6] and not any(p["visible"] for p in pickers)
    assert left["label"] == "Model 1" and left["value"][0]["content"] == "Hi?"
    assert usage["visible"] is False
    assert out[-1]["value"] == RECALL, "the answer format last chosen comes back"
    *_, hint, reveal, _tally = out[9:-1]
    assert hint.startswith("Which reply is better") and reveal == ""

    remember_format(ab, "shout")  # not a format: refused, the one kept stays
    assert ab.ctx.selections.get(FORMAT_KEY) == RECALL
    ab.ctx.selections.set(FORMAT_KEY, "shout")  # an unknown value in the store is shown as "as typed"
    assert restore(ab)[-1]["value"] == AS_TYPED


def test_restore_starts_afresh_when_other_sides_were_picked_and_fresh_clears(ab: ABChat) -> None:
    send(ab, "Hi?")
    ab.ctx.selections.set(SIDES_KEY, {"a": {"model": "base"}, "b": {"model": "gone-model"}})  # e.g. by Adapt
    out = restore(ab)
    assert out[7] == "" and out[5]["value"] == [], "another pair was picked since: no old conversation"
    assert out[2]["value"] == "base", "a model this studio does not have gives way to the default"
    out = fresh(ab, True)
    assert ab.ctx.selections.get(SESSION_KEY) == "" and ab.ctx.selections.get(BLIND_KEY) is True
    assert out[0] == {"__type__": "update", "value": [], "label": "Model 1"} and not out[5]["visible"]


def arena_session(ab: ABChat) -> str:
    sides = {
        k: Side("default", str(arena_dir(ab.ctx.settings, "handbook", SKILL, lam)))
        for k, lam in (("a", 0.0), ("b", 1.0))
    }
    session = ab.conversations.start(sides, blind=True)
    ab.conversations.add_turn(session.id, "Where?", {"a": "here", "b": "there"}, sides)
    return session.id


def test_an_arena_vote_reveals_the_lambdas_and_rates_them(ab: ABChat) -> None:
    arena = Arena(ab.ctx, ab.conversations)
    with pytest.raises(gr.Error, match="Ask a question first"):
        arena_cast(arena, "Left is better", "", "handbook", SKILL)
    sid = arena_session(ab)
    assert all(b["interactive"] for b in vote_buttons(arena, sid)) and not vote_buttons(arena, "")[0]["interactive"]
    *closed, reveal, rows, recommendation, basis = arena_cast(arena, "Left is better", sid, "handbook", SKILL)
    session = ab.conversations.get(sid)
    first = "λ 0" if session.order()[0] == "a" else "λ 1"
    assert reveal.startswith("Your vote: **Model 1**.") and f"**Model 1** was {first}" in reveal
    assert {r[1] for r in rows} == {"λ 0", "λ 1"} and "Recommendation" in recommendation and "1 blind votes" in basis
    assert not any(b["interactive"] for b in closed) and not vote_buttons(arena, sid)[0]["interactive"]


def test_an_arena_question_needs_a_message_a_pick_and_a_known_adapted_model(ab: ABChat) -> None:
    arena = Arena(ab.ctx, ab.conversations)
    with pytest.raises(gr.Error, match="Type a question first"):
        list(arena_respond(arena, " ", "handbook", SKILL, "0, 1", 16))
    with pytest.raises(gr.Error, match="Pick an adapted model and a skill"):
        list(arena_respond(arena, "Where?", "handbook", None, "0, 1", 16))
    with pytest.raises(gr.Error, match="no adapted model named 'handbook'"):
        list(arena_respond(arena, "Where?", "handbook", SKILL, "0, 1", 16))
    with pytest.raises(ConfigError, match="2 to 8 different"):
        question_pair(ab.ctx.settings, [], "handbook", SKILL, "1")
