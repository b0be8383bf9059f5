"""λ schedules: one global scale, or per module type and per layer range.

Text form (CLI): ``"0.8"`` or ``"0.8,q_proj=0.5,mlp=1.2,layers=0-9:0.3"``. The most specific match
wins: a layer range over a module type over the default. Module keys are a parameter's module name
(``q_proj``, ``down_proj``, ``embed_tokens``, ``input_layernorm``) or a group (``attn``, ``mlp``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from past.errors import ConfigError

_LAYER = re.compile(r"\.layers\.(\d+)\.")
MODULE_ORDER = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def layer_of(name: str) -> int | None:
    match = _LAYER.search(name)
    return int(match.group(1)) if match else None


def module_of(name: str) -> str:
    """``model.layers.3.self_attn.q_proj.weight`` -> ``q_proj``."""
    parts = name.split(".")
    if parts[-1] in ("weight", "bias") and len(parts) > 1:
        return parts[-2]
    return parts[-1]


def group_of(name: str) -> str:
    if ".self_attn." in name or ".attention." in name:
        return "attn"
    if ".mlp." in name or ".feed_forward." in name:
        return "mlp"
    return "other"


@dataclass
class LambdaSchedule:
    """λ per parameter: ``default``, overridden by ``modules`` then by ``layers`` (inclusive ranges)."""

    default: float = 1.0
    modules: dict[str, float] = field(default_factory=dict)
    layers: list[tuple[int, int, float]] = field(default_factory=list)

    def value(self, name: str) -> float:
        layer = layer_of(name)
        if layer is not None:
            for start, end, lam in reversed(self.layers):
                if start <= layer <= end:
                    return lam
        module = module_of(name)
        if module in self.modules:
            return self.modules[module]
        group = group_of(name)
        if group in self.modules:
            return self.modules[group]
        return self.default

    def to_dict(self) -> dict:
        return {"default": self.default, "modules": dict(self.modules), "layers": [list(x) for x in self.layers]}

    @classmethod
    def coerce(cls, lam: float | LambdaSchedule | str | dict) -> LambdaSchedule:
        if isinstance(lam, LambdaSchedule):
            return lam
        if isinstance(lam, str):
            return cls.parse(lam)
        if isinstance(lam, dict):
            return cls(
                float(lam.get("default", 1.0)),
                {k: float(v) for k, v in (lam.get("modules") or {}).items()},
                [(int(a), int(b), float(c)) for a, b, c in lam.get("layers") or []],
            )
        return cls(float(lam))

    @classmethod
    def parse(cls, text: str) -> LambdaSchedule:
        schedule = cls()
        for raw in (p.strip() for p in text.split(",")):
            if not raw:
                continue
            try:
                if "=" not in raw:
                    schedule.default = float(raw)
                elif raw.startswith("layers="):
                    span, value = raw.removeprefix("layers=").split(":")
                    start, _, end = span.partition("-")
                    schedule.layers.append((int(start), int(end or start), float(value)))
                else:
                    key, value = raw.split("=")
                    schedule.modules[key.strip()] = float(value)
            except ValueError as exc:
                raise ConfigError(
                    f"cannot read λ {raw!r}: use a number, MODULE=NUMBER (q_proj, mlp, attn, ...) or "
                    "layers=START-END:NUMBER, separated by commas"
                ) from exc
        return schedule
