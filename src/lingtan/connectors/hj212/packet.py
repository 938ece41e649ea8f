"""HJ 212-2017 packet codec (污染物在线监控（监测）系统数据传输标准), pure: bytes in, packets out.

Packet layout (HJ 212-2017 §6.3, 通讯包结构)::

    ##  NNNN  QN=...;ST=..;CN=....;PW=......;MN=......;Flag=.;[PNUM=..;PNO=..;]CP=&&...&&  XXXX  \\r\\n
    hdr len   data segment (NNNN = its length in ASCII characters, decimal, 4 digits)         CRC   end

* The CRC is the HJ 212 CRC-16 of the data segment, written as 4 upper-case hex digits
  (:func:`crc16`).
* ``QN`` (请求编码) is ``yyyyMMddHHmmssSSS``; ``ST`` the system code (22 ambient air, 32 surface
  water, 91 system interaction …); ``CN`` the command code; ``PW`` the access password; ``MN``
  the station (data logger) id; ``Flag`` = ``V5…V0 D A``: bit 0 (A) asks for an answer, bit 1
  (D) says the packet is split and carries ``PNUM``/``PNO``; the version bits are 000001 for
  the 2017 edition (so Flag=4, or 5 with an answer requested).
* ``CP`` holds ``DataTime=yyyyMMddHHmmss`` and per-pollutant items ``code-Field=value``
  (``-Rtd`` real-time, ``-Avg``, ``-Min``, ``-Max``, ``-Cou``, ``-Flag``), fields of one
  pollutant separated by ``,`` and pollutants by ``;``.

HJ 212 times are the station's local (Beijing) time; the codec attaches the time zone it is
given, so nothing downstream ever sees a naive datetime.

Every way a packet can be wrong raises :class:`PacketError` with a stable ``reason`` code, so
the server counts rejects by reason and keeps them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo

import yaml

from lingtan.errors import InvalidInput

HEADER: Final = b"##"
TRAILER: Final = b"\r\n"
#: HJ 212-2017 §6.3: the data segment is 0…1024 ASCII characters
MAX_DATA_LENGTH: Final = 1024
#: ``##`` + 4 length digits + 4 CRC digits + ``\r\n``
OVERHEAD: Final = 12
BEIJING: Final = ZoneInfo("Asia/Shanghai")

#: command codes (CN) this codec knows by name (HJ 212-2017 Table 6, 命令编码)
COMMANDS: Final[dict[str, str]] = {
    "2011": "realtime",  # 上传污染物实时数据
    "2051": "minute",  # 上传污染物分钟数据
    "2061": "hour",  # 上传污染物小时数据
    "2031": "day",  # 上传污染物日历史数据
    "9011": "request_answer",  # 请求应答
    "9012": "execution_result",  # 执行结果
    "9014": "data_answer",  # 数据应答
}
DATA_COMMANDS: Final = frozenset({"2011", "2051", "2061", "2031"})
#: the value fields of a pollutant item (numbers); ``Flag`` is the data flag
VALUE_FIELDS: Final = ("Rtd", "Avg", "Min", "Max", "Cou")
FLAG_ANSWER: Final = 0b01  # A: the receiver must answer
FLAG_SPLIT: Final = 0b10  # D: the packet is one of PNUM parts
VERSION_2017: Final = 0b000001 << 2
REQUIRED: Final = ("ST", "CN", "PW", "MN")


class PacketError(InvalidInput):
    """An HJ 212 packet that cannot be used; ``reason`` says why (stable code)."""

    code = "hj212_error"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}", field="packet")
        self.reason = reason


def crc16(data: bytes) -> int:
    """HJ 212-2017 CRC-16 of ``data`` (the data segment).

    Notes
    -----
    HJ 212-2017 Appendix A: ``crc = 0xFFFF``; for each byte ``b``: ``crc = (crc >> 8) ^ b``,
    then eight times ``crc = (crc >> 1) ^ 0xA001`` if the low bit is set else ``crc >> 1``.
    This is *not* the Modbus CRC (which XORs the byte into the low byte of the whole register):
    the high byte is shifted out first. Public HJ 212 codecs (C#, C, Java, Python) agree on this
    form and reproduce the standard's own example packet ``…CP=&&RtdInterval=30&&1C80``.
    """
    crc = 0xFFFF
    table = _CRC_TABLE
    for b in data:
        # (crc >> 8) ^ b is below 256, so the eight shifts depend on that byte only: a table
        crc = table[(crc >> 8) ^ b]
    return crc


def _crc_step(x: int) -> int:
    """The eight shift/XOR steps of :func:`crc16` applied to ``x`` (literally, bit by bit)."""
    for _ in range(8):
        x = (x >> 1) ^ 0xA001 if x & 1 else x >> 1
    return x


_CRC_TABLE: Final = tuple(_crc_step(x) for x in range(256))


@dataclass(frozen=True, slots=True)
class FlagRule:
    """How one HJ 212 data flag maps to a lingtan quality label."""

    flag: str
    name_zh: str
    name_en: str
    quality: str
    valid: bool


@lru_cache(maxsize=1)
def flag_rules() -> dict[str, FlagRule]:
    """The data-flag mapping of ``data/flags.yaml`` (HJ 212-2017 数据标记 → quality label)."""
    from lingtan.normalize.quality import Label

    text = resources.files(__package__).joinpath("data/flags.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    out: dict[str, FlagRule] = {}
    for row in doc["flags"]:
        rule = FlagRule(
            str(row["flag"]), row["name_zh"], row["name_en"], row["quality"], bool(row["valid"])
        )
        Label(rule.quality)  # a label lingtan knows, or ValueError at load
        out[rule.flag] = rule
    return out


@lru_cache(maxsize=1)
def pollutant_codes() -> dict[str, dict[str, str]]:
    """HJ 212 pollutant code → ``{parameter, unit, name_zh}`` (``data/codes.yaml``)."""
    text = resources.files(__package__).joinpath("data/codes.yaml").read_text("utf-8")
    return {
        row["code"]: {k: str(v) for k, v in row.items() if k != "code"}
        for row in yaml.safe_load(text)["codes"]
    }


@dataclass(frozen=True, slots=True)
class Pollutant:
    """The items of one pollutant in a CP segment."""

    code: str
    #: numeric fields present (``Rtd``, ``Avg``, ``Min``, ``Max``, ``Cou``)
    values: dict[str, float]
    #: the data flag (``N``, ``F``, ``M`` …), None when the station sent none
    flag: str | None
    #: other fields as sent (``SampleTime``, ``EFlag`` …)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def quality(self) -> str:
        """lingtan quality label of the flag (no flag = normal)."""
        rule = flag_rules().get(self.flag or "N")
        return rule.quality if rule else "missing"

    @property
    def valid(self) -> bool:
        """Whether the value may enter a statistic (only flag N, or no flag)."""
        rule = flag_rules().get(self.flag or "N")
        return rule.valid if rule else False


@dataclass(frozen=True, slots=True)
class Packet:
    """One parsed HJ 212 packet."""

    st: str
    cn: str
    pw: str
    mn: str
    qn: str | None = None
    flag: int | None = None
    pnum: int | None = None
    pno: int | None = None
    #: the CP content between ``&&`` and ``&&``, verbatim
    cp: str = ""
    #: ``DataTime`` of the CP, aware (station local time)
    data_time: dt.datetime | None = None
    #: CP items that belong to no pollutant (``QnRtn``, ``ExeRtn``, ``RtdInterval`` …)
    params: dict[str, str] = field(default_factory=dict)
    pollutants: tuple[Pollutant, ...] = ()

    @property
    def wants_answer(self) -> bool:
        """Flag bit A: the sender expects an answer (9011 or 9014)."""
        return self.flag is not None and bool(self.flag & FLAG_ANSWER)

    @property
    def command(self) -> str:
        """The command's name (``minute``, ``hour`` …) or the code when unknown."""
        return COMMANDS.get(self.cn, self.cn)


def _time(text: str, fmt: str, tz: dt.tzinfo, what: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(text, fmt).replace(tzinfo=tz)
    except ValueError:
        raise PacketError("malformed_cp", f"{what} {text!r} is not {fmt}") from None


def parse_cp(
    cp: str, tz: dt.tzinfo = BEIJING
) -> tuple[dt.datetime | None, dict[str, str], list[Pollutant]]:
    """Split a CP segment into its DataTime, plain parameters and pollutants."""
    data_time: dt.datetime | None = None
    params: dict[str, str] = {}
    fields: dict[str, dict[str, str]] = {}
    for group in cp.split(";"):
        if not group:
            continue
        for item in group.split(","):
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise PacketError("malformed_cp", f"item {item!r} is not key=value")
            code, dash, name = key.partition("-")
            if not dash:
                if key == "DataTime":
                    data_time = _time(value, "%Y%m%d%H%M%S", tz, "DataTime")
                else:
                    params[key] = value
                continue
            if not code or not name:
                raise PacketError("malformed_cp", f"item {item!r} has no pollutant code or field")
            fields.setdefault(code, {})[name] = value
    pollutants = []
    for code, items in fields.items():
        values: dict[str, float] = {}
        extra: dict[str, str] = {}
        for name, value in items.items():
            if name in VALUE_FIELDS:
                try:
                    values[name] = float(value)
                except ValueError:
                    raise PacketError(
                        "malformed_cp", f"{code}-{name}={value!r} is not a number"
                    ) from None
            elif name != "Flag":
                extra[name] = value
        pollutants.append(Pollutant(code, values, items.get("Flag"), extra))
    return data_time, params, pollutants


def _int(fields: dict[str, str], key: str) -> int | None:
    if key not in fields:
        return None
    try:
        return int(fields[key])
    except ValueError:
        raise PacketError("malformed_field", f"{key}={fields[key]!r} is not an integer") from None


def parse_segment(segment: str, tz: dt.tzinfo = BEIJING) -> Packet:
    """Parse a data segment (without length and CRC)."""
    head, sep, rest = segment.partition("CP=&&")
    if not sep:
        raise PacketError("missing_field", "no CP=&& in the data segment")
    if not rest.endswith("&&"):
        raise PacketError("malformed_cp", "CP does not end with &&")
    cp = rest[:-2]
    fields: dict[str, str] = {}
    for item in head.split(";"):
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise PacketError("malformed_field", f"field {item!r} is not key=value")
        fields[key] = value
    for key in REQUIRED:
        if not fields.get(key):
            raise PacketError("missing_field", f"no {key} in the data segment")
    qn = fields.get("QN")
    if qn is not None and (len(qn) != 17 or not qn.isdigit()):
        raise PacketError("malformed_field", f"QN {qn!r} is not yyyyMMddHHmmssSSS")
    flag = _int(fields, "Flag")
    data_time, params, pollutants = parse_cp(cp, tz)
    if fields["CN"] in DATA_COMMANDS and data_time is None:
        raise PacketError("malformed_cp", f"CN={fields['CN']} without DataTime")
    return Packet(
        st=fields["ST"],
        cn=fields["CN"],
        pw=fields["PW"],
        mn=fields["MN"],
        qn=qn,
        flag=flag,
        pnum=_int(fields, "PNUM"),
        pno=_int(fields, "PNO"),
        cp=cp,
        data_time=data_time,
        params=params,
        pollutants=tuple(pollutants),
    )


def parse(frame: bytes, tz: dt.tzinfo = BEIJING) -> Packet:
    """Parse one whole packet (``##`` … ``\\r\\n``); :class:`PacketError` when it is wrong."""
    if not frame.startswith(HEADER):
        raise PacketError("no_header", "the packet does not start with ##")
    if not frame.endswith(TRAILER):
        raise PacketError("truncated", "the packet does not end with CR LF")
    digits = frame[2:6]
    if len(digits) < 4 or not digits.isdigit():
        raise PacketError("bad_length", f"length field {digits!r} is not 4 decimal digits")
    length = int(digits)
    if length > MAX_DATA_LENGTH:
        raise PacketError("too_long", f"data segment length {length} > {MAX_DATA_LENGTH}")
    segment = frame[6:-6]
    if len(segment) != length:
        raise PacketError(
            "length_mismatch", f"length field says {length}, data segment has {len(segment)}"
        )
    crc_text = frame[-6:-2]
    try:
        crc_sent = int(crc_text, 16)
    except ValueError:
        raise PacketError("bad_crc", f"CRC field {crc_text!r} is not hex") from None
    crc = crc16(segment)
    if crc != crc_sent:
        raise PacketError("bad_crc", f"CRC field says {crc_sent:04X}, data segment gives {crc:04X}")
    try:
        text = segment.decode("ascii")
    except UnicodeDecodeError:
        raise PacketError("malformed_field", "data segment is not ASCII") from None
    return parse_segment(text, tz)


def frame_segment(segment: str) -> bytes:
    """Wrap a data segment into a packet: ``##`` + length + segment + CRC + CR LF."""
    data = segment.encode("ascii")
    if len(data) > MAX_DATA_LENGTH:
        raise PacketError("too_long", f"data segment length {len(data)} > {MAX_DATA_LENGTH}")
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


def qn_of(ts: dt.datetime) -> str:
    """``QN`` (yyyyMMddHHmmssSSS) of an instant."""
    return ts.strftime("%Y%m%d%H%M%S") + f"{ts.microsecond // 1000:03d}"


def format_cp(
    data_time: dt.datetime | None,
    pollutants: list[Pollutant] | tuple[Pollutant, ...] = (),
    params: dict[str, str] | None = None,
    *,
    decimals: int = 3,
) -> str:
    """The CP content of a data upload: ``DataTime=…;code-Avg=…,code-Flag=N;…``."""
    groups: list[str] = []
    if data_time is not None:
        groups.append(f"DataTime={data_time.strftime('%Y%m%d%H%M%S')}")
    if params:
        groups.append(",".join(f"{k}={v}" for k, v in params.items()))
    for p in pollutants:
        items = [f"{p.code}-{k}={v:.{decimals}f}" for k, v in p.values.items()]
        items += [f"{p.code}-{k}={v}" for k, v in p.extra.items()]
        if p.flag is not None:
            items.append(f"{p.code}-Flag={p.flag}")
        groups.append(",".join(items))
    return ";".join(groups)


def build(
    *,
    st: str,
    cn: str,
    pw: str,
    mn: str,
    cp: str = "",
    qn: str | None = None,
    flag: int | None = VERSION_2017,
    pnum: int | None = None,
    pno: int | None = None,
) -> bytes:
    """Build a packet from its fields (CP content without the ``&&`` delimiters)."""
    parts = [f"QN={qn}"] if qn is not None else []
    parts += [f"ST={st}", f"CN={cn}", f"PW={pw}", f"MN={mn}"]
    if flag is not None:
        parts.append(f"Flag={flag}")
    if pnum is not None:
        parts.append(f"PNUM={pnum}")
    if pno is not None:
        parts.append(f"PNO={pno}")
    segment = ";".join(parts) + f";CP=&&{cp}&&"
    return frame_segment(segment)


def data_answer(request: Packet) -> bytes:
    """The 9014 数据应答 to a data upload whose Flag asked for an answer (HJ 212-2017 §6.6):
    same QN, ST=91 (system interaction), no answer requested."""
    return build(st="91", cn="9014", pw=request.pw, mn=request.mn, qn=request.qn, flag=VERSION_2017)


def request_answer(request: Packet, qn_rtn: int) -> bytes:
    """The 9011 请求应答 (``QnRtn``: 1 ready to execute, 2 refused, 3 PW wrong, 4 MN wrong …)."""
    return build(
        st="91",
        cn="9011",
        pw=request.pw,
        mn=request.mn,
        qn=request.qn,
        flag=VERSION_2017,
        cp=f"QnRtn={qn_rtn}",
    )


def execution_result(request: Packet, exe_rtn: int) -> bytes:
    """The 9012 执行结果 (``ExeRtn``: 1 success, 2 failed …)."""
    return build(
        st="91",
        cn="9012",
        pw=request.pw,
        mn=request.mn,
        qn=request.qn,
        flag=VERSION_2017,
        cp=f"ExeRtn={exe_rtn}",
    )
