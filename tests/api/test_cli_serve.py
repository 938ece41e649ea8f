"""``lingtan user add`` and ``lingtan serve`` through typer's CliRunner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.config import Settings, is_loopback
from lingtan.errors import InvalidInput
from lingtan.identity import service as identity
from lingtan.registry import ParkModel
from lingtan.store import Store

runner = CliRunner()


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
