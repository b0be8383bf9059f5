"""Chat sessions, their messages, and A/B votes between two models' answers."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from backend.store.connection import Store


class ChatRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create_session(self, title: str = "", model_ref: str = "", meta: dict[str, Any] | None = None) -> str:
        session_id = uuid.uuid4().hex[:12]
        with self.store.write() as db:
            db["chat_sessions"].insert(
                {
                    "id": session_id,
                    "title": title,
                    "model_ref": model_ref,
                    "meta": json.dumps(meta or {}),
                    "created_at": time.time(),
                }
            )
        return session_id

    def add_message(self, session_id: str, role: str, content: str, model_ref: str = "") -> int:
        with self.store.write() as db:
            cur = db.execute(
                "INSERT INTO chat_messages (session_id, role, content, model_ref, created_at) VALUES (?, ?, ?, ?, ?)",
                [session_id, role, content, model_ref, time.time()],
            )
            return int(cur.lastrowid)

    def messages(self, session_id: str) -> list[dict[str, Any]]:
        return self.store.query(
            "SELECT role, content, model_ref, created_at FROM chat_messages WHERE session_id = ? ORDER BY id",
            (session_id,),
        )

    def sessions(self) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM chat_sessions ORDER BY created_at DESC")

    def add_vote(
        self, *, prompt: str, model_a: str, model_b: str, answer_a: str, answer_b: str, winner: str, session_id=""
    ) -> int:
        if winner not in ("a", "b", "tie", "both_bad"):
            raise ValueError(f"winner must be a, b, tie or both_bad, not {winner!r}")
        with self.store.write() as db:
            cur = db.execute(
                "INSERT INTO ab_votes (session_id, prompt, model_a, model_b, answer_a, answer_b, winner, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [session_id, prompt, model_a, model_b, answer_a, answer_b, winner, time.time()],
            )
            return int(cur.lastrowid)

    def votes(self) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM ab_votes ORDER BY id")
