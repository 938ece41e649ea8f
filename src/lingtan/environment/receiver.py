"""HJ 212 data into the store: the sink of :class:`~lingtan.connectors.hj212.server.Hj212Server`
that writes accepted records through the ingest pipeline.

* Which records become readings: the station's ``resolution`` — ``hour``: the hourly averages
  (2061 ``-Avg``) stamped at the hour's start (HJ 212 ``DataTime``); ``minute``: the minute
  averages (2051 ``-Avg``). Real-time (2011) and daily (2031) data are counted by the server,
  not stored: the hourly statistics of the points are computed from the stored values.
* Flags → quality: a value flagged ``N`` is a measured reading; any other flag (F, M, S, D, C, T,
  B or unknown) is refused as ``station_flag`` with the flag and its label in the detail and
  kept in the quarantine with the packet's data — never dropped.
* A pollutant code the station does not declare becomes a reading of ``<MN>/<code>`` (at the
  station's resolution), which the pipeline rejects as ``unknown_point`` and keeps.
* Batches (group commit): while one ingest call (one transaction, in a worker thread) is
  running, the records of all connections that arrive wait and are written together by the
  next call; each packet's sink call returns only after the commit of its batch, so the
  server's 9014 answer follows the commit.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from lingtan.connectors.hj212.packet import pollutant_codes
from lingtan.connectors.hj212.server import DataRecord
from lingtan.environment.stations import Station
from lingtan.ingest import IngestAck, ingest
from lingtan.readings import Reading
from lingtan.store import Store

_CN = {"hour": "2061", "minute": "2051"}


@dataclass(frozen=True, slots=True)
class Target:
    """Where a station's pollutant goes."""

    point: str
    unit: str
    cn: str


def targets(stations: Iterable[Station]) -> dict[tuple[str, str], Target]:
    """(MN, HJ 212 pollutant code) → the point, unit and command stored."""
    by_parameter = {v["parameter"]: code for code, v in pollutant_codes().items()}
    out: dict[tuple[str, str], Target] = {}
    for st in stations:
        for p in st.parameters:
            code = p.hj212 or by_parameter.get(p.parameter)
            if code is not None:
                out[(st.mn, code)] = Target(st.point_code(p.parameter), p.unit, _CN[st.resolution])
    return out


def readings_of(
    records: Iterable[DataRecord],
    routes: dict[tuple[str, str], Target],
    cn_of: dict[str, str] | None = None,
) -> tuple[list[Reading], list[tuple[Reading, str, str]]]:
    """The readings of accepted records, and the refused ones with reason and detail; an
    undeclared pollutant is kept (as an unknown point) at the station's resolution only
    (``cn_of``: MN → the command stored)."""
    keep: list[Reading] = []
    refused: list[tuple[Reading, str, str]] = []
    for r in records:
        target = routes.get((r.mn, r.pollutant))
        if target is not None and r.cn != target.cn:
            continue  # another resolution than the station stores
        if target is None and r.cn != (cn_of or {}).get(r.mn, _CN["hour"]):
            continue
        value = r.values.get("Avg", r.values.get("Rtd"))
        raw = json.dumps(
            {"mn": r.mn, "cn": r.cn, "qn": r.qn, "pollutant": r.pollutant, "values": r.values,
             "flag": r.flag, "data_time": r.data_time.isoformat()},
            ensure_ascii=False,
        )  # fmt: skip
        reading = Reading(
            point=target.point if target is not None else f"{r.mn}/{r.pollutant}",
            ts=r.data_time,
            value=value,
            unit=target.unit if target is not None else None,
            source=f"hj212:{r.mn}",
            raw=raw,
        )
        if target is not None and not r.valid:
            detail = f"HJ 212 flag {r.flag or '?'} → quality {r.quality}; not a valid value"
            refused.append((reading, "station_flag", detail))
        else:
            keep.append(reading)
    return keep, refused


class StoreSink:
    """The async sink: group commit of the records of all connections (module docstring).

    A batch is written as soon as the previous write has finished: records that arrive while a
    write is running wait for it and go together into the next one, so the batch grows with
    the load and a lone station waits for one commit only."""

    def __init__(self, store: Store, stations: Iterable[Station]) -> None:
        self.store = store
        self.routes = targets(stations)
        self.cn_of = {st.mn: _CN[st.resolution] for st in stations}
        #: readings accepted, duplicates and rejected (by reason) since the sink was made
        self.totals: Counter[str] = Counter()
        self._pending: list[tuple[list[Reading], list[tuple[Reading, str, str]], asyncio.Future[None]]] = []  # fmt: skip
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, records: list[DataRecord]) -> None:
        keep, refused = readings_of(records, self.routes, self.cn_of)
        if not keep and not refused:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((keep, refused, fut))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        await fut

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(
        self,
        batch: list[tuple[list[Reading], list[tuple[Reading, str, str]], asyncio.Future[None]]],
    ) -> None:
        keep = [r for k, _, _ in batch for r in k]
        refused = [x for _, rf, _ in batch for x in rf]
        try:
            ack = await asyncio.to_thread(ingest, self.store, keep, source="hj212", refused=refused)
        except Exception as err:  # every packet of the batch stays unanswered
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_exception(err)
            return
        self._count(ack)
        for _, _, fut in batch:
            if not fut.done():
                fut.set_result(None)

    def _count(self, ack: IngestAck) -> None:
        self.totals["accepted"] += ack.accepted
        self.totals["duplicates"] += ack.duplicates
        for reason, n in ack.reasons.items():
            self.totals[f"rejected:{reason}"] += n

    async def close(self) -> None:
        """Wait for the write in progress (packets still waiting are answered by it)."""
        if self._writer is not None:
            await self._writer


__all__ = ["StoreSink", "Target", "readings_of", "targets"]
