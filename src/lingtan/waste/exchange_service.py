"""Waste-exchange service (7.4.1.10): listings, matches, deals and the utilisation they feed.

Every enterprise of the park sees the open listings, but another enterprise's listing without
its owner (``enterprise_id`` hidden: the park office brokers the contact); a deal's details
are visible only to its seller, its buyer and park-wide roles.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.identity.roles import Principal
from lingtan.store import Store
from lingtan.store.waste_repo import WasteRepo
from lingtan.waste import exchange as ex
from lingtan.waste.service import (
    ctx,
    enterprise_for,
    now_us,
    require_read,
    require_write,
    to_tonnes,
)


def _date(value: str, field: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not YYYY-MM-DD", field=field) from None


def _shown(listing: ex.Listing, principal: Principal) -> ex.Listing:
    """A listing as the caller may see it: another enterprise's without its owner (0)."""
    if principal.enterprise_id is None or listing.enterprise_id == principal.enterprise_id:
        return listing
    return replace(listing, enterprise_id=0, created_by="")


def add_listing(
    store: Store,
    *,
    principal: Principal,
    enterprise_id: int | None,
    side: str,
    material: str,
    quantity: float,
    unit: str,
    period_from: str,
    period_to: str,
    code: str | None = None,
    quality: str | None = None,
    location: str | None = None,
) -> ex.Listing:
    """Offer (or ask for) a general industrial solid waste or by-product."""  # fmt: skip
    require_write(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=True)
    if side not in ex.SIDES:
        raise InvalidInput(f"side: {side!r} is not one of offer, want", field="side")
    if not material.strip():
        raise InvalidInput("material: required", field="material")
    q_t = to_tonnes(quantity, unit)
    if q_t <= 0:
        raise InvalidInput("quantity: must be positive", field="quantity")
    p0, p1 = _date(period_from, "period_from"), _date(period_to, "period_to")
    if p1 < p0:
        raise InvalidInput("period_to: before period_from", field="period_to")
    return WasteRepo(store).add_listing(
        park_id=c.park_id, enterprise_id=ent, side=side, material=material.strip(),
        code=(code or "").strip() or None, quantity=quantity, unit=unit, quantity_t=q_t,
        period_from=p0, period_to=p1, quality=quality, location=location, state="open",
        created_by=principal.actor, created_at=now_us(),
    )  # fmt: skip


def list_listings(
    store: Store, *, principal: Principal, side: str | None = None, mine: bool = False
) -> list[ex.Listing]:
    """The park's open listings (others' without their owner)."""
    require_read(principal)
    c = ctx(store, principal)
    items = WasteRepo(store).listings(park_id=c.park_id)
    if side is not None:
        items = [x for x in items if x.side == side]
    if mine:
        items = [x for x in items if x.enterprise_id == principal.enterprise_id]
    return [_shown(x, principal) for x in items]


def list_matches(store: Store, *, principal: Principal) -> list[ex.Match]:
    """Offers and wants of the same material (an enterprise sees those involving its own
    listings; park-wide roles all)."""
    require_read(principal)
    c = ctx(store, principal)
    found = ex.matches(WasteRepo(store).listings(park_id=c.park_id))
    if principal.enterprise_id is not None:
        own = principal.enterprise_id
        found = [m for m in found if own in (m.offer.enterprise_id, m.want.enterprise_id)]
    return [ex.Match(_shown(m.offer, principal), _shown(m.want, principal), m.quantity_t)
            for m in found]  # fmt: skip


def add_deal(
    store: Store,
    *,
    principal: Principal,
    offer_id: int,
    quantity: float,
    unit: str,
    agreed_on: str,
    want_id: int | None = None,
    buyer_id: int | None = None,
    note: str | None = None,
) -> ex.Deal:
    """Record a deal on an offer: the buyer is the want's enterprise, or ``buyer_id``. The
    seller or the buyer records it (or the park office)."""  # fmt: skip
    require_write(principal)
    c = ctx(store, principal)
    repo = WasteRepo(store)
    offer = repo.listing(park_id=c.park_id, listing_id=offer_id)
    if offer.side != ex.OFFER:
        raise InvalidInput("offer_id: not an offer", field="offer_id")
    if want_id is not None:
        want = repo.listing(park_id=c.park_id, listing_id=want_id)
        if want.side != ex.WANT:
            raise InvalidInput("want_id: not a want", field="want_id")
        buyer = want.enterprise_id
    elif buyer_id is not None:
        if not any(e.id == buyer_id for e in store.registry.enterprises(c.park_id)):
            raise NotFound("enterprise not found")
        buyer = buyer_id
    else:
        raise InvalidInput("buyer_id: give the want or the buyer", field="buyer_id")
    if principal.enterprise_id is not None and principal.enterprise_id not in (
        offer.enterprise_id,
        buyer,
    ):
        raise NotFound("listing not found")
    if buyer == offer.enterprise_id:
        raise InvalidInput("buyer_id: the seller cannot buy its own offer", field="buyer_id")
    q_t = to_tonnes(quantity, unit)
    if q_t <= 0:
        raise InvalidInput("quantity: must be positive", field="quantity")
    return repo.add_deal(
        park_id=c.park_id, offer_id=offer.id, want_id=want_id, seller_id=offer.enterprise_id,
        buyer_id=buyer, material=offer.material, quantity=quantity, unit=unit, quantity_t=q_t,
        agreed_on=_date(agreed_on, "agreed_on"), completed_on=None, state="agreed", note=note,
        created_by=principal.actor, created_at=now_us(),
    )  # fmt: skip


def list_deals(store: Store, *, principal: Principal) -> list[ex.Deal]:
    """The deals the caller is party to (all for park-wide roles)."""
    require_read(principal)
    c = ctx(store, principal)
    return WasteRepo(store).deals(tenant=c.tenant, park_id=c.park_id)


def settle_deal(
    store: Store, *, principal: Principal, deal_id: int, action: str, on: str
) -> ex.Deal:
    """``complete`` (the material changed hands on ``on``) or ``cancel`` an agreed deal."""
    require_write(principal)
    c = ctx(store, principal)
    repo = WasteRepo(store)
    deal = repo.deal(tenant=c.tenant, park_id=c.park_id, deal_id=deal_id)
    if action not in ("complete", "cancel"):
        raise InvalidInput(f"action: {action!r} is not complete or cancel", field="action")
    if deal.state != "agreed":
        raise Conflict(f"deal {deal.id} is {deal.state}")
    day = _date(on, "on")
    values: dict[str, Any] = {"state": "completed" if action == "complete" else "cancelled"}
    if action == "complete":
        values["completed_on"] = day
    repo.update_deal(deal.id, **values)
    return repo.deal(tenant=c.tenant, park_id=c.park_id, deal_id=deal.id)


def utilisation(
    store: Store, *, principal: Principal, year: int, enterprise_id: int | None = None
) -> dict[str, Any]:
    """Solid waste utilised through completed exchanges in ``year`` [t]: one enterprise's as
    seller (the caller's own for an enterprise's user) or the park's total, with the basis."""
    require_read(principal)
    c = ctx(store, principal)
    ent = enterprise_for(store, principal, c, enterprise_id, writing=False)
    deals = WasteRepo(store).deals(tenant=c.tenant, park_id=c.park_id)
    value = ex.utilised_t(deals, seller_id=ent or None, year=year)
    return {"year": year, "utilised_t": value, "basis": "exchange deals completed in the year",
            "deals": sum(1 for d in deals if d.state == "completed")}  # fmt: skip
