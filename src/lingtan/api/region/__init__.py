"""Region mode endpoints (docs/region.md)."""
