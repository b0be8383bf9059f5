"""Orthogonality analysis for the studio: which weight changes can be compared, the comparison with its report
files, and stored analyses read back as heatmaps that fit the page.

A weight change is a skill of the library (by name), a skill folder, or an adapter folder such as an adapted
model's fine-tune (``<data>/adapters/<name>/baseline``, the "SFT update") or its fine-tune + skill
(``injected``). The studio's Analyse screen, skill card and Adapt screen call this module; the cosine arithmetic
stays in ``past.skills.ops.analyze`` and is imported when a comparison runs (reading stored analyses loads no torch).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.adapter_catalog import find_adapters, identify
from backend.path_policy import PathPolicy
from past.datasets.jsonl import read_json
from past.pipeline.records import ANALYSIS_FILE
from past.settings import Settings
from past.skills.errors import SkillNotFoundError
from past.skills.manifest import ADAPTER_CONFIG, MANIFEST_FILE
from past.skills.ops.analysis_report import AnalysisTable, Row, heatmap_figure, write_report

if TYPE_CHECKING:
    from past.skills.library import SkillLibrary
    from past.skills.ops.analyze import DeltaLike

REPORT_FILES = {"html": "heatmap.html", "json_path": "cosine.json", "csv_path": "cosine.csv"}
# The weight matrices of a Llama-style layer in plain words (the heatmap's rows), the code name in brackets.
MODULE_WORDS = {
    "q_proj": "attention: query (q_proj)",
    "k_proj": "attention: key (k_proj)",
    "v_proj": "attention: value (v_proj)",
    "o_proj": "attention: output (o_proj)",
    "gate_proj": "feed-forward: gate (gate_proj)",
    "up_proj": "feed-forward: up (up_proj)",
    "down_proj": "feed-forward: down (down_proj)",
}
TITLE_WIDTH = 38  # characters per line of a heatmap's title: a long label wraps instead of running off the page


@dataclass(frozen=True)
class PairSummary:
    """One comparison in numbers: mean and largest |cosine| over the shared matrices, and the overall cosine."""

    label: str
    mean_abs_cosine: float
    max_abs_cosine: float
    global_cosine: float
    matrices: int


@dataclass(frozen=True)
class Comparison:
    pairs: list[PairSummary]
    figure: Any  # a plotly figure sized to fit the page
    files: list[Path]  # heatmap (HTML), tables (JSON, CSV)


def delta_choices(settings: Settings, skills: SkillLibrary, policy: PathPolicy) -> list[tuple[str, str]]:
    """(label, value) of every weight change the Analyse screen offers: the library's skills by name, then each
    adapted model's adapters (fine-tune, fine-tune + skill) as folders, shown as the policy allows."""
    choices = [(f"{m.name} (skill)", m.name) for m in skills.list()]
    adapters_dir = settings.adapters_dir.resolve()
    for path in find_adapters(settings):
        if path.resolve().is_relative_to(adapters_dir):
            choices.append((_adapter_label(settings, path), policy.shown(str(path))))
    return choices


def _adapter_label(settings: Settings, path: Path) -> str:
    return identify(settings, f"_ + {path}").label.removeprefix("_ + ")


def _is_adapter(ref: str) -> bool:
    path = Path(ref).expanduser()
    return ("/" in ref or "\\" in ref) and (path / ADAPTER_CONFIG).is_file() and not (path / MANIFEST_FILE).is_file()


@contextmanager
def open_delta(skills: SkillLibrary, ref: str) -> Iterator[DeltaLike]:
    """A skill (library name or folder) or a LoRA adapter folder, opened for reading; closed afterwards."""
    if _is_adapter(ref):
        from past.skills.forms.lora import LoraDelta

        delta = LoraDelta(Path(ref).expanduser())
        try:
            yield delta
        finally:
            delta.close()
        return
    try:
        skill = skills.resolve(ref)
    except SkillNotFoundError as exc:
        raise SkillNotFoundError(
            f"'{ref}' is not a skill in the library, a skill folder or an adapter folder (with {ADAPTER_CONFIG})"
        ) from exc
    with skill:
        yield skill


def delta_name(settings: Settings, ref: str, delta: object) -> str:
    """What a comparison calls a weight change: the skill's name, or the adapted model and role in words."""
    if _is_adapter(ref):  # open_delta opened it as an adapter
        return _adapter_label(settings, Path(ref).expanduser())
    return str(getattr(delta, "name", ref))


def compare(
    settings: Settings,
    skills: SkillLibrary,
    pairs: list[tuple[str, str]],
    out_dir: Path,
    progress: Callable[[float, str], None] | None = None,
) -> Comparison:
    """Compare each pair (the first is the main one, a second is the control) and write the report into
    ``out_dir``: ``heatmap.html``, ``cosine.json``, ``cosine.csv``."""
    from past.skills.ops.analyze import analyze

    tables = []
    for i, (first, second) in enumerate(pairs):
        if progress is not None:
            progress(i / len(pairs), f"comparing {first} and {second}")
        with open_delta(skills, first) as left, open_delta(skills, second) as right:
            label = f"{delta_name(settings, first, left)} vs {delta_name(settings, second, right)}"
            tables.append(analyze(left, right, label=label + (" (control)" if i else "")))
    write_report(tables, **{key: out_dir / name for key, name in REPORT_FILES.items()})
    return Comparison(
        pairs=[_summary(t) for t in tables],
        figure=page_heatmap(tables),
        files=sorted(p for p in out_dir.iterdir() if p.is_file()),
    )


def _summary(table: AnalysisTable) -> PairSummary:
    s = table.summary()
    nan = float("nan")
    return PairSummary(
        table.label, s["mean_abs_cosine"], s["max_abs_cosine"], s.get("global_cosine", nan), len(table.rows)
    )


def page_heatmap(tables: list[AnalysisTable]) -> Any:
    """The heatmap of ``tables`` for a studio page: as wide as the column it sits in (no fixed width, which the
    page would clip), titles wrapped, the rows named in plain words."""
    figure = heatmap_figure(tables)
    for trace in figure.data:
        trace.y = [MODULE_WORDS.get(str(m), m) for m in trace.y]
    lines = 1
    for annotation in figure.layout.annotations:  # the subplot titles
        wrapped = textwrap.wrap(annotation.text, TITLE_WIDTH) or [""]
        annotation.text = "<br>".join(wrapped)
        lines = max(lines, len(wrapped))
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)
    figure.update_layout(
        width=None,
        autosize=True,
        height=380 + 20 * lines,
        margin={"l": 10, "r": 10, "t": 40 + 20 * lines, "b": 50},
        title={"text": ""},  # the page's own label names the figure (a title would sit under it)
    )
    return figure


def table_from_dict(data: dict[str, Any]) -> AnalysisTable:
    return AnalysisTable(
        label=data.get("label", ""),
        a=data.get("a", ""),
        b=data.get("b", ""),
        rows=[Row(**row) for row in data.get("rows", [])],
        only_a=list(data.get("only_a", [])),
        only_b=list(data.get("only_b", [])),
    )


def stored_heatmap(directory: Path) -> Any:
    """The page heatmap of ``directory/orthogonality.json``, or None when there is none."""
    path = directory / ANALYSIS_FILE
    if not path.is_file():
        return None
    data = read_json(path, label=f"the stored analysis ({ANALYSIS_FILE})")
    tables = [table_from_dict(t) for t in (data if isinstance(data, list) else [data])]
    return page_heatmap(tables) if tables else None
