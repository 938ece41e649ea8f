"""Meter replacements (换表) of register points: record one, list a point's."""
