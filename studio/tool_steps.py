"""Markdown for an agent side's steps: Thought, Action, Action Input, Observation, Finish, and why a step failed.

Pure functions of a :class:`backend.tool_agent.AgentSide` (no Gradio), so they are tested directly.
"""

from __future__ import annotations

import json
import re

from backend.tool_agent import AgentSide
from past.tools.agent import AgentStep
from past.tools.simulator import answered_by

OUTCOMES = {
    "call_ok": "✓ API call answered",
    "api_error": "⚠ the API answered with an error",
    "unknown_api": "✗ unknown API",
    "invalid_arguments": "✗ invalid arguments",
    "simulator_error": "⚠ API simulator unavailable",
    "invalid_json": "✗ broken JSON in the Action Input",
    "format_error": "✗ format error",
    "finish": "Finish",
    "give_up": "gave up",
}
STOPS = {
    "finish": "finished with an answer",
    "give_up": "gave up",
    "turn_limit": "stopped at the turn limit",
    "stopped": "stopped",
}
MAX_SHOWN = 1500


def _inline(text: str) -> str:
    """Model-written text for a Markdown line: no code fences, at most ``MAX_SHOWN`` characters."""
    return re.sub(r"`{3,}", "``", text.strip())[:MAX_SHOWN]


def _block(text: str) -> str:
    """Text in a fenced block that its own backticks cannot close."""
    return f"```text\n{_inline(text) or '(empty)'}\n```"


def step_markdown(step: AgentStep) -> str:
    outcome = OUTCOMES.get(step.outcome, step.outcome)
    if step.parse_error:
        outcome += f" ({step.parse_error.replace('_', ' ')})"
    lines = [f"**Step {step.turn + 1}** · {outcome}"]
    if step.message:
        lines.append(f"> {_inline(step.message)}")
    if step.thought:
        lines.append(f"- **Thought:** {_inline(step.thought)}")
    if step.action is not None:
        lines.append(f"- **Action:** `{_inline(step.action)[:120]}`")
    if step.arguments is not None:
        lines.append(f"- **Action Input:** `{_inline(json.dumps(step.arguments, ensure_ascii=False))}`")
    if step.call is not None and step.call.get("source") != "none":
        lines.append(f"- **Answered by:** {_inline(answered_by(step.call))[:400]}")
    if step.observation:
        lines.append("- **Observation:**\n\n" + _block(step.observation.removeprefix("Observation:").strip()))
    if step.outcome in ("finish", "give_up") and step.arguments:
        answer = str(step.arguments.get("final_answer") or "").strip()
        if answer:
            lines.append(f"- **Final answer:** {_inline(answer)}")
    lines.append("<details><summary>Raw reply</summary>\n\n" + _block(step.reply) + "\n\n</details>")
    return "\n".join(lines)


def side_markdown(side: AgentSide) -> str:
    """Every step of one side so far, the reply being written, and how the side ended."""
    parts = [step_markdown(step) for step in side.trajectory.steps]
    if side.writing:
        parts.append(f"**Step {len(side.trajectory.steps) + 1}** · writing…\n\n" + _block(side.writing))
    if side.error:
        parts.append(f"⚠ **This side stopped:** {side.error}")
    elif side.trajectory.stop_reason:
        end = STOPS.get(side.trajectory.stop_reason, side.trajectory.stop_reason)
        calls = sum(s.call is not None for s in side.trajectory.steps)
        valid = sum(s.outcome in ("call_ok", "api_error") for s in side.trajectory.steps)
        parts.append(
            f"**{end.capitalize()}** after {len(side.trajectory.steps)} step(s): {valid} of {calls} API call(s) valid."
        )
    return "\n\n---\n\n".join(parts) if parts else "*No steps yet.*"
