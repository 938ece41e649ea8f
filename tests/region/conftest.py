"""Fixtures of the region tests: small parks with hourly data, a region store with registered
parks, and signing helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from lingtan.alarms.notify.model import Channel, channel_spec
from lingtan.alarms.notify.service import create_channel
from lingtan.exchange import transport
from lingtan.identity.roles import SYSTEM
from lingtan.ingest import ingest
from lingtan.normalize.service import normalise_pending
from lingtan.readings import Reading
from lingtan.region import service
from lingtan.registry import parse_park_text
from lingtan.store import Store, open_store

TZ = dt.timezone(dt.timedelta(hours=8))
SECRET = "region-test-secret-0123456789"
PARK = """\
park:
  id: {code}
  name: 园区{code}
  province: 江苏
enterprises:
  - id: E01
    name: 甲电子有限公司
  - id: E02
    name: 乙食品有限公司
sites:
  - id: B1
    name: 一号厂房
    enterprise: E01
points:
  - {{id: A-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E01, site: B1, interval_s: 3600}}
  - {{id: A-sub, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E01, site: B1, parent: A-grid, interval_s: 3600}}
  - {{id: B-grid, carrier: electricity_grid_import, kind: interval, unit: kWh, enterprise: E02, interval_s: 3600}}
"""


def load_park(
    store: Store,
    code: str,
    months: Sequence[tuple[int, int]],
    *,
    days: int = 2,
    a_kwh: float = 10.0,
    b_kwh: float = 5.0,
) -> None:
    """Park ``code``: in each month, the first ``days`` days of hourly readings — A-grid
    ``a_kwh`` every hour (its sub-meter 4 kWh), B-grid ``b_kwh`` every hour. A reading stamped
    at the hour's end covers the hour before it (interval meters)."""
    store.registry.save_park(parse_park_text(PARK.format(code=code)))
    rows: list[Reading] = []
    for year, month in months:
        start = dt.datetime(year, month, 1, 1, tzinfo=TZ)
        hours = [start + dt.timedelta(hours=k) for k in range(days * 24)]
        rows += [Reading("A-grid", t, a_kwh, source="test") for t in hours]
        rows += [Reading("A-sub", t, 4.0, source="test") for t in hours]
        rows += [Reading("B-grid", t, b_kwh, source="test") for t in hours]
    ack = ingest(store, rows, source="test")
    assert ack.rejected == 0, ack.reasons
    normalise_pending(store)


def region_channel(store: Store, url: str, secret: str = SECRET, **kw: Any) -> Channel:
    """A ``region`` channel of the store's park."""
    spec = channel_spec(code="region", name="区域平台", kind="region", target=url, **kw)
    channel, _ = create_channel(
        store, park_id=store.registry.park().id, spec=spec, actor="test", secret=secret
    )
    return channel


def signed(
    body: bytes, park: str, *, secret: str = SECRET, now_s: int, nonce: str
) -> dict[str, str]:
    """The headers a park's transport sends, lower-cased as the receiver reads them."""
    hdrs = transport.headers(secret.encode(), body, timestamp=now_s, nonce=nonce, unit=park)
    return {k.lower(): v for k, v in hdrs.items()}


@pytest.fixture
def park_store(tmp_path: Path) -> Iterator[Store]:
    """Park P1 with the first two days of January and February 2025."""
    store = open_store(f"sqlite:///{tmp_path / 'park.db'}")
    load_park(store, "P1", [(2025, 1), (2025, 2)])
    yield store
    store.close()


@pytest.fixture
def region_store(tmp_path: Path) -> Iterator[Store]:
    """A region store with P1 and P2 registered (HMAC-SHA256), targets for P1."""
    store = open_store(f"sqlite:///{tmp_path / 'region.db'}")
    service.register_park(
        store, principal=SYSTEM, code="P1", name="园区P1", secret=SECRET,
        targets={"carbon_per_energy": 6.0},
    )  # fmt: skip
    service.register_park(store, principal=SYSTEM, code="P2", name="园区P2", secret=SECRET)
    yield store
    store.close()
