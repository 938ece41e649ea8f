"""Users and API keys (administrators)."""
