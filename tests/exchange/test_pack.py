"""The acceptance pack: byte-for-byte reproducible, every member hashed in the manifest."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.errors import InvalidInput, NotFound
from lingtan.exchange.jobs import register
from lingtan.exchange.pack import build_pack, pack_files, verify_pack, write_zip
from lingtan.identity.roles import Principal, Role
from lingtan.jobs.service import job_file, run_job, submit
from lingtan.store import Store, open_store
from tests.accounting.parks import load_january

YEAR = 2025


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str]]:
    """The hand-made accounting park with two hours of January 2025 (tests/accounting/parks.py)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pack') / 'park.db'}"
    store = open_store(url)
    load_january(store)
    yield store, url
    store.close()


@pytest.fixture(scope="module")
def pack(demo: tuple[Store, str]) -> bytes:
    return build_pack(demo[0], year=YEAR)


def test_pack_is_identical_when_built_twice(demo: tuple[Store, str], pack: bytes) -> None:
    assert build_pack(demo[0], year=YEAR) == pack


def test_manifest_lists_the_sha256_of_every_other_member(pack: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        listed = {e["path"]: e for e in manifest["files"]}
        assert set(listed) == set(names) - {"manifest.json"}
        for name in listed:
            data = zf.read(name)
            assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest()
            assert listed[name]["bytes"] == len(data)
        # members in name order, at the fixed ZIP epoch (no clock in the archive)
        assert names == sorted(names)
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert manifest["year"] == YEAR
    assert verify_pack(pack) == []


def test_pack_holds_the_evidence_the_review_asks_for(pack: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        names = set(zf.namelist())
        ev = json.loads(zf.read("indicators/evaluation.json"))
        acc = json.loads(zf.read("accounting/park-annex4.json"))
        energy = json.loads(zf.read("energy/statistics.json"))
        factors = json.loads(zf.read("accounting/factors.json"))["factors"]
        html = zf.read("indicators/report.html").decode()
    assert {
        "energy/report.html",
        "accounting/report.html",
        "metering/coverage.json",
        "green/certificates.json",
        "green/settlements.json",
        "README.txt",
    } <= names
    assert len(ev["indicators"]) == 6  # the core indicator and the five guiding ones ("1+5")
    assert acc["result_id"] is None and acc["computed_at"] is None  # nothing persisted
    assert energy["total_tce"] > 0
    assert factors and all(f["source"] for f in factors)
    # grid import of the boundary, by hand: A-grid 1 000 + B-grid 2 000 + P-grid 200 kWh
    # (A-hvac is a sub-meter, P-sum a virtual meter outside the boundary)
    grid = [c for c in energy["carriers"] if c["carrier"] == "electricity_grid_import"]
    assert [(c["value"], c["unit"]) for c in grid] == [(pytest.approx(3200.0), "kWh")]
    assert "生成于" not in html  # no generation time in a reproducible pack


def test_a_changed_member_is_found_by_the_manifest(pack: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(pack)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files["energy/statistics.json"] = files["energy/statistics.json"].replace(b"1", b"2", 1)
    files["extra.txt"] = b"x"
    assert verify_pack(write_zip(files)) == [
        "energy/statistics.json: SHA-256 differs",
        "extra.txt: not in the manifest",
    ]


def test_bad_year_is_refused(demo: tuple[Store, str]) -> None:
    with pytest.raises(InvalidInput, match="year"):
        pack_files(demo[0], year=1800)


def test_cli_writes_the_same_bytes(
    demo: tuple[Store, str], pack: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", demo[1])
    out = tmp_path / "p.zip"
    res = CliRunner().invoke(app, ["acceptance", "pack", "--year", str(YEAR), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == pack


def test_the_background_job_builds_the_same_pack_and_is_not_offered_to_an_enterprise(
    demo: tuple[Store, str], pack: bytes
) -> None:
    store = demo[0]
    register()
    admin = Principal("admin", Role.PARK_ADMIN, None)
    job = submit(store, principal=admin, kind="acceptance_pack", params={"year": YEAR})
    done = run_job(store, job.id)
    assert done is not None and done.status == "done", done
    f = job_file(store, principal=admin, job_id=job.id)
    assert f.content == pack and f.filename.endswith(f"-{YEAR}.zip")
    e01 = store.registry.enterprises(store.registry.park().id)[0].id
    with pytest.raises(NotFound):  # park-wide kinds are not offered to an enterprise
        submit(
            store,
            principal=Principal("e", Role.ENTERPRISE_ADMIN, e01),
            kind="acceptance_pack",
            params={"year": YEAR},
        )
