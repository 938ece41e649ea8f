"""Microgrid dispatch (微电网调度): a carbon- and cost-aware plan solved with HiGHS."""
