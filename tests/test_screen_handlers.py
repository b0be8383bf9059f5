"""The screens' handlers called directly (no browser, no studio process): each is a module-level function of the
studio's context and the components' values, over a real store, job service, document service and skill library
in a temporary data directory."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from backend.analysis import MODULE_WORDS
from backend.documents import DocumentService
from backend.jobs.service import JobService
from backend.path_policy import PathPolicy
from backend.store import Store
from past.models import ModelRegistry
from past.settings import Settings
from past.skills import SkillLibrary, skill_from_adapter
from studio import analyze_tab, build_tab, chat_tab, documents_tab, evaluate_tab, jobs_tab, skills_tab, tools_tab
from studio.app import SCREENS
from studio.guard import Guard

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "assets" / "skills" / "closed-book-qa-smollm2-135m"
# The screens whose handlers live at module level (issue 24): render only lays out and wires.
THIN = {"Chat", "Documents", "Skill library", "Build a skill", "Jobs", "Tools", "Evaluate", "Analyse"}
THIN_SCREENS = [screen for label, screen in SCREENS if label in THIN]
QUESTIONS = {"doc_id": "capitals", "questions": [{"question": "Capital of France?", "answer": "Paris"}]}


def no_progress(*_: object, **__: object) -> None:
    """Stands in for ``gr.Progress`` outside a request."""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(tmp_path / "data").ensure()


@pytest.fixture
def ctx(settings: Settings) -> SimpleNamespace:
    store = Store(settings.db_path)
    return SimpleNamespace(
        settings=settings,
        store=store,
        jobs=JobService(settings, store=store),
        documents=DocumentService(settings, store),
        skills=SkillLibrary(settings),
        registry=ModelRegistry(settings),
        guard=Guard(),
        engine=None,
    )


def write(folder: Path, name: str, content: object) -> str:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


# -- the screens are thin ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("screen", THIN_SCREENS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_render_only_lays_out_and_wires(screen) -> None:
    """No handler defined inside a function of the screen, and no function over ~80 lines."""
    tree = ast.parse(Path(screen.__file__).read_text())
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        inner = [n.name for n in ast.walk(function) if isinstance(n, ast.FunctionDef) and n is not function]
        assert not inner, f"{function.name} defines {inner}: make them module-level functions"
        assert function.end_lineno - function.lineno < 80, f"{function.name} is too long to follow"


def test_every_screen_builds_and_names_its_api(ctx: SimpleNamespace) -> None:
    with gr.Blocks() as demo:
        for screen in THIN_SCREENS:
            screen.render(ctx)
    names = {f.api_name for f in demo.fns.values()}
    assert {
        "analyze",
        "evaluation_results",
        "list_skills",
        "import_skill",
        "export_skill",
        "delete_skill",
        "evaluate",
        "attach_questions",
        "evaluate_status",
        "tools_agent",
        "tools_simulator",
        "upload",
        "delete_document",
        "upload_tools",
        "cancel_job",
        "resume_job",
        "retry_job",
        "build_skill",
        "chat",
    } <= names


# -- Documents -----------------------------------------------------------------------------------------------


def test_documents_delete_says_each_mistake_beside_the_button_and_deletes(ctx, tmp_path: Path) -> None:
    confirm, text, message, *rest = documents_tab.delete(ctx, None, True, "all")
    assert message == documents_tab.PICK_FIRST
    assert all(update == gr.update() for update in (confirm, text, *rest)), "a mistake changes nothing else"
    outcome, _, table, *_ = documents_tab.upload(
        ctx, [write(tmp_path, "notes.md", "# Notes\nThe sky.")], "c", "all", None
    )
    assert "1 of 1 file(s) added to 'c'" in outcome and table[0][1] == "notes.md"
    doc_id = table[0][0]
    assert documents_tab.delete(ctx, doc_id, False, "all")[2] == documents_tab.TICK_FIRST
    assert ctx.documents.list("c"), "nothing is deleted without the tick"
    confirm, text, message, table, picked, *_ = documents_tab.delete(ctx, doc_id, True, "all")
    assert message == "Deleted **notes.md**." and confirm is False and table == [] and picked["value"] is None
    assert not ctx.documents.list("c")
    assert documents_tab.show_text(ctx, None) == ("", ""), "a new pick clears the message"


def test_documents_upload_attaches_a_question_file_and_asks_for_files(ctx, tmp_path: Path) -> None:
    outcome, files, *_ = documents_tab.upload(ctx, None, "c", "all", None)
    assert "Choose one or more files first" in outcome and files == gr.update()
    qa = write(tmp_path, "capitals.qa.json", QUESTIONS)
    outcome, files, table, *_, questions = documents_tab.upload(ctx, [qa], "c", "all", None)
    assert "1 questions, attached to 'c'" in outcome and files is None
    assert table == [] and "capitals.qa.json (1 questions)" in questions, "questions are never stored as text"


# -- Skill library -------------------------------------------------------------------------------------------


def test_skill_library_handlers(ctx) -> None:
    with pytest.raises(gr.Error, match="Pick a skill first"):
        skills_tab.delete_skill(ctx, None, True, None)
    with pytest.raises(gr.Error, match=r"Choose a \.zip file"):
        skills_tab.import_skill(ctx, None, "  ", None, None)
    assert skills_tab.show_skill(ctx, None) == ("", None, None, None, "")
    rows, pick, *_ = skills_tab.import_skill(ctx, None, str(BUNDLED), None, None)
    name = BUNDLED.name
    assert rows[0][0] == name and rows[0][1] == "✗ other base" and pick["value"] == name  # no base picked
    card, manifest, practice, figure, note = skills_tab.show_skill(ctx, name)
    assert f"## {name}" in card and manifest["name"] == name and note == ""
    assert [t.name for t in practice.data] == ["round 1", "round 2"], "its two rounds' practice rewards, drawn"
    assert figure.layout.width is None and figure.layout.autosize, "the heatmap fits its column (never clipped)"
    assert MODULE_WORDS["q_proj"] in figure.data[0].y, "the heatmap's rows are named in plain words"
    assert "judge:" not in card and "oracle" not in card, "how answers were graded is said in words"
    assert "16-bit numbers" in card and "|cos| is the size of the cosine" in card
    with pytest.raises(gr.Error, match="Tick the box"):
        skills_tab.delete_skill(ctx, name, False, None)
    assert ctx.skills.exists(name)
    rows, pick, confirm = skills_tab.delete_skill(ctx, name, True, None)
    assert rows == [] and pick["value"] is None and confirm is False and not ctx.skills.exists(name)


# -- Analyse -------------------------------------------------------------------------------------------------


def adapted_model_and_skill(settings: Settings, tmp_path: Path) -> Path:
    """An adapted model as Adapt publishes it (``<adapters>/mine/baseline``) and a library skill 'noise', both
    LoRA changes of one tiny base model; returns the fine-tune's folder."""
    from tests.skill_fixtures import random_lora
    from tests.tiny_models import make_tiny_llama

    base = make_tiny_llama(tmp_path / "tiny", seed=0)
    baseline = random_lora(base, settings.adapters_dir / "mine" / "baseline", seed=1)
    (settings.adapters_dir / "mine" / "adapted.json").write_text(json.dumps({"name": "mine", "skill": "noise"}))
    adapter = random_lora(base, tmp_path / "rl", seed=2)
    skill_from_adapter(adapter, settings.skills_dir / "noise", name="noise", base_fingerprint="tiny").close()
    return baseline


def test_analyse_offers_and_compares_an_adapted_models_fine_tune(ctx, settings: Settings, tmp_path: Path) -> None:
    """The first picker invites "an adapted model's fine-tune on its documents": it is offered and compared."""
    baseline = adapted_model_and_skill(settings, tmp_path)
    updates = analyze_tab.picker_choices(ctx)
    assert len(updates) == 4 and all(u["choices"] == updates[0]["choices"] for u in updates)
    offered = dict((value, label) for label, value in updates[0]["choices"])
    assert offered["noise"] == "noise (skill)"
    assert "mine: fine-tuned on its documents" in offered[str(baseline)]
    summary, figure, files = analyze_tab.compare_changes(ctx, str(baseline), "noise", None, None, no_progress)
    assert "**mine: fine-tuned on its documents (λ 0) vs noise**: mean |cos| " in summary
    assert "over 6 matrices" in summary and analyze_tab.COSINE_WORDS in summary  # q, v, down × 2 layers
    assert figure.layout.width is None and {Path(f).name for f in files} == {
        "cosine.csv",
        "cosine.json",
        "heatmap.html",
    }
    summary, *_ = analyze_tab.compare_changes(ctx, str(baseline), str(baseline), "noise", "noise", no_progress)
    assert "mean |cos| 1.0000" in summary and "(control)" in summary  # a change is aligned with itself

    # An exposed studio offers the folder relative to the data directory, reads it back, and refuses others.
    ctx.guard = Guard(policy=PathPolicy.for_launch(settings.data_dir, host_is_loopback=False, share=True))
    (relative,) = [value for _, value in analyze_tab.picker_choices(ctx)[0]["choices"] if value.endswith("baseline")]
    assert relative == "adapters/mine/baseline"
    summary, *_ = analyze_tab.compare_changes(ctx, relative, "noise", None, None, no_progress)
    assert "mine: fine-tuned on its documents" in summary and str(settings.data_dir) not in summary
    outside = shutil.copytree(baseline, tmp_path / "elsewhere")
    with pytest.raises(gr.Error, match="outside the data directory"):
        analyze_tab.compare_changes(ctx, str(outside), "noise", None, None, no_progress)


def test_analyse_says_a_missing_pick_in_the_summary_instead_of_failing(ctx) -> None:
    assert analyze_tab.compare_changes(ctx, None, "x", None, None, no_progress) == (analyze_tab.PICK_TWO, None, None)
    assert analyze_tab.compare_changes(ctx, "x", "y", "z", None, no_progress)[0] == analyze_tab.PICK_CONTROL
    assert analyze_tab._clear_mistake(analyze_tab.PICK_TWO) == ""
    assert analyze_tab._clear_mistake("- **a vs b**: mean |cos| 0.1") == gr.skip(), "a result stays"
    with pytest.raises(gr.Error, match="is not a skill in the library, a skill folder or an adapter folder"):
        analyze_tab.compare_changes(ctx, "missing", "missing", None, None, no_progress)
    assert analyze_tab.show_evaluation(ctx, None)[0].startswith("No finished evaluation yet")


# -- Evaluate ------------------------------------------------------------------------------------------------


def test_evaluate_launch_checks_its_choices_and_submits_the_job(ctx, tmp_path: Path) -> None:
    with pytest.raises(gr.Error, match="Pick at least one model"):
        evaluate_tab.launch(ctx, [], "c", "rule", 16, 0, None, None, "")
    with pytest.raises(gr.Error, match="Pick a collection that has questions"):
        evaluate_tab.launch(ctx, ["default"], None, "rule", 16, 0, None, None, "")
    with pytest.raises(gr.Error, match="A λ sweep needs a skill and a target model"):
        evaluate_tab.launch(ctx, ["default"], "c", "rule", 16, 0, None, None, "0, 1")
    with pytest.raises(gr.Error, match="λ 'strong'"):
        evaluate_tab.launch(ctx, ["default"], "c", "rule", 16, 0, "s", "default", "0, strong")
    with pytest.raises(gr.Error, match="Choose a question file first"):
        evaluate_tab.attach(ctx, None, "c")
    message, cleared, picker = evaluate_tab.attach(ctx, write(tmp_path, "capitals.qa.json", QUESTIONS), "c")
    assert "**1 questions** from capitals.qa.json" in message and cleared is None and picker["value"] == "c"
    job_id, status, *_, button, timer = evaluate_tab.launch(ctx, ["default"], "c", "llm", 16, 0, None, None, "", True)
    job = ctx.jobs.get(job_id)
    assert job.kind == "evaluate" and "evaluate on c" in status
    assert job.params["judge"] == "llm" and job.params["limit"] is None and job.params["with_documents"] is True
    assert button["interactive"] is False and timer.active, "the job is watched while it runs"
    assert evaluate_tab.enable_if_failed(ctx, "")["interactive"] is True, "nothing submitted: Launch comes back"
    assert evaluate_tab.enable_if_failed(ctx, job_id)["interactive"] is False
    status, *_, shown, button, timer = evaluate_tab.refresh(ctx, job_id, "")
    assert "waiting to start" in status and shown == "" and timer.active and button["interactive"] is False


# -- Tools, Jobs, Build, Chat --------------------------------------------------------------------------------


def test_tools_handlers(ctx) -> None:
    assert tools_tab.set_simulator(ctx, "", "") == ({}, tools_tab.SCHEMA_ONLY)
    with pytest.raises(gr.Error, match="both the endpoint URL and the model"):
        tools_tab.set_simulator(ctx, "http://8.8.8.8/v1", "")
    assert tools_tab.pick_task(None) == gr.update() and tools_tab.pick_task("Where is it?") == "Where is it?"
    assert tools_tab.describe(ctx, None).startswith("*No tools collection yet")
    with pytest.raises(gr.Error, match="Choose a tools collection first"):
        next(tools_tab.run_agents(ctx, None, "task", "m", "", "m", "", 2, 32, "none", None))
    assert tools_tab.endpoint_of(ctx, {}) is None


def test_jobs_actions(ctx) -> None:
    with pytest.raises(gr.Error, match="Pick a job first"):
        jobs_tab.job_action(ctx, "cancel", None)
    job = ctx.jobs.submit("selftest.count", {"n": 10}, name="a count")
    table, picker, status, *_ = jobs_tab.job_action(ctx, "cancel", job.id)
    assert ctx.jobs.get(job.id).state == "cancelled" and "cancelled" in status and table[0][0] == job.id
    assert picker["choices"] == [(f"a count · cancelled · {job.id}", job.id)]


def test_build_launch_checks_its_inputs(ctx) -> None:
    values = [1, 5, 2, 2, 1, 0.0, 1e-4]
    with pytest.raises(gr.Error, match="Give the new skill a name"):
        build_tab.launch(ctx, " ", "c", 1.0, "custom", *values)
    with pytest.raises(gr.Error, match="Choose a collection that has questions"):
        build_tab.launch(ctx, "new", None, 1.0, "custom", *values)
    ctx.skills.import_path(BUNDLED, "taken")
    with pytest.raises(gr.Error, match="'taken' already exists"):
        build_tab.launch(ctx, " taken ", "c", 1.0, "custom", *values)
    beta = build_tab.field_help(build_tab.fields()["beta"])
    assert beta.startswith("how strongly practice is held close") and "KL penalty towards" in beta
    assert build_tab.watch(ctx, "")[3]["interactive"] is True


def test_chat_refuses_an_empty_message_or_no_model(ctx) -> None:
    with pytest.raises(gr.Error, match="Type a message first"):
        next(chat_tab.respond(ctx, "  ", [], "default", 16, 0.0))
    with pytest.raises(gr.Error, match="Pick a model first"):
        next(chat_tab.respond(ctx, "hello", [], "", 16, 0.0))
