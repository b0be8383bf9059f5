"""Module-level handlers bound to what they need (the studio's context), in a form Gradio still reads.

:func:`functools.partial` alone hides a handler's type hints from Gradio, which then no longer fills a
``request: gr.Request`` parameter. :func:`bind` fixes the first arguments and keeps the signature and the
hints of the parameters left, so screens keep named, testable handlers instead of closures in ``render``.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from functools import partial, wraps
from typing import Any


def bind(fn: Callable[..., Any], *args: Any) -> Callable[..., Any]:
    """``fn`` with its first arguments fixed to ``args``; Gradio sees only the parameters left, with their hints."""
    bound = partial(fn, *args)
    signature = inspect.signature(bound)
    hints = typing.get_type_hints(fn)  # the string annotations resolved in fn's module

    if inspect.isgeneratorfunction(fn):

        @wraps(fn)
        def gen_call(*rest: Any, **kwargs: Any) -> Iterator[Any]:
            yield from bound(*rest, **kwargs)

        call: Callable[..., Any] = gen_call
    else:

        @wraps(fn)
        def plain_call(*rest: Any, **kwargs: Any) -> Any:
            return bound(*rest, **kwargs)

        call = plain_call
    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__annotations__ = {name: hint for name, hint in hints.items() if name in signature.parameters}
    return call
