"""The studio side of tool use, without a browser: tools collections in the real store, the A/B agent run on a
real chat engine (tiny random Llamas), and the step rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.documents import CollectionNameError, DocumentService
from backend.model_pool import ModelPool
from backend.store import Store
from backend.tool_agent import RUNS_DIR, ABAgentRun, load_run
from backend.tool_collections import ToolCollectionError, ToolCollections
from past.errors import ConfigError
from past.models import ModelRegistry
from past.serving.engine import SideSpec
from past.serving.transformers_engine import TransformersChatEngine
from past.settings import Settings
from past.tools.agent import AgentConfig, apply_call, step_from_reply
from past.tools.ingest import ingest_tool_json
from past.tools.react import render_step
from past.tools.simulator import ApiSimulator
from studio.tool_steps import side_markdown, step_markdown
from tests.tool_fixtures import FUNCTIONS, OPENAPI, PARCEL_APIS, PARCEL_QUERY, make_byte_chat_model


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(tmp_path / "data").ensure()


@pytest.fixture
def tools(settings: Settings) -> ToolCollections:
    return ToolCollections(settings, Store(settings.db_path))


def write(folder: Path, name: str, content: object) -> Path:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_schema_uploads_report_each_file_and_keep_what_is_stored(tools: ToolCollections, tmp_path: Path) -> None:
    good = [
        write(tmp_path, "parcel.json", [PARCEL_QUERY]),
        write(tmp_path, "weather.json", OPENAPI),
        write(tmp_path, "money.json", FUNCTIONS),
    ]
    outcomes = tools.upload_paths(good, "apis")
    assert [o.ok for o in outcomes] == [True, True, True], [o.errors for o in outcomes]
    stored = {a.function for a in tools.apis("apis")}
    assert {"latest_for_suivi_colis", "getforecast_for_weather_desk", "convert_currency_for_money"} <= stored

    broken = write(tmp_path, "broken.json", '{"openapi": "3.0.0", "paths": {')
    no_name = write(tmp_path, "noname.json", [{"tool_name": "x", "required_parameters": []}])
    partial = [dict(PARCEL_APIS[0], api_name="Track"), dict(PARCEL_APIS[0], api_name="Bad", required_parameters=7)]
    mixed = write(tmp_path, "mixed.json", partial)
    again = write(tmp_path, "again.json", [dict(PARCEL_APIS[1], api_description="another Count")])
    bad, missing, some, duplicate = tools.upload_paths([broken, no_name, mixed, again], "apis")
    assert not bad.ok and "not valid JSON" in bad.errors[0] and "line 1" in bad.errors[0]
    assert not missing.ok and "has no 'api_name'" in missing.errors[0]
    assert some.ok and some.row["meta"]["n_apis"] == 1
    assert any("suivi-colis / Bad" in w and "required_parameters" in w for w in some.warnings)
    assert not duplicate.ok and "already in collection 'apis'" in duplicate.errors[0]
    after = {a.function for a in tools.apis("apis")}
    assert after == stored | {"track_for_suivi_colis"}, "a refused file must not lose or change stored APIs"

    reopened = ToolCollections(tools.settings, Store(tools.settings.db_path))  # the rows are in SQLite
    assert reopened.collections() == ["apis"] and len(reopened.list("apis")) == 4
    exported = reopened.export_jsonl("apis", tmp_path / "out.jsonl")
    assert len(exported.read_text().splitlines()) == len(after)
    with pytest.raises(ToolCollectionError, match="has no API schemas"):
        reopened.apis("elsewhere")


def test_a_collection_holds_documents_or_api_schemas_not_both(settings: Settings, tmp_path: Path) -> None:
    store = Store(settings.db_path)
    documents, tools = DocumentService(settings, store), ToolCollections(settings, store)
    (doc,) = documents.upload([("notes.md", b"# Notes\n\nSome text about parcels.\n")], "handbook")
    assert doc.ok
    with pytest.raises(CollectionNameError, match="holds text documents"):
        tools.upload_paths([write(tmp_path, "parcel.json", PARCEL_APIS)], "handbook")
    assert tools.upload_paths([write(tmp_path, "parcel.json", PARCEL_APIS)], "api")[0].ok
    with pytest.raises(CollectionNameError, match="is a tools collection"):
        documents.upload([("more.md", b"# More\n\ntext\n")], "api")
    assert documents.collections() == ["handbook"] and tools.collections() == ["api"]


def test_ab_agent_run_records_every_step_and_isolates_a_failing_side(
    settings: Settings, tools: ToolCollections, tmp_path: Path
) -> None:
    tools.upload_paths([write(tmp_path, "parcel.json", PARCEL_APIS)], "parcels")
    model = make_byte_chat_model(tmp_path / "byte-model")
    config_file = model / "config.json"  # room for the agent's prompt (RoPE: the weights do not change)
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "max_position_embeddings": 4096}))
    engine = TransformersChatEngine(ModelPool(ModelRegistry(settings), budget_bytes=10**9))
    sides = [SideSpec(str(model)), SideSpec(str(tmp_path / "no-such-model"))]
    config = AgentConfig(max_turns=2, max_new_tokens=8)
    run = ABAgentRun.start("Where is parcel CA107308006SI?", tools.apis("parcels"), sides, config, "parcels")
    frames = list(run.run(engine, records=settings.artifacts_dir / RUNS_DIR))
    assert len(frames) > 2, "the run must be shown while it happens, not only at the end"
    working, broken = run.sides
    assert not working.error, working.error
    assert "no-such-model" in broken.error and broken.trajectory.steps == []
    assert broken.trajectory.stop_reason == "stopped"
    # a random model writes no valid action: each turn is a recorded parse failure, answered with an observation
    assert [s.turn for s in working.trajectory.steps] == [0, 1]
    assert all(s.outcome in ("format_error", "invalid_json") and s.parse_error for s in working.trajectory.steps)
    assert "could not be read" in working.trajectory.steps[0].observation
    assert working.trajectory.stop_reason == "turn_limit"
    record = load_run(run.record_path)
    assert record["task"] == "Where is parcel CA107308006SI?" and record["collection"] == "parcels"
    assert [s["model"] for s in record["sides"]] == [str(model), str(tmp_path / "no-such-model")]
    assert len(record["sides"][0]["trajectory"]["steps"]) == 2 and record["sides"][1]["error"]
    shown = side_markdown(working)
    assert "**Step 1** · ✗" in shown and "**Step 2**" in shown and "Stopped at the turn limit" in shown
    assert "This side stopped" in side_markdown(broken)
    with pytest.raises(ConfigError, match="empty task"):
        ABAgentRun.start("  ", tools.apis("parcels"), sides)


def test_steps_show_calls_observations_unknown_apis_broken_json_and_finish() -> None:
    apis = ingest_tool_json(PARCEL_APIS, "parcel.json").apis
    simulator = ApiSimulator(apis)
    call, parsed = step_from_reply(0, render_step("Look it up.", "latest_for_suivi_colis", {"colisId": "CA1"}))
    apply_call(call, simulator.call(parsed.action, parsed.arguments))
    call.observation = "Observation: " + json.dumps(simulator.call(parsed.action, parsed.arguments).observation())
    text = step_markdown(call)
    assert "✓ API call answered" in text and "`latest_for_suivi_colis`" in text and '"CA1"' in text
    assert "**Observation:**" in text and "colisId" in text
    unknown, parsed = step_from_reply(1, render_step("Try.", "track_everything", {}))
    apply_call(unknown, simulator.call(parsed.action, parsed.arguments))
    assert "✗ unknown API" in step_markdown(unknown) and "no API named 'track_everything'" in step_markdown(unknown)
    broken, _ = step_from_reply(2, 'Thought: go\nAction: latest_for_suivi_colis\nAction Input: {"colisId": ')
    assert "✗ broken JSON" in step_markdown(broken) and "(invalid json)" in step_markdown(broken)
    finish, _ = step_from_reply(
        3, 'Thought: done\nAction: Finish\nAction Input: {"return_type": "give_answer", "final_answer": "In Paris"}'
    )
    assert "Finish" in step_markdown(finish) and "**Final answer:** In Paris" in step_markdown(finish)
    sneaky, _ = step_from_reply(4, "Thought: ```\nAction: x\nAction Input: {} ````` more")
    assert "`````" not in step_markdown(sneaky), "a reply must not break out of its code block"


def test_adapt_on_a_tools_collection_trains_on_the_papers_tool_data(tools: ToolCollections, tmp_path: Path) -> None:
    from past.documents.ingest import Document
    from past.pipeline import AdaptConfig, DataRecipe
    from past.pipeline.adapt import adapt
    from tests.lora_adapters import make_tiny_chat_model

    tools.upload_paths([write(tmp_path, "parcel.json", PARCEL_APIS), write(tmp_path, "weather.json", OPENAPI)], "apis")
    documents = tools.documents("apis")
    assert [d.format for d in documents] == ["tools", "tools"]
    config = AdaptConfig.from_preset("tool-docs", mode="sft")
    assert config.stages[0].sft_config(0).max_length == 512, "room for a ReAct format record (~230-410 tokens)"
    config.stages[0].sft = {"max_steps": 2, "batch_size": 2, "max_length": 128, "lora_r": 4, "lora_alpha": 8}
    base = make_tiny_chat_model(tmp_path / "base")
    result = adapt(base, documents, config, tmp_path / "run")
    (stage,) = result.stages
    n_apis = len(tools.apis("apis"))
    assert stage["texts"]["schema"] == stage["texts"]["description"] == n_apis == 4
    assert stage["texts"]["usage_to_name"] == stage["texts"]["format"] == 2 * n_apis, "2 requests per API, both ways"
    assert stage["texts"]["name_to_usage"] == n_apis and stage["synthesis"]["generator"] == "template"
    assert stage["steps"] == 2 and (Path(result.baseline_adapter) / "adapter_config.json").is_file()
    # at 128 tokens the agent prompt of a format record alone fills the window: its step would never be learnt
    assert stage["truncated_texts"] >= stage["texts"]["format"]
    records = (tmp_path / "run" / "tools.tool-records.jsonl").read_text().splitlines()
    first_step = next(json.loads(r) for r in records if json.loads(r)["kind"] == "format")
    assert (
        first_step["messages"][-1]["content"].startswith("Thought:")
        and "Action Input:" in first_step["messages"][-1]["content"]
    )
    text = Document("notes", "notes.md", "md", "Plain text.", "0" * 64)
    with pytest.raises(ConfigError, match="text document, not API schemas"):
        adapt(base, [text], config, tmp_path / "other")
    with pytest.raises(ConfigError, match="tool_docs stage writes its own data"):
        DataRecipe.from_dict({"tool_docs": True, "synthesis": ["qa"]})


def test_the_adapt_job_and_past_adapt_read_api_schemas_for_the_tool_preset(
    settings: Settings, tools: ToolCollections, tmp_path: Path
) -> None:
    from backend.jobs.kind import JobContext
    from backend.jobs.kinds.adapt import AdaptJobParams, tool_documents
    from past.progress import NullReporter
    from past.tools.documents import api_documents_from_files, apis_from_documents

    tools.upload_paths([write(tmp_path, "parcel.json", PARCEL_APIS)], "apis")
    ctx = JobContext("job", 1, settings, NullReporter(), tmp_path, None, False, {}, None)
    store = Store(settings.db_path)
    (doc,) = tool_documents(ctx, AdaptJobParams(collection="apis", preset="tool-docs", mode="sft"), store)
    assert doc.format == "tools" and len(apis_from_documents([doc])) == 2
    with pytest.raises(ValueError, match=r"is a tools collection .* choose the preset 'tool-docs'"):
        tool_documents(ctx, AdaptJobParams(collection="apis", mode="sft"), store)
    with pytest.raises(ValueError, match="trains on API schemas: choose a tools collection"):
        tool_documents(ctx, AdaptJobParams(collection="handbook", preset="tool-docs", mode="sft"), store)
    assert tool_documents(ctx, AdaptJobParams(collection="handbook", mode="sft"), store) == []

    files = [write(tmp_path, "parcel.json", [PARCEL_QUERY]), write(tmp_path, "bad.json", "{")]
    documents, issues = api_documents_from_files(files)  # what `past adapt --preset tool-docs FILE...` trains on
    assert [d.name for d in documents] == ["parcel.json"] and issues[0].startswith("bad.json")
    assert {a.function for a in apis_from_documents(documents)} == {"latest_for_suivi_colis", "count_for_suivi_colis"}


def test_query_files_make_a_tool_use_evaluation_whose_rates_the_evaluate_screen_shows(
    settings: Settings, tools: ToolCollections, tmp_path: Path
) -> None:
    from types import SimpleNamespace

    from backend.jobs.artifacts import ArtifactStore
    from backend.jobs.kind import JobContext
    from backend.jobs.kinds.evaluate import TOOL_RESULTS, EvaluateParams, _tool_queries, _tool_use
    from past.progress import NullReporter
    from studio.eval_view import TOOL_COLUMNS, plain_summary, tool_tables

    tools.upload_paths([write(tmp_path, "weather.json", OPENAPI)], "schemas-only")
    with pytest.raises(ToolCollectionError, match="has no tool-use queries"):
        tools.queries("schemas-only")
    second = dict(PARCEL_QUERY, query="How many steps has CA1 taken?", query_id=29)
    (outcome,) = tools.upload_paths([write(tmp_path, "queries.json", [PARCEL_QUERY, second])], "parcels")
    assert outcome.row["meta"]["n_queries"] == 2 and tools.query_collections() == ["parcels"]
    assert tools.queries("parcels")[0].relevant == ("latest_for_suivi_colis", "count_for_suivi_colis")

    model = make_byte_chat_model(tmp_path / "byte-model")
    config_file = model / "config.json"  # room for the agent's prompt (RoPE: the weights do not change)
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "max_position_embeddings": 4096}))
    ctx = JobContext("job", 1, settings, NullReporter(), tmp_path / "out", None, False, {}, ArtifactStore(settings))
    params = EvaluateParams(models=[f"tiny={model}"], collection="parcels", limit=1, max_new_tokens=8)
    queries = _tool_queries(params, ctx)
    assert [q.query_id for q in queries] == ["28"]
    assert _tool_queries(EvaluateParams(models=["x"], collection="handbook"), ctx) is None  # questions: QA
    result = _tool_use(params, ctx, queries)
    assert result["kind"] == "tool_use" and result["n_queries"] == 1
    record = json.loads((settings.artifacts_dir / "job" / TOOL_RESULTS).read_text())
    assert record["kind"] == "tool_use" and len(record["runs"][0]["trajectories"]) == 1
    assert record["agent"]["max_new_tokens"] == 96, "an agent step gets more room than a short answer"
    rates, per_category = tool_tables(result)
    assert rates["headers"] == TOOL_COLUMNS and rates["data"][0][0] == "tiny"
    assert rates["data"][0][1] == "0.000" and per_category["data"][0][1] == "Logistics"
    summary = plain_summary(SimpleNamespace(result=result))
    assert "1 tool-use tasks" in summary and "**tiny**" in summary and "0% of the tasks solved" in summary


@pytest.mark.slow
def test_studio_uploads_schemas_and_shows_an_ab_agent_run_step_by_step(
    studio_url: str, session_settings: Settings, tmp_path: Path
) -> None:
    from gradio_client import Client, handle_file

    from past.settings import BUNDLED_MODEL_NAME

    client = Client(studio_url, verbose=False)
    good = write(tmp_path, "parcel.json", [PARCEL_QUERY])
    broken = write(tmp_path, "broken.json", '[{"tool_name": "x", "api_name": "y", "required_parameters": ')
    outcome, *_ = client.predict(
        [handle_file(str(good)), handle_file(str(broken))], "agent-tools", api_name="/upload_tools"
    )
    assert "1 of 2 schema file(s) added to tools collection 'agent-tools'" in outcome
    assert "added **parcel.json**: 2 API(s)" in outcome and "not added **broken.json**:" in outcome
    assert "not valid JSON" in outcome

    model = BUNDLED_MODEL_NAME
    task = "Where is my parcel CA107308006SI?"
    steps_a, steps_b, note = client.predict(
        "agent-tools", task, model, "", model, "", 2, 32, "names", api_name="/tools_agent"
    )
    for shown in (steps_a, steps_b):
        assert "**Step 1** · " in shown and "Raw reply" in shown
    assert "Run saved" in note
    (record_file,) = [
        p for p in (session_settings.artifacts_dir / RUNS_DIR).glob("*.json") if load_run(p)["task"] == task
    ]
    record = load_run(record_file)
    assert record["collection"] == "agent-tools" and len(record["sides"]) == 2
    for side in record["sides"]:
        steps = side["trajectory"]["steps"]
        assert steps and all(s["outcome"] for s in steps), "every step has a recorded outcome"
        for step in steps:  # what was recorded is what is shown (parse errors included)
            assert f"**Step {step['turn'] + 1}** · " in (steps_a if side is record["sides"][0] else steps_b)


def test_uploaded_query_files_offer_ready_made_tasks_and_schema_only_collections_say_so(
    tools: ToolCollections, tmp_path: Path
) -> None:
    from studio.tool_tasks import NO_TASKS, task_choices, tasks_note

    tools.upload_paths([write(tmp_path, "weather.json", OPENAPI)], "schemas-only")
    assert tools.stored_queries("schemas-only") == []
    assert tasks_note("schemas-only", []) == NO_TASKS and "no stored tasks" in NO_TASKS
    long = dict(PARCEL_QUERY, query="How many steps has CA1 taken? " + "Please be precise. " * 10, query_id=29)
    twice = dict(PARCEL_QUERY, query_id=30)  # the same request again: offered once
    tools.upload_paths([write(tmp_path, "queries.json", [PARCEL_QUERY, long, twice])], "parcels")
    queries = tools.stored_queries("parcels")
    assert [q.query_id for q in queries] == ["28", "29", "30"]
    choices = task_choices(queries)
    assert [value for _, value in choices] == [PARCEL_QUERY["query"], long["query"].strip()]
    assert choices[0][0] == f"#28 · Logistics · {PARCEL_QUERY['query']}"
    assert choices[1][0].startswith("#29 · Logistics · How many steps") and choices[1][0].endswith("…")
    assert "2 task(s) stored" in tasks_note("parcels", queries)


def test_the_tools_screen_lets_only_editors_set_an_llm_simulator_and_records_who_answered(
    settings: Settings, tmp_path: Path
) -> None:
    from types import SimpleNamespace

    import gradio as gr

    from backend.path_policy import PathPolicy, PathRefusedError
    from backend.users import Users
    from past.generators import EndpointConfig
    from studio.guard import Guard
    from studio.tools_tab import render
    from tests.openai_stub import openai_stub

    policy = PathPolicy.for_launch(settings.data_dir, host_is_loopback=False, share=True)  # an exposed studio
    guard = Guard(policy=policy, users=Users.from_flags([("ed", "pw")], [("vi", "pw")]))
    ctx = SimpleNamespace(
        settings=settings, store=Store(settings.db_path), registry=ModelRegistry(settings), guard=guard, engine=None
    )
    with gr.Blocks() as demo:
        render(ctx)
    (handler,) = [f.fn for f in demo.fns.values() if f.api_name == "tools_simulator"]
    editor, viewer = SimpleNamespace(username="ed"), SimpleNamespace(username="vi")
    with pytest.raises(gr.Error, match="Not allowed"):
        handler(viewer, "http://169.254.169.254/v1", "sim")
    for bad in ("file:///etc/passwd", "http://user:secret@host/v1", "localhost:8000"):
        with pytest.raises(gr.Error):
            handler(editor, bad, "sim")
        with pytest.raises(PathRefusedError):
            policy.endpoint(bad)
    with pytest.raises(gr.Error, match=r"leads to 127\.0\.0\.1"):  # an exposed studio never calls this machine
        handler(editor, "http://127.0.0.1:8000/v1", "sim")
    with pytest.raises(gr.Error, match="both the endpoint URL and the model"):
        handler(editor, "http://8.8.8.8/v1", "")
    assert handler(editor, "", "")[0] == {}
    state, shown = handler(editor, " http://8.8.8.8/v1 ", "sim")
    assert state == {"base_url": "http://8.8.8.8/v1", "model": "sim"} and "`sim`" in shown

    tools = ToolCollections(settings, ctx.store)
    tools.upload_paths([write(tmp_path, "parcel.json", PARCEL_APIS)], "parcels")

    def reply(messages: list[dict]) -> str:
        return json.dumps({"error": "", "response": {"status": "delivered in Lyon"}})

    with openai_stub(reply) as (url, stub):
        endpoint = EndpointConfig(url, "sim", api_key_env=None, max_retries=0)
        run = ABAgentRun.start("Where is CA1?", tools.apis("parcels"), [SideSpec("x")], simulator=endpoint)
        simulator = run.make_simulator(tmp_path / "cache")
        answered = simulator.call("latest_for_suivi_colis", {"colisId": "CA1"})
        assert answered.answered_by == "llm" and answered.response == {"status": "delivered in Lyon"}
        assert run.to_dict()["simulator"]["simulator"] == f"openai:sim@{url}" and stub.requests
    down = ABAgentRun.start("Where is CA1?", tools.apis("parcels"), [SideSpec("x")], simulator=endpoint)
    step, parsed = step_from_reply(0, render_step("Look.", "latest_for_suivi_colis", {"colisId": "CA2"}))
    apply_call(step, down.make_simulator().call(parsed.action, parsed.arguments))
    assert step.outcome == "call_ok" and step.call["source"] == "schema" and "cannot reach" in step.call["fallback"]
    assert "**Answered by:** the schema simulator (fallback: API simulator unavailable" in step_markdown(step)
    assert down.to_dict()["simulator"]["fallback"] == "schema"
    plain = ABAgentRun.start("Where is CA1?", tools.apis("parcels"), [SideSpec("x")])
    step, parsed = step_from_reply(0, render_step("Look.", "latest_for_suivi_colis", {"colisId": "CA2"}))
    apply_call(step, plain.make_simulator().call(parsed.action, parsed.arguments))
    assert "**Answered by:** the schema simulator\n" in step_markdown(step)
