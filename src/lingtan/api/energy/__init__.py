"""Energy statistics by carrier, owner, building and month (physical units and tce)."""
