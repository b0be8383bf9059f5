"""Tool-use queries (StableToolBench ``solvable_queries`` form) and the category split between source and target.

A query's categories are those of its *relevant* APIs. A :class:`CategorySplit` names source categories (skill
building: format alignment and RL) and target categories (held-out evaluation); no category may be in both,
and a query whose relevant APIs span a source and a target category belongs to neither.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from past.datasets.jsonl import loads_json
from past.tools.ingest import ToolIngestResult, ingest_tool_json
from past.tools.schema import ApiSpec, SchemaIssue, ToolSchemaError, function_name

# Where the project's copy of StableToolBench lives, relative to the project root.
STABLETOOLBENCH_DIR = Path("..") / "shared" / "data" / "stabletoolbench"
GROUPS = ("G1_category", "G1_instruction", "G1_tool", "G2_category", "G2_instruction", "G3_instruction")


@dataclass(frozen=True)
class ToolQuery:
    """A user request, the APIs that solve it (as function names), and the APIs the agent may call."""

    query_id: str
    query: str
    relevant: tuple[str, ...]  # function names
    apis: tuple[ApiSpec, ...]
    group: str = ""

    @property
    def categories(self) -> tuple[str, ...]:
        by_function = {a.function: a.category for a in self.apis}
        return tuple(sorted({by_function[f] for f in self.relevant if f in by_function}))

    @property
    def category(self) -> str:
        """The query's category for reporting: its relevant APIs' one category, or ``A+B`` when several."""
        return "+".join(self.categories)

    def api(self, function: str) -> ApiSpec | None:
        return next((a for a in self.apis if a.function == function), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_id": self.query_id,
            "query": self.query,
            "relevant": list(self.relevant),
            "group": self.group,
            "apis": [a.to_dict() for a in self.apis],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolQuery:
        return cls(
            query_id=str(data["query_id"]),
            query=str(data["query"]),
            relevant=tuple(data.get("relevant") or ()),
            apis=tuple(ApiSpec.from_dict(a) for a in data.get("apis") or ()),
            group=str(data.get("group") or ""),
        )


@dataclass
class QueryLoad:
    queries: list[ToolQuery] = field(default_factory=list)
    issues: list[SchemaIssue] = field(default_factory=list)


def parse_queries(document: Any, source: str, group: str = "") -> QueryLoad:
    """Queries of one StableToolBench file; a query with a malformed API list or unknown relevant API is an issue."""
    out = QueryLoad()
    if not isinstance(document, list):
        out.issues.append(SchemaIssue(source, "", "a query file must hold a JSON list of queries"))
        return out
    for index, entry in enumerate(document):
        where = f"[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("query"), str) or not entry["query"].strip():
            out.issues.append(SchemaIssue(source, where, "a query needs a non-empty 'query' string"))
            continue
        apis: ToolIngestResult = ingest_tool_json({"api_list": entry.get("api_list")}, source)
        # A malformed API is an issue and left out; the query stays if its relevant APIs are intact.
        out.issues.extend(SchemaIssue(i.source, f"{where}.{i.location}", i.message) for i in apis.issues)
        if not apis.apis:
            out.issues.append(SchemaIssue(source, where, "the query has no usable api_list"))
            continue
        relevant = []
        for pair in entry.get("relevant APIs") or []:
            if isinstance(pair, list | tuple) and len(pair) == 2:
                relevant.append(function_name(str(pair[0]), str(pair[1])))
        known = {a.function for a in apis.apis}
        unknown = [f for f in relevant if f not in known]
        if not relevant or unknown:
            reason = f"relevant API(s) not in its api_list: {', '.join(unknown)}" if unknown else "no relevant APIs"
            out.issues.append(SchemaIssue(source, where, reason))
            continue
        out.queries.append(
            ToolQuery(
                query_id=f"{group}:{entry.get('query_id', index)}" if group else str(entry.get("query_id", index)),
                query=entry["query"].strip(),
                relevant=tuple(dict.fromkeys(relevant)),
                apis=tuple(apis.apis),
                group=group,
            )
        )
    return out


def load_stabletoolbench(root: str | Path = STABLETOOLBENCH_DIR, groups: Sequence[str] = GROUPS) -> QueryLoad:
    """Every query of the given groups (``G1_category.json`` ...) under ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise ToolSchemaError(f"no StableToolBench data at {root}")
    out = QueryLoad()
    for group in groups:
        path = root / f"{group}.json"
        if not path.is_file():
            raise ToolSchemaError(f"missing StableToolBench file {path}")
        loaded = parse_queries(loads_json(path.read_text(encoding="utf-8")), path.name, group)
        out.queries.extend(loaded.queries)
        out.issues.extend(loaded.issues)
    return out


def category_counts(queries: Iterable[ToolQuery]) -> Counter[str]:
    """Queries per category (a query with relevant APIs in several categories counts for each)."""
    counts: Counter[str] = Counter()
    for query in queries:
        counts.update(query.categories)
    return counts


@dataclass(frozen=True)
class CategorySplit:
    """Source categories (skill building) and target categories (evaluation); disjoint by construction."""

    source: tuple[str, ...]
    target: tuple[str, ...]
    name: str = "split"
    note: str = ""

    def __post_init__(self) -> None:
        both = sorted(set(self.source) & set(self.target))
        if both:
            raise ToolSchemaError(f"categories in both source and target: {', '.join(both)}")
        if not self.source or not self.target:
            raise ToolSchemaError("a category split needs at least one source and one target category")

    def side(self, query: ToolQuery) -> str | None:
        """``"source"``, ``"target"``, or None (no category, or categories on both sides or in neither)."""
        categories = set(query.categories)
        if categories and categories <= set(self.source):
            return "source"
        if categories and categories <= set(self.target):
            return "target"
        return None

    def partition(self, queries: Iterable[ToolQuery]) -> tuple[list[ToolQuery], list[ToolQuery]]:
        source, target = [], []
        for query in queries:
            side = self.side(query)
            if side == "source":
                source.append(query)
            elif side == "target":
                target.append(query)
        return source, target

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "note": self.note, "source": list(self.source), "target": list(self.target)}

    @classmethod
    def load(cls, path: str | Path) -> CategorySplit:
        try:
            data = loads_json(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ToolSchemaError(f"cannot read the category split {path}: {exc}") from exc
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("source"), list)
            or not isinstance(data.get("target"), list)
        ):
            raise ToolSchemaError(f"{path}: a category split is an object with 'source' and 'target' lists")
        return cls(
            tuple(data["source"]),
            tuple(data["target"]),
            str(data.get("name") or Path(path).stem),
            str(data.get("note") or ""),
        )


def sample_per_category(queries: Sequence[ToolQuery], per_category: int) -> list[ToolQuery]:
    """At most ``per_category`` queries of each category, in file order (deterministic)."""
    taken: Counter[str] = Counter()
    chosen = []
    for query in queries:
        if taken[query.category] < per_category:
            taken[query.category] += 1
            chosen.append(query)
    return chosen
