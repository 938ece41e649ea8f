"""Every 统一社会信用代码 in the documentation carries a correct GB 32100-2015 check character.

The check is computed here on its own (GB 32100-2015 §5: weights W_i for positions 1–17, the
31-character code alphabet without I, O, Z, S, V, C_18 = 31 − (Σ C_i × W_i mod 31)) and tried
on two published codes first. A code may appear with a wrong check character only inside the
loader's rejection message that the docs quote, and that message must then name the right one.
"""

from __future__ import annotations

import re
from pathlib import Path

from lingtan.registry.uscc import uscc_problem

ROOT = Path(__file__).resolve().parents[2]
#: GB 32100-2015 §5, table of weights for positions 1..17
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: an 18-character code: registration authority, type, 6-digit division, 10 more characters
CODE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}(?![0-9A-Z])")
#: the loader's message for a wrong check character (lingtan.registry.uscc)
REJECTION = re.compile(
    r"统一社会信用代码 (?P<code>\S{18}): check character is '(?P<given>.)', "
    r"GB 32100-2015 gives '(?P<right>.)'"
)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def test_the_check_agrees_with_published_codes() -> None:
    # 华为技术有限公司 and 深圳市腾讯计算机系统有限公司, as the national enterprise credit
    # information publicity system lists them
    for code in ("914403001922038216", "91440300708461136T"):
        assert check_character(code[:17]) == code[17], code
        assert uscc_problem(code) is None
    assert check_character("91440300192203821") != "7"


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]


def test_every_uscc_in_the_docs_passes_the_check_digit() -> None:
    seen = 0
    for doc in _documents():
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            rejected = {m["code"]: m for m in REJECTION.finditer(line)}
            for code in CODE.findall(line):
                seen += 1
                where = f"{doc.relative_to(ROOT)}:{n} {code}"
                if code in rejected:  # the example of a refused code says what is right
                    m = rejected[code]
                    assert m["given"] == code[17] != m["right"], where
                    assert check_character(code[:17]) == m["right"], where
                    assert uscc_problem(code) == (
                        f"check character is {code[17]!r}, GB 32100-2015 gives {m['right']!r}"
                    ), where
                else:
                    assert check_character(code[:17]) == code[17], where
                    assert uscc_problem(code) is None, where
    assert seen >= 2  # the park file's example and its rejection message at least
