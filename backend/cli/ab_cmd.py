"""``past ab``: the studio's A/B chat conversations and blind votes — export them, and the vote tally."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

from past.cli.actions import action_group, add_action
from past.errors import ConfigError
from past.paths import check_output, writing
from past.settings import Settings

VOTE_FIELDS = ["id", "session_id", "created_at", "model_a", "model_b", "winner", "prompt", "answer_a", "answer_b"]
TALLY_FIELDS = ["side_a", "side_b", "votes", "a_better", "b_better", "ties", "both_bad"]


def register(subparsers: argparse._SubParsersAction) -> None:
    actions = action_group(subparsers, "ab", "A/B chat conversations and votes: export and tally")
    export = add_action(actions, "export", "export A/B conversations (JSONL) or votes (JSON or CSV)", export_ab)
    export.add_argument("--out", "-o", help="file to write (default: standard output)")
    export.add_argument(
        "--what",
        choices=["sessions", "votes"],
        default="sessions",
        help="sessions: every conversation with its messages and votes (JSONL); votes: one row per vote",
    )
    export.add_argument(
        "--format", choices=["json", "csv", "jsonl"], help="default: jsonl for sessions, json for votes"
    )
    tally = add_action(actions, "tally", "votes per model pair (as the studio's table)", tally_ab)
    tally.add_argument("--json", action="store_true")
    tally.add_argument("--csv", action="store_true")


def _conversations(settings: Settings):
    from backend.chat_sessions import ABConversations
    from backend.store import ChatRepository, Store

    return ABConversations(ChatRepository(Store(settings.db_path)))


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    partial = out.with_name(f".{out.name}.partial")  # all or nothing: a full disk leaves no half export
    try:
        with writing(out, "--out"):
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    print(f"wrote {out}", file=sys.stderr)


def _csv(rows: list[dict[str, Any]], fields: list[str]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def export_ab(args: argparse.Namespace, settings: Settings) -> int:
    out = check_output(args.out, settings, file=True) if args.out else None  # never over the database
    conversations = _conversations(settings)
    fmt = args.format or ("jsonl" if args.what == "sessions" else "json")
    if args.what == "sessions":
        if fmt != "jsonl":
            raise ConfigError("sessions are exported as JSONL (one conversation per line); use --what votes for CSV")
        import tempfile

        from backend.ab_tally import export_sessions

        with tempfile.TemporaryDirectory() as tmp:
            text = export_sessions(conversations, Path(tmp)).read_text(encoding="utf-8")
        _write(text, out)
        return 0
    votes = [{k: v.get(k) for k in VOTE_FIELDS} for v in conversations.chats.votes()]
    if fmt == "csv":
        _write(_csv(votes, VOTE_FIELDS), out)
    elif fmt == "jsonl":
        _write("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in votes), out)
    else:
        _write(json.dumps(votes, indent=2, ensure_ascii=False) + "\n", out)
    return 0


def tally_ab(args: argparse.Namespace, settings: Settings) -> int:
    from backend.ab_tally import tally

    rows = [
        {
            "side_a": p.first,
            "side_b": p.second,
            "votes": p.votes,
            "a_better": p.first_wins,
            "b_better": p.second_wins,
            "ties": p.ties,
            "both_bad": p.both_bad,
        }
        for p in tally(_conversations(settings).chats.votes())
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.csv:
        sys.stdout.write(_csv(rows, TALLY_FIELDS))
    elif not rows:
        print("no votes yet: vote in the studio's A/B chat (blind mode)")
    else:
        for r in rows:
            print(
                f"{r['side_a']}  vs  {r['side_b']}: {r['votes']} vote(s) — A better {r['a_better']}, "
                f"B better {r['b_better']}, ties {r['ties']}, both bad {r['both_bad']}"
            )
    return 0
