"""The ReAct convention (ToolBench style): the agent's prompt, strict parsing of its replies, and observations.

A step the model writes::

    Thought: <reasoning>
    Action: <function name, e.g. latest_for_suivi_colis>
    Action Input: <one JSON object of arguments>

and, to end, ``Action: Finish`` with ``{"return_type": "give_answer", "final_answer": "..."}`` (or
``{"return_type": "give_up_and_restart"}``). The environment answers with ``Observation: <JSON>``.

Parsing is strict: one Action, its Action Input a JSON object and nothing after it (text the model writes
after the JSON, such as an invented ``Observation:``, is cut off and noted). A reply that breaks the format is
a :class:`ParseFailure` with a kind and a message; the agent records it and goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from past.tools.schema import ApiSpec

FINISH = "Finish"
GIVE_ANSWER = "give_answer"
GIVE_UP = "give_up_and_restart"
HINT_MODES = ("none", "names", "docs")  # closed book, function names only, open book (full docs in the prompt)

SYSTEM_PROMPT = """You are an agent that solves the user's task by calling APIs. Work in steps.
In each step write exactly:
Thought: <your reasoning>
Action: <the API function name>
Action Input: <a JSON object with the arguments>
After each action you get "Observation: <the API response>". When you can answer, write:
Thought: <your reasoning>
Action: Finish
Action Input: {"return_type": "give_answer", "final_answer": "<the answer for the user>"}
If you cannot solve the task, use Action: Finish with {"return_type": "give_up_and_restart"}."""

_ACTION = re.compile(r"^[ \t]*Action[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_INPUT = re.compile(r"^[ \t]*Action[ \t]+Input[ \t]*:", re.MULTILINE)
_THOUGHT = re.compile(r"^[ \t]*Thought[ \t]*:[ \t]*(.*?)(?=^[ \t]*Action[ \t]*:|\Z)", re.MULTILINE | re.DOTALL)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CUT = re.compile(r"^[ \t]*(Observation|Thought|Action)[ \t]*:", re.MULTILINE)

FailureKind = Literal[
    "no_action",
    "bad_action_name",
    "multiple_actions",
    "no_action_input",
    "invalid_json",
    "not_object",
    "trailing_text",
    "bad_finish",
]


@dataclass(frozen=True)
class ParsedAction:
    """A well-formed step: an API call, or Finish (``action == "Finish"``)."""

    thought: str
    action: str
    arguments: dict[str, Any]
    note: str = ""  # e.g. "text after the Action Input was ignored"

    @property
    def is_finish(self) -> bool:
        return self.action == FINISH


@dataclass(frozen=True)
class ParseFailure:
    kind: FailureKind
    message: str
    thought: str = ""
    action: str | None = None


def system_prompt(apis: Sequence[ApiSpec] = (), hint: str = "none") -> str:
    """The agent's system prompt; ``hint`` adds the function names ("names") or the documents ("docs")."""
    if hint not in HINT_MODES:
        raise ValueError(f"unknown tool hint {hint!r}; choose from {', '.join(HINT_MODES)}")
    if hint == "names" and apis:
        return SYSTEM_PROMPT + "\nAPIs you can call: " + ", ".join(a.function for a in apis) + "."
    if hint == "docs" and apis:
        return SYSTEM_PROMPT + "\nAPI documentation:\n" + "\n".join(a.document() for a in apis)
    return SYSTEM_PROMPT


def parse_reply(text: str) -> ParsedAction | ParseFailure:
    """Parse one model reply strictly (see the module docstring)."""
    thought_match = _THOUGHT.search(text)
    thought = thought_match.group(1).strip() if thought_match else ""
    actions = list(_ACTION.finditer(text))
    if not actions:
        return ParseFailure("no_action", "the reply has no 'Action:' line", thought)
    if len(actions) > 1:
        return ParseFailure(
            "multiple_actions", f"the reply has {len(actions)} 'Action:' lines; write one per step", thought
        )
    action = actions[0].group(1).strip()
    if not _NAME.match(action):
        return ParseFailure("bad_action_name", f"'{action[:80]}' is not an API function name", thought, action)
    match = _INPUT.search(text, actions[0].end())
    if not match:
        return ParseFailure("no_action_input", f"'Action: {action}' has no 'Action Input:' line", thought, action)
    rest = text[match.end() :].strip()
    try:
        arguments, end = json.JSONDecoder().raw_decode(rest)
    except json.JSONDecodeError as exc:
        return ParseFailure("invalid_json", f"the Action Input is not valid JSON: {exc.msg}", thought, action)
    if not isinstance(arguments, dict):
        return ParseFailure("not_object", "the Action Input must be a JSON object", thought, action)
    note = ""
    trailing = rest[end:].strip()
    if trailing:
        cut = _CUT.search(trailing)
        if cut is None or cut.start() > 0:
            return ParseFailure(
                "trailing_text", f"text after the Action Input JSON: '{trailing[:60]}'", thought, action
            )
        note = f"text after the Action Input was ignored (it began with '{cut.group(1)}:')"
    if action == FINISH:
        kind = arguments.get("return_type")
        if kind not in (GIVE_ANSWER, GIVE_UP):
            return ParseFailure(
                "bad_finish", f"Finish needs return_type '{GIVE_ANSWER}' or '{GIVE_UP}'", thought, action
            )
        if kind == GIVE_ANSWER and not str(arguments.get("final_answer") or "").strip():
            return ParseFailure("bad_finish", "Finish with give_answer needs a non-empty final_answer", thought, action)
    return ParsedAction(thought, action, arguments, note)


def clean_reply(text: str) -> str:
    """The reply as it stays in the conversation: stripped, and cut before an ``Observation:`` the model wrote
    itself after its Action Input (the environment supplies observations)."""
    text = text.strip()
    match = _INPUT.search(text)
    if match:
        invented = re.compile(r"^[ \t]*Observation[ \t]*:", re.MULTILINE).search(text, match.end())
        if invented:
            text = text[: invented.start()].rstrip()
    return text


def render_step(thought: str, action: str, arguments: dict[str, Any]) -> str:
    """An assistant step in the convention (training data and the examples in the docs use this)."""
    return f"Thought: {thought}\nAction: {action}\nAction Input: {json.dumps(arguments, ensure_ascii=False)}"


def render_observation(payload: Any) -> str:
    """What the environment says back: ``Observation: <JSON>``."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"Observation: {text}"


def finish_step(answer: str, thought: str = "I have the information the user asked for.") -> str:
    return render_step(thought, FINISH, {"return_type": GIVE_ANSWER, "final_answer": answer})
