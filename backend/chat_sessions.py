"""A/B conversations kept in the store: sessions, their turns on both sides, blind assignment and votes.

An A/B conversation is one chat session (``meta.kind == "ab"``) whose messages are the shared user
prompts (``model_ref == ""``) and each side's replies (``model_ref`` a JSON side reference naming the real
side ``a``/``b``, its model and adapter). In blind mode the page shows the sides as "Model 1"/"Model 2" and
which real side sits on the left is drawn once per conversation from a seed stored with the session, so a
reloaded page shows the same assignment. Votes name the *displayed* side (left/right); they are stored
against the real sides (``a``/``b``) with each side's real model and adapter.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from backend.store import ChatRepository
from past.errors import PastError

KIND = "ab"
CHOICES = {"left": "left", "right": "right", "tie": "tie", "both_bad": "both_bad"}


class VoteError(PastError):
    """A vote that cannot be counted (nothing to vote on, already voted, unknown choice)."""


@dataclass(frozen=True)
class Side:
    """One configured side: a model reference and an optional adapter directory ("" = none)."""

    model: str
    adapter: str = ""

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> Side:
        raw = raw or {}
        return cls(model=str(raw.get("model") or ""), adapter=str(raw.get("adapter") or ""))

    def as_dict(self) -> dict[str, str]:
        return {"model": self.model, "adapter": self.adapter}

    def ref(self) -> str:
        """The real identity as stored with a vote: ``model`` or ``model + adapter``."""
        return f"{self.model} + {self.adapter}" if self.adapter else self.model


@dataclass
class ABSession:
    id: str
    sides: dict[str, Side]
    blind: bool = False
    seed: int = 0
    swapped: bool = False  # True: the left pane shows real side b
    meta: dict[str, Any] = field(default_factory=dict)

    def real(self, shown: str) -> str:
        """The real side (a/b) shown on ``shown`` (left/right)."""
        left = "b" if self.swapped else "a"
        return left if shown == "left" else ("a" if left == "b" else "b")

    def order(self) -> tuple[str, str]:
        """The real sides shown (left, right)."""
        return self.real("left"), self.real("right")


@dataclass
class Turn:
    prompt: str
    replies: dict[str, str]
    asked_at: float
    sides: dict[str, Side]
    voted: str | None = None  # the stored winner (a/b/tie/both_bad) once voted


def blind_swap(seed: int) -> bool:
    """Whether real side b goes on the left, for the conversation seeded with ``seed``."""
    return random.Random(seed).random() < 0.5


class ABConversations:
    """A/B conversations over a :class:`ChatRepository`."""

    def __init__(self, chats: ChatRepository) -> None:
        self.chats = chats

    def start(self, sides: dict[str, Side], *, blind: bool, seed: int | None = None) -> ABSession:
        seed = random.SystemRandom().randrange(2**31) if seed is None else seed
        swapped = blind and blind_swap(seed)
        meta = {"kind": KIND, "blind": blind, "seed": seed, "swapped": swapped}
        meta["sides"] = {k: s.as_dict() for k, s in sides.items()}
        title = f"A/B: {sides['a'].ref()} vs {sides['b'].ref()}"
        session_id = self.chats.create_session(title=title, model_ref=sides["a"].model, meta=meta)
        return ABSession(session_id, dict(sides), blind, seed, swapped, meta)

    def get(self, session_id: str) -> ABSession | None:
        rows = [s for s in self.chats.sessions() if s["id"] == session_id] if session_id else []
        if not rows:
            return None
        meta = json.loads(rows[0]["meta"] or "{}")
        if meta.get("kind") != KIND:
            return None
        sides = {k: Side.from_dict(meta.get("sides", {}).get(k)) for k in ("a", "b")}
        blind, seed, swapped = bool(meta.get("blind")), int(meta.get("seed", 0)), bool(meta.get("swapped"))
        return ABSession(session_id, sides, blind, seed, swapped, meta)

    def add_turn(self, session_id: str, prompt: str, replies: dict[str, str], sides: dict[str, Side]) -> None:
        self.chats.add_message(session_id, "user", prompt)
        for key in ("a", "b"):
            ref = json.dumps({"side": key, **sides[key].as_dict()})
            self.chats.add_message(session_id, "assistant", replies.get(key, ""), model_ref=ref)

    def turns(self, session_id: str) -> list[Turn]:
        turns: list[Turn] = []
        for msg in self.chats.messages(session_id):
            if msg["role"] == "user":
                turns.append(Turn(msg["content"], {}, msg["created_at"], {}))
            elif turns and msg["model_ref"]:
                ref = json.loads(msg["model_ref"])
                turns[-1].replies[ref["side"]] = msg["content"]
                turns[-1].sides[ref["side"]] = Side.from_dict(ref)
        votes = self.session_votes(session_id)
        for turn, nxt in zip(turns, [*turns[1:], None], strict=False):
            end = nxt.asked_at if nxt else float("inf")
            cast = [v for v in votes if turn.asked_at <= v["created_at"] < end]
            turn.voted = cast[0]["winner"] if cast else None
        return turns

    def histories(self, session: ABSession) -> tuple[list[dict], list[dict]]:
        """The (left, right) chat histories as the page shows them."""
        panes: dict[str, list[dict]] = {"a": [], "b": []}
        for turn in self.turns(session.id):
            for key in ("a", "b"):
                panes[key].append({"role": "user", "content": turn.prompt})
                panes[key].append({"role": "assistant", "content": turn.replies.get(key, "")})
        left, right = session.order()
        return panes[left], panes[right]

    def session_votes(self, session_id: str) -> list[dict[str, Any]]:
        return [v for v in self.chats.votes() if v["session_id"] == session_id]

    def vote(self, session: ABSession, choice: str) -> str:
        """Record ``choice`` (left/right/tie/both_bad) on the latest turn; returns the stored winner."""
        if choice not in CHOICES:
            raise VoteError(f"unknown vote {choice!r}: choose left, right, tie or both_bad")
        turns = self.turns(session.id)
        if not turns or len(turns[-1].replies) < 2:
            raise VoteError("There is no finished reply to vote on yet: send a message first.")
        last = turns[-1]
        if last.voted is not None:
            raise VoteError("You already voted on this reply; send another message to vote again.")
        winner = session.real(choice) if choice in ("left", "right") else choice
        self.chats.add_vote(
            prompt=last.prompt,
            model_a=last.sides["a"].ref(),
            model_b=last.sides["b"].ref(),
            answer_a=last.replies["a"],
            answer_b=last.replies["b"],
            winner=winner,
            session_id=session.id,
        )
        return winner
