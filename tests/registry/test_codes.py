"""统一社会信用代码 check characters and GB/T 4754 codes."""

from __future__ import annotations

import pytest

from lingtan.registry.formula import parse_formula
from lingtan.registry.industry import industry_problem
from lingtan.registry.uscc import check_character, uscc_problem

# Codes as published in the National Enterprise Credit Information Publicity System
# (国家企业信用信息公示系统) for 华为技术有限公司, 阿里巴巴（中国）有限公司 and
# 深圳市腾讯计算机系统有限公司.
PUBLISHED = ["914403001922038216", "91330100716105852F", "91440300708461136T"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_validate(code: str) -> None:
    assert uscc_problem(code) is None
    assert check_character(code[:17]) == code[17]


def test_wrong_check_character_is_named() -> None:
    problem = uscc_problem("914403001922038217")
    assert problem is not None and "'6'" in problem


@pytest.mark.parametrize(
    ("code", "fragment"),
    [("91440300708461136", "18 characters"), ("9144030070846113IT", "alphabet")],
)
def test_malformed_codes(code: str, fragment: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize("code", ["C3971", "C39", "D4411", "A01", "T98"])
def test_industry_codes_ok(code: str) -> None:
    assert industry_problem(code) is None


@pytest.mark.parametrize(
    ("code", "fragment"), [("C44", "not in section C"), ("X12", "section letter"), ("C3", "digits")]
)
def test_industry_codes_bad(code: str, fragment: str) -> None:
    problem = industry_problem(code)
    assert problem is not None and fragment in problem


def test_formula_parses_ids_with_dashes_and_weights() -> None:
    f = parse_formula("E01-main + 0.5*E02-hvac - PV-export")
    assert [(t.coefficient, t.point) for t in f.terms] == [
        (1.0, "E01-main"),
        (0.5, "E02-hvac"),
        (-1.0, "PV-export"),
    ]
    assert f.evaluate({"E01-main": 10, "E02-hvac": 4, "PV-export": 3}) == 9.0


@pytest.mark.parametrize("text", ["", "a +", "a b", "a+b", "+ + a"])
def test_formula_errors(text: str) -> None:
    with pytest.raises(ValueError, match="formula"):
        parse_formula(text)
