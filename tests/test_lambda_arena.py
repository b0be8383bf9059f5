"""The λ arena's bookkeeping (who each stored side was, which pair to ask next, exports) and, on a running
studio, a blind λ arena producing a leaderboard through gradio_client."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from backend.adapter_catalog import adapter_choices, identify
from backend.lambda_arena import (
    all_votes_board,
    arena_dir,
    export_votes,
    lam_name,
    lambda_board,
    lambda_votes,
    next_pair,
    parse_lambdas,
)
from past.analysis.arena import Vote
from past.errors import ConfigError
from past.settings import Settings

SKILL = "closed-book-qa-smollm2-135m"


def publish_fake(settings: Settings, name: str = "handbook", lam: float = 1.0) -> Path:
    """An adapted model's folder as Adapt publishes it (records only; adapters are empty config files)."""
    root = settings.adapters_dir / name
    for role in ("baseline", "injected"):
        (root / role).mkdir(parents=True)
        (root / role / "adapter_config.json").write_text("{}")
    record = {"name": name, "base": "default", "skill": SKILL, "lam": lam, "collection": "docs", "created_at": "x"}
    (root / "adapted.json").write_text(json.dumps(record))
    return root


def row(settings: Settings, lam_a: float, lam_b: float, winner: str, name: str = "handbook") -> dict:
    sides = [f"default + {arena_dir(settings, name, SKILL, lam)}" for lam in (lam_a, lam_b)]
    return {
        "id": 1,
        "session_id": "s",
        "prompt": "q",
        "model_a": sides[0],
        "model_b": sides[1],
        "winner": winner,
        "answer_a": "x",
        "answer_b": "y",
        "created_at": 0.0,
    }


def test_sides_are_named_in_words(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path).ensure()
    root = publish_fake(settings, lam=0.8)
    arena = identify(settings, f"default + {arena_dir(settings, 'handbook', SKILL, 0.5)}")
    assert (arena.adapted, arena.skill, arena.lam) == ("handbook", SKILL, 0.5)
    assert arena.label == f"handbook + skill '{SKILL}' at λ 0.5"
    injected = identify(settings, f"default + {root / 'injected'}")
    assert injected.lam == 0.8 and injected.label == f"handbook: fine-tuned + skill '{SKILL}' at λ 0.8"
    assert identify(settings, f"default + {root / 'baseline'}").label == "handbook: fine-tuned on its documents (λ 0)"
    assert identify(settings, f"default + {settings.skills_dir / SKILL}").label == f"default + skill '{SKILL}'"
    assert identify(settings, "default").label == "default"
    assert identify(settings, "default + /elsewhere/x/adapter").label == "default + adapter …/x/adapter"
    labels = dict(adapter_choices(settings))
    assert labels == {
        "handbook: fine-tuned on its documents (λ 0)": str(root / "baseline"),
        f"handbook: fine-tuned + skill '{SKILL}' at λ 0.8": str(root / "injected"),
    }, "pickers show human names, the directory is only the value"


def test_lambda_votes_pairs_and_ratings(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path).ensure()
    publish_fake(settings)
    rows = [row(settings, 0, 1, "b"), row(settings, 1, 0, "a"), row(settings, 0.5, 1, "tie")]
    rows.append({**row(settings, 0, 1, "a"), "model_b": "default"})  # not an arena pair: left out
    rows.append(row(settings, 0, 1, "a", name="other"))  # another adapted model: left out
    votes = lambda_votes(settings, rows, "handbook", SKILL)
    assert votes == [Vote("λ 0", "λ 1", "b"), Vote("λ 1", "λ 0", "a"), Vote("λ 0.5", "λ 1", "tie")]
    board, rec = lambda_board(settings, rows, "handbook", SKILL, bootstrap=50)
    assert board is not None and board.ratings[0].competitor == "λ 1" and board.ratings[0].votes == 3
    assert rec.competitor is None and "too few votes" in rec.reason, "3 votes cannot settle λ"
    assert lambda_board(settings, [], "handbook", SKILL)[0] is None
    everything = all_votes_board(settings, rows, bootstrap=0)
    assert everything is not None and f"handbook + skill '{SKILL}' at λ 1" in [r.competitor for r in everything.ratings]
    # the next pair is the least voted one: (0, 1) has 2 votes, (0.5, 1) 1, (0, 0.5) none
    assert sorted(next_pair([0.0, 0.5, 1.0], votes, random.Random(0))) == [0.0, 0.5]
    assert lam_name(1.0) == "λ 1"


def test_parse_lambdas() -> None:
    assert parse_lambdas("0, 0.5, 1,1.5") == [0.0, 0.5, 1.0, 1.5]
    assert parse_lambdas("1; 2; 1") == [1.0, 2.0]
    for bad, words in (("1", "2 to 8"), ("0, x", "number"), ("0, 9", "outside"), ("", "2 to 8")):
        with pytest.raises(ConfigError, match=words):
            parse_lambdas(bad)


def test_export_names_every_side(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path).ensure()
    publish_fake(settings)
    json_path, csv_path = export_votes(settings, [row(settings, 0, 1.5, "b")], tmp_path / "out")
    (record,) = json.loads(json_path.read_text())
    assert (record["a_lam"], record["b_lam"], record["b_adapted"], record["winner"]) == (0.0, 1.5, "handbook", "b")
    (line,) = csv.DictReader(csv_path.open())
    assert line["b_label"] == f"handbook + skill '{SKILL}' at λ 1.5"


@pytest.mark.slow
def test_blind_lambda_arena_gives_a_leaderboard(studio_url: str, session_settings: Settings) -> None:
    from gradio_client import Client

    from past.models import ModelRegistry
    from tests.lora_adapters import make_lora_adapter

    name = "arena-demo"
    root = session_settings.adapters_dir / name
    if not (root / "baseline").is_dir():
        make_lora_adapter(ModelRegistry(session_settings).resolve("default").path, root / "baseline", seed=3, r=4)
        record = {"name": name, "base": "default", "skill": SKILL, "lam": 1.0, "collection": "demo"}
        (root / "adapted.json").write_text(json.dumps(record))
    client = Client(studio_url, verbose=False)
    for vote in ("Left is better", "Tie"):
        left, right, _prompt, note = client.predict(
            "Where is the island?", name, SKILL, "0, 1", 16, api_name="/arena_ask"
        )
        assert left[-1]["role"] == "assistant" and right[-1]["role"] == "assistant"
        assert "Vote once" in note and "λ 0" not in note + str(left) and "λ 1" not in note, "λ hidden until the vote"
        _buttons = client.predict(vote, name, SKILL, api_name="/arena_vote")
        reveal, board, recommendation = _buttons[-4], _buttons[-3], _buttons[-2]
        assert "Model 1** was λ" in reveal and "Model 2** was λ" in reveal
    assert sorted(r[1] for r in board["data"]) == ["λ 0", "λ 1"] and all(r[4] == 2 for r in board["data"])
    assert "too few votes" in recommendation, "two votes cannot settle λ"
    for lam in (0.0, 1.0):
        assert (arena_dir(session_settings, name, SKILL, lam) / "adapter_config.json").is_file()
    overall, basis = client.predict(api_name="/arena_rate_all")
    assert f"{name} + skill '{SKILL}' at λ 1" in [r[1] for r in overall["data"]] and "blind votes" in basis
    files = [Path(f) for f in client.predict(name, SKILL, api_name="/arena_export")]
    assert {f.name for f in files} >= {"votes.json", "votes.csv", f"ratings-lambda-{name}.json"}
    ratings = json.loads(next(f for f in files if f.name == f"ratings-lambda-{name}.json").read_text())
    assert ratings["votes"] == 2 and ratings["adapted_model"] == name and len(ratings["ratings"]) == 2
