"""Convert the public transcription of GB 19153-2019's grade tables into the shipped data file.

The source is ``compressor.json`` of the repository adgo07/EquipEffi
(``src/equipeffi/resources/standards/compressor.json``, commit
a1643ed38e0b934bbc7562348883b8a8bd4badc5, 611 421 characters, 2 469 rows
GB19153-R000001…R002469): one row per compressor kind (表1–表4), rated power, grade (1–3),
discharge pressure and cooling, with the specific power limit in kW/(m3/min) or ``null`` where
the table has "-" (not applicable). This module copies every row, in order, value for value, to
``data/gb19153_2019.csv`` (one CSV line per JSON row, an empty ``specific_power`` for
``null``); nothing is edited, merged or interpolated. Run::

    python -m lingtan.equipment.gb19153_import compressor.json            # write the CSV
    python -m lingtan.equipment.gb19153_import compressor.json --check    # compare only

The grade record that uses the file (standard, edition, confidence, the mapping of the
register's ``compressor_kind`` to the tables) is ``gb19153-2019`` in ``data/grade_tables.yaml``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

#: the source file the shipped CSV was made from (its SHA-256 over the UTF-8 bytes)
SOURCE_REPO = "adgo07/EquipEffi"
SOURCE_PATH = "src/equipeffi/resources/standards/compressor.json"
SOURCE_COMMIT = "a1643ed38e0b934bbc7562348883b8a8bd4badc5"
SOURCE_SHA256 = "3366af7981134cc6284c6fe30fffb35990e2cb81e51101df86bdc20fb16d2308"

#: the CSV's columns; the JSON row's keys, ``data_id`` first
COLUMNS = (
    "data_id", "table", "type", "power_kw", "level", "pressure_mpa", "cooling",
    "specific_power", "source_pages",
)  # fmt: skip
_KEYS = frozenset(COLUMNS)
SHIPPED = "gb19153_2019.csv"


def _number(v: Any, where: str) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"{where}: not a number: {v!r}")
    return repr(v)


def to_csv(doc: dict[str, Any]) -> str:
    """The CSV text of the transcription ``doc`` (its rows in order, one line each).

    Raises :class:`ValueError` when the document is not GB 19153-2019's or a row does not have
    exactly the expected keys and types.
    """
    if doc.get("standard_code") != "GB 19153-2019":
        raise ValueError(f"standard_code: {doc.get('standard_code')!r}, not 'GB 19153-2019'")
    rows = doc.get("rows")
    if not isinstance(rows, list) or not rows:
        raise ValueError("rows: missing or empty")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for i, r in enumerate(rows):
        where = f"rows.{i}"
        if not isinstance(r, dict) or set(r) != _KEYS:
            raise ValueError(f"{where}: keys {sorted(r) if isinstance(r, dict) else r!r}")
        if r["level"] not in (1, 2, 3):
            raise ValueError(f"{where}.level: {r['level']!r}")
        sp = r["specific_power"]
        w.writerow([
            r["data_id"], r["table"], r["type"], _number(r["power_kw"], f"{where}.power_kw"),
            r["level"], _number(r["pressure_mpa"], f"{where}.pressure_mpa"), r["cooling"],
            "" if sp is None else _number(sp, f"{where}.specific_power"), r["source_pages"],
        ])  # fmt: skip
    return out.getvalue()


def shipped_csv() -> str:
    """The shipped ``data/gb19153_2019.csv``."""
    return resources.files("lingtan.equipment").joinpath("data", SHIPPED).read_text("utf-8")


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def main(argv: list[str] | None = None) -> int:
    """Command line: convert (or ``--check``) a downloaded ``compressor.json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="compressor.json of adgo07/EquipEffi")
    ap.add_argument("--out", type=Path, default=None, help="where to write the CSV")
    ap.add_argument("--check", action="store_true", help="compare with the shipped CSV")
    a = ap.parse_args(argv)
    raw = a.source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8")
    doc = json.loads(text)
    csv_text = to_csv(doc)
    n = len(doc["rows"])
    _say(f"{a.source}: {len(text)} characters, sha256 {digest}, {n} rows")
    if digest != SOURCE_SHA256:
        _say(f"note: not the file of commit {SOURCE_COMMIT} (sha256 {SOURCE_SHA256})")
    if a.check:
        same = csv_text == shipped_csv()
        _say("the shipped CSV is " + ("identical" if same else "DIFFERENT"))
        return 0 if same else 1
    out = a.out or Path(__file__).parent / "data" / SHIPPED
    out.write_text(csv_text, encoding="utf-8")
    _say(f"wrote {out} ({n} rows)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
