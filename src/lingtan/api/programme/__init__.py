"""``/api/v1/programme``: energy- and water-saving plans, measures and their verified savings, programme records."""
