"""schemathesis against the running service (uvicorn on loopback), over every operation of the
OpenAPI schema, authenticated as a park admin, with a bounded number of examples per operation
(the operations are split into a few runs by path; together they take about two and a half
minutes of one core).

The bar: no response is a server error, and every response matches the documented status
codes, content types and schemas. The run's event log is then read back to show that every
operation was exercised and answered past authentication. Path and query parameters that name
stored things (an enterprise, a job, a record …) draw half of their values from the ids of
things made before the run, so that generated requests reach the operations' logic instead of
stopping at "not found"."""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from lingtan.accounting import account_park
from lingtan.api import create_app
from lingtan.config import Settings
from lingtan.demo.run import run
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM
from lingtan.store import engine as engine_module
from lingtan.store import open_store
from tests.api.live import serve

ROOT = Path(__file__).resolve().parents[2]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
#: examples per operation and phase: the bound that keeps the run to a few minutes (the cost is
#: schemathesis generating requests, under 1 s per operation at 8; the server's answers
#: take a third of the run)
MAX_EXAMPLES = 8
#: operations whose bodies go through lingtan's own parsers (CSV, NDJSON, YAML, TOML, files)
#: get more examples and the coverage phase's negative cases: their inputs are the widest
PARSERS = (
    ("POST", "/api/v1/readings"),
    ("PUT", "/api/v1/park"),
    ("POST", "/api/v1/certificates/import"),
    ("POST", "/api/v1/records/import"),
)
PARSER_EXAMPLES = 60
#: operations that answer 401 to anything but the right secret: passing the token is not enough
SECRET_BOUND = {"POST /api/v1/auth/token", "POST /api/v1/auth/refresh", "POST /api/v1/me/password"}


def _things(url: str, headers: dict[str, str]) -> dict[str, list[Any] | str]:
    """Make one of each stored thing an operation can name and return their ids by parameter
    (a list: values to draw from; a string: the value every request sends)."""
    c = httpx.Client(base_url=url, headers=headers, timeout=60)

    def ok(r: httpx.Response) -> Any:
        assert r.is_success, r.text
        return r.json()

    enterprises = ok(c.get("/api/v1/enterprises"))["items"]
    sites = ok(c.get("/api/v1/sites"))["items"]
    points = ok(c.get("/api/v1/points"))["items"]
    park = ok(c.get("/api/v1/park"))
    record = ok(
        c.post(
            "/api/v1/records",
            json={
                "category": "water",
                "item": "intake",
                "period_start": "2025-01-01",
                "period_end": "2025-01-31",
                "quantity": 10.5,
                "unit": "m3",
                "source_document": "water ledger 2025-01",
            },
        )
    )
    key = ok(c.post("/api/v1/keys", json={"name": "probe", "scope": "read"}))
    user = ok(
        c.post(
            "/api/v1/users",
            json={"username": "probe-user", "password": "probe-password-1", "role": "park_viewer"},
        )
    )
    job = ok(c.post("/api/v1/reports/energy_report", json={"year": 2025, "month": 1}))
    results = ok(
        c.get(
            "/api/v1/accounting/results",
            params={"basis": "park", "boundary": park["code"], "year": 2025},
        )
    )["items"]
    channel = ok(
        c.post(
            "/api/v1/alarms/channels",
            json={
                "code": "probe",
                "name": "probe",
                "kind": "webhook",
                "target": "http://127.0.0.1:9/probe",  # nothing listens: stays pending
            },
        )
    )
    delivery = ok(c.post(f"/api/v1/alarms/channels/{channel['id']}/test"))
    # the energy-management programme: a plan of the park, a measure with a verification plan
    # on declared energies, a record
    plan = ok(c.post("/api/v1/programme/plans", json={
        "year": 2025, "title": "probe", "targets": {"energy_tce_max": 1000}}))  # fmt: skip
    measure = ok(c.post("/api/v1/programme/measures", json={
        "plan_id": plan["id"], "code": "probe", "name": "probe", "owner": "probe",
        "schedule": {"start": "2024-01-01", "end": "2024-12-31"},
        "verification": {"drivers": ["output"], "baseline": [
            {"period": f"2024-{k:02d}", "energy": 100 + 2 * k + k % 2, "drivers": {"output": k}}
            for k in range(1, 7)], "reporting": [
            {"period": "2025-01", "energy": 90, "drivers": {"output": 3}}]},
    }))  # fmt: skip
    programme_record = ok(c.post("/api/v1/programme/records", json={
        "kind": "objective", "title": "probe", "body": {"statement": "probe"}}))  # fmt: skip
    c.close()
    return {
        "path.enterprise_id": [e["id"] for e in enterprises],
        "path.site_id": [s["id"] for s in sites],
        "path.code": [p["code"] for p in points[:20]],
        "path.record_id": [record["id"]],
        "path.key_id": [key["id"]],
        "path.user_id": [user["id"]],  # not the admin's own: a PATCH may deactivate it
        "path.job_id": [job["id"]],
        "path.result_id": [r["id"] for r in results],
        "path.channel_id": [channel["id"]],
        "path.delivery_id": [delivery["id"]],
        "query.boundary": [park["code"], *(e["code"] for e in enterprises)],
        "query.year": [2025],
        "path.saving_plan_id": [plan["id"]],
        "path.measure_id": [measure["id"]],
        "path.programme_record_id": [programme_record["id"]],
        # every operation takes ?park= (lingtan.api.deps.ParkQuery), checked before anything
        # else: the coverage phase fills the optional parameter with "0" in each of its cases
        # (2,300 requests to POST /alarms/rules alone), all answered 404 "no such park" before
        # the body is read. The park's own code lets them reach the operation; the unknown
        # park is tests/api/test_several_parks.py's.
        "query.park": park["code"],
    }


def _config(path: Path, things: dict[str, list[Any] | str]) -> Path:
    lines = [
        'hooks = "tests.api.schemathesis_hooks"',
        # the admin token goes with every request; generated API keys would only earn 401s
        "generation.with-security-parameters = false",
        # the coverage phase's negative mode sends one wrong value per parameter and field,
        # each refused 422 by the request's model before the operation runs: 58 % of a
        # shard's requests and a third of its time. The parsers' operations keep it (below);
        # every operation still gets negative bodies in the fuzzing phase
        'phases.coverage.generation.mode = "positive"\n',
    ]
    for n, values in enumerate(things.values()):
        if isinstance(values, list):
            lines.append(f"[dictionaries.d{n}]\nvalues = {json.dumps(values)}\n")
    lines.append("[parameters]")
    for n, (param, values) in enumerate(things.items()):
        if isinstance(values, list):
            lines.append(f'"{param}" = {{ dictionary = "d{n}", probability = 0.5 }}')
        else:
            lines.append(f'"{param}" = {json.dumps(values)}')
    for method, route in PARSERS:
        # one filter on the operation's name: separate include-method and include-path filters
        # are alternatives (either matches), which gave every POST and PUT operation (and
        # GET /park) the parsers' count
        lines.append(
            f'\n[[operations]]\ninclude-name = "{method} {route}"\n'
            f"generation.max-examples = {PARSER_EXAMPLES}\n"
            'phases.coverage.generation.mode = "all"'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _answers(report_dir: Path) -> dict[str, collections.Counter[int]]:
    """Status codes answered, by operation, from the run's event log."""
    seen: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    (log,) = report_dir.glob("*.ndjson")
    with log.open(encoding="utf-8") as f:
        for line in f:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            for interaction in recorder.get("interactions", {}).values():
                response = interaction.get("response")
                if response is not None:
                    label = recorder["label"].split(" -> ")[0]
                    seen[label][int(response["status_code"])] += 1
    return seen


#: the operations are split by path into this many runs, each its own test on its own server,
#: so that pytest-xdist spreads them over the workers instead of one worker carrying them all
SHARDS = 3


def _shard(paths: list[str], shard: int) -> list[str]:
    """Every SHARDS-th path in sorted order, from the ``shard``-th (all methods of a path go
    together: the stateful phase links operations on one path)."""
    return sorted(paths)[shard::SHARDS]


@pytest.mark.slow
@pytest.mark.timeout(900)  # about two minutes alone; room for a machine shared with other runs
@pytest.mark.parametrize("shard", range(SHARDS))
def test_schemathesis_over_every_operation_finds_no_server_error(
    tmp_path: Path, shard: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a request that waits more than 3 s for SQLite's write lock is answered 503 by design
    # (tests/api/test_view_flight.py); with the other tests' runs on the same two cores a
    # background normalisation can hold the lock that long, and this test is about the
    # answers' conformance, not about lock waits: the service under test waits longer
    monkeypatch.setattr(engine_module, "REQUEST_SQLITE_BUSY_TIMEOUT_MS", 30_000)
    store = open_store(f"sqlite:///{tmp_path / 'st.db'}")
    run(store, months=1, enterprises=3)
    account_park(store, year=2025, month=1, actor="test")  # one stored result to read back
    identity.create_user(
        store, actor=SYSTEM, username="admin", password="admin-password-1", role="park_admin"
    )
    app = create_app(Settings(environment="test", database_url=store.url), store=store)
    cli = Path(sys.executable).parent / "schemathesis"
    with serve(app) as url:
        # the first /openapi.json builds the schema of every route: seconds on a busy machine,
        # past httpx's 5 s default
        token = httpx.post(
            f"{url}/api/v1/auth/token",
            data={"username": "admin", "password": "admin-password-1"},
            timeout=60,
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        paths = httpx.get(f"{url}/openapi.json", timeout=60).json()["paths"]
        mine = _shard(list(paths), shard)
        operations = {f"{method.upper()} {path}" for path in mine for method in paths[path]}
        config = _config(tmp_path / "schemathesis.toml", _things(url, auth))
        done = subprocess.run(
            [
                str(cli),
                "--config-file",
                str(config),
                "run",
                f"{url}/openapi.json",
                "-H",
                f"Authorization: {auth['Authorization']}",
                "--checks",
                CHECKS,
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                "20250101",
                "--no-shrink",
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--report",
                "ndjson",
                "--report-dir",
                str(tmp_path / "report"),
                "--include-path-regex",
                "^(" + "|".join(re.escape(p) for p in mine) + ")$",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},  # the hooks module
        )
    store.close()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    answers = _answers(tmp_path / "report")
    assert operations - set(answers) == set(), "operations schemathesis did not exercise"
    server_errors = {op: s for op, c in answers.items() for s in c if s >= 500}
    assert server_errors == {}
    # the token opened every operation: each answered something other than 401/403
    shut = {op for op, c in answers.items() if not set(c) - {401, 403}}
    assert shut <= SECRET_BOUND, shut
