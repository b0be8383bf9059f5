"""Command-line launcher of the studio: flags, the share-link and exposure safety checks, and startup.

Listening on anything but a loopback address without a login gives everyone who can reach the port full
control of the studio (uploads, jobs, models), so ``--host 0.0.0.0`` without ``--auth`` is refused unless
``--no-auth-i-know`` says the risk is accepted; the start banner then says so. Gradio's upload cache is
kept inside the data directory (``GRADIO_TEMP_DIR``), so one directory holds everything the studio stores.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import math
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from starlette.middleware import Middleware

from backend.path_policy import PathPolicy
from backend.users import Users
from past.cli.progress import print_progress
from past.errors import ConfigError, PastError
from past.numbers import COUNT, PORT
from past.settings import DATA_DIR_ENV, Settings
from studio.access import MAX_UPLOAD_MB
from studio.http_guard import (
    DEFAULT_GENERATIONS_PER_USER,
    DEFAULT_QUEUED_PER_USER,
    MB,
    HttpGuard,
    HttpGuardConfig,
    UploadSweeper,
)

AUTH_ENV = "PAST_STUDIO_AUTH"
GRADIO_TEMP_ENV = "GRADIO_TEMP_DIR"
SHARE_PROBE_TIMEOUT_S = 5.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="launch.py", description="Start PaST Studio in the browser.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=PORT.flag, default=7860, help="port (default 7860)")
    parser.add_argument("--data-dir", help=f"data directory (default: ${DATA_DIR_ENV} or ~/.local/share/past-studio)")
    parser.add_argument("--share", action="store_true", help="also publish a public Gradio share link (needs --auth)")
    parser.add_argument("--auth", help=f"user:password required to open the studio (or ${AUTH_ENV})")
    parser.add_argument(
        "--viewer-auth",
        action="append",
        default=[],
        metavar="USER:PASSWORD",
        help="a viewer login (chat, A/B chat, votes, results; no uploads, jobs or deletions); repeatable",
    )
    parser.add_argument(
        "--users",
        metavar="FILE",
        help='logins and roles as JSON: {"users": [{"name": ..., "password": ..., "role": "editor"|"viewer"}]}',
    )
    parser.add_argument(
        "--max-generations-per-user",
        type=COUNT.flag,
        default=DEFAULT_GENERATIONS_PER_USER,
        help=f"replies one logged-in user may stream at once, below the studio's limit (default "
        f"{DEFAULT_GENERATIONS_PER_USER})",
    )
    parser.add_argument(
        "--max-queued-per-user",
        type=int,
        default=DEFAULT_QUEUED_PER_USER,
        help=f"replies one logged-in user may have waiting besides those running (default {DEFAULT_QUEUED_PER_USER})",
    )
    parser.add_argument(
        "--max-upload-mb",
        type=float,
        default=MAX_UPLOAD_MB,
        help=f"largest upload per request, in MB (default {MAX_UPLOAD_MB:g}: skill archives can be hundreds of MB)",
    )
    parser.add_argument(
        "--no-auth-i-know",
        action="store_true",
        help="allow a non-loopback --host without --auth: anyone who can reach the port controls the studio",
    )
    return parser


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (every address it resolves to is a loopback one)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def exposure_warning(host: str, auth: tuple[str, str] | None, accept_no_auth: bool) -> str:
    """The risk banner for ``host`` ("" when there is none); refuses an exposed studio without a login."""
    if auth is not None or is_loopback(host):
        return ""
    if not accept_no_auth:
        raise ConfigError(
            f"--host {host} makes the studio reachable from other machines, and without --auth anyone who "
            "reaches the port can upload files, start jobs and read every model and skill. Add --auth "
            f"user:password (or set {AUTH_ENV}); to run it open anyway, add --no-auth-i-know"
        )
    return (
        f"WARNING: PaST Studio listens on {host} WITHOUT a login (--no-auth-i-know): anyone who can reach this "
        "port can upload files, run jobs and read or change every model and skill in the data directory."
    )


def check_limits(args: argparse.Namespace) -> None:
    """The per-user and upload limits are finite and in range (a plain error instead of a broken studio)."""
    if args.max_generations_per_user < 1:
        raise ConfigError("--max-generations-per-user must be at least 1")
    if args.max_queued_per_user < 0:
        raise ConfigError("--max-queued-per-user must be 0 or more")
    if not math.isfinite(args.max_upload_mb) or not 0 < args.max_upload_mb <= MAX_UPLOAD_MB * 100:
        raise ConfigError(f"--max-upload-mb must be a number of MB above 0 (at most {MAX_UPLOAD_MB * 100:g})")


def parse_auth(raw: str | None) -> tuple[str, str] | None:
    if not raw:
        return None
    user, sep, password = raw.partition(":")
    if not sep or not user or not password:
        raise ConfigError("--auth must look like user:password, with neither part empty")
    return user, password


def check_share_reachable() -> None:
    """Fail fast, with a clear message, when the share tunnel's servers cannot be reached."""
    import httpx
    from gradio import networking

    try:
        httpx.get(networking.GRADIO_API_SERVER, timeout=SHARE_PROBE_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise ConfigError(
            "cannot create a share link: Gradio's share servers are unreachable from this machine "
            f"({type(exc).__name__}). A share link needs internet access; run without --share, or "
            "expose the studio another way (e.g. --host 0.0.0.0 on a trusted network)."
        ) from exc


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        auth = parse_auth(args.auth or os.environ.get(AUTH_ENV))
        viewers = [parse_auth(raw) for raw in args.viewer_auth]
        users = Users.from_flags(
            [auth] if auth else [], [v for v in viewers if v], Path(args.users) if args.users else None
        )
        check_limits(args)
        if auth is None and users.required:  # only viewers, or logins from --users: a login is still required
            auth = next(iter(users.accounts.values())).name, ""
        if args.share and auth is None:
            raise ConfigError(
                "--share publishes the studio on the internet, so it needs authentication: "
                f"add --auth user:password or set {AUTH_ENV}=user:password"
            )
        warning = exposure_warning(args.host, auth, args.no_auth_i_know)
        settings = Settings.load(args.data_dir)
        # before gradio is imported: some of its modules read the variable once, at import
        os.environ[GRADIO_TEMP_ENV] = str(settings.gradio_temp_dir)
        if args.share:
            check_share_reachable()
        settings = settings.ensure()
        from backend.bootstrap import prepare
        from studio.ab_votes import EXPORT_SUBDIR
        from studio.access import StudioAccess
        from studio.app import build_app
        from studio.context import GENERATE_CONCURRENCY, StudioContext

        if users.required and args.max_generations_per_user >= GENERATE_CONCURRENCY:
            raise ConfigError(
                f"--max-generations-per-user must be below the studio's {GENERATE_CONCURRENCY} replies at once, "
                "so that one user cannot hold every slot and slow everyone else's replies"
            )

        prepare(settings, print_progress)
        ctx = StudioContext.create(settings)
        ctx.access = StudioAccess(host=args.host, port=args.port, auth_user=auth[0] if auth else None)
        policy = PathPolicy.for_launch(settings.data_dir, host_is_loopback=is_loopback(args.host), share=args.share)
        ctx.guard.policy, ctx.guard.users = policy, users
        ctx.guard.generations_per_user = args.max_generations_per_user
        ctx.jobs.path_policy = policy if policy.exposed else None
        app = build_app(ctx)
    except PastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    http = HttpGuardConfig(
        users=users,
        max_upload_bytes=int(args.max_upload_mb * MB),
        generations_per_user=args.max_generations_per_user,
        queued_per_user=args.max_queued_per_user,
        audit=lambda action, user, role, outcome, detail: ctx.guard.record(action, user, role, "", outcome, detail),
    )
    sweeper = UploadSweeper(settings.gradio_temp_dir).start()  # uploads never used do not pile up
    app.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        auth=users.check if users.required else None,
        prevent_thread_lock=True,
        footer_links=["api", "settings"],
        max_file_size=int(args.max_upload_mb * MB),
        # uploads only by editors and size-capped, login throttling, a per-user queue cap, anti-framing headers
        app_kwargs={"middleware": [Middleware(HttpGuard, config=http)]},
        # downloads the studio writes (A/B exports) live in the data dir, outside Gradio's default places
        allowed_paths=[str(settings.artifacts_dir / EXPORT_SUBDIR)],
    )
    ctx.access.port = app.server_port or args.port
    ctx.access.share_url = app.share_url or None
    if args.share and not app.share_url:
        app.close()
        print("error: the share link could not be created (see Gradio's message above)", file=sys.stderr)
        return 3
    if args.share:
        print(f"Share link (login required as '{auth[0]}'): {app.share_url}", flush=True)
    from backend.jobs import start_embedded

    # jobs run in worker processes started by a runner thread here, unless `past job daemon` serves
    runner = start_embedded(settings)
    if runner is None:
        print("jobs: another job runner (past job daemon) serves this data directory", flush=True)
    print(f"PaST Studio is running on http://{args.host}:{args.port}", flush=True)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        app.block_thread()
    if runner is not None:
        runner.stop()
    sweeper.stop()
    return 0
