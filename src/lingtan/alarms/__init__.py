"""Alarms, events and emergencies (告警与应急)."""
