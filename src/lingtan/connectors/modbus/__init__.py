"""Modbus TCP connector: register maps as data (``registers``), meter templates
(``library`` + ``templates/*.yaml``), the poller and the ``probe`` helper."""

from __future__ import annotations
