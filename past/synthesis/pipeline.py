"""Generate synthetic training data from document chunks with any :class:`ChatGenerator`.

One request per (chunk, task, variant, sample); requests are sent in the generator's batches with progress
reported and Stop honoured between batches. The result holds deduplicated items and counts of what was
generated, parsed, dropped as malformed and dropped as duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from past.documents.chunking import Chunk
from past.errors import ConfigError
from past.generators.base import ChatGenerator, Conversation
from past.progress import NullReporter, Reporter
from past.serving.generation import GenerationParams
from past.synthesis import prompts
from past.synthesis.items import Provenance, SynthItem, deduplicate
from past.synthesis.parsing import parse_lines, parse_qa

TASKS = ("passage", "implications", "qa", "summaries", "rewrites")


@dataclass(frozen=True)
class SynthesisConfig:
    """What to generate. ``samples`` generations per (chunk, task, variant); sampling as in the paper."""

    tasks: tuple[str, ...] = ("implications", "qa")
    qa_variants: tuple[str, ...] = tuple(prompts.QA_VARIANTS)
    samples: int = 1
    temperature: float = 1.0
    top_p: float = 0.95
    max_new_tokens: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown or not self.tasks:
            raise ConfigError(f"unknown synthesis task(s) {unknown or '(none)'}: choose from {', '.join(TASKS)}")
        bad = [v for v in self.qa_variants if v not in prompts.QA_VARIANTS]
        if bad:
            raise ConfigError(f"unknown QA variant(s) {bad}: choose from {', '.join(prompts.QA_VARIANTS)}")
        if self.samples < 1 or self.max_new_tokens < 1:
            raise ConfigError("samples and max_new_tokens must be at least 1")

    def params(self) -> GenerationParams:
        return GenerationParams(max_new_tokens=self.max_new_tokens, temperature=self.temperature, top_p=self.top_p)


@dataclass
class SynthesisStats:
    requests: int = 0
    generations: int = 0
    parsed: int = 0
    malformed: int = 0
    duplicates: int = 0
    kept: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    stopped: bool = False


@dataclass
class SynthesisResult:
    items: list[SynthItem]
    stats: SynthesisStats


@dataclass(frozen=True)
class _Request:
    chunk: Chunk
    task: str
    variant: str
    conversation: Conversation


def _requests(chunks: list[Chunk], config: SynthesisConfig) -> list[_Request]:
    out = []
    for chunk in chunks:
        for _ in range(config.samples):
            if "implications" in config.tasks:
                out.append(_Request(chunk, "implications", "implications", prompts.implications_prompt(chunk.text)))
            if "qa" in config.tasks:
                for variant in config.qa_variants:
                    out.append(_Request(chunk, "qa", variant, prompts.qa_prompt(chunk.text, variant)))
            if "summaries" in config.tasks:
                out.append(_Request(chunk, "summaries", "summary", prompts.summary_prompt(chunk.text)))
            if "rewrites" in config.tasks:
                out.append(_Request(chunk, "rewrites", "rewrite", prompts.rewrite_prompt(chunk.text)))
    return out


def _items_from(request: _Request, reply: str, provenance: Provenance, stats: SynthesisStats) -> list[SynthItem]:
    if request.task == "qa":
        parsed = parse_qa(reply)
        stats.malformed += parsed.malformed
        return [SynthItem("qa", q, a, provenance) for q, a in parsed.pairs]
    if request.task == "implications":
        lines = parse_lines(reply)
        stats.malformed += not lines
        return [SynthItem("implication", "", line, provenance) for line in lines]
    if request.task == "rewrites":
        rewrite = " ".join(reply.split())
        if len(rewrite.split()) < 8:
            stats.malformed += 1
            return []
        return [SynthItem("rewrite", "", rewrite, provenance)]
    summary = " ".join(reply.split())
    if len(summary.split()) < 4:
        stats.malformed += 1
        return []
    chunk = request.chunk.text
    return [
        SynthItem("summary", prompts.SUMMARY_TRAIN.format(passage=chunk), summary, provenance),
        SynthItem("expansion", prompts.EXPANSION_TRAIN.format(summary=summary), chunk, provenance),
    ]


def synthesize(
    chunks: list[Chunk],
    generator: ChatGenerator,
    config: SynthesisConfig | None = None,
    reporter: Reporter | None = None,
) -> SynthesisResult:
    """Run every request, parse, attach provenance, deduplicate. Stops early (keeping items) on Stop."""
    config = config or SynthesisConfig()
    reporter = reporter or NullReporter()
    stats = SynthesisStats()
    items: list[SynthItem] = []
    if "passage" in config.tasks:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for c in chunks:
            provenance = Provenance(c.doc_id, c.index, "source", "passage", None, now)
            items.append(SynthItem("passage", "", c.text, provenance))
    requests = _requests(chunks, config)
    stats.requests = len(requests)
    batch = max(1, generator.batch_size)
    total = len(requests)
    for start in range(0, total, batch):
        if reporter.should_stop():
            stats.stopped = True
            reporter.log(f"synthesis stopped after {start} of {len(requests)} requests")
            break
        chunk_requests = requests[start : start + batch]
        words = f"generating {start + 1}-{start + len(chunk_requests)} of {total}"
        reporter.progress(start / total, words)

        def within(done: int, most: int, at: int = start, n: int = len(chunk_requests), what: str = words) -> None:
            share = min(done / most, 1.0) if most else 0.0
            reporter.progress((at + n * share) / max(total, 1), f"{what} (token {done} of {most})")

        if hasattr(generator, "on_tokens"):  # a local generator reports inside its (long) batch
            generator.on_tokens = within
        try:
            seed = config.seed + start
            replies = generator.generate([r.conversation for r in chunk_requests], config.params(), seed=seed)
        finally:
            if hasattr(generator, "on_tokens"):
                generator.on_tokens = None
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for request, reply in zip(chunk_requests, replies, strict=True):
            stats.generations += 1
            provenance = Provenance(
                request.chunk.doc_id, request.chunk.index, generator.name, request.variant, seed, now
            )
            new = _items_from(request, reply, provenance, stats)
            stats.parsed += len(new)
            items.extend(new)
    kept, stats.duplicates = deduplicate(items)
    stats.kept = len(kept)
    for item in kept:
        stats.by_kind[item.kind] = stats.by_kind.get(item.kind, 0) + 1
    reporter.metric(0, "synthesis/kept", stats.kept)
    reporter.metric(0, "synthesis/malformed", stats.malformed)
    reporter.progress(1.0, f"kept {stats.kept} items ({stats.malformed} malformed, {stats.duplicates} duplicates)")
    return SynthesisResult(kept, stats)
