"""Meter templates: register maps shipped as YAML data files, each naming its source manual.

A template is ``templates/<id>.yaml`` with ``id``, ``vendor``, ``model``, a ``source``
(document, version, url, addressing convention, notes), ``defaults`` applied to every row,
``max_gap`` (unread registers a block read may span) and ``registers``. ``extends: <id>``
starts from another template and replaces the rows with the same ``key``. Adding a meter is
a data edit: drop a YAML file here (or give ``registers:`` inline in the collector config).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from lingtan.connectors.modbus.registers import RegisterSpec, data_type
from lingtan.errors import InvalidInput, NotFound

_ROW_KEYS = {
    "key",
    "address",
    "type",
    "function",
    "order",
    "scale",
    "offset",
    "unit",
    "kind",
    "name",
}


@dataclass(frozen=True)
class Template:
    """A named register map with its provenance."""

    id: str
    vendor: str
    model: str
    source: dict[str, str]
    registers: tuple[RegisterSpec, ...]
    max_gap: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def spec(self, key: str) -> RegisterSpec:
        """The register row called ``key``."""
        for spec in self.registers:
            if spec.key == key:
                return spec
        raise NotFound(f"template {self.id} has no register {key!r}")

    @property
    def keys(self) -> list[str]:
        """Register keys in table order."""
        return [s.key for s in self.registers]


def parse_rows(
    rows: list[dict[str, Any]], defaults: dict[str, Any] | None = None
) -> list[RegisterSpec]:
    """Register rows (YAML/JSON dicts) → :class:`RegisterSpec`, with ``defaults`` applied."""
    specs: list[RegisterSpec] = []
    base = dict(defaults or {})
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InvalidInput(f"register row {index} is not a mapping", field="registers")
        unknown = set(row) - _ROW_KEYS
        if unknown:
            raise InvalidInput(
                f"register row {index} has unknown fields {sorted(unknown)}", field="registers"
            )
        merged = {**base, **row}
        if "key" not in merged or "address" not in merged:
            raise InvalidInput(f"register row {index} needs key and address", field="registers")
        address = merged["address"]
        if isinstance(address, str):
            address = int(address, 0)
        specs.append(
            RegisterSpec(
                key=str(merged["key"]),
                address=int(address),
                type=data_type(str(merged.get("type", "uint16"))),
                function=int(merged.get("function", 3)),
                order=str(merged.get("order", "ABCD")),
                scale=float(merged.get("scale", 1.0)),
                offset=float(merged.get("offset", 0.0)),
                unit=None if merged.get("unit") is None else str(merged["unit"]),
                kind=str(merged.get("kind", "measurement")),
                name=str(merged.get("name", "")),
            )
        )
    keys = [s.key for s in specs]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise InvalidInput(f"duplicate register keys {sorted(dupes)}", field="registers")
    return specs


def _raw(template_id: str) -> dict[str, Any]:
    name = f"{template_id}.yaml"
    folder = resources.files("lingtan.connectors.modbus") / "templates"
    path = folder / name
    if not path.is_file():
        raise NotFound(f"no Modbus template {template_id!r}; known: {', '.join(template_ids())}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("id") != template_id:
        raise InvalidInput(f"template file {name} must define id: {template_id}", field="template")
    return data


@cache
def load_template(template_id: str) -> Template:
    """The template ``template_id`` (``chint_dtsu666`` …), resolving ``extends``."""
    data = _raw(template_id)
    rows: list[dict[str, Any]] = []
    defaults: dict[str, Any] = {}
    max_gap = 0
    vendor = model = ""
    if "extends" in data:
        parent = _raw(str(data["extends"]))
        defaults = dict(parent.get("defaults") or {})
        rows = list(parent.get("registers") or [])
        max_gap = int(parent.get("max_gap", 0))
        vendor, model = str(parent.get("vendor", "")), str(parent.get("model", ""))
    defaults.update(data.get("defaults") or {})
    own = list(data.get("registers") or [])
    own_keys = {r.get("key") for r in own}
    rows = [r for r in rows if r.get("key") not in own_keys] + own
    source = {str(k): str(v) for k, v in (data.get("source") or {}).items()}
    for required in ("document", "version"):
        if not source.get(required):
            raise InvalidInput(
                f"template {template_id} must name its source {required}", field="source"
            )
    return Template(
        id=template_id,
        vendor=str(data.get("vendor", vendor)),
        model=str(data.get("model", model)),
        source=source,
        registers=tuple(parse_rows(rows, defaults)),
        max_gap=int(data.get("max_gap", max_gap)),
    )


def template_ids() -> list[str]:
    """Ids of the shipped templates."""
    folder = resources.files("lingtan.connectors.modbus") / "templates"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
