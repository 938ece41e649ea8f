"""A caller's quota of open jobs (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lingtan.api import create_app
from lingtan.config import Settings
from lingtan.errors import TooBusy
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM, Permission, Principal, Role
from lingtan.jobs import service as jobs
from lingtan.jobs.runner import ABANDONED_AFTER_S, JobRunner
from lingtan.store import Store
from lingtan.store import schema as s
from lingtan.store.jobs_repo import JobsRepo
from lingtan.timeutil import SECOND_US, to_us, utcnow
from tests.api.world import PASSWORD, login


def _noop(store: Store, ctx: jobs.JobContext) -> jobs.JobOutput:
    return jobs.JobOutput(result={"ok": True})


@pytest.fixture(autouse=True)
def noop_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    kind = jobs.JobKind(
        name="noop",
        handler=_noop,
        permission=Permission.READ,
        validate=lambda store, principal, params: params,
    )
    monkeypatch.setitem(jobs._KINDS, "noop", kind)


def _who(name: str) -> Principal:
    return Principal(subject=name, role=Role.PARK_VIEWER, enterprise_id=None, user_id=None)


def _submit(store: Store, who: Principal, limit: int | None = 2) -> Any:
    return jobs.submit(store, principal=who, kind="noop", params={}, max_open=limit)


def test_a_caller_may_have_only_so_many_open_jobs(loaded: Store) -> None:
    alice, bob = _who("alice"), _who("bob")
    first, _ = _submit(loaded, alice), _submit(loaded, alice)
    with pytest.raises(TooBusy) as busy:
        _submit(loaded, alice)
    assert busy.value.retry_after_s > 0 and "2 of your jobs" in str(busy.value)
    _submit(loaded, bob)  # another caller has its own quota
    jobs.run_job(loaded, first.id)  # a finished job frees a place
    _submit(loaded, alice)
    with pytest.raises(TooBusy):
        _submit(loaded, alice)
    _submit(loaded, alice, limit=None)  # without a quota (command line, tests)


def _enterprise_ids(store: Store) -> dict[str, int]:
    return {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}


def test_an_enterprise_s_users_and_keys_share_one_quota(loaded: Store) -> None:
    """More keys give no more jobs: the quota of enterprise users is their enterprise's."""
    ids = _enterprise_ids(loaded)

    def member(name: str, code: str) -> Principal:
        return Principal(subject=name, role=Role.ENTERPRISE_VIEWER, enterprise_id=ids[code])

    _submit(loaded, member("e1-user", "E01"))
    _submit(loaded, member("key:e1-reader", "E01"))
    with pytest.raises(TooBusy, match="2 of your enterprise's jobs"):
        _submit(loaded, member("key:e1-another", "E01"))
    _submit(loaded, member("e2-user", "E02"))  # another enterprise has its own
    _submit(loaded, _who("park-user"))  # and a park-level caller too


def test_a_worker_takes_the_oldest_job_of_whoever_has_least_running(loaded: Store) -> None:
    """Fair turns: alice queued three jobs first and one of them runs; bob's job, queued
    after all of hers, is taken next, then alice's oldest waiting one."""
    alice, bob = _who("alice"), _who("bob")
    a1, a2, a3, b1 = (
        jobs.submit(loaded, principal=who, kind="noop", params={}, now=t)
        for t, who in enumerate((alice, alice, alice, bob), start=1)
    )
    repo = JobsRepo(loaded)
    assert repo.claim(a1.id, now=10) is not None  # one of alice's runs
    first = repo.claim_next(now=11)
    assert first is not None and first.id == b1.id
    second = repo.claim_next(now=12)  # both have one running now: the oldest queued
    assert second is not None and second.id == a2.id
    third = repo.claim_next(now=13)
    assert third is not None and third.id == a3.id
    assert repo.claim_next(now=14) is None


def test_every_queued_job_runs_through_the_runner(loaded: Store) -> None:
    alice, bob = _who("alice"), _who("bob")
    carol = _who("carol")
    queued = [_submit(loaded, who, limit=None) for who in (alice, alice, alice, bob, bob)]
    runner = JobRunner(loaded, workers=2)
    runner.start()  # picks up what is queued, one turn per job
    for i in range(15):  # and more while the workers take turns
        job = _submit(loaded, (alice, bob, carol)[i % 3], limit=None)
        queued.append(job)
        runner.enqueue(job.id)
    runner.stop()  # waits for every turn
    for job in queued:
        got = jobs.get_job(loaded, principal=SYSTEM, job_id=job.id)
        assert got.status == "done", (job.id, got.status)


def test_concurrent_submissions_do_not_overshoot_the_quota(loaded: Store) -> None:
    alice = _who("alice")

    def attempt(_: int) -> bool:
        try:
            _submit(loaded, alice, limit=3)
        except TooBusy:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    assert outcomes.count(True) == 3
    _, total = jobs.list_jobs(loaded, principal=alice, kind="noop", limit=100, offset=0)
    assert total == 3


def test_the_api_answers_429_with_retry_after_over_the_quota(loaded: Store) -> None:
    identity.create_user(
        loaded, actor=SYSTEM, username="admin", password=PASSWORD, role="park_admin"
    )
    settings = Settings(environment="test", database_url=loaded.url, max_open_jobs=1)
    # no workers: the first job stays queued
    with TestClient(create_app(settings, store=loaded, background=False)) as client:
        h = login(client, "admin")
        assert client.post("/api/v1/jobs/normalise", headers=h).status_code == 202
        r = client.post("/api/v1/jobs/normalise", headers=h)
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "too_many_requests" and int(r.headers["retry-after"]) > 0


def test_a_starting_worker_fails_only_jobs_whose_process_died(loaded: Store) -> None:
    """`serve --workers N`: a worker restarted alone leaves the jobs its siblings run alone;
    a job whose heartbeat stopped (its process died) is failed."""
    alice = _who("alice")
    live, dead = _submit(loaded, alice, limit=None), _submit(loaded, alice, limit=None)
    repo = JobsRepo(loaded)
    now = to_us(utcnow())
    assert repo.claim(live.id, now=now - SECOND_US) is not None  # a sibling's, beating
    silent = int((ABANDONED_AFTER_S + 5) * SECOND_US)
    assert repo.claim(dead.id, now=now - silent) is not None  # its process stopped beating
    runner = JobRunner(loaded, workers=1)
    runner.start()
    runner.stop()
    assert jobs.get_job(loaded, principal=SYSTEM, job_id=live.id).status == "running"
    failed = jobs.get_job(loaded, principal=SYSTEM, job_id=dead.id)
    assert failed.status == "failed" and "process running it stopped" in str(failed.error)


def test_a_running_job_keeps_beating(loaded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def slow(store: Store, ctx: jobs.JobContext) -> jobs.JobOutput:
        release.wait(30)
        return jobs.JobOutput(result={"ok": True})

    monkeypatch.setitem(
        jobs._KINDS,
        "slow",
        jobs.JobKind(
            name="slow", handler=slow, permission=Permission.READ, validate=lambda s, p, q: q
        ),
    )
    job = jobs.submit(loaded, principal=_who("alice"), kind="slow", params={})
    runner = JobRunner(loaded, workers=1, heartbeat_s=0.05)
    runner.start()
    try:

        def beats() -> tuple[int | None, int | None]:
            with loaded.begin() as conn:
                row = conn.execute(
                    select(s.job.c.started_at, s.job.c.heartbeat_at).where(s.job.c.id == job.id)
                ).one()
            return row.started_at, row.heartbeat_at

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            started, beat = beats()
            if started is not None and beat is not None and beat > started:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the running job's heartbeat was never renewed")
    finally:
        release.set()
        runner.stop()
    assert jobs.get_job(loaded, principal=SYSTEM, job_id=job.id).status == "done"
