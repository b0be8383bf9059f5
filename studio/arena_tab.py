"""The Arena screen: a blind λ arena for one adapted model, and the leaderboard of every A/B vote.

λ arena: pick an adapted model (published by Adapt) and a skill, list the λ values to compare, ask a
question. Two of the λ answer it side by side as "Model 1"/"Model 2" (which λ sits left is shuffled and
hidden); vote, the λ are revealed, and the ratings (Bradley–Terry on the Elo scale, 95 % bootstrap
intervals) and the recommended λ update. All logic lives in ``backend.lambda_arena`` and
``past.analysis.arena``; votes are stored with the A/B chat's (``backend.chat_sessions``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from backend.adapter_catalog import identify
from backend.chat_sessions import ABConversations, Side, VoteError
from backend.lambda_arena import (
    DEFAULT_LAMBDAS,
    adapted_models,
    all_votes_board,
    arena_adapter,
    export_board,
    export_votes,
    lam_name,
    lambda_board,
    lambda_votes,
    next_pair,
    parse_lambdas,
)
from past.analysis.arena import Leaderboard
from past.serving.engine import SideSpec
from past.serving.generation import GenerationParams
from studio.ab_votes import BUTTONS, choice_of
from studio.context import GENERATE_CONCURRENCY, StudioContext
from studio.downloads import download_dir
from studio.errors import user_errors
from studio.screen import OnLoad, StudioUI

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


WAITING = "Waiting for a free reply slot, then loading the models (the first answer may take up to a minute)…"


def render(ctx: StudioContext, ui: StudioUI | None = None) -> list[OnLoad]:
    conversations = ABConversations(ctx.chats)
    gr.Markdown(INTRO)
    with gr.Row():
        adapted = gr.Dropdown([], label="Adapted model", allow_custom_value=True, elem_id="arena-adapted", scale=3)
        skill = gr.Dropdown([], label="Skill", allow_custom_value=True, elem_id="arena-skill", scale=2)
        lams = gr.Textbox(
            ", ".join(f"{v:g}" for v in DEFAULT_LAMBDAS), label="λ values to compare", scale=2, elem_id="arena-lams"
        )
    with gr.Row():
        prompt = gr.Textbox(
            placeholder="A question about your documents…", show_label=False, scale=6, elem_id="arena-prompt"
        )
        ask = gr.Button("Ask", variant="primary", scale=1, elem_id="arena-ask")
    with gr.Row(equal_height=False):
        left = gr.Chatbot(label="Model 1", height=300, elem_id="arena-left")
        right = gr.Chatbot(label="Model 2", height=300, elem_id="arena-right")
    with gr.Row():
        buttons = [gr.Button(label, interactive=False, size="sm", elem_id=ELEM[c]) for label, c in BUTTONS.items()]
    reveal = gr.Markdown("", elem_id="arena-reveal")
    recommendation = gr.Markdown("", elem_id="arena-recommendation")
    board = gr.Dataframe(headers=BOARD_HEADERS, interactive=False, label="λ ratings", elem_id="arena-board")
    basis = gr.Markdown("")
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
    with gr.Accordion("Generation settings", open=False, elem_id="arena-settings"):
        max_tokens = gr.Slider(16, 512, value=128, step=16, label="Longest answer (tokens)", elem_id="arena-max-tokens")
    session_id = gr.State("")

    def choices() -> tuple:
        models = adapted_models(ctx.settings)
        skills = [m.name for m in ctx.skills.list()]
        first = models[0] if models else None
        return (
            gr.update(choices=[(m.label, m.name) for m in models], value=first.name if first else None),
            gr.update(choices=skills, value=first.skill if first and first.skill in skills else None),
        )

    def skill_of(name: str | None, current: str | None):
        found = next((m for m in adapted_models(ctx.settings) if m.name == name), None)
        return gr.update(value=found.skill) if found and found.skill else gr.update(value=current)

    def ratings(name: str | None, skill_name: str | None) -> tuple:
        if not name or not skill_name:
            return [], "Pick an adapted model and a skill.", ""
        found, rec = lambda_board(ctx.settings, ctx.chats.votes(), name, skill_name)
        return (
            board_rows(found),
            f"**Recommendation:** {rec.reason}"
            + (f" → use **λ {rec.competitor.removeprefix('λ ')}**." if rec.competitor else ""),
            board_basis(found),
        )

    @user_errors
    def respond(message: str, name: str | None, skill_name: str | None, lam_text: str, limit: float) -> Iterator:
        message = (message or "").strip()
        if not message:
            raise gr.Error("Type a question first: an empty message is not sent.")
        if not name or not skill_name:
            raise gr.Error("Pick an adapted model and a skill first (adapted models come from the Adapt screen).")
        values = parse_lambdas(lam_text)
        base = next((m.base for m in adapted_models(ctx.settings) if m.name == name), None)
        if base is None:
            raise gr.Error(f"There is no adapted model named {name!r} with a fine-tune to add the skill to.")
        lam_a, lam_b = next_pair(values, lambda_votes(ctx.settings, ctx.chats.votes(), name, skill_name))
        yield [], [], "", "Preparing the two models: the skill is added at each λ (written once, then kept)…", ""
        real = {
            key: Side(base, str(arena_adapter(ctx.settings, name, skill_name, lam)))
            for key, lam in (("a", lam_a), ("b", lam_b))
        }
        session = conversations.start(real, blind=True)
        order = session.order()
        specs = [SideSpec(model=real[k].model, adapter=Path(real[k].adapter)) for k in order]
        replies = ["", ""]
        loaded = [False, False]
        user = {"role": "user", "content": message}

        def frame(note: str) -> tuple:
            panes = [[user, {"role": "assistant", "content": r}] if r else [user] for r in replies]
            return panes[0], panes[1], "", note, session.id

        params = GenerationParams(max_new_tokens=int(limit), temperature=0.0)
        try:
            for event in ctx.engine.stream(specs, [[user], [user]], params):
                if event.kind == "ready":
                    loaded[event.side] = True
                    waiting = [f"Model {i + 1}" for i, done in enumerate(loaded) if not done]
                    yield frame(f"Loading {' and '.join(waiting)}…" if waiting else "Both models are answering…")
                    continue
                if event.kind == "text":
                    replies[event.side] += event.text
                elif event.kind == "error":
                    replies[event.side] += f"\n\n⚠ {event.text}"
                yield frame("Both models are answering…")
            yield frame("Which answer is better? Vote once; the λ values are revealed after your vote.")
        finally:
            conversations.add_turn(
                session.id, message, {k: r or "(no reply)" for k, r in zip(order, replies, strict=True)}, real
            )

    def vote_buttons(sid: str) -> list:
        session = conversations.get(sid) if sid else None
        turns = conversations.turns(sid) if session else []
        open_vote = bool(turns) and turns[-1].voted is None and len(turns[-1].replies) == 2
        return [gr.update(interactive=open_vote)] * len(buttons)

    @user_errors
    def cast(label: str, sid: str, name: str | None, skill_name: str | None) -> tuple:
        session = conversations.get(sid) if sid else None
        if session is None:
            raise VoteError("Ask a question first, then vote on the two answers.")
        winner = conversations.vote(session, choice_of(label))
        shown = []
        for number, key in enumerate(session.order(), start=1):
            side = identify(ctx.settings, session.sides[key].ref())
            shown.append(f"**Model {number}** was {lam_name(side.lam) if side.lam is not None else side.label}")
        words = {"a": "side A", "b": "side B", "tie": "a tie", "both_bad": "both bad"}
        picked = ("Model 1" if session.order()[0] == winner else "Model 2") if winner in ("a", "b") else words[winner]
        reveal_text = f"Your vote: **{picked}**. " + "; ".join(shown) + ". Ask another question to keep going."
        return (*[gr.update(interactive=False)] * len(buttons), reveal_text, *ratings(name, skill_name))

    def rate_everything() -> tuple:
        found = all_votes_board(ctx.settings, ctx.chats.votes())
        return board_rows(found), board_basis(found)

    @user_errors
    def do_export(name: str | None, skill_name: str | None) -> list[str]:
        rows = ctx.chats.votes()
        if not rows:
            raise gr.Error("There are no votes to download yet.")
        out = download_dir(ctx.settings, "arena-")
        paths = export_votes(ctx.settings, rows, out)
        if (everything := all_votes_board(ctx.settings, rows)) is not None:
            paths += export_board(everything, out, "ratings-all-votes")
        if name and skill_name:
            found, _ = lambda_board(ctx.settings, rows, name, skill_name)
            if found is not None:
                paths += export_board(found, out, f"ratings-lambda-{name}")
        return [str(p) for p in paths]

    rating_outputs = [board, recommendation, basis]
    respond = ctx.guard.generation(respond)  # the per-user cap on replies being written at once
    cast = ctx.guard.audited("arena_vote", target=2)(cast)
    # at once, before a slot is free; registered before the reply, whose frames must land after it
    ask.click(lambda: WAITING, None, reveal, api_name=False, queue=False)
    event = ask.click(
        respond,
        [prompt, adapted, skill, lams, max_tokens],
        [left, right, prompt, reveal, session_id],
        api_name="arena_ask",
        concurrency_id="generate",
        concurrency_limit=GENERATE_CONCURRENCY,
    )
    event.then(vote_buttons, session_id, buttons, api_name=False)
    for i, button in enumerate(buttons):
        button.click(
            cast,
            [button, session_id, adapted, skill],
            [*buttons, reveal, *rating_outputs],
            api_name="arena_vote" if i == 0 else False,
        )
    adapted.input(skill_of, [adapted, skill], skill, api_name=False).then(
        ratings, [adapted, skill], rating_outputs, api_name=False
    )
    skill.input(ratings, [adapted, skill], rating_outputs, api_name=False)
    rate_all.click(rate_everything, None, [overall, overall_basis], api_name="arena_rate_all")
    export.click(do_export, [adapted, skill], files, api_name="arena_export")
    # the board for the picked pair, callable by API clients too
    gr.Button(visible=False).click(ratings, [adapted, skill], rating_outputs, api_name="arena_ratings")

    def restore() -> tuple:
        picked_model, picked_skill = choices()
        name, skill_name = picked_model.get("value"), picked_skill.get("value")
        return (picked_model, picked_skill, *ratings(name, skill_name))

    return [OnLoad(restore, [], [adapted, skill, *rating_outputs], on_show=True)]
