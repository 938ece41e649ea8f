"""Schemas of the options endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class OptionsVersionOut(BaseModel):
    """One version of the park's options (version 0: the defaults, never stored)."""

    version: int
    options: dict[str, Any] = Field(description="every option's value (docs/options.md)")
    changed_at: str | None = Field(description="when this version was stored (UTC)")
    changed_by: str | None
    reason: str | None
    described: list[str] = Field(description="one line per option, in the caller's language")


class OptionsChange(BaseModel):
    """A change of the park's options: a new version with ``changes`` applied."""

    changes: dict[str, Any] = Field(
        description="option names and their new values, e.g. {'export_kind': 'fossil'}"
    )
    reason: str | None = Field(default=None, max_length=2000, description="why (kept)")
    expected_version: int | None = Field(
        default=None,
        ge=0,
        le=2**31 - 1,
        description="refuse the change (409) when the options are no longer at this version",
    )
