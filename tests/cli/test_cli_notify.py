"""``lingtan alarms channels|channel-add|deliver`` against a store with the small park and a
webhook receiver on loopback."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lingtan.alarms.notify.model import verify
from lingtan.alarms.notify.service import enqueue
from lingtan.cli import app as cli_app
from lingtan.registry.parkfile import parse_park_text
from lingtan.store import open_store
from tests.alarms.notify.conftest import Hook, hook  # noqa: F401 - the receiver fixture
from tests.conftest import SMALL_PARK

runner = CliRunner()


def test_channel_add_list_and_deliver(tmp_path: Path, hook: Hook) -> None:  # noqa: F811
    url = f"sqlite:///{tmp_path / 'n.db'}"
    with open_store(url) as store:
        store.registry.save_park(parse_park_text(SMALL_PARK))
    env = {"LINGTAN_DATABASE_URL": url, "COLUMNS": "200"}
    added = runner.invoke(
        cli_app,
        [
            "alarms",
            "channel-add",
            "ops",
            "--kind",
            "webhook",
            "--target",
            hook.url,
            "--secret",
            "whsec-cli-0123456789",
        ],
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert "已创建通知渠道 ops" in added.output
    assert "whsec-cli-0123456789" not in added.output  # a given secret is not echoed
    generated = runner.invoke(
        cli_app,
        [
            "alarms",
            "channel-add",
            "e1-mail",
            "--kind",
            "email",
            "--target",
            "a@e01.example.cn",
            "--target",
            "b@e01.example.cn",
            "--enterprise",
            "E01",
            "--lang",
            "en",
        ],
        env=env,
    )
    assert generated.exit_code == 0 and "created channel e1-mail" in generated.output
    bad = runner.invoke(
        cli_app,
        ["alarms", "channel-add", "bad", "--kind", "email", "--target", "nobody"],
        env=env,
    )
    assert bad.exit_code == 2 and "target[0]" in bad.output
    listed = runner.invoke(cli_app, ["alarms", "channels", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = {c["code"]: c for c in json.loads(listed.output)}
    assert set(rows) == {"ops", "e1-mail"}
    assert rows["e1-mail"]["target"] == ["a@e01.example.cn", "b@e01.example.cn"]
    assert "whsec" not in listed.output
    with open_store(url) as store:
        queued = enqueue(
            store,
            park_id=store.registry.park().id,
            enterprise_id=None,  # a park alarm: the park channel only
            severity="critical",
            kind="threshold",
            event="opened",
            alarm={"id": 1, "message": "园区总表通信中断"},
        )
    assert queued == 1
    sent = runner.invoke(cli_app, ["alarms", "deliver"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "已送达 1 条，待重试 0 条，失败 0 条" in sent.output
    (got,) = hook.received
    assert verify(
        b"whsec-cli-0123456789",
        got.body,
        got.headers,
        now_s=int(got.headers["x-lingtan-timestamp"]),
    )
