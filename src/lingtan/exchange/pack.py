"""The zero-carbon park evaluation and acceptance pack (零碳园区评价验收评估包).

One ZIP archive per park and year holding the evidence an evaluation or acceptance review asks
for (发改环资〔2025〕910号《关于开展零碳园区建设的通知》 — the 1+5 indicators and Annex 4 park
carbon accounting):

* ``indicators/`` — the “1+5” indicator evaluation (JSON with each indicator's evidence, and the
  HTML report of :mod:`lingtan.reports.indicators`);
* ``accounting/`` — the Annex 4 park inventory with its explanation lines and the factor records
  used, each with its source (JSON, and the HTML report of :mod:`lingtan.reports.carbon`);
* ``energy/`` — energy statistics in tce by carrier, month, enterprise and building (JSON, and
  the HTML report of :mod:`lingtan.reports.energy`);
* ``green/`` — 绿证 certificates, retirements and green-power trade settlements of the park, with
  the certificate ids counted in the year;
* ``metering/`` — metering coverage (计量覆盖) by carrier against the requirement, and data quality;
* ``README.txt`` and ``manifest.json`` — the SHA-256, size and media type of every other file.

Reproducible byte for byte: the members are written in name order with a fixed timestamp
(1980-01-01, the ZIP epoch), fixed permissions and DEFLATE level 9; JSON is written with sorted
keys; report footers carry no clock time (the generator's version only); nothing is persisted
while building (the accounting is run with ``persist=False``), so building twice from the same
data gives the same bytes. The only times in the content are the data's own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any, Final

from lingtan import __version__
from lingtan.accounting import account_park
from lingtan.carbon import FactorLibrary, default_library
from lingtan.errors import InvalidInput
from lingtan.indicators.energy import energy_statistics
from lingtan.indicators.evaluate import evaluate
from lingtan.indicators.options import IndicatorOptions
from lingtan.options import service as park_options
from lingtan.reports.carbon import park_report
from lingtan.reports.energy import energy_report
from lingtan.reports.html import write_html
from lingtan.reports.indicators import indicators_report
from lingtan.reports.model import Report
from lingtan.store import Store
from lingtan.store.greenpower_repo import GreenpowerRepo

#: the fixed member timestamp (the earliest a ZIP entry can carry)
ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
#: the pack format, written in the manifest (bump when the layout changes)
PACK_FORMAT: Final = "lingtan-acceptance-pack/1"
MANIFEST: Final = "manifest.json"
_MEDIA: Final = {
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data (dataclasses, pydantic models, dates, enums, sets)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return plain(dump(mode="json"))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def json_bytes(data: Any) -> bytes:
    """Canonical JSON: sorted keys, UTF-8, one space indent, a final newline."""
    text = json.dumps(plain(data), ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False)
    return (text + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def media_type(name: str) -> str:
    """The media type of a member by its extension."""
    for ext, media in _MEDIA.items():
        if name.endswith(ext):
            return media
    return "application/octet-stream"


def manifest(files: Mapping[str, bytes], header: Mapping[str, Any]) -> bytes:
    """The manifest of ``files`` (every member but the manifest itself), sorted by path."""
    entries = [
        {
            "path": name,
            "sha256": sha256_hex(data),
            "bytes": len(data),
            "media_type": media_type(name),
        }
        for name, data in sorted(files.items())
    ]
    return json_bytes({**header, "hash_algorithm": "SHA-256", "files": entries})


def write_zip(files: Mapping[str, bytes]) -> bytes:
    """A deterministic ZIP of ``files``: name order, the fixed timestamp, mode 0644, DEFLATE 9."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            if name.startswith("/") or ".." in name.split("/"):
                raise InvalidInput(
                    f"pack member name {name!r} is not a relative path", field="name"
                )
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the building host
            info.external_attr = 0o100644 << 16
            zf.writestr(info, files[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def verify_pack(data: bytes) -> list[str]:
    """Problems found checking a pack against its manifest (empty: every hash matches and no
    member is missing or unlisted)."""
    problems: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist()) - {MANIFEST}
        listed = json.loads(zf.read(MANIFEST))["files"]
        seen = set()
        for entry in listed:
            seen.add(entry["path"])
            if entry["path"] not in names:
                problems.append(f"{entry['path']}: listed but missing")
            elif sha256_hex(zf.read(entry["path"])) != entry["sha256"]:
                problems.append(f"{entry['path']}: SHA-256 differs")
        problems.extend(f"{n}: not in the manifest" for n in sorted(names - seen))
    return problems


def _fixed_footer(report: Report, lang: str) -> Report:
    """The report without its generation time (the pack must not depend on the clock)."""
    text = (
        f"由 lingtan（零碳）{__version__} 生成（验收评估包）"
        if lang == "zh"
        else f"Generated by lingtan {__version__} (acceptance pack)"
    )
    return dataclasses.replace(report, footer=text)


def _readme(park_name: str, park_code: str, year: int) -> bytes:
    lines = [
        f"零碳园区评价验收评估包 — {park_name}（{park_code}）{year} 年",
        f"Zero-carbon park evaluation and acceptance pack — {park_name} ({park_code}), {year}",
        "",
        "indicators/  “1+5”指标评价及证据 / the 1+5 indicators with their evidence",
        "accounting/  园区碳排放核算（910号 附件4）及因子来源 / Annex 4 accounting, factor sources",
        "energy/      能源统计（tce）/ energy statistics in tce",
        "green/       绿证、绿电交易凭证 / green certificates and green-power trades",
        "metering/    计量覆盖及数据质量 / metering coverage and data quality",
        "manifest.json 每个文件的 SHA-256 / the SHA-256 of every file",
        "",
        "校验 / check:  sha256sum of each file = manifest.json files[].sha256",
        f"生成工具 / generator: lingtan {__version__} ({PACK_FORMAT})",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def pack_files(
    store: Store,
    *,
    year: int,
    park_id: int | None = None,
    lang: str = "zh",
    options: IndicatorOptions | None = None,
    library: FactorLibrary | None = None,
) -> dict[str, bytes]:
    """Every member of the pack of ``year`` for the park (manifest included)."""
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2100:
        raise InvalidInput("year must be a whole number in 1990–2100", field="year")
    if lang not in ("zh", "en"):
        raise InvalidInput("lang must be zh or en", field="lang")
    park = store.registry.park(park_id)
    opts = options or IndicatorOptions.of(park_options.used(store, park_id=park.id))
    lib = library or default_library()
    files: dict[str, bytes] = {}

    stats = energy_statistics(store, year=year, options=opts, library=lib, park_id=park.id)
    files["energy/statistics.json"] = json_bytes(stats.as_dict())
    files["energy/report.html"] = write_html(_fixed_footer(energy_report(stats, lang=lang), lang))
    files["metering/coverage.json"] = json_bytes(
        {
            "period": stats.period.as_dict(),
            "coverage": [c.as_dict() for c in stats.coverage],
            "requirement": stats.coverage_requirement.brief(),
            "quality": stats.quality.as_dict(),
            "basis": "GB 17167 metering levels; coverage as computed by lingtan.indicators.energy",
        }
    )

    ev = evaluate(store, year=year, options=opts, library=lib, park_id=park.id)
    files["indicators/evaluation.json"] = json_bytes(ev.as_dict(lang))
    files["indicators/report.html"] = write_html(
        _fixed_footer(indicators_report(ev, lang=lang), lang)
    )

    acc: dict[str, Any] = {
        "options": opts.accounting_options(),
        "metering": opts.metering_options(),
        "used": opts.used,
        "library": lib,
        "park_id": park.id,
        "persist": False,
    }
    result = account_park(store, year=year, **acc)
    months = []
    for m in range(1, 13):
        try:
            months.append(account_park(store, year=year, month=m, **acc))
        except InvalidInput:
            continue  # a month without energy data has no intensity (as the park report does)
    inventory = result.as_dict(explain=True, lang=lang)
    files["accounting/park-annex4.json"] = json_bytes(inventory)
    files["accounting/factors.json"] = json_bytes(
        {
            "factors": inventory.get("factors", []),
            "unverified": inventory.get("unverified_factors", []),
        }
    )
    core = evaluate(
        store,
        year=year,
        options=opts,
        library=lib,
        indicators=["carbon_per_energy"],
        park_id=park.id,
    ).indicators[0]
    files["accounting/report.html"] = write_html(
        _fixed_footer(park_report(result, months=months, core=core, lang=lang), lang)
    )

    ledger = GreenpowerRepo(store)
    certs = ledger.certificates(
        park_id=park.id, park=park.code, enterprise_scope=None, claimant=None
    )
    settlements = [
        x
        for x in ledger.settlements(park=park.code, buyers=None)
        if str(x.month).startswith(str(year))
    ]
    counted = set(stats.cert_ids)
    files["green/certificates.json"] = json_bytes(
        {
            "year": year,
            "counted_cert_ids": sorted(counted),
            "certificates": [
                {
                    **plain(row.certificate),
                    "kwh": row.certificate.kwh,
                    "holder_enterprise_id": row.enterprise_id,
                    "imported_at": row.imported_at,
                    "imported_by": row.imported_by,
                    "retirement": plain(row.retirement),
                    "counted_in_year": row.certificate.cert_id in counted,
                }
                for row in certs
            ],
            "green_electricity": inventory.get("green_electricity"),
        }
    )
    files["green/settlements.json"] = json_bytes({"year": year, "settlements": plain(settlements)})
    files["README.txt"] = _readme(park.name, park.code, year)
    header = {
        "format": PACK_FORMAT,
        "generator": f"lingtan {__version__}",
        "park": {"code": park.code, "name": park.name, "province": park.province},
        "year": year,
        "lang": lang,
        "options": opts.as_dict(),
    }
    files[MANIFEST] = manifest(files, header)
    return files


def build_pack(
    store: Store,
    *,
    year: int,
    park_id: int | None = None,
    lang: str = "zh",
    options: IndicatorOptions | None = None,
    library: FactorLibrary | None = None,
) -> bytes:
    """The acceptance pack of ``year`` for the park as ZIP bytes (see the module docstring)."""
    return write_zip(
        pack_files(store, year=year, park_id=park_id, lang=lang, options=options, library=library)
    )


def pack_filename(park_code: str, year: int) -> str:
    """``acceptance-pack-<park>-<year>.zip`` (safe characters only)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in park_code)
    return f"acceptance-pack-{safe}-{year}.zip"
