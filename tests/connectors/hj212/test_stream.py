"""Splitting a TCP byte stream into HJ 212 packets."""

from __future__ import annotations

from lingtan.connectors.hj212 import packet as p
from lingtan.connectors.hj212.stream import Skipped, Splitter

A = p.build(
    st="22", cn="2051", pw="1", mn="A", qn="20260101000000000", cp="DataTime=20260101000000"
)
B = p.build(
    st="22", cn="2051", pw="1", mn="B", qn="20260101000100000", cp="DataTime=20260101000100"
)


def test_a_packet_split_across_reads_comes_out_whole() -> None:
    s = Splitter()
    out: list[bytes | Skipped] = []
    for k in range(0, len(A), 7):  # 7-byte reads, the header itself split
        out += s.feed(A[k : k + 7])
    assert out == [A]
    assert s.pending == 0


def test_two_packets_in_one_read() -> None:
    assert Splitter().feed(A + B) == [A, B]


def test_garbage_before_the_header_is_reported_not_dropped() -> None:
    assert Splitter().feed(b"\x00noise" + A) == [Skipped("garbage", b"\x00noise"), A]


def test_a_lone_hash_at_the_end_of_a_read_is_kept() -> None:
    s = Splitter()
    assert s.feed(b"xx#") == [Skipped("garbage", b"xx")]
    assert s.feed(A[1:]) == [A]


def test_oversize_length_resyncs_on_the_next_header() -> None:
    bad = b"##9999QN=junk"
    assert Splitter().feed(bad + A) == [Skipped("too_long", bad), A]


def test_non_digit_length_resyncs() -> None:
    bad = b"##12a4xxx"
    assert Splitter().feed(bad + B) == [Skipped("bad_length", bad), B]


def test_a_packet_cut_short_by_the_next_one_is_reported_and_the_next_one_kept() -> None:
    cut = A[:40]
    # in one read: a new header before the end the cut packet's length promises
    assert Splitter().feed(cut + B) == [Skipped("truncated", cut), B]
    # in two reads: the splitter waits, then sees a new header before the promised end
    s = Splitter()
    assert s.feed(cut) == []
    assert s.feed(B) == [Skipped("truncated", cut), B]


def test_wrong_trailer_position_resyncs() -> None:
    # the length says 5 bytes fewer than the segment holds: CR LF is not where it should be
    bad = A.replace(b"##%04d" % (len(A) - 12), b"##%04d" % (len(A) - 17))
    out = Splitter().feed(bad + B + B)
    assert out[0] == Skipped("length_mismatch", bad)
    assert out[1:] == [B, B]


def test_close_reports_the_incomplete_rest() -> None:
    s = Splitter()
    assert s.feed(A[:20]) == []
    assert s.close() == [Skipped("truncated", A[:20])]
