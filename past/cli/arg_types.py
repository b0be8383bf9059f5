"""Argument types of the ``past`` CLI for numbers that must be finite and in range (see :mod:`past.numbers`).

argparse turns the ``ArgumentTypeError`` of a :class:`past.numbers.Bounds` into ``error: argument --flag: ...``
and exit 2, so ``--max-mb nan`` or ``--batch-size 0`` is refused before any work starts.
"""

from __future__ import annotations

from past.numbers import COUNT, NON_NEGATIVE, POSITIVE

positive_int = COUNT.flag
positive_float = POSITIVE.flag
non_negative_float = NON_NEGATIVE.flag

__all__ = ["non_negative_float", "positive_float", "positive_int"]
