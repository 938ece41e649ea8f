"""Every body parser of the API refuses what breaks Python's own parsers with a 4xx problem
naming the fault, never a 500: deep nesting (RecursionError), integers of more than 4,300
digits (ValueError of int()), CSV quotes and carriage returns (_csv.Error, or a quote that
swallows the following lines), YAML that composes but cannot be built. Each body here gave a
500 (or a misleading answer) before the parsers were fixed."""

from __future__ import annotations

import pytest

from tests.api.world import World

DEEP = b"[" * 100_000 + b"]" * 100_000
CERT = b"1" * 32


def _problem(r, status: int, named: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert named in r.json()["detail"], r.json()["detail"]


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        # the quote of line 2 is never closed; line 3 is a good row it must not swallow
        (
            "c.csv",
            b'cert_id,project,production_month\n"'
            + CERT
            + b",PV,2025-01\n"
            + CERT
            + b",PV,2025-01\n",
            "c.csv: line 2: unbalanced quote",
        ),
        (
            "c.csv",
            b"cert_id,project,production_month\r" + CERT + b",PV,2025-01,x\r",
            "row 2: more cells",
        ),
        ("c.json", DEEP, "c.json is nested too deeply"),
        (
            "c.json",
            b'{"certificates": [{"cert_id": ' + b"1" * 5000 + b"}]}",
            "a number has 5000 digits",
        ),
    ],
)
def test_certificate_file_faults_are_named(
    world: World, name: str, content: bytes, named: str
) -> None:
    before = world.client.get("/api/v1/certificates", headers=world.h("admin")).json()["total"]
    r = world.client.post(
        "/api/v1/certificates/import", headers=world.h("admin"), files={"file": (name, content)}
    )
    _problem(r, 422, named)
    after = world.client.get("/api/v1/certificates", headers=world.h("admin")).json()["total"]
    assert after == before


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b'category,item\n"water,intake\nwater,intake\n', "r.csv: line 2: unbalanced quote"),
        (b"category,item\rwater,intake,surplus\r", "row 2 has 3 cells, the header 2"),
        (b'category,item\nwater,"intake"x\n', "r.csv: line 2: not a CSV record"),
    ],
)
def test_records_file_faults_are_named(world: World, content: bytes, named: str) -> None:
    r = world.client.post(
        "/api/v1/records/import", headers=world.h("admin"), files={"file": ("r.csv", content)}
    )
    _problem(r, 422, named)


@pytest.mark.parametrize(
    ("media", "body", "named"),
    [
        ("application/yaml", b"park: " + b"[" * 100_000, "nested too deeply"),
        ("application/yaml", b"park: " + b"[" * 5_000 + b"]" * 5_000, "nested too deeply"),
        ("application/yaml", b"park: " + b"1" * 5_000, "a number has too many digits"),
        ("application/yaml", b"? [a, b]\n: c\n", "not valid YAML"),
        ("application/yaml", b"park: !!python/object:os.system x\n", "not valid YAML"),
        ("application/toml", b"park = " + b"[" * 5_000 + b"]" * 5_000, "nested too deeply"),
        ("application/toml", b"park = " + b"1" * 5_000, "a number has too many digits"),
    ],
)
def test_park_file_faults_are_named(world: World, media: str, body: bytes, named: str) -> None:
    before = world.client.get("/api/v1/park", headers=world.h("admin")).json()
    r = world.client.put(
        "/api/v1/park", headers={**world.h("admin"), "Content-Type": media}, content=body
    )
    _problem(r, 422, named)
    assert world.client.get("/api/v1/park", headers=world.h("admin")).json() == before
