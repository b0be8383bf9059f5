"""``past analyze``: layer × module cosine similarity of two deltas (plus a control pair) as HTML/JSON/CSV."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from past.cli.actions import print_json
from past.cli.skill_common import skill_library
from past.paths import check_output, writing
from past.settings import Settings

if TYPE_CHECKING:
    from past.skills.library import SkillLibrary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("analyze", help="cosine similarity of two deltas per layer and module")
    parser.add_argument("a", help="first delta (skill name or directory), e.g. the SFT delta")
    parser.add_argument("b", help="second delta, e.g. the RL skill vector")
    parser.add_argument("--label", help="label of the a-vs-b comparison")
    parser.add_argument("--control", nargs=2, metavar=("C", "D"), help="a control pair shown beside it (SFT vs SFT)")
    parser.add_argument("--control-label", help="label of the control comparison")
    parser.add_argument("--html", help="write the plotly heatmap here")
    parser.add_argument("--json", dest="json_path", help="write the tables as JSON here")
    parser.add_argument("--csv", dest="csv_path", help="write the tables as CSV here")
    parser.set_defaults(func=run)


def _compare(library: SkillLibrary, a: str, b: str, label: str | None):
    from past.skills.ops.analyze import analyze

    with library.resolve(a) as left, library.resolve(b) as right:
        return analyze(left, right, label=label or f"{left.name} vs {right.name}")


def run(args: argparse.Namespace, settings: Settings) -> int:
    outputs = {
        flag: getattr(args, dest) for flag, dest in (("--html", "html"), ("--json", "json_path"), ("--csv", "csv_path"))
    }
    paths = {
        flag: check_output(value, settings, inputs=[args.a, args.b, *(args.control or [])], flag=flag, file=True)
        for flag, value in outputs.items()
        if value
    }
    from past.skills.ops.analysis_report import write_report

    library = skill_library(settings)
    tables = [_compare(library, args.a, args.b, args.label)]
    if args.control:
        tables.append(_compare(library, *args.control, args.control_label))
    with writing(", ".join(f"{flag} {path}" for flag, path in paths.items())):
        write_report(tables, html=paths.get("--html"), json_path=paths.get("--json"), csv_path=paths.get("--csv"))
    print_json({t.label: t.summary() for t in tables})
    return 0
