"""What one adaptation (Stage II) is asked to do, built once: the presets, the epoch override, the ranges and λ.

Light (no torch, no transformers): the studio's Adapt screen, ``past adapt``, the cost estimate
(:func:`past.pipeline.cost.estimate_preset`) and the ``pipeline.adapt`` job kind all build one
:class:`AdaptParams` here, which checks every choice once — the preset against :data:`PRESETS`, the mode,
the epochs against :data:`MAX_EPOCHS` and λ as a :class:`~past.skills.lambdas.LambdaSpec` (a number or a
per-module / per-layer schedule). :meth:`past.pipeline.adapt.AdaptConfig.from_params` turns it into the
config that trains; :meth:`AdaptParams.stages` is the one place a preset's stages get the epoch override.

A preset is a curriculum of one or more SFT stages, each with its data recipe
(:mod:`past.pipeline.data_recipe`) and its SFT settings; add one to :data:`PRESETS` and every caller offers it.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from past.errors import ConfigError
from past.skills.lambdas import LambdaSpec
from past.tools.format_data import TOOL_SFT_MAX_LENGTH

MODES = ("past", "sft", "pre_injection", "sequential")
OUTPUTS = ("adapter", "merged")
NEEDS_SKILL = ("past", "pre_injection")
MAX_EPOCHS = 100.0

# SFT settings of Stage II: the paper's single-passage setting (LoRA r=32, α=64, lr 1e-3, epochs over a
# small dataset), with the epoch count measured on this project's default model (bench/README.md).
TARGET_SFT: dict[str, Any] = {"max_steps": 0, "num_train_epochs": 10, "batch_size": 4, "save_steps": 20}

PRESETS: dict[str, dict[str, Any]] = {
    "short-notes": {
        "description": "Short documents (notes, pages, articles): the passages and implications the model writes.",
        "stages": [{"name": "documents", "data": {"synthesis": ["implications"]}, "sft": TARGET_SFT}],
    },
    "passage-only": {
        "description": "The documents' text alone, no synthetic data (the paper's 'train on passage').",
        "stages": [{"name": "documents", "data": {"synthesis": []}, "sft": TARGET_SFT}],
    },
}
# Answerable facts (issue 23's storage study, bench/README.md "Storage study"): the documents' text with
# practice passages from other articles and their questions answered in the recall format (the remembered
# sentence, then "Answer: ..."), batch 1 as the paper. Closed book, read in that format, it answers 13.6 % of
# 50 SQuAD passages' questions where short-notes answers 3.3 % (seed 0: paired +10.3 points [+4.6, +15.8], F1
# +0.041 [-0.008, +0.092]; trained on an unrelated passage instead, 0.8 % of 20), and keeps more forgetting probes;
# ~6-7x short-notes' CPU time (6.1 against 0.85 CPU-minutes per passage, median).
PRACTICE_SFT: dict[str, Any] = {**TARGET_SFT, "batch_size": 1, "save_steps": 0}
PRESETS["recall-practice"] = {
    "description": "Answerable facts (about 6x slower): the documents' text with practice questions on other "
    "passages, answered by first recalling the sentence; read its answers in the 'recall, then answer' format.",
    "answer_format": "recall",
    "stages": [
        {"name": "documents", "data": {"synthesis": [], "practice": 3, "qa_prompt": "recall"}, "sft": PRACTICE_SFT}
    ],
}
# The long-document regime (LooGLE, App. E of the paper): (1) context memorisation, multi-task SFT over the
# document's 1024-token windows (the paper's smallest window; text modelling + expansion + compression with
# extractive lead summaries, see past.pipeline.data_recipe), then (2) synthetic QA on 256-token chunks,
# continuing stage 1's LoRA. Epochs are the CPU setting: a 100k-character document is ~25 windows.
LONG_MEMORISE_SFT: dict[str, Any] = {
    "max_steps": 0,
    "num_train_epochs": 2,
    "batch_size": 1,
    "gradient_accumulation_steps": 2,
    "max_length": 1280,
    "save_steps": 10,
}
LONG_QA_SFT: dict[str, Any] = {"max_steps": 0, "num_train_epochs": 3, "batch_size": 4, "save_steps": 20}
PRESETS["long-document"] = {
    "description": "Long document (a manual or report of many pages): the model first memorises the whole text "
    "window by window, then practises questions it writes about it.",
    "stages": [
        {
            "name": "memorise",
            "data": {"chunking": "memorise-1024", "synthesis": [], "extractive_summaries": True},
            "sft": LONG_MEMORISE_SFT,
        },
        {
            "name": "qa",
            "data": {"chunking": "qa-256", "synthesis": ["qa"], "synthesis_max_new_tokens": 96},
            "sft": LONG_QA_SFT,
        },
    ],
}
# Tool use (the paper's ToolBench regime): a tools collection's API schemas → raw schemas, descriptions,
# name ↔ usage QA and ReAct first steps (past.tools.documents); inject a tool-use skill (kind "tool_use").
TOOL_PRESET = "tool-docs"
# max_length: past.tools.format_data.TOOL_SFT_MAX_LENGTH (ReAct records are up to ~430 tokens).
TOOL_SFT: dict[str, Any] = {
    "max_steps": 0,
    "num_train_epochs": 5,
    "batch_size": 4,
    "save_steps": 20,
    "max_length": TOOL_SFT_MAX_LENGTH,
}
PRESETS[TOOL_PRESET] = {
    "description": "API documentation (a tools collection): the schemas, their descriptions, questions from "
    "API name to usage and back, and the agent's Thought/Action format.",
    "stages": [{"name": "tools", "data": {"synthesis": [], "tool_docs": True}, "sft": TOOL_SFT}],
}
DEFAULT_PRESET = "short-notes"
PRESET_NAMES = list(PRESETS)


def answer_format(preset: str | None) -> str:
    """The prompt family a preset's model is read in (its report card, its A/B chat): ``recall`` for a preset
    that trains the recall-then-answer format, else the direct ``paper`` prompt (also for an unknown preset)."""
    return PRESETS.get(preset or "", {}).get("answer_format", "paper")


def check_preset(name: object) -> str:
    if not isinstance(name, str) or name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return name


def preset_epochs(preset: str | None) -> int:
    """The passes over the training texts a preset makes in its first stage (the default preset's for None)."""
    stages = PRESETS.get(preset or DEFAULT_PRESET, PRESETS[DEFAULT_PRESET])["stages"]
    return int(stages[0]["sft"].get("num_train_epochs", TARGET_SFT["num_train_epochs"]))


def check_epochs(epochs: object) -> float | None:
    """None (the preset's own) or a number of passes in (0, :data:`MAX_EPOCHS`]."""
    if epochs is None:
        return None
    if isinstance(epochs, bool) or not isinstance(epochs, int | float) or not math.isfinite(epochs):
        raise ConfigError(f"epochs must be a number of passes, not {epochs!r}")
    if not 0 < epochs <= MAX_EPOCHS:
        raise ConfigError(f"epochs must lie in (0, {MAX_EPOCHS:g}], got {epochs:g}")
    return float(epochs)


@dataclass(frozen=True)
class AdaptParams:
    """One adaptation's choices, each checked on construction (a :class:`~past.errors.ConfigError` names it).

    ``lam``: None for the skill's own default λ, else anything :meth:`LambdaSpec.coerce` reads (a number, the
    CLI's text form, the JSON form); kept as a :class:`LambdaSpec`. ``epochs``: None keeps each stage's own;
    a number replaces the epochs (and any step limit) of every stage, as ``past adapt --epochs`` always has.
    """

    preset: str = DEFAULT_PRESET
    mode: str = "past"
    lam: LambdaSpec | None = None
    epochs: float | None = None
    seed: int = 0
    output: str = "adapter"

    def __post_init__(self) -> None:
        check_preset(self.preset)
        if self.mode not in MODES:
            raise ConfigError(f"unknown adaptation mode {self.mode!r}: choose one of {', '.join(MODES)}")
        if self.output not in OUTPUTS:
            raise ConfigError(f"unknown output {self.output!r}: choose one of {', '.join(OUTPUTS)}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed must be a whole number, not {self.seed!r}")
        object.__setattr__(self, "epochs", check_epochs(self.epochs))
        if self.lam is not None:
            object.__setattr__(self, "lam", LambdaSpec.coerce(self.lam, "lam"))

    @property
    def injects(self) -> bool:
        return self.mode in NEEDS_SKILL

    def stages(self) -> list[dict[str, Any]]:
        """The preset's stages as plain dicts (copies), with the epoch override applied to every stage."""
        stages = copy.deepcopy(PRESETS[self.preset]["stages"])
        if self.epochs is not None:
            for stage in stages:
                stage["sft"] = {**stage["sft"], "max_steps": 0, "num_train_epochs": self.epochs}
        return stages

    def lam_json(self) -> float | dict | None:
        """λ as job parameters and records hold it: None, a number, or a schedule's JSON form."""
        return None if self.lam is None else self.lam.to_json()


def preset_mismatch(skill_recipe: dict[str, Any] | None, preset: str) -> str | None:
    """A plain warning when a skill built for one Stage II preset is injected after another (None when they match
    or the skill names none): its vector was learned on source models fine-tuned differently from this target."""
    built_for = (skill_recipe or {}).get("preset")
    if not built_for or built_for == preset:
        return None
    return (
        f"this skill was built for the preset '{built_for}' (its source models were fine-tuned that way) and is "
        f"injected after '{preset}': expect a weaker effect, or adapt with '{built_for}'"
    )
