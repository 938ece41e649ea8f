"""``lingtan user add`` and ``lingtan serve`` through typer's CliRunner."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.cli._common import enterprise_id_of
from lingtan.config import Settings, is_loopback
from lingtan.errors import InvalidInput, NotFound
from lingtan.identity import service as identity
from lingtan.identity.errors import NotAuthenticated
from lingtan.identity.roles import SYSTEM
from lingtan.registry import ParkModel, parse_park_text
from lingtan.store import Store, open_store

runner = CliRunner()
#: a terminal wide enough for the key table (rich wraps cells at 80 columns otherwise)
WIDE = {"COLUMNS": "200"}


@pytest.fixture
def env(loaded: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", loaded.url)
    monkeypatch.setenv("LINGTAN_ENVIRONMENT", "test")
    return loaded


def test_user_add_reads_the_password_from_stdin(env: Store, small_park: ParkModel) -> None:
    result = runner.invoke(
        app,
        ["user", "add", "--username", "admin", "--role", "park_admin", "--password-stdin"],
        input="first-admin-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "first-admin-password" not in result.output
    pair = identity.login(
        env, Settings(environment="test"), username="admin", password="first-admin-password"
    )
    assert pair.user.role == "park_admin"
    result = runner.invoke(
        app,
        [
            "user",
            "add",
            "--username",
            "viewer_e1",
            "--role",
            "enterprise_viewer",
            "--enterprise",
            "E01",
            "--password-stdin",
        ],
        input="viewer-password-1\n",
    )
    assert result.exit_code == 0, result.output
    park = env.registry.park()
    e01 = next(e.id for e in env.registry.enterprises(park.id) if e.code == "E01")
    assert (
        identity.login(
            env, Settings(environment="test"), username="viewer_e1", password="viewer-password-1"
        ).user.enterprise_id
        == e01
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--username", "x1", "--role", "enterprise_viewer"], 2),  # needs an enterprise
        (["--username", "x2", "--role", "park_viewer", "--enterprise", "NOPE"], 3),
        (["--username", "x3", "--role", "auditor"], 2),  # password too short (below)
    ],
)
def test_user_add_errors_exit_non_zero(env: Store, args: list[str], code: int) -> None:
    result = runner.invoke(
        app,
        ["user", "add", *args, "--password-stdin"],
        input="short\n" if "x3" in args else "long-enough-pass\n",
    )
    assert result.exit_code == code, result.output


def test_serve_refuses_the_default_secret_in_production(
    env: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINGTAN_ENVIRONMENT", "production")
    result = runner.invoke(app, ["serve", "--port", "8999"])
    assert result.exit_code == 2
    assert "LINGTAN_SECRET_KEY" in result.output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "park-server.example"])
def test_serve_refuses_the_development_secret_beyond_loopback(env: Store, host: str) -> None:
    # LINGTAN_ENVIRONMENT=test here: the rule holds in every environment
    result = runner.invoke(app, ["serve", "--host", host, "--port", "8999"])
    assert result.exit_code == 2
    assert "LINGTAN_SECRET_KEY" in result.output and host in result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_addresses_are_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.1", "example.com"])
def test_other_addresses_are_not(host: str) -> None:
    assert not is_loopback(host)


def test_a_real_secret_may_listen_anywhere() -> None:
    Settings(environment="development", secret_key="s" * 40).check_serving("0.0.0.0")
    with pytest.raises(InvalidInput):
        Settings(environment="development").check_serving("0.0.0.0")


def test_key_create_prints_only_the_secret_and_the_key_works(
    env: Store, small_park: ParkModel
) -> None:
    result = runner.invoke(
        app,
        [
            *("key", "create", "--name", "collector-1", "--scope", "ingest"),
            *("--enterprise", "E01", "--point", "E01-main", "--point", "E01-hvac"),
        ],
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert "\n" not in secret and "collector-1" in result.stderr
    caller = identity.principal_from_api_key(env, key=secret)
    park = env.registry.park()
    e01 = next(e.id for e in env.registry.enterprises(park.id) if e.code == "E01")
    assert caller.role.value == "integrator" and caller.enterprise_id == e01
    (info,) = identity.list_api_keys(env, actor=SYSTEM, limit=10, offset=0)[0]
    assert info.points == ("E01-hvac", "E01-main") and info.expires_at is None
    assert secret.startswith(f"lt_{info.prefix}_")


def test_key_expiry_list_and_revoke(env: Store) -> None:
    result = runner.invoke(
        app, ["key", "create", "--name", "reader", "--scope", "read", "--expires-in-days", "30"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    (info,) = identity.list_api_keys(env, actor=SYSTEM, limit=10, offset=0)[0]
    assert info.expires_at is not None and info.enterprise_id is None
    day_us = 86_400 * 1_000_000
    assert abs(info.expires_at - info.created_at - 30 * day_us) < 60 * 1_000_000
    assert identity.principal_from_api_key(env, key=secret).role.value == "park_viewer"
    with pytest.raises(NotAuthenticated, match="expired"):
        identity.principal_from_api_key(env, key=secret, now=info.created_at + 31 * day_us)

    listed = runner.invoke(app, ["key", "list"], env=WIDE)
    assert listed.exit_code == 0 and info.prefix in listed.stdout and secret not in listed.stdout
    assert runner.invoke(app, ["key", "revoke", str(info.id)]).exit_code == 0
    with pytest.raises(NotAuthenticated):
        identity.principal_from_api_key(env, key=secret)
    assert info.prefix not in runner.invoke(app, ["key", "list"], env=WIDE).stdout
    assert info.prefix in runner.invoke(app, ["key", "list", "--revoked"], env=WIDE).stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["create", "--name", "x", "--scope", "read", "--point", "E01-main"], 2),
        (["create", "--name", "x", "--scope", "ingest", "--point", "NO-SUCH-POINT"], 2),
        (["create", "--name", "x", "--scope", "ingest", "--enterprise", "NOPE"], 3),
        (["create", "--name", " ", "--scope", "ingest"], 2),
        (["create", "--name", "x", "--scope", "ingest", "--expires-in-days", "0"], 2),
        (["create", "--name", "x", "--scope", "write"], 2),
        (["revoke", "9999"], 3),
    ],
)
def test_key_errors_exit_non_zero(env: Store, args: list[str], code: int) -> None:
    result = runner.invoke(app, ["key", *args])
    assert result.exit_code == code, result.output
    assert not result.stdout.strip(), "no secret is printed when nothing was created"


def test_an_enterprise_named_ambiguously_is_refused(sqlite_url: str) -> None:
    park = """\
park: {id: p, name: 园区, province: 江苏}
enterprises:
  - {id: "2", name: 甲}
  - {id: X, name: 乙}
sites: []
points: []
"""
    store = open_store(sqlite_url)
    try:
        store.registry.save_park(parse_park_text(park))
        ids = {e.code: e.id for e in store.registry.enterprises(store.registry.park().id)}
        assert ids == {"2": 1, "X": 2}  # a fresh store numbers them in file order
        assert enterprise_id_of(store, "X") == 2
        assert enterprise_id_of(store, "1") == 1
        with pytest.raises(InvalidInput, match="code and another's id"):
            enterprise_id_of(store, "2")  # 甲's code, 乙's id
        with pytest.raises(NotFound):
            enterprise_id_of(store, "Y")
    finally:
        store.close()


def test_workers_share_the_database_connections(
    env: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, str | None] = {}

    def fake_run(*args: object, **kwargs: object) -> None:
        seen["connections"] = os.environ.get("LINGTAN_DB_CONNECTIONS")

    monkeypatch.setattr(uvicorn, "run", fake_run)
    # recorded first, so that what the command sets in this process is undone afterwards
    monkeypatch.setenv("LINGTAN_DB_CONNECTIONS", "unset")
    monkeypatch.delenv("LINGTAN_DB_CONNECTIONS")
    result = runner.invoke(app, ["serve", "--port", "8999", "--workers", "4"])
    assert result.exit_code == 0, result.output
    assert seen["connections"] == "20"  # 80 // 4: four pools of 16 kept + 4 overflow
    monkeypatch.setenv("LINGTAN_DB_CONNECTIONS", "7")
    assert runner.invoke(app, ["serve", "--port", "8999", "--workers", "4"]).exit_code == 0
    assert seen["connections"] == "7"  # an explicit setting wins


def test_serve_refuses_a_database_in_memory(env: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGTAN_DATABASE_URL", "sqlite://")
    result = runner.invoke(app, ["serve", "--port", "8999"])
    assert result.exit_code == 2 and "in memory" in result.output


def test_serve_caps_the_workers_so_each_keeps_four_connections(env: Store) -> None:
    result = runner.invoke(app, ["serve", "--port", "8999", "--workers", "21"])
    assert result.exit_code == 2  # 80 connections / 20 workers = 4 each at most
