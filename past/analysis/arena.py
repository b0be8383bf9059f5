"""Arena ratings: Bradley–Terry strengths fitted to pairwise votes, on the Elo scale, with bootstrap intervals.

Model: P(i beats j) = p_i / (p_i + p_j). A vote is a pair (a, b) and a winner: ``a``, ``b``, ``tie`` (half a
win to each side) or ``both_bad`` (counted as a tie by default, or dropped). The strengths maximise the
likelihood by the minorise–maximise iteration of Hunter (2004)

    p_i ← W_i / Σ_j n_ij / (p_i + p_j),

where W_i are i's wins (ties as halves) and n_ij the votes between i and j: a few steps of it, then Newton
steps on log p (the log-likelihood is concave there), which converge in a handful of iterations. A weak
prior (``prior`` virtual ties of every competitor against a fixed reference of strength 1) keeps a
competitor that never won finite and ties disconnected groups to one scale; ``prior=0`` is the plain
maximum-likelihood fit. Ratings are Elo-scaled, ``1000 + 400 · log10(p_i / geometric mean)``, so 400
points ≈ 10:1 odds. Intervals: the fit repeated on votes resampled with replacement (percentile
bootstrap, seeded).

:func:`recommend` picks the best competitor only when the data separate it from the runner-up: the two
intervals must not overlap, and each competitor needs ``min_votes`` votes (a handful of votes resample into
deceptively narrow intervals); otherwise it says why it cannot recommend yet.
Nothing here knows about models, λ or the studio: competitors are plain strings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from past.errors import PastError

WINNERS = ("a", "b", "tie", "both_bad")
ELO_BASE = 1000.0
ELO_SCALE = 400.0
DEFAULT_PRIOR = 0.5
DEFAULT_BOOTSTRAP = 200
# fewer votes per competitor than this and the bootstrap intervals are too coarse to trust (one vote resampled
# is always the same vote: a zero-width interval), so no recommendation is made
MIN_VOTES = 10
CSV_COLUMNS = ["rank", "competitor", "rating", "low", "high", "votes", "wins", "losses", "ties", "p_best"]


class ArenaError(PastError):
    """Votes or options the arena cannot rate."""


@dataclass(frozen=True)
class Vote:
    a: str
    b: str
    winner: str  # a, b, tie, both_bad

    def __post_init__(self) -> None:
        if self.winner not in WINNERS:
            raise ArenaError(f"a vote's winner must be one of {', '.join(WINNERS)}, not {self.winner!r}")
        if not self.a or not self.b:
            raise ArenaError("a vote needs two named sides")
        if self.a == self.b:
            raise ArenaError(f"a vote between {self.a!r} and itself says nothing about strength")


@dataclass
class Rating:
    competitor: str
    rating: float
    low: float
    high: float
    votes: int
    wins: int
    losses: int
    ties: int
    p_best: float = 0.0  # share of bootstrap fits in which this competitor rated highest

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass
class Leaderboard:
    ratings: list[Rating]  # best first
    votes: int
    bootstrap: int
    prior: float
    both_bad: str
    confidence: float = 0.95
    meta: dict[str, Any] = field(default_factory=dict)

    def get(self, competitor: str) -> Rating | None:
        return next((r for r in self.ratings if r.competitor == competitor), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "Bradley-Terry (MM), Elo scale 1000 + 400 log10(p), percentile bootstrap over votes",
            "votes": self.votes,
            "bootstrap": self.bootstrap,
            "confidence": self.confidence,
            "prior_virtual_ties": self.prior,
            "both_bad_counted_as": self.both_bad,
            **self.meta,
            "ratings": [asdict(r) for r in self.ratings],
        }

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for rank, r in enumerate(self.ratings, start=1):
            row = [rank, r.competitor, f"{r.rating:.1f}", f"{r.low:.1f}", f"{r.high:.1f}", r.votes, r.wins]
            writer.writerow([*row, r.losses, r.ties, f"{r.p_best:.3f}"])
        return buffer.getvalue()


@dataclass
class Recommendation:
    competitor: str | None  # None: the votes do not separate the best from the runner-up
    reason: str
    best: Rating | None = None
    runner_up: Rating | None = None


def _encode(votes: Sequence[Vote], index: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, score of i) per vote: 1 a win for i, 0 a win for j, 0.5 a tie."""
    score = {"a": 1.0, "b": 0.0, "tie": 0.5, "both_bad": 0.5}
    i = np.array([index[v.a] for v in votes], dtype=np.int64)
    j = np.array([index[v.b] for v in votes], dtype=np.int64)
    return i, j, np.array([score[v.winner] for v in votes])


def _counts(i: np.ndarray, j: np.ndarray, s: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(wins per competitor with ties as halves, games[i, j]) over encoded votes."""
    wins = np.bincount(i, weights=s, minlength=n) + np.bincount(j, weights=1.0 - s, minlength=n)
    games = np.zeros((n, n))
    np.add.at(games, (i, j), 1.0)
    return wins, games + games.T


def _log_likelihood(theta: np.ndarray, wins: np.ndarray, games: np.ndarray, prior: float) -> float:
    total = float(wins @ theta) - 0.5 * float((games * np.logaddexp(theta[:, None], theta[None, :])).sum())
    if prior:
        total += prior * float(theta.sum()) - 2 * prior * float(np.logaddexp(0.0, theta).sum())
    return total


def bradley_terry(
    wins: np.ndarray, games: np.ndarray, *, prior: float = DEFAULT_PRIOR, iterations: int = 20, mm_steps: int = 8
) -> np.ndarray:
    """Strengths p (geometric mean 1) maximising the likelihood; ``prior`` virtual ties per competitor against
    a reference of strength 1. A few MM steps (monotone, safe from any start) then Newton steps on log p
    (the log-likelihood is concave), each halved until the likelihood does not drop."""
    n = len(wins)
    if prior < 0:
        raise ArenaError(f"prior must be 0 or more, not {prior}")
    if prior == 0 and np.any(wins <= 0):
        raise ArenaError("with prior 0 every competitor needs at least one win or tie; use a prior above 0")
    p = np.ones(n)
    for _ in range(mm_steps):
        p = (wins + prior) / ((games / (p[:, None] + p[None, :])).sum(axis=1) + 2 * prior / (p + 1.0))
    theta = np.log(p) - (np.log(p).mean() if prior == 0 else 0.0)
    current = _log_likelihood(theta, wins, games, prior)
    for _ in range(iterations):
        sig = 1.0 / (1.0 + np.exp(-(theta[:, None] - theta[None, :])))  # P(i beats j)
        own = 1.0 / (1.0 + np.exp(-theta))
        grad = wins + prior - (games * sig).sum(axis=1) - 2 * prior * own
        curvature = games * sig * (1 - sig)
        hessian = curvature - np.diag(curvature.sum(axis=1) + 2 * prior * own * (1 - own))
        step = np.linalg.lstsq(hessian, -grad, rcond=None)[0]
        scale = 1.0
        while scale > 1e-4:
            trial = theta + scale * step
            value = _log_likelihood(trial, wins, games, prior)
            if value >= current - 1e-12:
                break
            scale /= 2
        else:
            break
        moved = float(np.max(np.abs(trial - theta)))
        theta, current = trial, value
        if moved < 1e-9:
            break
    return np.exp(theta - theta.mean())


def elo(p: np.ndarray) -> np.ndarray:
    return ELO_BASE + ELO_SCALE * np.log10(p)


def fit_ratings(
    votes: Iterable[Vote],
    *,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
    prior: float = DEFAULT_PRIOR,
    both_bad: str = "tie",
    confidence: float = 0.95,
) -> Leaderboard:
    """Ratings of every competitor in ``votes`` with ``confidence`` bootstrap intervals, best first."""
    votes = list(votes)
    if both_bad not in ("tie", "skip"):
        raise ArenaError(f"both_bad must be 'tie' or 'skip', not {both_bad!r}")
    if not 0 < confidence < 1:
        raise ArenaError(f"confidence must be between 0 and 1, not {confidence}")
    if bootstrap < 0:
        raise ArenaError(f"bootstrap must be 0 or more, not {bootstrap}")
    counted = [v for v in votes if not (v.winner == "both_bad" and both_bad == "skip")]
    if not counted:
        raise ArenaError("no votes to rate yet: vote on some pairs first")
    names = sorted({v.a for v in counted} | {v.b for v in counted})
    index = {name: i for i, name in enumerate(names)}
    i, j, s = _encode(counted, index)
    wins, games = _counts(i, j, s, len(names))
    point = elo(bradley_terry(wins, games, prior=prior))
    low, high, p_best = point.copy(), point.copy(), np.zeros(len(names))
    if bootstrap:
        rng = np.random.default_rng(seed)
        samples = np.empty((bootstrap, len(names)))
        for k in range(bootstrap):
            picked = rng.integers(0, len(counted), len(counted))
            w, g = _counts(i[picked], j[picked], s[picked], len(names))
            samples[k] = elo(bradley_terry(w, g, prior=max(prior, 1e-3)))
        tail = (1 - confidence) / 2 * 100
        low, high = np.percentile(samples, tail, axis=0), np.percentile(samples, 100 - tail, axis=0)
        p_best = np.bincount(samples.argmax(axis=1), minlength=len(names)) / bootstrap
    ratings = []
    for name, k in index.items():
        record = [v for v in counted if name in (v.a, v.b)]
        won = sum(1 for v in record if (v.winner == "a" and v.a == name) or (v.winner == "b" and v.b == name))
        tied = sum(1 for v in record if v.winner in ("tie", "both_bad"))
        ratings.append(
            Rating(
                name,
                float(point[k]),
                float(low[k]),
                float(high[k]),
                len(record),
                won,
                len(record) - won - tied,
                tied,
                float(p_best[k]),
            )
        )
    ratings.sort(key=lambda r: -r.rating)
    return Leaderboard(ratings, len(counted), bootstrap, prior, both_bad, confidence)


def recommend(board: Leaderboard, *, min_votes: int = MIN_VOTES) -> Recommendation:
    """The highest-rated competitor, or none with the reason when the intervals overlap too much."""
    if not board.ratings:
        return Recommendation(None, "no votes yet")
    best = board.ratings[0]
    if len(board.ratings) == 1:
        return Recommendation(None, f"only {best.competitor} has votes: nothing to compare it with", best)
    runner = board.ratings[1]
    short = [f"{r.competitor} has {r.votes}" for r in board.ratings if r.votes < min_votes]
    if short:
        reason = f"too few votes to recommend yet: {', '.join(short)} (at least {min_votes} each); vote on more pairs"
        return Recommendation(None, reason, best, runner)
    if board.bootstrap == 0:
        return Recommendation(
            None, "no intervals were computed (bootstrap 0): cannot tell the best apart", best, runner
        )
    separated = best.low > runner.high
    if not separated:
        reason = (
            f"the intervals overlap too much to recommend: {best.competitor} {best.rating:.0f} "
            f"[{best.low:.0f}, {best.high:.0f}] vs {runner.competitor} {runner.rating:.0f} "
            f"[{runner.low:.0f}, {runner.high:.0f}] after {board.votes} votes; vote on more pairs"
        )
        return Recommendation(None, reason, best, runner)
    reason = (
        f"{best.competitor} rates highest: {best.rating:.0f} [{best.low:.0f}, {best.high:.0f}] over "
        f"{best.votes} of {board.votes} votes, ahead of {runner.competitor} {runner.rating:.0f} "
        f"[{runner.low:.0f}, {runner.high:.0f}]"
    )
    return Recommendation(best.competitor, reason, best, runner)


def votes_from_rows(rows: Iterable[dict[str, Any]]) -> list[Vote]:
    """Votes as the store keeps them (``model_a``, ``model_b``, ``winner``); self-pairs are skipped."""
    return [Vote(str(r["model_a"]), str(r["model_b"]), str(r["winner"])) for r in rows if r["model_a"] != r["model_b"]]
