"""The ``kind: iec104`` entry of ``connectors.yaml`` (validated strictly, errors name the field).

Example::

    - kind: iec104
      name: substation-110kv
      host: 10.0.8.21
      port: 2404
      common_address: 1              # ASDU common address (公共地址) of the RTU
      time_zone: Asia/Shanghai       # the zone of the RTU's clock (CP56Time2a has none)
      interrogation_interval_s: 900  # general interrogation (总召唤) besides the one at connect
      counter_interrogation_interval_s: 900   # counter interrogation (电度量召唤)
      clock_sync: false              # set the RTU's clock (对时, C_CS_NA_1): the operator's call
      clock_sync_interval_s: 3600
      # APCI parameters, the standard's defaults: k 12, w 8, t1 15 s, t2 10 s, t3 20 s
      points:
        - {ioa: 16385, type: M_ME_NC_1, point: S110-P, scale: 0.001, unit: MW}
        - {ioa: 25601, type: M_IT_NA_1, point: S110-E, scale: 0.01, unit: kWh}
        - {ioa: 1, type: M_SP_NA_1, point: S110-QF1}
"""

from __future__ import annotations

import math
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lingtan.connectors.iec104.apci import ApciParameters
from lingtan.connectors.iec104.codec import PointMap

#: the TCP port registered for IEC 60870-5-104 (IANA "iec-104"), which RTUs listen on
DEFAULT_PORT = 2404

PointType = Literal["M_SP_NA_1", "M_SP_TB_1", "M_ME_NC_1", "M_ME_TF_1", "M_IT_NA_1", "M_IT_TB_1"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Iec104Point(_Strict):
    """One information object → point mapping."""

    #: information object address (信息对象地址), three octets in IEC 104: 1 … 16,777,215
    ioa: int = Field(ge=1, le=16_777_215)
    type: PointType
    point: str = Field(min_length=1)
    #: stored value = the object's value × scale (a counter's kWh per count …)
    scale: float = 1.0
    #: unit of the scaled value; ``None`` means the point's own unit
    unit: str | None = None
    #: the ASDU common address when not the connector's (an RTU with several stations)
    common_address: int | None = Field(default=None, ge=1, le=65_534)

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: float) -> float:
        if not math.isfinite(value) or value == 0:
            raise ValueError("scale must be a finite number other than 0")
        return value


class Iec104Config(_Strict):
    """An IEC 104 outstation (RTU, meter gateway) and the objects read from it."""

    kind: Literal["iec104"]
    name: str
    host: str = Field(min_length=1)
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65_535)
    #: ASDU common address (公共地址); 0 and 65,535 are the broadcast addresses, not a station
    common_address: int = Field(ge=1, le=65_534)
    #: the zone of the RTU's clock, in which CP56Time2a time tags are read (``UTC``,
    #: ``Asia/Shanghai`` …); required: a wrong guess would shift every reading
    time_zone: str
    #: general interrogation (C_IC_NA_1) this often besides the one after every connection [s];
    #: 0: only after connecting
    interrogation_interval_s: float = Field(default=900.0, ge=0)
    #: counter interrogation (C_CI_NA_1) of the integrated totals this often besides the one
    #: after every connection [s]; 0: only after connecting
    counter_interrogation_interval_s: float = Field(default=900.0, ge=0)
    #: send clock synchronisation (C_CS_NA_1, 对时) after connecting and every
    #: ``clock_sync_interval_s``: off unless asked, because setting an RTU's clock is the
    #: operator's decision (the substation's own time source — a GPS/BeiDou clock, the
    #: dispatch centre's master station — usually owns it, and two masters make it jump)
    clock_sync: bool = False
    #: repeat the clock synchronisation this often while connected [s]
    clock_sync_interval_s: float = Field(default=3600.0, gt=0)
    #: to open the connection (TCP and STARTDT) and for a command's confirmation [s]
    timeout_s: float = Field(default=5.0, gt=0)
    lost_after: int = Field(default=1, ge=1)
    #: first retry delay after a lost connection; doubles up to retry_max_s [s]
    retry_initial_s: float = Field(default=2.0, gt=0)
    retry_max_s: float = Field(default=300.0, gt=0)
    #: the APCI parameters (IEC 60870-5-104:2006 §9.6 [clause number not verified] gives these
    #: defaults and the ranges: k and w 1 … 32,767, the timers 1 … 255 s): I-frames sent
    #: unacknowledged at most
    k: int = Field(default=12, ge=1, le=32_767)
    #: acknowledge at the latest after this many received I-frames (at most k, the standard
    #: recommends two thirds of it)
    w: int = Field(default=8, ge=1, le=32_767)
    #: a frame sent and not acknowledged, or a U act not confirmed, this long closes [s]
    t1_s: float = Field(default=15.0, gt=0, le=255)
    #: acknowledge received I-frames at the latest this long after the first (below t1) [s]
    t2_s: float = Field(default=10.0, gt=0, le=255)
    #: test an idle link (TESTFR act) after this long without receiving anything [s]
    t3_s: float = Field(default=20.0, gt=0, le=255)
    points: list[Iec104Point] = Field(min_length=1)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value == "UTC":
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"{value!r} is not a time zone (e.g. Asia/Shanghai, UTC)") from err
        return value

    @model_validator(mode="after")
    def _apci(self) -> Iec104Config:
        # w above k stalls the peer until t2; t2 not below t1 lets t1 expire first (the
        # standard's list asks for t2 < t1)
        if self.w > self.k:
            raise ValueError(f"w: {self.w} is larger than k ({self.k})")
        if self.t2_s >= self.t1_s:
            raise ValueError(f"t2_s: {self.t2_s:g} s must be below t1_s ({self.t1_s:g} s)")
        return self

    def apci(self) -> ApciParameters:
        """The transport's parameters."""
        return ApciParameters(k=self.k, w=self.w, t1=self.t1_s, t2=self.t2_s, t3=self.t3_s)

    @model_validator(mode="after")
    def _unique(self) -> Iec104Config:
        seen: dict[tuple[int, int], int] = {}
        for k, p in enumerate(self.points):
            where = (p.common_address or self.common_address, p.ioa)
            if where in seen:
                raise ValueError(
                    f"points.{k}.ioa: {where[0]}/{where[1]} is mapped twice (points.{seen[where]})"
                )
            seen[where] = k
        return self

    def mappings(self) -> list[PointMap]:
        """The codec's form of ``points``."""
        return [
            PointMap(
                common_address=p.common_address or self.common_address,
                ioa=p.ioa,
                type=p.type,
                point=p.point,
                scale=p.scale,
                unit=p.unit,
            )
            for p in self.points
        ]


__all__ = ["DEFAULT_PORT", "Iec104Config", "Iec104Point"]
