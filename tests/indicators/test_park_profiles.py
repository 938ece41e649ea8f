"""A park's own indicator profiles in the store (versioned, validated with the line, never a
path), the indicator report job adding the chosen profiles' sections like the report service,
and the ``hunan`` target set read from the ``hunan`` profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.indicators import park_profiles
from lingtan.indicators.targets import load_target_set
from lingtan.jobs.kinds import _indicator_report
from lingtan.jobs.service import JobContext
from lingtan.options import service as park_options
from lingtan.reports.html import write_html
from lingtan.reports.service import build_document
from lingtan.store import Store, open_store
from lingtan.store.profiles_repo import ProfileRow
from lingtan.store.query_repo import Tenant
from tests.indicators.golden_park import load
from tests.indicators.test_evaluation_golden import EMISSIONS, ENERGY_TCE
from tests.indicators.test_profiles import GOOD


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path_factory.mktemp('pp') / 'g.db'}")
    load(s)
    yield s
    s.close()


def _upload(store: Store, text: str, pid: str = "my-park") -> ProfileRow:
    park_id = store.registry.park().id
    _, row = park_profiles.upload(
        store, park_id=park_id, profile_id=pid, text=text, actor="test", reason="why"
    )
    return row


def test_a_park_profile_is_stored_by_version_and_evaluated_by_name(store: Store) -> None:
    park_id = store.registry.park().id
    assert _upload(store, GOOD).version == 1
    # the same version again is refused: a revision is a new version, never an edit in place
    with pytest.raises(Conflict, match="version: 2 or later"):
        _upload(store, GOOD.replace("value: 4.0", "value: 3.0"))
    v2 = GOOD.replace("version: 1", "version: 2").replace("value: 4.0", "value: 3.0")
    assert _upload(store, v2).version == 2
    rows = park_profiles.versions(store, park_id=park_id, profile_id="my-park")
    assert [r.version for r in rows] == [1, 2] and rows[0].document == GOOD
    (prof,) = park_profiles.resolve_profiles(store, park_id, ["my-park"])
    assert prof.version == 2 and prof.indicator("core").targets[0].value == 3.0
    old, _ = park_profiles.stored_profile(store, park_id=park_id, profile_id="my-park", version=1)
    assert old.indicator("core").targets[0].value == 4.0
    # evaluated like a shipped profile: core = EMISSIONS / ENERGY_TCE ≈ 3.49 tCO2/tce (by hand
    # in test_evaluation_golden) fails the chemical target 3.0 of version 2
    from lingtan.indicators.profile_eval import evaluate_profile

    r = evaluate_profile(store, prof, year=2025, month=1, park_type="chemical").result("core")
    assert r.value == pytest.approx(EMISSIONS / ENERGY_TCE, rel=1e-9) and r.status == "fails"


@pytest.mark.parametrize(
    ("text", "pid", "message"),
    [
        # the validation of a profile file, naming the line (17: the definition)
        (GOOD.replace("energy_tce\n", "fuel_tce\n"), "my-park", r"my-park\.yaml:17: .*fuel_tce"),
        (GOOD, "other", "id 'my-park' is not 'other'"),
        (GOOD.replace("id: my-park", "id: hunan"), "hunan", "shipped profile"),
        # a stored profile never reads a path, not even through inherits
        (GOOD.replace("indicators:", "inherits: /etc/hosts\nindicators:"), "my-park",
         "nor one stored"),
        # no alias expansion (a YAML bomb)
        (GOOD.replace("url_note: park document, not published", "url_note: &n [x]\nnote: *n"),
         "my-park", "aliases are not allowed"),
    ],
)  # fmt: skip
def test_a_bad_upload_is_refused(store: Store, text: str, pid: str, message: str) -> None:
    with pytest.raises((InvalidInput, NotFound), match=message):
        _upload(store, text.replace("version: 1", "version: 9"), pid)


def test_the_services_read_no_profile_file(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text(GOOD, "utf-8")
    park_id = store.registry.park().id
    with pytest.raises(InvalidInput, match="unknown profile"):
        park_profiles.resolve_profiles(store, park_id, [str(f)])
    (p,) = park_profiles.resolve_profiles(store, park_id, [str(f)], files=True)
    assert p.where == "mine.yaml"


def test_the_report_job_adds_the_chosen_profiles_like_the_report_service(store: Store) -> None:
    park_options.change(
        store, changes={"indicator_profiles": "national,hunan"}, actor="test", reason="test"
    )
    try:
        ctx = JobContext(
            "j1", {"year": 2025, "month": 1, "format": "html", "lang": "en"},
            Tenant.park_wide(), "test",
        )  # fmt: skip
        out = _indicator_report(store, ctx)
        assert out.file is not None
        job_html = out.file.content.decode("utf-8")
        doc = build_document(store, kind="indicators", year=2025, month=1, lang="en")
        # the job's document has the profile's section, as the service's
        assert "Hunan zero-carbon park targets" in job_html
        assert "Hunan zero-carbon park targets" in write_html(doc).decode("utf-8")
    finally:
        park_options.change(
            store, changes={"indicator_profiles": "national"}, actor="test", reason="test"
        )


def test_the_hunan_target_set_is_read_from_the_hunan_profile() -> None:
    ts = load_target_set("hunan")
    assert ts.inherits == "national"
    assert ts.url == "https://hasugian.com/tanguwen/2026/0120/116603.html"
    by_id = {t.id: t for t in ts.targets}
    # the values of the former targets_hunan.yaml (each M, verified from the secondary report)
    assert by_id["hunan.carbon_per_energy.2-100.2027"].value == 1.0
    assert by_id["hunan.carbon_per_energy.100-.2035"].value == 0.5
    assert by_id["hunan.carbon_per_energy.100-.2035"].energy_max_tce is None
    assert by_id["hunan.carbon_per_energy.2-100.2030"].veto
    clean = by_id["hunan.clean_energy_share.2030"]
    assert (clean.comparator, clean.value, clean.unit, clean.veto) == ("ge", 0.70, "1", False)
    assert len(ts.targets) == 9 and {t.confidence for t in ts.targets} == {"M"}
