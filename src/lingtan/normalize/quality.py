"""Quality of hourly statistics: flags and the labels shown to users.

Every hour of every point accounts for its 3,600 seconds as *measured*, *estimated* or
*missing* (see docs/data-quality.md). The label summarises the three shares.
"""

from __future__ import annotations

from enum import IntFlag, StrEnum


class Flag(IntFlag):
    """Events seen in the readings that made an hour."""

    NONE = 0
    #: readings further apart than two nominal intervals; energy apportioned by time
    GAP = 1
    #: the register dropped without a documented replacement: a new segment starts
    RESET = 2
    #: the register wrapped at its configured maximum and was unwrapped
    ROLLOVER = 4
    #: an implausible reading was excluded; energy bridged between trusted readings
    SPIKE = 8
    #: a persistent step larger than the rated maximum: energy across it is unknown
    JUMP = 16
    #: a virtual point member had no statistic for the hour
    MEMBER_MISSING = 32
    #: a documented meter replacement (换表): the old register counted to its final value,
    #: the new one from its initial value
    REPLACEMENT = 64


class Label(StrEnum):
    """Quality label of one statistic."""

    MEASURED = "measured"  # every second from measured intervals
    ESTIMATED = "estimated"  # nothing missing, some seconds estimated
    PARTIAL = "partial"  # some seconds missing, some known
    MISSING = "missing"  # nothing known: the value is NULL, never 0


def label(measured_s: float, estimated_s: float, missing_s: float) -> Label:
    """The label for a statistic's shares (any period length)."""
    known = measured_s + estimated_s
    if known <= 0:
        return Label.MISSING
    if missing_s > 1e-6:
        return Label.PARTIAL
    if estimated_s > 1e-6:
        return Label.ESTIMATED
    return Label.MEASURED


def flag_names(flags: int) -> list[str]:
    """Names of the flags set in ``flags`` (lower case)."""
    return [f.name.lower() for f in Flag if f and f.name and flags & f]
