"""Console progress reporting shared by CLI commands."""

from __future__ import annotations

import sys


def print_progress(fraction: float, message: str) -> None:
    """Print one progress line: ``[ 42%] message``."""
    print(f"[{fraction * 100:3.0f}%] {message}", file=sys.stderr, flush=True)
