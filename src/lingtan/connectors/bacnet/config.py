"""The ``kind: bacnet`` entry of ``connectors.yaml`` (validated strictly, fields named)."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lingtan.connectors.bacnet.client import DEFAULT_PORT, BacnetConnector, BacnetDevice
from lingtan.connectors.bacnet.codec import OBJECT_TYPES, ObjectPoint

ObjectType = Literal["analog-input", "analog-value", "binary-input", "accumulator"]
assert set(ObjectType.__args__) == set(OBJECT_TYPES)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BacnetObject(_Strict):
    """One object of a device, mapped to a metering point."""

    type: ObjectType
    instance: int = Field(ge=0, le=4_194_302)
    #: only the present value is read as a measurement
    property: Literal["present-value"] = "present-value"
    point: str = Field(min_length=1)
    #: multiplier (replaces an accumulator's own Scale property)
    scale: float | None = None
    #: unit after scaling; default the point's own unit
    unit: str | None = None
    #: subscribe to COV for this object when the device has ``cov: true``
    cov: bool = True

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: float | None) -> float | None:
        if value is not None and value == 0:
            raise ValueError("scale must not be 0")
        return value


class BacnetDeviceConfig(_Strict):
    """One BACnet device."""

    name: str = Field(min_length=1)
    instance: int = Field(ge=0, le=4_194_302)
    #: ``host`` or ``host:port``; without it the device is found by a broadcast Who-Is
    address: str | None = None
    poll_interval_s: float = Field(default=60.0, gt=0)
    cov: bool = False
    #: SubscribeCOV lifetime [s]; renewed by the client before it ends
    cov_lifetime_s: int = Field(default=300, ge=1, le=86_400)
    cov_confirmed: bool = False
    objects: list[BacnetObject] = Field(min_length=1)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, _, port = value.partition(":")
        try:
            ipaddress.IPv4Address(host)
        except ValueError as err:
            raise ValueError(f"address {value!r}: {host!r} is not an IPv4 address") from err
        if port and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError(f"address {value!r}: port {port!r} is not 1..65535")
        return value

    @model_validator(mode="after")
    def _unique(self) -> BacnetDeviceConfig:
        keys = [(o.type, o.instance) for o in self.objects]
        dupes = sorted({f"{t},{i}" for t, i in keys if keys.count((t, i)) > 1})
        if dupes:
            raise ValueError(f"device {self.name}: objects mapped twice: {dupes}")
        return self


class BacnetConfig(_Strict):
    """BACnet/IP devices read through one local interface and UDP port."""

    kind: Literal["bacnet"]
    name: str
    #: local IPv4 address with its prefix length (``192.168.1.10/24``: broadcasts go to
    #: 192.168.1.255); ``0.0.0.0`` is not accepted, as bacpypes3 needs the subnet
    interface: str
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    #: the collector's own BACnet device instance (unique on the network)
    device_instance: int = Field(default=4_194_302, ge=0, le=4_194_302)
    timeout_s: float = Field(default=3.0, gt=0)
    lost_after: int = Field(default=2, ge=1)
    retry_initial_s: float = Field(default=2.0, gt=0)
    retry_max_s: float = Field(default=300.0, gt=0)
    devices: list[BacnetDeviceConfig] = Field(min_length=1)

    @field_validator("interface")
    @classmethod
    def _interface(cls, value: str) -> str:
        try:
            iface = ipaddress.IPv4Interface(value)
        except ValueError as err:
            raise ValueError(f"interface {value!r} is not an IPv4 address[/prefix]") from err
        if iface.ip.is_unspecified:
            raise ValueError("interface must be the address of a local interface, not 0.0.0.0")
        return value

    @model_validator(mode="after")
    def _unique(self) -> BacnetConfig:
        names = [d.name for d in self.devices]
        instances = [d.instance for d in self.devices]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: device names must be unique")
        if len(set(instances)) != len(instances):
            raise ValueError(f"{self.name}: device instances must be unique")
        return self


def build(cfg: BacnetConfig) -> BacnetConnector:
    """The connector of one configuration entry."""
    devices = [
        BacnetDevice(
            name=d.name,
            instance=d.instance,
            address=d.address,
            poll_interval_s=d.poll_interval_s,
            cov=d.cov,
            cov_lifetime_s=d.cov_lifetime_s,
            cov_confirmed=d.cov_confirmed,
            objects=[
                ObjectPoint(
                    object_type=o.type,
                    instance=o.instance,
                    point=o.point,
                    property_id=o.property,
                    scale=o.scale,
                    unit=o.unit,
                    cov=o.cov,
                )
                for o in d.objects
            ],
        )
        for d in cfg.devices
    ]
    return BacnetConnector(
        cfg.name,
        devices,
        interface=cfg.interface,
        port=cfg.port,
        device_instance=cfg.device_instance,
        timeout_s=cfg.timeout_s,
        lost_after=cfg.lost_after,
        retry_initial_s=cfg.retry_initial_s,
        retry_max_s=cfg.retry_max_s,
    )
