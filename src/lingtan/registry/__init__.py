"""The park model (园区模型): park → enterprises → sites/buildings → metering points."""

from __future__ import annotations

from lingtan.registry.model import (
    Carrier,
    Enterprise,
    MeteringLevel,
    ParkInfo,
    ParkModel,
    Point,
    PointKind,
    Site,
)
from lingtan.registry.parkfile import load_park_file, parse_park_text

__all__ = [
    "Carrier",
    "Enterprise",
    "MeteringLevel",
    "ParkInfo",
    "ParkModel",
    "Point",
    "PointKind",
    "Site",
    "load_park_file",
    "parse_park_text",
]
