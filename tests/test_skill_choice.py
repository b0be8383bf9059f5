"""The Adapt screen preselects a skill of the collection's kind, on the right base model only."""

from __future__ import annotations

from past.skills.manifest import SkillManifest
from studio.skill_choice import offered_skills

BASE = "a" * 16


def manifest(name: str, fingerprint: str = BASE, kind: str | None = None) -> SkillManifest:
    return SkillManifest(name=name, base_fingerprint=fingerprint, extra={"kind": kind} if kind else {})


LIBRARY = [
    manifest("closed-book-qa"),
    manifest("other-base-tools", fingerprint="b" * 16, kind="tool_use"),
    manifest("tool-use", kind="tool_use"),
    manifest("reasoning"),
]


def test_a_tools_collection_gets_the_tool_use_skill_first() -> None:
    offered, refused = offered_skills(LIBRARY, BASE, tools=True)
    assert offered == ["tool-use", "closed-book-qa", "reasoning"]
    assert refused == ["other-base-tools"]


def test_a_text_collection_keeps_text_skills_first_and_still_offers_the_tool_skill() -> None:
    offered, refused = offered_skills(LIBRARY, BASE, tools=False)
    assert offered == ["closed-book-qa", "reasoning", "tool-use"]
    assert refused == ["other-base-tools"]


def test_nothing_is_offered_on_an_unknown_base() -> None:
    offered, refused = offered_skills(LIBRARY, "c" * 16, tools=True)
    assert offered == [] and len(refused) == 4
