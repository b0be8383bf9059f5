"""Who may do what in the studio, checked on the server for every request (page or direct API call).

One :class:`Guard` per studio holds the path policy (``backend.path_policy``), the logins and roles
(``backend.users``), the per-user cap on running generations and the audit log. Handlers are wrapped,
never copied: ``@guard.editor("delete_skill", target=0)`` refuses viewers, records the action (or the
refusal) in the audit log and turns a refused path into a plain message; ``@guard.audited(...)`` records a
viewer-allowed change (a vote); ``@guard.generation`` caps how many replies one user streams at once.
Components marked :meth:`Guard.editor_only` start hidden and are shown to editors when a page opens.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

import gradio as gr

from backend.path_policy import LOCAL, PathPolicy, PathRefusedError
from backend.store import AuditRepository
from backend.users import EDITOR, VIEWER, Users
from studio.http_guard import DEFAULT_GENERATIONS_PER_USER

log = logging.getLogger("studio")
Target = int | Callable[..., str] | None


class TooManyRequestsError(gr.Error):
    pass


@dataclass
class Guard:
    policy: PathPolicy = LOCAL
    users: Users = field(default_factory=Users)
    audit: AuditRepository | None = None
    generations_per_user: int = DEFAULT_GENERATIONS_PER_USER
    editor_components: list[Any] = field(default_factory=list)
    _running: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- who ---------------------------------------------------------------------------------------------

    def user_of(self, request: gr.Request | None) -> str | None:
        return getattr(request, "username", None) if request is not None else None

    def role_of(self, request: gr.Request | None) -> str:
        return self.users.role(self.user_of(request))

    def is_editor(self, request: gr.Request | None) -> bool:
        return self.role_of(request) == EDITOR

    def editor_only(self, *components: Any) -> None:
        """Hide these components from viewers; their handlers must still use :meth:`editor`.

        They start hidden and the page-load event shows them to editors: Gradio builds a tab's button from the
        first render and does not hide it on a later update, so hiding on load would leave viewers the tabs.
        """
        for component in components:
            component.visible = False
        self.editor_components.extend(components)

    def visibility(self, request: gr.Request) -> list[Any]:
        """Page-load updates: editor-only components visible only to editors."""
        show = self.is_editor(request)
        return [gr.update(visible=show) for _ in self.editor_components]

    # -- decorators --------------------------------------------------------------------------------------

    def editor(self, action: str, target: Target = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Only editors may run the handler; every call (done, refused, failed) goes to the audit log."""
        return lambda fn: _with_request(fn, lambda request, args: self._enter(action, target, request, args, True))

    def audited(self, action: str, target: Target = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Anyone logged in may run the handler; every call goes to the audit log."""
        return lambda fn: _with_request(fn, lambda request, args: self._enter(action, target, request, args, False))

    def paths(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """A viewer-allowed handler that names paths or models: refused paths are logged (no role check)."""
        return _with_request(fn, lambda request, args: self._enter("", None, request, args, False))

    def generation(self, fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        """Cap the replies one logged-in user streams at once (a clear message beyond the cap)."""

        def enter(request: gr.Request | None, args: tuple) -> _Call:
            user = self.user_of(request)
            call = self._enter("", None, request, args, False)
            if user is None or not self.users.required:
                return call
            with self._lock:
                if self._running.get(user, 0) >= self.generations_per_user:
                    call.finish("refused", "too many requests")
                    raise TooManyRequestsError(
                        f"Too many requests: you already have {self._running[user]} replies being written "
                        f"(at most {self.generations_per_user} at once per user). Wait for one to finish or press Stop."
                    )
                self._running[user] = self._running.get(user, 0) + 1
            call.release = lambda: self._release(user)
            return call

        return _with_request(fn, enter)

    def running(self, user: str) -> int:
        with self._lock:
            return self._running.get(user, 0)

    def _release(self, user: str) -> None:
        with self._lock:
            self._running[user] = max(0, self._running.get(user, 0) - 1)

    def _enter(self, action: str, target: Target, request: gr.Request | None, args: tuple, editor: bool) -> _Call:
        user, role = self.user_of(request), self.role_of(request)
        call = _Call(self, action, user, role, _target_text(target, args))
        if editor and role != EDITOR:
            call.finish("refused", f"role {role}")
            raise gr.Error(
                f"Not allowed: you are logged in as a {VIEWER}, who may chat, compare and vote. "
                f"Ask an editor to {action.replace('_', ' ')}."
            )
        return call

    def record(self, action: str, user: str | None, role: str, target: str, outcome: str, detail: str = "") -> None:
        if self.audit is None or not action:
            return
        try:
            self.audit.record(user=user, role=role, action=action, target=target, outcome=outcome, detail=detail)
        except Exception:  # the log must never break the action it records
            log.exception("could not write the audit log")


@dataclass
class _Call:
    guard: Guard
    action: str
    user: str | None
    role: str
    target: str
    release: Callable[[], None] | None = None
    done: bool = False

    def finish(self, outcome: str, detail: str = "", action: str | None = None) -> None:
        if self.done:
            return
        self.done = True
        if self.release is not None:
            self.release()
        self.guard.record(action or self.action, self.user, self.role, self.target, outcome, detail)

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, PathRefusedError) or isinstance(exc.__cause__, PathRefusedError):
            # a refused path is always worth a line, also on a handler that is not otherwise audited
            self.finish("refused", str(exc), action=self.action or "path_refused")
        else:
            self.finish("error", str(exc))


def _target_text(target: Target, args: tuple) -> str:
    try:
        if target is None:
            return ""
        if callable(target):
            return str(target(*args))
        value = args[target] if target < len(args) else ""
        if isinstance(value, list | tuple):
            return ", ".join(str(v).rsplit("/", 1)[-1] for v in value)
        return "" if value is None else str(value)
    except Exception:
        return ""


def _with_request(fn: Callable[..., Any], enter: Callable[[gr.Request | None, tuple], _Call]) -> Callable[..., Any]:
    """``fn`` with a leading ``request: gr.Request`` parameter that Gradio fills; ``enter`` runs first.

    The request comes first so that handlers with ``*values`` or a ``gr.Progress()`` default keep working:
    Gradio inserts special arguments at their position in the signature it reads.
    """
    signature = inspect.signature(fn)
    request_param = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request)
    params = [request_param, *signature.parameters.values()]

    if inspect.isgeneratorfunction(fn):

        @wraps(fn)
        def gen_wrapper(request: gr.Request, *args: Any, **kwargs: Any) -> Iterator[Any]:
            call = enter(request, args)
            try:
                yield from fn(*args, **kwargs)
            except BaseException as exc:
                call.failed(exc) if isinstance(exc, Exception) else call.finish("stopped")
                raise
            call.finish("ok")

        wrapper: Callable[..., Any] = gen_wrapper
    else:

        @wraps(fn)
        def plain_wrapper(request: gr.Request, *args: Any, **kwargs: Any) -> Any:
            call = enter(request, args)
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                call.failed(exc)
                raise
            call.finish("ok")
            return result

        wrapper = plain_wrapper
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {"request": gr.Request}
    return wrapper
