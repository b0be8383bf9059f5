"""Which library skills the Adapt screen offers for a base model and a collection, and in what order.

A skill is offered only on the base model it was built on (same fingerprint). Skills of the collection's kind
come first, so the preselected one fits: a tool-use skill (``extra.kind == "tool_use"``) for a tools
collection, any other skill for a text collection. The rest stay offered after them. When the chosen skill was
not built for the chosen Stage II preset, ``built_for_preset`` names the library's skills that were.
"""

from __future__ import annotations

from collections.abc import Iterable

from past.skills.manifest import SkillManifest
from past.tools.skill_build import TOOL_USE_KIND


def offered_skills(manifests: Iterable[SkillManifest], fingerprint: str, tools: bool) -> tuple[list[str], list[str]]:
    """(offered names, best fit first; names refused because they were built on another base)."""
    fitting, other_kind, refused = [], [], []
    for manifest in manifests:
        if manifest.base_fingerprint != fingerprint:
            refused.append(manifest.name)
        elif (manifest.kind == TOOL_USE_KIND) == tools:
            fitting.append(manifest.name)
        else:
            other_kind.append(manifest.name)
    return fitting + other_kind, refused


def built_for_preset(manifests: Iterable[SkillManifest], preset: str, fingerprint: str, but: str) -> list[str]:
    """The skills (other than ``but``) built on this base for ``preset``: their sources were fine-tuned that way."""
    return [
        m.name
        for m in manifests
        if m.name != but and m.base_fingerprint == fingerprint and (m.recipe or {}).get("preset") == preset
    ]
