"""Invariants: any cutting of a packet stream into reads gives back the packets, in order."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from lingtan.connectors.hj212 import packet as p
from lingtan.connectors.hj212.stream import Splitter


def _packet(k: int, value: float) -> bytes:
    cp = p.format_cp(
        None,
        [p.Pollutant("a34004", {"Avg": value}, "N")],
        {"DataTime": f"2026010100{k % 60:02d}00"},
    )
    return p.build(
        st="22", cn="2051", pw="1", mn=f"M{k}", qn=f"20260101000000{k % 1000:03d}", cp=cp
    )


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=8),
    cuts=st.lists(st.integers(0, 4000), max_size=12),
)
def test_any_split_of_a_stream_yields_the_same_packets(
    values: list[float], cuts: list[int]
) -> None:
    frames = [_packet(k, v) for k, v in enumerate(values)]
    stream = b"".join(frames)
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    s = Splitter()
    out = []
    for a, b in itertools.pairwise(points):
        out += s.feed(stream[a:b])
    assert out == frames
    assert s.pending == 0
    assert [p.parse(f).mn for f in out] == [f"M{k}" for k in range(len(values))]
