"""Tests of lingtan.alarms.notify."""
