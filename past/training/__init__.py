"""Training methods of the PaST pipeline: one trainer wrapper + one config dataclass per method (TRL style)."""

from past.training.callbacks import ReporterCallback
from past.training.data import build_sft_dataset, load_records
from past.training.grpo import GRPOResult, GRPOTrainConfig, train_grpo
from past.training.sft import SFTResult, SFTTrainConfig, train_sft

__all__ = [
    "GRPOResult",
    "GRPOTrainConfig",
    "ReporterCallback",
    "SFTResult",
    "SFTTrainConfig",
    "build_sft_dataset",
    "load_records",
    "train_grpo",
    "train_sft",
]
