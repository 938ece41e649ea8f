"""Background jobs: queued work (reports, recomputation) whose status callers poll.

A job carries the scope it was submitted in (``enterprise_id``; NULL = park-wide) and who
submitted it; every read names the scope, so an enterprise never sees another's jobs.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, literal, or_, select, update
from sqlalchemy.sql.expression import FromClause

from lingtan.store import schema as s

if TYPE_CHECKING:
    from lingtan.store.core import Store
    from lingtan.store.query_repo import Tenant


@dataclass(frozen=True, slots=True)
class JobRow:
    """A stored job."""

    id: str
    kind: str
    status: str
    params: dict[str, Any]
    result: Any
    error: str | None
    created_by: str
    enterprise_id: int | None
    created_at: int
    started_at: int | None
    finished_at: int | None
    has_file: bool


@dataclass(frozen=True, slots=True)
class JobFile:
    """The bytes a job produced."""

    filename: str
    media_type: str
    content: bytes


def _job(r: Any, has_file: bool) -> JobRow:
    return JobRow(
        id=r.id,
        kind=r.kind,
        status=r.status,
        params=json.loads(r.params),
        result=None if r.result is None else json.loads(r.result),
        error=r.error,
        created_by=r.created_by,
        enterprise_id=r.enterprise_id,
        created_at=int(r.created_at),
        started_at=r.started_at,
        finished_at=r.finished_at,
        has_file=has_file,
    )


def _owned_by(
    jobs: FromClause, enterprise_id: ColumnElement[Any], created_by: ColumnElement[Any]
) -> ColumnElement[bool]:
    """Rows of ``jobs`` belonging to the owner (enterprise_id, created_by) of a quota: the
    enterprise when there is one (all its users and keys), else the park-level caller."""
    return or_(
        and_(enterprise_id.is_not(None), jobs.c.enterprise_id == enterprise_id),
        and_(
            enterprise_id.is_(None),
            jobs.c.enterprise_id.is_(None),
            jobs.c.created_by == created_by,
        ),
    )


class JobsRepo:
    """Repository of background jobs and their files."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _scoped(self, q: Any, tenant: Tenant) -> Any:
        if tenant.enterprise_id is not None:
            q = q.where(s.job.c.enterprise_id == tenant.enterprise_id)
        return q

    def insert(
        self,
        conn: Connection,
        *,
        job_id: str,
        kind: str,
        params: dict[str, Any],
        created_by: str,
        enterprise_id: int | None,
        now: int,
    ) -> None:
        """Queue a job."""
        conn.execute(
            insert(s.job).values(
                id=job_id,
                kind=kind,
                status="queued",
                params=json.dumps(params, ensure_ascii=False, sort_keys=True),
                created_by=created_by,
                enterprise_id=enterprise_id,
                created_at=now,
            )
        )

    def count_open(self, conn: Connection, *, created_by: str, enterprise_id: int | None) -> int:
        """Jobs still queued or running of one quota: an enterprise's (all its users and keys
        together), or a park-level caller's own."""
        j = s.job
        owner = _owned_by(j, literal(enterprise_id, j.c.enterprise_id.type), literal(created_by))
        return int(
            conn.execute(
                select(func.count())
                .select_from(j)
                .where(owner, j.c.status.in_(("queued", "running")))
            ).scalar_one()
        )

    def claim_next(self, *, now: int, among: Collection[str] | None = None) -> JobRow | None:
        """Mark the fairest queued job (of those ``among``, when given) running; None when
        none is queued.

        Fairest: the oldest job of the owner (an enterprise, or a park-level user or key, as
        in :meth:`count_open`) with the fewest jobs running, so that one owner's queue does
        not hold back everyone who asked after it.
        """
        if among is not None and not among:
            return None
        q, r = s.job.alias("q"), s.job.alias("r")
        running = (
            select(func.count())
            .select_from(r)
            .where(r.c.status == "running", _owned_by(r, q.c.enterprise_id, q.c.created_by))
            .scalar_subquery()
        )
        pick = (
            select(q.c.id)
            .where(q.c.status == "queued", *([q.c.id.in_(list(among))] if among else []))
            .order_by(running, q.c.created_at, q.c.id)
            .limit(1)
        )
        while True:  # a worker of another process may claim the same job first: pick again
            with self._store.begin() as conn:
                job_id = conn.execute(pick).scalar()
            if job_id is None:
                return None
            job = self.claim(job_id, now=now)
            if job is not None:
                return job

    def claim(self, job_id: str, *, now: int) -> JobRow | None:
        """Mark a queued job running; None if another worker took it (or it is gone)."""
        with self._store.begin() as conn:
            done = conn.execute(
                update(s.job)
                .where(s.job.c.id == job_id, s.job.c.status == "queued")
                .values(status="running", started_at=now, heartbeat_at=now)
            )
            if done.rowcount != 1:
                return None
            row = conn.execute(select(s.job).where(s.job.c.id == job_id)).one()
            return _job(row, False)

    def finish(
        self,
        job_id: str,
        *,
        now: int,
        result: Any = None,
        error: str | None = None,
        file: JobFile | None = None,
    ) -> None:
        """Record the outcome of a running job (and the file it produced)."""
        with self._store.begin() as conn:
            if file is not None:
                conn.execute(
                    insert(s.job_file).values(
                        job_id=job_id,
                        filename=file.filename,
                        media_type=file.media_type,
                        content=file.content,
                        created_at=now,
                    )
                )
            conn.execute(
                update(s.job)
                .where(s.job.c.id == job_id)
                .values(
                    status="failed" if error is not None else "done",
                    result=None if result is None else json.dumps(result, ensure_ascii=False),
                    error=error,
                    finished_at=now,
                )
            )

    def beat(self, job_ids: Collection[str], *, now: int) -> None:
        """Renew the heartbeat of jobs this process is running."""
        if job_ids:
            with self._store.begin() as conn:
                conn.execute(
                    update(s.job)
                    .where(s.job.c.id.in_(list(job_ids)), s.job.c.status == "running")
                    .values(heartbeat_at=now)
                )

    def fail_abandoned(self, *, now: int, silent_since: int, reason: str) -> int:
        """Fail running jobs whose heartbeat stopped before ``silent_since`` (their process
        died); returns how many. Jobs a live process runs keep beating and are left alone."""
        j = s.job
        with self._store.begin() as conn:
            done = conn.execute(
                update(j)
                .where(
                    j.c.status == "running",
                    or_(j.c.heartbeat_at.is_(None), j.c.heartbeat_at < silent_since),
                )
                .values(status="failed", error=reason, finished_at=now)
            )
            return int(done.rowcount)

    def queued_ids(self) -> list[str]:
        """Ids of queued jobs, oldest first."""
        with self._store.begin() as conn:
            rows = conn.execute(
                select(s.job.c.id).where(s.job.c.status == "queued").order_by(s.job.c.created_at)
            ).all()
        return [r.id for r in rows]

    def get(self, *, tenant: Tenant, job_id: str) -> JobRow | None:
        """One job if it exists inside the tenant's scope."""
        q = self._scoped(select(s.job).where(s.job.c.id == job_id), tenant)
        with self._store.begin() as conn:
            row = conn.execute(q).first()
            if row is None:
                return None
            has_file = (
                conn.execute(
                    select(func.count())
                    .select_from(s.job_file)
                    .where(s.job_file.c.job_id == job_id)
                ).scalar_one()
                > 0
            )
        return _job(row, bool(has_file))

    def list(
        self, *, tenant: Tenant, kind: str | None, limit: int, offset: int
    ) -> tuple[list[JobRow], int]:
        """Jobs in the tenant's scope, newest first."""
        q = self._scoped(select(s.job), tenant)
        c = self._scoped(select(func.count()).select_from(s.job), tenant)
        if kind is not None:
            q = q.where(s.job.c.kind == kind)
            c = c.where(s.job.c.kind == kind)
        with self._store.begin() as conn:
            rows = conn.execute(
                q.order_by(s.job.c.created_at.desc(), s.job.c.id).limit(limit).offset(offset)
            ).all()
            total = int(conn.execute(c).scalar_one())
            ids = [r.id for r in rows]
            with_file = (
                {
                    r.job_id
                    for r in conn.execute(
                        select(s.job_file.c.job_id).where(s.job_file.c.job_id.in_(ids))
                    ).all()
                }
                if ids
                else set()
            )
        return [_job(r, r.id in with_file) for r in rows], total

    def file(self, *, tenant: Tenant, job_id: str) -> JobFile | None:
        """The file of a job inside the tenant's scope."""
        q = select(s.job_file).join(s.job, s.job.c.id == s.job_file.c.job_id)
        q = self._scoped(q.where(s.job_file.c.job_id == job_id), tenant)
        with self._store.begin() as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        return JobFile(row.filename, row.media_type, bytes(row.content))
