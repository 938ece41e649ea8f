"""``lingtan acceptance pack --year 2025 --out FILE.zip``: the zero-carbon park evaluation and
acceptance pack (零碳园区评价验收评估包, docs/outbound.md) — one ZIP per park and year with the
1+5 indicators and their evidence, the Annex 4 accounting with factor sources, energy
statistics, green-power evidence, metering coverage and a manifest of SHA-256 hashes; the same
data gives the same bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lingtan.cli._common import ParkOption, console, domain_errors, park_of, settings
from lingtan.errors import InvalidInput
from lingtan.store import open_store

acceptance_app = typer.Typer(help="零碳园区评价验收 — zero-carbon park evaluation and acceptance.")


def pack(
    year: Annotated[int, typer.Option("--year", help="data year, e.g. 2025")],
    out: Annotated[Path, typer.Option("--out", help="FILE.zip")],
    lang: Annotated[str, typer.Option("--lang", help="zh or en (reports in the pack)")] = "zh",
    park: ParkOption = None,
) -> None:
    """生成验收评估包 — write the acceptance pack of a year as a ZIP."""
    from lingtan.exchange.pack import build_pack, sha256_hex

    with domain_errors():
        if out.suffix.lower() != ".zip":
            raise InvalidInput("--out must end in .zip", field="out")
        with open_store(settings()) as store:
            data = build_pack(store, year=year, park_id=park_of(store, park).id, lang=lang)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        except OSError as err:
            raise InvalidInput(f"cannot write {out}: {err.strerror}", field="out") from err
    console.print(f"{out} ({len(data):,} bytes, SHA-256 {sha256_hex(data)})")


def register(app: typer.Typer) -> None:
    """Add ``lingtan acceptance``."""
    acceptance_app.command("pack")(pack)
    app.add_typer(acceptance_app, name="acceptance")
