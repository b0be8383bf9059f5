"""The two storage forms of a skill vector behind one interface: dense ``full`` deltas and ``lora`` factors."""

from past.skills.forms.base import DeltaForm, LowRank
from past.skills.forms.full import FULL_PREFIX, FullDelta
from past.skills.forms.lora import ADAPTER_CONFIG, ADAPTER_WEIGHTS, LoraDelta, write_lora_adapter

__all__ = [
    "ADAPTER_CONFIG",
    "ADAPTER_WEIGHTS",
    "FULL_PREFIX",
    "DeltaForm",
    "FullDelta",
    "LoraDelta",
    "LowRank",
    "write_lora_adapter",
]
