"""Public lighting: zones, their on/off schedule by an astronomical clock, dimming, and the
setpoints that carry it out (pure: pvlib and pandas, no I/O).

Sunrise and sunset come from pvlib's NREL SPA implementation
(:func:`pvlib.solarposition.sun_rise_set_transit_spa`: the instants the sun's upper limb
crosses the horizon with standard refraction, −0.8333°) for the zone's coordinates. A
zone switches on at sunset + ``on_offset_min`` and off at the next sunrise +
``off_offset_min`` (negative: before); dimming windows in park local time lower the level
between them. The schedule of one night is a list of setpoints per circuit: ``level_pct``
100 at switch-on, the dimming levels, 0 at switch-off — the same shape (device, instant,
value) as a dispatch plan's setpoints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd
import pvlib
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lingtan.dispatch.config import ControlSpec
from lingtan.errors import InvalidInput

_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
ZoneKind = Literal["road", "landscape", "car_park"]
KIND_ZH = {"road": "道路照明", "landscape": "景观照明", "car_park": "停车场照明"}
_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class Dimming(BaseModel):
    """A window of the night at a reduced level (local clock times; may pass midnight)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: str = Field(pattern=_HHMM)
    end: str = Field(pattern=_HHMM)
    level_pct: float = Field(ge=0, le=100, allow_inf_nan=False)


#: the roles of a smart pole's points (智慧灯杆): lighting circuit, EV charger meter,
#: environment sensor (a station's point)
POLE_ROLES = ("lighting", "ev_charger", "environment")
ROLE_ZH = {"lighting": "照明回路", "ev_charger": "充电桩计量", "environment": "环境监测"}


class PoleSpec(BaseModel):
    """A smart pole (智慧灯杆) of the zone: a device grouping existing metering points by
    role. Its lighting points must be circuits of the zone."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    code: str = Field(pattern=_CODE)
    name: str | None = Field(default=None, max_length=200)
    lighting: list[str] = Field(default_factory=list, max_length=20)
    ev_charger: list[str] = Field(default_factory=list, max_length=20)
    environment: list[str] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _points(self) -> PoleSpec:
        codes = [c for role in POLE_ROLES for c in getattr(self, role)]
        if not codes:
            raise ValueError("a pole groups at least one point (lighting, ev_charger, environment)")
        if len(set(codes)) != len(codes):
            raise ValueError("a point is listed twice on the pole")
        return self


class ZoneSpec(BaseModel):
    """A lighting zone as declared."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1, max_length=200)
    kind: ZoneKind
    #: the circuits' metering points (each must exist in the registry)
    circuits: list[str] = Field(min_length=1, max_length=200)
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    on_offset_min: float = Field(default=0, ge=-180, le=180, allow_inf_nan=False)
    off_offset_min: float = Field(default=0, ge=-180, le=180, allow_inf_nan=False)
    dimming: list[Dimming] = Field(default_factory=list, max_length=12)
    area_m2: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    lpd_record: str | None = None
    #: how the circuits take their level: the dispatch control declaration (Modbus gateways
    #: and one device per circuit, ``device`` = the circuit's point code; the register holds
    #: the level in %, ``min_kw``/``max_kw`` read as 0…100 %)
    control: ControlSpec | None = None
    #: the zone's smart poles (智慧灯杆), each grouping points by role
    poles: list[PoleSpec] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _circuits(self) -> ZoneSpec:
        if len(set(self.circuits)) != len(self.circuits):
            raise ValueError("circuits: a circuit is listed twice")
        seen: set[str] = set()
        for i, pole in enumerate(self.poles):
            if pole.code in seen:
                raise ValueError(f"poles[{i}].code: pole {pole.code!r} is listed twice")
            seen.add(pole.code)
            for j, c in enumerate(pole.lighting):
                if c not in self.circuits:
                    raise ValueError(
                        f"poles[{i}].lighting[{j}]: {c!r} is not a circuit of the zone"
                    )
        if self.control is not None:
            for i, d in enumerate(self.control.devices):
                if d.device not in self.circuits:
                    raise ValueError(f"control.devices.{i}.device: {d.device!r} is not a circuit")
        return self


def parse_zone(data: dict[str, Any]) -> ZoneSpec:
    """A zone from a mapping (InvalidInput naming the first failing field)."""
    try:
        return ZoneSpec.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        msg = str(first["msg"]).removeprefix("Value error, ")
        if not loc and ":" in msg:
            loc, _, msg = (x.strip() for x in msg.partition(":"))
        raise InvalidInput(f"{loc}: {msg}", field=loc or "zone") from None


def sunrise_sunset(
    day: dt.date, latitude: float, longitude: float, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """(sunrise, sunset) of the local ``day`` at the place, tz-aware in ``zone``.

    Notes
    -----
    NREL SPA (Reda & Andreas 2004) through pvlib, ΔT 67 s (pvlib's default); the
    algorithm's stated uncertainty is ±0.0003° in position, far below a minute in time.
    Polar day or night raises :class:`InvalidInput`.
    """
    if not 1900 <= day.year <= 2100:
        raise InvalidInput("day: must lie within 1900–2100", field="day")
    t = pd.DatetimeIndex([pd.Timestamp(day.isoformat()).tz_localize(zone)])
    r = pvlib.solarposition.sun_rise_set_transit_spa(t, latitude, longitude)
    rise, sset = r["sunrise"].iloc[0], r["sunset"].iloc[0]
    if pd.isna(rise) or pd.isna(sset):
        raise InvalidInput("latitude: no sunrise or sunset on that day", field="latitude")
    return rise.floor("s").to_pydatetime(), sset.floor("s").to_pydatetime()


@dataclass(frozen=True, slots=True)
class Setpoint:
    """One switching of a circuit: the level from ``at`` on."""

    zone: str
    device: str
    at: dt.datetime
    level_pct: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data (the instant in ISO 8601 with its offset)."""
        return {
            "zone": self.zone,
            "device": self.device,
            "kind": "lighting",
            "at": self.at.isoformat(timespec="seconds"),
            "level_pct": self.level_pct,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Night:
    """A zone's schedule for the night that begins on ``day``."""

    zone: str
    day: dt.date
    sunset: dt.datetime
    sunrise: dt.datetime
    on_at: dt.datetime
    off_at: dt.datetime
    setpoints: tuple[Setpoint, ...]

    @property
    def hours_on(self) -> float:
        """Hours between switch-on and switch-off."""
        return (self.off_at - self.on_at).total_seconds() / 3600.0

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""

        def iso(x: dt.datetime) -> str:
            return x.isoformat(timespec="seconds")

        return {
            "zone": self.zone,
            "day": self.day.isoformat(),
            "sunset": iso(self.sunset),
            "sunrise": iso(self.sunrise),
            "on_at": iso(self.on_at),
            "off_at": iso(self.off_at),
            "hours_on": round(self.hours_on, 4),
            "setpoints": [s.as_dict() for s in self.setpoints],
        }


def _clock(day: dt.date, hhmm: str, zone: ZoneInfo) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    # the night of ``day``: clock times from noon on are that evening, earlier ones next morning
    d = day if h >= 12 else day + dt.timedelta(days=1)
    return dt.datetime(d.year, d.month, d.day, h, m, tzinfo=zone)


def night(spec: ZoneSpec, day: dt.date, zone: ZoneInfo) -> Night:
    """The schedule of the night beginning on the local ``day``: on at sunset + offset, off
    at the next day's sunrise + offset, dimming windows clipped to the lit time."""
    _, sunset = sunrise_sunset(day, spec.latitude, spec.longitude, zone)
    sunrise, _ = sunrise_sunset(day + dt.timedelta(days=1), spec.latitude, spec.longitude, zone)
    on_at = sunset + dt.timedelta(minutes=spec.on_offset_min)
    off_at = sunrise + dt.timedelta(minutes=spec.off_offset_min)
    if off_at <= on_at:
        raise InvalidInput("off_offset_min: the zone would switch off before it switches on",
                           field="off_offset_min")  # fmt: skip
    # the level over the night as change points: (instant, level, reason)
    changes: list[tuple[dt.datetime, float, str]] = [(on_at, 100.0, "on: sunset")]
    for i, w in enumerate(spec.dimming):
        a, b = _clock(day, w.start, zone), _clock(day, w.end, zone)
        if b <= a:
            raise InvalidInput(f"dimming[{i}].end: must be after start within the night",
                               field=f"dimming[{i}].end")  # fmt: skip
        a, b = max(a, on_at), min(b, off_at)
        if a >= b:
            continue
        changes.append((a, w.level_pct, f"dim {w.start}–{w.end}"))
        if b < off_at:
            changes.append((b, 100.0, "dimming ends"))
    changes.append((off_at, 0.0, "off: sunrise"))
    changes.sort(key=lambda c: c[0])
    points = [
        Setpoint(spec.code, circuit, at, level, why)
        for circuit in spec.circuits
        for at, level, why in changes
    ]
    return Night(spec.code, day, sunset, sunrise, on_at, off_at, tuple(points))


def _changes(spec: ZoneSpec, days: list[dt.date], zone: ZoneInfo) -> list[Setpoint]:
    """The switchings of the zone's first circuit over the nights beginning on ``days`` (every
    circuit of a zone follows the same schedule), in time order."""
    out = [
        sp for d in days for sp in night(spec, d, zone).setpoints if sp.device == spec.circuits[0]
    ]
    out.sort(key=lambda sp: sp.at)  # stable: changes at one instant keep the night's order
    return out


def change_at(spec: ZoneSpec, at: dt.datetime, zone: ZoneInfo) -> Setpoint | None:
    """The switching in force at the instant ``at``: the last one at or before it of the night
    that began the local day before or on that day (None by day: the level is 0)."""
    day = at.astimezone(zone).date()
    last = None
    for sp in _changes(spec, [day - dt.timedelta(days=1), day], zone):
        if sp.at <= at:
            last = sp
    return last


def level_at(spec: ZoneSpec, at: dt.datetime, zone: ZoneInfo) -> tuple[float, str]:
    """The level [%] the zone's circuits should have at the instant ``at`` and why (0 by
    day)."""
    sp = change_at(spec, at, zone)
    return (0.0, "day") if sp is None else (sp.level_pct, sp.reason)


def next_change(spec: ZoneSpec, after: dt.datetime, zone: ZoneInfo) -> Setpoint:
    """The first switching strictly after ``after`` (switch-on, a dimming step or switch-off)
    whose level differs from the level in force at ``after``."""
    day = after.astimezone(zone).date()
    level, _ = level_at(spec, after, zone)
    changes = _changes(spec, [day + dt.timedelta(days=k) for k in (-1, 0, 1)], zone)
    for i, sp in enumerate(changes):
        if sp.at <= after:
            continue
        # several switchings at one instant: the last of them is the level from then on
        j = i
        while j + 1 < len(changes) and changes[j + 1].at == sp.at:
            j += 1
        if changes[j].level_pct != level:
            return changes[j]
    # every night ends in a switch-off (0) within the three nights looked at
    raise AssertionError("no switching within three nights")  # pragma: no cover


def power_density_w_m2(energy_kwh: float, hours_on: float, area_m2: float) -> float:
    """Mean lit power density [W/m2] = 1000 · E / (hours on · area) — the metered
    counterpart of a lighting power density (CJJ 45-2015 7.1 defines LPD from installed
    power; this mean includes dimming, so it is at most the installed value)."""
    if not (hours_on > 0 and area_m2 > 0):
        raise InvalidInput("area_m2: area and lit hours must be > 0", field="area_m2")
    return 1000.0 * energy_kwh / (hours_on * area_m2)
