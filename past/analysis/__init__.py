"""Analyses over stored studio results that need no model: arena ratings from pairwise votes."""

from past.analysis.arena import Leaderboard, Rating, Recommendation, Vote, fit_ratings, recommend

__all__ = ["Leaderboard", "Rating", "Recommendation", "Vote", "fit_ratings", "recommend"]
