"""A caller's quota of open jobs (SQLite and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lingtan.api import create_app
from lingtan.config import Settings
from lingtan.errors import TooBusy
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM, Permission, Principal, Role
from lingtan.jobs import service as jobs
from lingtan.store import Store
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
