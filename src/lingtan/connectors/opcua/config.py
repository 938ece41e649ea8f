"""The ``kind: opcua`` entry of ``connectors.yaml`` (validated strictly, errors name the field).

Example::

    - kind: opcua
      name: line1
      endpoint: opc.tcp://10.0.3.20:4840
      security_policy: Basic256Sha256      # or "None"
      security_mode: SignAndEncrypt        # Sign | SignAndEncrypt (None with policy None)
      certificate: /etc/lingtan/opcua/client-cert.der
      private_key: /etc/lingtan/opcua/client-key.pem
      username: collector                  # optional, with password
      password: secret
      sampling_interval_ms: 1000
      backfill_h: 24                        # history read at start, where the server has it
      nodes:
        - {node: "ns=2;s=Line1.Energy", point: E-line1, unit: kWh}
        - {node: "ns=2;s=Line1.Power", point: P-line1, scale: 0.001, unit: kW}
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from asyncua import ua
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lingtan.connectors.opcua.codec import NodePoint


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpcuaNode(_Strict):
    """One node → point mapping."""

    #: node id in the OPC UA string form (OPC 10000-6 §5.3.1.10): ``ns=2;s=Line1.Energy``,
    #: ``ns=3;i=1002`` …
    node: str
    point: str = Field(min_length=1)
    #: the stored value is the node's value × scale
    scale: float = 1.0
    #: unit of the scaled value; ``None`` means the point's own unit
    unit: str | None = None

    @field_validator("node")
    @classmethod
    def _node_id(cls, value: str) -> str:
        try:
            ua.NodeId.from_string(value)
        except Exception as err:  # the library raises UaStringParsingError or ValueError
            raise ValueError(f"{value!r} is not an OPC UA node id (e.g. ns=2;s=Name)") from err
        return value

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: float) -> float:
        if not math.isfinite(value) or value == 0:
            raise ValueError("scale must be a finite number other than 0")
        return value

    def mapping(self) -> NodePoint:
        """The codec's form."""
        return NodePoint(self.node, self.point, self.scale, self.unit)


class OpcuaEndpoint(_Strict):
    """Where and how to connect: the endpoint, its security and the user identity."""

    #: ``opc.tcp://host:port[/path]``
    endpoint: str
    security_policy: Literal["None", "Basic256Sha256"] = "None"
    #: message security mode; ``None`` only with policy ``None``
    security_mode: Literal["None", "Sign", "SignAndEncrypt"] | None = None
    #: the client's application instance certificate (DER or PEM) and its private key
    certificate: Path | None = None
    private_key: Path | None = None
    #: the server's certificate; without it the one in the server's endpoint list is used
    server_certificate: Path | None = None
    username: str | None = None
    password: str | None = None
    timeout_s: float = Field(default=4.0, gt=0)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not value.startswith("opc.tcp://") or len(value) <= len("opc.tcp://"):
            raise ValueError(f"{value!r} is not an opc.tcp:// endpoint URL")
        return value

    @model_validator(mode="after")
    def _security(self) -> OpcuaEndpoint:
        if self.security_policy == "None":
            if self.security_mode not in (None, "None"):
                raise ValueError(
                    f"security_mode: {self.security_mode} needs security_policy Basic256Sha256"
                )
        else:
            if self.security_mode in (None, "None"):
                raise ValueError(
                    "security_mode: give Sign or SignAndEncrypt with security_policy "
                    f"{self.security_policy}"
                )
            if self.certificate is None or self.private_key is None:
                raise ValueError(
                    f"certificate, private_key: security_policy {self.security_policy} needs "
                    "the client certificate and its private key"
                )
        if (self.username is None) != (self.password is None):
            raise ValueError("username, password: give both or neither")
        return self

    @property
    def mode(self) -> str:
        """The message security mode actually used."""
        if self.security_policy == "None":
            return "None"
        return self.security_mode or "SignAndEncrypt"


class OpcuaConfig(OpcuaEndpoint):
    """An OPC UA server and the nodes read from it."""

    kind: Literal["opcua"]
    name: str
    #: how often the server samples each node [ms] (OPC 10000-4 §5.12.1.2)
    sampling_interval_ms: float = Field(default=1000.0, gt=0)
    #: how often the server sends the changes it sampled [ms]
    publishing_interval_ms: float = Field(default=1000.0, gt=0)
    #: history read (HistoryRead raw) of this many hours back at the first connection; after
    #: a reconnection the gap since the last committed value is read back anyway
    backfill_h: float = Field(default=0.0, ge=0)
    lost_after: int = Field(default=1, ge=1)
    #: first retry delay after a lost connection; doubles up to retry_max_s [s]
    retry_initial_s: float = Field(default=2.0, gt=0)
    retry_max_s: float = Field(default=300.0, gt=0)
    nodes: list[OpcuaNode] = Field(min_length=1)

    @model_validator(mode="after")
    def _nodes(self) -> OpcuaConfig:
        seen: dict[str, int] = {}
        for k, n in enumerate(self.nodes):
            if n.node in seen:
                raise ValueError(f"nodes.{k}.node: {n.node} is mapped twice (nodes.{seen[n.node]})")
            seen[n.node] = k
        return self

    def mappings(self) -> list[NodePoint]:
        """The codec's form of ``nodes``."""
        return [n.mapping() for n in self.nodes]


__all__ = ["OpcuaConfig", "OpcuaEndpoint", "OpcuaNode"]
