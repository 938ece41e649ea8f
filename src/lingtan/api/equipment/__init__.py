"""``/api/v1/equipment``."""
