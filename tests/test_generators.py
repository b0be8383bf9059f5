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


@pytest.mark.slow
def test_a_long_batch_reports_its_tokens_and_synthesis_passes_them_on(default_model) -> None:
    """Sub-progress while practice material is written: a local batch says how many tokens it has written, and
    the synthesis progress moves inside the batch; the replies are the same as without it."""
    from past.documents import Chunk
    from past.progress import NullReporter
    from past.synthesis import SynthesisConfig, synthesize

    conversations = [user("Count from one to one hundred in words, separated by commas.")]
    params = GenerationParams(max_new_tokens=40)
    quiet = LocalGenerator(default_model.model, default_model.tokenizer).generate(conversations, params)
    seen: list[tuple[int, int]] = []
    generator = LocalGenerator(default_model.model, default_model.tokenizer, on_tokens=lambda d, m: seen.append((d, m)))
    assert generator.generate(conversations, params) == quiet
    assert seen == [(16, 40), (32, 40)]

    class Recorder(NullReporter):
        def __init__(self) -> None:
            self.seen: list[tuple[float, str]] = []

        def progress(self, fraction: float, message: str) -> None:
            self.seen.append((fraction, message))

    reporter = Recorder()
    chunk = Chunk("isle", 0, "The Isle of Vessary lies in the Marren Sea. Its harbour town is Tallowmere.", 0, 20)
    config = SynthesisConfig(tasks=("qa",), qa_variants=("factual",), max_new_tokens=48)
    synthesize([chunk], LocalGenerator(default_model.model, default_model.tokenizer), config, reporter)
    inside = [(f, m) for f, m in reporter.seen if "(token " in m]
    assert inside and inside[0] == (16 / 48, "generating 1-1 of 1 (token 16 of 48)")
    assert reporter.seen[-1][0] == 1.0
