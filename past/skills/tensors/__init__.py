"""Tensor I/O for the skill engine: validated, memory-mapped safetensors reading and streaming writing."""

from past.skills.tensors.io import (
    SafetensorsFile,
    TensorEntry,
    check_safetensors,
    hash_files,
    plan_shards,
    write_safetensors,
    write_sharded,
)

__all__ = [
    "SafetensorsFile",
    "TensorEntry",
    "check_safetensors",
    "hash_files",
    "plan_shards",
    "write_safetensors",
    "write_sharded",
]
