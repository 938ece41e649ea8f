"""Collector: batching thresholds, durable spill, ordered replay, back-pressure, status."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lingtan.connectors.base import CommsEvent, ConnectorContext
from lingtan.connectors.collector import runner
from lingtan.connectors.collector.batcher import Batcher
from lingtan.connectors.collector.buffer import (
    BufferFull,
    SpillBuffer,
    decode_readings,
    encode_readings,
    read_state,
)
from lingtan.connectors.collector.config import (
    CollectorSettings,
    build_connector,
    load_config,
    parse_config,
)
from lingtan.connectors.collector.runner import Collector, read_status
from lingtan.connectors.modbus.registers import DataType, RegisterSpec
from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway
from lingtan.errors import InvalidInput, Unavailable
from lingtan.ingest.pipeline import REASONS
from lingtan.readings import Reading

from .conftest import MemorySink, wait_until

T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "connectors"


def readings(start: int, n: int, point: str = "P") -> list[Reading]:
    return [
        Reading(point, T0 + dt.timedelta(seconds=start + i), float(start + i)) for i in range(n)
    ]


def make_batcher(tmp_path: Path, sink: MemorySink, **kwargs: object) -> Batcher:
    buffer = SpillBuffer(
        tmp_path / "state.sqlite", max_readings=int(kwargs.pop("capacity", 1_000_000))
    )  # type: ignore[call-overload]
    return Batcher(sink, buffer, **kwargs)  # type: ignore[arg-type]


async def test_batcher_commits_at_1000_readings_without_waiting(
    tmp_path: Path, memory_sink: MemorySink
) -> None:
    batcher = make_batcher(tmp_path, memory_sink, max_delay_s=3600)
    await batcher.submit(readings(0, 999))
    await asyncio.sleep(0.1)
    assert memory_sink.calls == 0
    await batcher.submit(
        readings(999, 1)
    )  # the commit starts now, the hour-long timer is not awaited
    await wait_until(lambda: memory_sink.batches == [1000], what="commit at 1,000 readings")


async def test_batcher_producers_wait_when_too_much_is_pending(tmp_path: Path) -> None:
    import threading

    gate = threading.Event()
    sink = MemorySink()
    slow = lambda rs: (gate.wait(30), sink(rs))[1]  # noqa: E731 - a store that takes its time
    buffer = SpillBuffer(tmp_path / "state.sqlite")
    batcher = Batcher(slow, buffer, max_readings=10, max_delay_s=3600, max_pending=30)
    await batcher.submit(readings(0, 10))
    await asyncio.sleep(0.05)  # the first commit has started and hangs in the store
    for k in range(1, 3):
        await batcher.submit(readings(k * 10, 10))  # queued while the store is busy
    waiting = asyncio.ensure_future(batcher.submit(readings(30, 10)))
    await asyncio.sleep(0.2)
    assert not waiting.done() and batcher.pending == 30
    gate.set()
    await waiting
    await batcher.flush()
    assert len(sink.data) == 40 and [sink.data[k] for k in sink.order] == [
        float(i) for i in range(40)
    ]


async def test_batcher_commits_what_arrived_during_a_commit_as_soon_as_it_ends(
    tmp_path: Path,
) -> None:
    """Group commit: readings that reached ``max_readings`` while a commit was running are
    committed when it ends, even if nothing else arrives (before, they waited for the batch
    timer: up to a second of idle store after every burst)."""
    import threading

    gate = threading.Event()
    sink = MemorySink()
    slow = lambda rs: (gate.wait(30), sink(rs))[1]  # noqa: E731 - a store that takes its time
    buffer = SpillBuffer(tmp_path / "state.sqlite")
    batcher = Batcher(slow, buffer, max_readings=100, max_delay_s=3600)
    await batcher.submit(readings(0, 100))
    await asyncio.sleep(0.05)  # the first commit has started and hangs in the store
    await batcher.submit(readings(100, 150))  # arrives during the commit; nothing after it
    gate.set()
    await wait_until(lambda: sink.batches == [100, 150], what="the second batch committed")
    assert batcher.pending == 0


async def test_a_producer_held_back_goes_on_decoding_while_the_next_commit_runs(
    tmp_path: Path,
) -> None:
    """Back-pressure waits until a commit *takes* the pending readings, not until it is done:
    the producer decodes the next batch while the store writes this one (before, the producer
    ran that commit itself and decoded nothing meanwhile)."""
    import threading

    gates = [threading.Event(), threading.Event()]
    sink = MemorySink()

    def slow(rs: Sequence[Reading]) -> Any:
        gates[min(sink.calls, 1)].wait(30)
        return sink(rs)

    buffer = SpillBuffer(tmp_path / "state.sqlite")
    batcher = Batcher(slow, buffer, max_readings=10, max_delay_s=3600, max_pending=30)
    await batcher.submit(readings(0, 10))
    await asyncio.sleep(0.05)  # the first commit hangs in the store
    await batcher.submit(readings(10, 20))
    waiting = asyncio.ensure_future(batcher.submit(readings(30, 10)))
    await asyncio.sleep(0.1)
    assert not waiting.done()  # 30 pending: held back
    gates[0].set()  # the first commit ends; the next one takes the 30 pending and hangs
    await asyncio.wait_for(waiting, 10)  # the producer goes on while that commit runs
    assert sink.batches == [10] and batcher.pending == 0
    gates[1].set()
    await wait_until(lambda: sink.batches == [10, 30], what="second commit")
    await batcher.close()


async def test_batcher_commits_after_the_delay_when_fewer_arrive(
    tmp_path: Path, memory_sink: MemorySink
) -> None:
    batcher = make_batcher(tmp_path, memory_sink, max_delay_s=0.2)
    batcher.start()
    try:
        await batcher.submit(readings(0, 10))
        await wait_until(lambda: memory_sink.batches == [10], what="timer flush")
    finally:
        await batcher.close()


async def test_batcher_callbacks_run_after_commit_in_submission_order(
    tmp_path: Path, memory_sink: MemorySink
) -> None:
    batcher = make_batcher(tmp_path, memory_sink, max_delay_s=3600)
    acked: list[int] = []
    for i in range(5):
        await batcher.submit(
            readings(i, 1) if i != 2 else [], on_committed=lambda i=i: acked.append(i)
        )
    assert acked == []
    await batcher.flush()
    assert acked == [0, 1, 2, 3, 4]
    assert len(memory_sink.data) == 4


async def test_batcher_spills_while_the_store_is_down_and_replays_in_order(
    tmp_path: Path, memory_sink: MemorySink
) -> None:
    batcher = make_batcher(tmp_path, memory_sink, max_readings=100, max_delay_s=0.1)
    batcher.retry.initial = 0.05
    batcher.start()
    acked: list[int] = []
    try:
        await batcher.submit(readings(0, 100))
        await wait_until(lambda: len(memory_sink.data) == 100, what="first batch committed")
        memory_sink.down = True
        for k in range(1, 6):
            await batcher.submit(readings(k * 100, 100), on_committed=lambda k=k: acked.append(k))
        # durable in the spill buffer: acknowledged, in order
        await wait_until(lambda: acked == [1, 2, 3, 4, 5], what="acknowledged after the spill")
        assert batcher.buffer.readings == 500 and batcher.sink_state == "unavailable"
        memory_sink.down = False
        await batcher.submit(readings(600, 100))  # queued behind the buffer, not ahead of it
        await wait_until(
            lambda: batcher.buffer.readings == 0 and len(memory_sink.data) == 700, what="drained"
        )
        assert [memory_sink.data[k] for k in memory_sink.order] == [float(i) for i in range(700)]
        assert batcher.replayed_total >= 500 and batcher.sink_state == "ok"
    finally:
        await batcher.close()


async def test_spilled_batch_survives_a_restart_and_is_stored_once(
    tmp_path: Path, memory_sink: MemorySink
) -> None:
    memory_sink.down = True
    first = make_batcher(tmp_path, memory_sink, max_readings=50)
    await first.submit(readings(0, 50))
    await first.flush()
    assert first.buffer.readings == 50
    first.buffer.close()  # the process stops here
    memory_sink.down = False
    # the store had in fact committed part of it before the crash: replay must not duplicate
    memory_sink(readings(0, 20))
    second = make_batcher(tmp_path, memory_sink, max_readings=50)
    assert second.buffer.readings == 50
    assert await second.replay_once()
    assert len(memory_sink.data) == 50 and second.buffer.readings == 0
    assert second.duplicates_total == 20


async def test_full_buffer_makes_producers_wait_instead_of_dropping(
    tmp_path: Path, memory_sink: MemorySink
) -> None:
    memory_sink.down = True
    batcher = make_batcher(tmp_path, memory_sink, max_readings=10, max_delay_s=0.05, capacity=30)
    batcher.retry.initial = 0.05
    batcher.start()
    try:
        for k in range(3):
            await batcher.submit(readings(k * 10, 10))
        await wait_until(lambda: batcher.buffer.readings == 30, what="buffer filled")
        late = asyncio.ensure_future(batcher.submit(readings(30, 10)))
        await wait_until(lambda: batcher.to_dict()["blocked"], what="blocked")
        blocked_writer = asyncio.ensure_future(batcher.submit(readings(40, 10)))
        await asyncio.sleep(0.2)
        assert not blocked_writer.done()
        memory_sink.down = False
        await asyncio.gather(late, blocked_writer)
        await wait_until(lambda: len(memory_sink.data) == 50, what="everything stored")
        assert [memory_sink.data[k] for k in memory_sink.order] == [float(i) for i in range(50)]
    finally:
        await batcher.close()


def test_spill_buffer_refuses_more_than_its_bound(tmp_path: Path) -> None:
    buffer = SpillBuffer(tmp_path / "s.sqlite", max_readings=5)
    buffer.append(readings(0, 5))
    with pytest.raises(BufferFull):
        buffer.append(readings(5, 1))


@given(
    st.lists(
        st.builds(
            Reading,
            st.text(min_size=1, max_size=10),
            st.one_of(st.datetimes(timezones=st.just(dt.UTC)), st.text(max_size=20)),
            st.one_of(
                st.none(),
                st.floats(allow_nan=False),
                st.integers(-(2**53), 2**53),
                st.text(max_size=10),
            ),
            st.one_of(st.none(), st.sampled_from(["kWh", "V"])),
            st.text(max_size=10),
            st.one_of(st.none(), st.text(max_size=20)),
            st.one_of(st.none(), st.text(max_size=20)),  # a malformed line's problem
            # the reason a connector refused it with (with or without a detail)
            st.one_of(st.none(), st.sampled_from(["bacnet_status", "iec104_quality"])),
        ),
        max_size=20,
    )
)
def test_spill_encoding_round_trips_readings_exactly(batch: list[Reading]) -> None:
    assert decode_readings(encode_readings(batch)) == batch


async def test_collector_status_file_and_events(tmp_path: Path, memory_sink: MemorySink) -> None:
    spec = RegisterSpec("e", 0, DataType.UINT32, unit="kWh", kind="total_increasing")
    sim = SimulatedDevice(1, [spec])
    sim.set("e", 5)
    gateway = SimulatedGateway([sim])
    port = await gateway.start()
    config = parse_config(
        {
            "connectors": [
                {
                    "kind": "modbus",
                    "name": "gw",
                    "host": "127.0.0.1",
                    "port": port,
                    "retry_initial_s": 0.05,
                    "devices": [
                        {
                            "name": "m1",
                            "registers": [
                                {"key": "e", "address": 0, "type": "uint32", "unit": "kWh"}
                            ],
                            "points": {"e": "E01-main"},
                            "poll_interval_s": 0.05,
                        }
                    ],
                }
            ]
        }
    )
    collector = Collector(
        [build_connector(c) for c in config.connectors],
        memory_sink,
        state_dir=tmp_path,
        settings=CollectorSettings(batch_max_delay_s=0.05),
        status_interval_s=0.05,
    )
    told: list[CommsEvent] = []  # what the alarm engine is told (lingtan collect wires it)
    collector.on_comms = told.append
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    try:
        await wait_until(lambda: len(memory_sink.data) >= 3, what="readings stored")
        sim.exception = 0x0B
        await wait_until(
            lambda: any(e.kind == "comms_lost" for e in collector.events), what="comms lost"
        )
        await wait_until(
            lambda: (
                (s := read_status(tmp_path)) is not None
                and s["connectors"]["gw"]["devices"]["m1"]["comms"] == "lost"
            ),
            what="status shows the loss",
        )
        status = read_status(tmp_path)
        assert status is not None
        gw = status["connectors"]["gw"]
        assert gw["readings_total"] >= 3 and gw["last_reading_at"] and gw["readings_per_min"] > 0
        assert gw["errors_total"] >= 2
        assert status["store"]["state"] == "ok" and status["store"]["accepted_total"] >= 3
        assert read_state(tmp_path / "state.sqlite")["events"][0]["kind"] == "comms_lost"
        await wait_until(lambda: bool(told), what="the alarm engine told")
        assert told[0].kind == "comms_lost" and told[0].points == ("E01-main",)
    finally:
        stop.set()
        await task
        await gateway.stop()


async def test_collector_restarts_a_crashing_connector(
    tmp_path: Path, memory_sink: MemorySink
) -> None:
    class Flaky:
        name = "flaky"
        kind = "test"
        runs = 0

        async def run(self, ctx: ConnectorContext) -> None:
            Flaky.runs += 1
            if Flaky.runs < 3:
                raise RuntimeError("a bug")
            await ctx.submit(readings(0, 3))
            await asyncio.Event().wait()

    collector = Collector(
        [Flaky()],
        memory_sink,
        state_dir=tmp_path,
        settings=CollectorSettings(batch_max_delay_s=0.05),
    )
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    try:
        await wait_until(lambda: len(memory_sink.data) == 3, limit_s=30, what="third run submits")
        assert collector.stats["flaky"].errors_total == 2
    finally:
        stop.set()
        await task


class Deaf:
    """Submits three readings, then swallows every cancellation while ``deaf`` (as a library
    bug can)."""

    name = "deaf"
    kind = "test"

    def __init__(self) -> None:
        self.deaf = True

    async def run(self, ctx: ConnectorContext) -> None:
        await ctx.submit(readings(0, 3))
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if not self.deaf:
                    raise


async def test_collector_stops_even_when_a_connector_ignores_being_cancelled(
    tmp_path: Path, memory_sink: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "STOP_GRACE_S", 0.5)

    deaf = Deaf()
    collector = Collector(
        [deaf],
        memory_sink,
        state_dir=tmp_path,
        settings=CollectorSettings(batch_max_delay_s=3600),  # committed only on stop
    )
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    try:
        await wait_until(lambda: collector.batcher.to_dict()["pending"] == 3, what="submitted")
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=10)
        assert task in done, "the collector waited for ever on a connector that did not stop"
        task.result()
        assert len(memory_sink.data) == 3  # what the connector handed over is committed
        stats = collector.stats["deaf"]
        assert stats.errors_total == 1 and "did not stop within 0.5 s" in str(stats.last_error)
    finally:
        deaf.deaf = False  # the event loop's own shutdown can now cancel it
        stop.set()


def test_the_collector_process_ends_even_when_a_connector_never_stops(
    tmp_path: Path, memory_sink: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``lingtan collect`` runs through run_to_completion: after the collector returns, a
    connector that swallows every cancellation must not keep the process alive (asyncio.run
    would wait for it for ever)."""
    monkeypatch.setattr(runner, "STOP_GRACE_S", 0.3)

    async def main() -> None:
        collector = Collector(
            [Deaf()],
            memory_sink,
            state_dir=tmp_path,
            settings=CollectorSettings(batch_max_delay_s=3600),
        )
        stop = asyncio.Event()
        task = asyncio.ensure_future(collector.run(stop))
        await wait_until(lambda: collector.batcher.pending == 3, what="submitted")
        stop.set()
        await task

    ended = threading.Event()

    def process() -> None:
        runner.run_to_completion(main(), grace_s=0.3)
        ended.set()

    threading.Thread(target=process, name="collect-process", daemon=True).start()
    assert ended.wait(30), "the process hung on a connector that never stops"
    assert len(memory_sink.data) == 3


async def test_a_closed_batcher_refuses_readings(tmp_path: Path, memory_sink: MemorySink) -> None:
    batcher = make_batcher(tmp_path, memory_sink)
    batcher.start()
    await batcher.submit(readings(0, 2))
    await batcher.close()
    with pytest.raises(Unavailable, match="stopped"):
        await batcher.submit(readings(2, 1))
    assert len(memory_sink.data) == 2 and batcher.pending == 0


def test_collector_config_is_strict_and_names_the_problem() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_config(
            {
                "connectors": [
                    {"kind": "modbus", "name": "a", "host": "h", "devices": [], "bogus": 1}
                ]
            }
        )
    assert "bogus" in str(err.value) and "devices" in str(err.value)
    with pytest.raises(InvalidInput):
        parse_config(
            {"connectors": [{"kind": "mqtt", "name": "a", "client_id": "c", "topics": []}]}
        )
    with pytest.raises(InvalidInput):
        parse_config(
            {
                "connectors": [
                    {"kind": "files", "name": "x", "directory": "/tmp"},
                    {"kind": "files", "name": "x", "directory": "/tmp"},
                ]
            }
        )


CONFIG_EXAMPLES = [
    "bacnet.yaml",
    "connectors.yaml",
    "dlt645.yaml",
    "files.yaml",
    "iec104.yaml",
    "modbus.yaml",
    "mqtt.yaml",
    "opcua.yaml",
]


def test_collector_every_example_config_is_listed() -> None:
    shipped = {p.name for p in EXAMPLES.glob("*.yaml")}
    assert set(CONFIG_EXAMPLES) | {"mapping-wide.yaml"} == shipped


@pytest.mark.parametrize("example", CONFIG_EXAMPLES)
def test_collector_example_configs_in_the_docs_are_valid(example: str) -> None:
    config = load_config(EXAMPLES / example)
    for entry in config.connectors:
        build_connector(entry)


PARK_Q = """\
park:
  id: q
  name: 隔离测试园区
  province: 江苏
enterprises:
  - id: E01
    name: 测试企业
points:
  - id: P
    carrier: electricity_grid_import
    kind: measurement
    unit: kW
"""


async def test_refused_readings_reach_the_quarantine_with_their_reason_also_after_a_spill(
    tmp_path: Path,
) -> None:
    from lingtan.config import load_settings
    from lingtan.connectors.collector.sink import StoreSink
    from lingtan.registry.parkfile import parse_park_text
    from lingtan.store import open_store

    url = f"sqlite:///{tmp_path / 'q.db'}"
    store = open_store(url)
    try:
        store.registry.save_park(parse_park_text(PARK_Q))
    finally:
        store.close()
    sink = StoreSink(load_settings(database_url=url))
    down = [True]

    def flaky(batch: Sequence[Reading]) -> Any:
        if down[0]:
            raise Unavailable("store switched off")
        return sink(batch)

    batcher = Batcher(flaky, SpillBuffer(tmp_path / "state.sqlite", max_readings=100))
    at = [T0 + dt.timedelta(minutes=k) for k in range(4)]
    batch = [
        Reading("P", at[0], 1.5, source="t"),
        # refused by a connector with a detail, and with the reason alone
        Reading("P", at[1], 2.5, source="t", raw="ai,1 pv=2.5 status-flags=fault",
                problem="ai,1 → P: status flag fault set", reason="bacnet_status"),
        Reading("P", at[2], 3.5, source="t", reason="iec104_quality"),
        Reading("P", at[3], 4.5, source="t"),
    ]  # fmt: skip
    try:
        await batcher.submit(batch)
        await batcher.flush()  # the store is down: spilled
        assert batcher.buffer.readings == 4
        down[0] = False
        assert await batcher.replay_once()
    finally:
        await batcher.close()
        sink.close()
    store = open_store(url, migrate=False)
    try:
        _, values = store.readings.fetch(store.registry.points_by_code()["P"].id)
        rows = store.readings.rejected()
    finally:
        store.close()
    # the two healthy values are stored, the two refused ones are not
    assert values.tolist() == [1.5, 4.5]
    got = sorted((r["reason"], r["ts_text"], r["value_text"], r["detail"]) for r in rows)
    assert got == [
        ("bacnet_status", at[1].isoformat(), "2.5", "ai,1 → P: status flag fault set"),
        ("iec104_quality", at[2].isoformat(), "3.5", REASONS["iec104_quality"]),
    ]
    assert all(r["point_code"] == "P" and r["ts"] is not None for r in rows)
