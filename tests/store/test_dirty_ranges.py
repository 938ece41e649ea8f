"""The dirty queue's range text: written and merged per point (pure)."""

from __future__ import annotations

import json

from lingtan.store.stats_repo import merge_ranges, ranges_text


def test_ranges_merge_to_the_earliest_start_and_latest_end_of_each_point() -> None:
    texts = [
        "[[1, 5, 9], [2, 1, 2]]",  # as json.dumps wrote it before: spaces after commas
        ranges_text([[1, 3, 4], [1, 10, 12], [7, 1_748_736_000_000_000, 1_748_739_600_000_000]]),
        "[]",
    ]
    assert merge_ranges(texts) == {
        1: (3, 12),
        2: (1, 2),
        7: (1_748_736_000_000_000, 1_748_739_600_000_000),
    }
    assert merge_ranges([]) == {} and merge_ranges(["[]"]) == {}


def test_range_text_is_json() -> None:
    rows = [[3, -5, 2**62], [4, 0, 1]]
    assert json.loads(ranges_text(rows)) == rows
