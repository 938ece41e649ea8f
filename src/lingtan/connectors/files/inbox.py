"""Files connector: imports CSV/xlsx files dropped into an inbox folder.

Every ``interval_s`` the folder is listed; each new file matching ``pattern`` is converted
with the column mapping and submitted. Once its readings are durable (committed or spilled)
the file moves to ``done/``; a file that cannot be read moves to ``failed/`` with a
``.error.txt`` beside it. A crash before the commit leaves the file in the inbox, and the
next run imports it again (the idempotent ingest counts the repeats as duplicates).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path

from lingtan.connectors.base import ConnectorContext, raise_if_cancelled
from lingtan.connectors.files.tabular import ColumnMapping, load
from lingtan.errors import InvalidInput

log = logging.getLogger(__name__)


class FilesConnector:
    """Watches one inbox folder."""

    kind = "files"

    def __init__(
        self,
        name: str,
        directory: Path,
        mapping: ColumnMapping,
        *,
        pattern: str = "*.csv",
        interval_s: float = 10.0,
    ) -> None:
        self.name = name
        self.directory = Path(directory)
        self.mapping = mapping
        self.pattern = pattern
        self.interval_s = interval_s
        self._in_flight: set[Path] = set()

    async def run(self, ctx: ConnectorContext) -> None:
        """Scan the inbox until cancelled."""
        for sub in ("done", "failed"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        ctx.stats.state = "running"
        while True:
            raise_if_cancelled()
            await self.scan(ctx)
            await asyncio.sleep(self.interval_s)

    async def scan(self, ctx: ConnectorContext) -> int:
        """Import every new file once; returns how many were submitted."""
        submitted = 0
        for path in sorted(self.directory.glob(self.pattern)):
            if not path.is_file() or path in self._in_flight:
                continue
            try:
                converted = await asyncio.to_thread(load, path, self.mapping)
            except (InvalidInput, OSError) as err:
                ctx.stats.record_error(f"{path.name}: {err}")
                ctx.reject_payload(f"file:{path.name}", "file_unreadable", str(err))
                self._move(path, "failed", str(err))
                continue
            self._in_flight.add(path)
            ctx.stats.record_readings(len(converted.readings))
            await ctx.submit(converted.readings, on_committed=self._done_callback(path))
            submitted += 1
        return submitted

    def _done_callback(self, path: Path):  # type: ignore[no-untyped-def]
        def done() -> None:
            self._in_flight.discard(path)
            self._move(path, "done")

        return done

    def _move(self, path: Path, folder: str, error: str | None = None) -> None:
        target = self.directory / folder / path.name
        with contextlib.suppress(FileNotFoundError):
            shutil.move(str(path), str(target))
        if error is not None:
            target.with_name(target.name + ".error.txt").write_text(error + "\n", encoding="utf-8")
        log.info("%s: %s → %s", self.name, path.name, folder)
