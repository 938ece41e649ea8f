"""Stored project admission checks (appended with their inputs for audit, never edited);
read back by park."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from lingtan.errors import NotFound
from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store


@dataclass(frozen=True, slots=True)
class AdmissionRecord:
    """One stored admission check."""

    id: int
    park_id: int
    project_name: str
    year: int
    verdict: str
    inputs: dict[str, Any]
    report: dict[str, Any]
    created_by: str
    created_at: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "id": self.id,
            "project_name": self.project_name,
            "year": self.year,
            "verdict": self.verdict,
            "inputs": self.inputs,
            "report": self.report,
            "created_by": self.created_by,
            "created_at": self.created_at,
        }


def _row(r: Any) -> AdmissionRecord:
    return AdmissionRecord(
        id=int(r.id), park_id=int(r.park_id), project_name=r.project_name, year=int(r.year),
        verdict=r.verdict, inputs=json.loads(r.inputs), report=json.loads(r.report),
        created_by=r.created_by, created_at=int(r.created_at),
    )  # fmt: skip


class ComplianceRepo:
    """Admission checks of a park."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add_admission(
        self,
        *,
        park_id: int,
        project_name: str,
        year: int,
        verdict: str,
        inputs: dict[str, Any],
        report: dict[str, Any],
        created_by: str,
        created_at: int,
    ) -> int:
        """Append a check; its id."""
        t = s.admission_check
        values = {
            "park_id": park_id, "project_name": project_name, "year": year, "verdict": verdict,
            "inputs": json.dumps(inputs, ensure_ascii=False, default=str),
            "report": json.dumps(report, ensure_ascii=False, default=str),
            "created_by": created_by, "created_at": created_at,
        }  # fmt: skip
        with self._store.begin() as conn:
            return int(conn.execute(insert(t).values(**values).returning(t.c.id)).scalar_one())

    def admissions(self, *, park_id: int) -> list[AdmissionRecord]:
        """The park's checks, newest first."""
        t = s.admission_check
        q = select(t).where(t.c.park_id == park_id).order_by(t.c.id.desc())
        with self._store.begin() as conn:
            return [_row(r) for r in conn.execute(q)]

    def admission(self, *, park_id: int, check_id: int) -> AdmissionRecord:
        """One check of the park (NotFound otherwise)."""
        t = s.admission_check
        q = select(t).where(t.c.id == check_id, t.c.park_id == park_id)
        with self._store.begin() as conn:
            row = conn.execute(q).one_or_none()
        if row is None:
            raise NotFound("admission check not found")
        return _row(row)
