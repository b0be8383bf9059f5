"""Turning exceptions into plain-language messages in the page, never stack traces."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, TypeVar

import gradio as gr

from past.errors import PastError

log = logging.getLogger("studio")
F = TypeVar("F", bound=Callable[..., Any])


def as_user_error(exc: BaseException) -> gr.Error:
    if isinstance(exc, PastError):
        return gr.Error(str(exc))
    log.exception("unexpected error in the studio")
    return gr.Error(f"Something went wrong ({type(exc).__name__}: {exc}). The details are in the studio's log.")


def user_errors(fn: F) -> F:
    """Wrap a Gradio handler (plain or generator) so every error reaches the page as a message."""
    import inspect

    if inspect.isgeneratorfunction(fn):

        @wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:
                raise as_user_error(exc) from exc

        return gen_wrapper  # type: ignore[return-value]

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise as_user_error(exc) from exc

    return wrapper  # type: ignore[return-value]
