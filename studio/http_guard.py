"""HTTP hardening in front of the studio's Gradio routes: one ASGI middleware, added by the launcher.

Gradio's own routes take any logged-in user's upload, any number of queued events and any number of wrong
passwords, and they send no anti-framing headers. :class:`HttpGuard` sits in front of them and, for every request:

* adds ``X-Frame-Options: DENY``, ``Content-Security-Policy: frame-ancestors 'none'`` (no clickjacking through a
  frame), ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` to every response;
* lets only roles that may upload (editors; everyone on a studio without logins) post to the upload endpoint, and
  caps an upload's size (it must declare it, ``Content-Length``, and is refused before a byte is stored); other
  request bodies get a smaller cap, counted as they arrive;
* throttles logins: after :data:`LOGIN_FAILURES` wrong passwords for one user name from one client within
  :data:`LOGIN_WINDOW_S` seconds (or :data:`CLIENT_LOGIN_FAILURES` for any names), further tries get 429;
* caps how many generation events (chat replies, A/B chat, arena, tool agents) one user may have queued or
  running at once, so one user's flood of chats waits in nobody else's way: beyond the cap, joining the queue
  gets 429 with a plain message.

:class:`UploadSweeper` removes files in Gradio's upload cache once they are older than an hour (also those left
by an earlier run), so uploads that were never used do not pile up in the data directory.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.users import EDITOR, Users

log = logging.getLogger("studio")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = {
    b"x-frame-options": b"DENY",
    b"content-security-policy": b"frame-ancestors 'none'",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}
MB = 1_000_000
# Request bodies other than uploads (queue joins, logins, API calls): a chat message or a job's parameters
# are far smaller; the documents limit (20 MB) leaves room for long pasted text.
MAX_BODY_BYTES = 20 * MB
LOGIN_FAILURES = 5  # wrong passwords for one user name from one client ...
CLIENT_LOGIN_FAILURES = 20  # ... or for any names from one client (a share link's visitors all arrive as one)
LOGIN_WINDOW_S = 60.0
LOGIN_BODY_BYTES = 64_000
# Replies (Chat, A/B chat, Arena, tool agents together) one logged-in user may have streaming at once: below
# the studio's limit (studio.context.GENERATE_CONCURRENCY), so one user never holds every slot; and how many more
# one user may have waiting in the queue.
DEFAULT_GENERATIONS_PER_USER = 1
DEFAULT_QUEUED_PER_USER = 2
GENERATION_QUEUE = "generate"  # the concurrency id every model-streaming handler shares
UPLOAD_MAX_AGE_S = 3600.0
UPLOAD_SWEEP_EVERY_S = 600.0


class _BodyTooLargeError(Exception):
    pass


@dataclass
class HttpGuardConfig:
    """What the launcher decides: the logins, the upload cap and the per-user generation limits."""

    users: Users = field(default_factory=Users)
    max_upload_bytes: int = 1000 * MB
    max_body_bytes: int = MAX_BODY_BYTES
    generations_per_user: int = DEFAULT_GENERATIONS_PER_USER
    queued_per_user: int = DEFAULT_QUEUED_PER_USER
    generation_queue: str = GENERATION_QUEUE
    # the audit log: (action, user, role, outcome, detail) of every refusal (the studio's Guard.record)
    audit: Callable[[str, str | None, str, str, str], None] | None = None


class LoginThrottle:
    """Failed logins per (client, user name) and per client in a sliding window."""

    def __init__(self, per_name: int = LOGIN_FAILURES, per_client: int = CLIENT_LOGIN_FAILURES) -> None:
        self.per_name, self.per_client = per_name, per_client
        self._failures: dict[tuple[str, str | None], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait_s(self, client: str, name: str, now: float | None = None) -> float:
        """Seconds until ``client`` may try ``name`` again (0: now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [
                self._wait((client, name), self.per_name, now),
                self._wait((client, None), self.per_client, now),
            ]
        return max(waits)

    def failed(self, client: str, name: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._failures[(client, name)].append(now)
            self._failures[(client, None)].append(now)

    def _wait(self, key: tuple[str, str | None], limit: int, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and now - times[0] > LOGIN_WINDOW_S:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0.0
        return LOGIN_WINDOW_S - (now - times[0]) if len(times) >= limit else 0.0


class HttpGuard:
    """The ASGI middleware (see the module docstring). ``app`` is the Gradio FastAPI app's inner stack."""

    def __init__(self, app: ASGIApp, config: HttpGuardConfig) -> None:
        self.app = app
        self.config = config
        self.logins = LoginThrottle()
        self._joining: dict[str, int] = defaultdict(int)  # queue joins admitted and not yet answered, per user

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send)
        path, method = scope.get("path", ""), scope.get("method", "GET")
        if method == "POST" and path.rstrip("/").endswith("/login"):
            await self._login(scope, receive, send)
        elif method == "POST" and path.rstrip("/").endswith("/upload"):
            await self._upload(scope, receive, send)
        elif method == "POST" and path.rstrip("/").endswith("/queue/join"):
            await self._join(scope, receive, send)
        else:
            await self._capped(scope, receive, send, self.config.max_body_bytes, "request")

    # -- uploads -------------------------------------------------------------------------------------

    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        users = self.config.users
        if users.required:
            user = _user_of(scope)
            if user is None:
                await _plain(send, 401, "Log in first: uploads need an editor login.")
                return
            if users.role(user) != EDITOR:
                self._audit("upload", user, "refused", f"role {users.role(user)}")
                await _plain(
                    send,
                    403,
                    f"Not allowed: you are logged in as a {users.role(user)}, who may chat, compare and vote, "
                    "not upload files. Ask an editor to upload them.",
                )
                return
        if _content_length(scope) is None:  # a streamed body would be half-stored by the time it is too large
            await _plain(send, 411, "An upload must declare its size (Content-Length).")
            return
        await self._capped(scope, receive, send, self.config.max_upload_bytes, "upload")

    async def _capped(self, scope: Scope, receive: Receive, send: Send, limit: int, what: str) -> None:
        """Pass the request on, refusing (413) a body over ``limit`` bytes, declared or actually sent."""
        message = f"The {what} is too large: at most {limit / MB:g} MB per request."
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _plain(send, 413, message)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            incoming = await receive()
            if incoming["type"] == "http.request":
                seen += len(incoming.get("body", b""))
                if seen > limit:
                    raise _BodyTooLargeError
            return incoming

        async def tracked_send(outgoing: Message) -> None:
            nonlocal started
            started = started or outgoing["type"] == "http.response.start"
            await send(outgoing)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyTooLargeError:
            if not started:
                await _plain(send, 413, message)

    # -- logins --------------------------------------------------------------------------------------

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await _read_body(receive, LOGIN_BODY_BYTES)
        except _BodyTooLargeError:
            await _plain(send, 413, "The login request is too large.")
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        name = await _form_field(scope, body, "username")
        wait = self.logins.wait_s(client, name)
        if wait > 0:
            self._audit("login", name or None, "refused", f"throttled: too many failed logins from {client}")
            detail = (
                f"Too many failed logins: wait {math.ceil(wait)} s before trying again "
                f"(at most {LOGIN_FAILURES} wrong passwords a minute)."
            )
            await _json(send, 429, {"detail": detail}, {b"retry-after": str(math.ceil(wait)).encode()})
            return
        status = 0

        async def watched_send(outgoing: Message) -> None:
            nonlocal status
            if outgoing["type"] == "http.response.start":
                status = outgoing["status"]
            await send(outgoing)

        await self.app(scope, _replay(body), watched_send)
        if status in (400, 401, 403):
            self.logins.failed(client, name)

    # -- the generation queue ------------------------------------------------------------------------

    async def _join(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await _read_body(receive, self.config.max_body_bytes)
        except _BodyTooLargeError:
            await _plain(send, 413, f"The request is too large: at most {self.config.max_body_bytes / MB:g} MB.")
            return
        user = _user_of(scope)
        limited = user is not None and self.config.users.required and self._is_generation(scope, body)
        if limited:
            cap = self.config.generations_per_user + self.config.queued_per_user
            pending = self._joining[user] + self._pending(scope, user)
            if pending >= cap:
                self._audit("generate", user, "refused", f"{pending} replies running or waiting (cap {cap})")
                detail = (
                    f"Too many requests: you already have {pending} replies running or waiting (at most {cap} per "
                    "user, so that everyone's replies keep moving). Wait for one to finish or press Stop."
                )
                await _json(send, 429, {"detail": detail})
                return
            self._joining[user] += 1
        try:
            await self.app(scope, _replay(body), send)
        finally:
            if limited:
                self._joining[user] -= 1

    def _audit(self, action: str, user: str | None, outcome: str, detail: str) -> None:
        log.warning("refused %s by %s: %s", action, user, detail)
        if self.config.audit is not None:
            try:
                self.config.audit(action, user, self.config.users.role(user), outcome, detail)
            except Exception:  # the log must never break the answer
                log.exception("could not write the audit log")

    def _is_generation(self, scope: Scope, body: bytes) -> bool:
        try:
            fn_index = json.loads(body or b"{}").get("fn_index")
            blocks = scope["app"].get_blocks()
            return blocks.fns[int(fn_index)].concurrency_id == self.config.generation_queue
        except Exception:  # not ours to judge: Gradio answers a malformed join itself
            return False

    def _pending(self, scope: Scope, user: str) -> int:
        """``user``'s generation events that Gradio's queue holds, waiting or running."""
        try:
            queue = scope["app"].get_blocks()._queue
            waiting = queue.event_queue_per_concurrency_id.get(self.config.generation_queue)
            events = list(waiting.queue) if waiting is not None else []
            events += [event for job in queue.active_jobs if job for event in job]
        except Exception:
            log.exception("could not count the queued generation events")
            return 0
        return sum(
            1 for event in events if event.username == user and event.fn.concurrency_id == self.config.generation_queue
        )


class UploadSweeper:
    """Removes files in ``folder`` older than ``max_age_s`` now and every ``every_s`` seconds (a daemon thread)."""

    def __init__(
        self, folder: Path, max_age_s: float = UPLOAD_MAX_AGE_S, every_s: float = UPLOAD_SWEEP_EVERY_S
    ) -> None:
        self.folder, self.max_age_s, self.every_s = Path(folder), max_age_s, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self, now: float | None = None) -> int:
        """Remove old files (and folders left empty); the number of files removed."""
        now = time.time() if now is None else now
        removed = 0
        if not self.folder.is_dir():
            return 0
        for path in sorted(self.folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            try:
                if path.is_symlink() or path.is_file():
                    if now - path.lstat().st_mtime > self.max_age_s:
                        path.unlink()
                        removed += 1
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
            except OSError:
                continue  # in use or already gone: the next sweep tries again
        return removed

    def start(self) -> UploadSweeper:
        self.sweep()
        self._thread = threading.Thread(target=self._run, name="upload-sweeper", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.sweep()
            except Exception:
                log.exception("could not sweep the upload cache")


# -- ASGI helpers ------------------------------------------------------------------------------------------


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [(name, value) for name, value in SECURITY_HEADERS.items() if name not in present]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def _user_of(scope: Scope) -> str | None:
    """The logged-in user of a request, from Gradio's login cookie (None: not logged in)."""
    app = scope.get("app")
    tokens = getattr(app, "tokens", None)
    cookie_id = getattr(app, "cookie_id", None)
    if not isinstance(tokens, dict) or cookie_id is None:
        return None
    cookies = _cookies(scope)
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
    return tokens.get(token) if token else None


def _cookies(scope: Scope) -> dict[str, str]:
    from http.cookies import SimpleCookie

    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                continue
            found.update({key: morsel.value for key, morsel in jar.items()})
    return found


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLargeError
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _form_field(scope: Scope, body: bytes, name: str) -> str:
    """One field of a form body (urlencoded or multipart); "" when it has none."""
    from starlette.requests import Request

    try:
        form = await Request(scope, _replay(body)).form()
        return str(form.get(name) or "").strip()
    except Exception:
        return ""


async def _plain(send: Send, status: int, text: str) -> None:
    await _respond(send, status, text.encode(), b"text/plain; charset=utf-8", {})


async def _json(send: Send, status: int, payload: dict, extra: dict[bytes, bytes] | None = None) -> None:
    await _respond(send, status, json.dumps(payload).encode(), b"application/json", extra or {})


async def _respond(send: Send, status: int, body: bytes, content_type: bytes, extra: dict[bytes, bytes]) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
