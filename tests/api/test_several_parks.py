"""Several parks in one store: the CLI names one with --park (or LINGTAN_PARK), the API with
?park=CODE, the dashboard with its park switcher; tenancy is unchanged — park-wide users see
every park, an enterprise's user only its own enterprise in its own park."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lingtan.cli import app as cli_app
from lingtan.registry import parse_park_text
from tests.api.world import World, fresh_world
from tests.web.test_pages import log_in

runner = CliRunner()

SECOND_PARK = """\
park:
  id: north-park
  name: 北区园区
  province: 湖南
enterprises:
  - id: E01
    name: 北区一号企业
points:
  - id: N-E01-grid
    carrier: electricity_grid_import
    kind: total_increasing
    unit: kWh
    enterprise: E01
    level: 1
"""


@pytest.fixture(scope="module")
def two_parks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo world (SQLite) and a second park loaded into the same store."""
    for world in fresh_world("sqlite", str(tmp_path_factory.mktemp("parks"))):
        world.store.registry.save_park(parse_park_text(SECOND_PARK))
        yield world


def test_the_cli_names_the_park_or_says_how_to(two_parks: World, tmp_path: Path) -> None:
    env = {"LINGTAN_DATABASE_URL": two_parks.store.url}
    ambiguous = runner.invoke(cli_app, ["indicators", "--year", "2025", "--json"], env=env)
    assert ambiguous.exit_code == 2
    assert "demo-park" in ambiguous.output and "north-park" in ambiguous.output
    assert "--park" in ambiguous.output
    named = runner.invoke(
        cli_app, ["indicators", "--year", "2025", "--json", "--park", "demo-park"], env=env
    )
    assert named.exit_code == 0, named.output
    assert json.loads(named.output)["park"]["code"] == "demo-park"
    north = runner.invoke(
        cli_app,
        ["indicators", "--year", "2025", "--json"],
        env={**env, "LINGTAN_PARK": "north-park"},
    )
    assert north.exit_code == 0, north.output
    assert json.loads(north.output)["park"]["code"] == "north-park"
    # account: --park alone is the store mode (and needs a name here), --park CODE names it
    bare = runner.invoke(cli_app, ["account", "--park", "--year", "2025", "--no-save"], env=env)
    assert bare.exit_code == 2 and "north-park" in bare.output
    acc = runner.invoke(
        cli_app,
        ["account", "--park", "demo-park", "--year", "2025", "--no-save", "--json"],
        env=env,
    )
    assert acc.exit_code == 0, acc.output
    assert json.loads(acc.output)["boundary"] == "demo-park"
    unknown = runner.invoke(cli_app, ["options", "show", "--park", "south-park"], env=env)
    assert unknown.exit_code == 3 and "north-park" in unknown.output
    # each park has its own options
    changed = runner.invoke(
        cli_app,
        ["options", "set", "natural_gas_clean=true", "--reason", "t", "--park", "north-park"],
        env=env,
    )
    assert changed.exit_code == 0, changed.output
    demo = runner.invoke(cli_app, ["options", "show", "--json", "--park", "demo-park"], env=env)
    assert json.loads(demo.output)["version"] == 0


def test_the_api_acts_in_the_park_named(two_parks: World) -> None:
    c, admin = two_parks.client, two_parks.h("admin")
    listed = c.get("/api/v1/parks", headers=admin)
    assert [p["code"] for p in listed.json()] == ["demo-park", "north-park"]
    own = c.get("/api/v1/parks", headers=two_parks.h("a_viewer"))
    assert [p["code"] for p in own.json()] == ["demo-park"]
    r = c.get("/api/v1/park", headers=admin)
    assert r.status_code == 422 and "north-park" in r.json()["detail"]
    assert (
        c.get("/api/v1/park", params={"park": "north-park"}, headers=admin).json()["code"]
        == "north-park"
    )
    names = {
        e["code"]: e["name"]
        for e in c.get("/api/v1/enterprises", params={"park": "north-park"}, headers=admin).json()[
            "items"
        ]
    }
    assert names == {"E01": "北区一号企业"}
    points = c.get("/api/v1/points", params={"park": "north-park"}, headers=admin).json()
    assert [p["code"] for p in points["items"]] == ["N-E01-grid"]
    assert c.get("/api/v1/park", params={"park": "nowhere"}, headers=admin).status_code == 404
    overview = c.get("/api/v1/overview", params={"park": "demo-park"}, headers=admin)
    assert overview.status_code == 200 and overview.json()["park"]["code"] == "demo-park"


def test_an_enterprise_user_stays_in_its_own_park(two_parks: World) -> None:
    c, a = two_parks.client, two_parks.h("a_viewer")
    # no park named: its enterprise's park, though the store holds two
    assert c.get("/api/v1/park", headers=a).json()["code"] == "demo-park"
    assert c.get("/api/v1/overview", headers=a).status_code == 200
    # the other park is answered as one that does not exist
    other = c.get("/api/v1/park", params={"park": "north-park"}, headers=a)
    missing = c.get("/api/v1/park", params={"park": "nowhere"}, headers=a)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"] == missing.json()["detail"]


PAGES = ("/overview", "/flow", "/enterprises", "/meters", "/reports")


def test_the_dashboard_switches_parks(two_parks: World) -> None:
    admin = log_in(two_parks, "admin")
    # every page answers in the first park (the demo) and in the one just loaded (no data yet)
    for path in PAGES:
        assert admin.get(path).status_code == 200, path
    page = admin.get("/overview")
    assert page.status_code == 200
    assert 'data-testid="park-switch"' in page.text
    assert 'data-testid="park-north-park"' in page.text and "北区园区" in page.text
    switched = admin.get("/park/north-park", params={"next": "/enterprises"})
    assert switched.status_code == 303 and switched.headers["location"] == "/enterprises"
    listing = admin.get("/enterprises")
    assert listing.status_code == 200 and "北区一号企业" in listing.text
    for path in PAGES:
        assert admin.get(path).status_code == 200, path
    assert admin.get("/park/nowhere").status_code == 404
    viewer = log_in(two_parks, "a_viewer")
    own = viewer.get("/overview")
    assert own.status_code == 200 and 'data-testid="park-switch"' not in own.text
    assert viewer.get("/park/north-park").status_code == 404
