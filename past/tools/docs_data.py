"""SFT data from tool documentation, as in the paper: raw schemas, natural-language descriptions, and
bidirectional QA (function name → usage, usage → function name).

Descriptions and usage requests are written by any :class:`~past.generators.ChatGenerator` (the local model or
an OpenAI-compatible endpoint) or, without one, by deterministic templates; a generated text that is empty or
unusable falls back to its template, and every record says which produced it (``provenance``). Records are
``{"text": ...}`` or ``{"messages": [...]}`` with ``kind`` and ``function`` alongside, the shapes
``past.training`` reads.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from past.errors import ConfigError
from past.generators.base import ChatGenerator, user
from past.progress import NullReporter, Reporter
from past.serving.generation import GenerationParams
from past.tools.react import render_step
from past.tools.schema import ApiSpec

DOC_TASKS = ("schema", "description", "name_to_usage", "usage_to_name")
MIN_DESCRIPTION_CHARS = 30


@dataclass(frozen=True)
class DocsDataConfig:
    tasks: tuple[str, ...] = DOC_TASKS
    questions_per_api: int = 2
    temperature: float = 0.7
    top_p: float = 0.95
    max_new_tokens: int = 160
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [t for t in self.tasks if t not in DOC_TASKS]
        if unknown or not self.tasks:
            raise ConfigError(f"unknown docs-data task(s) {unknown or '(none)'}: choose from {', '.join(DOC_TASKS)}")
        if self.questions_per_api < 1:
            raise ConfigError("questions_per_api must be at least 1")

    def params(self) -> GenerationParams:
        return GenerationParams(max_new_tokens=self.max_new_tokens, temperature=self.temperature, top_p=self.top_p)


@dataclass
class ApiTexts:
    """What was written about one API, and by whom ("template" or the generator's name)."""

    description: str
    description_by: str
    questions: list[str]
    questions_by: str


@dataclass
class DocsData:
    records: list[dict[str, Any]]
    texts: dict[str, ApiTexts]
    counts: dict[str, int] = field(default_factory=dict)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def _param_list(params: Sequence[Any]) -> str:
    parts = []
    for p in params:
        example = f", e.g. {p.default}" if p.default not in (None, "") else ""
        about = f": {p.description}" if p.description else ""
        parts.append(f"{p.name} ({p.type}{example}){about}")
    return "; ".join(parts) or "none"


def _fields(template: Any) -> str:
    if isinstance(template, dict) and template:
        return "It returns JSON with the fields " + ", ".join(list(template)[:12]) + "."
    return ""


def template_description(api: ApiSpec) -> str:
    parts = [
        f"The function {api.function} is the '{api.name}' API of the tool {api.tool} (category {api.category}),"
        f" called with HTTP {api.method}.",
        _sentence(api.description),
        f"Required parameters: {_param_list(api.required)}.",
        f"Optional parameters: {_param_list(api.optional)}." if api.optional else "",
        _fields(api.template_response),
    ]
    return " ".join(p for p in parts if p)


def template_questions(api: ApiSpec) -> list[str]:
    questions = [f"Which API function should I call to use '{api.name}' of {api.tool}?"]
    if api.description.strip():
        questions.append(f"Which API function does this: {_sentence(api.description.strip())}")
    questions.append(f"I want the {api.name.lower()} from the {api.tool} service. Which function is that?")
    return questions


def _description_prompt(api: ApiSpec) -> list[dict[str, str]]:
    return user(
        "Describe this API in 2 to 4 plain English sentences for a developer: what it does, its function name "
        f"({api.function}) and the parameters it needs.\nDocumentation: {api.document()}"
    )


def _questions_prompt(api: ApiSpec, n: int) -> list[dict[str, str]]:
    return user(
        f"Write {n} different requests a user could make that this API answers. One per line, no numbering, "
        f"do not name the API.\nDocumentation: {api.document()}"
    )


_NUMBERING = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


def parse_questions(text: str) -> list[str]:
    lines = [_NUMBERING.sub("", line).strip().strip('"') for line in text.splitlines()]
    return [line for line in lines if len(line) >= 12 and not line.lower().startswith(("here are", "sure"))]


def write_api_texts(
    apis: Sequence[ApiSpec],
    config: DocsDataConfig,
    generator: ChatGenerator | None = None,
    reporter: Reporter | None = None,
) -> dict[str, ApiTexts]:
    """A description and ``questions_per_api`` usage requests per API (generated, or templates)."""
    reporter = reporter or NullReporter()
    texts = {}
    for api in apis:
        texts[api.function] = ApiTexts(
            template_description(api), "template", template_questions(api)[: config.questions_per_api], "template"
        )
    if generator is None or not apis:
        return texts
    step = max(1, generator.batch_size)
    for start in range(0, len(apis), step):
        if reporter.should_stop():
            reporter.log("docs data: stop requested; the remaining APIs keep their template texts")
            break
        batch = apis[start : start + step]
        conversations = [_description_prompt(a) for a in batch]
        conversations += [_questions_prompt(a, config.questions_per_api) for a in batch]
        replies = generator.generate(conversations, config.params(), seed=config.seed + start)
        for i, api in enumerate(batch):
            entry = texts[api.function]
            description = " ".join(replies[i].split())
            if len(description) >= MIN_DESCRIPTION_CHARS:
                entry.description, entry.description_by = description, generator.name
            questions = parse_questions(replies[len(batch) + i])[: config.questions_per_api]
            if questions:
                entry.questions, entry.questions_by = questions, generator.name
        reporter.progress(min(1.0, (start + len(batch)) / len(apis)), f"docs data: {start + len(batch)}/{len(apis)}")
    return texts


def usage_answer(api: ApiSpec) -> str:
    return render_step(
        f"The API for this is {api.function} of {api.tool} ({api.category}).", api.function, api.example_arguments()
    )


def name_answer(api: ApiSpec, description: str) -> str:
    return (
        description + "\nCall it as:\n" + render_step(f"I call {api.function}.", api.function, api.example_arguments())
    )


def docs_sft_records(
    apis: Sequence[ApiSpec],
    config: DocsDataConfig | None = None,
    generator: ChatGenerator | None = None,
    reporter: Reporter | None = None,
) -> DocsData:
    """The docs SFT records of every API for the configured tasks."""
    config = config or DocsDataConfig()
    texts = write_api_texts(apis, config, generator, reporter)
    records: list[dict[str, Any]] = []
    for api in apis:
        entry = texts[api.function]
        meta = {"function": api.function, "category": api.category}
        if "schema" in config.tasks:
            records.append({"kind": "schema", **meta, "provenance": "document", "text": api.document()})
        if "description" in config.tasks:
            records.append(
                {"kind": "description", **meta, "provenance": entry.description_by, "text": entry.description}
            )
        if "name_to_usage" in config.tasks:
            messages = [
                {"role": "user", "content": f"How do I use the API function {api.function}?"},
                {"role": "assistant", "content": name_answer(api, entry.description)},
            ]
            records.append({"kind": "name_to_usage", **meta, "provenance": entry.description_by, "messages": messages})
        if "usage_to_name" in config.tasks:
            for question in entry.questions:
                messages = [{"role": "user", "content": question}, {"role": "assistant", "content": usage_answer(api)}]
                records.append(
                    {"kind": "usage_to_name", **meta, "provenance": entry.questions_by, "messages": messages}
                )
    counts = dict(Counter(r["kind"] for r in records))
    return DocsData(records, texts, counts)
