"""``/api/v1/matching`` and ``/api/v1/grid-factors``."""
