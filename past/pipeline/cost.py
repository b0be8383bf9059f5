"""How long an adaptation will take, before it starts: tokens → training steps → CPU seconds.

The model is deliberately small. Per stage of an :class:`~past.pipeline.adapt.AdaptConfig`:

* the documents' windows (counted with the base model's tokenizer, exactly as training cuts them);
* the training texts: ``passage_copies`` per window, expansion + compression per window when the recipe
  has extractive summaries, and the synthetic texts (QA: one generation per chunk and question variant of
  :data:`past.synthesis.prompts.QA_VARIANTS`, ``QA_ITEMS_PER_GENERATION`` pairs of ``QA_ITEM_TOKENS``
  tokens each; other tasks: one text of ``synthesis_max_new_tokens`` per chunk);
* training steps = ceil(texts / (batch × accumulation)) × epochs (or ``max_steps``), and trained tokens =
  the texts' tokens (each capped at ``max_length``) × epochs;
* one-thread CPU seconds = Σ over trained texts of L × (:data:`TRAIN_SECONDS_PER_TOKEN` + L ×
  :data:`TRAIN_SECONDS_PER_TOKEN_PER_TOKEN`) for a text of L tokens (a token of a 1,024-token window costs
  about twice one of a short QA pair: attention and activations grow with the length) × epochs, + generated
  tokens × :data:`GENERATE_SECONDS_PER_TOKEN`, + :data:`STEP_SECONDS` per optimizer step (what a step costs
  beyond its tokens; it dominates batch-1 recipes of many short texts), + :data:`STAGE_OVERHEAD_SECONDS`
  (loading the model, writing the adapter) per stage, + :data:`GENERATOR_LOAD_SECONDS` per stage that writes
  synthetic data, + :data:`RUN_OVERHEAD_SECONDS` (injection, publishing);
* wall seconds = those CPU seconds / the speed-up of the torch threads the run will use (the machine's
  cores unless ``--threads`` says otherwise), from :data:`TWO_THREAD_SPEEDUP` measured here (Amdahl's law
  past two threads).

The constants are measured on the development machine (2 cores, fp32, the bundled SmolLM2-135M, LoRA r=32)
with ``bench/cost_calibration.py``, which measures them again on any machine; see ``bench/README.md`` (long
documents). The estimate is for an otherwise idle machine running this one job; two jobs at once each take
about twice as long: :func:`launch_note` says so from the load average (:func:`busy_factor`), and adds the
report card that follows a run (:func:`report_card_seconds`). A GPU is far faster; the estimate is for the CPU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from past.adapt_params import AdaptParams

# CPU seconds, one thread, measured on the development machine (bench/cost_calibration.py; bench/README.md):
# a 1,024-token window trains at ~0.011 s a token, a 60-token QA pair at ~0.005
TRAIN_SECONDS_PER_TOKEN = 0.0047
TRAIN_SECONDS_PER_TOKEN_PER_TOKEN = 6e-6
GENERATE_SECONDS_PER_TOKEN = 0.050
# per optimizer step beyond its tokens: the recall-practice preset (200 batch-1 steps of short texts on one passage)
# took 196 s wall at 2 threads (median of 24 storage-study fine-tunes) where the token terms give 89 s
STEP_SECONDS = 0.94
STAGE_OVERHEAD_SECONDS = 15.0
GENERATOR_LOAD_SECONDS = 5.0
RUN_OVERHEAD_SECONDS = 5.0
# usable QA pairs per generation: the bundled 135M generator writes a well-formed <question>/<answer> pair in
# ~2 % of its generations (14 of 594 on the 100,000-character run of bench/README.md); a stronger generator
# writes more, and its qa stage then trains longer than estimated
QA_ITEMS_PER_GENERATION = 0.025
QA_ITEM_TOKENS = 60
# wall-time speed-up of 2 torch threads over 1 on 2 idle cores (the same calibration run with each)
TWO_THREAD_SPEEDUP = 1.75
# the report card after a run (past.evaluation.report_card): five systems on the collection's questions, two on
# the general-knowledge probes; one thread's seconds per batched decoding step and for loading the models
REPORT_SYSTEMS = 5
REPORT_PROBES = 20
REPORT_STEP_SECONDS = 0.5
REPORT_LOAD_SECONDS = 30.0
BUSY_FACTOR = 1.3  # say the machine is busy when the load makes a run this much slower


@dataclass
class StageCost:
    name: str
    windows: int
    texts: int
    steps: int
    train_tokens: int
    generated_tokens: int
    seconds: float


@dataclass
class CostEstimate:
    stages: list[StageCost] = field(default_factory=list)
    seconds: float = 0.0  # wall seconds with ``threads`` torch threads on an idle machine
    document_tokens: int = 0
    threads: int = 1
    cpu_seconds: float = 0.0  # one thread's CPU seconds (what the stages add up to)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def minutes(self) -> float:
        return self.seconds / 60.0

    def describe(self) -> str:
        return describe_time(self.seconds, self.threads)


def report_card_seconds(
    n_questions: int, threads: int = 1, max_new_tokens: int = 32, batch_size: int = 16, probes: int = REPORT_PROBES
) -> float:
    """Wall seconds of the report card after a run: five systems answer ``n_questions`` questions and two the
    general-knowledge probes, ``batch_size`` at a time, one batched decoding step per answer token. This is the
    first card of a collection, an upper bound for later ones: they reuse the base model's three runs
    (:mod:`past.evaluation.answer_cache`)."""
    batches = REPORT_SYSTEMS * math.ceil(n_questions / batch_size) + 2 * math.ceil(probes / batch_size)
    cpu = REPORT_LOAD_SECONDS + batches * max_new_tokens * REPORT_STEP_SECONDS
    return cpu / thread_speedup(threads)


def machine_load(load: float | None = None, cores: int | None = None) -> tuple[float, int]:
    """The machine's one-minute load average and its cores (``os.getloadavg``; 0 where there is none)."""
    import os

    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = 0.0
    return float(load), int(cores or os.cpu_count() or 1)


def busy_factor(threads: int, load: float, cores: int) -> float:
    """How much longer a run of ``threads`` threads takes than on an idle machine when ``load`` runnable
    processes already share the ``cores`` (1.0: the machine has room)."""
    return max(1.0, (load + threads) / cores)


def launch_note(
    cost: CostEstimate,
    n_documents: int,
    card_questions: int = 0,
    load: float | None = None,
    cores: int | None = None,
) -> str:
    """What the Adapt screen says before Launch: the estimate with its parts, the report card after it
    (``card_questions`` > 0) and, when the machine is busy, how much longer it will take."""
    windows = sum(s.windows for s in cost.stages)
    steps = sum(s.steps for s in cost.stages)
    speedup = thread_speedup(cost.threads)
    writing = sum(s.generated_tokens for s in cost.stages) * GENERATE_SECONDS_PER_TOKEN / speedup
    parts = f"{cost.document_tokens:,} tokens in {n_documents} document(s), {windows} windows, {steps} training steps"
    if writing:
        parts += f"; writing practice material about {human_duration(writing)} of it"
    lines = [f"Estimated time: **{cost.describe()}** ({parts})."]
    card = report_card_seconds(card_questions, cost.threads) if card_questions else 0.0
    if card:
        lines.append(
            f"Then the report card ({card_questions} questions and the forgetting check): about "
            f"{human_duration(card)} more."
        )
    busy = busy_note(cost.seconds + card, cost.threads, load, cores)
    return "\n\n".join([*lines, busy] if busy else lines)


def busy_note(seconds: float, threads: int, load: float | None = None, cores: int | None = None) -> str:
    """'The machine is busy …: expect about 1.8× longer, …' when the load would slow a run of ``seconds`` (idle
    machine) by :data:`BUSY_FACTOR` or more; '' when the machine has room."""
    load, cores = machine_load(load, cores)
    factor = busy_factor(threads, load, cores)
    if factor < BUSY_FACTOR:
        return ""
    return (
        f"The machine is busy (load {load:.1f} on {cores} cores): expect about {factor:.1f}× longer, "
        f"{human_duration(seconds * factor)} in all."
    )


def describe_time(seconds: float, threads: int) -> str:
    """Plain words for an estimate: 'about 12 minutes on this machine (CPU, 2 threads)'."""
    return f"about {human_duration(seconds)} on this machine (CPU, {threads} thread{'s' if threads != 1 else ''})"


def human_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(10, round(seconds / 10) * 10):.0f} seconds"
    minutes = seconds / 60
    if minutes < 90:
        return f"{round(minutes):.0f} minutes"
    return f"{minutes / 60:.1f} hours"


def thread_speedup(threads: int) -> float:
    """How much faster than one thread ``threads`` torch threads run (Amdahl's law through the measured
    two-thread speed-up)."""
    if threads <= 1:
        return 1.0
    parallel = 2.0 * (1.0 - 1.0 / TWO_THREAD_SPEEDUP)
    return 1.0 / ((1.0 - parallel) + parallel / threads)


def train_seconds(lengths: Sequence[int]) -> float:
    """One thread's CPU seconds to train once over texts of these token lengths."""
    return sum(n * (TRAIN_SECONDS_PER_TOKEN + n * TRAIN_SECONDS_PER_TOKEN_PER_TOKEN) for n in lengths)


def _default_threads() -> int:
    import torch

    return torch.get_num_threads()


def _text_tokens(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    if not texts:
        return []
    return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]


def estimate_adapt_cost(
    documents: Sequence[Any],
    config: Any,
    tokenizer: Any,
    threads: int | None = None,
    provided: dict[str, list[str]] | None = None,
) -> CostEstimate:
    """The estimated time of ``adapt(documents, config, provided=provided)`` with ``threads`` torch threads
    (default: this process's, which is what a run started from here gets); see the module docstring."""
    from past.pipeline.data_recipe import document_chunks, training_texts
    from past.synthesis.prompts import QA_VARIANTS

    threads = threads or _default_threads()
    estimate = CostEstimate(
        document_tokens=sum(sum(_text_tokens(tokenizer, [d.text])) for d in documents), threads=threads
    )
    for stage in config.stages:
        sft = stage.sft_config(config.seed)
        recipe = stage.data
        chunks = document_chunks(documents, tokenizer, recipe)
        texts, _ = training_texts(chunks, [], recipe, tokenizer, config.seed, provided)
        lengths = [min(n, sft.max_length) for n in _text_tokens(tokenizer, texts)]
        generations = 0
        for task in recipe.synthesis if recipe.needs_generator else []:
            per = len(chunks) * recipe.synthesis_samples
            if task == "qa":
                per *= len(QA_VARIANTS)
                lengths += [min(QA_ITEM_TOKENS, sft.max_length)] * round(per * QA_ITEMS_PER_GENERATION)
            else:
                lengths += [min(recipe.synthesis_max_new_tokens, sft.max_length)] * per
            generations += per
        generated = generations * recipe.synthesis_max_new_tokens
        per_step = sft.batch_size * sft.gradient_accumulation_steps
        if sft.max_steps > 0:
            steps = sft.max_steps
            passes = steps * per_step / len(lengths) if lengths else 0.0  # the texts a step sees, on average
        else:
            # as the trainer counts: whole batches, whole accumulations, per epoch (a short-notes page of 2 texts
            # at batch 4 trains 1 step an epoch, not half of one)
            per_epoch = math.ceil(math.ceil(len(lengths) / sft.batch_size) / sft.gradient_accumulation_steps)
            steps = math.ceil(per_epoch * sft.num_train_epochs) if lengths else 0
            passes = sft.num_train_epochs
        train_tokens = int(sum(lengths) * passes)
        seconds = train_seconds(lengths) * passes + generated * GENERATE_SECONDS_PER_TOKEN + steps * STEP_SECONDS
        seconds += STAGE_OVERHEAD_SECONDS + (GENERATOR_LOAD_SECONDS if generations else 0.0)
        estimate.stages.append(
            StageCost(stage.name, len(chunks), len(lengths), steps, train_tokens, generated, seconds)
        )
    estimate.cpu_seconds = sum(s.seconds for s in estimate.stages) + RUN_OVERHEAD_SECONDS
    estimate.seconds = estimate.cpu_seconds / thread_speedup(threads)
    return estimate


def estimate_preset(
    base_dir: Any, documents: Sequence[Any], params: AdaptParams, threads: int | None = None
) -> CostEstimate:
    """The estimate for an adaptation's choices as the studio and ``past adapt`` launch them (the same
    :class:`~past.adapt_params.AdaptParams`, epoch override included)."""
    from past.documents.chunking import load_tokenizer
    from past.pipeline.adapt import AdaptConfig

    return estimate_adapt_cost(documents, AdaptConfig.from_params(params), load_tokenizer(base_dir), threads)
