"""Hourly green-power matching (溯源), carbon intensity bases and direct-supply ratios."""

from __future__ import annotations

from lingtan.greenpower.matching.allocate import (
    SOURCES,
    MatchingInput,
    MatchingResult,
    cfe_score,
    match_hourly,
    match_monthly,
)
from lingtan.greenpower.matching.storage import StorageFlows, StorageResult, track_green_share

__all__ = [
    "SOURCES",
    "MatchingInput",
    "MatchingResult",
    "StorageFlows",
    "StorageResult",
    "cfe_score",
    "match_hourly",
    "match_monthly",
    "track_green_share",
]
