"""The ``skill.json`` manifest: what a skill vector is, where it came from and how to check it."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from past.skills.errors import SkillFormatError
from past.skills.lambdas import LambdaError, check_lambda

MANIFEST_FILE = "skill.json"
FORMAT_VERSION = 1
FORMS = ("full", "lora")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class SkillManifest:
    """Metadata of one skill vector; serialised as ``skill.json`` next to its tensors.

    ``params`` maps every base-model parameter the skill changes to its shape (for LoRA form: the
    shape of the dense weight the low-rank factors stand for). ``content_hash`` is a sha256 over the
    tensor files (and the adapter config for LoRA form) and is verified on load.
    """

    name: str
    form: str = "full"
    description: str = ""
    base_ref: str = ""
    base_fingerprint: str = ""
    architecture: str = ""
    model_type: str = ""
    params: dict[str, list[int]] = field(default_factory=dict)
    dtype: str = "float32"
    source_domain: str = ""
    source_documents: list[str] = field(default_factory=list)
    rounds: int = 1
    recipe: dict[str, Any] = field(default_factory=dict)  # {"sft": {...}, "rl": {...}, "seeds": [...]}
    metrics: dict[str, Any] = field(default_factory=dict)
    default_lambda: float = 1.0
    created_at: str = field(default_factory=_now)
    size_bytes: int = 0
    content_hash: str = ""
    rank: int | None = None  # LoRA form: the largest rank among its modules
    extra: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise SkillFormatError(f"skill form must be one of {', '.join(FORMS)}, not {self.form!r}")
        try:
            self.default_lambda = check_lambda(self.default_lambda, "the skill's default_lambda")
        except LambdaError as exc:
            raise SkillFormatError(str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SkillManifest:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise SkillFormatError("a skill manifest must be a JSON object with at least a 'name'")
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in data.items() if k in known}
        unknown = {k: v for k, v in data.items() if k not in known}
        if unknown:  # newer writers' fields survive a round trip through this version
            kept["extra"] = {**unknown, **(kept.get("extra") or {})}
        try:
            manifest = cls(**kept)
        except TypeError as exc:
            raise SkillFormatError(f"skill manifest has fields of the wrong type: {exc}") from exc
        if not isinstance(manifest.params, dict):
            raise SkillFormatError("skill manifest 'params' must map parameter names to shapes")
        return manifest

    def write(self, directory: Path) -> Path:
        """Write ``skill.json`` atomically into ``directory``."""
        return write_json_atomic(directory / MANIFEST_FILE, self.to_dict())

    @classmethod
    def read(cls, directory: Path) -> SkillManifest:
        path = directory / MANIFEST_FILE
        if not path.is_file():
            raise SkillFormatError(f"{directory} has no {MANIFEST_FILE}; it is not a skill vector directory")
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SkillFormatError(f"{path} is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    @property
    def num_parameters(self) -> int:
        total = 0
        for shape in self.params.values():
            count = 1
            for dim in shape:
                count *= int(dim)
            total += count
        return total


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write JSON through a temp file in the same directory and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
