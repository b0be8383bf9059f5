"""A/B conversations in the store: blind side assignment, votes mapped to the real sides, tally, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.ab_tally import export_sessions, tally
from backend.chat_sessions import ABConversations, Side, VoteError, blind_swap
from backend.store import ChatRepository, Store
from studio.access import StudioAccess

BASE = Side("smollm2", "/data/artifacts/job1/baseline_adapter")
PAST = Side("smollm2", "/data/artifacts/job1/injected_adapter")
SWAP_SEED = next(s for s in range(100) if blind_swap(s))
KEEP_SEED = next(s for s in range(100) if not blind_swap(s))


@pytest.fixture
def conversations(tmp_path: Path) -> ABConversations:
    return ABConversations(ChatRepository(Store(tmp_path / "s.sqlite")))


def test_blind_assignment_is_seeded_stored_and_restored(conversations: ABConversations) -> None:
    swapped = conversations.start({"a": BASE, "b": PAST}, blind=True, seed=SWAP_SEED)
    assert swapped.swapped and swapped.order() == ("b", "a")
    again = conversations.get(swapped.id)
    assert again is not None and again.swapped and again.seed == SWAP_SEED and again.sides["b"] == PAST
    plain = conversations.start({"a": BASE, "b": PAST}, blind=False, seed=SWAP_SEED)
    assert plain.order() == ("a", "b"), "outside blind mode side A is always on the left"
    assert conversations.get("nope") is None


def test_vote_maps_displayed_side_to_the_real_one_once_per_prompt(conversations: ABConversations) -> None:
    session = conversations.start({"a": BASE, "b": PAST}, blind=True, seed=SWAP_SEED)
    with pytest.raises(VoteError, match="send a message first"):
        conversations.vote(session, "left")
    conversations.add_turn(session.id, "Q1", {"a": "base says", "b": "past says"}, session.sides)
    left, right = conversations.histories(session)
    assert left[-1]["content"] == "past says" and right[-1]["content"] == "base says"
    assert conversations.vote(session, "left") == "b", "left shows side b in a swapped conversation"
    with pytest.raises(VoteError, match="already voted"):
        conversations.vote(session, "right")
    conversations.add_turn(session.id, "Q2", {"a": "a2", "b": "b2"}, session.sides)
    with pytest.raises(VoteError, match="unknown vote"):
        conversations.vote(session, "middle")
    assert conversations.vote(session, "both_bad") == "both_bad"
    (v1, v2) = conversations.session_votes(session.id)
    assert (v1["prompt"], v1["winner"], v1["model_a"], v1["model_b"]) == ("Q1", "b", BASE.ref(), PAST.ref())
    assert v1["answer_b"] == "past says" and v2["prompt"] == "Q2"
    assert [t.voted for t in conversations.turns(session.id)] == ["b", "both_bad"]

    kept = conversations.start({"a": BASE, "b": PAST}, blind=True, seed=KEEP_SEED)
    conversations.add_turn(kept.id, "Q", {"a": "x", "b": "y"}, kept.sides)
    assert conversations.vote(kept, "left") == "a"


def test_tally_merges_both_orders_of_a_pair() -> None:
    base, past, other = BASE.ref(), PAST.ref(), "other-model"
    votes = [
        {"model_a": base, "model_b": past, "winner": "b"},
        {"model_a": base, "model_b": past, "winner": "tie"},
        {"model_a": past, "model_b": base, "winner": "a"},  # past won, sides the other way round
        {"model_a": past, "model_b": base, "winner": "b"},  # base won
        {"model_a": base, "model_b": other, "winner": "both_bad"},
    ]
    first, second = tally(votes)
    assert (first.first, first.second, first.votes) == (base, past, 4)
    assert (first.first_wins, first.second_wins, first.ties, first.both_bad) == (1, 2, 1, 0)
    assert (second.second, second.votes, second.both_bad) == (other, 1, 1)


def test_export_has_one_line_per_ab_session_with_messages_and_votes(conversations: ABConversations, tmp_path) -> None:
    one = conversations.start({"a": BASE, "b": PAST}, blind=True, seed=KEEP_SEED)
    conversations.add_turn(one.id, "Q1", {"a": "x", "b": "y"}, one.sides)
    conversations.vote(one, "right")
    two = conversations.start({"a": BASE, "b": BASE}, blind=False)
    conversations.chats.create_session(title="plain chat")  # not an A/B conversation: not exported
    path = export_sessions(conversations, tmp_path / "exports")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["session_id"] for r in lines] == [one.id, two.id]
    assert lines[0]["blind"] and lines[0]["seed"] == KEEP_SEED and not lines[0]["swapped"]
    roles = [(m["role"], m.get("side"), m.get("adapter")) for m in lines[0]["messages"]]
    assert roles == [("user", None, None), ("assistant", "a", BASE.adapter), ("assistant", "b", PAST.adapter)]
    assert lines[0]["votes"][0]["winner"] == "b" and lines[1]["votes"] == [] and lines[1]["messages"] == []
    assert not list(path.parent.glob("*.tmp"))


def test_access_banner_says_who_can_reach_the_studio() -> None:
    assert "Only reachable from this machine" in StudioAccess("127.0.0.1", 7860).describe()
    lan = StudioAccess("0.0.0.0", 8000, auth_user="alice").describe()
    assert "network" in lan and "8000" in lan and "login required" in lan and "alice" not in lan  # names no login
    shared = StudioAccess("127.0.0.1", 7860, "bob", "https://abc.gradio.live").describe()
    assert "https://abc.gradio.live" in shared and "login required" in shared
    viewer = StudioAccess("127.0.0.1", 7860, "bob").describe("carol", "viewer")
    assert "logged in as **carol**, viewer (chat" in viewer and "bob" not in viewer  # not the editor's name
    assert "logged in as **bob**, editor" in StudioAccess("127.0.0.1", 7860, "bob").describe("bob", "editor")
