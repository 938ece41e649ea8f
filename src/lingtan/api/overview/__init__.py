"""Dashboard data: park (or enterprise) overview, energy flow, data quality."""
