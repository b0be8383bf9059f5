"""What the A/B votes add up to (per model pair), and the export of all A/B conversations as JSONL."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.chat_sessions import KIND, ABConversations


@dataclass
class PairTally:
    """Votes between two real sides ``first`` and ``second`` (in a fixed order, whichever was side a)."""

    first: str
    second: str
    first_wins: int = 0
    second_wins: int = 0
    ties: int = 0
    both_bad: int = 0

    @property
    def votes(self) -> int:
        return self.first_wins + self.second_wins + self.ties + self.both_bad


def tally(votes: list[dict[str, Any]]) -> list[PairTally]:
    """Votes grouped by model pair; (X vs Y) and (Y vs X) count as one pair. Most-voted pairs first."""
    pairs: dict[tuple[str, str], PairTally] = {}
    for vote in votes:
        a, b = vote["model_a"], vote["model_b"]
        key = (a, b) if (b, a) not in pairs else (b, a)
        row = pairs.setdefault(key, PairTally(*key))
        winner = vote["winner"]
        if winner in ("a", "b"):
            first_won = (winner == "a") == (key == (a, b))
            row.first_wins += first_won
            row.second_wins += not first_won
        elif winner == "tie":
            row.ties += 1
        else:
            row.both_bad += 1
    return sorted(pairs.values(), key=lambda p: -p.votes)


def export_sessions(conversations: ABConversations, out_dir: Path) -> Path:
    """Write every A/B conversation (messages and votes) to a JSONL file under ``out_dir``, atomically."""
    chats = conversations.chats
    all_votes = chats.votes()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"ab-conversations-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for row in reversed(chats.sessions()):
                meta = json.loads(row["meta"] or "{}")
                if meta.get("kind") != KIND:
                    continue
                messages = []
                for msg in chats.messages(row["id"]):
                    ref = json.loads(msg["model_ref"]) if msg["model_ref"] else {}
                    messages.append({"role": msg["role"], "content": msg["content"], **ref, "at": msg["created_at"]})
                votes = [
                    {k: v[k] for k in ("prompt", "model_a", "model_b", "answer_a", "answer_b", "winner", "created_at")}
                    for v in all_votes
                    if v["session_id"] == row["id"]
                ]
                record = {"session_id": row["id"], "title": row["title"], "created_at": row["created_at"], **meta}
                fh.write(json.dumps({**record, "messages": messages, "votes": votes}, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
