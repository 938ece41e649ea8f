"""GB 3838-2002 classes: worst parameter, DO as a minimum, pH as a range."""

from __future__ import annotations

import pytest

from lingtan.environment.limits import water_parameter
from lingtan.environment.water import parameter_class, section_class


@pytest.mark.parametrize(
    ("value", "cls"),
    [(8.0, "I"), (7.5, "I"), (6.0, "II"), (5.0, "III"), (4.9, "IV"), (2.0, "V"), (1.9, "劣V")],
)
def test_dissolved_oxygen_is_a_minimum(value: float, cls: str) -> None:
    # DO limits I…V: ≥7.5, ≥6, ≥5, ≥3, ≥2 mg/L; a value equal to a limit meets it
    assert parameter_class(value, water_parameter("DO")) == cls


@pytest.mark.parametrize(
    ("value", "cls"),
    [(0.15, "I"), (0.16, "II"), (0.5, "II"), (1.0, "III"), (1.2, "IV"), (2.0, "V"), (2.01, "劣V")],
)
def test_ammonia_is_a_maximum(value: float, cls: str) -> None:
    # NH3-N limits I…V: ≤0.15, ≤0.5, ≤1.0, ≤1.5, ≤2.0 mg/L
    assert parameter_class(value, water_parameter("NH3-N")) == cls


def test_ph_is_a_range_for_every_class() -> None:
    ph = water_parameter("pH")
    assert [parameter_class(x, ph) for x in (6.0, 7.2, 9.0, 5.9, 9.5)] == [
        "I",
        "I",
        "I",
        "劣V",
        "劣V",
    ]


def test_section_class_is_set_by_the_worst_parameter() -> None:
    # DO 6.5 → II; NH3-N 1.2 → IV; COD 15 → I; pH 7.5 → I: the section is IV because of NH3-N
    result = section_class({"DO": 6.5, "NH3-N": 1.2, "COD": 15.0, "pH": 7.5})
    assert result.water_class == "IV"
    assert result.worst == ("NH3-N",)
    assert result.by_parameter == {"DO": "II", "NH3-N": "IV", "COD": "I", "pH": "I"}


def test_low_oxygen_alone_makes_a_section_worse_than_v() -> None:
    result = section_class({"DO": 1.5, "CODMn": 3.0})
    assert (result.water_class, result.worst) == ("劣V", ("DO",))
