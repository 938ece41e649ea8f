"""``/api/v1/options``: the park's options (one stored, versioned setting behind every number)."""
