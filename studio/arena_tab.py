"""The Arena screen: a blind λ arena for one adapted model, and the leaderboard of every A/B vote.

λ arena: pick an adapted model (published by Adapt) and a skill, list the λ values to compare, ask a
question. Two of the λ answer it side by side as "Model 1"/"Model 2" (which λ sits left is shuffled and
hidden); vote, the λ are revealed, and the ratings (Bradley–Terry on the Elo scale, 95 % bootstrap
intervals) and the recommended λ update. All logic lives in ``backend.lambda_arena`` (over
``past.analysis.arena``); votes are stored with the A/B chat's (``backend.chat_sessions``). The screen is laid
out by small section builders; its handlers are the module-level functions below, each given the screen's
services (:class:`Arena`) first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from backend.adapter_catalog import identify
from backend.chat_sessions import ABConversations, ABSession, Side, VoteError
from backend.lambda_arena import (
    DEFAULT_LAMBDAS,
    adapted_models,
    all_votes_board,
    arena_adapter,
    export_board,
    export_votes,
    lam_name,
    lambda_board,
    question_pair,
)
from past.serving.engine import SideSpec
from past.serving.generation import GenerationParams
from studio.ab_votes import BUTTONS, choice_of
from studio.bind import bind
from studio.context import GENERATE_CONCURRENCY, StudioContext
from studio.downloads import download_dir
from studio.errors import user_errors
from studio.screen import OnLoad, StudioUI

if TYPE_CHECKING:  # the result type of backend.lambda_arena's ratings, only named here
    from past.analysis.arena import Leaderboard

INTRO = (
    "### λ arena\n"
    "Which strength of the skill answers best? Pick an adapted model (made on **Adapt**) and a skill, type a "
    "question and press **Ask**: two λ values of the same model answer it, shown as *Model 1* and *Model 2* "
    "in a shuffled order. Vote for the better answer; the λ are revealed and the ratings below update. "
    "λ 0 is the fine-tuned model without the skill. Ask many different questions: after enough votes the arena "
    "recommends a λ, or says that the votes cannot tell the best apart yet."
)
BOARD_HEADERS = ["rank", "who", "rating (Elo scale)", "95% interval", "votes", "won", "lost", "tied"]
ELEM = {"left": "arena-vote-left", "right": "arena-vote-right", "tie": "arena-vote-tie", "both_bad": "arena-vote-bad"}
WAITING = "Waiting for a free reply slot, then loading the models (the first answer may take up to a minute)…"
PREPARING = "Preparing the two models: the skill is added at each λ (written once, then kept)…"
ANSWERING = "Both models are answering…"
VOTE_NOW = "Which answer is better? Vote once; the λ values are revealed after your vote."
WINNER_WORDS = {"a": "side A", "b": "side B", "tie": "a tie", "both_bad": "both bad"}


@dataclass
class Arena:
    """What the Arena's handlers work with: the studio's services and the stored A/B conversations and votes."""

    ctx: StudioContext
    conversations: ABConversations

    @classmethod
    def of(cls, ctx: StudioContext) -> Arena:
        return cls(ctx, ABConversations(ctx.chats))


@dataclass
class ArenaScreen:
    """Every component the Arena's events read or write."""

    adapted: gr.Dropdown
    skill: gr.Dropdown
    lams: gr.Textbox
    prompt: gr.Textbox
    ask: gr.Button
    panes: list[gr.Chatbot]  # Model 1 (left), Model 2 (right)
    buttons: list[gr.Button]
    reveal: gr.Markdown
    ratings: list  # λ board, recommendation, how it was measured
    overall: list  # every vote's board and how it was measured
    rate_all: gr.Button
    export: gr.Button
    files: gr.File
    max_tokens: gr.Slider
    session_id: gr.State
    board_api: gr.Button  # hidden: the board for the picked pair, for API clients


# -- layout ----------------------------------------------------------------------------------------------------


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    """Build the Arena screen inside the current Blocks context and wire its events."""
    arena = Arena.of(ctx)
    screen = build_screen()
    wire_ask(arena, screen)
    wire_votes(arena, screen)
    wire_ratings(arena, screen)
    return [OnLoad(bind(restore, arena), [], [screen.adapted, screen.skill, *screen.ratings], on_show=True)]


def build_screen() -> ArenaScreen:
    """Lay the screen out, top to bottom."""
    gr.Markdown(INTRO)
    adapted, skill, lams = pick_row()
    prompt, ask = question_row()
    panes, buttons, reveal = answer_panes()
    ratings = ratings_section()
    overall, rate_all, export, files = all_votes_fold()
    max_tokens = generation_settings()
    return ArenaScreen(
        adapted=adapted,
        skill=skill,
        lams=lams,
        prompt=prompt,
        ask=ask,
        panes=panes,
        buttons=buttons,
        reveal=reveal,
        ratings=ratings,
        overall=overall,
        rate_all=rate_all,
        export=export,
        files=files,
        max_tokens=max_tokens,
        session_id=gr.State(""),
        board_api=gr.Button(visible=False),
    )


def pick_row() -> tuple[gr.Dropdown, gr.Dropdown, gr.Textbox]:
    """The adapted model, the skill and the λ values to compare."""
    with gr.Row():
        adapted = gr.Dropdown([], label="Adapted model", allow_custom_value=True, elem_id="arena-adapted", scale=3)
        skill = gr.Dropdown([], label="Skill", allow_custom_value=True, elem_id="arena-skill", scale=2)
        lams = gr.Textbox(
            ", ".join(f"{v:g}" for v in DEFAULT_LAMBDAS), label="λ values to compare", scale=2, elem_id="arena-lams"
        )
    return adapted, skill, lams


def question_row() -> tuple[gr.Textbox, gr.Button]:
    with gr.Row():
        prompt = gr.Textbox(
            placeholder="A question about your documents…", show_label=False, scale=6, elem_id="arena-prompt"
        )
        ask = gr.Button("Ask", variant="primary", scale=1, elem_id="arena-ask")
    return prompt, ask


def answer_panes() -> tuple[list[gr.Chatbot], list[gr.Button], gr.Markdown]:
    """The two blind answers, the vote buttons and the line that says what is happening (then who was who)."""
    with gr.Row(equal_height=False):
        left = gr.Chatbot(label="Model 1", height=300, elem_id="arena-left")
        right = gr.Chatbot(label="Model 2", height=300, elem_id="arena-right")
    with gr.Row():
        buttons = [gr.Button(label, interactive=False, size="sm", elem_id=ELEM[c]) for label, c in BUTTONS.items()]
    reveal = gr.Markdown("", elem_id="arena-reveal")
    return [left, right], buttons, reveal


def ratings_section() -> list:
    """The λ board of the picked pair: [board, recommendation, basis] (the order handlers return them in)."""
    recommendation = gr.Markdown("", elem_id="arena-recommendation")
    board = gr.Dataframe(headers=BOARD_HEADERS, interactive=False, label="λ ratings", elem_id="arena-board")
    basis = gr.Markdown("")
    return [board, recommendation, basis]


def all_votes_fold() -> tuple[list, gr.Button, gr.Button, gr.File]:
    """Every A/B vote rated together, and the downloads."""
    with gr.Accordion("Every A/B vote: leaderboard and downloads", open=False, elem_id="arena-all-votes"):
        gr.Markdown(
            "All votes from A/B chat (blind mode) and the λ arena, each side named by its model, adapted "
            "model, skill and λ."
        )
        overall = gr.Dataframe(headers=BOARD_HEADERS, interactive=False, elem_id="arena-overall")
        overall_basis = gr.Markdown("")
        with gr.Row():
            rate_all = gr.Button("Rate all votes", size="sm", elem_id="arena-rate-all")
            export = gr.Button("Download votes and ratings (JSON, CSV)", size="sm", elem_id="arena-export")
        files = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="arena-files")
    return [overall, overall_basis], rate_all, export, files


def generation_settings() -> gr.Slider:
    with gr.Accordion("Generation settings", open=False, elem_id="arena-settings"):
        return gr.Slider(16, 512, value=128, step=16, label="Longest answer (tokens)", elem_id="arena-max-tokens")


# -- events ----------------------------------------------------------------------------------------------------


def wire_ask(arena: Arena, s: ArenaScreen) -> None:
    """Ask (the ``/arena_ask`` API). The waiting line shows at once, before a slot is free; it is registered
    before the reply, whose frames must land after it."""
    reply = arena.ctx.guard.generation(bind(respond, arena))  # the per-user cap on replies written at once
    s.ask.click(waiting_note, None, s.reveal, api_name=False, queue=False)
    event = s.ask.click(
        reply,
        [s.prompt, s.adapted, s.skill, s.lams, s.max_tokens],
        [*s.panes, s.prompt, s.reveal, s.session_id],
        api_name="arena_ask",
        concurrency_id="generate",
        concurrency_limit=GENERATE_CONCURRENCY,
    )
    event.then(bind(vote_buttons, arena), s.session_id, s.buttons, api_name=False)


def wire_votes(arena: Arena, s: ArenaScreen) -> None:
    """The vote buttons (the first one is the ``/arena_vote`` API): a vote reveals the λ and updates the board."""
    vote = arena.ctx.guard.audited("arena_vote", target=2)(bind(cast, arena))
    for i, button in enumerate(s.buttons):
        button.click(
            vote,
            [button, s.session_id, s.adapted, s.skill],
            [*s.buttons, s.reveal, *s.ratings],
            api_name="arena_vote" if i == 0 else False,
        )


def wire_ratings(arena: Arena, s: ArenaScreen) -> None:
    """The board follows the picked pair; every vote rated together; the downloads."""
    pair = [s.adapted, s.skill]
    s.adapted.input(bind(skill_of, arena), pair, s.skill, api_name=False).then(
        bind(ratings, arena), pair, s.ratings, api_name=False
    )
    s.skill.input(bind(ratings, arena), pair, s.ratings, api_name=False)
    s.rate_all.click(bind(rate_everything, arena), None, s.overall, api_name="arena_rate_all")
    s.export.click(bind(export_arena, arena), pair, s.files, api_name="arena_export")
    s.board_api.click(bind(ratings, arena), pair, s.ratings, api_name="arena_ratings")


# -- handlers --------------------------------------------------------------------------------------------------


def board_rows(board: Leaderboard | None) -> list[list]:
    if board is None:
        return []
    return [
        [i, r.competitor, round(r.rating), f"{r.low:.0f} – {r.high:.0f}", r.votes, r.wins, r.losses, r.ties]
        for i, r in enumerate(board.ratings, start=1)
    ]


def board_basis(board: Leaderboard | None) -> str:
    if board is None:
        return "No votes yet."
    return (
        f"Measured on {board.votes} blind votes; Bradley–Terry ratings on the Elo scale (1000 = average, "
        f"+400 = 10:1 odds of winning), {board.confidence:.0%} intervals from {board.bootstrap} bootstrap resamples "
        "of the votes; a tie counts half a win to each side, 'both bad' as a tie."
    )


def waiting_note() -> str:
    return WAITING


def choices(arena: Arena) -> tuple:
    """The adapted models (newest first, the newest picked) and the skills (its own skill picked)."""
    models = adapted_models(arena.ctx.settings)
    skills = [m.name for m in arena.ctx.skills.list()]
    first = models[0] if models else None
    return (
        gr.update(choices=[(m.label, m.name) for m in models], value=first.name if first else None),
        gr.update(choices=skills, value=first.skill if first and first.skill in skills else None),
    )


def skill_of(arena: Arena, name: str | None, current: str | None) -> dict:
    """Picking an adapted model picks the skill it was made with (if it names one)."""
    found = next((m for m in adapted_models(arena.ctx.settings) if m.name == name), None)
    return gr.update(value=found.skill) if found and found.skill else gr.update(value=current)


def ratings(arena: Arena, name: str | None, skill_name: str | None) -> tuple:
    """(board rows, recommendation, basis) of the λ of ``name`` + ``skill_name``."""
    if not name or not skill_name:
        return [], "Pick an adapted model and a skill.", ""
    found, rec = lambda_board(arena.ctx.settings, arena.ctx.chats.votes(), name, skill_name)
    advice = f" → use **λ {rec.competitor.removeprefix('λ ')}**." if rec.competitor else ""
    return board_rows(found), f"**Recommendation:** {rec.reason}{advice}", board_basis(found)


@user_errors
def respond(
    arena: Arena, message: str, name: str | None, skill_name: str | None, lam_text: str, limit: float
) -> Iterator:
    """Two λ of ``name`` + ``skill_name`` answer ``message`` blind, side by side; the turn is saved when they end
    (also when stopped), ready for a vote."""
    message = (message or "").strip()
    if not message:
        raise gr.Error("Type a question first: an empty message is not sent.")
    if not name or not skill_name:
        raise gr.Error("Pick an adapted model and a skill first (adapted models come from the Adapt screen).")
    settings = arena.ctx.settings
    base, lam_a, lam_b = question_pair(settings, arena.ctx.chats.votes(), name, skill_name, lam_text)
    yield [], [], "", PREPARING, ""
    real = {
        key: Side(base, str(arena_adapter(settings, name, skill_name, lam)))
        for key, lam in (("a", lam_a), ("b", lam_b))
    }
    session = arena.conversations.start(real, blind=True)
    params = GenerationParams(max_new_tokens=int(limit), temperature=0.0)
    replies = ["", ""]
    try:
        yield from stream_answers(arena, session, message, replies, params)
        yield answer_frame(message, replies, VOTE_NOW, session.id)
    finally:
        saved = {k: r or "(no reply)" for k, r in zip(session.order(), replies, strict=True)}
        arena.conversations.add_turn(session.id, message, saved, real)


def stream_answers(
    arena: Arena, session: ABSession, message: str, replies: list[str], params: GenerationParams
) -> Iterator:
    """The frames while both models load and answer; ``replies`` (left, right) fill as they stream."""
    specs = [SideSpec(model=session.sides[k].model, adapter=Path(session.sides[k].adapter)) for k in session.order()]
    loaded = [False, False]
    user = {"role": "user", "content": message}
    for event in arena.ctx.engine.stream(specs, [[user], [user]], params):
        if event.kind == "ready":
            loaded[event.side] = True
            waiting = [f"Model {i + 1}" for i, done in enumerate(loaded) if not done]
            yield answer_frame(
                message, replies, f"Loading {' and '.join(waiting)}…" if waiting else ANSWERING, session.id
            )
            continue
        if event.kind == "text":
            replies[event.side] += event.text
        elif event.kind == "error":
            replies[event.side] += f"\n\n⚠ {event.text}"
        yield answer_frame(message, replies, ANSWERING, session.id)


def answer_frame(message: str, replies: list[str], note: str, sid: str) -> tuple:
    """(left pane, right pane, question box, note, session id)."""
    user = {"role": "user", "content": message}
    panes = [[user, {"role": "assistant", "content": r}] if r else [user] for r in replies]
    return panes[0], panes[1], "", note, sid


def vote_buttons(arena: Arena, sid: str) -> list:
    """The vote buttons: usable while the latest answer has no vote yet."""
    session = arena.conversations.get(sid) if sid else None
    turns = arena.conversations.turns(sid) if session else []
    open_vote = bool(turns) and turns[-1].voted is None and len(turns[-1].replies) == 2
    return [gr.update(interactive=open_vote)] * len(BUTTONS)


@user_errors
def cast(arena: Arena, label: str, sid: str, name: str | None, skill_name: str | None) -> tuple:
    """A vote on the latest answer: the buttons close, the λ are revealed and the board updates."""
    session = arena.conversations.get(sid) if sid else None
    if session is None:
        raise VoteError("Ask a question first, then vote on the two answers.")
    winner = arena.conversations.vote(session, choice_of(label))
    closed = [gr.update(interactive=False)] * len(BUTTONS)
    return (*closed, reveal_lambdas(arena, session, winner), *ratings(arena, name, skill_name))


def reveal_lambdas(arena: Arena, session: ABSession, winner: str) -> str:
    """The vote in words and which λ each displayed model was."""
    shown = []
    for number, key in enumerate(session.order(), start=1):
        side = identify(arena.ctx.settings, session.sides[key].ref())
        shown.append(f"**Model {number}** was {lam_name(side.lam) if side.lam is not None else side.label}")
    if winner in ("a", "b"):
        picked = "Model 1" if session.order()[0] == winner else "Model 2"
    else:
        picked = WINNER_WORDS[winner]
    return f"Your vote: **{picked}**. " + "; ".join(shown) + ". Ask another question to keep going."


def rate_everything(arena: Arena) -> tuple:
    found = all_votes_board(arena.ctx.settings, arena.ctx.chats.votes())
    return board_rows(found), board_basis(found)


@user_errors
def export_arena(arena: Arena, name: str | None, skill_name: str | None) -> list[str]:
    """Every vote, the ratings of every vote and of the picked pair's λ, as JSON and CSV files."""
    settings, rows = arena.ctx.settings, arena.ctx.chats.votes()
    if not rows:
        raise gr.Error("There are no votes to download yet.")
    out = download_dir(settings, "arena-")
    paths = export_votes(settings, rows, out)
    if (everything := all_votes_board(settings, rows)) is not None:
        paths += export_board(everything, out, "ratings-all-votes")
    if name and skill_name:
        found, _ = lambda_board(settings, rows, name, skill_name)
        if found is not None:
            paths += export_board(found, out, f"ratings-lambda-{name}")
    return [str(p) for p in paths]


def restore(arena: Arena) -> tuple:
    """When the screen opens: the pickers' choices and the board of the pair picked."""
    picked_model, picked_skill = choices(arena)
    name, skill_name = picked_model.get("value"), picked_skill.get("value")
    return (picked_model, picked_skill, *ratings(arena, name, skill_name))
