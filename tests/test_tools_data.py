"""SFT data from tool documents (raw schemas, descriptions, name ↔ usage QA) with a generator or templates, the
ReAct format-alignment data from first steps, and the StableToolBench copy with its category split."""

from __future__ import annotations

from pathlib import Path

import pytest

from past.generators import EndpointConfig, OpenAIChatGenerator
from past.tools import (
    CategorySplit,
    DocsDataConfig,
    ToolSchemaError,
    docs_sft_records,
    first_step_records,
    ingest_tool_json,
    load_stabletoolbench,
    parse_reply,
    sample_per_category,
    synthetic_first_step_records,
)
from past.tools.docs_data import parse_questions
from past.tools.queries import category_counts, parse_queries
from past.training.data import record_to_text
from tests.openai_stub import openai_stub
from tests.tool_fixtures import PARCEL_APIS, PARCEL_QUERY

ROOT = Path(__file__).resolve().parent.parent
STB = ROOT.parent / "shared" / "data" / "stabletoolbench"
SPLIT = ROOT / "assets" / "recipes" / "tool_use_split.json"
APIS = ingest_tool_json(PARCEL_APIS, "parcel.json").apis


class ChatTokenizer:
    chat_template = "x"

    def apply_chat_template(self, messages, tokenize=False):
        return "".join(f"<{m['role']}>{m['content']}" for m in messages)


def test_template_docs_data_covers_the_four_tasks() -> None:
    data = docs_sft_records(APIS, DocsDataConfig(questions_per_api=2))
    assert data.counts == {"schema": 2, "description": 2, "name_to_usage": 2, "usage_to_name": 4}
    by_kind = {r["kind"]: r for r in data.records if r["function"] == "latest_for_suivi_colis"}
    assert '"function_name": "latest_for_suivi_colis"' in by_kind["schema"]["text"]
    assert "colisId (string, e.g. CA107308006SI)" in by_kind["description"]["text"]
    usage = by_kind["name_to_usage"]["messages"]
    assert usage[0]["content"] == "How do I use the API function latest_for_suivi_colis?"
    step = parse_reply(usage[1]["content"].split("Call it as:\n")[1])
    assert step.action == "latest_for_suivi_colis" and step.arguments == {"colisId": "CA107308006SI"}
    name = by_kind["usage_to_name"]["messages"]
    assert "latest_for_suivi_colis" not in name[0]["content"]
    assert parse_reply(name[1]["content"]).action == "latest_for_suivi_colis"
    assert {r["provenance"] for r in data.records} == {"document", "template"}
    for record in data.records:
        assert record_to_text(record, ChatTokenizer())


def test_generated_texts_with_fallback_to_templates() -> None:
    def reply(messages: list[dict]) -> str:
        prompt = messages[-1]["content"]
        if "count_for_suivi_colis" in prompt:
            return "" if prompt.startswith("Describe") else "Sure, here are some:"
        if prompt.startswith("Describe"):
            return "Returns where a parcel is now, given its tracking number colisId."
        return "1. Where is my parcel CA1 right now?\n2. What is the current status of shipment CA9?\n"

    with openai_stub(reply) as (url, state):
        generator = OpenAIChatGenerator(EndpointConfig(url, "writer", api_key_env=None))
        data = docs_sft_records(APIS, DocsDataConfig(questions_per_api=2), generator)
    latest, count = data.texts["latest_for_suivi_colis"], data.texts["count_for_suivi_colis"]
    assert latest.description.startswith("Returns where a parcel is now") and latest.description_by == generator.name
    assert latest.questions == ["Where is my parcel CA1 right now?", "What is the current status of shipment CA9?"]
    assert (count.description_by, count.questions_by) == ("template", "template")
    assert len(state.requests) == 4
    assert parse_questions("Here are two:\n- Track parcel ABC please\n* short") == ["Track parcel ABC please"]


def test_format_alignment_from_query_first_steps_and_from_documents() -> None:
    query = parse_queries([PARCEL_QUERY], "q.json").queries[0]
    (record,) = first_step_records([query])
    system, user, assistant = record["messages"]
    assert system["role"] == "system" and "Action Input" in system["content"]
    assert "latest_for_suivi_colis" not in system["content"]  # closed book
    assert user["content"] == PARCEL_QUERY["query"]
    step = parse_reply(assistant["content"])
    assert (step.action, step.arguments) == ("latest_for_suivi_colis", {"colisId": "CA107308006SI"})
    assert step.thought == "I should call latest_for_suivi_colis to the current state of the parcel."
    texts = docs_sft_records(APIS, DocsDataConfig(questions_per_api=1)).texts
    synthetic = synthetic_first_step_records(APIS, texts)
    assert [parse_reply(r["messages"][-1]["content"]).action for r in synthetic] == [a.function for a in APIS]


def test_a_split_with_a_category_on_both_sides_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ToolSchemaError, match="categories in both source and target: Data"):
        CategorySplit(("Tools", "Data"), ("Data", "Sports"))
    bad = tmp_path / "split.json"
    bad.write_text('{"source": ["Tools"]}')
    with pytest.raises(ToolSchemaError, match="'source' and 'target' lists"):
        CategorySplit.load(bad)


@pytest.mark.skipif(not STB.is_dir(), reason="../shared/data/stabletoolbench is absent")
def test_stabletoolbench_loads_and_the_documented_split_holds() -> None:
    loaded = load_stabletoolbench(STB)
    assert len(loaded.queries) == 764  # 765, less one whose relevant API has a duplicated parameter
    assert [str(i) for i in loaded.issues][1] == (
        "G1_instruction.json: [42]: relevant API(s) not in its api_list: user_by_id_for_reqres_dont_change"
    )
    assert len({a.function for q in loaded.queries for a in q.apis}) >= 2400
    split = CategorySplit.load(SPLIT)
    assert len(split.target) == 20 and len(split.source) == 27 and not set(split.source) & set(split.target)
    source, target = split.partition(loaded.queries)
    assert (len(source), len(target)) == (524, 240)
    assert set(category_counts(target)) == set(split.target)
    assert not {c for q in source for c in q.categories} & set(split.target)
    sample = sample_per_category(target, 2)
    assert len(sample) == 40 and max(category_counts(sample).values()) == 2


def test_format_records_train_exactly_the_prompt_the_agent_sees() -> None:
    """The SFT text of a format record is the agent's inference prompt (same system text, roles, generation
    prompt) followed by the step: nothing the model sees at run time differs from what it was trained on."""
    from jinja2 import Template

    from past.tools.agent import initial_conversation
    from tests.tool_fixtures import CHATML

    template = Template(CHATML)
    query = parse_queries([PARCEL_QUERY], "q.json").queries[0]
    for hint in ("none", "names"):
        (record,) = first_step_records([query], hint)
        *prompt, step = record["messages"]
        assert prompt == initial_conversation(query, hint)
        trained = template.render(messages=record["messages"], add_generation_prompt=False)
        seen = template.render(messages=initial_conversation(query, hint), add_generation_prompt=True)
        assert trained == seen + step["content"] + "<|im_end|>\n"
        assert step["content"].startswith("Thought: ") and "\nAction: " in step["content"]
