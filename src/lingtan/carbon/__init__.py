"""The accounting library: pure functions over activity data and versioned factor records.

No I/O beyond reading its own data files, no SQL, no web framework. Entry points:
:func:`~lingtan.carbon.inventory.account` (the inventory of one boundary and year),
:mod:`~lingtan.carbon.methods` (one function per published equation) and
:mod:`~lingtan.carbon.factors` (factor records with provenance).
"""

from __future__ import annotations

from lingtan.carbon.activity import Activity, load_activity, parse_activity
from lingtan.carbon.factors import FactorLibrary, FactorRecord, FactorSeries, default_library
from lingtan.carbon.inventory import AccountingOptions, HourlyGrid, Inventory, account

__all__ = [
    "AccountingOptions",
    "Activity",
    "FactorLibrary",
    "FactorRecord",
    "FactorSeries",
    "HourlyGrid",
    "Inventory",
    "account",
    "default_library",
    "load_activity",
    "parse_activity",
]
