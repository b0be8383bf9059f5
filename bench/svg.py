"""Self-contained SVG charts for the benchmark READMEs (GitHub shows an SVG inline; plotly HTML it does not).

One :class:`Axes` a panel: it maps data to pixels and draws the frame, grid, tick labels and axis titles; the
benchmark scripts add their own marks (points with intervals, lines) and a numbered legend under the plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


@dataclass(frozen=True)
class Axes:
    """A panel whose data box spans ``x`` in [0, x_max] and ``y`` in [0, y_max], drawn inside the rectangle
    ``left``..``right`` (pixels from the left edge) and ``top``..``bottom`` (pixels from the top edge)."""

    x_max: float
    y_max: float
    left: float
    right: float
    top: float
    bottom: float

    def x(self, value: float) -> float:
        return self.left + value / self.x_max * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.bottom - value / self.y_max * (self.bottom - self.top)

    def frame(
        self, x_title: str, y_title: str, x_format: str = "{:.1f}", y_format: str = "{:.2f}", ticks: int = 5
    ) -> list[str]:
        """The axes, a light grid at ``ticks`` + 1 levels, tick labels and both axis titles."""
        middle = (self.top + self.bottom) / 2
        parts = [
            f'<line x1="{self.left}" y1="{self.bottom}" x2="{self.right}" y2="{self.bottom}" stroke="black"/>',
            f'<line x1="{self.left}" y1="{self.bottom}" x2="{self.left}" y2="{self.top}" stroke="black"/>',
            f'<text x="{(self.left + self.right) / 2}" y="{self.bottom + 38}" text-anchor="middle">'
            f"{escape(x_title)}</text>",
            f'<text x="{self.left - 46}" y="{middle}" transform="rotate(-90 {self.left - 46} {middle})" '
            f'text-anchor="middle">{escape(y_title)}</text>',
        ]
        for i in range(ticks + 1):
            value = self.y_max * i / ticks
            parts.append(
                f'<text x="{self.left - 6}" y="{self.y(value) + 4}" text-anchor="end">{y_format.format(value)}</text>'
            )
            parts.append(
                f'<line x1="{self.left}" y1="{self.y(value)}" x2="{self.right}" y2="{self.y(value)}" stroke="#eee"/>'
            )
            at = self.x_max * i / ticks
            parts.append(
                f'<text x="{self.x(at)}" y="{self.bottom + 16}" text-anchor="middle">{x_format.format(at)}</text>'
            )
        return parts

    def line(self, points: Sequence[tuple[float, float]], color: str, width: float = 2.0, dashed: bool = False) -> str:
        """A polyline through ``points`` (data coordinates)."""
        path = " ".join(f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in points)
        dash = ' stroke-dasharray="3 3"' if dashed else ""
        return f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="{width}"{dash}/>'


def document(width: float, height: float, title: str, body: Sequence[str]) -> str:
    """A whole SVG file: white background, the title centred on top, then ``body``."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="13">{escape(title)}</text>',
        *body,
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
