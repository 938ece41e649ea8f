"""Published accounting equations, one function each, citing their standard and clause.

Modules: :mod:`~lingtan.carbon.methods.park_annex4` (发改环资〔2025〕910号 附件4),
:mod:`~lingtan.carbon.methods.gbt32150` (enterprises), :mod:`~lingtan.carbon.methods.scope2`
(location- and market-based electricity), :mod:`~lingtan.carbon.methods.gbt51366` (building
operation) and :mod:`~lingtan.carbon.methods.gbt2589` (energy consumption in tce). Factors are
always arguments; nothing here looks one up.
"""

from __future__ import annotations
