"""Factor records (grid, heat, fuels, standard coal) with provenance, and their loader."""

from __future__ import annotations

from lingtan.carbon.factors.loader import (
    FactorLibrary,
    FactorRecord,
    FactorSeries,
    default_library,
    grid_region_of,
    load_factor_file,
    normalise_province,
    parse_factor_document,
    provinces,
)

__all__ = [
    "FactorLibrary",
    "FactorRecord",
    "FactorSeries",
    "default_library",
    "grid_region_of",
    "load_factor_file",
    "normalise_province",
    "parse_factor_document",
    "provinces",
]
