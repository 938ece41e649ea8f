"""CLI of the meter connectors: ``modbus``, ``dlt645``, ``files`` and ``collect`` (``bacnet``
is in :mod:`lingtan.cli.bacnet`).

Human output is in Chinese by default; ``--lang en`` (on each group) switches to English.
``--json`` output uses English keys for scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from lingtan.cli._common import console, domain_errors, err_console, exit_code, settings
from lingtan.errors import InvalidInput, LingtanError

_LANG = {"value": "zh"}

_TEXT: dict[str, tuple[str, str]] = {
    "address": ("地址", "address"),
    "control": ("控制码", "control code"),
    "direction": ("方向", "direction"),
    "from_meter": ("电表应答", "response from meter"),
    "to_meter": ("主站请求", "request to meter"),
    "function": ("功能", "function"),
    "abnormal": ("异常应答", "abnormal response"),
    "follow_up": ("有后续帧", "follow-up frame"),
    "di": ("数据标识", "data identifier"),
    "name": ("名称", "name"),
    "value": ("值", "value"),
    "unit": ("单位", "unit"),
    "error": ("错误", "error"),
    "request": ("请求帧", "request frame"),
    "response": ("应答帧", "response frame"),
    "order": ("字节序", "order"),
    "registers": ("寄存器", "registers"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "connector": ("采集器", "connector"),
    "kind": ("类型", "kind"),
    "state": ("状态", "state"),
    "last_reading": ("最近读数", "last reading"),
    "per_min": ("读数/分钟", "readings/min"),
    "errors": ("错误数", "errors"),
    "buffered": ("缓存读数", "buffered"),
    "store": ("存储", "store"),
    "not_running": (
        "采集进程未运行(状态文件为上次运行时写入)",
        "collector not running (status is from its last run)",
    ),
    "no_status": ("没有找到采集状态文件", "no collector status found"),
    "comms": ("通信", "comms"),
    "device": ("设备", "device"),
    "events": ("最近事件", "recent events"),
    "rejects": ("最近拒收的报文", "recent rejected payloads"),
    "readings": ("读数", "readings"),
    "rows": ("前几行", "first rows"),
    "ack": ("入库结果", "ingest result"),
    "config_ok": ("配置有效", "configuration is valid"),
    "simulating": ("模拟运行中,按 Ctrl-C 停止", "simulating; press Ctrl-C to stop"),
    "collecting": ("采集运行中,按 Ctrl-C 停止", "collecting; press Ctrl-C to stop"),
}


def _t(key: str) -> str:
    zh, en = _TEXT[key]
    return en if _LANG["value"] == "en" else zh


LangOption = Annotated[str, typer.Option("--lang", help="zh (默认) | en")]


def _set_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise typer.BadParameter("--lang must be zh or en")
    _LANG["value"] = lang


def _int(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError as err:
        raise InvalidInput(
            f"{what} {text!r} is not a number (decimal or 0x hex)", field=what
        ) from err


_ERRORS_ZH: dict[str, str] = {
    "dlt645_bad_checksum": "校验和错误",
    "dlt645_truncated": "帧不完整(被截断)",
    "dlt645_bad_end_byte": "结束符不是 16H",
    "dlt645_no_frame": "没有找到帧起始符 68H",
    "dlt645_bad_frame": "帧结构错误",
    "dlt645_unknown_data_identifier": "未知数据标识",
    "dlt645_bad_value": "数据不是合法的 BCD 码",
    "dlt645_meter_error": "电表异常应答",
    "unavailable": "无法连接",
    "invalid_input": "输入无效",
    "not_found": "未找到",
}


@contextlib.contextmanager
def _explained() -> Iterator[None]:
    """Like ``domain_errors`` but names the error in the chosen language first."""
    try:
        yield
    except LingtanError as err:
        label = _ERRORS_ZH.get(err.code, _t("error")) if _LANG["value"] == "zh" else "error"
        err_console.print(f"[bold red]{label}[/] ({err.code}): {err}", highlight=False)
        raise typer.Exit(exit_code(err)) from err


def _json_error(err: LingtanError) -> None:
    console.print_json(
        json.dumps({"error": {"code": err.code, "message": str(err)}}, ensure_ascii=False)
    )
    raise typer.Exit(exit_code(err))


# --------------------------------------------------------------------------- modbus

modbus_app = typer.Typer(
    help="Modbus TCP: probe, templates, simulator (Modbus 调试).", no_args_is_help=True
)


@modbus_app.callback()
def _modbus(lang: LangOption = "zh") -> None:
    _set_lang(lang)


@modbus_app.command("probe")
def modbus_probe(
    host: Annotated[str, typer.Option(help="gateway or meter IP")],
    address: Annotated[str, typer.Option(help="register address, 0-based (decimal or 0x…)")],
    port: Annotated[int, typer.Option(help="TCP port")] = 502,
    unit: Annotated[int, typer.Option(help="unit id (slave address)")] = 1,
    type_: Annotated[
        str,
        typer.Option(
            "--type", help="int16 uint16 int32 uint32 int64 uint64 float32 float64 bcd16 bcd32"
        ),
    ] = "float32",
    order: Annotated[
        str | None, typer.Option(help="ABCD|CDAB|BADC|DCBA: the order you expect (highlighted)")
    ] = None,
    function: Annotated[int, typer.Option(help="3 holding / 4 input registers")] = 3,
    timeout: Annotated[float, typer.Option(help="seconds")] = 3.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Read one value and show it in every word/byte order (找字节序)."""
    from lingtan.connectors.modbus.probe import probe
    from lingtan.connectors.modbus.registers import data_type

    with _explained():
        result = asyncio.run(
            probe(
                host,
                port=port,
                unit=unit,
                address=_int(address, "address"),
                dtype=data_type(type_),
                function=function,
                order=order,
                timeout_s=timeout,
            )
        )
    if as_json:
        console.print_json(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    console.print(
        f"{host}:{port} unit {unit} FC{function:02d} @ {result.address} ({result.address:#06x}) "
        f"{_t('registers')}: " + " ".join(f"{r:04X}" for r in result.registers)
    )
    table = Table(_t("order"), f"{result.dtype.value}")
    for name, value in result.values.items():
        mark = " ←" if name == result.chosen_order else ""
        table.add_row(name + mark, f"{value:.10g}" if isinstance(value, float) else str(value))
    console.print(table)


@modbus_app.command("templates")
def modbus_templates() -> None:
    """List the shipped meter templates and their source manuals."""
    from lingtan.connectors.modbus.library import load_template, template_ids

    table = Table("vendor", "model", "registers")
    table.add_column("id", no_wrap=True)
    for tid in template_ids():
        tpl = load_template(tid)
        table.add_row(tpl.vendor, tpl.model, str(len(tpl.registers)), tid)
    console.print(table)
    for tid in template_ids():
        tpl = load_template(tid)
        console.print(f"[bold]{tid}[/]: {tpl.source['document']} — {tpl.source['version']}")


@modbus_app.command("template")
def modbus_template(
    template_id: str, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Show one template: its register rows and where they come from."""
    from lingtan.connectors.modbus.library import load_template

    with domain_errors():
        tpl = load_template(template_id)
    rows = [
        {
            "key": s.key,
            "address": s.address,
            "hex": f"{s.address:#06x}",
            "function": s.function,
            "type": s.type.value,
            "order": s.order,
            "scale": s.scale,
            "offset": s.offset,
            "unit": s.unit,
            "kind": s.kind,
            "name": s.name,
        }
        for s in tpl.registers
    ]
    if as_json:
        console.print_json(
            json.dumps({"id": tpl.id, "source": tpl.source, "registers": rows}, ensure_ascii=False)
        )
        return
    for k, v in tpl.source.items():
        console.print(f"[bold]{k}[/]: {v}")
    table = Table("key", "FC", "address", "type", "order", "scale", "unit", "kind", "name")
    for r in rows:
        table.add_row(
            str(r["key"]),
            str(r["function"]),
            f"{r['address']} ({r['hex']})",
            str(r["type"]),
            str(r["order"]),
            f"{r['scale']:g}",
            str(r["unit"]),
            str(r["kind"]),
            str(r["name"]),
        )
    console.print(table)


@modbus_app.command("simulate")
def modbus_simulate(
    template: Annotated[str, typer.Option(help="template id")] = "chint_dtsu666",
    port: Annotated[int, typer.Option()] = 5020,
    unit: Annotated[int, typer.Option()] = 1,
    set_: Annotated[list[str] | None, typer.Option("--set", help="key=value, repeatable")] = None,
) -> None:
    """Run a simulated meter on 127.0.0.1 (to try a configuration without hardware)."""
    from lingtan.connectors.modbus.library import load_template
    from lingtan.connectors.modbus.sim import SimulatedDevice, SimulatedGateway

    with domain_errors():
        tpl = load_template(template)
        device = SimulatedDevice(unit, tpl.registers)
        for item in set_ or []:
            key, _, value = item.partition("=")
            if key not in device.specs:
                raise InvalidInput(f"template {template} has no register {key!r}", field="set")
            device.set(key, float(value))

    async def serve() -> None:
        gateway = SimulatedGateway([device], strict=False)
        bound = await gateway.start(port=port)
        console.print(f"modbus {template} unit {unit} @ 127.0.0.1:{bound} — {_t('simulating')}")
        try:
            await _wait_for_signal()
        finally:
            await gateway.stop()

    asyncio.run(serve())


# --------------------------------------------------------------------------- dlt645

dlt_app = typer.Typer(
    help="DL/T 645-2007: decode captures, build and send read requests.", no_args_is_help=True
)


@dlt_app.callback()
def _dlt(lang: LangOption = "zh") -> None:
    _set_lang(lang)


def _frame_dict(frame: Any) -> dict[str, Any]:
    from lingtan.connectors.dlt645.data_ids import BLOCKS, lookup
    from lingtan.connectors.dlt645.frame import describe_error, format_di

    out: dict[str, Any] = {
        "address": frame.address,
        "control": f"{frame.control:02X}",
        "direction": "from_meter" if frame.from_meter else "to_meter",
        "function": frame.function_name,
        "abnormal": frame.abnormal,
        "follow_up": frame.follow_up,
        "data": frame.data.hex(" ").upper(),
    }
    if frame.abnormal:
        error_byte = frame.error_byte or 0
        out["meter_error"] = {"byte": f"{error_byte:02X}", "meaning": describe_error(error_byte)}
    if frame.di is not None:
        out["di"] = format_di(frame.di)
        row = BLOCKS.get(frame.di) or lookup(frame.di)
        out["name"] = row.name_zh if _LANG["value"] == "zh" else row.name_en
        out["name_zh"], out["name_en"] = row.name_zh, row.name_en
        out["unit"] = row.unit
    return out


def _decode(hex_text: str) -> dict[str, Any]:
    """Decode a capture; raises the distinct DL/T 645 errors."""
    from lingtan.connectors.dlt645.data_ids import BLOCKS, decode_block, decode_value
    from lingtan.connectors.dlt645.frame import MeterError, decode_frame, hex_to_bytes

    frame = decode_frame(hex_to_bytes(hex_text))
    out = _frame_dict(frame)
    if frame.abnormal and frame.from_meter:
        raise MeterError(frame.error_byte or 0)
    if frame.from_meter and frame.di is not None and frame.di in BLOCKS:
        zh = _LANG["value"] == "zh"
        out["items"] = [
            {
                "di": row.code,
                "name": row.name_zh if zh else row.name_en,
                "value": str(value),
                "unit": row.unit,
            }
            for row, value in decode_block(frame.di, frame.payload)
        ]
    elif frame.from_meter and frame.di is not None:
        out["value"] = str(decode_value(frame.di, frame.payload))
    elif frame.from_meter and frame.function == 0x13:
        from lingtan.connectors.dlt645.frame import decode_address

        out["value"] = decode_address(frame.data[:6])
    return out


def _print_frame(info: dict[str, Any]) -> None:
    table = Table(show_header=False)
    table.add_row(_t("address"), info["address"])
    meaning = _t("from_meter") if info["direction"] == "from_meter" else _t("to_meter")
    table.add_row(_t("control"), f"{info['control']}H ({meaning}, {info['function']})")
    if info["abnormal"]:
        table.add_row(
            _t("abnormal"), f"{info['meter_error']['byte']}H {info['meter_error']['meaning']}"
        )
    if info["follow_up"]:
        table.add_row(_t("follow_up"), _t("yes"))
    if "di" in info:
        table.add_row(_t("di"), f"{info['di']} {info['name']}")
    if "value" in info:
        table.add_row(_t("value"), f"{info['value']} {info.get('unit') or ''}".strip())
    for item in info.get("items", []):
        text = f"{item['value']} {item.get('unit') or ''}".strip()
        table.add_row(f"{_t('value')} {item['di']}", f"{text} ({item['name']})")
    console.print(table)


@dlt_app.command("decode")
def dlt_decode(
    hex_text: Annotated[
        str, typer.Argument(metavar="HEX", help="captured frame, e.g. 'FE FE 68 …'")
    ],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Decode a captured frame: address, control code, data identifier, value with unit."""
    from lingtan.connectors.dlt645.frame import Dlt645Error

    if as_json:
        try:
            info = _decode(hex_text)
        except Dlt645Error as err:
            _json_error(err)
            return
        except InvalidInput as err:
            _json_error(err)
            return
        console.print_json(json.dumps(info, ensure_ascii=False))
        return
    with _explained():
        info = _decode(hex_text)
    _print_frame(info)


@dlt_app.command("read")
def dlt_read(
    address: Annotated[str, typer.Option(help="meter address, 12 digits (printed on the meter)")],
    di: Annotated[
        str, typer.Option(help="data identifier, e.g. 00010000 (正向有功总电能)")
    ] = "00010000",
    gateway: Annotated[
        str | None, typer.Option(help="HOST:PORT of a serial-over-TCP gateway: send it")
    ] = None,
    serial_port: Annotated[
        str | None, typer.Option("--serial", help="serial port or pyserial URL: send it")
    ] = None,
    baudrate: Annotated[int, typer.Option()] = 2400,
    timeout: Annotated[float, typer.Option()] = 2.0,
    wakeup: Annotated[int, typer.Option(help="leading FE bytes")] = 4,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the read request frame in hex (and send it with --gateway or --serial)."""
    from lingtan.connectors.dlt645.data_ids import BLOCKS, DataBlock, DataId, lookup
    from lingtan.connectors.dlt645.frame import parse_di, read_request

    with domain_errors():
        row: DataId | DataBlock = BLOCKS.get(parse_di(di)) or lookup(di)
        request = read_request(address, row.di).encode(wakeup=wakeup)
    result: dict[str, Any] = {
        "request": request.hex(" ").upper(),
        "di": row.code,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
    }
    if gateway or serial_port:
        from lingtan.connectors.dlt645.transport import (
            SerialTransport,
            TcpGatewayTransport,
            Transport,
        )

        transport: Transport
        if gateway:
            host, _, port = gateway.rpartition(":")
            with domain_errors():
                transport = TcpGatewayTransport(host, _int(port, "port"))
        else:
            assert serial_port is not None
            transport = SerialTransport(serial_port, baudrate=baudrate)

        async def send() -> bytes:
            try:
                frame = await transport.exchange(request, timeout=timeout)
            finally:
                await transport.close()
            return frame.encode(wakeup=0)

        with _explained():
            response = asyncio.run(send())
            result["response"] = response.hex(" ").upper()
            result.update(
                {
                    k: v
                    for k, v in _decode(result["response"]).items()
                    if k in ("value", "unit", "address", "items")
                }
            )
    if as_json:
        console.print_json(json.dumps(result, ensure_ascii=False))
        return
    console.print(f"{_t('request')}: {result['request']}")
    if "response" in result:
        console.print(f"{_t('response')}: {result['response']}")
        for item in result.get("items", []):
            console.print(f"{item['di']} {item['name']}: {item['value']} {item['unit'] or ''}")
        if "items" not in result:
            console.print(f"{_t('value')}: {result.get('value')} {result.get('unit') or ''}")


@dlt_app.command("simulate")
def dlt_simulate(
    port: Annotated[int, typer.Option()] = 8899,
    meter: Annotated[list[str] | None, typer.Option(help="meter address, repeatable")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="DI=VALUE for every meter, repeatable")
    ] = None,
) -> None:
    """Run a simulated RS485 gateway with DL/T 645 meters on 127.0.0.1."""
    from lingtan.connectors.dlt645.frame import parse_di
    from lingtan.connectors.dlt645.sim import SimulatedBus, SimulatedMeter

    values: dict[int, Any] = {0x00010000: "12345.67", 0x02010100: "220.1", 0x02030000: "1.2345"}
    with domain_errors():
        for item in set_ or []:
            key, _, value = item.partition("=")
            values[parse_di(key)] = value
        meters = [SimulatedMeter(a, dict(values)) for a in (meter or ["000000000001"])]

    async def serve() -> None:
        bus = SimulatedBus(meters)
        bound = await bus.start(port=port)
        console.print(f"dlt645 {len(meters)} meter(s) @ 127.0.0.1:{bound} — {_t('simulating')}")
        try:
            await _wait_for_signal()
        finally:
            await bus.stop()

    asyncio.run(serve())


# --------------------------------------------------------------------------- files

files_app = typer.Typer(
    help="CSV / Excel readings and manual entry (离线表计).", no_args_is_help=True
)


@files_app.callback()
def _files(lang: LangOption = "zh") -> None:
    _set_lang(lang)


def _mapping(path: Path | None, layout: str | None, timezone: str | None) -> Any:
    from lingtan.connectors.files.tabular import ColumnMapping

    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as err:
            raise InvalidInput(f"cannot read mapping {path}: {err}", field="mapping") from err
        if not isinstance(loaded, dict):
            raise InvalidInput(f"mapping {path} must be a YAML mapping", field="mapping")
        data.update(loaded.get("mapping", loaded))
    if layout:
        data["layout"] = layout
    if timezone:
        data["timezone"] = timezone
    return ColumnMapping.from_dict(data)


MappingOpt = Annotated[Path | None, typer.Option(help="YAML column mapping")]
LayoutOpt = Annotated[str | None, typer.Option(help="long | wide")]
TzOpt = Annotated[str | None, typer.Option(help="zone of naive times, e.g. Asia/Shanghai")]


@files_app.command("preview")
def files_preview(
    file: Path,
    mapping: MappingOpt = None,
    layout: LayoutOpt = None,
    timezone: TzOpt = None,
    rows: Annotated[int, typer.Option()] = 10,
) -> None:
    """Show the first rows of a file and the readings they become."""
    from lingtan.connectors.files.tabular import preview

    with domain_errors():
        result = preview(file, _mapping(mapping, layout, timezone), rows=rows)
    raw = Table(*[h or "-" for h in result.header], title=_t("rows"))
    for cells in result.rows:
        raw.add_row(*["" if c is None else str(c) for c in cells[: len(result.header)]])
    console.print(raw)
    out = Table("point", "ts", _t("value"), _t("unit"), "source", title=_t("readings"))
    for r in result.readings:
        ts = r.ts.isoformat() if isinstance(r.ts, dt.datetime) else f"[red]{r.ts}[/]"
        out.add_row(r.point, ts, str(r.value), str(r.unit or ""), r.source)
    console.print(out)


def _store_sink() -> Any:
    from lingtan.connectors.collector.sink import StoreSink

    return StoreSink(settings(), source="cli")


def _print_ack(ack: Any) -> None:
    console.print(
        f"{_t('ack')}: accepted={ack.accepted} duplicates={ack.duplicates} rejected={ack.rejected}"
        + (f" reasons={dict(ack.reasons)}" if getattr(ack, "reasons", None) else "")
    )


@files_app.command("import")
def files_import(
    file: Path,
    mapping: MappingOpt = None,
    layout: LayoutOpt = None,
    timezone: TzOpt = None,
) -> None:
    """Convert a whole file and ingest it into the store."""
    from lingtan.connectors.files.tabular import load

    with domain_errors():
        converted = load(file, _mapping(mapping, layout, timezone))
        ack = _store_sink()(converted.readings)
    _print_ack(ack)


@files_app.command("enter")
def files_enter(
    point: Annotated[str, typer.Option(help="metering point id")],
    value: Annotated[str, typer.Option(help="meter reading (register value)")],
    at: Annotated[str, typer.Option(help="when it was read, e.g. 2026-05-01T08:00+08:00")],
    unit: Annotated[str | None, typer.Option()] = None,
    operator: Annotated[str, typer.Option(help="who read the meter (抄表人)")] = "",
    timezone: TzOpt = None,
) -> None:
    """Enter the reading of an offline meter by hand (手工抄表)."""
    from lingtan.connectors.files.tabular import manual_reading

    with domain_errors():
        reading = manual_reading(point, value, at, unit=unit, operator=operator, timezone=timezone)
        ack = _store_sink()([reading])
    _print_ack(ack)


# --------------------------------------------------------------------------- collect

collect_app = typer.Typer(help="Run every configured connector (采集进程) and show its status.")


def _state_dir(state_dir: Path | None, config: Path | None = None) -> Path:
    if state_dir is not None:
        return state_dir
    if config is not None and config.exists():
        from lingtan.connectors.collector.config import load_config

        cfg = load_config(config)
        if cfg.collector.state_dir is not None:
            return cfg.collector.state_dir
    return Path(settings().data_dir) / "collector"


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


@collect_app.callback(invoke_without_command=True)
def collect(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(help="connectors.yaml")] = None,
    state_dir: Annotated[
        Path | None, typer.Option(help="buffer and status (default <data_dir>/collector)")
    ] = None,
    lang: LangOption = "zh",
) -> None:
    """Collect from every connector in CONFIG into the store (spills while it is down)."""
    _set_lang(lang)
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"config": config, "state_dir": state_dir}
        return
    if config is None:
        raise typer.BadParameter("--config connectors.yaml is required", param_hint="--config")
    from lingtan.connectors.collector.config import build_connector, load_config
    from lingtan.connectors.collector.runner import Collector
    from lingtan.connectors.collector.sink import StoreSink

    with domain_errors():
        cfg = load_config(config)
        connectors = [build_connector(c) for c in cfg.connectors]
        conf = settings()
        sink = StoreSink(
            conf, source=f"collector:{config.stem}", normalise=conf.collector_normalises
        )
        problem = sink.check()
        directory = cfg.collector.state_dir or _state_dir(state_dir)
        collector = Collector(connectors, sink, state_dir=directory, settings=cfg.collector)
        collector.on_comms = sink.comms  # a device that stops answering raises its alarms
        if problem is not None:
            collector.batcher.sink_state, collector.batcher.last_sink_error = "unavailable", problem

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        console.print(f"{len(connectors)} connector(s), state {directory} — {_t('collecting')}")
        await collector.run(stop)

    from lingtan.connectors.collector.runner import run_to_completion

    try:
        run_to_completion(main())
    finally:
        sink.close()


@collect_app.command("check")
def collect_check(config: Annotated[Path, typer.Option(help="connectors.yaml")]) -> None:
    """Validate a configuration without starting anything."""
    from lingtan.connectors.collector.config import build_connector, load_config

    with domain_errors():
        cfg = load_config(config)
        for c in cfg.connectors:
            build_connector(c)
    console.print(
        f"{_t('config_ok')}: " + ", ".join(f"{c.name} ({c.kind})" for c in cfg.connectors)
    )


def _age(iso: str | None) -> str:
    if not iso:
        return "-"
    when = dt.datetime.fromisoformat(iso)
    seconds = (dt.datetime.now(tz=dt.UTC) - when).total_seconds()
    return f"{when:%H:%M:%S} ({seconds:.0f}s)"


@collect_app.command("status")
def collect_status(
    ctx: typer.Context,
    state_dir: Annotated[Path | None, typer.Option(help="state directory of the collector")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    rejects: Annotated[int, typer.Option(help="rejected payloads to show")] = 5,
) -> None:
    """Per connector: last reading, readings/min, errors, buffered count."""
    import psutil

    from lingtan.connectors.collector.buffer import read_state
    from lingtan.connectors.collector.runner import STATE_FILE, is_running, read_status

    parent = ctx.obj or {}
    with domain_errors():
        directory = _state_dir(state_dir or parent.get("state_dir"), parent.get("config"))
        status = read_status(directory)
        state = read_state(directory / STATE_FILE, limit=rejects)
    if status is None:
        if as_json:
            console.print_json(json.dumps({"running": False, "state": state}, ensure_ascii=False))
        else:
            err_console.print(f"{_t('no_status')}: {directory}")
        raise typer.Exit(3)
    pid_alive = bool(status.get("pid")) and psutil.pid_exists(int(status["pid"]))
    running = is_running(status, pid_alive=pid_alive)
    status["running"] = running
    status["buffer"] = state
    if as_json:
        console.print_json(json.dumps(status, ensure_ascii=False))
        return
    if not running:
        err_console.print(f"[yellow]{_t('not_running')}[/]")
    store = status["store"]
    console.print(
        f"{_t('store')}: {store['state']}  {_t('buffered')}: {state['buffered_readings']}"
        f"/{store['buffer_capacity']}  accepted={store['accepted_total']} "
        f"duplicates={store['duplicates_total']} rejected={store['rejected_total']} "
        f"spilled={store['spilled_total']} replayed={store['replayed_total']}"
        + (
            f"  [red]{store['last_error']}[/]"
            if store.get("last_error") and store["state"] != "ok"
            else ""
        )
    )
    table = Table()
    table.add_column(_t("connector"), no_wrap=True)
    for column in ("kind", "state", "last_reading", "per_min", "errors", "comms"):
        table.add_column(_t(column))
    notes: list[str] = []
    for name, c in status["connectors"].items():
        devices = c["devices"]
        lost = [d for d, h in devices.items() if h["comms"] == "lost"]
        comms = "ok" if not lost else f"[red]lost {len(lost)}/{len(devices)}[/]"
        table.add_row(
            name,
            c["kind"],
            c["state"],
            _age(c["last_reading_at"]),
            f"{c['readings_per_min']:g}",
            str(c["errors_total"]),
            comms,
        )
        for device in lost:
            health = devices[device]
            notes.append(
                f"  [red]{name}/{device}[/] {_t('comms')} lost {str(health['since'])[:19]}: "
                f"{health['last_error']}"
            )
        if c["last_error"] and not lost:
            notes.append(f"  {name}: {str(c['last_error_at'])[:19]} {c['last_error']}")
    console.print(table)
    for note in notes:
        console.print(note, highlight=False)
    if state["events"]:
        console.print(f"[bold]{_t('events')}[/]")
        for e in state["events"][:10]:
            console.print(
                f"  {e['at'][:19]} {e['kind']} {e['connector']}/{e['device']} {e['detail']}"
            )
    if state["rejected_payloads"]:
        console.print(f"[bold]{_t('rejects')}[/] ({state['rejected_total']})")
        for r in state["rejected_payloads"]:
            console.print(
                f"  {r['at'][:19]} {r['source']} {r['reason']}: {r['raw'][:120]}", highlight=False
            )


def register(app: typer.Typer) -> None:
    """Add the connector commands to the ``lingtan`` app."""
    app.add_typer(modbus_app, name="modbus")
    app.add_typer(dlt_app, name="dlt645")
    from lingtan.cli.bacnet import bacnet_app

    app.add_typer(bacnet_app, name="bacnet")
    app.add_typer(files_app, name="files")
    app.add_typer(collect_app, name="collect")
