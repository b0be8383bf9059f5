"""Strict parsing of ReAct replies: actions, JSON arguments, Finish, and each way a reply can break."""

from __future__ import annotations

import pytest

from past.tools.react import ParsedAction, ParseFailure, clean_reply, parse_reply, render_step, system_prompt
from past.tools.schema import ApiSpec


def test_a_well_formed_call_and_finish() -> None:
    parsed = parse_reply('Thought: look it up\nAction: latest_for_suivi_colis\nAction Input: {"colisId": "CA1"}')
    assert parsed == ParsedAction("look it up", "latest_for_suivi_colis", {"colisId": "CA1"})
    finish = parse_reply(
        'Thought: done\nAction: Finish\nAction Input: {"return_type": "give_answer", "final_answer": "In Paris"}'
    )
    assert isinstance(finish, ParsedAction) and finish.is_finish and finish.arguments["final_answer"] == "In Paris"
    assert parse_reply(render_step("t", "a_for_b", {"x": [1, 2]})) == ParsedAction("t", "a_for_b", {"x": [1, 2]})


@pytest.mark.parametrize(
    ("reply", "kind", "message"),
    [
        ("I think the answer is 4.", "no_action", "the reply has no 'Action:' line"),
        ("Action: a\nAction Input: {}\nAction: b\nAction Input: {}", "multiple_actions", "2 'Action:' lines"),
        ("Action: get the weather\nAction Input: {}", "bad_action_name", "is not an API function name"),
        ("Thought: x\nAction: a_for_b", "no_action_input", "'Action: a_for_b' has no 'Action Input:' line"),
        ('Action: a_for_b\nAction Input: {"city": "Paris"', "invalid_json", "not valid JSON"),
        ("Action: a_for_b\nAction Input: city=Paris", "invalid_json", "not valid JSON"),
        ('Action: a_for_b\nAction Input: ["Paris"]', "not_object", "must be a JSON object"),
        ('Action: a_for_b\nAction Input: {"c": 1} and then some', "trailing_text", "text after the Action Input"),
        ('Action: Finish\nAction Input: {"answer": "x"}', "bad_finish", "return_type"),
        ('Action: Finish\nAction Input: {"return_type": "give_answer"}', "bad_finish", "non-empty final_answer"),
    ],
)
def test_broken_replies_say_what_is_wrong(reply: str, kind: str, message: str) -> None:
    parsed = parse_reply(reply)
    assert isinstance(parsed, ParseFailure) and parsed.kind == kind and message in parsed.message


def test_an_invented_observation_is_cut_and_noted() -> None:
    reply = 'Thought: t\nAction: a_for_b\nAction Input: {"q": 1}\nObservation: {"fake": true}\nThought: more'
    parsed = parse_reply(reply)
    assert isinstance(parsed, ParsedAction) and parsed.arguments == {"q": 1} and "Observation" in parsed.note
    assert clean_reply(reply) == 'Thought: t\nAction: a_for_b\nAction Input: {"q": 1}'


def test_the_prompt_is_closed_book_unless_asked() -> None:
    api = ApiSpec(tool="suivi-colis", name="Latest", description="Parcel state")
    assert "latest_for_suivi_colis" not in system_prompt([api])
    assert "APIs you can call: latest_for_suivi_colis." in system_prompt([api], "names")
    assert '"api_description": "Parcel state"' in system_prompt([api], "docs")
    with pytest.raises(ValueError, match="unknown tool hint"):
        system_prompt([api], "all")
