"""``past audit``: the studio's audit log — who uploaded, adapted, built, deleted or voted, and what was refused."""

from __future__ import annotations

import argparse
from datetime import datetime

from past.cli.actions import print_listing
from past.errors import ConfigError
from past.numbers import COUNT
from past.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="who did what in the studio (newest first)")
    parser.add_argument("--user", help="only this login")
    parser.add_argument("--action", help="only this action (e.g. delete_skill, upload_documents, ab_vote)")
    parser.add_argument("--limit", type=COUNT.flag, default=50, help="at most this many entries (default 50)")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=list_audit)


def list_audit(args: argparse.Namespace, settings: Settings) -> int:
    from backend.store import AuditRepository, Store

    if args.limit < 1:
        raise ConfigError("--limit must be at least 1")
    rows = AuditRepository(Store(settings.db_path)).list(user=args.user, action=args.action, limit=args.limit)
    if print_listing(rows, args.json, "the audit log is empty"):
        return 0
    for r in rows:
        when = datetime.fromtimestamp(r["ts"]).strftime("%Y-%m-%d %H:%M:%S")
        who = f"{r['user'] or '(no login)'} ({r['role']})"
        detail = f" — {r['detail']}" if r["detail"] and r["outcome"] != "ok" else ""
        print(f"{when}  {who:<24} {r['action']:<18} {r['outcome']:<8} {r['target']}{detail}")
    return 0
