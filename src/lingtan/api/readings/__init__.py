"""Readings: HTTP bulk ingest, raw readings, statistics with quality labels, quarantine."""
