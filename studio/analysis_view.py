"""Stored orthogonality analyses as page heatmaps: the Adapt screen's import, kept while it names this module.

The code lives in :mod:`backend.analysis` (the studio computes no analysis itself); new code imports it there.
"""

from __future__ import annotations

from backend.analysis import ANALYSIS_FILE, stored_heatmap, table_from_dict

__all__ = ["ANALYSIS_FILE", "stored_heatmap", "table_from_dict"]
