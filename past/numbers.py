"""Finite numbers in range: one table of bounds for CLI flags, job parameters and training configs.

A :class:`Bounds` checks one number (``check``) and is an argparse type (``flag``): argparse turns its
``ArgumentTypeError`` into ``error: argument --flag: ...`` and exit 2, so ``--seed 1e23`` or ``--lr nan`` is
refused before any work starts. Job parameters (``backend.jobs.params``) and training configs
(``past.training.runs.config_from_dict``) check the same bounds, so a value refused on the command line is
refused in a job spec or a config file too.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from past.errors import ConfigError

CORES = os.cpu_count() or 1


class NumberError(ConfigError):
    """A number is not finite, not whole where it must be, or out of its range."""


def _show(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Bounds:
    """A range of numbers: ``low``..``high`` (``low`` itself excluded when ``above``), whole numbers if ``integer``."""

    low: float | None = None
    high: float | None = None
    integer: bool = False
    above: bool = False
    why: str = ""  # said after a too-large value, e.g. "4 × the 2 CPU cores"

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` (a number or its text), or None when it is in range."""
        if isinstance(value, str):
            text = value.strip()
            try:
                value = int(text) if self.integer else float(text)
            except ValueError:
                return f"{value!r} is not a {'whole ' if self.integer else ''}number"
        elif isinstance(value, bool) or not isinstance(value, int | float):
            return f"{value!r} is not a number"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{_show(value)!r} is not a finite number"
        if self.integer and not isinstance(value, int) and not value.is_integer():
            return f"{_show(value)} is not a whole number"
        if self.low is not None and (value <= self.low if self.above else value < self.low):
            bound = "greater than" if self.above else "at least"
            return f"must be {bound} {_show(self.low)}, got {_show(value)}"
        if self.high is not None and value > self.high:
            why = f" ({self.why})" if self.why else ""
            return f"must be at most {_show(self.high)}{why}, got {_show(value)}"
        return None

    def check(self, value: Any, name: str) -> Any:
        """``value`` as a number (an int when ``integer``); a :class:`NumberError` naming ``name`` otherwise."""
        problem = self.problem(value)
        if problem:
            raise NumberError(f"{name} {problem}" if problem.startswith("must") else f"{name}: {problem}")
        if isinstance(value, str):
            value = int(value.strip()) if self.integer else float(value.strip())
        return int(value) if self.integer else value

    @property
    def flag(self) -> Callable[[str], Any]:
        """An argparse ``type=``: the number, or ``error: argument --flag: <what is wrong>``."""

        def parse(text: str) -> Any:
            problem = self.problem(text)
            if problem:
                raise argparse.ArgumentTypeError(problem)
            return int(text) if self.integer else float(text)

        return parse


# Counts and sizes. 10**9 keeps every count far inside SQLite's 64-bit integers.
COUNT = Bounds(1, 10**9, integer=True)
STEPS = Bounds(1, 10**7, integer=True)
SEED = Bounds(0, 2**32 - 1, integer=True, why="a seed is a 32-bit number")
THREADS = Bounds(1, CORES * 4, integer=True, why=f"4 × the {CORES} CPU cores of this machine")
GENERATIONS = Bounds(2, 1024, integer=True, why="GRPO compares at least 2 answers per question")
RANK = Bounds(1, 4096, integer=True, why="a LoRA rank above a model's width adds nothing")
TOKENS = Bounds(1, 32768, integer=True)
PRIORITY = Bounds(-(10**6), 10**6, integer=True)
PORT = Bounds(1, 65535, integer=True, why="TCP ports go up to 65535")
# Real numbers.
POSITIVE = Bounds(0, 1e12, above=True)
NON_NEGATIVE = Bounds(0, 1e12)
LEARNING_RATE = Bounds(0, 1, above=True)
BETA = Bounds(0, 1000)
TEMPERATURE = Bounds(0, 100)
FRACTION = Bounds(0, 1, above=True)
EPOCHS = Bounds(0, 10**4, above=True)
SECONDS = Bounds(0, 30 * 86400, above=True, why="30 days")
GRACE_SECONDS = Bounds(0, 3600, why="an hour")
MEGABYTES = Bounds(0, 1024 * 1024, above=True, why="1 TB")

# Settings of the training configs (SFTTrainConfig, GRPOTrainConfig) by field name; a config file, a recipe
# or a flag goes through config_from_dict, which checks these.
CONFIG_BOUNDS: Mapping[str, Bounds] = {
    "learning_rate": LEARNING_RATE,
    "seed": SEED,
    "max_steps": Bounds(-1, 10**7, integer=True),  # 0 or -1: train for num_train_epochs instead
    "num_train_epochs": EPOCHS,
    "lora_r": RANK,
    "lora_alpha": Bounds(1, 10**5),
    "lora_dropout": Bounds(0, 1),
    "batch_size": COUNT,
    "gradient_accumulation_steps": COUNT,
    "max_length": TOKENS,
    "max_completion_length": TOKENS,
    "warmup_ratio": Bounds(0, 1),
    "weight_decay": Bounds(0, 10),
    "logging_steps": COUNT,
    "save_steps": Bounds(0, 10**7, integer=True),
    "save_total_limit": COUNT,
    "prompts_per_step": COUNT,
    "num_generations": GENERATIONS,
    "beta": BETA,
    "temperature": TEMPERATURE,
}


def check_numbers(values: Mapping[str, Any], bounds: Mapping[str, Bounds], what: str) -> None:
    """Every ``values[name]`` that has bounds is in range (None is skipped); ``what`` names the holder."""
    for name, value in values.items():
        if name in bounds and value is not None:
            bounds[name].check(value, f"{what} {name}")


__all__ = [
    "BETA",
    "CONFIG_BOUNDS",
    "CORES",
    "COUNT",
    "EPOCHS",
    "FRACTION",
    "GENERATIONS",
    "GRACE_SECONDS",
    "LEARNING_RATE",
    "MEGABYTES",
    "NON_NEGATIVE",
    "PORT",
    "POSITIVE",
    "PRIORITY",
    "RANK",
    "SECONDS",
    "SEED",
    "STEPS",
    "TEMPERATURE",
    "THREADS",
    "TOKENS",
    "Bounds",
    "NumberError",
    "check_numbers",
]
