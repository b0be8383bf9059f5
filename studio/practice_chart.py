"""The Skill library's practice chart: how a skill's Stage I practice (GRPO) went, step by step, one line a round —
the reward, and the share of practice groups holding at least one right answer (the only groups that teach
correctness rather than style). Read from the manifest's ``metrics``; the card says the same in words."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

REWARD_TITLE = "Reward per practice step"
GROUPS_TITLE = "Practice groups with a right answer"
NOT_RECORDED = "not recorded"


def _curves(metrics: dict[str, Any], key: str) -> list[list[float]]:
    """The per-round curves under ``key``, numbers only (a hand-edited manifest may hold anything)."""
    rounds = metrics.get(key)
    if not isinstance(rounds, list):
        return []
    return [
        [float(v) for v in curve if isinstance(v, int | float) and not isinstance(v, bool)]
        if isinstance(curve, list)
        else []
        for curve in rounds
    ]


def practice_figure(metrics: dict[str, Any] | None) -> go.Figure | None:
    """Two panels over the practice step, one line a round; None when the skill records no practice curve."""
    rewards = _curves(metrics or {}, "grpo_reward_curve")
    groups = _curves(metrics or {}, "grpo_correct_group_curve")
    if not any(rewards):
        return None
    titles = [REWARD_TITLE, GROUPS_TITLE + ("" if any(groups) else f" ({NOT_RECORDED})")]
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles)
    for k, curve in enumerate(rewards):
        color = f"hsl({(k * 137) % 360}, 60%, 45%)"
        steps = list(range(1, len(curve) + 1))
        name = f"round {k + 1}"
        fig.add_trace(go.Scatter(x=steps, y=curve, mode="lines", name=name, line={"color": color}), row=1, col=1)
        share = groups[k] if k < len(groups) else []
        if share:
            fig.add_trace(
                go.Scatter(
                    x=list(range(1, len(share) + 1)),
                    y=share,
                    mode="lines",
                    name=name,
                    line={"color": color},
                    showlegend=False,
                ),
                row=1,
                col=2,
            )
    fig.update_xaxes(title_text="practice step")
    fig.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=2)
    fig.update_layout(height=300, autosize=True, margin={"l": 40, "r": 10, "t": 40, "b": 40})
    return fig
