"""Synthetic training data from documents: implications, six-variant QA pairs, summaries/expansions."""

from past.synthesis.items import KINDS, Provenance, SynthItem, deduplicate, read_items, write_items
from past.synthesis.parsing import ParsedQA, parse_lines, parse_qa
from past.synthesis.pipeline import TASKS, SynthesisConfig, SynthesisResult, SynthesisStats, synthesize
from past.synthesis.prompts import QA_VARIANTS

__all__ = [
    "KINDS",
    "QA_VARIANTS",
    "TASKS",
    "ParsedQA",
    "Provenance",
    "SynthItem",
    "SynthesisConfig",
    "SynthesisResult",
    "SynthesisStats",
    "deduplicate",
    "parse_lines",
    "parse_qa",
    "read_items",
    "synthesize",
    "write_items",
]
