"""Local batched generation: left padding and length-sorted batches give the same answers, in input order."""

from __future__ import annotations

import pytest

from past.generators import LocalGenerator, user
from past.serving.generation import GenerationParams


@pytest.mark.slow
def test_batched_greedy_generation_matches_one_at_a_time(default_model) -> None:
    conversations = [
        user("What is the capital of France?"),
        user("Write one sentence about the history of the island of Crete and its famous Bronze Age palace."),
        user("Name a colour."),
    ]
    params = GenerationParams(max_new_tokens=12)
    side = default_model.tokenizer.padding_side
    one = LocalGenerator(default_model.model, default_model.tokenizer, batch_size=1).generate(conversations, params)
    batched = LocalGenerator(default_model.model, default_model.tokenizer, batch_size=3).generate(conversations, params)
    assert batched == one
    assert "Paris" in one[0] and "Crete" in one[1]
    assert default_model.tokenizer.padding_side == side  # left padding is scoped to generation
