"""The synthetic demo park (示范园区, 合成数据): clearly labelled synthetic, never real data."""

from __future__ import annotations
