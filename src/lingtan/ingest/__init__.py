"""Ingest pipeline: validate at the boundary → persist in one transaction → acknowledge."""

from __future__ import annotations

from lingtan.ingest.pipeline import REASONS, IngestAck, ingest, ingest_columns

__all__ = ["REASONS", "IngestAck", "ingest", "ingest_columns"]
