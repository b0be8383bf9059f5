"""One A/B chat message being answered on both panes: what each pane shows as the sides stream, and what is saved.

:class:`PaneReplies` takes the engine's stream events (``ready``, ``notice``, ``text``, ``error``, ``done``) one at a
time and gives the frame the page shows after each: both conversations (the ``/ab_chat`` API returns them as they
are), each side's note, the memory line, the session and the passages each side read. Replies that are error
messages start with :data:`ERROR_MARK` and are never sent back to a model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from backend.ab_prompts import side_prompt
from backend.chat_sessions import ABSession
from past.retrieval import Hit
from past.serving.engine import StreamEvent
from studio.recall_view import AS_TYPED, RECALL, recall_markdown

ERROR_MARK = "⚠ "  # replies that are error messages start with it and are not sent back to the model (text symbol,
OLD_ERROR_MARK = "⚠️ "  # not the emoji that needs an emoji font; conversations saved before still hold this one
NO_REPLY = "(no reply)"


@dataclass
class PaneReplies:
    """The two panes (left, right) of one message's reply; ``order`` names the real side (a/b) of each."""

    session: ABSession
    titles: list[str]  # what each pane's side is (shown in the notes outside blind mode)
    histories: list[list[dict]]  # each pane's conversation, ending with the message just sent
    hits: dict[str, list[Hit]]  # the passages each real side that answers with the documents read
    recall: bool  # the "recall, then answer" format: a reply is shown as its answer and what it remembered
    usage: Callable[[bool], str]  # the model memory line (hidden in blind mode), read again for every frame
    replies: list[str] = field(default_factory=lambda: ["", ""])
    finished: list[bool] = field(default_factory=lambda: [False, False])
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.order = self.session.order()
        if not self.notes:
            self.notes = [f"Loading {'the model' if self.session.blind else title}…" for title in self.titles]

    def name(self, i: int) -> str:
        return f"Model {i + 1}" if self.session.blind else self.titles[i]

    def shown(self, i: int) -> str:
        """Pane ``i``'s reply as the page shows it (and as it is saved)."""
        text = self.replies[i]
        if self.recall and text and not text.startswith(ERROR_MARK):
            return recall_markdown(text, self.finished[i])
        return text

    def frame(self) -> tuple:
        """(left chat, right chat, prompt box, left note, right note, memory line, session id, passages shown)."""
        panes = [
            [*h, {"role": "assistant", "content": self.shown(i)}] if self.replies[i] else h
            for i, h in enumerate(self.histories)
        ]
        blind = self.session.blind
        shown = ["", ""] if blind else [passages_text(self.hits.get(key)) for key in self.order]
        return panes[0], panes[1], "", self.notes[0], self.notes[1], self.usage(blind), self.session.id, shown

    def apply(self, event: StreamEvent) -> None:
        """Take one stream event into the pane of its side."""
        i = event.side
        if event.kind == "ready":
            self.notes[i] = f"**{self.name(i)}** is answering"
        elif event.kind == "notice":
            self.notes[i] += f"\n\n{ERROR_MARK}{event.text}"
        elif event.kind == "text":
            self.replies[i] += event.text
        elif event.kind == "error":
            self.notes[i] = f"{ERROR_MARK}{event.text}"
            error = f"{ERROR_MARK}{event.text}"
            self.replies[i] = error if not self.replies[i] else f"{self.replies[i]}\n\n{error}"
        elif event.kind == "done":
            self.replies[i] = self.replies[i] or NO_REPLY
            self.finished[i] = True
            self.notes[i] = f"**{self.name(i)}** has answered"
            if event.finish_reason == "length":
                self.notes[i] += " · stopped at the reply length limit"

    def model_conversations(self, message: str) -> list[list[dict[str, str]]]:
        """What each pane's side is sent: its conversation without error replies, the last message in the answer
        format (after the passages it reads, if any)."""
        style = RECALL if self.recall else AS_TYPED
        sent = [[plain(m) for m in h if not is_error(m)] for h in self.histories]
        for i, key in enumerate(self.order):
            if key in self.hits:
                sent[i][-1]["content"] = side_prompt(message, [h.text for h in self.hits[key]], style)
            elif self.recall:
                sent[i][-1]["content"] = side_prompt(message, None, style)
        return sent

    def saved(self) -> dict[str, str]:
        """Each real side's reply as it is stored (also when stopped: what was said so far is kept)."""
        self.finished[:] = [True, True]
        return {key: self.shown(i) or NO_REPLY for i, key in enumerate(self.order)}


def passages_text(hits: list[Hit] | None) -> str:
    """The passages a side read, for under its reply."""
    if hits is None:
        return ""
    if not hits:
        return "*Answered with the documents: no passage matched the message.*"
    quoted = []
    for n, h in enumerate(hits, 1):
        body = h.text.strip().replace("\n", "\n> ")
        quoted.append(f"**{n}. {h.doc_name}** (passage {h.chunk + 1}, score {h.score:.2f})\n\n> {body}")
    return "**Passages from the documents used for this reply**\n\n" + "\n\n".join(quoted)


def is_error(message: dict) -> bool:
    content = str(message.get("content", ""))
    return message.get("role") == "assistant" and content.startswith((ERROR_MARK, OLD_ERROR_MARK))


def user_turn(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def plain(message: dict) -> dict[str, str]:
    content = message.get("content", "")
    if isinstance(content, list):  # Gradio may hand back structured content parts
        content = " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return {"role": str(message.get("role", "user")), "content": str(content)}
