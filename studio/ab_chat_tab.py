"""The A/B chat screen: one prompt, two models (or adapters) answering side by side, both streaming.

Each side is a registered model plus an optional LoRA adapter directory. Sides that share a base model
are served by one copy of its weights, decoded together in one batch (see ``past.serving``). Each side
keeps its own conversation. An error on one side (a model or adapter that does not load, a refused
prompt) is shown on that side; the other side keeps answering. Prompts longer than the model reads are
shortened from the start with a notice. Several sessions share the model memory budget shown below and
wait their turn in Gradio's queue.

Every conversation is saved in the store (``backend.chat_sessions``), so a reloaded page shows it again.
Blind mode hides the pickers, names the panes "Model 1"/"Model 2", shuffles which side sits left (per
conversation, seeded and stored), and asks for a vote after each reply; the vote panel lives in
``studio.ab_votes``.

"Answer with the documents (retrieval)", ticked per side, puts the best-matching passages of a collection
(BM25, :class:`backend.retrieval.CollectionRetrievers`) in front of that side's message; the passages used are
shown under its reply (not in blind mode), and the conversation keeps the message as typed.

"Answer format: recall, then answer" asks both sides in the evaluation's ``recall`` prompt style (write the
sentence you remember, then ``Answer: …``) and shows each reply as its short answer with "What it remembered"
beneath (:mod:`studio.recall_view`), the split the evaluator judges.

The screen is laid out by small section builders; its handlers are the module-level functions below, each given
the screen's services (:class:`ABChat`) first; one reply as it streams is :class:`studio.ab_reply.PaneReplies`, and
what each side is sent comes from :mod:`backend.ab_prompts`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from backend.ab_prompts import passages_for
from backend.adapter_catalog import adapter_choices
from backend.chat_sessions import ABConversations, ABSession, Side, VoteError
from backend.path_policy import PathPolicy
from backend.retrieval import CollectionRetrievers
from past.errors import PastError
from past.retrieval import Hit
from past.serving.engine import SideSpec
from past.serving.generation import GenerationParams
from studio.ab_reply import PaneReplies, user_turn
from studio.ab_votes import (
    VotePanel,
    choice_of,
    export_all,
    pane_names,
    render_vote_panel,
    reveal_text,
    tally_rows,
    vote_state,
)
from studio.bind import bind
from studio.context import GENERATE_CONCURRENCY, StudioContext
from studio.errors import user_errors
from studio.recall_view import ANSWER_FORMATS, AS_TYPED, FORMAT_KEY, RECALL, known_format
from studio.screen import OnLoad, StudioUI

INTRO = (
    "### A/B chat\n"
    "Pick a model for each side, optionally with an adapted model or a skill, type one message "
    "and press **Send**: both sides answer at the same time. Two adapters on the same base model share one "
    "copy of it in memory. **Stop** ends both replies; **Clear** starts over. A conversation longer than the "
    "model can read is shortened from its start, and a note says so.\n\n"
    "**Blind mode** hides which model is which (and shuffles the sides): read both replies, vote for the "
    "better one, and the models are revealed. Votes add up in the table below; every conversation is saved."
)
NO_ADAPTER = ""
NO_ADAPTER_CHOICE = ("none: the model as it is", NO_ADAPTER)
SIDES_KEY = "ab_chat.sides"  # selection in the store: {"a": {model, adapter}, "b": {...}}
SESSION_KEY = "ab_chat.session"  # the conversation shown, so a reloaded page restores it
BLIND_KEY = "ab_chat.blind"
WAITING = "Waiting for a free reply slot, then loading the model (the first reply may take up to a minute)…"
HIDDEN_USAGE = "Model memory details are hidden in blind mode."


@dataclass
class ABChat:
    """What the A/B chat's handlers work with: the studio's services, the stored conversations, the documents'
    retrieval indexes and the models registered when the screen was built."""

    ctx: StudioContext
    conversations: ABConversations
    retrievers: CollectionRetrievers
    names: list[str]
    default: str | None

    @classmethod
    def of(cls, ctx: StudioContext) -> ABChat:
        names = [r.name for r in ctx.registry.list()]
        default = ctx.settings.default_model if ctx.settings.default_model in names else (names[0] if names else None)
        return cls(ctx, ABConversations(ctx.chats), CollectionRetrievers(ctx.settings, ctx.store), names, default)


@dataclass
class SidePane:
    """One side's column: its pickers, its "answer with the documents" box, its note, chat and passages."""

    model: gr.Dropdown
    adapter: gr.Dropdown
    with_docs: gr.Checkbox
    advanced: gr.Accordion
    status: gr.Markdown
    chat: gr.Chatbot
    passages: gr.Markdown


@dataclass
class ABScreen:
    """Every component the A/B chat's events read or write (left pane first: side A outside blind mode)."""

    blind: gr.Checkbox
    session_id: gr.State
    sides: list[SidePane]
    prompt: gr.Textbox
    send: gr.Button
    stop: gr.Button
    clear: gr.Button
    answer_format: gr.Radio
    collection: gr.Dropdown
    passages_shown: gr.State
    votes: VotePanel
    sliders: list[gr.Slider]  # longest reply, temperature, top-p
    usage: gr.Markdown
    refresh: gr.Button

    @property
    def pickers(self) -> list[gr.Dropdown]:
        return [c for side in self.sides for c in (side.model, side.adapter)]

    @property
    def chats(self) -> list[gr.Chatbot]:
        return [side.chat for side in self.sides]

    @property
    def statuses(self) -> list[gr.Markdown]:
        return [side.status for side in self.sides]

    @property
    def vote_panel(self) -> list:
        return [*self.votes.buttons, self.votes.hint, self.votes.reveal, self.votes.tally]


# -- layout ----------------------------------------------------------------------------------------------------


def side_spec(model: str | None, adapter: str | None) -> SideSpec:
    """The side a user picked: a model reference and, if given, an adapter directory."""
    adapter = (adapter or "").strip()
    return SideSpec(model=(model or "").strip(), adapter=Path(adapter).expanduser() if adapter else None)


def side_pickers(
    key: str, names: list[str], default: str | None, adapters: list, prefix: str
) -> tuple[gr.Dropdown, gr.Dropdown]:
    """One side's model and adapter pickers (``#<prefix>-model-<key>``, ``#<prefix>-adapter-<key>``)."""
    model = gr.Dropdown(
        names,
        value=default,
        allow_custom_value=True,  # a model directory works too
        label=f"Side {key.upper()}: model",
        elem_id=f"{prefix}-model-{key}",
    )
    adapter = gr.Dropdown(
        adapters,
        value=NO_ADAPTER,
        allow_custom_value=True,  # a directory typed in (A/B chat: the advanced field)
        label="Adapted model or skill (optional)",
        elem_id=f"{prefix}-adapter-{key}",
    )
    return model, adapter


def side_column(key: str, names: list[str], default: str | None, adapters: list) -> SidePane:
    """One side's column (``#ab-…-<key>``); a directory typed under "Advanced" replaces the adapter picked."""
    with gr.Column(min_width=320):
        model, adapter = side_pickers(key, names, default, adapters, "ab")
        with_docs = gr.Checkbox(False, label="Answer with the documents (retrieval)", elem_id=f"ab-retrieval-{key}")
        with gr.Accordion("Advanced: an adapter directory", open=False) as advanced:
            adapter_dir = gr.Textbox(
                label="LoRA adapter directory on the studio machine (replaces the pick above)",
                placeholder="/path/to/adapter",
                elem_id=f"ab-adapter-dir-{key}",
            )
        adapter_dir.submit(adapter_from_dir, adapter_dir, adapter, api_name=False)
        adapter_dir.blur(adapter_dir_or_pick, [adapter_dir, adapter], adapter, api_name=False)
        status = gr.Markdown("", elem_id=f"ab-status-{key}")
        chat = gr.Chatbot(label=f"Side {key.upper()}", height=380, elem_id=f"ab-chat-{key}")
        passages = gr.Markdown("", elem_id=f"ab-passages-{key}")
    return SidePane(model, adapter, with_docs, advanced, status, chat, passages)


def message_row() -> tuple[gr.Textbox, gr.Button, gr.Button, gr.Button]:
    """The message box and its Send, Stop and Clear buttons."""
    with gr.Row():
        prompt = gr.Textbox(placeholder="One message for both sides…", show_label=False, scale=6, elem_id="ab-prompt")
        send = gr.Button("Send", variant="primary", scale=1, elem_id="ab-send")
        stop = gr.Button("Stop", scale=1, elem_id="ab-stop")
        clear = gr.Button("Clear", scale=1, elem_id="ab-clear")
    return prompt, send, stop, clear


def reply_options(collections: list[str]) -> tuple[gr.Radio, gr.Dropdown]:
    """The answer format and the collection that sides answering with the documents read."""
    answer_format = gr.Radio(
        ANSWER_FORMATS,
        value=AS_TYPED,
        label="Answer format (recall, then answer: each side first writes what it remembers, then a short answer)",
        elem_id="ab-format",
    )
    collection = gr.Dropdown(
        collections,
        value=collections[0] if collections else None,
        allow_custom_value=True,
        label="Documents for the sides that answer with the documents (collection)",
        elem_id="ab-retrieval-collection",
    )
    return answer_format, collection


def generation_settings() -> list[gr.Slider]:
    """Longest reply, temperature and top-p, folded away."""
    with gr.Accordion("Generation settings", open=False, elem_id="ab-settings"):
        return [
            gr.Slider(16, 1024, value=256, step=16, label="Longest reply (tokens)", elem_id="ab-max-tokens"),
            gr.Slider(0.0, 1.5, value=0.0, step=0.05, label="Temperature (0 = always the most likely word)"),
            gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p (only with temperature above 0)"),
        ]


def build_screen(ab: ABChat) -> ABScreen:
    """Lay the screen out, top to bottom."""
    ctx = ab.ctx
    adapters = [NO_ADAPTER_CHOICE, *adapter_choices(ctx.settings, ctx.guard.policy)]
    gr.Markdown(INTRO)
    blind = gr.Checkbox(False, label="Blind mode: hide and shuffle which model is which, then vote", elem_id="ab-blind")
    session_id = gr.State("")
    with gr.Row(equal_height=False):
        sides = [side_column(key, ab.names, ab.default, adapters) for key in ("a", "b")]
    prompt, send, stop, clear = message_row()
    answer_format, collection = reply_options(ctx.documents.collections())
    passages_shown = gr.State(["", ""])
    votes = render_vote_panel()
    sliders = generation_settings()
    with gr.Row():
        usage = gr.Markdown(ctx.models.usage().describe(), elem_id="ab-usage")
        refresh = gr.Button("Refresh", size="sm", scale=0)
    return ABScreen(
        blind=blind,
        session_id=session_id,
        sides=sides,
        prompt=prompt,
        send=send,
        stop=stop,
        clear=clear,
        answer_format=answer_format,
        collection=collection,
        passages_shown=passages_shown,
        votes=votes,
        sliders=sliders,
        usage=usage,
        refresh=refresh,
    )


# -- events ----------------------------------------------------------------------------------------------------


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    """Build the A/B chat screen inside the current Blocks context and wire its events."""
    ab = ABChat.of(ctx)
    screen = build_screen(ab)
    wire_reply(ab, screen)
    wire_votes(ab, screen)
    wire_reset(ab, screen)
    wire_memory(ab, screen)
    restored = [*screen.pickers, screen.blind, *screen.chats, screen.session_id, screen.usage, *screen.vote_panel]
    return [
        OnLoad(bind(restore, ab), [], [*restored, screen.answer_format], on_show=True),
        OnLoad(bind(collection_choices, ab), [screen.collection], [screen.collection], on_show=True),
    ]


def wire_reply(ab: ABChat, s: ABScreen) -> None:
    """Send (button or Enter) and Stop. The queue=False steps run at once, before a reply slot is free, and are
    registered before the reply itself so that its frames land after theirs."""
    reply = ab.ctx.guard.generation(bind(respond, ab))  # a per-user cap on replies streaming at once
    inputs = [s.prompt, *s.chats, *s.pickers, *s.sliders, s.blind, s.session_id]
    inputs += [*(side.with_docs for side in s.sides), s.collection, s.answer_format]
    outputs = [*s.chats, s.prompt, *s.statuses, s.usage, s.session_id, s.passages_shown]
    busy = [s.send, *s.votes.buttons]
    for trigger in (s.send.click, s.prompt.submit):
        trigger(bind(not_interactive, len(busy)), None, busy, api_name=False, queue=False)
        trigger(waiting_notes, None, s.statuses, api_name=False, queue=False)
        trigger(bind(pane_titles, ab), [s.blind, *s.pickers], s.chats, api_name=False, queue=False)
    limits = {"concurrency_id": "generate", "concurrency_limit": GENERATE_CONCURRENCY}
    events = [
        s.send.click(reply, inputs, outputs, api_name="ab_chat", **limits),
        s.prompt.submit(reply, inputs, outputs, api_name=False, **limits),
    ]
    passage_panes = [side.passages for side in s.sides]
    for event in events:
        event.then(bind(after_reply, ab), s.session_id, [*s.vote_panel, s.send], api_name=False)
        event.then(shown_passages, s.passages_shown, passage_panes, api_name=False, queue=False)
    s.stop.click(None, None, None, cancels=events, api_name=False)
    s.stop.click(bind(after_reply, ab), s.session_id, [*s.vote_panel, s.send], api_name=False)


def wire_votes(ab: ABChat, s: ABScreen) -> None:
    """The vote buttons (the first one is the ``/ab_vote`` API) and the export."""
    vote = ab.ctx.guard.audited("ab_vote", target=1)(bind(cast, ab))
    for i, button in enumerate(s.votes.buttons):
        button.click(vote, [button, s.session_id], s.vote_panel, api_name="ab_vote" if i == 0 else False)
    export = ab.ctx.guard.audited("ab_export")(bind(export_conversations, ab))
    s.votes.export.click(export, None, s.votes.export_file, api_name="ab_export")


def wire_reset(ab: ABChat, s: ABScreen) -> None:
    """Clear and Blind mode start an empty conversation; the memory line's Refresh."""
    reset = [*s.chats, *s.statuses, s.session_id, *s.pickers, s.usage, *s.vote_panel]
    passage_panes = [side.passages for side in s.sides]
    s.clear.click(no_passages, None, passage_panes, api_name=False, queue=False)
    s.clear.click(bind(fresh, ab), s.blind, reset, api_name=False)
    s.blind.input(bind(fresh, ab), s.blind, reset, api_name=False)
    folds = [side.advanced for side in s.sides]
    s.blind.change(bind(hidden_when_on, len(folds)), s.blind, folds, api_name=False)
    s.refresh.click(bind(usage_text, ab.ctx), s.blind, s.usage, api_name=False, queue=False)


def wire_memory(ab: ABChat, s: ABScreen) -> None:
    """What is picked (sides, answer format) is kept in the store, for a reloaded page and other screens."""
    for picker in s.pickers:
        picker.input(bind(remember, ab), s.pickers, None, api_name=False, queue=False)
    s.answer_format.input(bind(remember_format, ab), s.answer_format, None, api_name=False, queue=False)


# -- handlers --------------------------------------------------------------------------------------------------


def adapter_from_dir(text: str | None) -> dict:
    """The adapter directory typed under "Advanced" (Enter) becomes the side's adapter."""
    return gr.update(value=(text or "").strip())


def adapter_dir_or_pick(text: str | None, now: str | None) -> dict:
    """Leaving the directory field: its text becomes the adapter, an empty field keeps the pick."""
    return gr.update(value=(text or "").strip() or now)


def not_interactive(count: int) -> list:
    return [gr.update(interactive=False)] * count


def waiting_notes() -> tuple[str, str]:
    return WAITING, WAITING


def hidden_when_on(count: int, on: bool) -> list:
    return [gr.update(visible=not on)] * count


def shown_passages(shown: list[str]) -> tuple:
    return tuple(shown)


def no_passages() -> tuple[str, str]:
    return "", ""


def usage_text(ctx: StudioContext, blind_on: bool) -> str:
    """The model memory line; hidden in blind mode (it would name the models)."""
    return HIDDEN_USAGE if blind_on else ctx.models.usage().describe()


def picked_sides(policy: PathPolicy, m_a: str, ad_a: str, m_b: str, ad_b: str) -> dict[str, Side]:
    """The two pickers' sides as the policy allows them (an exposed studio serves only models and adapters
    inside the data directory; a refused one raises)."""
    m_a, m_b = policy.model_ref(m_a, "side A model"), policy.model_ref(m_b, "side B model")
    ad_a, ad_b = policy.adapter(ad_a, "side A adapter"), policy.adapter(ad_b, "side B adapter")
    return {"a": Side(m_a or "", (ad_a or "").strip()), "b": Side(m_b or "", (ad_b or "").strip())}


def pane_titles(ab: ABChat, blind_on: bool, m_a: str, ad_a: str, m_b: str, ad_b: str) -> tuple:
    """The panes' titles for the sides about to answer, set as the message is sent: what each side is, or
    "Model 1"/"Model 2" in blind mode. A side the policy refuses keeps its title (the reply says why)."""
    try:
        sides = picked_sides(ab.ctx.guard.policy, m_a, ad_a, m_b, ad_b)
    except PastError:
        return gr.update(), gr.update()
    left, right = pane_names(bool(blind_on), sides, ab.ctx.settings)
    return gr.update(label=left), gr.update(label=right)


@user_errors
def respond(
    ab: ABChat,
    message: str,
    hist_a: list,
    hist_b: list,
    m_a: str,
    ad_a: str,
    m_b: str,
    ad_b: str,
    limit: float,
    temp: float,
    nucleus: float,
    blind_on: bool = False,
    sid: str = "",
    docs_a: bool = False,
    docs_b: bool = False,
    collection: str | None = None,
    answer_format: str = AS_TYPED,
) -> Iterator:
    """Both sides' replies to ``message``, streamed as frames of :class:`PaneReplies` (the ``/ab_chat`` API
    returns the two conversations); the turn is saved when the reply ends, also when stopped."""
    message = (message or "").strip()
    if not message:
        raise gr.Error("Type a message first: an empty message is not sent.")
    hits = documents_for(ab, message, {"a": bool(docs_a), "b": bool(docs_b)}, collection)
    params = GenerationParams(max_new_tokens=int(limit), temperature=float(temp), top_p=float(nucleus))
    configured = picked_sides(ab.ctx.guard.policy, m_a, ad_a, m_b, ad_b)
    session = session_for(ab, configured, bool(blind_on), sid, bool(hist_a or hist_b))
    real = session.sides if session.blind else configured
    ab.ctx.selections.set(SIDES_KEY, {key: side.as_dict() for key, side in real.items()})
    panes = pane_replies(ab, session, real, [hist_a, hist_b], message, hits, answer_format == RECALL)
    sides = [side_spec(real[key].model, real[key].adapter) for key in panes.order]
    try:
        yield panes.frame()
        for event in ab.ctx.engine.stream(sides, panes.model_conversations(message), params):
            panes.apply(event)
            yield panes.frame()
        yield panes.frame()
    finally:  # also when stopped: what was said so far is kept
        ab.conversations.add_turn(session.id, message, panes.saved(), real)


def documents_for(ab: ABChat, message: str, wanted: dict[str, bool], collection: str | None) -> dict[str, list[Hit]]:
    """The passages each side that answers with the documents reads (none asked for: no search)."""
    sides = [key for key, on in wanted.items() if on]
    if sides and not collection:
        raise gr.Error("Choose the documents (a collection) for the sides that answer with the documents.")
    return passages_for(ab.retrievers, collection or "", message, sides) if sides else {}


def session_for(ab: ABChat, configured: dict[str, Side], blind: bool, sid: str, has_history: bool) -> ABSession:
    """The conversation this message goes on: the one shown, or a new one (saved as the one shown) when the panes
    are empty or blind mode was switched."""
    session = ab.conversations.get(sid) if has_history else None
    if session is None or session.blind != blind:
        session = ab.conversations.start(configured, blind=blind)
        ab.ctx.selections.set(SESSION_KEY, session.id)
    return session


def pane_replies(
    ab: ABChat,
    session: ABSession,
    real: dict[str, Side],
    histories: list[list | None],
    message: str,
    hits: dict[str, list[Hit]],
    recall: bool,
) -> PaneReplies:
    """The two panes of the reply about to stream, each titled by what its side is."""
    named = pane_names(session.blind, real, ab.ctx.settings)
    titles = [named[0 if key == "a" else 1] for key in session.order()]
    shown = [[*(h or []), user_turn(message)] for h in histories]
    return PaneReplies(session, titles, shown, hits, recall, bind(usage_text, ab.ctx))


def vote_outputs(ab: ABChat, session: ABSession | None) -> tuple:
    """The vote panel (buttons, hint, reveal, tally) for ``session`` as stored now."""
    buttons, hint, reveal = vote_state(ab.conversations, session, ab.ctx.settings)
    return (*buttons, hint, reveal, tally_rows(ab.conversations, ab.ctx.settings))


def after_reply(ab: ABChat, sid: str) -> tuple:
    """Once a reply ended (or was stopped): the vote panel, and Send usable again."""
    return (*vote_outputs(ab, ab.conversations.get(sid)), gr.update(interactive=True))


@user_errors
def cast(ab: ABChat, label: str, sid: str) -> tuple:
    """A vote (a button's label, or left/right/tie/both_bad from an API client) on the latest blind reply."""
    session = ab.conversations.get(sid)
    if session is None or not session.blind:
        raise VoteError("Votes are taken in blind mode: tick Blind mode, send a message, then vote.")
    winner = ab.conversations.vote(session, choice_of(label))
    buttons, hint, _ = vote_state(ab.conversations, session, ab.ctx.settings)
    reveal = reveal_text(session, winner, ab.ctx.settings)
    return (*buttons, hint, reveal, tally_rows(ab.conversations, ab.ctx.settings))


def export_conversations(ab: ABChat) -> str:
    return export_all(ab.conversations, ab.ctx.settings.artifacts_dir)


def fresh(ab: ABChat, blind_on: bool) -> tuple:
    """An empty conversation (the next message starts a new saved session) in the chosen mode."""
    selections = ab.ctx.selections
    selections.set(BLIND_KEY, bool(blind_on))
    selections.set(SESSION_KEY, "")
    picked = {key: Side.from_dict(side) for key, side in (selections.get(SIDES_KEY, {}) or {}).items()}
    left, right = pane_names(bool(blind_on), picked if set(picked) == {"a", "b"} else None, ab.ctx.settings)
    shown = [gr.update(visible=not blind_on)] * 4  # the four pickers
    chats = [gr.update(value=[], label=left), gr.update(value=[], label=right)]
    return (*chats, "", "", "", *shown, gr.update(visible=not blind_on), *vote_outputs(ab, None))


def restore(ab: ABChat) -> tuple:
    """The sides last picked (e.g. by Adapt's "Chat with it") and the conversation shown before a reload, with the
    answer format last chosen."""
    policy, selections = ab.ctx.guard.policy, ab.ctx.selections
    choices = [NO_ADAPTER_CHOICE, *adapter_choices(ab.ctx.settings, policy)]
    picked = remembered_sides(ab)
    session = ab.conversations.get(selections.get(SESSION_KEY, "") or "")
    if session is not None and latest_sides(ab.conversations, session) != picked:
        session = None  # other sides were picked since (e.g. by Adapt): start afresh
    blind_on = session.blind if session else bool(selections.get(BLIND_KEY, False))
    updates = []
    for side in picked.values():
        updates += [
            gr.update(value=side.model, visible=not blind_on),
            gr.update(choices=choices, value=policy.shown(side.adapter) or NO_ADAPTER, visible=not blind_on),
        ]
    left, right = pane_names(blind_on, picked, ab.ctx.settings)
    hist = ab.conversations.histories(session) if session else ([], [])
    chats = [gr.update(value=hist[0], label=left), gr.update(value=hist[1], label=right)]
    sid = session.id if session else ""
    kept = selections.get(FORMAT_KEY, AS_TYPED)
    shown_format = gr.update(value=kept if known_format(kept) else AS_TYPED)
    vote_panel = vote_outputs(ab, session)
    return (*updates, blind_on, *chats, sid, gr.update(visible=not blind_on), *vote_panel, shown_format)


def remembered_sides(ab: ABChat) -> dict[str, Side]:
    """The sides kept in the store; a model this studio no longer has gives way to the default model."""
    sides = ab.ctx.selections.get(SIDES_KEY, {}) or {}
    picked = {}
    for key in ("a", "b"):
        side = Side.from_dict(sides.get(key))
        known = side.model in ab.names or local_model(ab.ctx.guard.policy, side.model)
        picked[key] = Side(side.model if known else (ab.default or ""), side.adapter)
    return picked


def remember(ab: ABChat, m_a: str, ad_a: str, m_b: str, ad_b: str) -> None:
    sides = {"a": {"model": m_a, "adapter": ad_a}, "b": {"model": m_b, "adapter": ad_b}}
    ab.ctx.selections.set(SIDES_KEY, sides)


def remember_format(ab: ABChat, value: str) -> None:
    if known_format(value):  # whatever a browser sends, only a known format is kept
        ab.ctx.selections.set(FORMAT_KEY, value)


def collection_choices(ab: ABChat, current: str | None) -> dict:
    names = ab.ctx.documents.collections()
    return gr.update(choices=names, value=current if current in names else (names[0] if names else None))


def local_model(policy: PathPolicy, ref: str) -> bool:
    """Whether ``ref`` is a model directory this studio's path policy lets a browser name."""
    if not ref:
        return False
    try:
        return Path(policy.model_ref(ref)).is_dir()
    except PastError:
        return False


def latest_sides(conversations: ABConversations, session: ABSession) -> dict[str, Side]:
    turns = conversations.turns(session.id)
    return turns[-1].sides if turns and len(turns[-1].sides) == 2 else session.sides
