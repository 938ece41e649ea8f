"""``/api/v1/alarms``: alarms, rules and maintenance windows."""
