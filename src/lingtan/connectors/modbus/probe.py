"""``lingtan modbus probe``: read one value and show it in every word/byte order.

The quickest way to find out how a new meter encodes a value: read the registers once and
look for the order in which the number makes sense (a voltage near 230, an energy that
matches the display).
"""

from __future__ import annotations

from dataclasses import dataclass

from lingtan.connectors.modbus.poller import ModbusDeviceError, ModbusReader
from lingtan.connectors.modbus.registers import (
    WIDTH,
    Block,
    DataType,
    RegisterSpec,
    check_order,
    decode_all_orders,
)
from lingtan.errors import InvalidInput


@dataclass(frozen=True)
class ProbeResult:
    """The registers read and the value they encode in each order."""

    host: str
    port: int
    unit: int
    function: int
    address: int
    dtype: DataType
    registers: list[int]
    values: dict[str, float | str]
    chosen_order: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return {
            "host": self.host,
            "port": self.port,
            "unit": self.unit,
            "function": self.function,
            "address": self.address,
            "type": self.dtype.value,
            "registers": [f"0x{r:04X}" for r in self.registers],
            "values": self.values,
            "order": self.chosen_order,
        }


async def probe(
    host: str,
    *,
    port: int = 502,
    unit: int = 1,
    address: int,
    dtype: DataType,
    function: int = 3,
    order: str | None = None,
    timeout_s: float = 3.0,
) -> ProbeResult:
    """Read the registers of one ``dtype`` value at ``address`` and decode them every way."""
    if function not in (3, 4):
        raise InvalidInput("function must be 3 (holding) or 4 (input)", field="function")
    chosen = check_order(order) if order else None
    spec = RegisterSpec("probe", address, dtype, function)
    reader = ModbusReader(host, port, timeout_s=timeout_s)
    try:
        registers = await reader.read(unit, Block(function, address, WIDTH[dtype], (spec,)))
    except ModbusDeviceError as err:
        raise InvalidInput(f"device refused the read: {err}", field="address") from err
    finally:
        reader.close()
    return ProbeResult(
        host,
        port,
        unit,
        function,
        address,
        dtype,
        registers,
        decode_all_orders(registers, dtype),
        chosen,
    )
