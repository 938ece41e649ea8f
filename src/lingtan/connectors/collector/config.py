"""``connectors.yaml``: the collector's configuration, validated strictly.

Every connector entry has a unique ``name`` and a ``kind`` (``modbus``, ``dlt645``, ``mqtt``,
``files``, ``bacnet``, ``opcua``, ``iec104``); unknown keys are errors, so a typo is caught at start, not
after a night of missing data. See ``docs/connectors.md`` and ``docs/examples/connectors/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lingtan.connectors.bacnet.config import BacnetConfig
from lingtan.connectors.bacnet.config import build as build_bacnet
from lingtan.connectors.base import Connector
from lingtan.connectors.dlt645.frame import parse_di
from lingtan.connectors.dlt645.poller import Dlt645Connector, MeterConfig
from lingtan.connectors.dlt645.transport import SerialTransport, TcpGatewayTransport, Transport
from lingtan.connectors.files.inbox import FilesConnector
from lingtan.connectors.files.tabular import ColumnMapping
from lingtan.connectors.iec104.config import Iec104Config
from lingtan.connectors.modbus.library import load_template, parse_rows
from lingtan.connectors.modbus.poller import DeviceConfig, ModbusConnector
from lingtan.connectors.mqtt.payloads import TopicTemplate
from lingtan.connectors.mqtt.subscriber import MqttConnector
from lingtan.connectors.opcua.config import OpcuaConfig
from lingtan.errors import InvalidInput


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CollectorSettings(_Strict):
    """Batching and the spill buffer."""

    #: commit when this many readings are pending … (a commit costs about as much for 1,000
    #: readings as for 10,000 when they touch the same points: bench/collect.py)
    batch_max_readings: int = Field(default=10_000, ge=1)
    #: … or when the oldest pending reading is this old [s]
    batch_max_delay_s: float = Field(default=1.0, gt=0)
    #: bound of the local spill buffer [readings]
    buffer_max_readings: int = Field(default=2_000_000, ge=1)
    #: readings per store call when replaying the buffer
    replay_readings: int = Field(default=10_000, ge=1)
    #: where state (buffer, status) lives; default ``<LINGTAN_DATA_DIR>/collector``
    state_dir: Path | None = None


class ModbusDevice(_Strict):
    """One device (unit id) behind a Modbus TCP gateway."""

    name: str
    unit: int = Field(default=1, ge=0, le=255)
    #: a shipped template (``lingtan modbus templates``) …
    template: str | None = None
    #: … and/or register rows of your own (override template rows with the same key)
    registers: list[dict[str, Any]] = Field(default_factory=list)
    #: register key → point id; without it every register is read as ``<point_prefix><key>``
    points: dict[str, str] = Field(default_factory=dict)
    point_prefix: str | None = None
    poll_interval_s: float = Field(default=60.0, gt=0)
    max_gap: int | None = Field(default=None, ge=0)
    block_reads: bool = True

    @model_validator(mode="after")
    def _source(self) -> ModbusDevice:
        if not self.template and not self.registers:
            raise ValueError(f"device {self.name}: give a template or registers")
        if not self.points and self.point_prefix is None:
            raise ValueError(f"device {self.name}: give points (key → point id) or point_prefix")
        return self


class ModbusConfig(_Strict):
    """A Modbus TCP gateway or meter."""

    kind: Literal["modbus"]
    name: str
    host: str
    port: int = Field(default=502, ge=1, le=65535)
    timeout_s: float = Field(default=3.0, gt=0)
    lost_after: int = Field(default=2, ge=1)
    #: first retry delay after a failed poll; doubles up to retry_max_s [s]
    retry_initial_s: float = Field(default=2.0, gt=0)
    retry_max_s: float = Field(default=300.0, gt=0)
    devices: list[ModbusDevice] = Field(min_length=1)


class Dlt645Meter(_Strict):
    """One DL/T 645 meter on the bus."""

    address: str
    name: str = ""
    poll_interval_s: float = Field(default=60.0, gt=0)
    #: data identifier (8 hex digits, e.g. ``"00010000"``) → point id
    points: dict[str, str] = Field(min_length=1)
    #: block identifiers (``"0201FF00"`` …) read as one answer each; their items are mapped
    #: in ``points``
    blocks: list[str] = Field(default_factory=list)

    @field_validator("points", "blocks")
    @classmethod
    def _dis(cls, value: Any) -> Any:
        for di in value:
            parse_di(di)
        return value


class Dlt645Config(_Strict):
    """A DL/T 645 bus behind a serial-over-TCP gateway or on a local serial port."""

    kind: Literal["dlt645"]
    name: str
    transport: Literal["tcp", "serial"] = "tcp"
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    #: serial: device or pyserial URL (``/dev/ttyUSB0``, ``rfc2217://…``, ``socket://…``)
    serial_port: str | None = None
    baudrate: int = 2400
    parity: Literal["N", "E", "O"] = "E"
    bytesize: int = 8
    stopbits: float = 1
    timeout_s: float = Field(default=2.0, gt=0)
    lost_after: int = Field(default=2, ge=1)
    #: first retry delay for a silent meter; doubles up to retry_max_s [s]
    retry_initial_s: float = Field(default=5.0, gt=0)
    retry_max_s: float = Field(default=300.0, gt=0)
    meters: list[Dlt645Meter] = Field(min_length=1)

    @model_validator(mode="after")
    def _where(self) -> Dlt645Config:
        if self.transport == "tcp" and (not self.host or not self.port):
            raise ValueError(f"{self.name}: a tcp transport needs host and port")
        if self.transport == "serial" and not self.serial_port:
            raise ValueError(f"{self.name}: a serial transport needs serial_port")
        return self


class MqttTopic(_Strict):
    """A topic template and how its messages become readings."""

    template: str
    form: Literal["single", "batch"] = "single"
    point: str = ""
    unit: str | None = None


class MqttConfig(_Strict):
    """A broker subscription."""

    kind: Literal["mqtt"]
    name: str
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str
    username: str | None = None
    password: str | None = None
    shared_group: str | None = None
    qos: Literal[0, 1] = 1
    keepalive: int = Field(default=30, ge=5)
    use_receive_time: bool = False
    #: MQTT version: "5" (the collector sets its in-flight window) or "3.1.1"
    protocol: Literal["5", "3.1.1"] = "5"
    #: unacknowledged messages in flight: MQTT 5 asks the broker for this window (default
    #: 1000); MQTT 3.1.1 must give the broker's own (Mosquitto max_inflight_messages, 20)
    max_unacked: int | None = Field(default=None, ge=1, le=65_535)
    topics: list[MqttTopic] = Field(min_length=1)

    @field_validator("protocol", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        # YAML reads `protocol: 5` as a number
        return str(value) if isinstance(value, int | float) else value


class FilesConfig(_Strict):
    """An inbox folder for CSV/xlsx files."""

    kind: Literal["files"]
    name: str
    directory: Path
    pattern: str = "*.csv"
    interval_s: float = Field(default=10.0, gt=0)
    mapping: dict[str, Any] = Field(default_factory=dict)


ConnectorConfig = Annotated[
    ModbusConfig
    | Dlt645Config
    | MqttConfig
    | FilesConfig
    | BacnetConfig
    | OpcuaConfig
    | Iec104Config,
    Field(discriminator="kind"),
]


class CollectorConfig(_Strict):
    """The whole ``connectors.yaml``."""

    collector: CollectorSettings = Field(default_factory=CollectorSettings)
    connectors: list[ConnectorConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> CollectorConfig:
        names = [c.name for c in self.connectors]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"connector names must be unique: {dupes}")
        return self


def parse_config(data: Any, *, origin: str = "config") -> CollectorConfig:
    """Validate a parsed YAML/JSON document."""
    try:
        return CollectorConfig.model_validate(data)
    except ValidationError as err:
        lines = [f"{origin}: {err.error_count()} problem(s)"]
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"])
            lines.append(f"  {where}: {e['msg']}")
        raise InvalidInput("\n".join(lines), field="config") from err


def load_config(path: Path) -> CollectorConfig:
    """Read and validate ``connectors.yaml``."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InvalidInput(f"cannot read {path}: {err}", field="config") from err
    except yaml.YAMLError as err:
        raise InvalidInput(f"{path} is not valid YAML: {err}", field="config") from err
    return parse_config(data, origin=str(path))


def build_connector(cfg: ConnectorConfig) -> Connector:
    """The connector instance for one configuration entry."""
    if isinstance(cfg, ModbusConfig):
        return _modbus(cfg)
    if isinstance(cfg, Dlt645Config):
        return _dlt645(cfg)
    if isinstance(cfg, MqttConfig):
        return _mqtt(cfg)
    if isinstance(cfg, BacnetConfig):
        return build_bacnet(cfg)
    if isinstance(cfg, OpcuaConfig):
        from lingtan.connectors.opcua.client import OpcuaConnector

        return OpcuaConnector(cfg)
    if isinstance(cfg, Iec104Config):
        from lingtan.connectors.iec104.client import Iec104Connector

        return Iec104Connector(cfg)
    return _files(cfg)


def _modbus(cfg: ModbusConfig) -> Connector:

    devices = []
    for dev in cfg.devices:
        specs = []
        max_gap = 0
        if dev.template:
            template = load_template(dev.template)
            specs = list(template.registers)
            max_gap = template.max_gap
        if dev.registers:
            own = parse_rows(dev.registers)
            keys = {s.key for s in own}
            specs = [s for s in specs if s.key not in keys] + own
        points = dev.points or {s.key: f"{dev.point_prefix}{s.key}" for s in specs}
        devices.append(
            DeviceConfig(
                name=dev.name,
                unit=dev.unit,
                specs=specs,
                points=points,
                poll_interval_s=dev.poll_interval_s,
                max_gap=dev.max_gap if dev.max_gap is not None else max_gap,
                block_reads=dev.block_reads,
            )
        )
    return ModbusConnector(
        cfg.name,
        cfg.host,
        cfg.port,
        devices,
        timeout_s=cfg.timeout_s,
        lost_after=cfg.lost_after,
        retry_initial_s=cfg.retry_initial_s,
        retry_max_s=cfg.retry_max_s,
    )


def _dlt645(cfg: Dlt645Config) -> Connector:

    def factory() -> Transport:
        if cfg.transport == "tcp":
            assert cfg.host is not None
            assert cfg.port is not None
            return TcpGatewayTransport(cfg.host, cfg.port)
        assert cfg.serial_port is not None
        return SerialTransport(
            cfg.serial_port,
            baudrate=cfg.baudrate,
            parity=cfg.parity,
            bytesize=cfg.bytesize,
            stopbits=cfg.stopbits,
        )

    meters = [
        MeterConfig(
            address=m.address,
            points={parse_di(di): point for di, point in m.points.items()},
            poll_interval_s=m.poll_interval_s,
            name=m.name,
            blocks=tuple(parse_di(di) for di in m.blocks),
        )
        for m in cfg.meters
    ]
    return Dlt645Connector(
        cfg.name,
        factory,
        meters,
        timeout_s=cfg.timeout_s,
        lost_after=cfg.lost_after,
        retry_initial_s=cfg.retry_initial_s,
        retry_max_s=cfg.retry_max_s,
    )


def _mqtt(cfg: MqttConfig) -> Connector:

    topics = [TopicTemplate(t.template, t.form, t.point, t.unit) for t in cfg.topics]
    return MqttConnector(
        cfg.name,
        host=cfg.host,
        port=cfg.port,
        client_id=cfg.client_id,
        topics=topics,
        qos=cfg.qos,
        shared_group=cfg.shared_group,
        username=cfg.username,
        password=cfg.password,
        keepalive=cfg.keepalive,
        use_receive_time=cfg.use_receive_time,
        protocol=cfg.protocol,
        max_unacked=cfg.max_unacked,
    )


def _files(cfg: FilesConfig) -> Connector:

    return FilesConnector(
        cfg.name,
        cfg.directory,
        ColumnMapping.from_dict(cfg.mapping),
        pattern=cfg.pattern,
        interval_s=cfg.interval_s,
    )
