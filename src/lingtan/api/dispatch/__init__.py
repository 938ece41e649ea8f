"""``/api/v1/dispatch``: dispatch plans of the park microgrid."""
