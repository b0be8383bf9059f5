"""Bradley–Terry arena ratings: recovery of known strengths, ties, bootstrap intervals, the λ recommendation."""

from __future__ import annotations

import csv
import io
import math
import random

import pytest

from past.analysis.arena import ArenaError, Vote, fit_ratings, recommend, votes_from_rows

TRUE = {"lam 0": 900.0, "lam 0.5": 1000.0, "lam 1": 1150.0, "lam 1.5": 1050.0}


def simulate(n: int, seed: int = 0, tie_rate: float = 0.0) -> list[Vote]:
    """``n`` votes on random pairs drawn from the Bradley–Terry model with the strengths in TRUE."""
    rng = random.Random(seed)
    names = list(TRUE)
    votes = []
    for _ in range(n):
        a, b = rng.sample(names, 2)
        if rng.random() < tie_rate:
            votes.append(Vote(a, b, "tie"))
            continue
        p_a = 1 / (1 + 10 ** ((TRUE[b] - TRUE[a]) / 400))
        votes.append(Vote(a, b, "a" if rng.random() < p_a else "b"))
    return votes


def test_recovers_known_strengths() -> None:
    board = fit_ratings(simulate(4000), bootstrap=50)
    assert [r.competitor for r in board.ratings] == sorted(TRUE, key=lambda k: -TRUE[k])
    mean_true = sum(TRUE.values()) / len(TRUE)
    for rating in board.ratings:
        assert abs(rating.rating - (TRUE[rating.competitor] - mean_true + 1000)) < 35, rating
        assert rating.low <= rating.rating <= rating.high
    assert board.votes == 4000 and sum(r.votes for r in board.ratings) == 8000


def test_ties_count_as_half_wins() -> None:
    # one win and one tie against b: 1.5 vs 0.5 wins, so odds 3:1 = 400 log10(3) Elo points apart (no prior)
    votes = [Vote("a", "b", "a"), Vote("b", "a", "tie")]
    board = fit_ratings(votes, bootstrap=0, prior=0)
    assert board.get("a").rating - board.get("b").rating == pytest.approx(400 * math.log10(3), abs=1e-6)
    assert board.get("a").ties == 1 and board.get("a").wins == 1 and board.get("b").losses == 1
    only_ties = fit_ratings([Vote("x", "y", "tie")] * 10, bootstrap=20)
    assert only_ties.get("x").rating == pytest.approx(only_ties.get("y").rating)
    # both_bad is a tie unless skipped
    assert fit_ratings([Vote("x", "y", "both_bad"), Vote("x", "y", "a")], bootstrap=0).votes == 2
    assert fit_ratings([Vote("x", "y", "both_bad"), Vote("x", "y", "a")], bootstrap=0, both_bad="skip").votes == 1


def test_never_winning_stays_finite_and_last() -> None:
    board = fit_ratings([Vote("strong", "weak", "a")] * 5, bootstrap=30)
    assert board.ratings[0].competitor == "strong"
    assert all(math.isfinite(v) for r in board.ratings for v in (r.rating, r.low, r.high))
    with pytest.raises(ArenaError, match="at least one win"):
        fit_ratings([Vote("strong", "weak", "a")], bootstrap=0, prior=0)


def test_intervals_shrink_with_more_votes() -> None:
    few = fit_ratings(simulate(60, seed=1), bootstrap=200)
    many = fit_ratings(simulate(1500, seed=1), bootstrap=200)
    for name in TRUE:
        assert many.get(name).width < few.get(name).width / 2, name
    assert few.to_dict()["ratings"][0]["low"] <= few.ratings[0].rating
    rows = list(csv.DictReader(io.StringIO(many.to_csv())))
    assert [r["competitor"] for r in rows] == [r.competitor for r in many.ratings] and rows[0]["rank"] == "1"


def test_bootstrap_is_seeded() -> None:
    votes = simulate(100, seed=3)
    assert fit_ratings(votes, seed=7).to_dict() == fit_ratings(votes, seed=7).to_dict()


def test_recommendation_refuses_when_intervals_overlap() -> None:
    close = fit_ratings(simulate(12, seed=2, tie_rate=0.5), bootstrap=200)
    refused = recommend(close, min_votes=1)
    assert refused.competitor is None and "overlap too much" in refused.reason
    # a single vote resamples into a zero-width interval: the vote count guard refuses it
    one = fit_ratings([Vote("x", "y", "a")], bootstrap=50)
    assert one.ratings[0].width == 0 and recommend(one, min_votes=1).competitor == "x"
    assert recommend(one).competitor is None and "too few votes" in recommend(one).reason
    clear = fit_ratings(simulate(3000, seed=2), bootstrap=200)
    picked = recommend(clear)
    assert picked.competitor == "lam 1", picked.reason
    assert picked.best.votes > 0 and "lam 1" in picked.reason
    assert recommend(clear, min_votes=10_000).competitor is None
    assert recommend(fit_ratings([Vote("x", "y", "a")], bootstrap=0)).competitor is None


def test_bad_votes_are_refused() -> None:
    with pytest.raises(ArenaError, match="winner"):
        Vote("x", "y", "left")
    with pytest.raises(ArenaError, match="itself"):
        Vote("x", "x", "a")
    with pytest.raises(ArenaError, match="no votes"):
        fit_ratings([])
    rows = [{"model_a": "m", "model_b": "m + ad", "winner": "b"}, {"model_a": "m", "model_b": "m", "winner": "a"}]
    assert votes_from_rows(rows) == [Vote("m", "m + ad", "b")]
