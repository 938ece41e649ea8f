"""统一社会信用代码 (unified social credit code) validation, GB 32100-2015.

An 18-character code: registration authority (1), organisation type (1), administrative
division (6), organisation code (9, itself GB 11714 with its own check character) and a check
character. The check character of GB 32100-2015 §5 is computed over the first 17 characters
with the weights 3^i mod 31 and the 31-character alphabet that omits I, O, Z, S and V.
"""

from __future__ import annotations

from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: W_i = 3^(i-1) mod 31 for positions 1..17 (GB 32100-2015 §5)
WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a code."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None if ``code`` is a well-formed USCC with a correct check character, else why not."""
    if len(code) != 18:
        return f"must have 18 characters, has {len(code)}"
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        return f"contains characters outside the GB 32100 alphabet: {''.join(bad)}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]!r}, GB 32100-2015 gives {expected!r}"
    return None
