"""``lingtan report {park|enterprise|indicators|energy} --year 2025 --out FILE.xlsx|.html``.

* ``park`` — park annual carbon accounting report (910号 附件4 structure);
* ``enterprise`` — GHG inventory of one enterprise (GB/T 32150 structure; needs --enterprise);
* ``indicators`` — the 1 + 5 indicators with their evidence (park, or --enterprise);
* ``energy`` — energy statistics by carrier, month, enterprise and building (park or
  --enterprise).

The format follows the extension of ``--out``; reports are in Chinese unless ``--lang en``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lingtan.cli._common import ParkOption, console, domain_errors, overrides, park_of, settings
from lingtan.cli.indicators import enterprise_id_of
from lingtan.errors import InvalidInput
from lingtan.store import open_store


def report_command(
    kind: Annotated[str, typer.Argument(help="park | enterprise | indicators | energy")],
    year: Annotated[int, typer.Option("--year", help="data year, e.g. 2025")],
    out: Annotated[Path, typer.Option("--out", help="FILE.xlsx or FILE.html")],
    month: Annotated[int | None, typer.Option("--month", min=1, max=12)] = None,
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="enterprise code or id")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
    targets: Annotated[
        str | None,
        typer.Option(
            "--targets",
            help="override for this run: national, hunan, or a target-set file "
            "(default: the park's options)",
        ),
    ] = None,
    conversion: Annotated[
        str | None,
        typer.Option(
            "--conversion",
            help="override for this run: equivalent (当量值) or equal_value (等价值) "
            "(default: the park's options)",
        ),
    ] = None,
    park: ParkOption = None,
) -> None:
    """生成报告 — write a report as Excel or HTML."""
    from lingtan.indicators.options import IndicatorOptions
    from lingtan.options import service as park_options
    from lingtan.reports import KINDS, build_report

    with domain_errors():
        if kind not in KINDS:
            raise InvalidInput(f"report kind must be one of {', '.join(KINDS)}", field="kind")
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "html"):
            raise InvalidInput("--out must end in .xlsx or .html", field="out")
        if kind == "enterprise" and enterprise is None:
            raise InvalidInput("the enterprise report needs --enterprise", field="enterprise")
        changed = overrides(electricity_conversion=conversion, target_set=targets)
        with open_store(settings()) as store:
            park_id = park_of(store, park).id
            options = IndicatorOptions.of(
                park_options.used(store, park_id=park_id, overrides=changed)
            )
            eid = None if enterprise is None else enterprise_id_of(store, enterprise, park_id)
            data = build_report(
                store,
                kind=kind,  # type: ignore[arg-type]
                year=year,
                month=month,
                fmt=fmt,  # type: ignore[arg-type]
                enterprise_id=eid,
                lang=lang,
                options=options,
                actor="cli",
                park_id=park_id,
                profile_files=True,
            )
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        except OSError as err:
            raise InvalidInput(f"cannot write {out}: {err.strerror}", field="out") from err
    console.print(f"{out} ({len(data):,} bytes)")


def register(app: typer.Typer) -> None:
    """Add ``lingtan report``."""
    app.command("report")(report_command)
