"""The register's operations on SQLite and PostgreSQL: the time line, attachments, evidence,
closing and the enterprise scope."""

from __future__ import annotations

import pytest

from lingtan.alarms.incidents import service
from lingtan.alarms.incidents.model import (
    EntryKind,
    IncidentState,
    Location,
    Person,
    entry_text,
)
from lingtan.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from lingtan.store import Store
from tests.alarms.incidents.conftest import (
    MINUTE,
    NOW,
    PARK_ADMIN,
    admin_of,
    evidence,
    viewer_of,
)


def _open(store: Store, **kw: object) -> int:
    args: dict[str, object] = {
        "principal": PARK_ADMIN,
        "title": "一号厂房配电室冒烟",
        "kind": "production_safety_accident",
        "now": NOW,
    }
    args.update(kw)
    return service.open(store, **args).incident.id  # type: ignore[arg-type]


def test_time_line_is_in_the_order_things_happened_and_entries_are_never_changed(
    loaded: Store,
) -> None:
    incident_id = _open(loaded)
    first = service.add_entry(
        loaded,
        principal=PARK_ADMIN,
        incident_id=incident_id,
        text="消防到场",
        now=NOW + 10 * MINUTE,
    )
    # recorded later, but it happened before the fire brigade arrived
    service.add_entry(
        loaded,
        principal=PARK_ADMIN,
        incident_id=incident_id,
        text="切断一号厂房电源",
        at=NOW + 5 * MINUTE,
        now=NOW + 20 * MINUTE,
    )
    fix = service.add_entry(
        loaded,
        principal=PARK_ADMIN,
        incident_id=incident_id,
        text="消防与安保同时到场",
        corrects_id=first,
        now=NOW + 30 * MINUTE,
    )
    entries = service.get(loaded, principal=PARK_ADMIN, incident_id=incident_id).entries
    # opened at NOW, cut at NOW+5 min, brigade at NOW+10 min, correction at NOW+30 min
    assert [e.kind for e in entries] == [
        EntryKind.OPENED,
        EntryKind.NOTE,
        EntryKind.NOTE,
        EntryKind.CORRECTION,
    ]
    assert [e.at for e in entries] == [NOW, NOW + 5 * MINUTE, NOW + 10 * MINUTE, NOW + 30 * MINUTE]
    assert [e.text for e in entries[1:]] == ["切断一号厂房电源", "消防到场", "消防与安保同时到场"]
    # the corrected entry stays as it was; the correction names it
    assert entries[2].id == first and entries[2].text == "消防到场"
    assert entries[3].id == fix and entries[3].corrects_id == first
    assert entry_text(entries[3], "zh") == f"更正记录 #{first}：消防与安保同时到场"
    assert all(e.actor == "cli" for e in entries)
    # the repository has no way to change an entry
    assert not any(hasattr(loaded.incidents, n) for n in ("update_entry", "delete_entry"))


def test_a_correction_names_an_entry_of_the_same_incident(loaded: Store) -> None:
    one, other = _open(loaded), _open(loaded, title="二号")
    entry = service.add_entry(loaded, principal=PARK_ADMIN, incident_id=one, text="x", now=NOW)
    with pytest.raises(InvalidInput) as err:
        service.add_entry(
            loaded, principal=PARK_ADMIN, incident_id=other, text="y", corrects_id=entry, now=NOW
        )
    assert err.value.field == "corrects_id"


def test_attachment_is_stored_with_its_sha256_and_identical_content_once(loaded: Store) -> None:
    incident_id = _open(loaded)
    content = b"abc"
    meta, created = service.attach(
        loaded,
        principal=PARK_ADMIN,
        incident_id=incident_id,
        name="note.txt",
        content=content,
        media_type="text/plain",
        now=NOW,
    )
    # printf 'abc' | sha256sum
    assert meta.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert created and meta.size == 3 and meta.media_type == "text/plain"
    again, created_again = service.attach(
        loaded,
        principal=PARK_ADMIN,
        incident_id=incident_id,
        name="copy.txt",
        content=content,
        now=NOW + MINUTE,
    )
    assert not created_again and again.id == meta.id and again.name == "note.txt"
    photo, _ = service.attach(
        loaded,
        principal=PARK_ADMIN,
        incident_id=incident_id,
        name="现场照片.txt",
        content="现场照片".encode(),
        now=NOW + MINUTE,
    )
    # printf '现场照片' | sha256sum (UTF-8)
    assert photo.sha256 == "3c7d2903439dc4d647230dd3cf76a7126546532c9f134f62078c1f46c5ba78f7"
    dossier = service.get(loaded, principal=PARK_ADMIN, incident_id=incident_id)
    assert [a.id for a in dossier.attachments] == [meta.id, photo.id]
    # one time line entry per stored file, none for the duplicate
    assert [e.kind for e in dossier.entries].count(EntryKind.ATTACHMENT) == 2
    got, body = service.attachment(
        loaded, principal=PARK_ADMIN, incident_id=incident_id, attachment_id=meta.id
    )
    assert body == b"abc" and got == meta
    # the same content on another incident is that incident's own attachment
    other = _open(loaded, title="另一事件")
    third, created_third = service.attach(
        loaded, principal=PARK_ADMIN, incident_id=other, name="n.txt", content=content, now=NOW
    )
    assert created_third and third.id != meta.id


def test_attachment_over_the_cap_is_refused(loaded: Store) -> None:
    incident_id = _open(loaded)
    with pytest.raises(InvalidInput) as err:
        service.attach(
            loaded,
            principal=PARK_ADMIN,
            incident_id=incident_id,
            name="big.bin",
            content=b"x" * 11,
            max_bytes=10,
        )
    assert err.value.field == "file"


def test_closing_requires_a_report_and_ends_all_changes(loaded: Store) -> None:
    incident_id = _open(loaded)
    with pytest.raises(InvalidInput) as err:
        service.close(loaded, principal=PARK_ADMIN, incident_id=incident_id, report="  ")
    assert err.value.field == "report"
    service.respond(loaded, principal=PARK_ADMIN, incident_id=incident_id, now=NOW + MINUTE)
    service.close(
        loaded,
        principal=PARK_ADMIN,
        incident_id=incident_id,
        report="起火原因为电缆老化，已更换。",
        now=NOW + 2 * MINUTE,
    )
    d = service.get(loaded, principal=PARK_ADMIN, incident_id=incident_id)
    assert d.incident.state is IncidentState.CLOSED
    assert d.incident.closing_report == "起火原因为电缆老化，已更换。"
    assert d.incident.closed_at == NOW + 2 * MINUTE
    assert [e.kind for e in d.entries][-2:] == [EntryKind.STATE, EntryKind.CLOSED]
    with pytest.raises(Conflict):
        service.add_entry(loaded, principal=PARK_ADMIN, incident_id=incident_id, text="late")
    with pytest.raises(Conflict):
        service.close(loaded, principal=PARK_ADMIN, incident_id=incident_id, report="again")


def test_a_level_change_is_recorded_on_the_time_line(loaded: Store) -> None:
    incident_id = _open(loaded, level="ordinary")
    service.set_level(
        loaded,
        principal=PARK_ADMIN,
        incident_id=incident_id,
        level="relatively_major",
        reason="波及相邻企业",
        now=NOW + MINUTE,
    )
    d = service.get(loaded, principal=PARK_ADMIN, incident_id=incident_id)
    assert d.incident.level == "relatively_major"
    level = d.entries[-1]
    assert level.kind is EntryKind.LEVEL
    # 一般 → 较大 (Article 3's grades, from the data file)
    assert entry_text(level, "zh") == "级别由一般调整为较大：波及相邻企业"
    assert (
        entry_text(level, "en") == "level changed from ordinary to relatively major: 波及相邻企业"
    )
    with pytest.raises(InvalidInput) as err:
        service.set_level(loaded, principal=PARK_ADMIN, incident_id=incident_id, level="level-5")
    assert err.value.field == "level"


def test_responsible_people_are_set_and_recorded(loaded: Store) -> None:
    incident_id = _open(loaded)
    people = [Person("张三", "现场指挥", "13800000000"), Person("李四", "安全员")]
    service.set_responsible(
        loaded, principal=PARK_ADMIN, incident_id=incident_id, people=people, now=NOW
    )
    d = service.get(loaded, principal=PARK_ADMIN, incident_id=incident_id)
    assert d.incident.responsible == tuple(people)
    assert entry_text(d.entries[-1], "zh") == "责任人：张三、李四"


def test_creating_from_alarms_carries_their_evidence_and_readings(
    loaded: Store, ids: dict[str, int]
) -> None:
    a = ids["E01"]
    early, late = evidence(7, a, first_at=NOW - 30 * MINUTE), evidence(9, a, first_at=NOW - MINUTE)
    d = service.open(
        loaded,
        principal=PARK_ADMIN,
        title="主进线过载",
        kind="production_safety_accident",
        evidence=[late, early],
        now=NOW,
    )
    # both alarms are E01's: the incident is E01's; it occurred when the first alarm fired
    assert d.incident.enterprise_id == a
    assert d.incident.occurred_at == NOW - 30 * MINUTE
    assert {x.alarm_id: x.evidence for x in d.alarms} == {7: early, 9: late}
    assert d.alarms[0].evidence.readings == (
        ("E01-main", NOW - 30 * MINUTE, 480.0),
        ("E01-main", NOW - 25 * MINUTE, 512.5),
    )
    # one first entry per alarm, at its first time, then the opening
    assert [(e.kind, e.data.get("alarm_id")) for e in d.entries] == [
        (EntryKind.ALARM, 7),
        (EntryKind.ALARM, 9),
        (EntryKind.OPENED, None),
    ]
    assert entry_text(d.entries[0], "zh") == "由告警 #7 创建（重要）：功率超过 400 kW"
    # linking again adds only the new alarm
    linked = service.link_evidence(
        loaded,
        principal=PARK_ADMIN,
        incident_id=d.incident.id,
        evidence=[early, evidence(11, a, first_at=NOW)],
        now=NOW + MINUTE,
    )
    assert linked == [11]


def test_an_enterprise_incident_links_only_its_own_alarms(
    loaded: Store, ids: dict[str, int]
) -> None:
    with pytest.raises(InvalidInput) as err:
        service.open(
            loaded,
            principal=admin_of(loaded, "E01"),
            title="t",
            kind="natural_disaster",
            evidence=[evidence(3, ids["E02"], first_at=NOW)],
            now=NOW,
        )
    assert err.value.field == "alarm_ids"


def test_create_with_alarm_ids_needs_a_resolver(loaded: Store, ids: dict[str, int]) -> None:
    with pytest.raises(InvalidInput, match="alarm linking is not available"):
        service.create(
            loaded, principal=PARK_ADMIN, title="t", kind="natural_disaster", alarm_ids=[1]
        )
    seen: list[list[int]] = []

    def resolve(principal: object, alarm_ids: list[int]) -> list:  # type: ignore[type-arg]
        seen.append(alarm_ids)
        return [evidence(a, ids["E01"], first_at=NOW) for a in alarm_ids if a != 404]

    d = service.create(
        loaded,
        principal=PARK_ADMIN,
        title="t",
        kind="natural_disaster",
        alarm_ids=[5, 5, 6],
        resolve_alarms=resolve,
        now=NOW,
    )
    assert seen == [[5, 6]] and [x.alarm_id for x in d.alarms] == [5, 6]
    with pytest.raises(NotFound):
        service.create(
            loaded,
            principal=PARK_ADMIN,
            title="t",
            kind="natural_disaster",
            alarm_ids=[404],
            resolve_alarms=resolve,
        )


def test_validation_names_the_field(loaded: Store) -> None:
    cases = {
        "latitude": {"location": Location(latitude=90.5, longitude=120.0)},
        "longitude": {"location": Location(latitude=31.0, longitude=-180.01)},
        "kind": {"kind": "meteor"},
        "level": {"level": "特别大"},
        "title": {"title": " "},
    }
    for field, kw in cases.items():
        with pytest.raises(InvalidInput) as err:
            _open(loaded, **kw)
        assert err.value.field == field, field
    # the edges are valid: 90 and -180 degrees
    assert _open(loaded, location=Location(latitude=90.0, longitude=-180.0))
    with pytest.raises(NotFound, match="enterprise not found"):
        _open(loaded, location=Location(enterprise_id=987_654))


def test_enterprise_users_see_and_change_only_their_enterprise(
    loaded: Store, ids: dict[str, int]
) -> None:
    a_admin, b_admin = admin_of(loaded, "E01"), admin_of(loaded, "E02")
    # an enterprise admin's incident is its enterprise's, whatever it leaves out
    a_incident = _open(loaded, principal=a_admin)
    b_incident = _open(loaded, principal=b_admin, title="乙企业氨泄漏")
    park_incident = _open(loaded, title="园区暴雨")
    assert (
        service.get(loaded, principal=a_admin, incident_id=a_incident).incident.enterprise_id
        == ids["E01"]
    )
    listed, total = service.list_incidents(loaded, principal=a_admin)
    assert [i.id for i in listed] == [a_incident] and total == 1
    everything, _ = service.list_incidents(loaded, principal=PARK_ADMIN)
    assert {i.id for i in everything} == {a_incident, b_incident, park_incident}
    for incident_id in (b_incident, park_incident):
        with pytest.raises(NotFound, match="incident not found"):
            service.get(loaded, principal=a_admin, incident_id=incident_id)
        with pytest.raises(NotFound, match="incident not found"):
            service.add_entry(loaded, principal=a_admin, incident_id=incident_id, text="x")
        with pytest.raises(NotFound):
            service.close(loaded, principal=a_admin, incident_id=incident_id, report="x")
    # B's enterprise named by A's admin is absent, like one that does not exist
    with pytest.raises(NotFound, match="enterprise not found"):
        _open(loaded, principal=a_admin, location=Location(enterprise_id=ids["E02"]))
    # viewers read and never write
    a_viewer = viewer_of(loaded, "E01")
    assert service.get(loaded, principal=a_viewer, incident_id=a_incident)
    with pytest.raises(PermissionDenied):
        service.add_entry(loaded, principal=a_viewer, incident_id=a_incident, text="x")


def test_every_change_is_audited(loaded: Store) -> None:
    incident_id = _open(loaded)
    service.add_entry(loaded, principal=PARK_ADMIN, incident_id=incident_id, text="x", now=NOW)
    service.close(loaded, principal=PARK_ADMIN, incident_id=incident_id, report="r", now=NOW)
    actions = [e["action"] for e in loaded.audit.list(entity="incident")]
    assert actions == ["close", "entry", "open"]  # newest first


def test_a_building_of_an_enterprise_makes_the_incident_that_enterprises(
    loaded: Store, ids: dict[str, int]
) -> None:
    park = loaded.registry.park()
    (b01,) = [s for s in loaded.registry.sites(park.id) if s.code == "B01"]  # E01's building
    d = service.get(
        loaded, principal=PARK_ADMIN, incident_id=_open(loaded, location=Location(site_id=b01.id))
    )
    assert d.incident.enterprise_id == ids["E01"] and d.site_name == "一号厂房"
    # E02's administrator cannot place an incident in E01's building
    with pytest.raises(NotFound, match="site not found"):
        _open(loaded, principal=admin_of(loaded, "E02"), location=Location(site_id=b01.id))
