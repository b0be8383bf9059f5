"""The λ arena: blind pairs of one adapted model at different λ, rated from the votes.

An adapted model published by Adapt (``<data>/adapters/<name>/``, see ``past.pipeline.adapted``) keeps its
fine-tune alone (``baseline/``). For each λ the arena writes one exact adapter, fine-tune + λ·skill, under
``<data>/adapters/<name>/arena/<skill>/lam-<λ>/`` (made once, on first use, by ``past.skills.inject``), so a
side is the base model plus that adapter and the votes stored in the A/B tables say which λ it was
(``backend.adapter_catalog.identify``). Pairs are drawn where the fewest votes are so far, and the ratings
are the Bradley–Terry fit of ``past.analysis.arena``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from backend.adapter_catalog import ARENA_SUBDIR, identify
from past.analysis.arena import Leaderboard, Recommendation, Vote, fit_ratings, recommend, votes_from_rows
from past.errors import ConfigError
from past.pipeline.records import RECORD_FILE, read_adapted
from past.settings import Settings
from past.skills.lambdas import check_lambda

DEFAULT_LAMBDAS = (0.0, 0.5, 1.0, 1.5)
MAX_LAMBDAS = 8


@dataclass(frozen=True)
class AdaptedChoice:
    name: str
    label: str  # human name for a picker
    skill: str
    base: str


def adapted_models(settings: Settings) -> list[AdaptedChoice]:
    """Published adapted models that have a fine-tune to add a skill to, newest first."""
    found = []
    root = settings.adapters_dir
    for record_file in root.glob(f"*/{RECORD_FILE}") if root.is_dir() else []:
        try:
            record = json.loads(record_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not (record_file.parent / "baseline").is_dir():
            continue
        name = record_file.parent.name
        skill = str(record.get("skill") or "")
        bits = [f"on {record.get('base_label') or record.get('base')}"]
        if record.get("collection"):
            bits.append(f"documents '{record['collection']}'")
        if skill:
            bits.append(f"skill '{skill}' at λ {record.get('lam')}")
        found.append(
            (
                str(record.get("created_at") or ""),
                AdaptedChoice(name, f"{name} ({', '.join(bits)})", skill, str(record.get("base") or "default")),
            )
        )
    return [choice for _, choice in sorted(found, key=lambda item: item[0], reverse=True)]


def parse_lambdas(text: str) -> list[float]:
    """``"0, 0.5, 1, 1.5"`` as distinct λ values (2 to 8 of them, each a valid λ)."""
    values: list[float] = []
    for part in (text or "").replace(";", ",").split(","):
        if part.strip():
            value = check_lambda(part, "each λ in the arena")
            if value not in values:
                values.append(value)
    if not 2 <= len(values) <= MAX_LAMBDAS:
        raise ConfigError(f"the λ arena needs 2 to {MAX_LAMBDAS} different λ values, separated by commas; got {text!r}")
    return values


def arena_dir(settings: Settings, adapted: str, skill: str, lam: float) -> Path:
    return settings.adapters_dir / adapted / ARENA_SUBDIR / skill / f"lam-{lam:g}"


def arena_adapter(settings: Settings, adapted: str, skill: str, lam: float) -> Path:
    """The adapter fine-tune + λ·skill of ``adapted`` (written on first use; the skill is fingerprint-checked)."""
    from past.models import ModelRegistry
    from past.skills import SkillLibrary, inject

    out = arena_dir(settings, adapted, skill, lam)
    if (out / "adapter_config.json").is_file():
        return out
    record = read_adapted(settings, adapted)
    if "baseline" not in record:
        raise ConfigError(f"adapted model {adapted!r} has no fine-tune (baseline/) to add a skill to")
    base = ModelRegistry(settings).resolve(str(record.get("base") or "default"))
    vector = SkillLibrary(settings).load(skill)
    try:
        inject(
            (base.path, Path(record["baseline"])),
            [(vector, lam)],
            out,
            output="adapter",
            register=False,
            overwrite=True,
        )
    finally:
        vector.close()
    return out


def lambda_votes(settings: Settings, rows: list[dict[str, Any]], adapted: str, skill: str) -> list[Vote]:
    """The stored votes between two λ of ``adapted`` + ``skill``, as votes between "λ 0.5"-style names."""
    votes = []
    for row in rows:
        a, b = identify(settings, row["model_a"]), identify(settings, row["model_b"])
        if (
            all(
                side.adapted == adapted
                and side.skill == skill
                and ARENA_SUBDIR in Path(side.adapter).parts
                and side.lam is not None
                for side in (a, b)
            )
            and a.lam != b.lam
        ):
            votes.append(Vote(lam_name(a.lam), lam_name(b.lam), row["winner"]))  # type: ignore[arg-type]
    return votes


def lam_name(lam: float) -> str:
    return f"λ {lam:g}"


def next_pair(lams: list[float], votes: list[Vote], rng: random.Random | None = None) -> tuple[float, float]:
    """The pair of λ with the fewest votes so far (ties broken at random), in random order."""
    rng = rng or random.Random()
    counts = {frozenset(pair): 0 for pair in combinations(lams, 2)}
    names = {lam_name(lam): lam for lam in lams}
    for vote in votes:
        if vote.a in names and vote.b in names:
            counts[frozenset((names[vote.a], names[vote.b]))] += 1
    fewest = min(counts.values())
    pair = list(rng.choice([tuple(sorted(p)) for p, n in counts.items() if n == fewest]))
    rng.shuffle(pair)
    return pair[0], pair[1]


def question_pair(
    settings: Settings, rows: list[dict[str, Any]], adapted: str, skill: str, lam_text: str
) -> tuple[str, float, float]:
    """The base model of ``adapted`` and the two λ (of those listed in ``lam_text``) to ask the next question at:
    the pair with the fewest stored votes, in random order."""
    values = parse_lambdas(lam_text)
    base = next((m.base for m in adapted_models(settings) if m.name == adapted), None)
    if base is None:
        raise ConfigError(f"There is no adapted model named {adapted!r} with a fine-tune to add the skill to.")
    lam_a, lam_b = next_pair(values, lambda_votes(settings, rows, adapted, skill))
    return base, lam_a, lam_b


def lambda_board(
    settings: Settings, rows: list[dict[str, Any]], adapted: str, skill: str, bootstrap: int = 200
) -> tuple[Leaderboard | None, Recommendation]:
    """Ratings of each λ of ``adapted`` + ``skill`` and the recommended λ (or why none)."""
    votes = lambda_votes(settings, rows, adapted, skill)
    if not votes:
        return None, Recommendation(None, "no votes yet: ask a question and vote on the two answers")
    board = fit_ratings(votes, bootstrap=bootstrap)
    board.meta.update({"adapted_model": adapted, "skill": skill, "what": "λ of one adapted model, blind votes"})
    return board, recommend(board)


def all_votes_board(settings: Settings, rows: list[dict[str, Any]], bootstrap: int = 200) -> Leaderboard | None:
    """Ratings of every side that was ever voted on in A/B chat or the λ arena, under human names."""
    named = [
        {**r, "model_a": identify(settings, r["model_a"]).label, "model_b": identify(settings, r["model_b"]).label}
        for r in rows
    ]
    votes = votes_from_rows(named)
    if not votes:
        return None
    board = fit_ratings(votes, bootstrap=bootstrap)
    board.meta["what"] = "every A/B and λ-arena vote, sides named by model, adapted model, skill and λ"
    return board


def export_votes(settings: Settings, rows: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    """Every stored vote with each side's identity, as JSON and CSV files under ``out_dir``."""
    import csv

    out_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for row in rows:
        record = {k: row.get(k) for k in ("id", "session_id", "prompt", "winner", "created_at")}
        for key in ("a", "b"):
            side = identify(settings, row[f"model_{key}"])
            record.update(
                {
                    f"{key}_label": side.label,
                    f"{key}_model": side.model,
                    f"{key}_adapter": side.adapter,
                    f"{key}_adapted": side.adapted,
                    f"{key}_skill": side.skill,
                    f"{key}_lam": side.lam,
                    f"answer_{key}": row.get(f"answer_{key}"),
                }
            )
        records.append(record)
    json_path = out_dir / "votes.json"
    json_path.write_text(json.dumps(records, indent=1, ensure_ascii=False), encoding="utf-8")
    csv_path = out_dir / "votes.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]) if records else ["id"])
        writer.writeheader()
        writer.writerows(records)
    return [json_path, csv_path]


def export_board(board: Leaderboard, out_dir: Path, stem: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = out_dir / f"{stem}.json", out_dir / f"{stem}.csv"
    json_path.write_text(json.dumps(board.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    csv_path.write_text(board.to_csv(), encoding="utf-8")
    return [json_path, csv_path]
