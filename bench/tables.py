"""The Markdown of the benchmark reports: a table's lines, and a bootstrap estimate as ``mean [low, high]``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def row(cells: Iterable[object]) -> str:
    """One table row: ``| a | b |``."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def table(header: Sequence[str], rows: Iterable[Iterable[object]] = ()) -> list[str]:
    """A table's lines: the header, the rule under it and one line a row."""
    return [row(header), "|---" * len(header) + "|", *(row(cells) for cells in rows)]


def estimate(e: Mapping[str, float] | None, digits: int = 3) -> str:
    """A bootstrap estimate (``mean``, ``low``, ``high``) as ``mean [low, high]``; "—" for none."""
    if not e:
        return "—"
    return f"{e['mean']:.{digits}f} [{e['low']:.{digits}f}, {e['high']:.{digits}f}]"
