"""``/api/v1/compliance``: limit levels, 标杆/基准, grading, backward list, admission checks."""
