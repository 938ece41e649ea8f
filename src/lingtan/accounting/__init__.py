"""Store-backed accounting: the activity of a park, an enterprise or a building for a year, a
month or the year to date from metered statistics, the 绿证 ledger and stored supplements, accounted by
:func:`lingtan.carbon.account` and kept with every factor record it used.

Service functions (keyword-only, explicit scope, no web framework): :func:`account_park`,
:func:`account_enterprise`, :func:`account_enterprises`, :func:`account_park_and_enterprises`,
:func:`account_building`,
:func:`history`, :func:`get_result`, :func:`save_supplement`, :func:`list_supplements`.
"""

from __future__ import annotations

from lingtan.accounting.metered import CARRIER_ROLES, MeteringOptions, SourceLine
from lingtan.accounting.service import (
    AccountingResult,
    account_building,
    account_enterprise,
    account_enterprises,
    account_park,
    account_park_and_enterprises,
    get_result,
    history,
    list_supplements,
    save_supplement,
)

__all__ = [
    "CARRIER_ROLES",
    "AccountingResult",
    "MeteringOptions",
    "SourceLine",
    "account_building",
    "account_enterprise",
    "account_enterprises",
    "account_park",
    "account_park_and_enterprises",
    "get_result",
    "history",
    "list_supplements",
    "save_supplement",
]
