"""The A/B chat's blind-vote panel: vote buttons, the reveal, the tally per model pair, and the JSONL export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from backend.ab_tally import export_sessions, tally
from backend.adapter_catalog import identify
from backend.chat_sessions import ABConversations, ABSession, Side
from past.settings import Settings

BUTTONS = {  # label -> choice, in the order shown
    "Left is better": "left",
    "Right is better": "right",
    "Tie": "tie",
    "Both are bad": "both_bad",
}
ELEM_IDS = {"left": "ab-vote-left", "right": "ab-vote-right", "tie": "ab-vote-tie", "both_bad": "ab-vote-bad"}
TALLY_HEADERS = ["Side A (model + adapter)", "Side B (model + adapter)", "Votes"]
TALLY_HEADERS += ["A better", "B better", "Ties", "Both bad"]
WINNER_WORDS = {"a": "side A was better", "b": "side B was better", "tie": "a tie", "both_bad": "both were bad"}
EXPORT_SUBDIR = "exports"


@dataclass
class VotePanel:
    buttons: list[gr.Button]
    hint: gr.Markdown
    reveal: gr.Markdown
    tally: gr.Dataframe
    export: gr.Button
    export_file: gr.File


def render_vote_panel() -> VotePanel:
    """Build the panel (inside the current Blocks context); handlers are wired by the screen."""
    hint = gr.Markdown("", elem_id="ab-vote-hint")
    with gr.Row():
        buttons = [gr.Button(label, interactive=False, size="sm", elem_id=ELEM_IDS[c]) for label, c in BUTTONS.items()]
    reveal = gr.Markdown("", elem_id="ab-reveal")
    with gr.Accordion("Votes so far, and export", open=True):
        table = gr.Dataframe(headers=TALLY_HEADERS, interactive=False, elem_id="ab-tally", wrap=True)
        with gr.Row():
            export = gr.Button("Export all conversations (JSONL)", size="sm", elem_id="ab-export")
            export_file = gr.File(label="Download", interactive=False, height=90, elem_id="ab-export-file")
    return VotePanel(buttons, hint, reveal, table, export, export_file)


def choice_of(value: str) -> str:
    """A vote as sent by a button (its label) or by an API caller (left/right/tie/both_bad)."""
    return BUTTONS.get(value, value)


def short(ref: str) -> str:
    """A side's identity for the page: the adapter's last two path parts are enough to recognise it."""
    model, sep, adapter = ref.partition(" + ")
    return f"{model} + …/{'/'.join(Path(adapter).parts[-2:])}" if sep else model


def named(ref: str, settings: Settings | None) -> str:
    """A side in words (adapted model, skill, λ) when the data directory is known, else :func:`short`."""
    return identify(settings, ref).label if settings is not None else short(ref)


def tally_rows(conversations: ABConversations, settings: Settings | None = None) -> list[list]:
    return [
        [named(p.first, settings), named(p.second, settings), p.votes, p.first_wins, p.second_wins, p.ties, p.both_bad]
        for p in tally(conversations.chats.votes())
    ]


def pane_names(blind: bool, sides: dict[str, Side] | None = None, settings: Settings | None = None) -> tuple[str, str]:
    """The two chat panes' titles: hidden in blind mode; else each side and what it is (an adapted model's
    fine-tune, the same with the skill added, a plain model)."""
    if blind:
        return ("Model 1", "Model 2")
    if not sides:
        return ("Side A", "Side B")
    return tuple(f"Side {key.upper()}: {side_words(sides[key], settings)}" for key in ("a", "b"))  # type: ignore[return-value]


def side_words(side: Side, settings: Settings | None) -> str:
    """What a side is, in words (:func:`named`); "no model picked" for an empty side."""
    return named(side.ref(), settings) if side.model else "no model picked"


def reveal_text(session: ABSession, winner: str, settings: Settings | None = None) -> str:
    """Which real side each displayed model was, and what it is, once the user has voted."""
    lines = [f"**Your vote:** {WINNER_WORDS[winner]}. Here is who was who:"]
    for number, key in enumerate(session.order(), start=1):
        side: Side = session.sides[key]
        lines.append(
            f"- **Model {number}** was side {key.upper()}, {side_words(side, settings)}: `{short(side.ref())}`"
        )
    lines.append("\nSend another message to keep comparing, or **Clear** for a new blind conversation.")
    return "\n".join(lines)


def vote_state(
    conversations: ABConversations, session: ABSession | None, settings: Settings | None = None
) -> tuple[list, str, str]:
    """(button updates, hint, reveal) for the conversation as stored now."""
    if session is None or not session.blind:
        return [gr.update(interactive=False)] * len(BUTTONS), "", ""
    turns = conversations.turns(session.id)
    voted = [t.voted for t in turns if t.voted]
    open_vote = bool(turns) and turns[-1].voted is None and len(turns[-1].replies) == 2
    hint = "Which reply is better? Vote once per message; the models are revealed after your vote."
    reveal = reveal_text(session, voted[-1], settings) if voted else ""
    return [gr.update(interactive=open_vote)] * len(BUTTONS), hint if open_vote else "", reveal


def export_all(conversations: ABConversations, artifacts_dir: Path) -> str:
    return str(export_sessions(conversations, artifacts_dir / EXPORT_SUBDIR))
