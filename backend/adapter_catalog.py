"""LoRA adapters the studio can offer for a chat side: directories with an ``adapter_config.json``.

Looks in ``<data>/adapters/`` and the skills library (``<data>/skills/``), a few levels deep. The skills
library will register its injected adapters there; any other adapter directory can be typed in by path.
:func:`identify` names a side in words (adapted model, skill, λ) for pickers, tallies and leaderboards.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from backend.path_policy import PathPolicy
from past.settings import Settings

MAX_DEPTH = 3


def find_adapters(settings: Settings) -> list[Path]:
    """Adapter directories under the data directory, sorted by path."""
    found: list[Path] = []
    for root in (settings.adapters_dir, settings.skills_dir):
        if not root.is_dir():
            continue
        for depth in range(1, MAX_DEPTH + 1):
            pattern = "/".join(["*"] * depth) + "/adapter_config.json"
            found.extend(p.parent for p in root.glob(pattern))
    return sorted(set(found))


ARENA_SUBDIR = "arena"  # <adapters>/<adapted>/arena/<skill>/lam-<λ>: the λ arena's adapters (backend.lambda_arena)
ROLE_WORDS = {"baseline": "fine-tuned on its documents", "injected": "fine-tuned + skill", "model": "merged model"}


@dataclass(frozen=True)
class SideIdentity:
    """Who a stored side (``model`` or ``model + adapter dir``) is, in words: model, adapted model, skill, λ."""

    model: str
    adapter: str = ""
    adapted: str = ""  # the published adapted model it belongs to, if any
    skill: str = ""
    lam: float | None = None
    label: str = ""


def _adapted_record(settings: Settings, name: str) -> dict:
    path = settings.adapters_dir / name / "adapted.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {}


def identify(settings: Settings, ref: str) -> SideIdentity:
    """The identity of a side as stored with a vote (``Side.ref()``), with a human label."""
    model, sep, adapter = ref.partition(" + ")
    if not sep:
        return SideIdentity(model=model, label=model)
    path = Path(adapter)
    for root, kind in ((settings.adapters_dir, "adapter"), (settings.skills_dir, "skill")):
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            continue
        if kind == "skill" and parts:
            return SideIdentity(model, adapter, skill=parts[0], label=f"{model} + skill '{parts[0]}'")
        if not parts:
            break
        name = parts[0]
        record = _adapted_record(settings, name)
        if len(parts) == 4 and parts[1] == ARENA_SUBDIR and parts[3].startswith("lam-"):
            lam = _float(parts[3][4:])
            label = f"{name} + skill '{parts[2]}' at λ {lam:g}" if lam is not None else f"{name} ({parts[3]})"
            return SideIdentity(model, adapter, name, parts[2], lam, label)
        role = parts[1] if len(parts) == 2 else ""
        skill = str(record.get("skill") or "")
        if role == "baseline":
            return SideIdentity(model, adapter, name, skill, 0.0, f"{name}: {ROLE_WORDS[role]} (λ 0)")
        if role in ROLE_WORDS and record:
            lam = _float(record.get("lam"))
            detail = f" '{skill}'" if skill else ""
            at = f" at λ {lam:g}" if lam is not None else ""
            return SideIdentity(model, adapter, name, skill, lam, f"{name}: {ROLE_WORDS[role]}{detail}{at}")
        return SideIdentity(model, adapter, name, label=f"{model} + adapter '{'/'.join(parts)}'")
    return SideIdentity(model, adapter, label=f"{model} + adapter …/{'/'.join(path.parts[-2:])}")


def adapter_choices(settings: Settings, policy: PathPolicy | None = None) -> list[tuple[str, str]]:
    """(human name, directory) of every adapter :func:`find_adapters` finds, for a picker; an exposed studio's
    ``policy`` gives the directory relative to the data directory (its pages show no server paths)."""
    shown = policy.shown if policy is not None else str
    return [(identify(settings, f"_ + {p}").label.removeprefix("_ + "), shown(str(p))) for p in find_adapters(settings)]


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
