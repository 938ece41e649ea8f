"""Sector GHG methods, one pure function per published equation, each citing its part and clause.

:mod:`.steel` (GB/T 32151.5), :mod:`.cement` (GB/T 32151.8), :mod:`.aluminium` (GB/T 32151.4 and
IPCC 2006 slope/overvoltage), :mod:`.carbonates` (general carbonate method), :mod:`.measurement`
(实测法: CEMS, measured carbon content) and :mod:`.sf6` (switchgear). Fuel combustion is
:mod:`lingtan.carbon.methods.gbt32150` (reused, not repeated). Factors are always arguments.
Clause numbers of the GB/T 32151 parts could not be checked against the purchased texts, so every
citation here says ``verified=False`` and names the section by its heading.
"""

from __future__ import annotations
