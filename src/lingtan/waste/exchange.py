"""The park's waste exchange (固废交换, park standard 7.4.1.10), pure: listings of general
industrial solid waste and by-products offered or wanted, matching of offers with wants, and
deals. Completed deals are solid waste utilised by another enterprise (综合利用) and count in
the seller's utilisation figure.

Visibility (enforced by the service and the store): every enterprise of the park sees the
open listings — without the name of the enterprise behind another's listing (the park office
brokers the contact) — and only the deals it is party to.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

OFFER = "offer"
WANT = "want"
SIDES: Final = (OFFER, WANT)
DEAL_STATES: Final = ("agreed", "completed", "cancelled")


@dataclass(frozen=True, slots=True)
class Listing:
    """An offer or a want of material on the exchange."""

    id: int
    park_id: int
    enterprise_id: int
    side: str
    material: str
    code: str | None
    quantity: float
    unit: str
    quantity_t: float
    period_from: str
    period_to: str
    quality: str | None
    location: str | None
    state: str
    created_by: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Deal:
    """A deal between a seller (the offer's enterprise) and a buyer."""

    id: int
    park_id: int
    offer_id: int
    want_id: int | None
    seller_id: int
    buyer_id: int
    material: str
    quantity: float
    unit: str
    quantity_t: float
    agreed_on: str
    completed_on: str | None
    state: str
    note: str | None
    created_by: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Match:
    """An offer and a want of the same material whose periods overlap."""

    offer: Listing
    want: Listing
    quantity_t: float  # what could change hands: the smaller of the two


def material_key(material: str) -> str:
    """The material compared (NFKC, case-folded, spaces removed): 粉煤灰 = 粉煤灰 ."""
    return "".join(unicodedata.normalize("NFKC", material).casefold().split())


def _compatible(offer: Listing, want: Listing) -> bool:
    if offer.enterprise_id == want.enterprise_id:
        return False
    if offer.code and want.code:
        same = offer.code == want.code
    else:
        same = material_key(offer.material) == material_key(want.material)
    return same and offer.period_from <= want.period_to and want.period_from <= offer.period_to


def matches(listings: Iterable[Listing]) -> list[Match]:
    """Every open offer × open want of the same material (by code when both give one, else by
    name) from different enterprises, with overlapping periods; largest quantity first."""
    items = [x for x in listings if x.state == "open"]
    offers = [x for x in items if x.side == OFFER]
    wants = [x for x in items if x.side == WANT]
    found = [
        Match(o, w, min(o.quantity_t, w.quantity_t))
        for o in offers
        for w in wants
        if _compatible(o, w)
    ]
    return sorted(found, key=lambda m: (-m.quantity_t, m.offer.id, m.want.id))


def completed_between(deals: Iterable[Deal], first: str, last: str) -> list[Deal]:
    """The deals completed from ``first`` to ``last`` (ISO dates, both included)."""
    return [
        d
        for d in deals
        if d.state == "completed" and d.completed_on is not None and first <= d.completed_on <= last
    ]


def by_seller(deals: Iterable[Deal]) -> dict[int, float]:
    """Quantity [t] per seller of ``deals``."""
    out: dict[int, float] = {}
    for d in deals:
        out[d.seller_id] = out.get(d.seller_id, 0.0) + d.quantity_t
    return out


def utilised_t(deals: Iterable[Deal], *, seller_id: int | None, year: int) -> float:
    """Solid waste utilised through completed deals in ``year`` [t] (of one seller, or all)."""
    return sum(
        d.quantity_t
        for d in deals
        if d.state == "completed"
        and d.completed_on is not None
        and d.completed_on.startswith(f"{year:04d}-")
        and (seller_id is None or d.seller_id == seller_id)
    )
