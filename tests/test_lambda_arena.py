"""The λ arena's bookkeeping (who each stored side was, which pair to ask next, exports) and, on a running
studio in a real browser, a blind λ arena producing a leaderboard."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from backend.adapter_catalog import adapter_choices, identify
from backend.lambda_arena import (
    adapted_models,
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
def test_blind_lambda_arena_gives_a_leaderboard(studio_url: str, session_settings: Settings, output_dir: Path) -> None:
    """In the browser: two blind questions to the same adapted model at λ 0 and λ 1, a vote on each, and the
    λ leaderboard, the (not yet) recommended λ, the rating of every vote and the downloads."""
    from playwright.sync_api import expect

    from backend.store import ChatRepository, Store
    from past.models import ModelRegistry
    from tests.browser import chromium_page, pick
    from tests.lora_adapters import make_lora_adapter

    name = "arena-demo"
    root = session_settings.adapters_dir / name
    if not (root / "baseline").is_dir():  # a cheap adapted model: a random LoRA fine-tune, no Adapt run
        make_lora_adapter(ModelRegistry(session_settings).resolve("default").path, root / "baseline", seed=3, r=4)
        record = {"name": name, "base": "default", "skill": SKILL, "lam": 1.0, "collection": "demo"}
        (root / "adapted.json").write_text(json.dumps(record))
    label = next(m.label for m in adapted_models(session_settings) if m.name == name)
    with chromium_page() as page:
        page.goto(studio_url)
        page.get_by_role("tab", name="Arena", exact=True).click()
        expect(page.locator("#arena-adapted input")).not_to_have_value("", timeout=30_000)  # the screen has loaded
        pick(page, "arena-adapted", label)
        expect(page.locator("#arena-skill input")).to_have_value(SKILL, timeout=30_000)
        page.locator("#arena-lams textarea").fill("0, 1")
        page.locator("#arena-settings").get_by_text("Generation settings").click()
        tokens = page.locator("#arena-max-tokens input[type=number]")
        tokens.fill("16")
        tokens.press("Enter")
        reveal = page.locator("#arena-reveal")
        for n, (question, vote) in enumerate((("Where is the island?", "left"), ("Who founded it?", "tie")), 1):
            page.locator("#arena-prompt textarea").fill(question)
            page.locator("#arena-ask").click()
            for pane in ("#arena-left", "#arena-right"):
                page.locator(f"{pane} .bot, {pane} [data-testid='bot']").last.wait_for(timeout=120_000)
            expect(page.locator(f"#arena-vote-{vote}")).to_be_enabled(timeout=120_000)
            expect(reveal).to_contain_text("Vote once")
            shown = page.locator("#arena-left").inner_text() + page.locator("#arena-right").inner_text()
            assert "λ 0" not in shown + reveal.inner_text() and "λ 1" not in shown, "λ stays hidden until the vote"
            page.screenshot(path=output_dir / f"{n}-arena-blind.png", full_page=True)
            page.locator(f"#arena-vote-{vote}").click()
            expect(reveal).to_contain_text("Model 1 was λ", timeout=30_000)
            expect(reveal).to_contain_text("Model 2 was λ")
            expect(page.locator(f"#arena-vote-{vote}")).to_be_disabled()
        board = page.locator("#arena-board")
        expect(board).to_contain_text("λ 0", timeout=30_000)
        expect(board).to_contain_text("λ 1")
        expect(page.locator("#arena-recommendation")).to_contain_text("too few votes")
        page.screenshot(path=output_dir / "3-arena-leaderboard.png", full_page=True)

        stored = ChatRepository(Store(session_settings.db_path)).votes()
        votes = lambda_votes(session_settings, stored, name, SKILL)
        assert [v.winner == "tie" for v in votes] == [False, True], "one decided vote, then a tie"
        ratings, _ = lambda_board(session_settings, stored, name, SKILL)
        assert ratings is not None and {r.competitor: r.votes for r in ratings.ratings} == {"λ 0": 2, "λ 1": 2}
        for r in ratings.ratings:  # the board shows the same ratings as the store's votes give
            expect(board).to_contain_text(f"{r.low:.0f} – {r.high:.0f}")
        for lam in (0.0, 1.0):
            assert (arena_dir(session_settings, name, SKILL, lam) / "adapter_config.json").is_file()

        page.locator("#arena-all-votes").get_by_text("Every A/B vote").click()
        page.locator("#arena-rate-all").click()
        expect(page.locator("#arena-overall")).to_contain_text(f"{name} + skill '{SKILL}' at λ 1", timeout=30_000)
        page.locator("#arena-export").click()
        files = page.locator("#arena-files")
        for file_name in ("votes.json", "votes.csv", f"ratings-lambda-{name}.json"):
            expect(files.get_by_role("cell", name=file_name, exact=True)).to_be_visible(timeout=30_000)
        page.screenshot(path=output_dir / "4-arena-downloads.png", full_page=True)
    exported = max(
        (session_settings.artifacts_dir).rglob(f"ratings-lambda-{name}.json"), key=lambda p: p.stat().st_mtime
    )
    ratings_file = json.loads(exported.read_text())
    assert ratings_file["votes"] == 2 and ratings_file["adapted_model"] == name and len(ratings_file["ratings"]) == 2
