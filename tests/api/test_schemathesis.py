"""schemathesis against the running service (uvicorn on loopback), with bounded examples:
no response is a server error, and every response matches the documented status codes,
content types and schemas. Authenticated as a park admin so that every operation is reached."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from lingtan.api import create_app
from lingtan.config import Settings
from lingtan.demo.run import run
from lingtan.identity import service as identity
from lingtan.identity.roles import SYSTEM
from lingtan.store import open_store
from tests.api.live import serve

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'st.db'}")
    run(store, months=1, enterprises=3)
    identity.create_user(
        store, actor=SYSTEM, username="admin", password="admin-password-1", role="park_admin"
    )
    app = create_app(Settings(environment="test", database_url=store.url), store=store)
    cli = Path(sys.executable).parent / "schemathesis"
    with serve(app) as url:
        token = httpx.post(
            f"{url}/api/v1/auth/token", data={"username": "admin", "password": "admin-password-1"}
        ).json()["access_token"]
        done = subprocess.run(
            [
                str(cli),
                "run",
                f"{url}/openapi.json",
                "-H",
                f"Authorization: Bearer {token}",
                "--checks",
                CHECKS,
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "10",
                "--seed",
                "20250101",
                "--no-shrink",
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--report-dir",
                str(tmp_path / "report"),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            cwd=tmp_path,
        )
    store.close()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
