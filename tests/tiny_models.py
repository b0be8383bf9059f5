"""Tiny random Llama checkpoints built locally, for fast unit tests of weight arithmetic."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def tiny_llama_config(layers: int = 2, hidden: int = 32, intermediate: int = 64, vocab: int = 128) -> LlamaConfig:
    return LlamaConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        tie_word_embeddings=True,
    )


def make_tiny_llama(path: Path, seed: int = 0, **config: int) -> Path:
    """Write a randomly initialised tiny Llama (safetensors) to ``path`` and return it."""
    torch.manual_seed(seed)
    model = LlamaForCausalLM(tiny_llama_config(**config))
    model.save_pretrained(path, safe_serialization=True)
    return path
