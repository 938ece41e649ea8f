"""Tests of lingtan.alarms."""
