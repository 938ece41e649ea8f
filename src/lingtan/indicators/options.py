"""Named options where the public text leaves room; printed with every result.

Each option has a documented default (docs/indicators.md explains the reasoning):

* ``electricity_conversion`` — ``equivalent`` (当量值, 0.1229 kgce/kWh, default) or
  ``equal_value`` (等价值: the year's thermal-power coal use; needs a factor record with its
  source). The same choice converts the denominator of the core indicator, the clean-energy
  share and the energy statistics.
* ``natural_gas_kind`` — the GB/T 2589 kind of the park's metered natural gas: ``oil_field``
  (油田天然气, 1.3300 kgce/m³, default) or ``gas_field`` (气田天然气, 1.2143 kgce/m³); the same
  choice converts the accounting's, the statistics' and the clean-energy share's natural gas.
* ``natural_gas_clean`` — whether natural gas counts as clean energy. Default ``False``: the
  zero-carbon park programme aims at near-zero CO2, and 附件4 counts natural gas combustion in
  full; the national statistical 清洁能源 definition (which includes natural gas) is available
  with ``True``.
* ``green_certificates_clean`` — whether grid electricity covered by retired 绿证 or green-power
  trading counts as clean (default ``True``, as 附件4 gives it a zero factor).
* ``purchased_heat_fossil`` — purchased steam and hot water are fossil unless declared
  otherwise (default ``True``; 附件4 gives non-fossil heat a zero factor).
* ``completeness_threshold`` — share of metered (measured + estimated) time below which metered
  data are too incomplete to judge: 0.90, the online-monitoring completeness requirement.
* ``on_incomplete`` — ``not_assessable`` (default) or ``flag`` (judge anyway, with a warning).
* ``target_set`` / ``target_year`` — which targets (``national``, ``hunan`` or a plan file) and,
  for milestone paths, which milestone (default: the first in or after the data year).
* ``base_year`` — 2025, the base year of the national programme.
* ``product_coverage_min`` — the share of the products present (product output records) that
  must be assessed against a limit record before 园区企业产出产品单位能耗达标 is judged
  (0.80, lingtan's default; below it the indicator states its coverage and is not assessable).
* ``water_intake`` — where water intake comes from: an entered record where one exists, else
  the boundary water meters (default), or only one of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

from lingtan.accounting.metered import MeteringOptions
from lingtan.carbon.inventory import AccountingOptions
from lingtan.options.model import HeatKind, UsedOptions

ElectricityConversion = Literal["equivalent", "equal_value"]

CONVERSION_NAMES: Final[dict[str, tuple[str, str]]] = {
    "equivalent": ("当量值", "equivalent value (heat content)"),
    "equal_value": ("等价值", "equal value (thermal-power coal use)"),
}


@dataclass(frozen=True, slots=True)
class IndicatorOptions:
    """Choices behind an evaluation or an energy statistic (see the module docstring)."""

    electricity_conversion: ElectricityConversion = "equivalent"
    natural_gas_kind: Literal["oil_field", "gas_field"] = "oil_field"
    natural_gas_clean: bool = False
    green_certificates_clean: bool = True
    purchased_heat_fossil: bool = True
    completeness_threshold: float = 0.90
    on_incomplete: Literal["not_assessable", "flag"] = "not_assessable"
    target_set: str = "national"
    target_year: int | None = None
    base_year: int = 2025
    water_intake: Literal["entered_then_metered", "entered", "metered"] = "entered_then_metered"
    product_coverage_min: float = 0.80
    #: extra limit records (YAML file) for product unit energy
    limits_file: str | None = None
    #: metering coverage requirements (YAML file) instead of the shipped, unverified ones
    coverage_file: str | None = None
    #: the park's options version these options come from (None: built directly by a library
    #: caller, with the defaults of what they do not name)
    used: UsedOptions | None = None

    def __post_init__(self) -> None:
        from lingtan.errors import InvalidInput

        if self.electricity_conversion not in CONVERSION_NAMES:
            raise InvalidInput(
                f"electricity_conversion must be one of {', '.join(CONVERSION_NAMES)}",
                field="electricity_conversion",
            )
        if self.natural_gas_kind not in ("oil_field", "gas_field"):
            raise InvalidInput(
                "natural_gas_kind must be oil_field or gas_field", field="natural_gas_kind"
            )
        if not 0 < self.completeness_threshold <= 1:
            raise InvalidInput(
                "completeness_threshold lies in (0, 1]", field="completeness_threshold"
            )
        if not 0 < self.product_coverage_min <= 1:
            raise InvalidInput("product_coverage_min lies in (0, 1]", field="product_coverage_min")

    @classmethod
    def of(
        cls,
        used: UsedOptions,
        *,
        limits_file: str | None = None,
        coverage_file: str | None = None,
    ) -> IndicatorOptions:
        """The indicator options of the park's options (plus the run's extra data files)."""
        options = used.options
        return cls(
            electricity_conversion=options.electricity_conversion,
            natural_gas_clean=options.natural_gas_clean,
            natural_gas_kind=options.natural_gas_kind,
            green_certificates_clean=options.green_certificates_clean,
            purchased_heat_fossil=options.heat_kind == "fossil",
            completeness_threshold=options.completeness_threshold,
            on_incomplete=options.on_incomplete,
            target_set=options.target_set,
            target_year=options.target_year,
            base_year=options.base_year,
            water_intake=options.water_intake,
            product_coverage_min=options.product_coverage_min,
            limits_file=limits_file,
            coverage_file=coverage_file,
            used=used,
        )

    def accounting_options(self) -> AccountingOptions:
        """The accounting options behind the core indicator: the park's version's, with this
        conversion (the same choice converts every denominator)."""
        if self.used is None:
            return AccountingOptions(
                electricity_conversion=self.electricity_conversion,
                natural_gas_kind=self.natural_gas_kind,
            )
        return dataclasses.replace(
            self.used.options.accounting(),
            electricity_conversion=self.electricity_conversion,
            natural_gas_kind=self.natural_gas_kind,
        )

    def metering_options(self) -> MeteringOptions:
        """How metered carriers become activity: the park's version's, with this heat kind."""
        heat: HeatKind = "fossil" if self.purchased_heat_fossil else "non_fossil"
        if self.used is None:
            return MeteringOptions(heat_kind=heat)
        return dataclasses.replace(MeteringOptions.of(self.used.options), heat_kind=heat)

    def as_dict(self) -> dict[str, Any]:
        """The options as plain data, with the Chinese name of the conversion."""
        data = asdict(dataclasses.replace(self, used=None))
        del data["used"]
        data["park_options"] = None if self.used is None else self.used.as_dict()
        data["electricity_conversion_zh"] = CONVERSION_NAMES[self.electricity_conversion][0]
        return data

    def describe(self, lang: str = "zh") -> list[str]:
        """One readable line per option (printed under every result)."""
        conv_zh, conv_en = CONVERSION_NAMES[self.electricity_conversion]
        version: list[str] = []
        if self.used is not None:
            changed = ", ".join(f"{k}={v}" for k, v in self.used.overrides.items())
            version = [
                f"园区选项第 {self.used.base.version} 版"
                + (f"；本次改用 {changed}" if changed else "")
                if lang == "zh"
                else f"the park's options, version {self.used.base.version}"
                + (f"; overridden here: {changed}" if changed else "")
            ]
        if lang == "zh":
            return [
                *version,
                f"电力折标准煤：{conv_zh}（electricity_conversion={self.electricity_conversion}）",
                "天然气折标准煤："
                + ("油田天然气" if self.natural_gas_kind == "oil_field" else "气田天然气")
                + f"参考系数（natural_gas_kind={self.natural_gas_kind}）",
                "天然气" + ("计入" if self.natural_gas_clean else "不计入") + "清洁能源"
                f"（natural_gas_clean={self.natural_gas_clean}）",
                "绿证/绿电交易电量"
                + ("计入" if self.green_certificates_clean else "不计入")
                + f"清洁能源（green_certificates_clean={self.green_certificates_clean}）",
                "外购热力/蒸汽按"
                + ("化石能源" if self.purchased_heat_fossil else "非化石能源")
                + f"计（purchased_heat_fossil={self.purchased_heat_fossil}）",
                f"在线监测数据完整率阈值 {self.completeness_threshold:.0%}，低于阈值时"
                + ("不予评价" if self.on_incomplete == "not_assessable" else "照常评价并提示")
                + f"（on_incomplete={self.on_incomplete}）",
                f"目标值：{self.target_set}"
                + (f"，目标年 {self.target_year}" if self.target_year else "")
                + f"；基准年 {self.base_year}",
                f"取水量来源：{self.water_intake}",
                f"产品单位能耗达标评价最低覆盖率 {self.product_coverage_min:.0%}",
            ]
        return [
            *version,
            f"electricity to standard coal: {conv_en} (electricity_conversion="
            f"{self.electricity_conversion})",
            f"natural gas to standard coal: {self.natural_gas_kind.replace('_', '-')} gas reference "
            f"coefficient (natural_gas_kind={self.natural_gas_kind})",
            f"natural gas counts as clean energy: {self.natural_gas_clean}",
            f"green-certificate electricity counts as clean: {self.green_certificates_clean}",
            f"purchased heat/steam is fossil: {self.purchased_heat_fossil}",
            f"monitoring completeness threshold {self.completeness_threshold:.0%}; below it: "
            f"{self.on_incomplete}",
            f"targets: {self.target_set}"
            + (f", target year {self.target_year}" if self.target_year else "")
            + f"; base year {self.base_year}",
            f"water intake from: {self.water_intake}",
            f"product unit-energy indicator needs coverage {self.product_coverage_min:.0%}",
        ]
