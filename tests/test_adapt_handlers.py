"""The Adapt screen's handlers, called directly with plain values over a real backend (no browser, no studio).

A data directory of its own (the default model linked from the session's), two collections, the bundled skill;
jobs are recorded in its store and never run (no runner watches it).
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio.utils import get_type_hints

from backend.bootstrap import seed_default_skills
from backend.jobs.service import JobService
from backend.store import JobRepository, Store
from past.adapt_params import preset_epochs
from past.evaluation.report_card import BASE, BASE_DOCS, FINE_TUNED, INJECTED
from past.models import ModelRegistry
from past.settings import Settings
from past.skills import SkillLibrary
from studio import adapt_card, adapt_tab
from studio.bind import bind
from studio.context import StudioContext
from studio.guard import Guard

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "assets" / "documents"
SKILL = "closed-book-qa-smollm2-135m"


@pytest.fixture(scope="module")
def ctx(session_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> StudioContext:
    settings = Settings.load(tmp_path_factory.mktemp("adapt-handlers") / "data")
    settings.data_dir.mkdir(parents=True)
    settings.models_dir.symlink_to(session_settings.models_dir)  # the default model, already converted
    settings = settings.ensure()
    seed_default_skills(settings)
    store = Store(settings.db_path)
    context = StudioContext(
        settings=settings,
        registry=ModelRegistry(settings),
        models=None,  # type: ignore[arg-type]  # no chat on this screen
        engine=None,  # type: ignore[arg-type]
        engine_choice=None,  # type: ignore[arg-type]
        store=store,
        jobs=JobService(settings, store=store),
        skills=SkillLibrary(settings),
        guard=Guard(),
    )
    context.documents.upload_paths([DOCS / "quillmere-handbook.md"], "alpha")  # no questions
    context.documents.upload_paths([DOCS / "isle-of-vessary.md", DOCS / "isle-of-vessary.qa.json"], "isle")
    return context


def value(update: Any) -> Any:
    """The value a gr.update sets (KeyError when it sets none)."""
    return update["value"]


def finished(ctx: StudioContext, kind: str, params: dict[str, Any], result: dict[str, Any], ago: float) -> str:
    """A job recorded as succeeded ``ago`` seconds ago with ``result`` (what a worker would have written)."""
    jobs = JobRepository(ctx.store)
    job = jobs.insert(kind=kind, params=params, inputs={}, depends_on=[], resources=[], executor="local")
    jobs.update(job.id, state="succeeded", progress=1.0, result=result, finished_at=time.time() - ago)
    return job.id


def card(forgot: bool) -> dict[str, Any]:
    """A report card of a skill-injected model, 3 questions; general knowledge 12 of 20 before, 7 or 12 after."""
    systems = [
        {"label": label, "correct": correct, "n": 3, "accuracy": correct / 3, "accuracy_ci": [0.0, 1.0]}
        | {"f1": 0.5, "f1_ci": [0.2, 0.8]}
        for label, correct in ((BASE, 0), (FINE_TUNED, 2), (INJECTED, 2), (BASE_DOCS, 3))
    ]
    probe = {"n_questions": 20, "base": 12, "adapted": 7 if forgot else 12, "answers": []}
    return {
        "adapted": "isle-v1",
        "collection": "isle",
        "adapted_label": INJECTED,
        "n_questions": 3,
        "systems": systems,
        "forgetting": probe,
        "answers": [],
    }


def test_launch_refuses_a_bad_lambda_schedule_with_the_words_shown_beside_the_field(ctx: StudioContext) -> None:
    model, bad = ctx.settings.default_model, "0.8,bogus=1"
    note = adapt_tab.schedule_note(bad)
    assert note.startswith("⚠️") and "unknown module 'bogus' in λ" in note  # beside the field, as it is typed
    before = len(ctx.jobs.list(kind=adapt_tab.KIND))
    with pytest.raises(gr.Error, match="unknown module 'bogus' in λ"):  # and the same words when Launch is pressed
        adapt_tab.do_launch(ctx, model, "isle", SKILL, 0.8, "", 10, "short-notes", bad)
    with pytest.raises(gr.Error, match="Choose a document collection"):
        adapt_tab.do_launch(ctx, model, None, SKILL, 0.8, "", 10, "short-notes")
    with pytest.raises(gr.Error, match="Choose a skill built on this base model"):
        adapt_tab.do_launch(ctx, model, "isle", None, 0.8, "", 10, "short-notes")
    assert len(ctx.jobs.list(kind=adapt_tab.KIND)) == before, "a refused launch records no job"
    schedule = "0.8,mlp=1.0,layers=0-9:0.3"
    assert adapt_tab.schedule_note(schedule).startswith("✓ Launch sends this schedule")
    job_id, button = adapt_tab.do_launch(ctx, model, "isle", SKILL, 0.5, " v1 ", 10, "short-notes", schedule)
    job = ctx.jobs.get(job_id)
    assert job.params["lam"] == {"default": 0.8, "modules": {"mlp": 1.0}, "layers": [[0, 9, 0.3]]}
    assert job.params["name"] == "v1" and job.params["epochs"] is None  # the preset's own passes: no override
    assert button["interactive"] is False  # one launch per press
    ctx.jobs.cancel(job_id)


def test_the_estimate_comes_from_the_backend_for_the_preset_and_passes_shown(ctx: StudioContext) -> None:
    model = ctx.settings.default_model
    assert adapt_tab.show_estimate(ctx, model, None, "short-notes", 10) == ""  # nothing chosen yet
    assert adapt_tab.show_estimate(ctx, None, "isle", "short-notes", 10) == ""
    note = adapt_tab.show_estimate(ctx, model, "isle", "short-notes", preset_epochs("short-notes"))
    assert note.startswith("Estimated time: **about ") and "in 1 document(s)" in note
    questions = len(ctx.documents.qa_pairs("isle"))
    assert f"Then the report card ({questions} questions and the forgetting check)" in note
    assert "report card" not in adapt_tab.show_estimate(ctx, model, "alpha", "short-notes", 10)  # no questions

    def steps(passes: int) -> int:
        text = adapt_tab.show_estimate(ctx, model, "isle", "short-notes", passes)
        return int(re.search(r"(\d+) training steps", text).group(1))

    assert abs(steps(10) - 2 * steps(5)) <= 1  # the passes the slider shows are the ones estimated
    assert "writing practice material" in note  # short-notes writes implications; passage-only writes nothing
    assert "writing practice material" not in adapt_tab.show_estimate(ctx, model, "isle", "passage-only", 1)


def test_reopening_the_page_mid_run_shows_the_form_the_run_was_launched_with(ctx: StudioContext) -> None:
    model = ctx.settings.default_model
    job_id, _ = adapt_tab.do_launch(ctx, model, "isle", SKILL, 0.6, "", 3, "long-document")
    try:
        base, collection, skill, note, shown_id, lam, preset, passes = adapt_tab.load_choices(ctx)
        assert value(base) == model and value(collection) == "isle" and collection["choices"] == ["alpha", "isle"]
        assert value(skill) == SKILL and note == "" and shown_id == job_id
        assert value(lam) == 0.6 and value(preset) == "long-document" and value(passes) == 3
    finally:
        ctx.jobs.cancel(job_id)
    _, collection, _, _, shown_id, lam, preset, passes = adapt_tab.load_choices(ctx)
    assert value(collection) == "alpha" and shown_id == job_id  # a finished run: the defaults, the run still shown
    assert "value" not in lam and "value" not in preset and "value" not in passes


def test_a_card_that_found_forgetting_offers_the_gentler_setting(ctx: StudioContext) -> None:
    params = {"base": "default", "collection": "isle", "skill": SKILL, "lam": 0.8, "epochs": 4, "preset": "short-notes"}
    adapt_id = finished(ctx, adapt_tab.KIND, params, {"name": "isle-v1"}, ago=3600)
    card_id = finished(ctx, adapt_card.CARD_KIND, {"adapted": "isle-v1", "collection": "isle"}, card(True), ago=60)
    text, details, chart, _, button, row, gentle_btn, gentle, key = adapt_card.watch_card(ctx, adapt_id, "", None)
    assert "It forgot some general knowledge: 7 of 20, was 12" in text and "95 % interval" in details
    assert chart["visible"] is True and button["interactive"] is True and key.startswith(card_id)
    assert row["visible"] is True and gentle == {"passes": 2, "lam": 0.4}  # half the passes, half the λ
    assert value(gentle_btn) == "Use the gentler setting (2 passes, λ 0.4)"
    passes, lam, words = adapt_card.use_gentler(gentle)
    assert value(passes) == 2 and value(lam) == 0.4
    assert words == "Set (2 passes, λ 0.4): press **Launch** to adapt again."
    assert adapt_card.use_gentler(None) == ({"__type__": "update"},) * 3
    assert adapt_card.watch_card(ctx, adapt_id, key, None) == ({"__type__": "update"},) * 8 + (key,)  # unchanged

    JobRepository(ctx.store).update(card_id, result=card(False))  # it kept its general knowledge: nothing offered
    *_, row, _, gentle, _ = adapt_card.watch_card(ctx, adapt_id, "", None)
    assert row["visible"] is False and gentle is None


def test_a_run_without_questions_says_how_to_get_a_card(ctx: StudioContext) -> None:
    adapt_id = finished(ctx, adapt_tab.KIND, {"collection": "alpha", "epochs": 2}, {"name": "alpha-v1"}, ago=3600)
    text, *_, row, _, gentle, key = adapt_card.watch_card(ctx, adapt_id, "", None)
    assert "The collection 'alpha' has no questions" in text and adapt_card.ATTACH_HERE in text
    assert row["visible"] is False and gentle is None and key == "none:alpha-v1:False"
    with pytest.raises(gr.Error, match="has no questions"):
        adapt_card.make_card(ctx, adapt_id)
    with pytest.raises(gr.Error, match="finished adaptation"):
        adapt_card.make_card(ctx, "")


def test_the_form_says_before_launch_when_the_skill_was_built_for_another_preset(
    ctx: StudioContext, tmp_path: Path
) -> None:
    built = tmp_path / "built-for-recall"
    shutil.copytree(ROOT / "assets" / "skills" / SKILL, built)
    manifest = json.loads((built / "skill.json").read_text())
    manifest["recipe"] = {**manifest["recipe"], "preset": "recall-practice"}
    (built / "skill.json").write_text(json.dumps(manifest))
    ctx.skills.import_path(built, "built-for-recall")
    note = adapt_tab.preset_fit(ctx, "built-for-recall", "short-notes")
    assert note.startswith("⚠️ This skill was built for the preset 'recall-practice'")
    assert "injected after 'short-notes'" in note and "What to learn from" in note
    assert adapt_tab.preset_fit(ctx, "built-for-recall", "recall-practice") == ""  # fits
    # a skill naming no preset: no warning, but the library's skill built for the chosen preset is named
    assert adapt_tab.preset_fit(ctx, SKILL, "recall-practice").startswith("ℹ️ The library's ")
    assert "was built for 'recall-practice'" in adapt_tab.preset_fit(ctx, SKILL, "recall-practice")
    assert adapt_tab.preset_fit(ctx, SKILL, "short-notes") == ""  # none built for short-notes
    assert adapt_tab.preset_fit(ctx, "no-such-skill", "short-notes") == ""  # a typed name: the launch refuses it
    assert adapt_tab.preset_fit(ctx, None, None) == ""
    assert adapt_tab.preset_fit(ctx, "built-for-recall", "<img src=x onerror=alert(1)>") == ""  # not echoed
    with gr.Blocks() as demo:
        adapt_tab.render(ctx)
    fits = [f for f in demo.fns.values() if f.fn.__name__ == "preset_fit"]
    assert len(fits) == 2 and all(len(f.inputs) == 2 and len(f.outputs) == 1 for f in fits)  # skill and preset


def test_the_screen_wires_its_handlers_as_gradio_reads_them(ctx: StudioContext) -> None:
    bound = bind(adapt_card.watch_card, ctx)
    assert list(inspect.signature(bound).parameters) == ["current", "shown", "request"]
    assert get_type_hints(bound)["request"] is gr.Request  # so Gradio fills it (functools.partial alone hides it)
    with gr.Blocks() as demo:
        loads = adapt_tab.render(ctx)
    fns = {f.fn.__name__: f for f in demo.fns.values()}
    assert len(fns["watch_card"].outputs) == len(adapt_card.watch_card(ctx, "", "", None))
    assert len(fns["watch"].outputs) == len(adapt_tab.watch(ctx, ""))
    assert len(loads[0].outputs) == len(adapt_tab.load_choices(ctx))
    api = {f.api_name: f.fn.__name__ for f in demo.fns.values()}
    assert api["adapt"] == "do_launch" and api["report_card"] == "make_card"  # the two calls of the API
