"""Zero-carbon park indicators (1 core + 5 guiding), energy statistics and statistics records."""

from __future__ import annotations
