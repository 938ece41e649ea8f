"""Submitting, reading and running jobs.

A job kind names a handler, the permission needed to submit it and a validator of its
parameters. A job runs in the scope (tenant) of the caller who submitted it, and only callers
of that scope — or park-wide ones — can read it or download what it produced.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lingtan.errors import InvalidInput, LingtanError, NotFound, TooBusy
from lingtan.identity.roles import Permission, Principal, require
from lingtan.store import Store
from lingtan.store.core import LOCK_JOBS
from lingtan.store.jobs_repo import JobFile, JobRow, JobsRepo
from lingtan.store.query_repo import Tenant
from lingtan.timeutil import to_us, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler knows about the job it runs."""

    job_id: str
    params: dict[str, Any]
    tenant: Tenant
    actor: str


@dataclass(frozen=True, slots=True)
class JobOutput:
    """What a handler returns: a JSON-able result and optionally a file."""

    result: Any = None
    file: JobFile | None = None


@dataclass(frozen=True, slots=True)
class JobKind:
    """A kind of job."""

    name: str
    handler: Callable[[Store, JobContext], JobOutput]
    permission: Permission
    #: checks and normalises parameters at submission, in the caller's scope
    validate: Callable[[Store, Principal, dict[str, Any]], dict[str, Any]]
    #: park-wide callers only
    park_wide_only: bool = False
    description: str = ""
    #: the webhook topic a finished job is announced on (``report``, ``accounting``; None:
    #: not announced) — lingtan.exchange.events
    topic: str | None = None


_KINDS: dict[str, JobKind] = {}
#: what a caller over its quota is told to wait before trying again [s] (a report or a
#: year's recomputation of the demo park takes seconds to a minute)
RETRY_AFTER_S = 30


def register_kind(kind: JobKind) -> None:
    """Make a job kind available (a later registration of the same name replaces it)."""
    _KINDS[kind.name] = kind


def kinds() -> dict[str, JobKind]:
    """Every registered job kind by name."""
    return dict(_KINDS)


def _now(now: int | None) -> int:
    return now if now is not None else to_us(utcnow())


def submit(
    store: Store,
    *,
    principal: Principal,
    kind: str,
    params: dict[str, Any],
    max_open: int | None = None,
    now: int | None = None,
) -> JobRow:
    """Queue a job of ``kind`` in the caller's scope; returns it (status ``queued``).

    With ``max_open``, a caller whose quota already has that many jobs queued or running is
    refused (:class:`TooBusy`). The quota is an enterprise's for enterprise users and keys
    (all of them together: more keys give no more jobs) and a park-level caller's own.
    """
    spec = _KINDS.get(kind)
    if spec is None:
        raise InvalidInput(
            f"unknown job kind {kind!r}; one of {', '.join(sorted(_KINDS))}", field="kind"
        )
    require(principal, spec.permission)
    if spec.park_wide_only and principal.enterprise_id is not None:
        raise NotFound("job kind not available")
    clean = spec.validate(store, principal, dict(params))
    if principal.park_id is not None:
        clean["park_id"] = principal.park_id  # the park the caller acts in (identity.parks)
    t = _now(now)
    job_id = str(uuid.uuid4())
    repo = JobsRepo(store)
    with store.begin() as conn:
        if max_open is not None:
            # counted and inserted under one lock: concurrent submissions cannot overshoot
            store.serialise(conn, LOCK_JOBS)
            open_jobs = repo.count_open(
                conn, created_by=principal.actor, enterprise_id=principal.enterprise_id
            )
            if open_jobs >= max_open:
                whose = "your enterprise's" if principal.enterprise_id is not None else "your"
                raise TooBusy(
                    f"{max_open} of {whose} jobs are queued or running; "
                    "submit more when one has finished",
                    retry_after_s=RETRY_AFTER_S,
                )
        repo.insert(
            conn,
            job_id=job_id,
            kind=kind,
            params=clean,
            created_by=principal.actor,
            enterprise_id=principal.enterprise_id,
            now=t,
        )
        store.audit.append(
            conn,
            at=t,
            actor=principal.actor,
            action="submit",
            entity="job",
            entity_id=job_id,
            enterprise_id=principal.enterprise_id,
            after={"kind": kind, "params": clean},
        )
    job = repo.get(tenant=principal.tenant, job_id=job_id)
    assert job is not None
    return job


def get_job(store: Store, *, principal: Principal, job_id: str) -> JobRow:
    """One job in the caller's scope."""
    require(principal, Permission.READ)
    job = JobsRepo(store).get(tenant=principal.tenant, job_id=job_id)
    if job is None:
        raise NotFound("job not found")
    return job


def list_jobs(
    store: Store, *, principal: Principal, kind: str | None, limit: int, offset: int
) -> tuple[list[JobRow], int]:
    """Jobs in the caller's scope, newest first."""
    require(principal, Permission.READ)
    return JobsRepo(store).list(tenant=principal.tenant, kind=kind, limit=limit, offset=offset)


def job_file(store: Store, *, principal: Principal, job_id: str) -> JobFile:
    """The file a finished job produced, in the caller's scope."""
    require(principal, Permission.READ)
    f = JobsRepo(store).file(tenant=principal.tenant, job_id=job_id)
    if f is None:
        raise NotFound("no file for this job")
    return f


def run_job(store: Store, job_id: str, *, now: Callable[[], int] | None = None) -> JobRow | None:
    """Run one queued job to its end (done or failed); None if it was not queued."""
    clock = now or (lambda: to_us(utcnow()))
    job = JobsRepo(store).claim(job_id, now=clock())
    return None if job is None else execute_claimed(store, job, now=clock)


def execute_claimed(
    store: Store, job: JobRow, *, now: Callable[[], int] | None = None
) -> JobRow | None:
    """Run a job this process has claimed (``JobsRepo.claim``) and record its outcome."""
    clock = now or (lambda: to_us(utcnow()))
    repo = JobsRepo(store)
    spec = _KINDS.get(job.kind)
    ctx = JobContext(job.id, job.params, Tenant(job.enterprise_id), job.created_by)
    try:
        if spec is None:
            raise InvalidInput(f"job kind {job.kind!r} is not available in this process")
        out = spec.handler(store, ctx)
    except LingtanError as err:
        repo.finish(job.id, now=clock(), error=f"{err.code}: {err}")
    except Exception as err:
        log.error("job %s (%s) failed:\n%s", job.id, job.kind, traceback.format_exc())
        repo.finish(job.id, now=clock(), error=f"internal error: {type(err).__name__}")
    else:
        repo.finish(job.id, now=clock(), result=out.result, file=out.file)
        if spec is not None and spec.topic is not None:
            _announce(store, job, spec.topic, out.result)
    return repo.get(tenant=Tenant.park_wide(), job_id=job.id)


def _announce(store: Store, job: JobRow, topic: str, result: Any) -> None:
    """Queue the webhook event of a finished job (``report.ready``, ``accounting.ready``); a
    failure to queue is logged, never turned into a failed job."""
    from lingtan.exchange.events import publish  # the exchange builds on jobs: no cycle

    try:
        park_id = job.params.get("park_id") or store.registry.park().id
        publish(
            store,
            park_id=int(park_id),
            enterprise_id=job.enterprise_id,
            topic=topic,
            event=f"{topic}.ready",
            key=f"job-{job.id}",
            data={"job_id": job.id, "kind": job.kind, "params": job.params, "result": result},
        )
    except Exception:
        log.exception("job %s: the %s event could not be queued", job.id, topic)
