"""Green electricity: certificates (绿证), green-power trades and their retirement rules."""

from __future__ import annotations

from lingtan.greenpower.ledger import (
    KWH_PER_CERTIFICATE,
    Certificate,
    GreenElectricity,
    InMemoryLedgerRepository,
    Ledger,
    LedgerRepository,
    Month,
    Period,
    Retirement,
    TradeSettlement,
)

__all__ = [
    "KWH_PER_CERTIFICATE",
    "Certificate",
    "GreenElectricity",
    "InMemoryLedgerRepository",
    "Ledger",
    "LedgerRepository",
    "Month",
    "Period",
    "Retirement",
    "TradeSettlement",
]
