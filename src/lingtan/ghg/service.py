"""Store-backed GHG services (keyword-only, explicit principal, no web framework).

Tenancy: an enterprise's user reads and writes only its own documents and accounts (the store
filters every query by the tenant); park-wide roles see every enterprise and write for the one
they name. Writing needs ``write``; a document is appended with an audit entry in the same
transaction and never edited — the newest of an (enterprise, year) is in force.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lingtan.errors import InvalidInput, NotFound
from lingtan.ghg import cbam, market, metered, records
from lingtan.ghg.account import GhgResult, account, parse_document
from lingtan.identity.roles import Permission, Principal, require
from lingtan.store import Store
from lingtan.store.ghg_repo import GhgDocumentRow, GhgRepo
from lingtan.timeutil import to_us, utcnow


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored document's metadata."""

    id: int
    enterprise_id: int
    year: int
    sector: str
    sha256: str
    created_by: str
    created_at: int


def _meta(row: GhgDocumentRow) -> Stored:
    return Stored(
        row.id, row.enterprise_id, row.year, row.sector, row.sha256, row.created_by, row.created_at
    )


def _park(store: Store, principal: Principal) -> int:
    return store.registry.park(principal.park_id).id


def _enterprise(store: Store, principal: Principal, park_id: int, enterprise_id: int | None) -> int:
    """The caller's own enterprise, or the one a park-wide caller names; another enterprise's
    id is NotFound (the same answer as an id that names nothing)."""
    if principal.enterprise_id is not None:
        if enterprise_id is not None and enterprise_id != principal.enterprise_id:
            raise NotFound("enterprise not found")
        return principal.enterprise_id
    if enterprise_id is None:
        raise InvalidInput("enterprise_id: required for park-wide callers", field="enterprise_id")
    if not any(e.id == enterprise_id for e in store.registry.enterprises(park_id)):
        raise NotFound("enterprise not found")
    return enterprise_id


def canonical(data: Mapping[str, Any]) -> str:
    """The canonical JSON of a document (sorted keys) whose SHA-256 is stored."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def submit(
    store: Store, *, principal: Principal, enterprise_id: int | None, document: Mapping[str, Any]
) -> Stored:
    """Validate and account a document (so that a bad one is refused now, naming the field),
    then append it."""
    require(principal, Permission.WRITE)
    park_id = _park(store, principal)
    ent = _enterprise(store, principal, park_id, enterprise_id)
    doc = parse_document(document)
    # refuses inconsistent inputs (and unknown meters) before anything is stored
    account(metered.fill(store, doc, park_id=park_id, enterprise_id=ent))
    text = canonical(doc.model_dump(mode="json"))
    digest = hashlib.sha256(text.encode()).hexdigest()
    row = GhgRepo(store).add(
        park_id=park_id, enterprise_id=ent, year=doc.year, sector=doc.sector, document=text,
        sha256=digest, created_by=principal.actor, created_at=to_us(utcnow()),
        audit={"at": to_us(utcnow()), "actor": principal.actor, "action": "create",
               "entity": "ghg_document", "enterprise_id": ent,
               "after": {"year": doc.year, "sector": doc.sector, "sha256": digest}},
    )  # fmt: skip
    return _meta(row)


def documents(
    store: Store, *, principal: Principal, year: int | None, enterprise_id: int | None
) -> list[Stored]:
    """Every stored version in scope (the evidence trail)."""
    require(principal, Permission.READ)
    park_id = _park(store, principal)
    if enterprise_id is not None:
        _enterprise(store, principal, park_id, enterprise_id)
    rows = GhgRepo(store).documents(
        tenant=principal.tenant, park_id=park_id, year=year, enterprise_id=enterprise_id
    )
    return [_meta(r) for r in rows]


def result(
    store: Store, *, principal: Principal, enterprise_id: int | None, year: int
) -> tuple[Stored, GhgResult]:
    """The account of the document in force of an enterprise and year."""
    require(principal, Permission.READ)
    park_id = _park(store, principal)
    ent = _enterprise(store, principal, park_id, enterprise_id)
    rows = GhgRepo(store).documents(
        tenant=principal.tenant, park_id=park_id, year=year, enterprise_id=ent
    )
    if not rows:
        raise NotFound(f"no GHG document for {year}")
    row = rows[-1]
    doc = metered.fill(
        store, parse_document(json.loads(row.document)), park_id=park_id, enterprise_id=ent
    )
    return _meta(row), account(doc)


def enterprise_in_scope(store: Store, *, principal: Principal, enterprise_id: int | None) -> int:
    """The enterprise a caller may read: its own, or the one a park-wide caller names
    (NotFound for another enterprise's id, as for an id that names nothing)."""
    require(principal, Permission.READ)
    return _enterprise(store, principal, _park(store, principal), enterprise_id)


def installation(
    store: Store, *, principal: Principal, enterprise_id: int | None, year: int, index: int
) -> cbam.Installation:
    """A CBAM installation declared in the document in force (by position), its metered
    electricity read for the document's enterprise."""
    require(principal, Permission.REPORTS)
    stored, r = result(store, principal=principal, enterprise_id=enterprise_id, year=year)
    found = r.document.cbam_installations
    if not 0 <= index < len(found):
        raise NotFound("installation not found")
    inst = cbam.parse_installation(dict(found[index]))
    return metered_installation(
        store, inst, park_id=_park(store, principal), enterprise_id=stored.enterprise_id
    )


def metered_installation(
    store: Store, inst: cbam.Installation, *, park_id: int, enterprise_id: int
) -> cbam.Installation:
    """``inst`` with the electricity of each process that names an ``electricity_meter`` read
    from the enterprise's monthly statistics of the installation's year (in MWh, the twelve
    months complete; :func:`lingtan.ghg.metered.year_total`)."""
    processes = []
    for i, p in enumerate(inst.processes):
        if p.electricity_meter is None:
            processes.append(p)
            continue
        total, source = metered.year_total(
            store, park_id=park_id, enterprise_id=enterprise_id, meter=p.electricity_meter,
            unit="MWh", year=inst.year, where=f"processes.{i}.electricity_meter",
        )  # fmt: skip
        processes.append(p.model_copy(update={"electricity": total, "electricity_source": source}))
    return inst.model_copy(update={"processes": tuple(processes)})


def cbam_installation(
    store: Store,
    *,
    principal: Principal,
    installation: Mapping[str, Any],
    enterprise_id: int | None = None,
) -> cbam.Installation:
    """An installation from a request, its factor records resolved and, when a process names
    an ``electricity_meter``, its electricity read for the caller's enterprise (a park-wide
    caller names it: ``enterprise_id``)."""
    require(principal, Permission.WRITE)
    inst = cbam.parse_installation(dict(installation))
    if not any(p.electricity_meter for p in inst.processes):
        return inst
    park_id = _park(store, principal)
    ent = _enterprise(store, principal, park_id, enterprise_id)
    return metered_installation(store, inst, park_id=park_id, enterprise_id=ent)


def covered_units(store: Store, *, principal: Principal, year: int) -> list[dict[str, Any]]:
    """The covered-unit test of every enterprise in scope that has a document for ``year``."""
    require(principal, Permission.READ)
    park_id = _park(store, principal)
    out = []
    for row in GhgRepo(store).current(tenant=principal.tenant, park_id=park_id, year=year):
        doc = parse_document(json.loads(row.document))
        r = account(metered.fill(store, doc, park_id=park_id, enterprise_id=row.enterprise_id))
        test = market.covered_for(r).as_dict()
        out.append({"enterprise_id": row.enterprise_id, "document_id": row.id, **test})
    return out


def reference() -> dict[str, Any]:
    """Every reference record of the GHG layer (GWPs, parameters, market, CBAM)."""
    threshold, sectors = records.market()
    meta = records.cbam_meta()
    return {
        "gwp": [r.model_dump() for r in records.gwp_records()],
        "parameters": [r.model_dump() for r in records.param_records().values()],
        "market": {
            "threshold": threshold.model_dump(),
            "sectors": [s.model_dump() for s in sectors],
        },
        "cbam": {
            "documents": list(meta["documents"].values()),
            "markups": [m.model_dump() for m in meta["markups"]],
            "sectors": [s.model_dump() for s in meta["sectors"].values()],
            "default_values": len(records.default_values()),
            "goods": len(records.goods()),
        },
    }


def cbam_communication(
    store: Store,
    *,
    principal: Principal,
    installation: Mapping[str, Any],
    lang: str,
    enterprise_id: int | None = None,
) -> dict[str, Any]:
    """The CBAM communication of an installation (computed from the request, not stored)."""
    inst = cbam_installation(
        store, principal=principal, installation=installation, enterprise_id=enterprise_id
    )
    return cbam.communication(inst, lang=lang)


def cbam_workbook(
    store: Store,
    *,
    principal: Principal,
    installation: Mapping[str, Any],
    lang: str,
    enterprise_id: int | None = None,
) -> bytes:
    """The same as an Excel workbook."""
    inst = cbam_installation(
        store, principal=principal, installation=installation, enterprise_id=enterprise_id
    )
    return cbam.communication_xlsx(inst, lang=lang)
