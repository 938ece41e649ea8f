"""BACnet/IP client: Who-Is/I-Am discovery, ReadPropertyMultiple polling, COV subscriptions.

One bacpypes3 application (a BACnet device of its own, bound to the configured interface and
UDP port) serves every device of a connector. Each device is found by its instance number
(a Who-Is for that instance, sent to its address when one is configured, broadcast otherwise)
and then polled: one ReadPropertyMultiple for the present value, status flags (and an
accumulator's Scale) of all its mapped objects; a device that rejects or does not implement
ReadPropertyMultiple is read with one ReadProperty per property from then on. Objects with COV
enabled are also subscribed (SubscribeCOV with a lifetime the library renews before it ends),
so a change arrives between polls. Polling continues beside COV: a lost notification (they
are unconfirmed unless configured otherwise) is made good by the next poll.

A device that does not answer is reported lost after ``lost_after`` failed polls and retried
with back-off; the readings go to the collector like every connector's (batching, spill
buffer, acknowledgement after commit). bacpypes3 signals BACnet errors, rejects and aborts as
``ErrorRejectAbortNack``, a ``BaseException``: they are caught here, never passed on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lingtan.connectors.bacnet.codec import (
    Decoded,
    ObjectPoint,
    PropertyError,
    decode,
    decode_all,
)
from lingtan.connectors.base import Backoff, ConnectorContext, raise_if_cancelled, utcnow
from lingtan.errors import InvalidInput, Unavailable
from lingtan.readings import Reading

log = logging.getLogger(__name__)

#: the default BACnet/IP UDP port (ANSI/ASHRAE 135 Annex J: 0xBAC0)
DEFAULT_PORT = 47808
#: objects per ReadPropertyMultiple request: 16 objects × 3 properties stay within one
#: 1476-octet APDU of BACnet/IP even for a device that cannot segment its answer
RPM_OBJECTS = 16


@dataclass
class BacnetDevice:
    """One BACnet device and the objects read from it."""

    name: str
    instance: int
    objects: list[ObjectPoint]
    #: ``"192.168.1.20"`` or ``"192.168.1.20:47808"``; ``None``: found by a broadcast Who-Is
    address: str | None = None
    poll_interval_s: float = 60.0
    cov: bool = False
    cov_lifetime_s: int = 300
    cov_confirmed: bool = False
    #: False once the device rejected ReadPropertyMultiple
    rpm: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.instance <= 4_194_302:
            raise InvalidInput(f"device {self.name}: instance {self.instance}", field="instance")
        if not self.objects:
            raise InvalidInput(f"device {self.name}: no object mapped", field="objects")
        keys = [o.key for o in self.objects]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise InvalidInput(
                f"device {self.name}: objects mapped twice: {dupes}", field="objects"
            )

    @property
    def points(self) -> tuple[str, ...]:
        """The points the device feeds."""
        return tuple(o.point for o in self.objects)


def local_address(interface: str, port: int) -> str:
    """The bacpypes3 address of the local application: ``"127.0.0.1/8:47810"``."""
    return f"{interface}:{port}"


def make_application(address: str, instance: int, *, objects: Sequence[Any] = (), name: str = "",
                     apdu_timeout_s: float = 3.0, apdu_retries: int = 1) -> Any:  # fmt: skip
    """A bacpypes3 application bound to ``address`` (call on the running event loop)."""
    from bacpypes3.app import Application
    from bacpypes3.local.device import DeviceObject
    from bacpypes3.local.networkport import NetworkPortObject

    device = DeviceObject(
        objectIdentifier=("device", instance),
        objectName=name or f"lingtan-{instance}",
        vendorIdentifier=999,  # ASHRAE's identifier for test/unassigned equipment
        apduTimeout=int(apdu_timeout_s * 1000),
        numberOfApduRetries=apdu_retries,
    )
    port = NetworkPortObject(
        address, objectIdentifier=("network-port", 1), objectName="NetworkPort-1"
    )
    try:
        return Application.from_object_list([device, port, *objects])
    except OSError as err:
        raise Unavailable(f"cannot bind BACnet/IP to {address}: {err}") from err


def _key(object_identifier: Any) -> str:
    object_type, instance = object_identifier
    return f"{object_type},{int(instance)}"


def _error_text(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}".rstrip(": ")


def _is_timeout(err: BaseException) -> bool:
    from bacpypes3.apdu import AbortPDU

    return isinstance(err, AbortPDU) and "no-response" in str(err).replace("_", "-").lower()


def _address(text: str) -> Any:
    from bacpypes3.pdu import Address

    return Address(text)


class _Resubscribe(Exception):
    """The library's renewal of a COV subscription failed: subscribe again."""


def _renewal_failed(scm: Any) -> bool:
    task = getattr(scm, "refresh_subscription_task", None)
    if task is None or not task.done():
        return False
    return bool(task.cancelled() or task.exception() is not None)


def _log_cov_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("COV subscription ended", exc_info=task.exception())


@dataclass
class _DeviceState:
    device: BacnetDevice
    address: Any = None
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=2.0, maximum=300.0))


class BacnetConnector:
    """Polls (and subscribes to) the objects of BACnet/IP devices."""

    kind = "bacnet"

    def __init__(
        self,
        name: str,
        devices: list[BacnetDevice],
        *,
        interface: str,
        port: int = DEFAULT_PORT,
        device_instance: int = 4_194_302,
        timeout_s: float = 3.0,
        lost_after: int = 2,
        retry_initial_s: float = 2.0,
        retry_max_s: float = 300.0,
    ) -> None:
        self.name = name
        self.devices = devices
        self.interface = interface
        self.port = port
        self.device_instance = device_instance
        self.timeout_s = timeout_s
        self.lost_after = lost_after
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        #: COV notifications turned into readings (for the status and the tests)
        self.cov_readings = 0
        self.poll_readings = 0
        #: COV subscriptions made again after a failed renewal
        self.resubscriptions = 0

    async def run(self, ctx: ConnectorContext) -> None:
        """Poll every device until cancelled; rebind with back-off when the port is taken."""
        backoff = Backoff(initial=self.retry_initial_s, maximum=self.retry_max_s)
        where = local_address(self.interface, self.port)
        while True:
            raise_if_cancelled()
            try:
                app = make_application(where, self.device_instance, apdu_timeout_s=self.timeout_s)
            except Unavailable as err:
                ctx.stats.state = "reconnecting"
                ctx.device_failed(where, str(err), lost_after=1)
                await asyncio.sleep(backoff.next_delay())
                continue
            ctx.stats.state = "running"
            from bacpypes3.apdu import ErrorRejectAbortNack

            try:
                async with asyncio.TaskGroup() as group:
                    for device in self.devices:
                        state = _DeviceState(
                            device,
                            backoff=Backoff(initial=self.retry_initial_s, maximum=self.retry_max_s),
                        )
                        group.create_task(self._device_loop(ctx, app, state))
            except ErrorRejectAbortNack as err:
                # a BaseException: as an Exception the collector restarts the connector
                raise RuntimeError(f"BACnet error not handled: {_error_text(err)}") from None
            finally:
                app.close()

    async def _request(self, awaitable: Any) -> Any:
        """One confirmed request, bounded by the APDU timeout and its retry."""
        try:
            async with asyncio.timeout(self.timeout_s * 2.5):
                return await awaitable
        except TimeoutError as err:
            raise Unavailable(f"no answer within {self.timeout_s * 2.5:g} s") from err

    async def _locate(self, app: Any, state: _DeviceState) -> None:
        """Who-Is for the device's instance (to its address when known): fills the library's
        device cache (segmentation, vendor) and finds an address that is not configured."""
        device = state.device
        target = _address(device.address) if device.address else None
        try:
            async with asyncio.timeout(self.timeout_s):
                i_ams = await app.who_is(device.instance, device.instance, address=target)
        except TimeoutError:
            i_ams = []
        if i_ams:
            state.address = i_ams[0].pduSource
        elif target is not None:
            state.address = target  # may still answer reads without answering Who-Is
        else:
            raise Unavailable(f"no I-Am from device {device.instance}")

    async def _device_loop(self, ctx: ConnectorContext, app: Any, state: _DeviceState) -> None:
        device = state.device
        source = f"bacnet:{self.name}/{device.name}"
        cov_tasks: list[asyncio.Task[None]] = []
        try:
            while True:
                raise_if_cancelled()
                started = time.monotonic()
                try:
                    if state.address is None:
                        await self._locate(app, state)
                    values = await self._read(app, state)
                except Unavailable as err:
                    raise_if_cancelled()
                    state.address = None if not device.address else state.address
                    ctx.device_failed(
                        device.name, str(err), lost_after=self.lost_after, points=device.points
                    )
                    await asyncio.sleep(state.backoff.next_delay())
                    continue
                raise_if_cancelled()
                ctx.device_ok(device.name, points=device.points)
                state.backoff.reset()
                kept, refused, problems = decode_all(
                    device.objects, values, ts=utcnow(), source=source
                )
                for problem in problems:
                    ctx.stats.record_error(f"{device.name}: {problem}")
                await self._hand_over(ctx, source, kept, refused)
                self.poll_readings += len(kept)
                if device.cov and not cov_tasks:
                    cov_tasks = [
                        asyncio.create_task(self._cov_loop(ctx, app, state, o, source))
                        for o in device.objects
                        if o.cov
                    ]
                    for task in cov_tasks:
                        task.add_done_callback(_log_cov_end)
                elapsed = time.monotonic() - started
                await asyncio.sleep(max(0.0, device.poll_interval_s - elapsed))
        finally:
            for task in cov_tasks:
                task.cancel()
            if cov_tasks:
                await asyncio.wait(cov_tasks, timeout=2.0)

    async def _hand_over(
        self, ctx: ConnectorContext, source: str, kept: list[Reading], refused: list[Decoded]
    ) -> None:
        # a refused value goes to the store with its reason (``bacnet_status``) and is filed
        # in the quarantine with its point, instant and value, as every refused reading is
        for item in refused:
            ctx.stats.record_error(item.detail)
        readings = kept + [item.reading for item in refused]
        if readings:
            ctx.stats.record_readings(len(readings))
            await ctx.submit(readings)

    async def _read(self, app: Any, state: _DeviceState) -> dict[str, dict[str, Any]]:
        """Object key → property → value (or :class:`PropertyError`) of one poll."""
        from bacpypes3.apdu import ErrorRejectAbortNack

        device = state.device
        wanted = {o.key: self._properties(o) for o in device.objects}
        if device.rpm:
            try:
                return await self._read_multiple(app, state.address, wanted)
            except ErrorRejectAbortNack as err:
                if _is_timeout(err):
                    raise Unavailable(f"device {device.instance}: {_error_text(err)}") from None
                log.info(
                    "%s: ReadPropertyMultiple refused (%s); reading property by property",
                    device.name, _error_text(err),
                )  # fmt: skip
                device.rpm = False
        return await self._read_single(app, state.address, wanted)

    @staticmethod
    def _properties(mapping: ObjectPoint) -> list[str]:
        props = [mapping.property_id, "status-flags"]
        if mapping.object_type == "accumulator" and mapping.scale is None:
            props.append("scale")
        return props

    async def _read_multiple(
        self, app: Any, address: Any, wanted: dict[str, list[str]]
    ) -> dict[str, dict[str, Any]]:
        from bacpypes3.basetypes import ErrorType
        from bacpypes3.primitivedata import ObjectIdentifier

        items = list(wanted.items())
        values: dict[str, dict[str, Any]] = {}
        for start in range(0, len(items), RPM_OBJECTS):
            parameters: list[Any] = []
            for key, props in items[start : start + RPM_OBJECTS]:
                parameters.extend([ObjectIdentifier(key), list(props)])
            result = await self._request(app.read_property_multiple(address, parameters))
            for object_identifier, property_identifier, _index, value in result:
                prop = str(property_identifier)
                if isinstance(value, ErrorType):
                    value = PropertyError(f"{value.errorClass}: {value.errorCode}")
                values.setdefault(_key(object_identifier), {})[prop] = value
        return values

    async def _read_single(
        self, app: Any, address: Any, wanted: dict[str, list[str]]
    ) -> dict[str, dict[str, Any]]:
        from bacpypes3.apdu import ErrorRejectAbortNack
        from bacpypes3.primitivedata import ObjectIdentifier

        values: dict[str, dict[str, Any]] = {}
        for key, props in wanted.items():
            for prop in props:
                try:
                    value = await self._request(
                        app.read_property(address, ObjectIdentifier(key), prop)
                    )
                except ErrorRejectAbortNack as err:
                    if _is_timeout(err):
                        raise Unavailable(f"{key}: {_error_text(err)}") from None
                    value = PropertyError(_error_text(err))
                values.setdefault(key, {})[prop] = value
        return values

    async def _cov_loop(
        self,
        ctx: ConnectorContext,
        app: Any,
        state: _DeviceState,
        mapping: ObjectPoint,
        source: str,
    ) -> None:
        """Subscribe to one object and turn its notifications into readings; resubscribe
        with back-off when the subscription fails; give up on an object the device refuses
        to subscribe (polling goes on)."""
        from bacpypes3.apdu import ErrorRejectAbortNack
        from bacpypes3.primitivedata import ObjectIdentifier

        device = state.device
        backoff = Backoff(initial=self.retry_initial_s, maximum=self.retry_max_s)
        flags: Any = None
        scale: Any = None
        # bacpypes3 renews a subscription shortly before its lifetime ends; a renewal that
        # fails (the device was away) is not retried by the library: checked this often
        watch_s = float(min(device.cov_lifetime_s, 30))
        while True:
            try:
                async with app.change_of_value(
                    state.address,
                    ObjectIdentifier(mapping.key),
                    None,
                    device.cov_confirmed,
                    device.cov_lifetime_s,
                ) as scm:
                    backoff.reset()
                    while True:
                        try:
                            first = await asyncio.wait_for(scm.get_value(), timeout=watch_s)
                        except TimeoutError:
                            if _renewal_failed(scm):
                                raise _Resubscribe from None
                            continue
                        items = [first]
                        while not scm.queue.empty():
                            items.append(await scm.get_value())
                        value: Any = None
                        for prop, item in items:
                            name = str(prop)
                            if name == "status-flags":
                                flags = item
                            elif name == "scale":
                                scale = item
                            elif name == mapping.property_id:
                                value = item
                        if value is None:
                            continue
                        readings, refused = self._cov_reading(
                            mapping, value, flags, scale, source, ctx
                        )
                        self.cov_readings += len(readings)
                        await self._hand_over(ctx, source, readings, refused)
            except _Resubscribe:
                self.resubscriptions += 1
                ctx.stats.record_error(f"{device.name} {mapping.key}: COV renewal failed")
                await asyncio.sleep(backoff.next_delay())
            except ErrorRejectAbortNack as err:
                if _is_timeout(err):
                    await asyncio.sleep(backoff.next_delay())
                    continue
                ctx.stats.record_error(f"{device.name} {mapping.key}: COV refused: {err}")
                log.info("%s %s: COV subscription refused (%s)", device.name, mapping.key, err)
                return

    @staticmethod
    def _cov_reading(
        mapping: ObjectPoint,
        value: Any,
        flags: Any,
        scale: Any,
        source: str,
        ctx: ConnectorContext,
    ) -> tuple[list[Reading], list[Decoded]]:
        from lingtan.connectors.bacnet.codec import CodecError

        try:
            decoded = decode(
                mapping, value, flags, ts=utcnow(), source=f"{source}:cov", device_scale=scale
            )
        except CodecError as err:
            ctx.stats.record_error(f"{mapping.key}: {err}")
            return [], []
        if decoded.reason is None:
            return [decoded.reading], []
        return [], [decoded]


@dataclass(frozen=True, slots=True)
class Found:
    """A device that answered Who-Is."""

    instance: int
    address: str
    max_apdu: int
    segmentation: str
    vendor: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "instance": self.instance,
            "address": self.address,
            "max_apdu": self.max_apdu,
            "segmentation": self.segmentation,
            "vendor": self.vendor,
        }


async def discover(
    interface: str,
    port: int,
    *,
    target: str | None = None,
    low: int | None = None,
    high: int | None = None,
    wait_s: float = 3.0,
    device_instance: int = 4_194_302,
) -> list[Found]:
    """Who-Is (broadcast, or to ``target``) and the I-Am answers received within ``wait_s``."""
    if (low is None) != (high is None):
        raise InvalidInput("give both low and high instance limits, or neither", field="low")
    app = make_application(local_address(interface, port), device_instance)
    try:
        address = _address(target) if target else None
        i_ams = await app.who_is(low, high, address=address, timeout=wait_s)
    finally:
        app.close()
    found = {
        int(i.iAmDeviceIdentifier[1]): Found(
            instance=int(i.iAmDeviceIdentifier[1]),
            address=str(i.pduSource),
            max_apdu=int(i.maxAPDULengthAccepted),
            segmentation=str(i.segmentationSupported),
            vendor=int(i.vendorID),
        )
        for i in i_ams
    }
    return [found[k] for k in sorted(found)]
