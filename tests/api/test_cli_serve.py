"""``lingtan user add`` and ``lingtan serve`` through typer's CliRunner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lingtan.cli import app
from lingtan.config import Settings
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
