"""The standards the programme implements or cites (``data/standards.yaml``), validated."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).parent / "data" / "standards.yaml"


class StandardRecord(BaseModel):
    """One standard: number (null when not confirmed), edition in the number, use, source."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1)
    number: str | None
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    used_for: str = Field(min_length=1)
    clause: str | None = None
    confidence: Literal["H", "M", "L"]
    source: str = Field(min_length=1)


@functools.cache
def standards() -> tuple[StandardRecord, ...]:
    """Every standard record."""
    data: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return tuple(StandardRecord.model_validate(r) for r in data["standards"])
