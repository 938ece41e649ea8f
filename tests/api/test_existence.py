"""Existence oracles, generated from the OpenAPI schema: a caller of enterprise A cannot tell
whether a resource of enterprise B (or of the park itself) exists.

Every operation is called twice in the same way — once naming B's resource (path parameter,
resource query parameter, or an id in the body) and once naming an identifier of the same shape
that names nothing — and the two answers must be the same: status, media type and the whole
body (problem ``type``, ``title``, ``detail``, ``code``, ``field``). Only fields that belong to
the request itself could differ; the API returns none (a problem carries no ``instance``), so
the bodies are compared as they are, and a message that repeats the id asked for fails too
("a message that names nothing", docs/api.md).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.api.walk import (
    FIXED_PATH,
    Call,
    missing_ids,
    operations,
    park_ids,
    single_query_calls,
    walk,
)
from tests.api.world import World, certificate_csv

#: callers of A: its admin (who may write, so writes get past the permission check), its viewer
#: and a read key
CALLERS = ["a_admin", "a_viewer", "a_read_key"]
#: fields of an answer that may differ because they describe the request (RFC 9457 instance)
REQUEST_FIELDS = {"instance"}


def _answer(r: httpx.Response) -> tuple[int, str, Any]:
    """What a caller learns from a response, less the fields that describe the request."""
    media = r.headers.get("content-type", "").split(";")[0]
    body: Any = r.text
    if media.endswith("json"):
        body = r.json()
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k not in REQUEST_FIELDS}
    return r.status_code, media, body


def _pairs(w: World, ids: dict[str, Any]) -> list[tuple[Call, Call]]:
    """The walk aimed at ``ids`` beside the same walk aimed at identifiers that name nothing:
    every operation with all its resource parameters, then each resource query parameter
    alone."""
    missing = missing_ids(w)
    pairs = list(zip(walk(w, ids), walk(w, missing), strict=True))
    pairs += zip(single_query_calls(w, ids), single_query_calls(w, missing), strict=True)
    return [(a, m) for a, m in pairs if a.aimed and (a.url, a.kwargs) != (m.url, m.kwargs)]


def _compare(w: World, caller: str, pairs: list[tuple[Call, Call]]) -> list[str]:
    differences = []
    for aimed, missing in pairs:
        ra = aimed.send(w, w.h(caller))
        rm = missing.send(w, w.h(caller))
        if _answer(ra) != _answer(rm):
            differences.append(
                f"{aimed.where(caller)}: {ra.status_code} {ra.text[:200]}\n"
                f"  vs {missing.where(caller)}: {rm.status_code} {rm.text[:200]}"
            )
    return differences


@pytest.mark.parametrize("caller", CALLERS)
def test_b_resources_are_answered_like_missing_ones(world: World, caller: str) -> None:
    reads_before = world.store.readings.count()
    pairs = _pairs(world, world.b)
    assert len(pairs) >= 40
    differences = _compare(world, caller, pairs)
    assert not differences, "\n".join(differences)
    assert world.store.readings.count() == reads_before


@pytest.mark.parametrize("caller", CALLERS)
def test_park_resources_are_answered_like_missing_ones(world: World, caller: str) -> None:
    """The park's own sites and points are invisible to enterprise users, like B's."""
    pairs = _pairs(world, park_ids(world))
    assert len(pairs) >= 10
    differences = _compare(world, caller, pairs)
    assert not differences, "\n".join(differences)


def test_the_identifiers_compared_exist_and_the_missing_ones_do_not(world: World) -> None:
    """The comparison is meaningful: a park admin reads every resource of B and of the park
    named by a path parameter, and gets 404 for every missing one."""
    missing, park = missing_ids(world), park_ids(world)
    checked = 0
    for method, path, _ in operations(world):
        names = re.findall(r"{(\w+)}", path)
        if method != "get" or not names or all(n in FIXED_PATH for n in names):
            continue  # no resource named (a fixed parameter: a version of the park's options)
        admin = world.h("admin")
        for ids, expected in ((world.b, 200), (missing, 404)):
            (call,) = [
                c for c in walk(world, ids, extra=False) if (c.method, c.path) == (method, path)
            ]
            r = call.send(world, admin)
            assert r.status_code == expected, (
                f"{call.where('admin')}: {r.status_code} {r.text[:200]}"
            )
        checked += 1
    assert checked >= 10
    for url in (f"/api/v1/sites/{park['site_id']}", f"/api/v1/points/{park['point']}"):
        assert world.client.get(url, headers=world.h("admin")).status_code == 200, url


def test_a_locked_account_is_answered_like_an_unknown_username(world: World) -> None:
    """Names without an account are counted and locked like accounts (identity.login)."""
    created = world.client.post(
        "/api/v1/users",
        headers=world.h("b_admin"),
        json={"username": "b_locked", "password": "b-locked-pass-1", "role": "enterprise_viewer"},
    )
    assert created.status_code == 201, created.text
    answers: dict[str, list[tuple[int, str, Any, str | None]]] = {}
    for username in ("b_locked", "b_nobody"):
        for _ in range(world.settings.lockout_threshold + 1):
            r = world.client.post(
                "/api/v1/auth/token", data={"username": username, "password": "wrong-password"}
            )
            answers.setdefault(username, []).append((*_answer(r), r.headers.get("retry-after")))
    # the same answers; Retry-After counts down from each lock, so the two sequences, run one
    # after the other on a busy machine, may straddle a second boundary: within a second
    assert [a[:-1] for a in answers["b_locked"]] == [a[:-1] for a in answers["b_nobody"]]
    for (*_, locked), (*_, nobody) in zip(answers["b_locked"], answers["b_nobody"], strict=True):
        assert (locked is None) == (nobody is None)
        if locked is not None and nobody is not None:
            assert abs(int(locked) - int(nobody)) <= 1, (locked, nobody)


def test_names_that_must_be_unique_are_a_conflict_that_names_no_holder(world: World) -> None:
    """The exception by nature (docs/api.md): a certificate id or a username is unique in the
    park, so one taken by B cannot be taken by A — the 409 says so and names no holder."""
    a = world.h("a_admin")
    b_name = world.client.get(
        f"/api/v1/enterprises/{world.b['enterprise_id']}", headers=world.h("admin")
    ).json()["name"]
    imported = world.client.post(
        "/api/v1/certificates/import",
        headers=a,
        files={"file": ("c.csv", certificate_csv([world.b["cert_id"]]), "text/csv")},
    )
    user = world.client.post(
        "/api/v1/users",
        headers=a,
        json={"username": "b_viewer", "password": "a-long-password-1", "role": "enterprise_viewer"},
    )
    for r in (imported, user):
        assert r.status_code == 409, r.text
        for marker in ("E02", b_name, "b_admin"):
            assert marker not in r.json()["detail"], r.text
