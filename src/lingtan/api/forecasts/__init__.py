"""``/api/v1/forecasts``."""
