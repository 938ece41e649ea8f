"""GB/T 4754-2017 国民经济行业分类: section letters and the divisions (大类) they contain.

Codes are written as the section letter followed by 2 (大类), 3 (中类) or 4 (小类) digits,
e.g. ``C3971`` (电子元件及电子专用材料制造 sits in division 39 of section C). Only the
section → division ranges are checked here; they are the table of sections of GB/T 4754-2017.
"""

from __future__ import annotations

import re
from typing import Final

#: section letter → (first division, last division), GB/T 4754-2017 门类
SECTIONS: Final[dict[str, tuple[int, int]]] = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 97),
    "T": (98, 98),
}

_CODE = re.compile(r"^([A-T])(\d{2}|\d{3}|\d{4})$")


def industry_problem(code: str) -> str | None:
    """None if ``code`` is a GB/T 4754-2017 code like ``C3971``, else why not."""
    match = _CODE.match(code)
    if match is None:
        return "must be a section letter A–T followed by 2, 3 or 4 digits (e.g. C3971)"
    section, digits = match.groups()
    first, last = SECTIONS[section]
    division = int(digits[:2])
    if not first <= division <= last:
        return f"division {digits[:2]} is not in section {section} ({first:02d}–{last:02d})"
    return None
