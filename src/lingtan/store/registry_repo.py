"""Park, enterprises, sites and points: idempotent load from a park model, cached lookups."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.store import schema as s
from lingtan.store.records import (
    EnterpriseRecord,
    ParkRecord,
    PointRecord,
    SaveReport,
    SiteRecord,
)
from lingtan.timeutil import to_us, utcnow

#: the ``source`` of a PV plant declared in the park file (``points[].pv_plant``)
PARK_FILE_SOURCE = "park file"
#: the declared parameters of a PV plant, as the park file and ``pv_plant`` name them
PV_PLANT_FIELDS = (
    "kwp",
    "tilt_deg",
    "azimuth_deg",
    "losses_pct",
    "temp_coeff_pct",
    "latitude",
    "longitude",
    "altitude_m",
)

if TYPE_CHECKING:
    from lingtan.registry.model import ParkModel
    from lingtan.store.core import Store

#: point attributes whose change alters statistics already computed
_RENORMALISE = ("kind", "unit", "multiplier", "register_max", "max_rate", "interval_s", "formula")


def _point_record(row: Any) -> PointRecord:
    return PointRecord(
        id=row.id,
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        site_id=row.site_id,
        code=row.code,
        name=row.name,
        carrier=row.carrier,
        kind=row.kind,
        unit=row.unit,
        level=row.level,
        parent_id=row.parent_id,
        multiplier=row.multiplier,
        register_max=row.register_max,
        max_rate=row.max_rate,
        interval_s=row.interval_s,
        formula=row.formula,
        boundary=bool(row.boundary),
        tags=tuple(json.loads(row.tags)) if row.tags else (),
        generation_point=row.generation_point,
    )


def _site_record(r: Any) -> SiteRecord:
    return SiteRecord(
        r.id, r.park_id, r.enterprise_id, r.code, r.name, r.floor_area_m2, r.use,
        r.energy_label, r.energy_label_certificate, r.energy_label_date,
        r.green_building_star, r.green_building_certificate, r.green_building_date,
    )  # fmt: skip


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _only(parks: list[ParkRecord]) -> ParkRecord:
    if not parks:
        raise NotFound("no park loaded; run `lingtan init --park park.yaml`")
    if len(parks) > 1:
        codes = ", ".join(p.code for p in parks)
        raise InvalidInput(
            f"this store holds several parks ({codes}); name one: --park CODE or "
            "LINGTAN_PARK=CODE on the command line, ?park=CODE in the API",
            field="park",
        )
    return parks[0]


class RegistryRepo:
    """Repository of the park model."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._points_by_code: dict[str, PointRecord] | None = None
        self._fingerprint: tuple[Any, ...] | None = None

    # -- load -------------------------------------------------------------------------------
    def save_park(self, model: ParkModel, *, actor: str = "system") -> SaveReport:
        """Create or update everything ``model`` declares; loading twice changes nothing.

        The park, enterprises, sites and points only: meter replacements the model declares
        are recorded by :func:`lingtan.registry.replacements.load_park`, which checks them
        against the readings."""
        with self._store.begin() as conn:
            report = self.save_park_in(conn, model, actor=actor)
        self.invalidate()
        return report

    def invalidate(self) -> None:
        """Forget the cached points (after a transaction that changed them committed)."""
        self._points_by_code = None
        self._fingerprint = None

    def save_park_in(
        self, conn: Connection, model: ParkModel, *, actor: str = "system"
    ) -> SaveReport:
        """:meth:`save_park` inside the caller's transaction."""
        report = SaveReport()
        now = to_us(utcnow())
        park_id = self._save_park_row(conn, model, report, now, actor)
        report.park_id = park_id
        enterprise_ids = self._save_enterprises(conn, model, park_id, report, now, actor)
        site_ids = self._save_sites(conn, model, park_id, enterprise_ids, report, now, actor)
        self._save_points(conn, model, park_id, enterprise_ids, site_ids, report, now, actor)
        self.invalidate()
        return report

    def _upsert(
        self,
        conn: Connection,
        table: Any,
        existing: Any | None,
        values: dict[str, Any],
        *,
        entity: str,
        code: str,
        enterprise_id: int | None,
        report: SaveReport,
        now: int,
        actor: str,
    ) -> int:
        if existing is None:
            new_id = conn.execute(
                insert(table).values(**values, updated_at=now).returning(table.c.id)
            ).scalar_one()
            report.count(report.created, entity)
            self._store.audit.append(
                conn,
                at=now,
                actor=actor,
                action="create",
                entity=entity,
                entity_id=code,
                enterprise_id=enterprise_id,
                before=None,
                after=values,
            )
            return int(new_id)
        before = {k: getattr(existing, k) for k in values}
        if before == values:
            report.count(report.unchanged, entity)
            return int(existing.id)
        conn.execute(
            update(table).where(table.c.id == existing.id).values(**values, updated_at=now)
        )
        report.count(report.updated, entity)
        self._store.audit.append(
            conn,
            at=now,
            actor=actor,
            action="update",
            entity=entity,
            entity_id=code,
            enterprise_id=enterprise_id,
            before=before,
            after=values,
        )
        return int(existing.id)

    def _save_park_row(
        self, conn: Connection, model: ParkModel, report: SaveReport, now: int, actor: str
    ) -> int:
        info = model.park
        existing = conn.execute(select(s.park).where(s.park.c.code == info.id)).first()
        values = {
            "code": info.id,
            "name": info.name,
            "province": info.province,
            "timezone": info.timezone,
        }
        return self._upsert(
            conn,
            s.park,
            existing,
            values,
            entity="park",
            code=info.id,
            enterprise_id=None,
            report=report,
            now=now,
            actor=actor,
        )

    def _save_enterprises(
        self,
        conn: Connection,
        model: ParkModel,
        park_id: int,
        report: SaveReport,
        now: int,
        actor: str,
    ) -> dict[str, int]:
        rows = conn.execute(select(s.enterprise).where(s.enterprise.c.park_id == park_id)).all()
        existing = {r.code: r for r in rows}
        ids: dict[str, int] = {}
        for e in model.enterprises:
            values = {
                "park_id": park_id,
                "code": e.id,
                "name": e.name,
                "uscc": e.uscc,
                "industry": e.industry,
            }
            row = existing.get(e.id)
            ids[e.id] = self._upsert(
                conn,
                s.enterprise,
                row,
                values,
                entity="enterprise",
                code=e.id,
                enterprise_id=None if row is None else row.id,
                report=report,
                now=now,
                actor=actor,
            )
        return ids

    def _save_sites(
        self,
        conn: Connection,
        model: ParkModel,
        park_id: int,
        enterprise_ids: dict[str, int],
        report: SaveReport,
        now: int,
        actor: str,
    ) -> dict[str, int]:
        rows = conn.execute(select(s.site).where(s.site.c.park_id == park_id)).all()
        existing = {r.code: r for r in rows}
        ids: dict[str, int] = {}
        for site in model.sites:
            eid = enterprise_ids[site.enterprise] if site.enterprise else None
            values = {
                "park_id": park_id,
                "enterprise_id": eid,
                "code": site.id,
                "name": site.name,
                "floor_area_m2": site.floor_area_m2,
                "use": site.use,
                "energy_label": site.energy_label,
                "energy_label_certificate": site.energy_label_certificate,
                "energy_label_date": _iso(site.energy_label_date),
                "green_building_star": site.green_building_star,
                "green_building_certificate": site.green_building_certificate,
                "green_building_date": _iso(site.green_building_date),
            }
            ids[site.id] = self._upsert(
                conn,
                s.site,
                existing.get(site.id),
                values,
                entity="site",
                code=site.id,
                enterprise_id=eid,
                report=report,
                now=now,
                actor=actor,
            )
        return ids

    def _save_points(
        self,
        conn: Connection,
        model: ParkModel,
        park_id: int,
        enterprise_ids: dict[str, int],
        site_ids: dict[str, int],
        report: SaveReport,
        now: int,
        actor: str,
    ) -> None:
        rows = conn.execute(select(s.point)).all()
        existing = {r.code: r for r in rows}
        declared = {p.id for p in model.points}
        for code, old in existing.items():
            if old.park_id == park_id and code not in declared:
                report.retained.append(code)
        # parents are resolved after every point has an id
        ids = {code: old.id for code, old in existing.items()}
        pending_parent: list[tuple[str, str | None]] = []
        for p in model.points:
            row = existing.get(p.id)
            if row is not None and row.park_id != park_id:
                raise Conflict(f"point id {p.id!r} already belongs to another park")
            eid = enterprise_ids[p.enterprise] if p.enterprise else None
            values = {
                "park_id": park_id,
                "enterprise_id": eid,
                "site_id": site_ids[p.site] if p.site else None,
                "code": p.id,
                "name": p.name or p.id,
                "carrier": p.carrier.value,
                "kind": p.kind.value,
                "unit": p.unit,
                "level": int(p.level) if p.level is not None else None,
                "parent_id": row.parent_id if row is not None else None,
                "multiplier": p.multiplier,
                "register_max": p.register_max,
                "max_rate": p.max_rate,
                "interval_s": p.interval_s,
                "formula": p.formula,
                "boundary": p.is_boundary,
                "tags": json.dumps(sorted(set(p.tags))) if p.tags else None,
                "generation_point": p.generation_point,
            }
            if row is not None and any(getattr(row, k) != values[k] for k in _RENORMALISE):
                report.renormalise.append(p.id)
            ids[p.id] = self._upsert(
                conn,
                s.point,
                row,
                values,
                entity="point",
                code=p.id,
                enterprise_id=eid,
                report=report,
                now=now,
                actor=actor,
            )
            pending_parent.append((p.id, p.parent))
        for code, parent in pending_parent:
            parent_id = ids[parent] if parent else None
            stored = existing.get(code)
            if stored is None or stored.parent_id != parent_id:
                conn.execute(
                    update(s.point).where(s.point.c.id == ids[code]).values(parent_id=parent_id)
                )
        if report.renormalise:
            self._store.stats.mark_full_range_dirty(
                conn, [ids[c] for c in report.renormalise], now=now
            )
        self._save_pv_plants(conn, model, ids, enterprise_ids, now, actor)

    def _save_pv_plants(
        self,
        conn: Connection,
        model: ParkModel,
        ids: dict[str, int],
        enterprise_ids: dict[str, int],
        now: int,
        actor: str,
    ) -> None:
        """The PV plants the park file declares under its points (``pv_plant``), stored as
        the forecast reads them with the source ``park file``; a plant the file no longer
        declares is removed when it came from the file (one declared over the API stays)."""
        t = s.pv_plant
        fields = (*PV_PLANT_FIELDS, "enterprise_id")
        stored = {int(r.point_id): r for r in conn.execute(select(t))}
        for p in model.points:
            pid = ids[p.id]
            old = stored.get(pid)
            eid = enterprise_ids[p.enterprise] if p.enterprise else None
            if p.pv_plant is None:
                if old is not None and old.source == PARK_FILE_SOURCE:
                    conn.execute(delete(t).where(t.c.point_id == pid))
                    self._store.audit.append(
                        conn, at=now, actor=actor, action="delete", entity="pv_plant",
                        entity_id=p.id, enterprise_id=eid,
                        before={f: getattr(old, f) for f in fields}, after=None,
                    )  # fmt: skip
                continue
            values = {
                **{f: getattr(p.pv_plant, f) for f in PV_PLANT_FIELDS},
                "enterprise_id": eid,
            }
            if (
                old is not None
                and old.source == PARK_FILE_SOURCE
                and all(getattr(old, f) == values[f] for f in fields)
            ):
                continue
            if old is not None:
                conn.execute(delete(t).where(t.c.point_id == pid))
            conn.execute(
                insert(t).values(point_id=pid, **values, source=PARK_FILE_SOURCE, updated_at=now)
            )
            self._store.audit.append(
                conn, at=now, actor=actor, action="create" if old is None else "update",
                entity="pv_plant", entity_id=p.id, enterprise_id=eid,
                before=None if old is None else {f: getattr(old, f) for f in fields},
                after=values,
            )  # fmt: skip

    # -- lookups ----------------------------------------------------------------------------
    def points_by_code(self, *, refresh: bool = False) -> dict[str, PointRecord]:
        """Every point keyed by its code (cached; ``refresh`` re-reads)."""
        if self._points_by_code is None or refresh:
            with self._store.begin() as conn:
                fingerprint = self._point_fingerprint(conn)
                rows = conn.execute(select(s.point)).all()
            self._points_by_code = {r.code: _point_record(r) for r in rows}
            self._fingerprint = fingerprint
        return self._points_by_code

    def points_current(self) -> dict[str, PointRecord]:
        """:meth:`points_by_code` re-read only when the points changed since they were read,
        here or in another process (the normaliser and the ingest of unknown codes run once a
        batch: re-reading 100k points each time cost more than the batch)."""
        if self._points_by_code is not None and self._fingerprint is not None:
            with self._store.begin() as conn:
                if self._point_fingerprint(conn) == self._fingerprint:
                    return self._points_by_code
        return self.points_by_code(refresh=True)

    @staticmethod
    def _point_fingerprint(conn: Connection) -> tuple[Any, ...]:
        """What changes with every write to ``point``: points are never deleted, a new one
        raises the count and the largest id, every attribute update sets ``updated_at`` to
        the time of the change; parents are set apart from it, hence their sum."""
        p = s.point.c
        row = conn.execute(
            select(
                func.count(),
                func.max(p.id),
                func.max(p.updated_at),
                func.sum(p.parent_id),
                func.sum(p.enterprise_id),
            )
        ).one()
        return tuple(row)

    def points_in(self, conn: Connection) -> dict[str, PointRecord]:
        """Every point keyed by its code, read in the caller's transaction (not cached)."""
        return {r.code: _point_record(r) for r in conn.execute(select(s.point)).all()}

    def points_by_id(self, *, refresh: bool = False) -> dict[int, PointRecord]:
        """Every point keyed by its id."""
        return {p.id: p for p in self.points_by_code(refresh=refresh).values()}

    def points_by_id_current(self) -> dict[int, PointRecord]:
        """Every point keyed by its id, re-read when changed (:meth:`points_current`)."""
        return {p.id: p for p in self.points_current().values()}

    def parks(self) -> list[ParkRecord]:
        """Every park."""
        with self._store.begin() as conn:
            rows = conn.execute(select(s.park).order_by(s.park.c.id)).all()
        return [ParkRecord(r.id, r.code, r.name, r.province, r.timezone) for r in rows]

    def park(self, park_id: int | None = None) -> ParkRecord:
        """One park (the only one when ``park_id`` is None); ``NotFound`` otherwise."""
        parks = self.parks()
        if park_id is None:
            return _only(parks)
        for p in parks:
            if p.id == park_id:
                return p
        raise NotFound(f"park {park_id} not found")

    def park_by_code(self, code: str | None) -> ParkRecord:
        """The park with ``code`` (the only one when ``code`` is None); ``NotFound`` naming the
        parks that exist otherwise."""
        parks = self.parks()
        if code is None:
            return _only(parks)
        for p in parks:
            if p.code == code:
                return p
        known = ", ".join(p.code for p in parks) or "none"
        raise NotFound(f"no park {code!r} in this store (parks: {known})")

    def enterprises(self, park_id: int) -> list[EnterpriseRecord]:
        """Enterprises of a park, in id order."""
        with self._store.begin() as conn:
            rows = conn.execute(
                select(s.enterprise)
                .where(s.enterprise.c.park_id == park_id)
                .order_by(s.enterprise.c.id)
            ).all()
        return [EnterpriseRecord(r.id, r.park_id, r.code, r.name, r.uscc, r.industry) for r in rows]

    def sites(self, park_id: int) -> list[SiteRecord]:
        """Sites and buildings of a park, in id order."""
        with self._store.begin() as conn:
            rows = conn.execute(
                select(s.site).where(s.site.c.park_id == park_id).order_by(s.site.c.id)
            ).all()
        return [_site_record(r) for r in rows]

    def count_points(self) -> int:
        """Number of points in the store."""
        with self._store.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(s.point)).scalar_one())
