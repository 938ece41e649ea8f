"""``/api/v1/tariffs``, ``/api/v1/costs`` and ``/api/v1/bills``."""
