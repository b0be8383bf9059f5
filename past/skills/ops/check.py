"""Compatibility of a skill with a model, decided before anything is written.

Architecture, parameter names (missing or extra), shapes, dtypes and the base-model fingerprint are
compared. Shape and name mismatches are always refused; a different architecture or base fingerprint
is refused unless the caller forces it and gives a reason, which is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from past.skills.errors import SkillCompatibilityError
from past.skills.tensors.source import Weights, open_weights
from past.skills.vector import SkillVector


@dataclass
class CompatibilityReport:
    skill: str
    ok: bool = True
    problems: list[str] = field(default_factory=list)  # always refused
    forceable: list[str] = field(default_factory=list)  # refused unless forced with a reason
    warnings: list[str] = field(default_factory=list)
    fingerprint_match: bool = True
    forced: bool = False
    reason: str = ""
    covered: int = 0
    target_params: int = 0

    def message(self) -> str:
        lines = [f"skill '{self.skill}' does not fit this model:"]
        lines += [f"  - {p}" for p in self.problems + self.forceable]
        if self.forceable and not self.problems:
            lines.append("  (if you are sure, force it and give a reason)")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def check(
    skill: SkillVector,
    target: Weights | Path | str,
    *,
    force: bool = False,
    reason: str = "",
    raise_on_error: bool = True,
) -> CompatibilityReport:
    """Compare ``skill`` with ``target`` (weights or a checkpoint path); raise unless compatible."""
    weights = open_weights(target) if isinstance(target, (str, Path)) else target
    try:
        return _check(skill, weights, force=force, reason=reason, raise_on_error=raise_on_error)
    finally:
        if weights is not target:
            weights.close()


def _check(
    skill: SkillVector, weights: Weights, *, force: bool, reason: str, raise_on_error: bool
) -> CompatibilityReport:
    m = skill.manifest
    report = CompatibilityReport(skill=m.name)
    target_keys = set(weights.names())
    report.target_params = len(target_keys)
    if m.architecture and weights.architecture and m.architecture != weights.architecture:
        report.forceable.append(f"architecture: the skill is for {m.architecture}, the model is {weights.architecture}")
    extra = [k for k in skill.names() if k not in target_keys]
    if extra:
        report.problems.append(f"{len(extra)} parameters of the skill are missing from the model, e.g. {extra[0]}")
    for name in skill.names():
        if name not in target_keys:
            continue
        entry = weights.entry(name)
        if tuple(entry.shape) != tuple(skill.shape(name)):
            report.problems.append(f"shape of {name}: skill {list(skill.shape(name))}, model {list(entry.shape)}")
        elif not entry.dtype.is_floating_point:
            report.problems.append(f"{name} is {entry.dtype} in the model; only floating-point weights take a delta")
        else:
            report.covered += 1
    report.covered = min(report.covered, len(skill.names()))
    if len(report.problems) > 6:
        report.problems = [*report.problems[:5], f"... and {len(report.problems) - 5} more"]
    not_covered = len(target_keys) - report.covered
    if not_covered:
        report.warnings.append(f"{not_covered} model parameters are not changed by the skill")
    if m.base_fingerprint:
        known = weights.fingerprints()
        report.fingerprint_match = m.base_fingerprint in known
        if not report.fingerprint_match:
            report.forceable.append(
                f"base fingerprint: the skill was extracted from base {m.base_ref or '?'} ({m.base_fingerprint}), "
                f"the model's base is {weights.base_fingerprint()}; the delta would be added to different weights"
            )
    else:  # manifests read from disk always have one (the schema requires it); only hand-built ones may not
        report.fingerprint_match = False
        report.warnings.append("the skill records no base fingerprint; its base cannot be verified")
    if report.forceable and force:
        if not reason.strip():
            report.problems.append("forcing an incompatible skill needs a reason")
        else:
            report.forced, report.reason = True, reason.strip()
            report.warnings += [f"forced ({report.reason}): {p}" for p in report.forceable]
            report.forceable = []
    report.ok = not report.problems and not report.forceable
    if not report.ok and raise_on_error:
        raise SkillCompatibilityError(report.message())
    return report
