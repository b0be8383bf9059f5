"""How long a skill build (Stage I) will take, before it starts: per round, source SFT + the check before RL + GRPO.

* Source SFT: a round's documents train exactly as the recipe's preset trains targets
  (:func:`past.pipeline.build_skill.source_adapt_config`), so the Adapt cost model
  (:func:`past.pipeline.cost.estimate_adapt_cost`) counts its texts, steps and seconds, provided implications
  included.
* The check before RL: up to ``before_rl_questions`` of the round's questions answered closed book,
  :data:`BEFORE_RL_SECONDS_PER_QUESTION` each.
* GRPO: ``max_steps`` steps of ``prompts_per_step`` × ``num_generations`` sampled answers; a step costs
  :data:`GRPO_SECONDS_PER_PROMPT` per question (its prompt is encoded once per group, scored, logged) plus
  :data:`GRPO_SECONDS_PER_ROLLOUT_TOKEN` per answer and token of ``max_completion_length`` (sampling, the
  log-probabilities and the update of the answer's tokens).

The GRPO constants are fitted (within 4 %) to three step times measured on the development machine (2 cores,
2 threads, SmolLM2-135M), each alone on it: 4 questions × 8 answers of at most 24 tokens, 17 s a step (round 1 of
the bundled ``closed-book-qa`` build; its round 2 shared the CPU with a benchmark); 4 × 8 of at most 96 tokens,
42–49 s (both rounds of the bundled K = 2 recall build); 8 × 4 of at most 20 tokens, 24.9 s
(``bench/grpo_step.py``). 58 questions before RL took 31–34 s. Rounds of one build differ by up to a sixth
(answers stop early or run to the limit), so the note says "about". One-thread seconds, divided by the threads'
speed-up, as the Adapt estimate does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from past.pipeline.cost import (
    RUN_OVERHEAD_SECONDS,
    CostEstimate,
    busy_note,
    describe_time,
    estimate_adapt_cost,
    human_duration,
    thread_speedup,
)

GRPO_SECONDS_PER_PROMPT = 3.65  # one thread, per question of a step
GRPO_SECONDS_PER_ROLLOUT_TOKEN = 0.0208  # one thread, per sampled answer and token of the longest allowed
BEFORE_RL_SECONDS_PER_QUESTION = 0.95  # one thread, the source model answering one question closed book
ROUND_OVERHEAD_SECONDS = 20.0  # one thread: loading the models for GRPO, merging θ_sft, the orthogonality analysis


@dataclass
class RoundCost:
    round: int
    documents: int
    questions: int
    sft: CostEstimate
    before_rl_seconds: float  # one thread
    grpo_steps: int
    grpo_seconds: float  # one thread

    @property
    def cpu_seconds(self) -> float:
        return self.sft.cpu_seconds + self.before_rl_seconds + self.grpo_seconds + ROUND_OVERHEAD_SECONDS


@dataclass
class BuildEstimate:
    rounds: list[RoundCost] = field(default_factory=list)
    threads: int = 1
    cpu_seconds: float = 0.0  # one thread's
    seconds: float = 0.0  # wall, with ``threads`` torch threads on an idle machine

    def describe(self) -> str:
        return describe_time(self.seconds, self.threads)


def grpo_step_seconds(prompts: int, generations: int, max_tokens: int) -> float:
    """One thread's CPU seconds of one GRPO step: ``prompts`` × ``generations`` answers of up to ``max_tokens``."""
    return prompts * (GRPO_SECONDS_PER_PROMPT + generations * max_tokens * GRPO_SECONDS_PER_ROLLOUT_TOKEN)


def estimate_build_cost(
    recipe: Any, rounds: Sequence[Any], tokenizer: Any, threads: int | None = None
) -> BuildEstimate:
    """The estimated time of building ``recipe`` (a :class:`~past.pipeline.recipe.SkillRecipe`) over ``rounds``
    (one :class:`~past.pipeline.sources.Sources` per round) with ``threads`` torch threads."""
    from past.pipeline.build_skill import source_adapt_config

    estimate = BuildEstimate()
    for k, part in enumerate(rounds, start=1):
        sft = estimate_adapt_cost(part.documents, source_adapt_config(recipe, k), tokenizer, threads, part.provided)
        estimate.threads = sft.threads
        grpo = recipe.grpo_config(k)
        asked = min(recipe.before_rl_questions, len(part.qa.items))
        estimate.rounds.append(
            RoundCost(
                round=k,
                documents=len(part.documents),
                questions=len(part.qa.items),
                sft=sft,
                before_rl_seconds=asked * BEFORE_RL_SECONDS_PER_QUESTION,
                grpo_steps=grpo.max_steps,
                grpo_seconds=grpo.max_steps
                * grpo_step_seconds(grpo.prompts_per_step, grpo.num_generations, grpo.max_completion_length),
            )
        )
    estimate.cpu_seconds = sum(r.cpu_seconds for r in estimate.rounds) + RUN_OVERHEAD_SECONDS
    estimate.seconds = estimate.cpu_seconds / thread_speedup(estimate.threads)
    return estimate


def build_note(estimate: BuildEstimate, load: float | None = None, cores: int | None = None) -> str:
    """What the Build screen says before Build: the estimate, what one round spends on learning its documents and on
    practice, and, when the machine is busy, how much longer it will take."""
    speedup = thread_speedup(estimate.threads)
    first = estimate.rounds[0]
    steps = sum(s.steps for s in first.sft.stages)
    rounds = len(estimate.rounds)
    lines = [
        f"Estimated time: **{estimate.describe()}** for {rounds} round{'s' if rounds != 1 else ''}. "
        f"A round: learning its {first.documents} document(s) about {human_duration(first.sft.cpu_seconds / speedup)}"
        f" ({steps} training steps), then practice about {human_duration(first.grpo_seconds / speedup)} "
        f"({first.grpo_steps} GRPO steps)."
    ]
    busy = busy_note(estimate.seconds, estimate.threads, load, cores)
    return "\n\n".join([*lines, busy] if busy else lines)
