"""Normalisation: raw readings → hourly statistics with quality (docs/data-quality.md)."""

from __future__ import annotations
