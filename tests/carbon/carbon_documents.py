"""Activity documents shared by the carbon tests."""

from __future__ import annotations

from typing import Any


def park_document(**overrides: Any) -> dict[str, Any]:
    """A minimal valid activity document (park, 江苏, 2023) with ``overrides`` applied."""
    doc: dict[str, Any] = {"boundary": "park", "name": "测试园区", "year": 2023, "province": "江苏"}
    doc.update(overrides)
    return doc
