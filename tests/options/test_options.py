"""The park's options: validation, numbered versions, history, the park file, the CLI and API."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app as cli_app
from lingtan.errors import Conflict, InvalidInput, NotFound
from lingtan.options import DEFAULTS, ParkOptions, UsedOptions
from lingtan.options import service as park_options
from lingtan.registry import parse_park_text
from lingtan.store import Store
from tests.conftest import SMALL_PARK

runner = CliRunner()


def test_the_park_defaults_are_every_layer_s_defaults() -> None:
    """Version 0 gives exactly what each layer does by default, so a park that never stored
    options gets the same numbers as a library caller passing none."""
    from lingtan.accounting import MeteringOptions
    from lingtan.carbon import AccountingOptions
    from lingtan.indicators.options import IndicatorOptions
    from lingtan.options import OptionsVersion

    assert DEFAULTS.accounting() == AccountingOptions()
    assert MeteringOptions.of(DEFAULTS) == MeteringOptions()
    used = UsedOptions.of(OptionsVersion(park_id=1, version=0, options=DEFAULTS))
    derived = IndicatorOptions.of(used)
    assert dataclasses.replace(derived, used=None) == IndicatorOptions()


def test_defaults_are_the_documented_ones() -> None:
    """docs/options.md: 当量值, PV counted, 附件4's 0.8325, exports PV first, gas not clean."""
    d = DEFAULTS.as_dict()
    assert d["electricity_conversion"] == "equivalent"
    assert d["export_kind"] == "pv_first"
    assert d["park_fossil_factor"] == "annex4"
    assert d["onsite_renewable"] == "included"
    assert d["heat_kind"] == "fossil"
    assert d["natural_gas_clean"] is False
    assert d["base_year"] == 2025


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"export_kind": "solar"}, "export_kind"),
        ({"electricity_conversion": "both"}, "electricity_conversion"),
        ({"coal_fuel": "natural_gas"}, "coal_fuel"),
        ({"completeness_threshold": "1.5"}, "completeness_threshold"),
        ({"completeness_threshold": "many"}, "completeness_threshold"),
        ({"natural_gas_clean": "perhaps"}, "natural_gas_clean"),
        ({"base_year": "1999"}, "base_year"),
        ({"base_year": 2025.5}, "base_year"),
        ({"no_such_option": 1}, "no_such_option"),
        ({"target_set": ""}, "target_set"),
    ],
)
def test_bad_options_are_refused_naming_the_option(changes: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        DEFAULTS.replace(changes)
    assert err.value.field == field


def test_plain_values_are_coerced() -> None:
    o = DEFAULTS.replace(
        {"natural_gas_clean": "true", "base_year": "2026", "target_year": "none",
         "fuel_editions": "a, b", "completeness_threshold": "0.8"}
    )  # fmt: skip
    assert o.natural_gas_clean is True and o.base_year == 2026 and o.target_year is None
    assert o.fuel_editions == ("a", "b") and o.completeness_threshold == 0.8
    assert ParkOptions.from_dict(o.as_dict()) == o


def test_used_options_name_the_version_and_the_overrides() -> None:
    from lingtan.options import OptionsVersion

    base = OptionsVersion(park_id=1, version=3, options=DEFAULTS)
    used = UsedOptions.of(base, {"export_kind": "fossil"})
    assert used.as_dict()["park_options_version"] == 3
    assert used.overrides == {"export_kind": "fossil"}
    assert UsedOptions.of(base, {"export_kind": "pv_first"}).overrides == {}


def _park(store: Store) -> int:
    return store.registry.save_park(parse_park_text(SMALL_PARK)).park_id


def test_versions_are_appended_and_kept(store: Store) -> None:
    pid = _park(store)
    assert park_options.current(store, park_id=pid).version == 0
    v1 = park_options.change(
        store, park_id=pid, changes={"export_kind": "fossil"}, actor="t", reason="r1"
    )
    v2 = park_options.change(store, park_id=pid, changes={"heat_kind": "non_fossil"}, actor="t")
    assert (v1.version, v2.version) == (1, 2)
    # a change applies to the current version: the first change is still there
    assert v2.options.export_kind == "fossil" and v2.options.heat_kind == "non_fossil"
    # nothing stored when nothing changes
    same = park_options.change(store, park_id=pid, changes={"export_kind": "fossil"}, actor="t")
    assert same.version == 2
    history = park_options.history(store, park_id=pid)
    assert [v.version for v in history] == [0, 1, 2]
    assert history[1].reason == "r1" and history[1].options.heat_kind == "fossil"
    assert park_options.version(store, park_id=pid, number=1).options.export_kind == "fossil"
    with pytest.raises(NotFound):
        park_options.version(store, park_id=pid, number=9)
    with pytest.raises(Conflict):
        park_options.change(
            store, park_id=pid, changes={"export_kind": "pv_first"}, actor="t", expected_version=1
        )
    audit = store.audit.list(entity="park_options")  # newest first
    assert [e["action"] for e in audit] == ["options.change"] * 2
    after = audit[0]["after"]
    after = json.loads(after) if isinstance(after, str) else after
    assert after["options"]["heat_kind"] == "non_fossil"


def test_a_park_file_states_its_options_in_full(store: Store) -> None:
    pid = _park(store)
    park_options.change(store, park_id=pid, changes={"natural_gas_clean": True}, actor="t")
    text = SMALL_PARK + "options:\n  export_kind: fossil\n"
    model = parse_park_text(text)
    v = park_options.apply_park_file(store, park_id=pid, options=model.options, actor="t")
    assert v is not None and v.version == 2
    # stated in full: what the file does not name is back at its default
    assert v.options.export_kind == "fossil" and v.options.natural_gas_clean is False
    # loading the same file again stores nothing new; a file without options leaves them
    again = park_options.apply_park_file(store, park_id=pid, options=model.options, actor="t")
    assert again is not None and again.version == 2
    assert park_options.apply_park_file(store, park_id=pid, options=None, actor="t") is None


def test_a_park_file_with_a_bad_option_names_its_line() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_park_text(SMALL_PARK + "options:\n  export_kind: solar\n")
    assert "export_kind" in str(err.value) and "solar" in str(err.value)


def test_cli_show_set_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    park = tmp_path / "park.yaml"
    park.write_text(SMALL_PARK, encoding="utf-8")
    env = {"LINGTAN_DATABASE_URL": url}
    init = runner.invoke(cli_app, ["init", "--park", str(park)], env=env)
    assert init.exit_code == 0, init.output
    assert "store: sqlite:///" in init.output  # init says which store it writes to
    r = runner.invoke(cli_app, ["options", "set", "export_kind=fossil", "--reason", "x"], env=env)
    assert r.exit_code == 0, r.output
    shown = json.loads(runner.invoke(cli_app, ["options", "show", "--json"], env=env).output)
    assert shown["version"] == 1 and shown["options"]["export_kind"] == "fossil"
    hist = json.loads(runner.invoke(cli_app, ["options", "history", "--json"], env=env).output)
    assert [h["version"] for h in hist] == [0, 1]
    bad = runner.invoke(cli_app, ["options", "set", "export_kind", "--reason", "x"], env=env)
    assert bad.exit_code == 2
    unknown = runner.invoke(cli_app, ["options", "set", "nope=1", "--reason", "x"], env=env)
    assert unknown.exit_code == 2 and "nope" in unknown.output
